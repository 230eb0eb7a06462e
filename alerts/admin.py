from django.contrib import admin

from alerts.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["service", "country", "channel", "state", "failures", "created_at"]
    list_filter = ["state", "channel"]
    exclude = ["secret", "token"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["incident", "transition", "subscription", "state", "attempts", "sent_at"]
    list_filter = ["state", "transition"]
