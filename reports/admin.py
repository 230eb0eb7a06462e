from functools import cached_property

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections

from reports.models import Report


class EstimatedCountPaginator(Paginator):
    """An unfiltered list of a big table counts from PostgreSQL's statistics (pg_class
    reltuples, kept by autovacuum) instead of a COUNT(*) that reads every row."""

    # Below this, an exact count is cheap and an estimate would look wrong.
    EXACT_BELOW = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.EXACT_BELOW:
                return int(row[0])
        return super().count


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Moderation: hide a comment without losing the report it came with."""

    paginator = EstimatedCountPaginator
    # The "N total" link would count the whole table again on every filtered page.
    show_full_result_count = False

    list_display = [
        "created_at",
        "service",
        "problem_type",
        "country",
        "counted",
        "comment",
        "comment_hidden",
    ]
    list_filter = ["counted", "comment_hidden", "service__category"]
    list_editable = ["comment_hidden"]
    search_fields = ["comment", "service__name"]
    date_hierarchy = "created_at"
    # The fingerprint is meaningless to a person and must not be edited.
    exclude = ["reporter", "source"]
    readonly_fields = ["service", "problem_type", "country", "counted", "created_at"]
    actions = ["hide_comments"]

    @admin.action(description="Hide the selected comments")
    def hide_comments(self, request, queryset):  # type: ignore[no-untyped-def]
        queryset.update(comment_hidden=True)
