import math
from fractions import Fraction

import pytest

from fingerprint_app import services
from fingerprint_app.matching import (ALPHA, chi2_logsf, compare, fisher_combine, homogeneity_test,
                                      match_profiles, spins_needed)
from fingerprint_app.models import FingerprintProfile
from fingerprint_app.probing import probe_batch
from fingerprint_app.selectors import fingerprint_match
from fingerprint_app.stats import SufficientStats
from fingerprint_app.variants import foreign_definitions, library_definitions
from games_app.engine import LocalSlotEngine


def _even_dof_logsf(x: float, dof: int) -> float:
    """Closed form for even dof: sf = exp(-x/2) * sum_{k < dof/2} (x/2)^k / k!."""
    half = x / 2
    terms = [k * math.log(half) - math.lgamma(k + 1) for k in range(dof // 2)]
    top = max(terms)
    return -half + top + math.log(sum(math.exp(t - top) for t in terms))


@pytest.mark.parametrize("x,dof,p", [(3.841458820694124, 1, 0.05), (18.307038053275146, 10, 0.05),
                                     (23.209251158954356, 10, 0.01), (2.705543454095404, 1, 0.1),
                                     (0.5, 3, 0.9188914116546758)])
def test_chi2_logsf_known_quantiles(x, dof, p):
    assert math.exp(chi2_logsf(x, dof)) == pytest.approx(p, rel=1e-6)


@pytest.mark.parametrize("x,dof", [(5000.0, 10), (800.0, 4), (12.0, 30), (1.0, 2), (60.0, 58)])
def test_chi2_logsf_matches_closed_form_without_underflow(x, dof):
    assert chi2_logsf(x, dof) == pytest.approx(_even_dof_logsf(x, dof), rel=1e-9, abs=1e-12)


def test_homogeneity_test_pools_rare_cells_and_detects_new_values():
    same = homogeneity_test({"a": 500, "b": 480, "c": 20}, {"a": 5000, "b": 4900, "c": 190})
    assert same.dof == 2 and same.p_value > 0.05
    moved = homogeneity_test({"a": 500, "x": 500}, {"a": 5000, "b": 5000})
    assert moved.p_value < 1e-100
    rare = homogeneity_test({"a": 1000, "r1": 1}, {"a": 1000, "r2": 1})
    assert rare.dof == 0 and rare.p_value == 1.0  # nothing testable once rare cells are pooled
    assert homogeneity_test({}, {"a": 3}).dof == 0


def test_fisher_combine():
    from fingerprint_app.matching import TestResult

    combined = fisher_combine([TestResult(1.0, 1, math.log(0.05)), TestResult(1.0, 1, math.log(0.05))])
    assert combined.dof == 4 and combined.p_value == pytest.approx(0.0175, abs=1e-4)
    assert fisher_combine([TestResult(0.0, 0, 0.0)]).dof == 0


def _stats(definition, seed, count):
    return SufficientStats.from_batch(probe_batch(LocalSlotEngine(definition), seed=seed, start_index=0, count=count))


def test_compare_flags_deterministic_conflicts(demo_definitions):
    definition = demo_definitions["fruit-low"]
    profile = _stats(definition, "p", 5000)
    profile.line_pays = {("CHERRY", 3): {Fraction(5)}}
    sample = _stats(definition, "s", 2000)
    sample.line_pays = {("CHERRY", 3): {Fraction(6)}}
    match = compare(sample, profile)
    assert match.log_p == -math.inf and "CHERRY x3" in match.conflicts[0]
    assert match.statistical_log_p > math.log(ALPHA)  # the counts alone agree: only the pay differs
    other_shape = SufficientStats.from_observations([([["A", "B"]], Fraction(0), [])])
    assert compare(other_shape, profile).conflicts


def test_match_profiles_pure_library(demo_definitions):
    """The statistical core without the database: 7 profiles, 20,000-spin samples. The verdict on
    a library game is "unknown" for about 1 sample in 100 by construction (alpha = 0.01), so this
    test checks the ranking and its margin; the end-to-end test below checks verdicts."""
    library = library_definitions()
    profiles = [(slug, slug, _stats(d, f"lib-{slug}", 200_000)) for slug, d in library.items()]
    for slug, definition in library.items():
        result = match_profiles(_stats(definition, f"sample-{slug}", 20_000), profiles)
        best, runner_up = result.ranking[:2]
        assert best.label == slug, result.to_json()["ranking"][:2]
        assert best.log_p - runner_up.log_p > 10 * math.log(10)
    for slug, definition in foreign_definitions().items():
        result = match_profiles(_stats(definition, f"sample-{slug}", 20_000), profiles)
        assert result.verdict == "unknown", (slug, result.best.label, result.best.p_value)


@pytest.mark.django_db
@pytest.mark.usefixtures("without_recovery")
def test_fingerprint_match_picks_the_right_game_among_seven_profiles(load_definition):
    """End to end: library profiles and samples are real campaigns; samples are 20,000 spins."""
    library, foreign = library_definitions(), foreign_definitions()
    versions = {slug: load_definition(d) for slug, d in {**library, **foreign}.items()}
    library_profiles = {}
    for slug in library:
        campaign = services.campaign_create(game_version=versions[slug], target_spins=131_072,
                                            seed=f"library-{slug}", enqueue=False)
        services.campaign_run(campaign_id=campaign.pk)
        library_profiles[slug] = campaign.profile_id
    assert FingerprintProfile.objects.filter(spins__gt=0).count() == 7
    for slug in [*library, *foreign]:
        sample = services.campaign_create(game_version=versions[slug], target_spins=20_000, seed=f"sample-{slug}",
                                          extend_profile=False, enqueue=False)
        services.campaign_run(campaign_id=sample.pk)
        result = fingerprint_match(campaign_id=sample.pk)
        if slug in library:
            assert result.verdict == "match", (slug, result.to_json()["ranking"][:2])
            assert result.best.profile_id == library_profiles[slug], (slug, result.best.label)
            assert result.best.p_value >= ALPHA
        else:
            assert result.verdict == "unknown", (slug, result.best.label, result.best.p_value)
        candidates = {m.profile_id for m in result.ranking}
        assert set(library_profiles.values()) <= candidates  # big profiles are not displaced by samples
        assert sample.profile_id not in candidates  # the sample's own profile is never a candidate


def test_a_sample_smaller_than_the_tests_need_is_not_matched(demo_definitions):
    """3 spins once 'matched' two unrelated games with p = 1: every cell pooled, nothing tested."""
    profiles = [(slug, slug, _stats(demo_definitions[slug], f"lib-{slug}", 50_000))
                for slug in ("fruit-low", "dragon-high")]
    needed = max(spins_needed(stats) for _, _, stats in profiles)
    tiny = match_profiles(_stats(demo_definitions["fruit-low"], "tiny", 3), profiles)
    assert tiny.verdict == "insufficient_data" and tiny.best.p_value == 1.0
    assert tiny.spins_needed == spins_needed(dict((s, p) for s, _, p in profiles)[tiny.best.label]) > 3
    assert tiny.to_json()["best"] is None and tiny.to_json()["spins_needed"] == tiny.spins_needed
    enough = match_profiles(_stats(demo_definitions["fruit-low"], "enough", needed), profiles)
    assert enough.verdict == "match" and enough.best.label == "fruit-low"
    assert enough.spins_needed <= needed


def test_spins_needed_expects_every_top_row_symbol_and_two_payouts_five_times():
    rows = [([["A", "B"]], Fraction(0), [])] * 90 + [([["C", "B"]], Fraction(2), [])] * 10
    profile = SufficientStats.from_observations(rows)
    assert spins_needed(profile) == 50  # C on reel 0 and the x2 payout: 10 in 100, so 5 in 50
    assert spins_needed(SufficientStats()) == 0
