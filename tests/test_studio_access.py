"""Matrix rows for the project-level routes: health probes and signing in and out."""

from __future__ import annotations

from tests.access_matrix import LOGIN, Route, everyone

ROUTES = [
    Route("healthz", everyone(200)),
    Route("readyz", everyone(200)),
    Route("login", everyone(200)),
    Route(
        "login",
        everyone(200),
        method="POST",
        label="wrong password",
        data=lambda w: {"username": w.users["editor"].username, "password": "wrong"},
    ),
    Route("logout", everyone(405), label="a GET never signs out"),
    Route("logout", everyone(LOGIN), method="POST"),
]
