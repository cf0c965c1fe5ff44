"""Every route × every role: the exact answer each gets (issue 14's access matrix).

The rows come from the ``ROUTES`` of every ``tests/test_*_access.py``; the guard test fails
for a URL name that no row covers (or a row whose name no longer exists), so a new route
cannot ship without saying who may use it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import support
from tests.access_matrix import LOGIN, ROLES, Expected, Route, World
from tests.matrix_world import build_world, client_for

# Served outside the matrix: Django's admin has its own staff-only access rules.
EXCLUDED_NAMESPACES = {"admin"}


def access_modules() -> list[str]:
    return sorted(f"tests.{p.stem}" for p in Path(__file__).parent.glob("test_*_access.py"))


def all_routes() -> list[Route]:
    rows: list[Route] = []
    for name in access_modules():
        rows += getattr(importlib.import_module(name), "ROUTES", [])
    return rows


ROUTES = all_routes()


def url_names(patterns=None, namespace: str = "") -> set[str]:
    """Every URL name the resolver knows (``namespace:name``); an unnamed pattern is listed
    by its pattern, so it fails the guard too (a row cannot name it)."""
    names: set[str] = set()
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            if inner in EXCLUDED_NAMESPACES:
                continue
            prefix = f"{namespace}:{inner}" if namespace and inner else namespace or inner
            names |= url_names(entry.url_patterns, prefix)
        elif isinstance(entry, URLPattern):
            if entry.name:
                names.add(f"{namespace}:{entry.name}" if namespace else entry.name)
            else:
                names.add(f"<unnamed {entry.pattern}>")
    return names


def answer(response) -> Expected:
    """The response as a matrix value: LOGIN for a redirect to the login page."""
    if response.status_code == 302:
        target = urlparse(response["Location"]).path
        if target == resolve_url(settings.LOGIN_URL):
            return LOGIN
    return response.status_code


def request(world: World, role: str, route: Route):
    client = client_for(world, role)
    url = reverse(route.name, kwargs=route.kwargs(world))
    send = getattr(client, route.method.lower())
    response = send(url, route.data(world), headers=dict(route.headers))
    if response.streaming:
        # Read through the client's wrapper, which closes the file without closing the
        # test database's connection (as ``response.close()`` would).
        response.body = b"".join(response.streaming_content)
    return response


@pytest.fixture
def reachable(settings, simulator_url, redis_url, local_media, no_broker):
    """Every dependency up (readiness answers 200), files in a fresh folder, and tasks
    recorded rather than published."""
    settings.SEEDANCE_BASE_URL = simulator_url
    settings.SEEDANCE_API_KEY = support.SIM_KEY
    settings.REDIS_URL = redis_url
    return settings


def test_every_route_is_in_the_matrix():
    covered = {route.name for route in ROUTES}
    missing = url_names() - covered
    unknown = covered - url_names()
    assert not missing, f"routes with no row in a tests/test_*_access.py ROUTES: {sorted(missing)}"
    assert not unknown, f"rows naming no route (renamed?): {sorted(unknown)}"


def test_row_ids_are_unique():
    ids = [route.id for route in ROUTES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.id)
def test_each_role_gets_its_exact_answer(route: Route, db, reachable):
    shared = None if route.fresh else build_world()
    wrong: dict[str, str] = {}
    for role in ROLES:
        world = build_world() if shared is None else shared
        response = request(world, role, route)
        got = answer(response)
        if got != route.expect[role]:
            wrong[role] = f"expected {route.expect[role]}, got {got}"
        elif route.check is not None:
            route.check(world, role, response)
    assert not wrong, f"{route.id}: {wrong}"
