from __future__ import annotations

import pytest

from studiolib import sizes, tiers


@pytest.mark.parametrize(
    ("model", "ratio", "size"),
    [
        ("seedance2.0-720p", "16:9", (1248, 704)),
        ("seedance2.0-720p", "9:16", (704, 1248)),
        ("seedance2.0-720p", "1:1", (960, 960)),
        ("seedance2.0-480p", "1:1", (640, 640)),
        ("seedance2.0-1080p", "16:9", (1920, 1088)),
        ("seedance2.0-1080p", "1:1", (1440, 1440)),
        ("seedance2.0-4k", "9:16", (2176, 3840)),
        ("seedance2.0-fast-480p", "16:9", (864, 480)),
    ],
)
def test_output_size_follows_tier_and_ratio(model, ratio, size):
    assert tiers.get_tier(model).size(ratio) == size


def test_cost_uses_the_provider_token_formula():
    # docs/provider.md: tokens = w × h × (24 × s + 1) ÷ 1024 on the rendered 1248×704.
    tokens = 1248 * 704 * 121 // 1024
    assert tiers.estimate_cost(model="seedance2.0-720p", aspect_ratio="16:9", duration=5) == (
        pytest.approx(tokens / 1_000_000 * 7.7, abs=1e-4)
    )


def test_square_and_wide_clips_of_a_tier_cost_nearly_the_same():
    """The provider keeps the pixel count about constant across ratios, so must we."""
    wide = tiers.estimate_cost(model="seedance2.0-720p", aspect_ratio="16:9", duration=5)
    square = tiers.estimate_cost(model="seedance2.0-720p", aspect_ratio="1:1", duration=5)
    tall = tiers.estimate_cost(model="seedance2.0-720p", aspect_ratio="9:16", duration=5)
    assert tall == wide
    assert abs(square - wide) / wide < 0.06


def test_operators_can_override_output_sizes(settings):
    settings.SEEDANCE_OUTPUT_SIZES = sizes.parse_overrides('{"720p": {"1:1": [720, 720]}}')
    assert tiers.get_tier("seedance2.0-720p").size("1:1") == (720, 720)
    assert tiers.get_tier("seedance2.0-720p").size("16:9") == (1248, 704)


@pytest.mark.parametrize(
    "text", ['{"720": {"1:1": [1, 1]}}', '{"720p": {"1:1": [960]}}', "[]", "{nope"]
)
def test_a_broken_size_override_is_refused(text):
    with pytest.raises(sizes.SizeTableError):
        sizes.parse_overrides(text)


def test_every_seed_model_is_in_the_table():
    assert {t.model for t in tiers.TIERS} == {
        "seedance2.0-480p",
        "seedance2.0-720p",
        "seedance2.0-1080p",
        "seedance2.0-4k",
        "seedance2.0-fast-480p",
        "seedance2.0-fast-720p",
        "seedance2.0-mini-480p",
        "seedance2.0-mini-720p",
    }


def test_operators_can_override_prices(settings):
    settings.SEEDANCE_PRICES = {"seedance2.0-720p": [15.4, 9.4]}
    doubled = tiers.estimate_cost(model="seedance2.0-720p", aspect_ratio="16:9", duration=5)
    assert doubled == pytest.approx(1248 * 704 * 121 // 1024 / 1_000_000 * 15.4, abs=1e-4)
