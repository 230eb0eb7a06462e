from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django_countries import countries

from outages.models import Service
from reports import counting
from reports.models import COMMENT_MAX_LENGTH
from reports.validation import CatalogueEntry, validate_report


def country_from_accept_language(header: str) -> str:
    """The first country named in Accept-Language ("en-IN,en;q=0.9" -> "IN"), or ""."""
    for language, _quality in parse_accept_lang_header(header or ""):
        parts = language.replace("_", "-").split("-")
        if len(parts) >= 2 and parts[-1].upper() in countries:
            return parts[-1].upper()
    return ""


class ReportForm(forms.Form):
    """The HTML form: its fields only render the choices; what is valid is decided by
    reports.validation (the same function and messages as the API and the ASGI intake; only
    an empty choice gets the page's own wording)."""

    problem = forms.CharField(label=_("What is not working?"), widget=forms.RadioSelect)
    # No silent default: without a region in the request the first option is "choose", and an
    # unchosen country is an error, not Afghanistan (the first country in the list).
    country = forms.CharField(label=_("Where are you?"), widget=forms.Select(choices=countries))
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        strip=False,  # validate_report trims, as on every path
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": COMMENT_MAX_LENGTH}),
    )
    # A honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args, service: Service, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.service = service
        self.problem_types = {p.slug: p for p in service.problem_types.all()}
        # Problem names are catalogue English, translated here (outages/catalogue.py marks them).
        self.fields["problem"].widget.choices = [
            (p.slug, gettext(p.name)) for p in self.problem_types.values()
        ]
        self.fields["country"].widget.choices = [("", _("Choose your country…")), *countries]
        # Validation is validate_report's alone: no field-level required/NUL checks first.
        for name in ("problem", "country"):
            self.fields[name].required = False
            self.fields[name].validators = []
        self.fields["comment"].validators = []

    def clean_website(self) -> str:
        if self.cleaned_data["website"]:
            raise forms.ValidationError(_("Please leave this field empty."))
        return ""

    def clean(self) -> dict:
        data = super().clean()
        catalogue = {
            self.service.slug: CatalogueEntry(
                self.service.pk,
                self.service.name,
                {slug: p.pk for slug, p in self.problem_types.items()},
                counting.family_of(self.service),
            )
        }
        submitted = {
            "service": self.service.slug,
            "problem": self.data.get("problem"),
            "country": self.data.get("country"),
            "comment": self.data.get("comment", ""),
        }
        report, errors = validate_report(submitted, catalogue)
        # An empty choice is the one message the page words itself (issue 12's form).
        unchosen = {
            "problem": _("Choose what is not working."),
            "country": _("Choose the country you are in."),
        }
        for field, message in unchosen.items():
            if not str(submitted[field] or "").strip() and field in errors:
                errors[field] = [str(message)]
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)
        if report is not None:
            data.update(problem=report.problem_slug, country=report.country, comment=report.comment)
        return data
