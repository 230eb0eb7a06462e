"""Screenshots of the ChatGPT page in docs/screenshots/, in English, Hindi and Bengali, at
1280 px (with the tooltip on the newest, still filling bucket) and on a 375 x 812 phone.

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
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
