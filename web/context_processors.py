"""What every page's header needs: the current page in each language, for links and hreflang."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse, translate_url
from django.utils.translation import get_language_info


def languages(request: HttpRequest) -> dict:
    """`languages`: [{code, name, url, absolute}] for the page being shown, in every language.

    Plain links (an explicit action, no form post): /status/chatgpt/, /hi/status/chatgpt/...
    A failed form post (the report form re-rendered) links to the service page, not the POST URL.
    """
    match = request.resolver_match
    path = request.get_full_path()
    if match is not None and match.url_name == "report":
        path = reverse("outages:service", kwargs=match.kwargs)
    result = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(path, code)
        result.append(
            {
                "code": code,
                "name": get_language_info(code)["name_local"],
                "url": url,
                "absolute": request.build_absolute_uri(url),
            }
        )
    return {"languages": result}
