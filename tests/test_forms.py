"""Every rule of the seed page that the text form can break is refused next to its field,
and an invalid submission saves nothing and sends nothing upstream."""

from __future__ import annotations

import pytest

from generations.forms import TextForm
from generations.models import Generation

VALID = {
    "mode": "text",
    "model": "seedance2.0-720p",
    "prompt": "A clean product shot",
    "duration": "8",
    "aspect_ratio": "16:9",
}


def errors_for(**changes: object) -> dict[str, list[str]]:
    form = TextForm(data={**VALID, **changes})
    form.is_valid()
    return form.errors


@pytest.mark.parametrize("duration", ["5", "15", "10"])
def test_duration_edges_are_accepted(duration):
    assert errors_for(duration=duration) == {}


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        ("4", "at least 5 seconds"),
        ("16", "at most 15 seconds"),
        ("4.5", "whole number"),
        ("5.0", "whole number"),
        ("abc", "whole number"),
        ("", "between 5 and 15"),
    ],
)
def test_duration_outside_the_contract_is_refused(duration, message):
    assert message in errors_for(duration=duration)["duration"][0]


@pytest.mark.parametrize("ratio", ["16:9", "9:16", "1:1"])
def test_the_three_aspect_ratios_are_accepted(ratio):
    assert errors_for(aspect_ratio=ratio) == {}


@pytest.mark.parametrize("ratio", ["4:3", "21:9", ""])
def test_other_aspect_ratios_are_refused(ratio):
    assert "aspect_ratio" in errors_for(aspect_ratio=ratio)


def test_prompt_is_required():
    assert "needs one" in errors_for(prompt="   ")["prompt"][0]


def test_unknown_model_is_refused():
    assert "not available" in errors_for(model="seedance1.0-pro")["model"][0]


@pytest.mark.parametrize(
    "model",
    [
        "seedance2.0-480p",
        "seedance2.0-720p",
        "seedance2.0-1080p",
        "seedance2.0-fast-480p",
        "seedance2.0-fast-720p",
        "seedance2.0-mini-480p",
        "seedance2.0-mini-720p",
    ],
)
def test_every_enabled_tier_is_offered(model):
    assert errors_for(model=model) == {}


def test_4k_is_hidden_and_refused_unless_enabled(settings):
    settings.SEEDANCE_ENABLE_4K = False
    form = TextForm()
    assert "seedance2.0-4k" not in dict(form.fields["model"].choices)
    assert "not available" in errors_for(model="seedance2.0-4k")["model"][0]
    settings.SEEDANCE_ENABLE_4K = True
    assert "seedance2.0-4k" in dict(TextForm().fields["model"].choices)
    assert errors_for(model="seedance2.0-4k") == {}


@pytest.mark.parametrize("seed", ["-1", "0", "4294967295", ""])
def test_seed_range_edges_are_accepted(seed):
    assert errors_for(seed=seed) == {}


@pytest.mark.parametrize("seed", ["-2", "4294967296", "1.5"])
def test_seed_outside_the_range_is_refused(seed):
    assert "seed" in errors_for(seed=seed)


def test_estimate_follows_the_options():
    small = TextForm(data={**VALID, "model": "seedance2.0-480p", "duration": "5"})
    large = TextForm(data={**VALID, "model": "seedance2.0-1080p", "duration": "15"})
    assert 0 < small.estimate() < large.estimate()
    assert TextForm(data={**VALID, "duration": "99"}).estimate() is None


@pytest.mark.django_db
def test_an_invalid_post_saves_nothing_and_shows_errors_next_to_fields(client, user):
    client.force_login(user)
    response = client.post(
        "/generations/create/", {**VALID, "duration": "16", "prompt": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200  # htmx 2 ignores 4xx bodies
    html = response.content.decode()
    assert 'id="id_duration_error"' in html
    assert 'id="id_prompt_error"' in html
    assert Generation.objects.count() == 0
