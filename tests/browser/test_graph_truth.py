"""The graph during an outage: the band stays readable, the filling bucket is not a recovery."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from common.buckets import bucket_start, minute_floor
from tests.helpers import store_minute_counts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Readable: at least as tall as a line of the axis labels (uPlot draws them in 12 px).
READABLE_PX = 12
RANGES = ["1 hour", "2 hours, per minute", "24 hours", "7 days", "30 days"]


def band_height_px(page) -> float:
    """Height on screen of the normal range (typical to alert threshold) at the newest bucket."""
    return page.evaluate(
        """() => {
          const c = window.spikeChart, d = c.data, i = d[0].length - 1;
          return c.plot.valToPos(d[3][i], "y") - c.plot.valToPos(d[4][i], "y");
        }"""
    )


def test_band_stays_readable_when_the_spike_dwarfs_it(page, outage):
    page.goto("/status/chatgpt/")
    chart = page.get_by_test_id("chart")

    expect(chart).to_have_attribute("data-scale", "log")
    assert page.evaluate("window.spikeChart.ratio") > 10
    assert band_height_px(page) >= READABLE_PX
    expect(page.locator('[data-field="scale-note"]')).to_contain_text("logarithmic")
    expect(page.locator('[data-field="scale-switch"]')).to_have_attribute("aria-pressed", "true")


def test_on_a_linear_axis_the_same_outage_squashes_the_band(page, outage):
    page.goto("/status/chatgpt/")

    page.locator('[data-field="scale-switch"]').click()

    expect(page.get_by_test_id("chart")).to_have_attribute("data-scale", "linear")
    expect(page.locator('[data-field="scale-switch"]')).to_have_attribute("aria-pressed", "false")
    expect(page.locator('[data-field="scale-note"]')).to_be_hidden()
    # Why the log axis is the default in an outage: linear, the band is a few pixels.
    assert band_height_px(page) < READABLE_PX


def test_a_quiet_graph_keeps_a_linear_axis(page, quiet):
    page.goto("/status/slack/")
    chart = page.get_by_test_id("chart")

    expect(chart).to_have_attribute("data-scale", "linear")
    expect(chart).to_have_attribute("data-band", "1")
    expect(page.locator('[data-field="scale-switch"]')).to_have_attribute("aria-pressed", "false")
    assert band_height_px(page) >= READABLE_PX


def report_in_the_filling_bucket(service, count: int = 30) -> None:
    """Reports in the current minute, so the 15-minute bucket the page is drawn in is not empty.

    The fixture's last minute can already lie in the previous bucket by the time the page
    loads; close to a bucket's end we wait for the next one rather than race the clock."""
    size = timedelta(minutes=15)
    now = timezone.now()
    if bucket_start(now, size) + size - now < timedelta(seconds=10):
        time.sleep((bucket_start(now, size) + size - now).total_seconds() + 0.5)
        now = timezone.now()
    store_minute_counts(service, minute_floor(now), np.array([count]), country="GB")


def test_the_filling_bucket_is_left_out_of_the_line_and_drawn_at_its_pace(page, outage):
    report_in_the_filling_bucket(outage)
    page.goto("/status/chatgpt/")

    expect(page.get_by_test_id("chart")).to_have_attribute("data-partial", "1")
    line, pace, raw = page.evaluate(
        """() => { const c = window.spikeChart, i = c.data[0].length - 1;
                   return [c.data[1][i], c.data[2][i], c.points[i][1]]; }"""
    )
    assert line is None
    # Scaled to a whole bucket: at least the count so far, never a drop to it.
    assert pace >= raw > 0


@pytest.mark.parametrize("label", RANGES)
def test_every_range_marks_its_filling_bucket(page, outage, label):
    page.goto("/status/chatgpt/")

    page.get_by_role("button", name=label, exact=True).click()

    chart = page.get_by_test_id("chart")
    expect(page.get_by_role("button", name=label, exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(chart).to_have_attribute("data-partial", "1")
    assert page.evaluate("window.spikeChart.data[1].at(-1)") is None
    expect(page.locator('[data-field="series-rows"] tr').first).to_contain_text("so far")


def test_the_tooltip_of_the_filling_bucket_says_so_far(page, outage):
    page.goto("/status/chatgpt/")

    page.get_by_test_id("chart").focus()
    page.keyboard.press("End")

    tip = page.locator(".chart-tip")
    expect(tip).to_contain_text("So far:")
    # The pace as computed (count x 15 / minutes), or, in the bucket's first fifth, none.
    expect(tip).to_contain_text(
        re.compile(
            r"in [\d.]+ of 15 min; at this pace [\d,]+|in the first [\d.]+ of 15 min; too early"
        )
    )


def test_sparklines_draw_the_current_hour_dashed(page, outage):
    page.goto("/")

    row = page.locator('.service-row[data-slug="chatgpt"]')
    dash = row.locator("polyline.now").evaluate("el => getComputedStyle(el).strokeDasharray")
    solid = row.locator("polyline:not(.now)").evaluate("el => getComputedStyle(el).strokeDasharray")
    assert dash not in ("none", "")
    assert solid == "none"
