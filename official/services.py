"""Poll official status pages (conditional GETs, total deadlines, backoff) and store what
they say; load the catalogue of sources (official/sources.json)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from official import parsing
from official.catalogue import OFFICIAL_PAGES
from official.fetching import Fetched, FetchError, fetch
from official.models import OfficialIncident, PageKind, ServiceStatusPage, StatusPage
from outages.models import Service

log = logging.getLogger(__name__)

# Every few minutes: vendors' pages change in minutes, and conditional GETs make an unchanged
# page cost one small 304.
POLL_INTERVAL = timedelta(minutes=5)
# A failing page is retried after 10, 20, 40 minutes... but at least every 6 hours.
MAX_BACKOFF = timedelta(hours=6)
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Kept for callers of the old names: the poller's errors are the fetch's.
PollError = FetchError
Getter = Callable[..., Fetched]


def _get(page: StatusPage, url: str, get: Getter) -> bytes | None:
    """A conditional GET remembering the page's validators; None when unchanged."""
    known = page.validators.get(url, {})
    fetched = get(url, etag=known.get("etag", ""), last_modified=known.get("last_modified", ""))
    page.validators[url] = {"etag": fetched.etag, "last_modified": fetched.last_modified}
    return fetched.body


def poll_page(page: StatusPage, *, now: datetime | None = None, get: Getter = fetch) -> int:
    """Fetch a page's documents and store its status and incidents; returns how many incidents
    were stored or updated. `get` is the one outbound call (official.fetching.fetch)."""
    now = now or timezone.now()
    documents = parsing.FORMATS.get(page.kind)
    if documents is None:  # a page for people only: linked, never polled
        return 0
    status: parsing.PageStatus | None = None
    records: list[parsing.IncidentRecord] = []
    covers_since = now
    try:
        for document in documents:
            body = _get(page, parsing.document_url(page.url, document.path), get)
            if body is None:
                continue
            said, listed = document.read(body)
            status = said or status
            records += listed or []
            if document.history and listed:
                covers_since = min(covers_since, *(r.acknowledged_at for r in listed))
    except (FetchError, parsing.FormatError) as error:
        page.failures += 1
        page.last_error = str(error)[:300]
        page.next_poll_at = now + min(POLL_INTERVAL * 2**page.failures, MAX_BACKOFF)
        page.save(update_fields=["failures", "last_error", "next_poll_at", "validators"])
        log.warning("official status %s: %s", page.name, error)
        return 0
    with transaction.atomic():
        for record in records:
            OfficialIncident.objects.update_or_create(
                page=page,
                external_id=record.external_id,
                defaults={
                    "name": record.name,
                    "status": record.status,
                    "impact": record.impact,
                    "acknowledged_at": record.acknowledged_at,
                    "resolved_at": record.resolved_at,
                    "components": record.components,
                    "url": record.url,
                },
            )
        if status is not None:
            page.indicator, page.description = status.indicator, status.description
        page.failures, page.last_error = 0, ""
        page.polled_at, page.next_poll_at = now, now + POLL_INTERVAL
        # From the first poll on we watch; a history document also vouches for its span.
        page.watched_since = page.watched_since or covers_since
        page.save()
    return len(records)


def poll_due(*, now: datetime | None = None) -> int:
    """Poll every page whose time has come; returns how many were polled."""
    now = now or timezone.now()
    pollable = StatusPage.objects.filter(polled=True).exclude(kind=PageKind.PAGE)
    due = pollable.filter(next_poll_at__isnull=True) | pollable.filter(next_poll_at__lte=now)
    pages = list(due)
    for page in pages:
        poll_page(page, now=now)
    return len(pages)


def ensure_loaded() -> bool:
    """Load the sources if none is known yet: a deploy path that forgot `load_official` (the
    manual steps) still gets every vendor's status from beat's first minute. Returns whether
    it loaded them."""
    if StatusPage.objects.exists() or not Service.objects.exists():
        return False
    catalogue_load()
    return True


def recorded_url(entry: dict, base_url: str) -> str:
    """Where a source's recorded copy is served: base_url/<fixture>/<the real URL's path>."""
    path = urlsplit(entry["url"]).path.lstrip("/")
    return f"{base_url.rstrip('/')}/{entry['fixture']}/{path}"


def recorded_get(base_url: str) -> Getter:
    """A `get` that reads the recorded copies straight from official/fixtures/ (no server):
    the demo's first poll, before its web server is up."""
    prefix = base_url.rstrip("/") + "/"

    def get(url: str, **validators: str) -> Fetched:
        target = (FIXTURES / url.removeprefix(prefix)).resolve()
        if not url.startswith(prefix) or FIXTURES not in target.parents or not target.is_file():
            raise FetchError(f"{url}: no recorded copy")
        return Fetched(target.read_bytes(), "", "")

    return get


def catalogue_load(
    pages: list[dict] | None = None, *, base_url: str | None = None, offline: bool = False
) -> int:
    """Upsert the catalogue's status sources and which services they speak for (idempotent:
    run on every deploy; polling state and stored incidents are kept).

    `base_url` points each source that has a recorded copy at it (the demo and tests serve them
    locally); with `offline`, a source without one is linked but not polled (no internet).
    """
    loaded = 0
    for entry in OFFICIAL_PAGES if pages is None else pages:
        recorded = base_url is not None and bool(entry["fixture"])
        url = recorded_url(entry, base_url) if recorded else entry["url"]  # type: ignore[arg-type]
        page, _ = StatusPage.objects.update_or_create(
            name=entry["name"],
            defaults={
                "url": url,
                "kind": entry["format"],
                "status_page": entry["status_page"],
                "verified": entry["verified"],
                "source": entry["source"][:500],
                "polled": recorded or not offline,
            },
        )
        services = Service.objects.in_bulk(list(entry["services"]), field_name="slug")
        for slug, components in entry["services"].items():
            if slug in services:
                ServiceStatusPage.objects.update_or_create(
                    service=services[slug], defaults={"page": page, "components": components}
                )
        loaded += 1
    return loaded
