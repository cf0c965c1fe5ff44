"""Matrix rows for the webhook routes (``webhooks:*``).

An endpoint receives everything that happens in its workspace, so every page and action
takes "manage" (admin, owner). The list and the add form are about the current workspace:
the outsider gets their own personal one, where they are the owner (200). An endpoint of
the team is 404 for the outsider. Each check asserts the change happened exactly when
allowed, and that a role without "manage" never sees the secret."""

from __future__ import annotations

from tests.access_matrix import Route, World, ladder
from webhooks.models import Delivery, Endpoint
from workspaces.access import ABILITIES

NEW_URL = "http://127.0.0.1:9/new-hook"


def may(role: str, ability: str) -> bool:
    return role in ABILITIES and ability in ABILITIES[role]


def created_if_allowed(world: World, role: str, response) -> None:
    made = Endpoint.objects.filter(workspace=world.workspace, url=NEW_URL)
    assert made.exists() == may(role, "manage"), role
    if role == "outsider":  # made in their own personal workspace, never in the team's
        assert Endpoint.objects.filter(workspace=world.outsider_workspace, url=NEW_URL).exists()
    if made.exists():
        assert made.get().secret in response.content.decode(), "the secret is shown once"


def secret_never_on_the_log(world: World, role: str, response) -> None:
    assert world.webhook.secret not in response.content.decode(), role


def sent_if_allowed(world: World, role: str, response) -> None:
    sent = Delivery.objects.filter(endpoint=world.webhook, event="webhook.test")
    assert sent.exists() == may(role, "manage"), role


def deleted_if_allowed(world: World, role: str, response) -> None:
    gone = not Endpoint.objects.filter(pk=world.webhook.pk).exists()
    assert gone == may(role, "manage"), role


ROUTES = [
    Route("webhooks:endpoints", ladder("manage", 200, outsider=200)),
    Route(
        "webhooks:endpoint_create",
        ladder("manage", 200, outsider=200),
        method="POST",
        label="no data: the form again",
    ),
    Route(
        "webhooks:endpoint_create",
        ladder("manage", 200, outsider=200),
        method="POST",
        data=lambda w: {"url": NEW_URL, "events": ["generation.failed"], "format": "slack"},
        check=created_if_allowed,
    ),
    Route(
        "webhooks:endpoint",
        ladder("manage", 200),
        kwargs=lambda w: {"pk": w.webhook.pk},
        check=secret_never_on_the_log,
    ),
    Route(
        "webhooks:endpoint_test",
        ladder("manage", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.webhook.pk},
        check=sent_if_allowed,
    ),
    Route(
        "webhooks:endpoint_delete",
        ladder("manage", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.webhook.pk},
        check=deleted_if_allowed,
    ),
]
