from collections import Counter

import pytest

from fingerprint_app.probing import probe_batch
from fingerprint_app.signatures import (rtp_interval, signature_from_stats, volatility_class, wilson_interval)
from fingerprint_app.stats import SufficientStats
from games_app.engine import LocalSlotEngine
from games_app.engine.par_sheet import compute_par_sheet


@pytest.mark.parametrize("slug", ["fruit-low", "classic-medium", "dragon-high"])
def test_signature_recovers_rtp_and_strip_composition(slug, demo_definitions):
    """The smaller version of the bench's 1,000,000-spin check: 300,000 spins."""
    definition = demo_definitions[slug]
    stats = SufficientStats.from_batch(probe_batch(LocalSlotEngine(definition), seed=f"sig-{slug}",
                                                   start_index=0, count=300_000))
    exact = compute_par_sheet(definition)
    _, lo, hi = rtp_interval(stats)
    assert lo <= float(exact.rtp) <= hi
    signature = signature_from_stats(stats)
    for reel, strip in enumerate(definition.reels):
        truth = Counter(strip)
        estimate = signature["reel_frequencies"][reel]
        assert set(estimate) == set(truth)
        for symbol, count in truth.items():
            assert abs(estimate[symbol]["frequency"] - count / len(strip)) < 0.01
    # Several interval checks per game: the secondary ones use 99.9% so the test is not a coin toss.
    hit_lo, hit_hi = wilson_interval(stats.hits, stats.spins, z=3.29)
    assert hit_lo <= float(exact.hit_frequency) <= hit_hi
    assert signature["hit_frequency"]["ci95"][0] > hit_lo
    assert abs(signature["std_dev"] - float(exact.std_dev)) / float(exact.std_dev) < 0.15
    assert signature["deterministic"]["window_shape"] == {"rows": 3, "reels": 5}
    assert signature["deterministic"]["reel_symbol_sets"] == [sorted(set(s)) for s in definition.reels]
    assert signature["spins"] == 300_000
    assert sum(row["count"] for row in signature["payout_distribution"]) == 300_000


def test_volatility_classes_follow_documented_thresholds():
    assert volatility_class(1.46) == "low"
    assert volatility_class(2.0) == "medium"
    assert volatility_class(2.46) == "medium"
    assert volatility_class(3.0) == "high"
    assert volatility_class(3.73) == "high"


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and 0.2 < hi < 0.35


def test_signature_of_empty_stats():
    signature = signature_from_stats(SufficientStats())
    assert signature["spins"] == 0 and signature["max_win"] is None
    assert signature["reel_frequencies"] == []
