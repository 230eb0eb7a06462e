from __future__ import annotations

import factory
from django.utils import timezone

from outages.models import Category, Incident, ProblemType, Service, Status


class ProblemTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProblemType
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"problem-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    category = Category.AI
    countries = ["US", "IN"]

    @factory.post_generation
    def problems(self, create: bool, extracted: list[str] | None, **kwargs) -> None:
        if not create:
            return
        for slug in extracted if extracted is not None else ["website", "login", "app"]:
            self.problem_types.add(ProblemTypeFactory(slug=slug))


class StatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Status

    service = factory.SubFactory(ServiceFactory)
    country = ""
    updated_at = factory.LazyFunction(timezone.now)


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    service = factory.SubFactory(ServiceFactory)
    started_at = factory.LazyFunction(timezone.now)
    peak_at = factory.LazyAttribute(lambda o: o.started_at)
    peak_reports = 120
    expected_at_peak = 4.0


class ReportCountFactory(factory.django.DjangoModelFactory):
    """A cell of the per-minute roll-up (what every page and the API sum)."""

    class Meta:
        model = "reports.ReportCount"

    service = factory.SubFactory(ServiceFactory)
    country = "US"
    problem_type = factory.LazyAttribute(lambda o: o.service.problem_types.first())
    minute = factory.LazyFunction(lambda: timezone.now().replace(second=0, microsecond=0))
    count = 1


class ReportFactory(factory.django.DjangoModelFactory):
    """A raw report, for comments (counts come from ReportCountFactory)."""

    class Meta:
        model = "reports.Report"

    service = factory.SubFactory(ServiceFactory)
    problem_type = factory.LazyAttribute(lambda o: o.service.problem_types.first())
    country = "IN"
    reporter = factory.Sequence(lambda n: f"{n:064x}")
    created_at = factory.LazyFunction(timezone.now)
