"""Hears the detector (which must not import the web layer) and expires cached status answers."""

from __future__ import annotations

from django.dispatch import receiver

from detection.signals import cycle_finished
from web import snapshots


@receiver(cycle_finished, dispatch_uid="web.mark_status_published")
def mark_status_published(sender, **kwargs) -> None:  # type: ignore[no-untyped-def]
    snapshots.mark_status_published()
