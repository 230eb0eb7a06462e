from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from alerts import services
from alerts.models import State, Subscription
from tests.helpers import QuietHandler, local_server


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records each request; answers `status`. It answers
    the verification request by echoing its challenge (as a receiver that wants the alerts
    does) unless `echo` is off; those requests are kept apart, in `verifications`."""

    url: str = ""
    status: int = 200
    echo: bool = True
    requests: list[dict] = field(default_factory=list)
    verifications: list[dict] = field(default_factory=list)


@pytest.fixture
def receiver(settings):
    settings.ALERTS_ALLOW_PRIVATE_TARGETS = True  # the receiver lives on loopback
    state = Receiver()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            request = {"headers": dict(self.headers), "body": body}
            if self.headers.get("X-Opendown-Event") == "url_verification":
                state.verifications.append(request)
                answer = {"challenge": json.loads(body)["challenge"]} if state.echo else {}
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(answer).encode())
                return
            state.requests.append(request)
            self.send_response(state.status)
            self.end_headers()

    with local_server(Handler) as url:
        state.url = f"{url}/hook"
        yield state


@pytest.fixture
def mail_task(settings, django_capture_on_commit_callbacks):
    """Run what a request queued after its commit (the confirmation mail task) as the worker
    would: `with mail_task(): ...`."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


def mail_link(message) -> str:  # type: ignore[no-untyped-def]
    """The path of the inbox link a confirmation mail carries."""
    return re.search(r"https?://[^/\s]+(/alerts/inbox/\S+/)", message.body).group(1)


def verified(subscription: Subscription) -> Subscription:
    """`subscription` as after its endpoint answered the verification challenge: active."""
    Subscription.objects.filter(pk=subscription.pk).update(
        state=State.ACTIVE, confirmed_at=timezone.now()
    )
    return Subscription.objects.get(pk=subscription.pk)


def verified_without_asking(service, url, **kwargs) -> Subscription:  # type: ignore[no-untyped-def]
    """A webhook whose endpoint answered the challenge once (a name that resolved to a public
    address then, the demo receiver): active, as after a verification."""
    return verified(
        services.subscription_create(service=service, webhook_url=url, **kwargs).subscription
    )
