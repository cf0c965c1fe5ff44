from __future__ import annotations

import pytest

from generations import tiers


@pytest.mark.parametrize(
    ("model", "ratio", "size"),
    [
        ("seedance2.0-720p", "16:9", (1280, 720)),
        ("seedance2.0-720p", "9:16", (720, 1280)),
        ("seedance2.0-480p", "1:1", (480, 480)),
        ("seedance2.0-1080p", "16:9", (1920, 1080)),
        ("seedance2.0-4k", "9:16", (2160, 3840)),
        ("seedance2.0-fast-480p", "16:9", (854, 480)),
    ],
)
def test_output_size_follows_tier_and_ratio(model, ratio, size):
    assert tiers.get_tier(model).size(ratio) == size


def test_cost_uses_the_provider_token_formula():
    # api-notes.md: 720p 16:9, 5 s → 108,900 tokens; at $7.7 per million tokens.
    assert tiers.estimate_cost(model="seedance2.0-720p", aspect_ratio="16:9", duration=5) == (
        pytest.approx(108_900 / 1_000_000 * 7.7, abs=1e-4)
    )


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
    assert doubled == pytest.approx(108_900 / 1_000_000 * 15.4, abs=1e-4)
