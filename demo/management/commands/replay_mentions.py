"""Demo mentions: two weeks of a quiet background of posts for every service, and the recorded
Jetstream sample's outage minute replayed over the live demo outage (demo.traffic's ChatGPT
outage), so the service page shows a mention spike beside the report spike. DEMO ONLY: it first
DELETES every stored mention count. Reaches no network: the sample is a file in bench/data."""

from __future__ import annotations

import gzip
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from common.buckets import epoch_minute, from_epoch_minute
from demo.traffic import ONGOING_LASTS_AFTER, ONGOING_STARTED_BEFORE, ongoing_event
from detection.mentions import HISTORY_DAYS, score_mentions
from mentions.jetstream import post_of
from mentions.models import MentionCount, Source
from mentions.rules import compile_rules, country_hint
from outages.models import Service

SAMPLE = Path(settings.BASE_DIR) / "bench" / "data" / "mentions" / "jetstream_sample.jsonl.gz"
# About two posts an hour per service saying it is down: a quiet day on Bluesky for a big
# service (invented for the demo; a real instance learns its own from the ingesters).
BACKGROUND_PER_MINUTE = 0.03
# The replayed burst fades as people stop posting: half as many posts every 45 minutes.
HALF_LIFE_MINUTES = 45


def burst_minute() -> Counter[tuple[str, str]]:
    """The (service, country) counts of the sample's busiest minute, through the real matcher."""
    matcher = compile_rules()
    per_minute: dict[int, Counter[tuple[str, str]]] = {}
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as file:
        for frame in file:
            post = post_of(frame)
            if post is None:
                continue
            minute = per_minute.setdefault(post.time_us // 60_000_000, Counter())
            for match in matcher.match(post.text):
                minute[(match.service, country_hint(post.langs, ()))] += 1
    return max(per_minute.values(), key=lambda counts: counts.total())


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        rng = np.random.default_rng(options["seed"])
        services = dict(Service.objects.values_list("slug", "pk"))
        last = epoch_minute(now) + int(ONGOING_LASTS_AFTER.total_seconds() // 60)
        first = epoch_minute(now) - HISTORY_DAYS * 1440
        rows: Counter[tuple[int, str, int]] = Counter()
        for service_id in services.values():
            background = rng.poisson(BACKGROUND_PER_MINUTE, last - first + 1)
            for offset in np.flatnonzero(background):
                rows[(service_id, "", first + int(offset))] += int(background[offset])
        # Only the posts about the outage's own services: the sample's busiest minute also
        # holds a few scattered posts about others, which would spike for three hours too.
        affected = set(ongoing_event(now).services)
        burst = Counter({key: n for key, n in burst_minute().items() if key[0] in affected})
        start = epoch_minute(from_epoch_minute(epoch_minute(now)) - ONGOING_STARTED_BEFORE)
        for minute in range(start, last + 1):
            # Up to full strength in 5 minutes, then fading.
            envelope = min(1.0, (minute - start + 1) / 5) * math.exp(
                -math.log(2) * max(0, minute - start - 5) / HALF_LIFE_MINUTES
            )
            for (slug, country), count in burst.items():
                if slug in services:
                    posts = int(rng.binomial(count, envelope))
                    if posts:
                        rows[(services[slug], country, minute)] += posts
        with transaction.atomic():
            MentionCount.objects.all().delete()
            MentionCount.objects.bulk_create(
                [
                    MentionCount(
                        service_id=service_id,
                        source=Source.BLUESKY,
                        country=country,
                        minute=from_epoch_minute(minute),
                        count=count,
                    )
                    for (service_id, country, minute), count in rows.items()
                ],
                batch_size=5000,
            )
        scored = score_mentions(now)
        self.stdout.write(
            f"replay_mentions: {sum(rows.values())} posts in {len(rows)} cells; the live outage "
            f"replays {burst.total()} recorded posts a minute at its peak; {scored} services scored"
        )
