"""Small statistics helpers (no scipy in the project): chi-square tails, Wilson intervals."""
from __future__ import annotations

import math

__all__ = ["chi2_sf", "chi2_quantile", "wilson_interval", "Z95"]

Z95 = 1.959963984540054


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def chi2_sf(stat: float, df: float) -> float:
    """Upper tail of chi-square(df) (Wilson-Hilferty; good to a few % for df >= 1)."""
    if df <= 0:
        return 1.0
    if stat <= 0:
        return 1.0
    h = 2.0 / (9.0 * df)
    z = ((stat / df) ** (1.0 / 3.0) - (1.0 - h)) / math.sqrt(h)
    return _normal_sf(z)


def chi2_quantile(df: float, z: float) -> float:
    """Chi-square(df) quantile at normal score ``z`` (Wilson-Hilferty)."""
    if df <= 0:
        return 0.0
    h = 2.0 / (9.0 * df)
    return df * max(0.0, 1.0 - h + z * math.sqrt(h)) ** 3


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
