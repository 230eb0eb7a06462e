"""Screenshots of the ChatGPT page in docs/screenshots/, in English, Hindi and Bengali, at
1280 px (with the tooltip on the newest, still filling bucket) and on a 375 x 812 phone; then
the whole service page, its per-country view and the current incident's page, on a desktop
(whole page) and a phone (first screen).

Against a running demo during its live outage (`make run`, or any server seeded by seed_demo):

    .venv/bin/python bin/screenshots.py http://127.0.0.1:8000

Needs Debian's Chromium and fonts for Devanagari and Bengali (apt-get install chromium
fonts-noto-core); nothing is downloaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZES = {1280: 900, 375: 812}


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        for language in ("en", "hi", "bn"):
            prefix = "" if language == "en" else f"/{language}"
            for width, height in SIZES.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"{base}{prefix}/status/chatgpt/")
                page.locator("#spike-chart canvas").wait_for()
                page.evaluate("document.fonts.ready")
                chart = page.locator("#spike-chart")
                if width >= 720:  # on a phone the tooltip would hide the band it explains
                    chart.focus()
                    page.keyboard.press("End")
                page.evaluate("window.scrollTo(0, 0)")
                path = OUT / f"chatgpt-{language}-{width}.png"
                if width >= 720:
                    top = page.locator(".headline").bounding_box()["y"] - 8
                    bottom = page.locator(".graph .bucket-note").bounding_box()["y"]
                    box = chart.bounding_box()
                    end = max(bottom, box["y"] + box["height"]) + 8
                    page.screenshot(
                        path=path, clip={"x": 0, "y": 0, "width": width, "height": max(end, top)}
                    )
                else:
                    page.screenshot(path=path)
                print(path.relative_to(OUT.parent.parent), chart.get_attribute("data-scale"),
                      "partial:", chart.get_attribute("data-partial"))  # fmt: skip
                page.close()
        incident = _current_incident(browser, base)
        pages = {
            "service": "/status/chatgpt/",
            "country": "/status/chatgpt/?country=US",
            **({"incident": f"/incidents/{incident}/"} if incident else {}),
        }
        for name, url in pages.items():
            for kind, (width, height) in {"desktop": (1280, 900), "mobile": (375, 812)}.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(base + url)
                page.locator("#spike-chart canvas").wait_for()
                page.evaluate("document.fonts.ready")
                path = OUT / f"{name}-{kind}.png"
                page.screenshot(path=path, full_page=kind == "desktop")
                print(path.relative_to(OUT.parent.parent))
                page.close()
        browser.close()


def _current_incident(browser, base: str) -> int | None:
    """The worldwide ChatGPT incident going on now (the demo's live outage), else its latest."""
    page = browser.new_page()
    answer = page.request.get(f"{base}/api/v1/incidents/?service=chatgpt&scope=global")
    rows = answer.json() if answer.ok else []
    page.close()
    rows = rows.get("results", []) if isinstance(rows, dict) else rows
    rows = [r for r in rows if r.get("service") == "chatgpt" and not r.get("country")]
    active = [r for r in rows if r.get("active")]
    return (active or rows or [{}])[0].get("id")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
