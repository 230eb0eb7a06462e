from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from alerts.models import Event
from alerts.serializers import check_webhook_url
from outages.models import Service


class SubscribeForm(forms.Form):
    """The service page's "alert me" form: an email address or a webhook URL."""

    email = forms.EmailField(label=_("Email address"), required=False, max_length=254)
    webhook_url = forms.URLField(
        label=_("or a webhook URL (Slack, Discord or your own)"),
        required=False,
        max_length=500,
        assume_scheme="https",
    )
    country = forms.ChoiceField(label=_("Where"), required=False)
    events = forms.MultipleChoiceField(
        label=_("Tell me when"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=Event.values,
    )
    # A honeypot, as on the report form: hidden from people, filled in by naive bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args, service: Service, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Its own ids: it shares the service page with the report form, whose "country"
        # select (and the script that remembers the visitor's country) owns id_country.
        kwargs.setdefault("auto_id", "id_alert_%s")
        super().__init__(*args, **kwargs)
        # Worldwide or a country the service is popular in (those have their own series);
        # not all 250 countries: the select would weigh more than the rest of the page.
        self.fields["country"].choices = [
            ("", _("Worldwide")),
            *sorted(((c.code, c.name) for c in service.countries), key=lambda c: c[1]),
        ]

    def clean_website(self) -> str:
        if self.cleaned_data["website"]:
            raise DjangoValidationError(_("Please leave this field empty."))
        return ""

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        if url:
            try:
                check_webhook_url(url)
            except ValidationError as error:
                raise DjangoValidationError(error.detail) from error
        return url

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("email")) == bool(data.get("webhook_url")) and not self.errors:
            raise DjangoValidationError(_("Give an email address or a webhook URL (one of them)."))
        return data


class ManageForm(forms.Form):
    events = forms.MultipleChoiceField(
        label=_("Tell me when"), choices=Event.choices, widget=forms.CheckboxSelectMultiple
    )
