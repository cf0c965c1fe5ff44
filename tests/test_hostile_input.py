"""No input gives a server error: a property test over every route and every parameter.

The routes come from the URL resolver itself, so a new route is covered without editing
this file. Path converters get hostile strings (and sometimes a real id of the user's own
clip, so the view body runs too); every parameter any view or form reads gets hostile
values, sent as GET and POST, plain and as htmx, logged in and out. Any status of 500 or
more, or an exception escaping a view, fails the test.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.forms import BatchForm
from generations.forms import FORMS
from generations.models import Status
from generations.selectors import Filters
from sharing.tokens import token_for
from tests.factories import GenerationFactory

# Parameters read by views directly (beside the forms' and the gallery filters' fields).
VIEW_PARAMS = [
    "after",
    "v",
    "ids",
    "action",
    "all_formats",
    "expires_in_days",
    "show_prompt",
    "starred",
    "seed",
    "download",
    "input_video_seconds",
    "username",
    "password",
    "next",
    "recipe",
]
PARAMS = sorted(
    {*VIEW_PARAMS, *Filters.__dataclass_fields__}
    | {name for form in (*FORMS.values(), BatchForm) for name in form.base_fields}
)

HOSTILE = [
    "",
    "0",
    "-1",
    "-999999999999999999999999",
    "99999999999999999999999999999",
    str(2**63),
    str(-(2**63) - 1),
    "1e309",
    "nan",
    "inf",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "-0001-01-01",
    "2024-02-30",
    "9999-12-31T23:59:59",
    "not-a-uuid",
    str(uuid.uuid4()),
    "00000000-0000-0000-0000-000000000000",
    "\x00",
    "a\x00b",
    "%00",
    "x" * 10_000,
    "99999999999999999999999_" + str(uuid.uuid4()),
    "-99999999999999999999999_x",
    "1_",
    "_",
    "'; DROP TABLE generations_generation; --",
    "<script>alert(1)</script>",
    "\ud7ff\ufffe",
    "../../etc/passwd",
    "on",
    "true",
    "download",
    "delete",
    "text",
    "reference",
    "seedance2.0-4k",
    "16:9",
    "video",
    "poster",
    "last-frame",
    "video.mp4",
    "poster.jpg",
    "embed",
    "continue",
]
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=30),
)
# Every parameter in every request, each present or not, with one to three values.
PARAM_SETS = st.fixed_dictionaries(
    {}, optional={name: st.lists(values, min_size=1, max_size=3) for name in PARAMS}
)
# Converters take hostile text too; "/" would only resolve to another route.
segments = st.one_of(st.sampled_from(HOSTILE), st.text(min_size=1, max_size=30)).filter(
    lambda s: s and "/" not in s
)
_CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def _routes() -> list[tuple[str, str]]:
    """Every URL pattern as (route text, kind): "route" for path(), "regex" for re_path()."""
    found: list[tuple[str, str]] = []

    def walk(patterns: list, prefix: str, kind: str) -> None:
        for pattern in patterns:
            text = str(pattern.pattern)
            this = (
                "regex"
                if hasattr(pattern.pattern, "_regex") and not hasattr(pattern.pattern, "_route")
                else "route"
            )
            joined_kind = "regex" if "regex" in (kind, this) else "route"
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + text, joined_kind)
            elif isinstance(pattern, URLPattern):
                found.append((prefix + text, joined_kind))

    walk(get_resolver().url_patterns, "", "route")
    return found


ROUTES = _routes()


def _fill(route: str, kind: str, draw, own_ids: list[str]) -> str:
    if kind == "regex":
        # re_path patterns (the admin's): strip anchors and groups, fill each group.
        text = route.replace("^", "").replace("$", "").replace("\\Z", "")
        text = re.sub(r"\(\?P<\w+>[^)]*\)", lambda _: quote(draw(segments), safe=""), text)
        text = re.sub(r"\([^)]*\)", lambda _: quote(draw(segments), safe=""), text)
        return "/" + text.replace("\\", "")

    def one(match: re.Match) -> str:
        return quote(draw(st.one_of(st.sampled_from(own_ids), segments)), safe="")

    return "/" + _CONVERTER.sub(one, route)


@pytest.fixture
def world(user, local_media, no_broker):
    """One finished clip with files and a share link, and one running clip, of ``user``."""
    done = GenerationFactory(user=user, status=Status.SUCCEEDED)
    done.video.save("v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"x" * 100))
    done.poster.save("p.jpg", ContentFile(b"\xff\xd8\xff" + b"x" * 100))
    done.save()
    running = GenerationFactory(user=user, status=Status.RUNNING)
    link = done.share_links.create()
    return {"user": user, "ids": [str(done.pk), str(running.pk), str(link.pk), token_for(link)]}


ADMIN = [(route, kind) for route, kind in ROUTES if route.startswith("admin/")]
APP = [(route, kind) for route, kind in ROUTES if not route.startswith("admin/")]
_PROFILE = {
    # Fixed seed and bounded examples: CI sees the same inputs every run.
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@pytest.mark.parametrize(("route", "kind"), APP, ids=[r for r, _ in APP])
@settings(max_examples=25, **_PROFILE)
@given(data=st.data())
def test_no_input_gives_a_server_error(client, world, route, kind, data):
    _probe(client, world, route, kind, data)


@pytest.mark.parametrize(("route", "kind"), ADMIN, ids=[r for r, _ in ADMIN])
@settings(max_examples=4, **_PROFILE)
@given(data=st.data())
def test_no_input_gives_a_server_error_in_the_admin(client, world, route, kind, data):
    """Django's admin (staff only: everyone else is sent to its login) gets fewer
    examples: its views are Django's own."""
    _probe(client, world, route, kind, data)


def _probe(client, world, route, kind, data) -> None:
    path = _fill(route, kind, data.draw, world["ids"])
    params = data.draw(PARAM_SETS)
    if data.draw(st.booleans()):
        params.setdefault("ids", []).extend(world["ids"])
    method = data.draw(st.sampled_from(["get", "post"]))
    headers = {"HX-Request": "true"} if data.draw(st.booleans()) else {}
    if headers and data.draw(st.booleans()):
        headers["HX-Target"] = data.draw(st.sampled_from(["gallery-wrap", "detail-body", "card-x"]))
    if data.draw(st.booleans()):
        client.force_login(world["user"])
    else:
        client.logout()
    try:
        response = getattr(client, method)(path, params, headers=headers)
    except Exception as exc:  # the test client re-raises what a view raised: a 500
        pytest.fail(f"{method.upper()} {path} {params!r} {headers} raised {exc!r}")
    if path == "/readyz" and response.status_code == 503:
        # Readiness answers 503 by design when a dependency is down (here: no provider).
        assert response.json()["status"] == "failing"
        return
    assert response.status_code < 500, (method, path, params, headers, response.status_code)
