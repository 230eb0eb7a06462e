"""Issue 29's alert-form row in a real browser: the subscribe form looks like the report form
(full-width inputs), and on the management page Save, Pause and Delete are visibly distinct
and set apart; axe stays clean on the management and inbox pages."""

from __future__ import annotations

import pytest

from alerts import services
from alerts.models import State, Subscription
from tests.browser.conftest import axe_violations
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def box(page, test_id: str) -> dict:  # type: ignore[no-untyped-def]
    return page.get_by_test_id(test_id).bounding_box()


def style(page, test_id: str, prop: str) -> str:  # type: ignore[no-untyped-def]
    return page.get_by_test_id(test_id).evaluate(
        f"(e) => getComputedStyle(e).getPropertyValue('{prop}')"
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_the_alert_form_has_inputs_as_wide_as_the_report_forms(page, transactional_db, width):
    ServiceFactory(slug="chatgpt", name="ChatGPT", problems=["login"])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/status/chatgpt/")

    form = page.get_by_test_id("subscribe-form")
    email = form.get_by_label("Email address").bounding_box()
    outage_only = form.get_by_label("Outages only")

    assert email["width"] >= min(300, width - 80)
    assert email["height"] >= 32
    assert outage_only.is_checked()  # the default least severity


def test_save_pause_and_delete_are_distinct_and_apart(page, transactional_db):
    subscription = services.subscription_create(
        service=ServiceFactory(slug="chatgpt", name="ChatGPT"),
        webhook_url="https://hooks.example.org/x",
    ).subscription
    # As after its endpoint echoed the verification challenge: a pending webhook's page offers
    # only to send that request again (alerts.services.webhook_verify).
    Subscription.objects.filter(pk=subscription.pk).update(state=State.ACTIVE)
    page.goto(f"/alerts/{subscription.token}/")

    looks = {
        name: (style(page, name, "background-color"), style(page, name, "color"))
        for name in ("save", "pause", "delete")
    }
    pause, delete = box(page, "pause"), box(page, "delete")

    assert len(set(looks.values())) == 3, looks
    assert delete["x"] - (pause["x"] + pause["width"]) >= 16  # a clear gap, not adjacent
    assert box(page, "save")["y"] + box(page, "save")["height"] < pause["y"]  # own row
    assert axe_violations(page) == []
