"""Web security properties: owner-scoped lookups on every route, headers, CSRF, login
throttling, and the provider key never reaching a page or a log line."""

from __future__ import annotations

import logging

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import get_resolver, reverse

from generations.models import Generation, Status
from sharing import services as share_services
from sharing.models import Comment, ProjectReviewLink
from tests.factories import GenerationFactory

SECRET = "sk-live-supersecret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_broker(no_broker):
    return no_broker


@pytest.fixture
def theirs(other_user, local_media):
    generation = GenerationFactory(user=other_user, prompt="theirs", status=Status.SUCCEEDED)
    for field in ("video", "poster", "last_frame"):
        getattr(generation, field).save(f"{field}.bin", ContentFile(b"data"), save=False)
    generation.save()
    return generation


# Every URL name that takes a generation id, with how to call it.
GENERATION_ROUTES = {
    "generations:detail": ("get", {}),
    "generations:cancel": ("post", {}),
    "generations:rerun": ("post", {}),
    "generations:star": ("post", {}),
    "generations:delete": ("post", {}),
    "generations:iterate": ("get", {"how": "edit"}),
    "generations:move": ("post", {}),
    "sharing:create": ("post", {}),
    "sharing:revoke": ("post", {"link_id": "LINK"}),
    "generations:file": ("get", {"kind": "video"}),
    "generations:compare": ("get", {"other": "THEIRS"}),
    "sharing:review_status": ("post", {}),
    "sharing:comment": ("post", {}),
    "sharing:comment_resolve": ("post", {"comment_id": "COMMENT"}),
    "sharing:review_live": ("get", {}),
    # These take the clip's project (placeholders filled in by the test).
    "sharing:project_link_create": ("post", {"pk": "PROJECT"}),
    "sharing:project_link_revoke": ("post", {"pk": "PROJECT", "link_id": "PROJECT_LINK"}),
}


def test_every_generation_route_is_covered_by_the_isolation_test():
    names = {
        f"{include.namespace}:{p.name}"
        for include in get_resolver().url_patterns
        if getattr(include, "namespace", None) in {"generations", "sharing"}
        for p in include.url_patterns
        if "<uuid:pk>" in str(p.pattern)
    }
    assert names == set(GENERATION_ROUTES)


CASES = [(name, None) for name in sorted(GENERATION_ROUTES) if name != "generations:file"] + [
    ("generations:file", kind) for kind in ("video", "poster", "last-frame")
]


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_another_users_generation_is_404_on_every_route(client, user, theirs, name, kind):
    method, extra = GENERATION_ROUTES[name]
    kwargs = {"pk": theirs.pk, **({"kind": kind} if kind else extra)}
    if kwargs.get("link_id") == "LINK":
        kwargs["link_id"] = share_services.share_create(generation=theirs).pk
    if kwargs.get("other") == "THEIRS":
        kwargs["other"] = theirs.pk
    if kwargs.get("comment_id") == "COMMENT":
        kwargs["comment_id"] = Comment.objects.create(generation=theirs, body="x", start=1).pk
    if kwargs.get("pk") == "PROJECT":
        kwargs["pk"] = theirs.project_id
    if kwargs.get("link_id") == "PROJECT_LINK":
        kwargs["link_id"] = ProjectReviewLink.objects.create(project_id=theirs.project_id).pk
    client.force_login(user)
    response = getattr(client, method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.SUCCEEDED
    assert not theirs.starred
    assert theirs.share_links.filter(revoked_at__isnull=False).count() == 0
    assert theirs.review_status == "draft"
    assert not Comment.objects.filter(generation=theirs, resolved_at__isnull=False).exists()
    assert not ProjectReviewLink.objects.filter(revoked_at__isnull=False).exists()
    assert Comment.objects.filter(generation=theirs).count() == (name == "sharing:comment_resolve")


@pytest.mark.parametrize("action", ["delete", "download"])
def test_bulk_actions_never_reach_another_users_clips(
    client, user, theirs, action, django_capture_on_commit_callbacks
):
    import io
    import zipfile

    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("generations:bulk"), {"action": action, "ids": [theirs.pk]})
    assert Generation.objects.filter(pk=theirs.pk).exists()
    assert theirs.video.storage.exists(theirs.video.name)
    if action == "download":
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert archive.namelist() == []


def test_mutations_need_the_csrf_token(user, theirs):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(theirs.user)
    url = reverse("generations:cancel", args=[theirs.pk])
    assert strict.post(url).status_code == 403
    page = strict.get("/").content.decode()
    token = page.split('"x-csrftoken": "')[1].split('"')[0]
    assert strict.post(url, HTTP_X_CSRFTOKEN=token).status_code == 302


def test_pages_send_a_strict_content_security_policy(client, user):
    client.force_login(user)
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    html = response.content.decode()
    assert "<script>" not in html and "hx-on" not in html
    assert '"allowEval": false' in html


def test_login_is_throttled_after_repeated_failures(client, user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    locked = client.post(
        "/accounts/login/", {"username": user.username, "password": "correct horse battery"}
    )
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()


def test_the_provider_key_never_reaches_pages_or_logs(
    client, user, settings, caplog, simulator_url
):
    settings.SEEDANCE_API_KEY = SECRET
    settings.SEEDANCE_BASE_URL = simulator_url
    client.force_login(user)
    from generations import services

    generation = services.generation_create(
        user=user,
        data={
            "mode": "text",
            "model": "seedance2.0-480p",
            "prompt": "key test",
            "duration": 5,
            "aspect_ratio": "16:9",
            "seed": 1,
        },
    )
    with caplog.at_level(logging.DEBUG):
        services.generation_submit(generation.pk)  # the simulator refuses this key: 401
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    from sharing.tokens import token_for

    link = share_services.share_create(generation=generation)
    pages = [
        client.get("/accounts/login/").content,
        client.get(f"/s/{token_for(link)}/").content,
        client.get(
            reverse("generations:detail", args=[generation.pk]),
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="detail-body",
        ).content,
        client.get("/").content,
        client.get(reverse("generations:detail", args=[generation.pk])).content,
        client.get(reverse("generations:live") + "?v=0").content,
        client.get(reverse("generations:new_form") + "?mode=reference").content,
    ]
    for body in pages:
        assert SECRET.encode() not in body
    assert SECRET not in caplog.text
    assert SECRET not in generation.error_message
    assert "API key" in generation.error_message


def _create(user, **overrides):
    from generations import services

    data = {
        "mode": "text",
        "model": "seedance2.0-480p",
        "prompt": "limit",
        "duration": 5,
        "aspect_ratio": "16:9",
        "seed": 1,
        **overrides,
    }
    return services.generation_create(user=user, data=data)


def test_in_flight_limit_names_the_limit(user, settings):
    from generations.services import LimitExceeded

    settings.STUDIO_MAX_IN_FLIGHT = 2
    _create(user)
    _create(user)
    with pytest.raises(LimitExceeded) as caught:
        _create(user)
    assert "2 videos in progress" in str(caught.value)
    assert Generation.objects.filter(user=user).count() == 2


def test_per_minute_limit_says_when_it_resets(user, settings):
    from generations.services import LimitExceeded

    settings.STUDIO_MAX_IN_FLIGHT = 0
    settings.STUDIO_MAX_PER_MINUTE = 3
    for _ in range(3):
        _create(user)
    with pytest.raises(LimitExceeded) as caught:
        _create(user)
    assert "at most 3 videos per minute" in str(caught.value)
    assert "Try again in" in str(caught.value)


def test_daily_spend_limit_uses_the_estimate(client, user, settings):
    settings.STUDIO_MAX_IN_FLIGHT = 0
    settings.STUDIO_MAX_SPEND_PER_DAY = 1.0
    client.force_login(user)
    form = {
        "mode": "text",
        "model": "seedance2.0-1080p",
        "prompt": "pricey",
        "duration": "15",
        "aspect_ratio": "16:9",
    }
    response = client.post(reverse("generations:create"), form, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "past the $1.00 limit" in html and "resets" in html
    assert Generation.objects.count() == 0


def test_tasks_carry_only_the_generation_id(monkeypatch):
    from celery import current_app

    from generations import scheduling

    sent = []
    monkeypatch.undo()  # this module's autouse no_broker replaced the publishing itself
    monkeypatch.setattr(
        current_app,
        "send_task",
        lambda name, args=None, **options: sent.append((name, args, options)),
    )
    scheduling.schedule("1234", "submit")
    ((name, args, kwargs),) = sent
    assert name == "generations.tasks.submit_generation"
    assert args == ("1234",)
    assert set(kwargs) == {"countdown", "expires"}


def test_no_view_is_csrf_exempt():
    from pathlib import Path

    from django.conf import settings

    for folder in ("generations", "studio"):
        for path in (Path(settings.BASE_DIR) / folder).rglob("*.py"):
            assert "csrf_exempt" not in path.read_text(), path


def test_production_can_hand_local_files_to_the_web_server(client, user, theirs, settings):
    settings.MEDIA_SENDFILE_HEADER = "X-Accel-Redirect"
    client.force_login(theirs.user)
    response = client.get(reverse("generations:file", args=[theirs.pk, "video"]))
    assert response["X-Accel-Redirect"] == "/protected-media/" + theirs.video.name
    assert response.content == b""
    client.force_login(user)  # the permission check still comes first
    assert client.get(reverse("generations:file", args=[theirs.pk, "video"])).status_code == 404
