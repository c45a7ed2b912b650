"""Matching a fresh sample against the profile library.

For every profile the sample is compared with the profile's own stored counts by two-sample
(homogeneity) chi-square tests, so the profile's sampling error is accounted for:

1. **Reels** — for each reel, the symbol counts on the top row of the sample vs the profile.
   One row only: within a spin the rows are adjacent strip stops and not independent, while the
   top row of independent spins is an exact multinomial draw from the strip composition. Reels
   stop independently, so the per-reel p-values are combined with Fisher's method.
2. **Payouts** — counts per exact multiplier value. A paytable-only variant has the same symbol
   frequencies but pays different amounts, so its multiplier values (and their frequencies)
   differ; this test separates it.

Categories whose expected count is below 5 in either sample are pooled into one "other" cell
(values seen in only one sample land there too, which is what exposes a changed pay).
The reel and payout tests are dependent (payouts are a function of the window), so they are
combined with a Bonferroni bound, valid under any dependence: ``p = min(1, 2 min(p_reels,
p_payout))``. Deterministic conflicts — a different window shape, or a line-pay entry reported
with a different multiplier — give ``p = 0``.

The best profile by ``p`` is the match; the answer is ``"unknown"`` when the best ``p < 0.01``
(:data:`ALPHA`): at that level a sample from a game in the library is wrongly called unknown
about once in a hundred samples, and a game not in the library is called unknown once the sample
is large enough to show any difference (a few thousand spins for a changed reel strip).

A sample too small for the tests is not matched at all: with a handful of spins every cell is
pooled away, the tests have no degrees of freedom and any profile "fits" with p = 1. Below
:func:`spins_needed` for the best-ranked profile (every top-row symbol of every reel, and the two
most frequent payout values, expected at least :data:`MIN_EXPECTED` times, so no cell of the
tests is pooled) the verdict is ``"insufficient_data"`` with that number of spins.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fingerprint_app.stats import SufficientStats

__all__ = ["ALPHA", "MIN_EXPECTED", "MatchResult", "ProfileMatch", "chi2_logsf", "homogeneity_test",
           "match_profiles", "spins_needed"]

ALPHA = 0.01
MIN_EXPECTED = 5.0
LN10 = math.log(10)


def chi2_logsf(x: float, dof: int) -> float:
    """Natural log of the chi-square survival function, without underflow for huge ``x``: scipy's
    chi2.logsf returns -inf once the tail drops below 1e-308, and matching combines such p-values in log space."""
    if dof <= 0:
        return 0.0
    if x <= 0:
        return 0.0
    a, y = dof / 2.0, x / 2.0
    log_prefix = -y + a * math.log(y) - math.lgamma(a)
    if y < a + 1:
        # Series for the lower function P(a, y); Q = 1 - P.
        term = total = 1.0 / a
        ap = a
        for _ in range(10_000):
            ap += 1
            term *= y / ap
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        p_lower = math.exp(log_prefix + math.log(total))
        return math.log1p(-min(p_lower, 1.0)) if p_lower < 1.0 else -745.0
    # Continued fraction for Q(a, y) (modified Lentz).
    tiny = 1e-300
    b = y + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return log_prefix + math.log(h)


@dataclass(frozen=True)
class TestResult:
    statistic: float
    dof: int
    log_p: float

    @property
    def p_value(self) -> float:
        return math.exp(self.log_p)

    def to_json(self) -> dict[str, Any]:
        return {"statistic": round(self.statistic, 6), "dof": self.dof, "p_value": self.p_value,
                "log10_p": round(self.log_p / LN10, 6)}


def homogeneity_test(a: Mapping[Hashable, int], b: Mapping[Hashable, int]) -> TestResult:
    """Pearson chi-square test that two count vectors come from one categorical distribution.
    Cells with expected count below :data:`MIN_EXPECTED` in either sample are pooled."""
    na, nb = sum(a.values()), sum(b.values())
    if na == 0 or nb == 0:
        return TestResult(0.0, 0, 0.0)
    total = na + nb
    small = min(na, nb)
    kept: list[tuple[int, int]] = []
    other = [0, 0]
    for key in set(a) | set(b):
        x, y = a.get(key, 0), b.get(key, 0)
        if small * (x + y) / total >= MIN_EXPECTED:
            kept.append((x, y))
        else:
            other[0] += x
            other[1] += y
    if sum(other):
        if small * sum(other) / total >= MIN_EXPECTED or not kept:
            kept.append((other[0], other[1]))
        else:
            smallest = min(range(len(kept)), key=lambda i: sum(kept[i]))
            kept[smallest] = (kept[smallest][0] + other[0], kept[smallest][1] + other[1])
    if len(kept) < 2:
        return TestResult(0.0, 0, 0.0)
    statistic = 0.0
    for x, y in kept:
        pooled = x + y
        for observed, n in ((x, na), (y, nb)):
            expected = n * pooled / total
            statistic += (observed - expected) ** 2 / expected
    dof = len(kept) - 1
    return TestResult(statistic, dof, chi2_logsf(statistic, dof))


def fisher_combine(results: Iterable[TestResult]) -> TestResult:
    """Fisher's method for independent tests (tests without information are skipped)."""
    informative = [r for r in results if r.dof > 0]
    if not informative:
        return TestResult(0.0, 0, 0.0)
    if any(r.log_p == -math.inf for r in informative):
        return TestResult(math.inf, 2 * len(informative), -math.inf)
    statistic = -2.0 * sum(r.log_p for r in informative)
    dof = 2 * len(informative)
    return TestResult(statistic, dof, chi2_logsf(statistic, dof))


@dataclass
class ProfileMatch:
    profile_id: Any
    label: str
    log_p: float
    reels: TestResult | None = None
    payout: TestResult | None = None
    reel_tests: list[TestResult] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    statistical_log_p: float = 0.0  # the tests alone, ignoring deterministic conflicts (for ordering)

    @property
    def p_value(self) -> float:
        return math.exp(self.log_p)

    def to_json(self) -> dict[str, Any]:
        return {
            "profile_id": self.profile_id, "label": self.label, "p_value": self.p_value,
            "log10_p": None if self.log_p == -math.inf else round(self.log_p / LN10, 6),
            "reels": self.reels.to_json() if self.reels else None,
            "payout": self.payout.to_json() if self.payout else None,
            "per_reel": [t.to_json() for t in self.reel_tests],
            "conflicts": self.conflicts,
        }


@dataclass
class MatchResult:
    verdict: str  # "match", "unknown" or "insufficient_data"
    best: ProfileMatch | None
    ranking: list[ProfileMatch]
    sample_spins: int
    alpha: float = ALPHA
    spins_needed: int = 0  # what the best-ranked profile's tests need (see spins_needed)

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "alpha": self.alpha, "sample_spins": self.sample_spins,
                "spins_needed": self.spins_needed,
                "best": self.best.to_json() if self.best and self.verdict == "match" else None,
                "ranking": [m.to_json() for m in self.ranking]}


def spins_needed(profile: SufficientStats) -> int:
    """The sample size at which the tests against ``profile`` pool no cell: every top-row symbol of
    every reel, and the two most frequent payout values, expected MIN_EXPECTED times."""
    if not profile.spins or not profile.shape:
        return 0
    rarest = [min(profile.reel_counts(r, rows=[0]).values(), default=profile.spins) for r in range(profile.shape[1])]
    payouts = sorted(profile.multipliers.values(), reverse=True)
    if len(payouts) >= 2:
        rarest.append(payouts[1])
    return math.ceil(MIN_EXPECTED * profile.spins / max(1, min(rarest)))


def _deterministic_conflicts(sample: SufficientStats, profile: SufficientStats) -> list[str]:
    conflicts = []
    if sample.shape and profile.shape and sample.shape != profile.shape:
        conflicts.append(f"window shape {list(sample.shape)} differs from the profile's {list(profile.shape)}")
    for key, values in sample.line_pays.items():
        known = profile.line_pays.get(key)
        if known is not None and not values <= known:
            extra = sorted(str(v) for v in values - known)
            conflicts.append(f"line pay {key[0]} x{key[1]} = {', '.join(extra)} never paid by the profile "
                             f"({', '.join(sorted(str(v) for v in known))})")
    return conflicts


def compare(sample: SufficientStats, profile: SufficientStats, *, profile_id: Any = None,
            label: str = "") -> ProfileMatch:
    """Test ``sample`` against one profile's statistics."""
    conflicts = _deterministic_conflicts(sample, profile)
    reel_tests = [homogeneity_test(sample.reel_counts(r, rows=[0]), profile.reel_counts(r, rows=[0]))
                  for r in range(sample.shape[1])] if sample.shape and not any("shape" in c for c in conflicts) else []
    reels = fisher_combine(reel_tests)
    payout = homogeneity_test(dict(sample.multipliers), dict(profile.multipliers))
    informative = [t for t in (reels, payout) if t.dof > 0]
    log_p = min(0.0, math.log(len(informative)) + min(t.log_p for t in informative)) if informative else 0.0
    return ProfileMatch(profile_id, label, -math.inf if conflicts else log_p, reels, payout, reel_tests,
                        conflicts, statistical_log_p=log_p)


def match_profiles(sample: SufficientStats, profiles: Iterable[tuple[Any, str, SufficientStats]],
                   *, alpha: float = ALPHA) -> MatchResult:
    """Rank ``(profile_id, label, stats)`` by p-value; ties (p capped at 1, or ruled out by a
    conflict) by the tests' own p-value, then by the smaller excess chi-square."""
    ranking, stats_by_id = [], {}
    for pid, label, stats in profiles:
        ranking.append(compare(sample, stats, profile_id=pid, label=label))
        stats_by_id[id(ranking[-1])] = stats

    def excess(m: ProfileMatch) -> float:
        return sum(t.statistic - t.dof for t in (m.reels, m.payout) if t is not None and t.dof > 0)

    ranking.sort(key=lambda m: (-m.log_p, -m.statistical_log_p, excess(m)))
    best = ranking[0] if ranking else None
    needed = spins_needed(stats_by_id[id(best)]) if best is not None else 0
    if sample.spins < needed:
        verdict = "insufficient_data"
    else:
        verdict = "match" if best is not None and best.log_p >= math.log(alpha) else "unknown"
    return MatchResult(verdict, best, ranking, sample.spins, alpha, needed)
