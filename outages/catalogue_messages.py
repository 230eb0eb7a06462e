"""The catalogue's problem names, marked for translation: makemessages reads Python source, not
outages/catalogue.json, so each name is listed here once (tests/outages/test_catalogue.py keeps
this list and the file in step). reports/forms.py and the pages translate the stored English.
"""

from __future__ import annotations


def _(text: str) -> str:
    """Marks a string for makemessages; plain identity (this module imports no Django)."""
    return text


PROBLEM_NAMES = [
    _("Website"),
    _("App"),
    _("Login"),
    _("Server connection"),
    _("Image generation"),
    _("Video generation"),
    _("API"),
    _("Messaging"),
    _("Feed"),
    _("Upload"),
    _("Notifications"),
    _("Voice calls"),
    _("Video calls"),
    _("Video streaming"),
    _("Music playback"),
    _("Search"),
    _("Email"),
    _("Online play"),
    _("Store"),
    _("Hosting"),
    _("DNS"),
    _("Management console"),
    _("Git operations"),
    _("Actions and CI"),
    _("File sync"),
    _("Mobile data"),
    _("Internet"),
    _("No signal"),
    _("SMS"),
    _("Payments"),
    _("Fund transfer"),
    _("Online banking"),
    _("Cards and ATMs"),
    _("Checkout"),
    _("Ordering"),
    _("Delivery"),
]
