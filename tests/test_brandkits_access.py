"""Matrix rows for the brand kit routes (``brandkits:*``).

Every member may look at the current workspace's kit ("view"); changing it takes
"manage" (admins and the owner), like the workspace's other shared settings. The page is
about the current workspace, so the outsider gets their own personal one (200; a save
changes their kit, never the team's). The logo is the team's: the outsider's workspace
has none (404)."""

from __future__ import annotations

from brandkits.models import BrandKit
from tests.access_matrix import Route, World, ladder
from workspaces.access import ABILITIES

DATA = {
    "brand_name": "Renamed brand",
    "logo_corner": "bottom_left",
    "pad_colour": "#223344",
    "caption_colour": "#FFFFFF",
    "caption_box_colour": "#000000",
    "bundled_font": "",
    "end_card_colour": "#000000",
    "end_card_seconds": "2",
    "ai_label_text": "AI-generated",
    "file_name_template": "{brand}_{date}_v{n}",
}


def changed_if_allowed(world: World, role: str, response) -> None:
    kit = BrandKit.objects.get(workspace=world.workspace)
    allowed = role in ABILITIES and "manage" in ABILITIES[role]
    assert (kit.brand_name == "Renamed brand") == allowed, role
    if role == "outsider":
        assert BrandKit.objects.get(workspace=world.outsider_workspace).brand_name == (
            "Renamed brand"
        )


ROUTES = [
    Route("brandkits:kit", ladder("view", 200, outsider=200)),
    Route(
        "brandkits:kit",
        ladder("manage", 302, outsider=302),
        method="POST",
        data=lambda w: DATA,
        check=changed_if_allowed,
    ),
    Route("brandkits:logo", ladder("view", 200, outsider=404)),
]
