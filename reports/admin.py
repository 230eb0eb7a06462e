from django.contrib import admin

from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Moderation: hide a comment without losing the report it came with."""

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
    exclude = ["reporter"]
    readonly_fields = ["service", "problem_type", "country", "counted", "created_at"]
    actions = ["hide_comments"]

    @admin.action(description="Hide the selected comments")
    def hide_comments(self, request, queryset):  # type: ignore[no-untyped-def]
        queryset.update(comment_hidden=True)
