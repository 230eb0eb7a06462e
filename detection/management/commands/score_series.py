"""``manage.py score_series INPUT.csv [--output OUT.csv]``: score a NAB-style CSV offline."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from detection.scoring import score_csv


class Command(BaseCommand):
    help = (
        "Score a timestamp,value CSV (UTC, regular buckets) with the detection engine, "
        "without look-ahead; writes timestamp,value,anomaly_score,label."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", help="CSV with columns timestamp,value")
        parser.add_argument("--output", "-o", help="output CSV (default: stdout)")

    def handle(self, *args: object, **options: object) -> None:
        try:
            with open(str(options["input"]), newline="") as src:
                if options["output"]:
                    with open(str(options["output"]), "w", newline="") as dst:
                        rows = score_csv(src, dst)
                    self.stderr.write(f"scored {rows} rows -> {options['output']}")
                else:
                    score_csv(src, self.stdout)  # type: ignore[arg-type]
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
