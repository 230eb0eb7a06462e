"""A tile map of countries: one square per country on a grid that roughly keeps geography.

Server-rendered as SVG on the service page ("Where"); countries not on the grid still appear in
the ranked table next to it. Columns grow eastwards, rows southwards.
"""

from __future__ import annotations

TILES: dict[str, tuple[int, int]] = {
    # Europe and the north
    "IS": (8, 0), "NO": (10, 0), "SE": (11, 0), "FI": (12, 0),
    "IE": (8, 1), "GB": (9, 1), "DK": (10, 1), "EE": (12, 1), "RU": (14, 1),
    "NL": (9, 2), "DE": (10, 2), "PL": (11, 2), "LT": (12, 2), "BY": (13, 2),
    "BE": (8, 3), "FR": (9, 3), "CH": (10, 3), "CZ": (11, 3), "SK": (12, 3), "UA": (13, 3),
    "PT": (7, 4), "ES": (8, 4), "IT": (10, 4), "AT": (11, 4), "HU": (12, 4), "RO": (13, 4),
    "GR": (11, 5), "BG": (12, 5), "TR": (13, 5),
    # Americas
    "CA": (2, 1), "US": (2, 2), "MX": (1, 3), "CU": (3, 3), "GT": (1, 4), "DO": (3, 4),
    "PA": (2, 5), "VE": (4, 5), "CO": (3, 6), "EC": (2, 7), "BR": (4, 7), "PE": (3, 8),
    "BO": (4, 8), "CL": (3, 9), "PY": (4, 9), "AR": (4, 10), "UY": (5, 10),
    # Africa and the Middle East
    "MA": (8, 5), "DZ": (9, 5), "TN": (10, 5), "SY": (14, 5), "IQ": (15, 5), "IR": (16, 5),
    "SN": (8, 6), "ML": (9, 6), "LY": (10, 6), "EG": (11, 6), "IL": (12, 6), "JO": (13, 6),
    "SA": (14, 6), "AE": (15, 6),
    "GH": (8, 7), "NG": (9, 7), "CM": (10, 7), "SD": (11, 7), "ET": (12, 7), "YE": (13, 7),
    "CD": (10, 8), "KE": (12, 8), "AO": (10, 9), "TZ": (12, 9), "ZA": (10, 10), "MZ": (12, 10),
    # Asia and Oceania
    "KZ": (15, 2), "MN": (18, 2), "UZ": (15, 3), "CN": (18, 3), "KR": (20, 3), "JP": (21, 3),
    "GE": (14, 4), "AZ": (15, 4), "TW": (20, 4), "AF": (17, 5), "NP": (18, 5), "HK": (20, 5),
    "PK": (16, 6), "IN": (17, 6), "BD": (18, 6), "MM": (19, 6), "VN": (20, 6), "PH": (21, 6),
    "LK": (17, 7), "TH": (19, 7), "KH": (20, 7), "MY": (19, 8), "ID": (20, 8), "SG": (19, 9),
    "AU": (20, 10), "NZ": (21, 11),
}  # fmt: skip

# Tile pitch in SVG units (24 px squares with a 2 px gap).
TILE = 26
COLUMNS = 1 + max(col for col, _ in TILES.values())
ROWS = 1 + max(row for _, row in TILES.values())


def heat_level(ratio: float | None, share: float) -> str:
    """A named step of the colour scale; the same words label the map's key."""
    if ratio is None:
        # No per-country baseline: say how big a part of all reports it is, not how unusual.
        return "share" if share >= 5 else "few"
    if ratio >= 10:
        return "x10"
    if ratio >= 3:
        return "x3"
    if ratio >= 1.5:
        return "above"
    return "normal"


def tiles(regions: list[dict]) -> list[dict]:
    """Every tile with its position and, where reports came from, count, share and level."""
    by_code = {r["country"]: r for r in regions}
    result = []
    for code, (col, row) in TILES.items():
        region = by_code.get(code)
        result.append(
            {
                "code": code,
                "px": col * TILE,
                "py": row * TILE,
                "count": region["count"] if region else 0,
                "name": region["name"] if region else code,
                "level": heat_level(region["ratio"], region["share"]) if region else "none",
            }
        )
    return result
