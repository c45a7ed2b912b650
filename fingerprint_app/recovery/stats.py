"""Small statistics helpers: chi-square tails and quantiles (scipy), Wilson intervals."""
from __future__ import annotations

import math

from scipy.stats import chi2, norm

__all__ = ["chi2_sf", "chi2_quantile", "wilson_interval", "Z95"]

Z95 = 1.959963984540054


def chi2_sf(stat: float, df: float) -> float:
    """Upper tail of chi-square(df)."""
    if df <= 0 or stat <= 0:
        return 1.0
    return float(chi2.sf(stat, df))


def chi2_quantile(df: float, z: float) -> float:
    """Chi-square(df) quantile at normal score ``z``: the value whose upper tail equals N(0,1)'s beyond z."""
    if df <= 0:
        return 0.0
    return float(chi2.isf(norm.sf(z), df))


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
