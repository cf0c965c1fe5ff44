"""Outgoing webhooks against a real HTTP receiver: signatures checked by the receiving
side's own ``Webhook.verify``, retries with backoff, final failures, the Slack payload,
the URL guard (never a private address, not even through a redirect), the delivery log
and the generation events. The task's one service, ``deliver``, is called the way the
task calls it, with the delays it returns honoured."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from generations.models import Status
from generations.services.lifecycle import fail
from studiolib import errors
from tests.factories import GenerationFactory
from tests.webhook_receiver import Receiver
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, Endpoint
from workspaces.models import Membership, Role
from workspaces.services import personal_workspace, workspace_create


@pytest.fixture
def published(monkeypatch) -> list:
    """What would go to the broker: (delivery id, delay)."""
    sent: list = []
    monkeypatch.setattr(services, "publish", lambda pk, delay: sent.append((pk, delay)))
    return sent


@pytest.fixture
def fast(settings):
    settings.WEBHOOK_RETRY_SECONDS = 0.3
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_READ_TIMEOUT = 0.5
    settings.SEEDANCE_RESULT_ALLOW_LOOPBACK = True
    return settings


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def start(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs).start())
        return made[-1]

    yield start
    for one in made:
        one.stop()


@pytest.fixture
def team(user):
    workspace = workspace_create(user=user, name="Agency")
    return workspace


def endpoint_for(workspace, url: str, *, events=("generation.succeeded",), fmt="standard"):
    return services.endpoint_create(
        workspace=workspace, actor=None, url=url, events=list(events), fmt=fmt
    )


def run(delivery_id) -> list[float]:
    """Drive the delivery as the task chain would: each returned delay is waited out."""
    delays: list[float] = []
    while (delay := services.deliver(delivery_id=delivery_id)) is not None:
        delays.append(delay)
        time.sleep(delay)
    return delays


def secret_on_page(html: str) -> str:
    found = re.search(r"data-secret>(whsec_[A-Za-z0-9+/=]+)<", html)
    assert found, "the secret is shown once after adding"
    return found.group(1)


def test_added_through_the_page_and_verified_by_the_receiver(
    client, user, team, fast, receiver, published, django_capture_on_commit_callbacks
):
    hook = receiver()
    client.force_login(user)
    client.post(reverse("workspaces:switch", args=[team.pk]))
    page = client.post(
        reverse("webhooks:endpoint_create"),
        {
            "url": hook.url,
            "events": ["generation.succeeded", "clip.approved"],
            "format": "standard",
        },
    )
    hook.secret = secret_on_page(page.content.decode())
    assert Endpoint.objects.get(workspace=team).secret == hook.secret
    assert client.get(reverse("webhooks:endpoints")).content.decode().count(hook.secret) == 0

    with django_capture_on_commit_callbacks(execute=True):
        rows = services.emit(
            workspace_id=team.pk, event="clip.approved", data={"clip": "c1", "title": "Spot"}
        )
        services.emit(workspace_id=team.pk, event="clip.comment_added", data={"x": 1})
    assert [pk for pk, _ in published] == [str(rows[0].pk)]  # not chosen: nothing recorded

    assert run(rows[0].pk) == []
    got = hook.received[0]
    assert got.error == "" and got.verified == {
        "type": "clip.approved",
        "timestamp": got.verified["timestamp"],
        "data": {"clip": "c1", "title": "Spot"},
    }
    assert got.headers["webhook-id"] == f"msg_{rows[0].pk.hex}"
    row = Delivery.objects.get(pk=rows[0].pk)
    assert (row.status, row.attempts, row.response_code) == (DeliveryStatus.SUCCEEDED, 1, 200)


def test_the_receivers_check_refuses_another_secret(team, fast, receiver):
    """The check above can fail: a receiver holding another endpoint's secret refuses."""
    hook = receiver()
    endpoint_for(team, hook.url)
    hook.secret = endpoint_for(team, "http://127.0.0.1:9/other").secret
    row = services.send_test(endpoint=Endpoint.objects.get(url=hook.url), actor=None)
    run(row.pk)
    assert hook.received[0].verified is None
    assert hook.received[0].error == "No matching signature found"


def test_retried_with_backoff_until_the_receiver_takes_it(team, fast, receiver):
    hook = receiver(codes=[500, 503, 200])
    endpoint = endpoint_for(team, hook.url)
    hook.secret = endpoint.secret
    row = services.send_test(endpoint=endpoint, actor=None)

    assert services.deliver(delivery_id=row.pk) == pytest.approx(0.3)
    waiting = Delivery.objects.get(pk=row.pk)
    assert (waiting.status, waiting.attempts, waiting.response_code) == ("pending", 1, 500)
    assert waiting.next_attempt_at is not None and waiting.last_error == "HTTP 500"
    # Not due yet: an early redelivery sends nothing and is told to wait.
    early = services.deliver(delivery_id=row.pk)
    assert 0 < early <= 0.3
    assert len(hook.received) == 1
    time.sleep(early)

    assert run(row.pk) == [pytest.approx(0.6)]  # doubled after the second failure
    done = Delivery.objects.get(pk=row.pk)
    assert (done.status, done.attempts, done.response_code) == ("succeeded", 3, 200)
    assert done.next_attempt_at is None
    assert len({got.headers["webhook-id"] for got in hook.received}) == 1
    assert all(got.verified for got in hook.received)
    first, second, third = (got.at for got in hook.received)
    assert second - first >= 0.3 and third - second >= 0.6


def test_a_timeout_and_429_are_retried(team, fast, receiver):
    hook = receiver(codes=[200, 429, 204], stalls=[1.0, 0.0])
    row = services.send_test(endpoint=endpoint_for(team, hook.url), actor=None)
    assert run(row.pk) == [pytest.approx(0.3), pytest.approx(0.6)]
    done = Delivery.objects.get(pk=row.pk)
    assert (done.status, done.attempts, done.response_code) == ("succeeded", 3, 204)


@pytest.mark.parametrize("code", [400, 404, 410])
def test_a_refusal_is_final(team, fast, receiver, code):
    hook = receiver(codes=[code])
    row = services.send_test(endpoint=endpoint_for(team, hook.url), actor=None)
    assert run(row.pk) == []
    done = Delivery.objects.get(pk=row.pk)
    assert (done.status, done.attempts, done.response_code) == ("failed", 1, code)
    assert len(hook.received) == 1


def test_gives_up_after_the_last_attempt(team, fast, receiver):
    hook = receiver(codes=[502])
    row = services.send_test(endpoint=endpoint_for(team, hook.url), actor=None)
    assert run(row.pk) == [pytest.approx(0.3), pytest.approx(0.6), pytest.approx(1.2)]
    done = Delivery.objects.get(pk=row.pk)
    assert (done.status, done.attempts, done.response_code) == ("failed", 4, 502)
    assert done.finished_at is not None and len(hook.received) == 4
    assert services.deliver(delivery_id=row.pk) is None and len(hook.received) == 4


def test_slack_payload(team, fast, receiver):
    hook = receiver()
    endpoint = endpoint_for(team, hook.url, events=["generation.failed"], fmt="slack")
    hook.secret = endpoint.secret
    data = {"prompt": "A fox <!channel> & friends", "url": "https://studio.example/g/1"}
    (row,) = services.emit(workspace_id=team.pk, event="generation.failed", data=data)
    run(row.pk)
    got = hook.received[0]
    text = (
        "A generation failed: A fox &lt;!channel&gt; &amp; friends "
        "<https://studio.example/g/1|Open in the studio>"
    )
    assert got.verified == {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }
    assert got.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:192.168.1.1]/hook",
        "http://user:pw@127.0.0.1/hook",
        "ftp://127.0.0.1/hook",
    ],
)
def test_private_addresses_are_a_field_error(client, user, fast, url):
    client.force_login(user)
    page = client.post(
        reverse("webhooks:endpoint_create"),
        {"url": url, "events": ["generation.failed"], "format": "standard"},
    )
    assert page.status_code == 200
    assert "This address cannot receive webhooks" in page.content.decode()
    assert not Endpoint.objects.exists()


def test_loopback_is_refused_outside_local_runs(client, user, settings):
    settings.SEEDANCE_RESULT_ALLOW_LOOPBACK = False
    client.force_login(user)
    for url in ("http://127.0.0.1:8000/hook", "https://127.0.0.1/hook", "https://localhost/h"):
        page = client.post(
            reverse("webhooks:endpoint_create"),
            {"url": url, "events": ["generation.failed"], "format": "standard"},
        )
        assert "This address cannot receive webhooks" in page.content.decode(), url
    assert not Endpoint.objects.exists()


def test_a_redirect_to_a_private_address_is_never_followed(team, fast, receiver):
    inside = "http://10.1.2.3/steal"
    hook = receiver(codes=[307], redirect_to=inside)
    row = services.send_test(endpoint=endpoint_for(team, hook.url), actor=None)
    assert run(row.pk) == []
    done = Delivery.objects.get(pk=row.pk)
    assert done.status == "failed" and done.attempts == 1
    assert done.last_error.startswith("refused: the host 10.1.2.3 has a private address")


def test_a_redirect_to_a_public_place_is_followed_and_signed(team, fast, receiver):
    final = receiver()
    hook = receiver(codes=[308], redirect_to=final.url + "?moved=1")
    endpoint = endpoint_for(team, hook.url)
    final.secret = endpoint.secret
    row = services.send_test(endpoint=endpoint, actor=None)
    run(row.pk)
    assert final.received[0].path == "/hook?moved=1" and final.received[0].verified
    assert Delivery.objects.get(pk=row.pk).status == "succeeded"


def test_a_stored_endpoint_whose_address_became_private_is_refused(team, fast, receiver):
    """The guard runs again at every send, not only when the endpoint was added."""
    hook = receiver()
    endpoint = endpoint_for(team, hook.url)
    fast.SEEDANCE_RESULT_ALLOW_LOOPBACK = False
    row = services.send_test(endpoint=endpoint, actor=None)
    assert run(row.pk) == []
    assert Delivery.objects.get(pk=row.pk).status == "failed"
    assert hook.received == []


def test_the_log_and_the_test_button(
    client, user, team, fast, receiver, published, django_capture_on_commit_callbacks
):
    hook = receiver(codes=[500])
    endpoint = endpoint_for(team, hook.url)
    client.force_login(user)
    client.post(reverse("workspaces:switch", args=[team.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("webhooks:endpoint_test", args=[endpoint.pk]))
    assert answer.status_code == 302
    (row,) = Delivery.objects.filter(endpoint=endpoint, event="webhook.test")
    assert published == [(str(row.pk), 0)]
    services.deliver(delivery_id=row.pk)
    page = client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    row.refresh_from_db()
    assert f'data-delivery="{row.pk}"' in page
    assert 'data-status="pending"' in page and "HTTP 500" in page
    assert row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") in page
    assert endpoint.secret not in page


def test_a_reviewer_or_editor_may_not_manage(client, team, user):
    from tests.factories import UserFactory

    for role in (Role.EDITOR, Role.REVIEWER, Role.VIEWER):
        member = UserFactory()
        Membership.objects.create(workspace=team, user=member, role=role)
        client.force_login(member)
        client.post(reverse("workspaces:switch", args=[team.pk]))
        answer = client.post(
            reverse("webhooks:endpoint_create"),
            {"url": "http://127.0.0.1:9/x", "events": ["clip.approved"], "format": "standard"},
        )
        assert answer.status_code == 403, role
    assert not Endpoint.objects.exists()


def test_a_failed_generation_is_emitted_on_commit(
    user, fast, published, django_capture_on_commit_callbacks
):
    workspace = personal_workspace(user)
    wants = endpoint_for(workspace, "http://127.0.0.1:9/a", events=["generation.failed"])
    endpoint_for(workspace, "http://127.0.0.1:9/b", events=["generation.succeeded"])
    clip = GenerationFactory(user=user, status=Status.RUNNING, prompt="Sunset")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fail(clip.pk, (Status.RUNNING,), errors.Reason("x", "Boom", "maybe"))
        assert published == []  # nothing leaves before the change commits
    for callback in callbacks:
        callback()
    (row,) = Delivery.objects.all()
    assert row.endpoint == wants and row.event == "generation.failed"
    assert published == [(str(row.pk), 0)]
    body = json.loads(row.body)["data"]
    assert body["generation_id"] == str(clip.pk) and body["status"] == "failed"
    assert body["url"].endswith(f"/generations/{clip.pk}/")


def test_a_claimed_delivery_is_sent_once_and_a_lost_one_is_swept(team, fast, receiver, published):
    hook = receiver()
    row = services.send_test(endpoint=endpoint_for(team, hook.url), actor=None)
    # A worker claimed it and was lost mid-send: while its claim holds nobody sends it.
    Delivery.objects.filter(pk=row.pk).update(
        status="sending", attempts=1, next_attempt_at=timezone.now() + timedelta(seconds=60)
    )
    assert services.deliver(delivery_id=row.pk) is None
    assert services.sweep() == 0 and hook.received == []
    # Once the claim lapses the sweeper publishes it and the next attempt sends it.
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert services.sweep() == 1 and published == [(str(row.pk), 0)]
    assert services.deliver(delivery_id=row.pk) is None
    done = Delivery.objects.get(pk=row.pk)
    assert (done.status, done.attempts, len(hook.received)) == ("succeeded", 2, 1)
    assert services.sweep() == 0
