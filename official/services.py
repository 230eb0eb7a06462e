"""Poll official status pages (conditional GETs, deadlines, backoff) and store what they say."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import outbound
from official import parsing
from official.catalogue import OFFICIAL_PAGES
from official.models import OfficialIncident, PageKind, ServiceStatusPage, StatusPage
from outages.models import Service

log = logging.getLogger(__name__)

# Every few minutes: vendors' pages change in minutes, and conditional GETs make an unchanged
# page cost one small 304.
POLL_INTERVAL = timedelta(minutes=5)
# A failing page is retried after 10, 20, 40 minutes... but at least every 6 hours.
MAX_BACKOFF = timedelta(hours=6)
# One deadline for a whole fetch, redirects included (common/outbound.py): a page that drips
# or stalls costs the outbound worker this much, never the detector.
TIMEOUT_SECONDS = 10
# Status pages move (a new domain, http to https); each hop is checked like the first.
MAX_REDIRECTS = 3
# Bigger answers are not status documents; refusing them bounds the poller's memory.
MAX_BYTES = 2 * 1024 * 1024
USER_AGENT = "opendown-official-status/1"


class PollError(Exception):
    pass


@dataclass
class Fetched:
    body: bytes | None  # None: 304 Not Modified
    etag: str
    last_modified: str


def fetch(url: str, etag: str = "", last_modified: str = "") -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, application/xml, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        response = outbound.request(
            "GET",
            url,
            headers=headers,
            deadline=TIMEOUT_SECONDS,
            max_bytes=MAX_BYTES,
            max_redirects=MAX_REDIRECTS,
            allow_private=settings.OFFICIAL_ALLOW_PRIVATE_TARGETS,
        )
    except outbound.OutboundError as error:
        raise PollError(f"{url}: {error}") from error
    if response.status == 304:
        return Fetched(None, etag, last_modified)
    if response.status != 200:
        raise PollError(f"{url}: HTTP {response.status}")
    return Fetched(
        response.body,
        response.headers.get("ETag", ""),
        response.headers.get("Last-Modified", ""),
    )


def _get(page: StatusPage, url: str) -> bytes | None:
    """A conditional GET remembering the page's validators; None when unchanged."""
    known = page.validators.get(url, {})
    fetched = fetch(url, known.get("etag", ""), known.get("last_modified", ""))
    page.validators[url] = {"etag": fetched.etag, "last_modified": fetched.last_modified}
    return fetched.body


def poll_page(page: StatusPage, *, now: datetime | None = None) -> int:
    """Fetch a page's status and incidents; returns how many incidents were stored or updated."""
    now = now or timezone.now()
    try:
        if page.kind == PageKind.STATUSPAGE:
            root = page.url.rstrip("/")
            summary = _get(page, f"{root}/api/v2/summary.json")
            listed = _get(page, f"{root}/api/v2/incidents.json")
            status = None if summary is None else parsing.statuspage_summary(summary)
            records = [] if listed is None else parsing.statuspage_incidents(listed)
        else:
            feed = _get(page, page.url)
            status, records = None, [] if feed is None else parsing.feed_incidents(feed)
    except (PollError, parsing.FormatError) as error:
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
        page.watched_since = page.watched_since or now
        page.save()
    return len(records)


def poll_due(*, now: datetime | None = None) -> int:
    """Poll every page whose time has come; returns how many were polled."""
    now = now or timezone.now()
    due = StatusPage.objects.filter(next_poll_at__isnull=True) | StatusPage.objects.filter(
        next_poll_at__lte=now
    )
    pages = list(due)
    for page in pages:
        poll_page(page, now=now)
    return len(pages)


def catalogue_load(pages: list[dict] | None = None, *, base_url: str | None = None) -> int:
    """Upsert the catalogue's status pages and which services they speak for.

    `base_url` replaces each page's host (the demo and tests serve recorded copies locally).
    """
    loaded = 0
    for entry in OFFICIAL_PAGES if pages is None else pages:
        url = entry["url"]
        if base_url is not None:
            url = f"{base_url.rstrip('/')}/{entry['fixture']}/" + (
                entry.get("feed_path", "") if entry["kind"] == PageKind.FEED else ""
            )
        page, _ = StatusPage.objects.update_or_create(
            name=entry["name"], defaults={"url": url, "kind": entry["kind"]}
        )
        services = Service.objects.in_bulk(list(entry["services"]), field_name="slug")
        for slug, components in entry["services"].items():
            if slug in services:
                ServiceStatusPage.objects.update_or_create(
                    service=services[slug], defaults={"page": page, "components": components}
                )
        loaded += 1
    return loaded
