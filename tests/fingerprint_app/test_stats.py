from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from fingerprint_app.probing import probe_batch
from fingerprint_app.stats import StatsShapeMismatch, SufficientStats
from games_app.engine import LocalSlotEngine


def _stats(definition, seed, start, count):
    return SufficientStats.from_batch(probe_batch(LocalSlotEngine(definition), seed=seed, start_index=start,
                                                  count=count))


def test_stats_from_batch_counts_exactly(demo_definitions):
    definition = demo_definitions["classic-medium"]
    batch = probe_batch(LocalSlotEngine(definition), seed="c", start_index=0, count=5000)
    stats = SufficientStats.from_batch(batch)
    multipliers = [batch.multiplier(i) for i in range(batch.count)]
    assert stats.spins == 5000 and stats.shape == (3, 5)
    assert stats.total == sum(multipliers)
    assert stats.total_sq == sum(m * m for m in multipliers)
    assert stats.hits == sum(1 for m in multipliers if m > 0)
    assert stats.max_win == max(multipliers)
    assert stats.multipliers == Counter(multipliers)
    windows = [batch.window(i) for i in range(batch.count)]
    for symbol, grid in stats.cell_counts.items():
        for row in range(3):
            for reel in range(5):
                assert grid[row, reel] == sum(w[row][reel] == symbol for w in windows)


def test_stats_from_observations_equals_from_batch(demo_definitions):
    definition = demo_definitions["dragon-high"]
    batch = probe_batch(LocalSlotEngine(definition), seed="o", start_index=0, count=2000)
    via_batch = SufficientStats.from_batch(batch)
    via_rows = SufficientStats.from_observations((batch.window(i), batch.multiplier(i), [])
                                                 for i in range(batch.count))
    assert via_rows.to_json() == via_batch.to_json()


def test_stats_merge_of_chunks_equals_whole(demo_definitions):
    definition = demo_definitions["fruit-low"]
    whole = _stats(definition, "m", 0, 30_000)
    parts = [_stats(definition, "m", start, 10_000) for start in (0, 10_000, 20_000)]
    merged = SufficientStats().merge(parts[0]).merge(parts[1]).merge(parts[2])
    assert merged.to_json() == whole.to_json()
    assert parts[0].merge(parts[1]).merge(parts[2]).to_json() == parts[0].merge(parts[1].merge(parts[2])).to_json()


def test_stats_json_round_trip_is_exact(demo_definitions):
    stats = _stats(demo_definitions["classic-medium"], "j", 0, 4000)
    stats.line_pays[("KING", 3)] = {Fraction(10)}
    stats.lines_seen = {0, 7}
    again = SufficientStats.from_json(stats.to_json())
    assert again.to_json() == stats.to_json()
    assert again.total == stats.total and isinstance(again.total, Fraction)
    assert SufficientStats.from_json({}).spins == 0


def test_stats_merge_refuses_a_different_window_shape(demo_definitions):
    stats = _stats(demo_definitions["fruit-low"], "s", 0, 100)
    other = SufficientStats.from_observations([([["A", "B"]], Fraction(0), [])])
    with pytest.raises(StatsShapeMismatch):
        stats.merge(other)
    with pytest.raises(StatsShapeMismatch):
        SufficientStats.from_observations([([["A"]], Fraction(0), []), ([["A"], ["B"]], Fraction(1), [])])


def test_stats_reel_counts_per_row(demo_definitions):
    stats = _stats(demo_definitions["fruit-low"], "r", 0, 1000)
    top = stats.reel_counts(2, rows=[0])
    assert sum(top.values()) == 1000
    assert sum(stats.reel_counts(2).values()) == 3000
    assert all(isinstance(v, int) for v in top.values())
    assert np.int64 not in {type(v) for v in top.values()}
