"""Signatures: what a sample says about an engine, with stated confidence.

Deterministic part: window shape, symbol alphabet, per-reel symbol sets, replay verdict, the
line-pay patterns the engine reported (inferred paytable entries: symbol, count -> multiplier).

Statistical part (all from :class:`SufficientStats`):

* RTP = mean total multiplier; 95% interval ``mean ± 1.96 s / sqrt(n)`` (normal approximation with
  the sample standard deviation ``s``).
* Hit frequency = share of spins paying > 0; 95% Wilson score interval.
* Standard deviation per unit bet ``s`` and a volatility class: ``low`` below 2, ``medium`` from
  2 to below 3, ``high`` from 3 (typical 5-reel line slots sit between 1 and 6; the demo games
  have exact σ 1.46, 2.46 and 3.73).
* Per-reel symbol frequencies (every visible row of a strip reel is a uniform draw from the
  strip, so this estimates the strip composition), with a binomial standard error over
  ``spins * rows`` cells (a slight underestimate: rows of one spin are adjacent strip stops).
* Payout multiplier distribution, max observed win, spins observed.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from fingerprint_app.recovery.stats import wilson_interval
from fingerprint_app.stats import SufficientStats

__all__ = ["Z95", "VOLATILITY_THRESHOLDS", "rtp_interval", "signature_from_stats", "volatility_class",
           "wilson_interval"]

Z95 = 1.959963984540054
VOLATILITY_THRESHOLDS = (("low", 2.0), ("medium", 3.0))  # σ below the bound -> class; else "high"
MAX_DISTRIBUTION_ROWS = 5000


def _decimal(value: Fraction, places: int = 10) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    scaled = round(value * 10**places)
    whole, frac = divmod(scaled, 10**places)
    return f"{sign}{whole}.{str(frac).rjust(places, '0')}"


def sample_std(stats: SufficientStats) -> float:
    """Sample standard deviation of the total multiplier (n - 1 in the denominator)."""
    n = stats.spins
    if n < 2:
        return 0.0
    variance = (stats.total_sq - stats.total * stats.total / n) / (n - 1)
    return math.sqrt(max(float(variance), 0.0))


def rtp_interval(stats: SufficientStats, z: float = Z95) -> tuple[Fraction, float, float]:
    """(exact sample mean, lower, upper) of the normal-approximation interval."""
    if stats.spins == 0:
        return Fraction(0), 0.0, 0.0
    mean = stats.total / stats.spins
    half = z * sample_std(stats) / math.sqrt(stats.spins)
    return mean, float(mean) - half, float(mean) + half


def volatility_class(std_dev: float) -> str:
    for name, bound in VOLATILITY_THRESHOLDS:
        if std_dev < bound:
            return name
    return "high"


def reel_frequencies(stats: SufficientStats) -> list[dict[str, float]]:
    if not stats.shape or not stats.spins:
        return []
    rows, reels = stats.shape
    cells = stats.spins * rows
    return [{s: c / cells for s, c in stats.reel_counts(r).items()} for r in range(reels)]


def inferred_paytable(stats: SufficientStats) -> list[dict[str, Any]]:
    """Paytable entries the reported line wins pin down: (symbol, count) -> one multiplier.
    An entry seen with several multipliers is listed with all of them and ``consistent: false``."""
    return [{"symbol": s, "count": c, "multipliers": sorted(str(v) for v in values),
             "consistent": len(values) == 1}
            for (s, c), values in sorted(stats.line_pays.items())]


def signature_from_stats(stats: SufficientStats) -> dict[str, Any]:
    """JSON-ready signature (the profile library's public view)."""
    n = stats.spins
    mean, lo, hi = rtp_interval(stats)
    hit_lo, hit_hi = wilson_interval(stats.hits, n)
    std = sample_std(stats)
    rows, reels = stats.shape or (0, 0)
    cells = max(n * rows, 1)
    frequencies = []
    for r in range(reels):
        counts = stats.reel_counts(r)
        frequencies.append({s: {"frequency": round(c / cells, 6),
                                "std_error": round(math.sqrt((c / cells) * (1 - c / cells) / cells), 6)}
                            for s, c in counts.items()})
    distribution = [{"multiplier": str(m), "decimal": _decimal(m, 6), "count": c,
                     "probability": round(c / n, 8) if n else 0.0}
                    for m, c in sorted(stats.multipliers.items())]
    return {
        "spins": n,
        "deterministic": {
            "window_shape": {"rows": rows, "reels": reels},
            "alphabet": stats.alphabet,
            "reel_symbol_sets": [sorted(stats.reel_counts(r)) for r in range(reels)],
            "replay": {"checked": stats.replay_checked, "mismatches": stats.replay_mismatches,
                       "consistent": None if not stats.replay_checked else stats.replay_mismatches == 0},
            "lines_seen": sorted(stats.lines_seen),
            "paytable": inferred_paytable(stats),
        },
        "rtp": {"estimate": _decimal(mean), "ci95": [round(lo, 10), round(hi, 10)]},
        "hit_frequency": {"estimate": round(stats.hits / n, 10) if n else 0.0,
                          "ci95": [round(hit_lo, 10), round(hit_hi, 10)]},
        "std_dev": round(std, 8),
        "volatility": volatility_class(std),
        "reel_frequencies": frequencies,
        "payout_distribution": distribution[:MAX_DISTRIBUTION_ROWS],
        "payout_values": len(distribution),
        "max_win": None if stats.max_win is None else str(stats.max_win),
    }
