from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from outages.models import Service
from reports.models import COMMENT_MAX_LENGTH


def country_from_accept_language(header: str) -> str:
    """The first country named in Accept-Language ("en-IN,en;q=0.9" -> "IN"), or ""."""
    for language, _quality in parse_accept_lang_header(header or ""):
        parts = language.replace("_", "-").split("-")
        if len(parts) >= 2 and parts[-1].upper() in countries:
            return parts[-1].upper()
    return ""


class ReportForm(forms.Form):
    problem = forms.ChoiceField(label=_("What is not working?"), widget=forms.RadioSelect)
    # No silent default: without a region in the request the first option is "choose", and an
    # unchosen country is an error, not Afghanistan (the first country in the list).
    country = LazyTypedChoiceField(
        label=_("Where are you?"),
        choices=countries,
        error_messages={"required": _("Choose the country you are in.")},
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # A honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args, service: Service, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.service = service
        self.problem_types = {p.slug: p for p in service.problem_types.all()}
        # Problem names are catalogue English, translated here (outages/catalogue.py marks them).
        self.fields["problem"].choices = [
            (p.slug, gettext(p.name)) for p in self.problem_types.values()
        ]
        self.fields["problem"].error_messages["required"] = _("Choose what is not working.")
        self.fields["country"].choices = [("", _("Choose your country…")), *countries]

    def clean_website(self) -> str:
        if self.cleaned_data["website"]:
            raise forms.ValidationError(_("Please leave this field empty."))
        return ""
