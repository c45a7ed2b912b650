"""Targeted probes (issue 11): steering a strip engine's draws pins the pays uniform spins never show."""
from fractions import Fraction

import numpy as np
import pytest

from games_app.engine import load_demo_games
from games_app.engine.definition import GameDefinition
from games_app.engine.evaluator import evaluate_spin
from games_app.engine.interface import LocalSlotEngine, RemoteSlotEngine
from games_app.engine.par_sheet import compute_par_sheet
from fingerprint_app.recovery import recover_model
from fingerprint_app.recovery.targeted import ScriptedDraws, complete_with_targeted_probes
from tests.fingerprint_app.recovery_kit import sample_observations

UNIFORM_SPINS = 5_000


@pytest.fixture(scope="module")
def demo():
    return load_demo_games()


@pytest.fixture(scope="module")
def passive(demo):
    """Uniform spins and their (partial) passive recovery, per game, computed once."""
    cache = {}

    def get(slug):
        if slug not in cache:
            observations = sample_observations(demo[slug], UNIFORM_SPINS, 7)
            cache[slug] = observations, recover_model(observations=observations)
        return cache[slug]
    return get


def test_scripted_draws_answer_in_range_and_record_each_draw():
    draws = ScriptedDraws([5, 70, 3])
    assert [draws.randbelow(n) for n in (10, 64, 2, 9)] == [5, 6, 1, 0]
    assert draws.calls == [10, 64, 2, 9]


@pytest.mark.parametrize("slug", ["classic-medium", "dragon-high"])
def test_targeted_probes_pin_the_unobserved_pays_exactly(demo, passive, slug):
    game = demo[slug]
    observations, before = passive(slug)
    assert before.status == "partial" and before.details["blockers"] == ["unidentified_pays"]

    outcome = complete_with_targeted_probes(observations=observations, engine=LocalSlotEngine(game), result=before)

    result = outcome.result
    truth = compute_par_sheet(game)
    assert outcome.steerable and result.status == "exact", result.notes
    assert result.rtp == truth.rtp
    assert 0 < outcome.spins <= 150 and UNIFORM_SPINS + outcome.spins <= 20_000
    assert result.details["targeted_probe_spins"] == outcome.spins
    assert result.details["spins"] == UNIFORM_SPINS  # strip statistics came from the uniform spins only
    recovered = GameDefinition.from_dict(result.definition)
    sheet = compute_par_sheet(recovered)
    assert (sheet.rtp, sheet.hit_frequency, sheet.variance) == (truth.rtp, truth.hit_frequency, truth.variance)
    assert {s: dict(p) for s, p in recovered.paytable.items()} == {s: dict(p) for s, p in game.paytable.items()}
    # the uniform spins leave the order of these strips ambiguous; the scan reads the true one
    assert all(not reel["order_ambiguous"] for reel in result.details["reels"])
    for mine, true in zip(recovered.reels, game.reels):
        assert any(list(mine) == list(true[i:] + true[:i]) for i in range(len(true)))


def test_the_unobserved_top_awards_are_why_passive_recovery_stops_at_partial(demo):
    observations = sample_observations(demo["classic-medium"], 20_000, 7)
    result = recover_model(observations=observations)
    assert result.status == "partial" and result.details["blockers"] == ["unidentified_pays"]
    assert "pay of 7 scatters" in result.details["unidentified_entries"]


def test_an_engine_that_draws_raw_bytes_is_not_steered(passive):
    from games_app.engine.a2a_slots import A2ASlotsEngine

    observations, before = passive("classic-medium")
    outcome = complete_with_targeted_probes(observations=observations, engine=A2ASlotsEngine(), result=before)
    assert not outcome.steerable and outcome.spins == 0
    assert outcome.result.status == "partial"
    assert any("raw bytes" in note for note in outcome.result.notes)


def test_an_unreachable_remote_engine_is_not_steered(passive):
    observations, before = passive("classic-medium")
    engine = RemoteSlotEngine("http://127.0.0.1:9/nobody-listens", allow_private=True)
    outcome = complete_with_targeted_probes(observations=observations, engine=engine, result=before)
    assert not outcome.steerable and outcome.spins == 0 and outcome.result.status == "partial"
    assert any("refused scripted draws" in note for note in outcome.result.notes)


class _OwnRandomness:
    """Asks for one draw per reel like a strip engine, then ignores it."""

    def __init__(self, game):
        self.game, self.rng = game, np.random.default_rng(3)

    def spin(self, rng):
        for strip in self.game.reels:
            rng.randbelow(len(strip))
        return evaluate_spin(self.game, [int(self.rng.integers(0, len(s))) for s in self.game.reels])


def test_an_engine_that_ignores_the_scripted_draws_is_detected(demo, passive):
    observations, before = passive("classic-medium")
    outcome = complete_with_targeted_probes(observations=observations, engine=_OwnRandomness(demo["classic-medium"]),
                                            result=before)
    assert not outcome.steerable and outcome.result.status == "partial"
    assert any("targeted probes impossible" in note for note in outcome.result.notes)


class _Liar:
    """Honest on uniform spins; adds 1/3 of the bet whenever every reel stops at the same index
    (what the scan asks for): payouts no line/pay model can explain."""

    def __init__(self, game):
        self.inner = LocalSlotEngine(game)

    def spin(self, rng):
        outcome = self.inner.spin(rng)
        if len(set(outcome.stops)) == 1 and outcome.stops[0] > 0:
            return type(outcome)(window=outcome.window, stops=outcome.stops, line_wins=outcome.line_wins,
                                 scatter_win=outcome.scatter_win,
                                 total_multiplier=outcome.total_multiplier + Fraction(1, 3))
        return outcome


def test_an_engine_that_lies_under_targeted_probes_is_not_marked_exact(demo):
    # fruit-low's first 1,000 spins leave only BELL x4 and x5 unknown: the probes run, and the scan lies
    observations = sample_observations(demo["fruit-low"], 1_000, 7)
    before = recover_model(observations=observations)
    assert before.status == "partial" and before.details["blockers"] == ["unidentified_pays"]
    outcome = complete_with_targeted_probes(observations=observations, engine=_Liar(demo["fruit-low"]), result=before)
    assert outcome.steerable and outcome.spins > 0
    assert outcome.result.status != "exact" and outcome.result.rtp is None


def test_the_spin_limit_is_respected(demo, passive):
    observations, before = passive("dragon-high")
    engine = LocalSlotEngine(demo["dragon-high"])
    # too few to finish: nothing is spent
    outcome = complete_with_targeted_probes(observations=observations, engine=engine, result=before, max_spins=10)
    assert outcome.spins == 0 and outcome.result.status == "partial"
    assert any("need about" in note and "10 allowed" in note for note in outcome.result.notes)
    # enough by the estimate but not for the scan's real draw ranges: stops at the limit
    longest = max(len(strip) for strip in demo["dragon-high"].reels)
    tight = complete_with_targeted_probes(observations=observations, engine=_WideFirstDraw(engine, longest + 30),
                                          result=before, max_spins=longest + 20)
    assert tight.spins == longest + 20 and tight.result.status == "partial"
    assert any(f"more than {longest + 20} spins" in note for note in tight.result.notes)


class _WideFirstDraw:
    """Asks for a wider first draw than reel 1 has stops (the scan must run longer than the
    recovered strips suggest), then spins the wrapped engine on the draw modulo the strip."""

    def __init__(self, engine, width):
        self.engine, self.width = engine, width

    def spin(self, rng):
        first = rng.randbelow(self.width)
        rest = [rng.randbelow(len(strip)) for strip in self.engine.definition.reels[1:]]
        stops = [first % len(self.engine.definition.reels[0]), *rest]
        return evaluate_spin(self.engine.definition, stops)


def test_an_exact_passive_result_is_returned_untouched(demo):
    observations = sample_observations(demo["fruit-low"], 2_000, 7)
    result = recover_model(observations=observations)
    assert result.status == "exact"
    outcome = complete_with_targeted_probes(observations=observations, engine=LocalSlotEngine(demo["fruit-low"]),
                                            result=result)
    assert outcome.result is result and outcome.spins == 0


class _FloatRandomness:
    """Uses ``rng.random()``, which is not part of the RandomSource protocol."""

    def __init__(self, game):
        self.game = game

    def spin(self, rng):
        return evaluate_spin(self.game, [int(rng.random() * len(s)) for s in self.game.reels])


def test_an_engine_outside_the_random_source_protocol_is_not_steered(demo, passive):
    observations, before = passive("classic-medium")
    outcome = complete_with_targeted_probes(observations=observations, engine=_FloatRandomness(demo["classic-medium"]),
                                            result=before)
    assert not outcome.steerable and outcome.spins == 0 and outcome.result.status == "partial"
    assert any("scripted draws do not provide" in note for note in outcome.result.notes)


def test_pays_seen_only_alongside_other_unknowns_are_reported_unpinned_then_pinned(demo):
    """dragon-high, seed 6: some rare labels occur only in windows with other rare labels, so least
    squares could pick any of many consistent values. They are unknowns (not pay conflicts), and
    targeted probes isolate and pin them."""
    game = demo["dragon-high"]
    observations = sample_observations(game, 20_000, 6)
    before = recover_model(observations=observations)
    assert before.status == "partial" and before.details["blockers"] == ["unidentified_pays"]
    assert before.details["labels_seen_but_not_pinned"]
    assert not any("inconsistent pays" in note for note in before.notes)
    outcome = complete_with_targeted_probes(observations=observations, engine=LocalSlotEngine(game), result=before)
    assert outcome.result.status == "exact" and outcome.result.rtp == compute_par_sheet(game).rtp


def test_paylines_no_uniform_spin_told_apart_are_settled_by_a_targeted_spin():
    """v48 (20 lines, scatter) at 2,000 uniform spins: some chosen payline has a sibling that paid the
    same on every observed window. A spin where the two pay differently decides it."""
    from tests.fingerprint_app.recovery_kit import variant_games

    game = next(g for g in variant_games() if g.slug == "v48-20l-scatter")
    observations = sample_observations(game, 2_000, 1)
    before = recover_model(observations=observations)
    assert set(before.details["blockers"]) == {"paylines_ambiguous", "unidentified_pays"}
    assert before.details["ambiguous_paylines"]
    outcome = complete_with_targeted_probes(observations=observations, engine=LocalSlotEngine(game), result=before)
    result = outcome.result
    assert result.status == "exact" and result.rtp == compute_par_sheet(game).rtp
    assert sorted(map(tuple, result.definition["paylines"])) == sorted(map(tuple, game.paylines))
