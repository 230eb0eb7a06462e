"""The counting promise, written once; the caps of reports.counting are derived from it.

    No client (an IPv4 address or an IPv6 /64) adds more than CLIENT_MAX counted reports, and
    no network (an IPv4 /24 or an IPv6 /48) more than NETWORK_MAX, to any series the detector
    scores (a service worldwide or in one country, and its parent's family series), in any
    window the detector tests (1 to DETECTOR_LONGEST_WINDOW_MINUTES minutes), whatever user
    agents it claims and across UTC day boundaries.

What the promise is measured against is the detector's own configuration
(detection.engine.EngineConfig): its longest test window and its crowd, the fewest reports
above expected it ever calls "possible" (``min_excess_possible``). This module sits below
detection and cannot import it; the detector holds the two numbers equal instead (the system
check in detection/checks.py refuses to start otherwise, and tests/detection hold it too), so
changing either side without the other fails loudly rather than drifting apart.

The caps follow from the crowd: a crowd must need reports from at least
MIN_NETWORKS_IN_A_CROWD networks and MIN_CLIENTS_IN_A_CROWD clients, so a cap is the largest
count of which one fewer holders still fall short: (crowd - 1) // (holders - 1).
"""

from __future__ import annotations

# --- the detector's side (held equal to detection.engine.EngineConfig) ------------------------
# Its longest test window: scales_minutes[-1] (a slow surge's 2-4 h ramp).
DETECTOR_LONGEST_WINDOW_MINUTES = 240
# Its crowd: min_excess_possible, reports above expected in a window before it says "possible".
DETECTOR_CROWD = 15

# --- the promise ------------------------------------------------------------------------------
# Three networks: one network at its cap is less than half a crowd, so neither one site alone
# nor one site plus an ordinary fluctuation of a quiet series (a few reports over 4 hours) is
# a crowd, and two colluding sites are not one either.
MIN_NETWORKS_IN_A_CROWD = 3
# Four clients: a household or an office behind one address (or a carrier's NAT, CGNAT) keeps
# a few voices, and still no three of them make a crowd. A client's cap stays below its
# network's so that one noisy client cannot use up its neighbours' share of the /24 alone.
MIN_CLIENTS_IN_A_CROWD = 4

NETWORK_MAX = (DETECTOR_CROWD - 1) // (MIN_NETWORKS_IN_A_CROWD - 1)  # 7
CLIENT_MAX = (DETECTOR_CROWD - 1) // (MIN_CLIENTS_IN_A_CROWD - 1)  # 4
# The caps count in windows of this length (reports.counting keeps them in overlapping windows
# of two such steps, so ANY interval this long, and so every shorter window, holds at most the
# cap). It is the detector's longest window, whatever windows the detector adds below it.
CAP_WINDOW_MINUTES = DETECTOR_LONGEST_WINDOW_MINUTES
