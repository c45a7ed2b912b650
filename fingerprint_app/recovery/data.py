"""Observations as arrays: windows as symbol ids, payouts as integers over one denominator."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .types import Observation

__all__ = ["ObservationSet", "MAX_DENOMINATOR", "observation_set"]

# Payout grids finer than this cannot come from a paytable of decimal pays over <= 1000 lines;
# such data is treated as "not on a common grid" rather than overflowing int64 maths.
MAX_DENOMINATOR = 10**12


@dataclass(frozen=True)
class ObservationSet:
    """``sym[i, row, reel]`` indexes ``alphabet``; ``y[i] / den`` is observation i's multiplier.

    ``y`` is ``None`` when the payouts share no usable common denominator (then only the
    window statistics can be used).
    """

    alphabet: tuple[str, ...]
    sym: np.ndarray
    y: np.ndarray | None
    den: int
    multipliers: tuple[Fraction, ...]

    @property
    def n(self) -> int:
        return int(self.sym.shape[0])

    @property
    def rows(self) -> int:
        return int(self.sym.shape[1])

    @property
    def reels(self) -> int:
        return int(self.sym.shape[2])

    def multiplier_float(self) -> np.ndarray:
        if self.y is not None:
            return self.y.astype(np.float64) / self.den
        return np.array([float(m) for m in self.multipliers])


def _as_pair(item) -> tuple[list[list[str]], Fraction]:
    if isinstance(item, Observation):
        return item.window, item.multiplier
    window, multiplier = item
    return window, multiplier


def observation_set(observations: Sequence) -> ObservationSet:
    """Normalise ``Observation``s or ``(window, multiplier)`` tuples.

    Raises ``ValueError`` for ragged windows, windows of different shapes, non-string symbols,
    or negative / non-rational multipliers.
    """
    pairs = [_as_pair(item) for item in observations]
    if not pairs:
        raise ValueError("no observations")
    first = pairs[0][0]
    rows = len(first)
    if rows == 0 or not first[0]:
        raise ValueError("empty window")
    reels = len(first[0])
    alphabet_index: dict[str, int] = {}
    flat: list[int] = []
    multipliers: list[Fraction] = []
    for index, (window, multiplier) in enumerate(pairs):
        if len(window) != rows or any(len(row) != reels for row in window):
            raise ValueError(f"observation {index}: window shape differs from {rows}x{reels}")
        for row in window:
            for cell in row:
                if not isinstance(cell, str):
                    raise ValueError(f"observation {index}: symbols must be strings")
                flat.append(alphabet_index.setdefault(cell, len(alphabet_index)))
        value = Fraction(multiplier) if not isinstance(multiplier, Fraction) else multiplier
        if value < 0:
            raise ValueError(f"observation {index}: negative multiplier")
        multipliers.append(value)
    # ids follow the sorted alphabet, as GameDefinition.symbols does
    alphabet = tuple(sorted(alphabet_index))
    remap = np.empty(len(alphabet_index), dtype=np.int16)
    for name, old in alphabet_index.items():
        remap[old] = alphabet.index(name)
    sym = remap[np.asarray(flat, dtype=np.int64)].reshape(len(pairs), rows, reels)
    return _with_payouts(alphabet, sym, multipliers)


def _with_payouts(alphabet: tuple[str, ...], sym: np.ndarray, multipliers: list[Fraction]) -> ObservationSet:
    den = 1
    for value in set(multipliers):
        den = math.lcm(den, value.denominator)
        if den > MAX_DENOMINATOR:
            return ObservationSet(alphabet, sym, None, den, tuple(multipliers))
    y = np.array([int(v * den) for v in multipliers], dtype=object)
    if max(y, default=0) > 2**52:  # float64 least squares must represent every payout exactly
        return ObservationSet(alphabet, sym, None, den, tuple(multipliers))
    return ObservationSet(alphabet, sym, y.astype(np.int64), den, tuple(multipliers))


def observation_set_from_arrays(*, alphabet: Sequence[str], sym: np.ndarray,
                                numerators: np.ndarray, denominator: int) -> ObservationSet:
    """Fast path for callers that already hold symbol-id windows (``sym`` indexes ``alphabet``)
    and integer payouts ``numerators / denominator`` (bench, tests)."""
    alphabet = tuple(alphabet)
    order = sorted(range(len(alphabet)), key=lambda i: alphabet[i])
    remap = np.empty(len(alphabet), dtype=np.int16)
    for new, old in enumerate(order):
        remap[old] = new
    sym = remap[np.asarray(sym, dtype=np.int64)]
    present = np.unique(sym)
    # drop alphabet entries that never appear so ids stay dense
    dense = np.full(len(alphabet), -1, dtype=np.int16)
    dense[present] = np.arange(present.size, dtype=np.int16)
    names = tuple(sorted(alphabet))
    alphabet = tuple(names[i] for i in present)
    sym = dense[sym]
    multipliers = [Fraction(int(n), int(denominator)) for n in np.asarray(numerators).tolist()]
    return _with_payouts(alphabet, sym, multipliers)
