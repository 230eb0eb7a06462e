from __future__ import annotations

from celery import shared_task

from alerts import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_due() -> int:
    """Send the due alerts. Safe to run twice or concurrently: each row is claimed first."""
    return services.deliver_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def verify_webhook(subscription_id: int) -> bool:
    """Ask a pending webhook's endpoint to echo a challenge. Safe to run twice: the request is
    claimed first and sent at most once per hour."""
    from alerts.models import Subscription

    subscription = Subscription.objects.filter(pk=subscription_id).first()
    return subscription is not None and services.webhook_verify(subscription)


# Not retried: a mail server that fails now would be asked again by the next request, and a
# redelivered task is refused by the inbox's hourly limit anyway (at most one mail).
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_confirmation(subscription_id: int) -> bool:
    """The confirmation mail of a new email subscription, sent here and never inside the
    request: a slow or hung mail server costs a worker EMAIL_TIMEOUT, not a web request."""
    return services.confirmation_mail(subscription_id)
