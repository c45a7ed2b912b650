"""Fingerprinting benchmark: the numbers issue 7 (and issue 11) promise, measured end to end.

Usage: DATABASE_URL=postgres://... .venv/bin/python bench/fingerprint.py [--spins N] [--trials T]

Runs in a throw-away test database (created and dropped here, like the test runner does), so it
never touches real data. Prints:

1. per demo game, a campaign of N probe spins (default 1,000,000) through the real campaign
   service (probe, chunk commits, stats, profile): its throughput in spins/s, whether the 95% RTP
   interval contains the exact PAR RTP, and the largest per-reel symbol-frequency error against
   the true strip composition (percentage points);
2. matching accuracy: a library of 7 profiles (3 demo games + 4 one-change variants), samples of
   20,000 spins of each library game and of 2 foreign games, T seeds each;
3. the exact-model recovery report (issue 11; ``recovery_report``).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casino_project.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

SAMPLE_SPINS = 20_000
LIBRARY_SPINS = 262_144
THROUGHPUT_TARGET = 200_000
FREQ_TOLERANCE_PP = 1.0


def _load(definition):
    from games_app.services import game_load

    version, _ = game_load(data=definition.to_dict())
    return version


def _campaign(version, *, spins: int, seed: str, chunk_size: int | None = None):
    from fingerprint_app.models import ProbeCampaign
    from fingerprint_app.services import campaign_create, campaign_run

    campaign = campaign_create(game_version=version, target_spins=spins, seed=seed, chunk_size=chunk_size,
                               extend_profile=False, stop_when_exact=False, enqueue=False)
    started = time.perf_counter()
    campaign_run(campaign_id=campaign.pk)
    elapsed = time.perf_counter() - started
    return ProbeCampaign.objects.select_related("profile").get(pk=campaign.pk), elapsed


def rtp_and_frequency_report(spins: int) -> bool:
    from fingerprint_app.signatures import rtp_interval
    from fingerprint_app.stats import SufficientStats
    from games_app.engine import load_demo_games
    from games_app.engine.par_sheet import compute_par_sheet

    print(f"\n== 1. RTP interval, strip composition and throughput ({spins:,} probe spins per game) ==")
    from django.conf import settings
    print(f"{'game':<16}{'spins/s':>11}{'exact RTP':>12}{'estimate':>11}{'95% CI':>22}{'in CI':>7}"
          f"{'max freq err':>14}{'σ':>8}{'spins/s with recovery hook':>28}")
    ok = True
    for slug, definition in load_demo_games().items():
        version = _load(definition)
        exact = compute_par_sheet(definition).rtp
        settings.FINGERPRINT_RECOVERY = False  # the issue-7 pipeline alone
        try:
            campaign, elapsed = _campaign(version, spins=spins, seed=f"bench-{slug}")
        finally:
            settings.FINGERPRINT_RECOVERY = True
        _, hooked_elapsed = _campaign(version, spins=spins, seed=f"bench-hook-{slug}")
        with_hook = f"{spins / hooked_elapsed:,.0f}"
        stats = SufficientStats.from_json(campaign.stats)
        mean, lo, hi = rtp_interval(stats)
        inside = lo <= float(exact) <= hi
        worst = 0.0
        for r, strip in enumerate(definition.reels):
            truth = Counter(strip)
            counts = stats.reel_counts(r)
            cells = stats.spins * definition.rows
            for symbol in set(truth) | set(counts):
                worst = max(worst, abs(counts.get(symbol, 0) / cells - truth.get(symbol, 0) / len(strip)) * 100)
        rate = stats.spins / elapsed
        ok &= inside and worst <= FREQ_TOLERANCE_PP and rate >= THROUGHPUT_TARGET
        signature = campaign.profile.signature
        print(f"{slug:<16}{rate:>11,.0f}{float(exact):>12.6f}{float(mean):>11.6f}  [{lo:.6f}, {hi:.6f}]"
              f"{'yes' if inside else 'NO':>7}{worst:>11.3f} pp{signature['std_dev']:>8.3f}{with_hook:>28}")
    print(f"targets: RTP inside the 95% CI, frequency error <= {FREQ_TOLERANCE_PP} pp, >= {THROUGHPUT_TARGET:,} spins/s"
          f" end to end -> {'PASS' if ok else 'FAIL'}")
    print("(campaigns run to their target: stop_when_exact=False; the last column adds the issue-11 recovery,"
          " called once per chunk while the 50,000-spin sample grows)")
    return ok


def matching_report(trials: int) -> bool:
    from fingerprint_app.variants import foreign_definitions, library_definitions

    library, foreign = library_definitions(), foreign_definitions()
    print(f"\n== 2. Matching: library of {len(library)} profiles ({LIBRARY_SPINS:,} spins each), "
          f"samples of {SAMPLE_SPINS:,} spins, {trials} seeds per game ==")
    from django.conf import settings

    settings.FINGERPRINT_RECOVERY = False  # statistics only; no early stop
    try:
        return _matching(library, foreign, trials)
    finally:
        settings.FINGERPRINT_RECOVERY = True


def _matching(library, foreign, trials: int) -> bool:
    from fingerprint_app.models import FingerprintProfile
    from fingerprint_app.selectors import fingerprint_match

    versions = {slug: _load(d) for slug, d in {**library, **foreign}.items()}
    for slug in library:
        _campaign(versions[slug], spins=LIBRARY_SPINS, seed=f"library-{slug}")
    correct = total = 0
    print(f"{'sample from':<24}{'expected':<22}{'right':>7}  best p-values (first trial)")
    started = time.perf_counter()
    for slug in [*library, *foreign]:
        right = 0
        first = None
        for trial in range(trials):
            campaign, _ = _campaign(versions[slug], spins=SAMPLE_SPINS, seed=f"sample-{slug}-{trial}")
            result = fingerprint_match(campaign_id=campaign.pk)
            best_engine = FingerprintProfile.objects.get(pk=result.best.profile_id).engine_key
            hit = (result.verdict == "unknown") if slug in foreign else (
                result.verdict == "match" and best_engine == campaign.profile.engine_key)
            # Keep the library fixed: a sample must not become a profile later samples match against.
            profile_id = campaign.profile_id
            campaign.delete()
            FingerprintProfile.objects.filter(pk=profile_id).delete()
            right += hit
            first = first or result
        correct += right
        total += trials
        top = ", ".join(f"{m.label.split(' · ')[0]}: {m.p_value:.2g}" for m in first.ranking[:2])
        print(f"{slug:<24}{(slug if slug in library else 'unknown'):<22}{right:>4}/{trials}  {top}")
    elapsed = time.perf_counter() - started
    print(f"accuracy {correct}/{total} ({correct / total:.1%}); {elapsed:.1f}s for the sample campaigns and matches")
    return correct == total


def recovery_report() -> None:
    """Issue 11 (exact-model recovery) fills this in: for each demo game and variant, spins until
    exact recovery, recovered RTP vs true RTP, and the spins the naive mean needs for ±0.5 pp at
    95% (from the true σ), i.e. the sample-efficiency ratio."""
    print("\n== 3. Exact-model recovery (issue 11) ==")
    from bench.recovery_report import recovery_table

    recovery_table()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spins", type=int, default=1_000_000)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--skip-rtp", action="store_true")
    parser.add_argument("--skip-matching", action="store_true")
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        ok = True
        if not args.skip_rtp:
            ok &= rtp_and_frequency_report(args.spins)
        if not args.skip_matching:
            ok &= matching_report(args.trials)
        recovery_report()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    print(f"\noverall: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
