from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.cache import cache_control

from official import selectors
from official.serializers import LagQuerySerializer

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@cache_control(max_age=60, public=True)
def acknowledgement(request: HttpRequest) -> HttpResponse:
    query = LagQuerySerializer(data=request.GET)
    days = query.validated_data["days"] if query.is_valid() else selectors.RANKING_DAYS
    ranking = selectors.lag_ranking(days=days)
    live = [(i, ack) for row in ranking for i, ack in row.incidents if i.ended_at is None]
    context = {"ranking": ranking, "days": days, "live": live}
    return render(request, "official/acknowledgement.html", context)


def fixture(request: HttpRequest, path: str) -> HttpResponse:
    """The recorded status documents, served like a real page (ETag and Last-Modified, 304s)
    so the demo's poller can run without internet. Mounted only with DEBUG."""
    target = (FIXTURES / path).resolve()
    if FIXTURES not in target.parents or not target.is_file():
        raise Http404
    stat = target.stat()
    etag = f'"{int(stat.st_mtime)}-{stat.st_size}"'
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if request.headers.get("If-None-Match") == etag or (since and since >= int(stat.st_mtime)):
        return HttpResponse(status=304)
    kind = "application/json" if target.suffix == ".json" else "application/rss+xml"
    response = FileResponse(target.open("rb"), content_type=kind)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(stat.st_mtime)
    return response
