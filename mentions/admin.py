from django.contrib import admin

from mentions.models import IngestCursor, MentionStatus


@admin.register(IngestCursor)
class IngestCursorAdmin(admin.ModelAdmin):
    list_display = ["source", "read_until", "updated_at"]


@admin.register(MentionStatus)
class MentionStatusAdmin(admin.ModelAdmin):
    list_display = ["service", "level", "posts_15m", "expected_15m", "updated_at"]
    list_filter = ["level"]
