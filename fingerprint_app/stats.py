"""Sufficient statistics of a probe sample: exact, mergeable, JSON-persistable.

Everything here is counted from what the black box showed (windows and payouts), so two samples
of the same engine merge by addition and a profile can be extended by a later campaign without
re-probing. JSON form (``to_json``), all counts exact integers and all multipliers exact
fractions written as ``"p/q"`` (or ``"p"``):

``spins``, ``shape`` ``[rows, reels]``, ``cell_counts`` ``{symbol: [[count per reel] per row]}``,
``multipliers`` ``{multiplier: count}`` (the payout histogram), ``sum`` and ``sum_sq`` (of the
multipliers), ``hits`` (spins paying > 0), ``max_win``, ``line_pays`` ``{"SYMBOL:count":
[multipliers]}`` and ``lines_seen`` (from reported line wins), ``replay_checked`` /
``replay_mismatches``.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from fingerprint_app.probing import DeterministicProbe, ProbeBatch

__all__ = ["SufficientStats", "StatsShapeMismatch"]

FORMAT_VERSION = 1


class StatsShapeMismatch(ValueError):
    """Two samples with different window shapes cannot come from one engine."""


def _frac(text: str) -> Fraction:
    return Fraction(text)


@dataclass
class SufficientStats:
    spins: int = 0
    shape: tuple[int, int] | None = None
    cell_counts: dict[str, np.ndarray] = field(default_factory=dict)  # symbol -> int64 (rows, reels)
    multipliers: Counter = field(default_factory=Counter)              # Fraction -> count
    total: Fraction = Fraction(0)
    total_sq: Fraction = Fraction(0)
    hits: int = 0
    max_win: Fraction | None = None
    line_pays: dict[tuple[str, int], set[Fraction]] = field(default_factory=dict)
    lines_seen: set[int] = field(default_factory=set)
    replay_checked: int = 0
    replay_mismatches: int = 0

    # -- building --------------------------------------------------------------------------
    @classmethod
    def from_batch(cls, batch: ProbeBatch) -> SufficientStats:
        """Statistics of one probe batch (vectorised counting; exact)."""
        n, rows, reels = batch.windows.shape
        size = len(batch.alphabet)
        cell = (np.arange(rows)[:, None] * reels + np.arange(reels)[None, :]).astype(np.int64)
        codes = cell[None, :, :] * size + batch.windows.astype(np.int64)
        counts = np.bincount(codes.ravel(), minlength=rows * reels * size).reshape(rows, reels, size)
        cell_counts = {symbol: counts[:, :, i].astype(np.int64) for i, symbol in enumerate(batch.alphabet)
                       if counts[:, :, i].any()}
        values, freq = np.unique(batch.numerators, return_counts=True)
        den = batch.denominator
        histogram = Counter({Fraction(int(v), den): int(c) for v, c in zip(values, freq)})
        total = Fraction(sum(int(v) * int(c) for v, c in zip(values, freq)), den)
        total_sq = Fraction(sum(int(v) * int(v) * int(c) for v, c in zip(values, freq)), den * den)
        hits = int(freq[values > 0].sum())
        line_pays = {key: set(vals) for key, vals in batch.line_pays.items()}
        return cls(spins=n, shape=(rows, reels), cell_counts=cell_counts, multipliers=histogram,
                   total=total, total_sq=total_sq, hits=hits,
                   max_win=Fraction(int(values.max()), den) if n else None,
                   line_pays=line_pays, lines_seen=set(batch.lines_seen))

    @classmethod
    def from_observations(cls, observations: Iterable[tuple[list[list[str]], Fraction, list[Any]]]) -> SufficientStats:
        """Statistics of ``(window, multiplier, line_wins)`` triples (e.g. a session's spins).
        ``line_wins`` items are ``(line, symbol, count, multiplier)``."""
        stats = cls()
        for window, multiplier, line_wins in observations:
            rows, reels = len(window), len(window[0])
            if stats.shape is None:
                stats.shape = (rows, reels)
            elif stats.shape != (rows, reels) or any(len(r) != reels for r in window):
                raise StatsShapeMismatch(f"window shape {rows}x{reels} differs from {stats.shape}")
            for r, row in enumerate(window):
                for c, symbol in enumerate(row):
                    grid = stats.cell_counts.setdefault(symbol, np.zeros((rows, reels), dtype=np.int64))
                    grid[r, c] += 1
            multiplier = Fraction(multiplier)
            stats.spins += 1
            stats.multipliers[multiplier] += 1
            stats.total += multiplier
            stats.total_sq += multiplier * multiplier
            stats.hits += multiplier > 0
            stats.max_win = multiplier if stats.max_win is None else max(stats.max_win, multiplier)
            for line, symbol, count, pay in line_wins:
                stats.line_pays.setdefault((symbol, int(count)), set()).add(Fraction(pay))
                stats.lines_seen.add(int(line))
        return stats

    def add_deterministic(self, probe: DeterministicProbe) -> None:
        """Fold a chunk's deterministic probe in (line pays and the replay verdict)."""
        if probe.shape is not None and self.shape is not None and probe.shape != self.shape:
            raise StatsShapeMismatch(f"audit window shape {probe.shape} differs from {self.shape}")
        for key, values in probe.line_pays.items():
            self.line_pays.setdefault(key, set()).update(values)
        self.lines_seen |= probe.lines_seen
        self.replay_checked += probe.replay_checked
        self.replay_mismatches += len(probe.replay_mismatches)

    def merge(self, other: SufficientStats) -> SufficientStats:
        """Return the statistics of both samples together (neither input is changed).
        Raises StatsShapeMismatch when the window shapes differ."""
        if self.shape is not None and other.shape is not None and self.shape != other.shape:
            raise StatsShapeMismatch(f"window shape {other.shape} differs from {self.shape}")
        cells = {s: c.copy() for s, c in self.cell_counts.items()}
        for symbol, counts in other.cell_counts.items():
            cells[symbol] = cells[symbol] + counts if symbol in cells else counts.copy()
        line_pays = {k: set(v) for k, v in self.line_pays.items()}
        for key, values in other.line_pays.items():
            line_pays.setdefault(key, set()).update(values)
        wins = [w for w in (self.max_win, other.max_win) if w is not None]
        return SufficientStats(
            spins=self.spins + other.spins, shape=self.shape or other.shape, cell_counts=cells,
            multipliers=self.multipliers + other.multipliers, total=self.total + other.total,
            total_sq=self.total_sq + other.total_sq, hits=self.hits + other.hits,
            max_win=max(wins) if wins else None, line_pays=line_pays,
            lines_seen=self.lines_seen | other.lines_seen,
            replay_checked=self.replay_checked + other.replay_checked,
            replay_mismatches=self.replay_mismatches + other.replay_mismatches)

    # -- derived counts ----------------------------------------------------------------------
    @property
    def alphabet(self) -> list[str]:
        return sorted(self.cell_counts)

    def reel_counts(self, reel: int, *, rows: Iterable[int] | None = None) -> dict[str, int]:
        """Symbol counts on ``reel`` summed over ``rows`` (default: every row)."""
        picked = list(range(self.shape[0])) if rows is None else list(rows)
        return {s: int(c[picked, reel].sum()) for s, c in sorted(self.cell_counts.items())
                if c[picked, reel].sum() > 0}

    # -- JSON ------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "spins": self.spins,
            "shape": list(self.shape) if self.shape else None,
            "cell_counts": {s: c.tolist() for s, c in sorted(self.cell_counts.items())},
            "multipliers": {str(m): n for m, n in sorted(self.multipliers.items())},
            "sum": str(self.total),
            "sum_sq": str(self.total_sq),
            "hits": self.hits,
            "max_win": None if self.max_win is None else str(self.max_win),
            "line_pays": {f"{s}:{c}": sorted(str(v) for v in vals)
                          for (s, c), vals in sorted(self.line_pays.items())},
            "lines_seen": sorted(self.lines_seen),
            "replay_checked": self.replay_checked,
            "replay_mismatches": self.replay_mismatches,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> SufficientStats:
        if not data:
            return cls()
        line_pays = {}
        for key, values in data.get("line_pays", {}).items():
            symbol, _, count = key.rpartition(":")
            line_pays[(symbol, int(count))] = {_frac(v) for v in values}
        return cls(
            spins=int(data["spins"]),
            shape=tuple(data["shape"]) if data.get("shape") else None,
            cell_counts={s: np.array(c, dtype=np.int64) for s, c in data["cell_counts"].items()},
            multipliers=Counter({_frac(m): int(n) for m, n in data["multipliers"].items()}),
            total=_frac(data["sum"]), total_sq=_frac(data["sum_sq"]), hits=int(data["hits"]),
            max_win=None if data.get("max_win") is None else _frac(data["max_win"]),
            line_pays=line_pays, lines_seen=set(data.get("lines_seen", [])),
            replay_checked=int(data.get("replay_checked", 0)),
            replay_mismatches=int(data.get("replay_mismatches", 0)))
