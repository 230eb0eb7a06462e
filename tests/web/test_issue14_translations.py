"""The new pages (alerts, official status, acknowledgement lag, open data, methodology) speak
Hindi and Bengali like the rest of the site."""

from __future__ import annotations

import pytest

from alerts.services import subscription_create
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

PAGES = {
    "/data/": {"hi": "खुला डेटा", "bn": "উন্মুক্ত ডেটা"},
    "/methodology/": {"hi": "एक उछाल घटना कैसे बनता है", "bn": "একটি উল্লম্ফন কীভাবে ঘটনা হয়"},
    "/acknowledgement/": {
        "hi": "कंपनियाँ आउटेज स्वीकार करने में कितना समय लेती हैं",
        "bn": "কোম্পানিগুলি বিভ্রাট স্বীকার করতে কত সময় নেয়",
    },
    "/status/chatgpt/": {
        "hi": "ChatGPT के बारे में मुझे अलर्ट करें",
        "bn": "ChatGPT সম্পর্কে আমাকে সতর্ক করুন",
    },
}


@pytest.mark.parametrize("language", ["hi", "bn"])
@pytest.mark.parametrize("url", list(PAGES))
def test_new_pages_are_translated(client, url, language):
    ServiceFactory(slug="chatgpt", name="ChatGPT")

    page = client.get(f"/{language}{url}").content.decode()

    assert PAGES[url][language] in page


def test_the_confirmation_mail_is_in_the_subscribers_language(
    settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the mail is a task's, run after the commit
    with django_capture_on_commit_callbacks(execute=True):
        subscription_create(
            service=ServiceFactory(name="ChatGPT"), email="a@example.org", language="bn"
        )

    assert mail.outbox[0].subject == "ChatGPT-এর জন্য আপনার opendown সতর্কতা নিশ্চিত করুন"
