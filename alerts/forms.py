from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from alerts.models import Event, MinSeverity
from alerts.serializers import check_webhook_url
from outages.models import Service


def related_services(service: Service) -> list[Service]:
    """The services one subscription may add on the service's own page: its family (parent,
    children, siblings), which an outage often spans (a Meta outage is also WhatsApp's)."""
    family = Service.objects.exclude(pk=service.pk)
    if service.parent_id is None:
        family = family.filter(parent=service)
    else:
        family = family.filter(
            models.Q(pk=service.parent_id) | models.Q(parent_id=service.parent_id)
        )
    return list(family.order_by("name")[:MAX_RELATED])


# A family is a handful of services (Meta's five); the bound keeps the form small whatever
# the catalogue holds. The API takes up to MAX_SERVICES (alerts.serializers).
MAX_RELATED = 20


def severity_field() -> forms.ChoiceField:
    """Not required: a form without it (an older page still open) means the default."""
    return forms.ChoiceField(
        label=_("Alert me about"),
        choices=MinSeverity.choices,
        initial=MinSeverity.OUTAGE,
        required=False,
        widget=forms.RadioSelect,
    )


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
    # Its choices are the service's family (related_services), set per form.
    also = forms.MultipleChoiceField(
        label=_("Also for"), required=False, widget=forms.CheckboxSelectMultiple
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
        self.fields["min_severity"] = severity_field()
        self.related = {s.slug: s for s in related_services(service)}
        self.fields["also"].choices = [(slug, s.name) for slug, s in self.related.items()]
        if not self.related:
            del self.fields["also"]

    def clean_also(self) -> list[Service]:
        return [self.related[slug] for slug in self.cleaned_data["also"]]

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

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["min_severity"] = severity_field()
