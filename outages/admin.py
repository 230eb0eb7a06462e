from django.contrib import admin

from outages.models import Incident, IncidentLink, ProblemType, Service, Status


@admin.register(ProblemType)
class ProblemTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    search_fields = ["name", "slug"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "parent", "company"]
    list_filter = ["category"]
    search_fields = ["name", "slug", "company"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["problem_types"]
    autocomplete_fields = ["parent"]


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin):
    list_display = ["service", "country", "level", "score", "expected_15m", "since", "updated_at"]
    list_filter = ["level"]
    search_fields = ["service__name"]


class IncidentLinkInline(admin.TabularInline):
    model = IncidentLink
    fk_name = "from_incident"
    extra = 0
    raw_id_fields = ["to_incident"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["service", "country", "severity", "started_at", "ended_at", "peak_reports"]
    list_filter = ["severity", "service__category"]
    search_fields = ["service__name"]
    date_hierarchy = "started_at"
    inlines = [IncidentLinkInline]
