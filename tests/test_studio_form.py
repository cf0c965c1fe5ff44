"""The server side of the studio form: tier facts, reference slots, recent prompts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generations import forms, selectors
from studiolib import tiers
from tests.factories import GenerationFactory, UserFactory, clips_of

pytestmark = pytest.mark.django_db


def test_tier_cards_say_resolution_speed_and_price_per_second():
    cards = {card.radio.data["value"]: card for card in forms.TextForm().tier_cards}
    assert set(cards) == {t.model for t in tiers.enabled_tiers()}
    fast = cards["seedance2.0-fast-720p"]
    assert (fast.name, fast.resolution) == ("Fast", "720p")
    ten_seconds = tiers.estimate_cost(
        model="seedance2.0-fast-720p", aspect_ratio="16:9", duration=10
    )
    assert fast.price_per_second == pytest.approx(ten_seconds / 10)
    assert fast.speed.startswith("~")
    assert cards["seedance2.0-480p"].price_per_second < cards["seedance2.0-1080p"].price_per_second


def test_the_form_renders_tier_cards_ratio_chips_a_slider_and_switches(client, user):
    client.force_login(user)
    html = client.get("/").content.decode()
    assert 'type="radio" name="model" value="seedance2.0-720p"' in html
    assert 'type="radio" name="aspect_ratio" value="9:16"' in html
    assert 'type="range" name="duration"' in html
    # Only the preset picker and the project (a team may have dozens) are selects.
    form = html.split('id="new-form"')[1].split("</form>")[0]
    assert "<select" not in form.replace('<select id="preset-pick"', "").replace(
        '<select name="project" id="id_project"', ""
    )
    assert html.count('class="switch"') == 5


def test_each_upload_slot_knows_its_kind_and_its_reuse_picker():
    slots = {s["field"].name: s for s in forms.FirstLastForm().reference_slots}
    assert list(slots) == ["first_frame", "last_frame"]
    assert slots["first_frame"]["reuse"].name == "first_frame_from"
    assert slots["first_frame"]["kind"] == "image"
    reference = {s["field"].name: s for s in forms.ReferenceForm().reference_slots}
    assert [reference[n]["kind"] for n in ("images", "videos", "audios")] == [
        "image",
        "video",
        "audio",
    ]
    assert reference["videos"]["reuse"].name == "videos_from"
    assert reference["images"]["reuse"] is None and reference["images"]["multiple"]
    assert forms.EditForm().reference_slots[0]["reuse"].name == "source_video_from"


def test_recent_prompts_are_the_users_own_distinct_and_newest_first(user):
    for prompt in ["first", "second", "first", "third", ""]:
        GenerationFactory(user=user, prompt=prompt)
    GenerationFactory(user=UserFactory(), prompt="someone else's")
    assert selectors.recent_prompts(clips_of(user)) == ["third", "first", "second"]
    assert selectors.recent_prompts(clips_of(user), limit=2) == ["third", "first"]


def test_the_prompt_history_view_lists_them_escaped(client, user):
    GenerationFactory(user=user, prompt='<script>alert("x")</script> dunes')
    assert client.get("/generations/prompts/").status_code == 302  # login first
    client.force_login(user)
    response = client.get("/generations/prompts/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>" not in html
    assert 'data-prompt="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; dunes"' in html


def test_after_a_submit_the_estimate_is_for_the_settings_the_form_keeps(
    client, user, local_media, no_broker
):
    """The fresh form keeps the tier, ratio and duration; its estimate must be theirs."""
    client.force_login(user)
    response = client.post(
        reverse("generations:create"),
        {
            "mode": "text",
            "model": "seedance2.0-480p",
            "prompt": "a kite over the dunes",
            "duration": "10",
            "aspect_ratio": "9:16",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    kept = tiers.estimate_cost(model="seedance2.0-480p", aspect_ratio="9:16", duration=10)
    default = tiers.estimate_cost(model=tiers.DEFAULT_MODEL, aspect_ratio="16:9", duration=5)
    assert kept != default
    estimate = response.content.decode().split('id="estimate"', 1)[1].split("</p>", 1)[0]
    assert f"${kept:.2f}" in estimate
