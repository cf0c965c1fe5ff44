"""Liveness (/healthz, no outside calls) and readiness (/readyz, every dependency)."""

from __future__ import annotations

import json

import pytest

from studio import health
from tests import support


@pytest.fixture(autouse=True)
def _fresh_provider_cache():
    health._provider_cache.clear()
    yield
    health._provider_cache.clear()


@pytest.fixture
def reachable(settings, simulator_url, redis_url):
    """Every dependency up: the test simulator (which accepts only its key) and Redis."""
    settings.SEEDANCE_BASE_URL = simulator_url
    settings.SEEDANCE_API_KEY = support.SIM_KEY
    settings.REDIS_URL = redis_url
    return settings


def test_healthz_is_liveness_and_touches_nothing(client, settings):
    """No ``db`` fixture: any database access would raise here."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # down, and it must not matter
    settings.SEEDANCE_BASE_URL = "http://127.0.0.1:1"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_everything_is_up(client, db, reachable):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert {name: c["status"] for name, c in body["components"].items()} == {
        "database": "ok",
        "broker": "ok",
        "storage": "ok",
        "provider": "ok",
        "polls": "ok",
    }


def test_readyz_is_degraded_while_polls_of_sent_generations_are_refused(
    client, db, reachable, user
):
    """The key may pass the probe yet be refused on polls (or a quota runs out): the
    clips keep billing while the studio cannot see them, so operators must see it."""
    from django.utils import timezone

    from tests.factories import GenerationFactory

    GenerationFactory(
        user=user, status="running", upstream_problem="auth", upstream_problem_since=timezone.now()
    )
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    polls = body["components"]["polls"]
    assert polls["status"] == "degraded"
    assert polls["message"].startswith("1 running generation(s), since ")
    assert "fix SEEDANCE_API_KEY" in polls["message"]


def test_readyz_is_503_and_plain_when_the_broker_is_down(client, db, reachable):
    reachable.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    broker = response.json()["components"]["broker"]
    assert broker == {"status": "failing", "message": "the broker (Redis) cannot be reached"}
    _no_exception_names(response)


def test_readyz_says_when_the_provider_refuses_our_key(client, db, reachable):
    reachable.SEEDANCE_API_KEY = "sk-rotated-away"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["components"]["provider"] == {
        "status": "failing",
        "message": "the provider refused our API key",
    }
    reachable.SEEDANCE_BASE_URL = "http://127.0.0.1:1"
    response = client.get("/readyz")
    assert response.json()["components"]["provider"]["message"] == (
        "the provider cannot be reached"
    )
    _no_exception_names(response)


def test_readyz_hides_what_a_failing_database_raised(client, db, reachable, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("password authentication failed for user secret_user")

    monkeypatch.setattr(health, "_database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["components"]["database"]["message"] == (
        "the database cannot be reached"
    )
    _no_exception_names(response)
    assert b"secret_user" not in response.content


def test_a_non_critical_check_degrades_without_failing():
    def refused() -> None:
        raise health.Failing("the provider refused our polls recently")

    ready, body = health.run_checks(
        [health.Check("db", lambda: None, "x"), health.Check("polls", refused, "x", False)]
    )
    assert ready
    assert body["status"] == "degraded"
    assert body["components"]["polls"]["status"] == "degraded"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_work_over_http_from_any_host_in_production(client, db, reachable, path):
    """A load balancer probes the backend's own address over plain HTTP."""
    reachable.DEBUG = False
    reachable.ALLOWED_HOSTS = ["studio.example.com"]
    reachable.SECURE_SSL_REDIRECT = True
    response = client.get(path, HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200, response.content
    # Everything else still gets the host check and the redirect.
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400
    redirected = client.get("/accounts/login/", HTTP_HOST="studio.example.com")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")


def _no_exception_names(response) -> None:
    text = json.dumps(response.json())
    for name in ("Error", "Exception", "Traceback", "refused", "Errno"):
        if name == "refused" and "refused our API key" in text:
            continue
        assert name not in text, text
