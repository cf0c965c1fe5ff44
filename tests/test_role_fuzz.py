"""No role meets a server error: any member role, the outsider or nobody, on any row of
the route × role matrix, with the row's own objects and hostile extra parameters (those
of the hostile-input test), each on a fresh world, sent as the row's method, plain or as htmx."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.access_matrix import ROLES
from tests.matrix_world import build_world, client_for
from tests.test_hostile_input import HOSTILE, PARAMS
from tests.test_route_matrix import ROUTES

# Readiness answers 503 by design while a dependency is down (none runs here).
FUZZED = [route for route in ROUTES if route.name != "readyz"]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(FUZZED),
    role=st.sampled_from(ROLES),
    extra=st.dictionaries(st.sampled_from(PARAMS), st.sampled_from(HOSTILE), max_size=4),
    htmx=st.booleans(),
)
def test_no_role_gets_a_server_error(db, local_media, no_broker, route, role, extra, htmx):
    world = build_world()  # each example its own, so an earlier delete hides nothing
    client = client_for(world, role)
    url = reverse(route.name, kwargs=route.kwargs(world))
    headers = {**route.headers, **({"HX-Request": "true"} if htmx else {})}
    send = getattr(client, route.method.lower())
    response = send(url, {**route.data(world), **extra}, headers=headers)
    if response.streaming:
        b"".join(response.streaming_content)
    assert response.status_code < 500, (route.id, role, extra)
