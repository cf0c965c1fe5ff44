"""Matrix rows for the export routes (``exports:*``).

A clip's export list is for anyone who may view the clip; requesting an export makes new
media, so it takes "generate" (editors and up); its files are downloads ("download",
every member, and the project's gate). Another workspace's clip or export is 404."""

from __future__ import annotations

from exports.models import Export
from tests.access_matrix import Route, World, ladder
from workspaces.access import ABILITIES


def requested_if_allowed(world: World, role: str, response) -> None:
    made = Export.objects.filter(generation=world.clip).exclude(pk=world.export.pk)
    allowed = role in ABILITIES and "generate" in ABILITIES[role]
    assert made.exists() == allowed, role


def served_with_the_template_name(world: World, role: str, response) -> None:
    if response.status_code == 200:
        assert "attachment" in response["Content-Disposition"]
        assert ".srt" in response["Content-Disposition"]


ROUTES = [
    Route("exports:list", ladder("view", 200), kwargs=lambda w: {"pk": w.clip.pk}),
    Route(
        "exports:list",
        ladder("view", 404, denied=404, outsider=200),
        kwargs=lambda w: {"pk": w.outsider_clip.pk},
        label="the outsider's own clip",
    ),
    Route(
        "exports:create",
        ladder("generate", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.clip.pk},
        data=lambda w: {"preset": "tiktok", "fit": "pad"},
        check=requested_if_allowed,
    ),
    Route(
        "exports:file",
        ladder("download", 200),
        kwargs=lambda w: {"pk": w.export.pk, "kind": "srt"},
        check=served_with_the_template_name,
    ),
    Route(
        "exports:file",
        ladder("download", 404),
        kwargs=lambda w: {"pk": w.export.pk, "kind": "nope"},
        label="no such kind",
    ),
]
