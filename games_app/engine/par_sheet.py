"""Exact PAR sheet: every figure is a ratio of integers counted over all stop combinations.

Method (no simulation, no floats in exact figures):

* Every line reads one uniformly distributed cell per reel, so all lines have the same pay
  distribution. A line's outcome is one of a few *patterns* (``w`` leading wilds, then symbol
  ``t`` for a run of ``c``, then a breaker), each a product of per-reel symbol-set conditions,
  so its probability is a product of per-reel counts.
* Variance needs ``E[pay_i * pay_j]`` for every pair of lines. The two cells a pair reads on a
  reel are two rows of the same strip, so ``count(set_a at row a and set_b at row b)`` is a small
  per-reel matrix; reels are independent, so a pattern pair's count is a product over reels.
  The line/scatter cross term uses the same idea with the reel's scatter count.
* Hit frequency and the top award need the joint behaviour of all lines. They walk the reels
  left to right keeping, for each distinct partial state (every line's automaton state, scatter
  count, settled pays), the number of stop prefixes leading to it. States whose result is
  already decided are counted in closed form (hit frequency) or discarded by bounds (top award).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from math import prod
from typing import Any

import numpy as np

from .definition import GameDefinition, format_decimal
from .evaluator import ALLW, CompiledGame, compile_game

__all__ = ["CombinationStat", "ParSheet", "compute_par_sheet", "format_par_sheet"]

_INT64_SAFE = 2**62
_CHUNK_CELLS = 1 << 22  # (states x stops x lines) cells expanded at once


@dataclass(frozen=True)
class CombinationStat:
    """One paying combination.

    ``kind == "line"``: ``probability`` is per line per spin and ``multiplier`` is in line bets.
    ``kind == "scatter"``: ``count`` scatters anywhere, ``probability`` per spin, ``multiplier``
    in total bets. ``rtp_contribution`` is always in total-bet units (they sum to the RTP).
    """

    kind: str
    symbol: str
    count: int
    multiplier: Fraction
    probability: Fraction
    rtp_contribution: Fraction


@dataclass(frozen=True)
class ParSheet:
    slug: str
    content_hash: str
    n_reels: int
    rows: int
    n_lines: int
    total_combinations: int
    rtp: Fraction
    line_rtp: Fraction
    scatter_rtp: Fraction
    hit_frequency: Fraction
    variance: Fraction
    std_dev: Decimal
    volatility_index: Decimal
    top_award: Fraction
    top_award_probability: Fraction
    combinations: list[CombinationStat] = field(default_factory=list)

    @property
    def top_award_odds(self) -> Fraction:
        """``N`` in "1 in N" for the top award."""
        return 1 / self.top_award_probability

    def to_dict(self) -> dict[str, Any]:
        """Decimal strings (18 places, truncated) plus exact ``"p/q"`` strings (``*_exact``)."""
        def exact(value: Fraction) -> str:
            return f"{value.numerator}/{value.denominator}"

        data: dict[str, Any] = {
            "slug": self.slug, "content_hash": self.content_hash, "reels": self.n_reels,
            "rows": self.rows, "lines": self.n_lines, "total_combinations": self.total_combinations,
        }
        for name in ("rtp", "line_rtp", "scatter_rtp", "hit_frequency", "variance", "top_award",
                     "top_award_probability", "top_award_odds"):
            value = getattr(self, name)
            data[name], data[f"{name}_exact"] = format_decimal(value), exact(value)
        data["std_dev"] = str(self.std_dev)
        data["volatility_index"] = str(self.volatility_index)
        data["combinations"] = [
            {"kind": c.kind, "symbol": c.symbol, "count": c.count,
             "multiplier": format_decimal(c.multiplier),
             "probability": format_decimal(c.probability),
             "probability_exact": exact(c.probability),
             "rtp_contribution": format_decimal(c.rtp_contribution),
             "rtp_contribution_exact": exact(c.rtp_contribution)}
            for c in self.combinations
        ]
        return data


# -- line patterns ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Patterns:
    """Paying line patterns: per-reel symbol-set ids, pay (line_den units) and label."""

    set_members: list[frozenset[int]]  # set id -> symbol ids
    sets: np.ndarray                   # (n_patterns, n_reels) set ids
    pays: list[int]
    labels: list[tuple[str, int]]


def _line_patterns(game: CompiledGame) -> _Patterns:
    definition = game.definition
    symbols = definition.symbols
    ids = {s: i for i, s in enumerate(symbols)}
    wild = ids[definition.wild] if definition.wild else None
    scatter = ids[definition.scatter] if definition.scatter else None
    n_reels = definition.n_reels
    every = frozenset(range(len(symbols)))
    set_ids: dict[frozenset[int], int] = {}

    def sid(members: frozenset[int]) -> int:
        return set_ids.setdefault(members, len(set_ids))

    def ipay(symbol: int | None, count: int) -> int:
        if symbol is None or count <= 0:
            return 0
        return int(definition.pay(symbols[symbol], count) * game.scale.line_den)

    rows, pays, labels = [], [], []
    for t in (i for i in range(len(symbols)) if i not in (wild, scatter)):
        run = frozenset({t} if wild is None else {t, wild})
        for w in range(n_reels if wild is not None else 1):
            for c in range(w + 1, n_reels + 1):
                symbol_pay, wild_pay = ipay(t, c), ipay(wild, w)
                if max(symbol_pay, wild_pay) == 0:
                    continue
                cells = [frozenset({wild})] * w + [frozenset({t})] + [run] * (c - w - 1)
                if c < n_reels:
                    cells.append(every - run)
                cells += [every] * (n_reels - len(cells))
                rows.append([sid(cell) for cell in cells])
                pays.append(max(symbol_pay, wild_pay))
                labels.append((symbols[t], c) if symbol_pay >= wild_pay else (symbols[wild], w))
    if wild is not None:
        for w in range(1, n_reels + 1):
            if ipay(wild, w) == 0 or (w < n_reels and scatter is None):
                continue
            cells = [frozenset({wild})] * w + ([frozenset({scatter})] if w < n_reels else [])
            cells += [every] * (n_reels - len(cells))
            rows.append([sid(cell) for cell in cells])
            pays.append(ipay(wild, w))
            labels.append((symbols[wild], w))
    members = sorted(set_ids, key=set_ids.get)
    sets = np.array(rows, dtype=np.int64).reshape(len(rows), n_reels)
    return _Patterns(members, sets, pays, labels)


def _indicators(game: CompiledGame, patterns: _Patterns, reel: int, row: int) -> np.ndarray:
    """(n_sets, strip length) 0/1 matrix: is the cell at ``row`` in each set, per stop."""
    cells = game.cells(reel, row)
    matrix = np.zeros((len(patterns.set_members), cells.size), dtype=np.int64)
    for set_id, members in enumerate(patterns.set_members):
        matrix[set_id] = np.isin(cells, sorted(members))
    return matrix


# -- scatter distribution ----------------------------------------------------------------------
def _scatter_distribution(game: CompiledGame, reels: Sequence[int]) -> np.ndarray:
    """Number of stop combinations of ``reels`` per total scatter count (index = count)."""
    dist = np.array([1], dtype=object)
    for r in reels:
        dist = np.convolve(dist, np.bincount(game.scatter_counts[r]).astype(object))
    return dist


def _dot(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(int(x) * int(y) for x, y in zip(a, b))


# -- frontier walk (hit frequency, top award) --------------------------------------------------
def _merge(keys: np.ndarray, *arrays: np.ndarray, weight: np.ndarray):
    """Collapse identical key rows, summing ``weight``; ``arrays`` follow the first occurrence."""
    if keys.shape[0] < 2:
        return (keys, *arrays, weight)
    keys = np.ascontiguousarray(keys)
    void = keys.view(np.dtype((np.void, keys.dtype.itemsize * keys.shape[1]))).ravel()
    _, first, inverse = np.unique(void, return_index=True, return_inverse=True)
    summed = np.zeros(first.size, dtype=np.int64)
    np.add.at(summed, inverse.ravel(), weight)
    return (keys[first], *(a[first] for a in arrays), summed)


@dataclass(frozen=True)
class _States:
    """Partial states: every line's automaton code, scatter count so far, settled line pays
    (``line_den`` units) and the number of stop prefixes (``weight``) leading to each row."""

    codes: np.ndarray
    scatter: np.ndarray
    settled: np.ndarray
    weight: np.ndarray

    def take(self, mask: np.ndarray) -> _States:
        return _States(self.codes[mask], self.scatter[mask], self.settled[mask], self.weight[mask])


class _Frontier:
    """Distinct partial states after the reels read so far, expanded one reel at a time."""

    def __init__(self, game: CompiledGame) -> None:
        self.game = game
        n_lines = game.definition.n_lines
        self.states = _States(np.full((1, n_lines), ALLW, dtype=np.int16), np.zeros(1, dtype=np.int64),
                              np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64))
        self._steps = [s.astype(np.int16) for s in game.automaton.step]

    def expansions(self, reel: int) -> Iterator[_States]:
        """Every state extended by every stop of ``reel``, in chunks of bounded memory."""
        game, states = self.game, self.states
        cells = np.stack([game.cells(reel, line[reel]) for line in game.definition.paylines], axis=1)
        size, n_lines = cells.shape
        rows_per_chunk = max(1, _CHUNK_CELLS // (size * n_lines))
        cells3 = cells[None, :, :]
        for start in range(0, states.weight.size, rows_per_chunk):
            part = slice(start, start + rows_per_chunk)
            codes3 = states.codes[part, None, :]
            settled = game.automaton.settle[reel][codes3, cells3].sum(axis=2)
            yield _States(
                codes=self._steps[reel][codes3, cells3].reshape(-1, n_lines),
                scatter=(states.scatter[part, None] + game.scatter_counts[reel][None, :]).reshape(-1),
                settled=(states.settled[part, None] + settled).reshape(-1),
                weight=np.repeat(states.weight[part], size),
            )

    def replace(self, parts: list[_States], *, by_settled: bool) -> None:
        """Make ``parts`` the new frontier, merging rows whose future is identical."""
        if not parts:  # nothing left to expand
            self.states = self.states.take(np.zeros(self.states.weight.size, dtype=bool))
            return
        codes = np.concatenate([p.codes for p in parts])
        scatter = np.concatenate([p.scatter for p in parts])
        settled = np.concatenate([p.settled for p in parts])
        weight = np.concatenate([p.weight for p in parts])
        columns = [codes.astype(np.int64), scatter[:, None]] + ([settled[:, None]] if by_settled else [])
        keys, scatter, settled, weight = _merge(np.hstack(columns), scatter, settled, weight=weight)
        self.states = _States(keys[:, :codes.shape[1]].astype(np.int16), scatter, settled, weight)


def _hit_count(game: CompiledGame) -> int:
    definition = game.definition
    lengths = [len(s) for s in definition.reels]
    automaton = game.automaton
    hit_from = min(definition.scatter_pays, default=None)
    frontier = _Frontier(game)
    hits = 0
    for reel in range(definition.n_reels):
        rest = prod(lengths[reel + 1:])
        tail = _scatter_distribution(game, range(reel + 1, definition.n_reels))
        at_least = np.concatenate([np.cumsum(tail[::-1])[::-1], [0]])
        kept = []
        for chunk in frontier.expansions(reel):
            hit = (chunk.settled > 0) | (automaton.low[reel][chunk.codes] > 0).any(axis=1)
            if hit_from is not None:
                hit |= chunk.scatter >= hit_from
            hits += int(chunk.weight[hit].sum()) * rest
            undecided = ~hit & (automaton.high[reel][chunk.codes] > 0).any(axis=1)
            if hit_from is not None:  # no line can pay any more: only the scatter can still hit
                lines_dead = ~hit & ~undecided
                need = np.clip(hit_from - chunk.scatter[lines_dead], 0, len(tail))
                hits += _dot(chunk.weight[lines_dead], at_least[need])
            kept.append(chunk.take(undecided))
        frontier.replace(kept, by_settled=False)
    return hits


def _top_award(game: CompiledGame) -> tuple[int, int]:
    """(largest total multiplier numerator over ``scale.denominator``, combinations reaching it)."""
    definition = game.definition
    scale, automaton = game.scale, game.automaton
    scatter_pay = game.scatter_table
    max_per_reel = [int(c.max()) for c in game.scatter_counts]
    frontier = _Frontier(game)
    best = -1
    for reel in range(definition.n_reels):
        remaining = sum(max_per_reel[reel + 1:])
        windows = [scatter_pay[c:c + remaining + 1] for c in range(scatter_pay.size)]
        s_low = np.array([w.min() for w in windows], dtype=np.int64)
        s_high = np.array([w.max() for w in windows], dtype=np.int64)
        candidates = []
        for chunk in frontier.expansions(reel):
            low = scale.line_factor * (chunk.settled + automaton.low[reel][chunk.codes].sum(axis=1)) \
                + scale.scatter_factor * s_low[chunk.scatter]
            high = scale.line_factor * (chunk.settled + automaton.high[reel][chunk.codes].sum(axis=1)) \
                + scale.scatter_factor * s_high[chunk.scatter]
            best = max(best, int(low.max()))
            keep = high >= best
            candidates.append((chunk.take(keep), high[keep]))
        frontier.replace([states.take(high >= best) for states, high in candidates], by_settled=True)
    states = frontier.states
    final = scale.line_factor * states.settled + scale.scatter_factor * scatter_pay[states.scatter]
    top = int(final.max())
    return top, int(states.weight[final == top].sum())


# -- variance ----------------------------------------------------------------------------------
def _second_moment_numerator(game: CompiledGame, patterns: _Patterns, scatter_dist: np.ndarray) -> int:
    """``N * D**2 * E[X**2]`` where ``X`` is the total multiplier and ``D`` its denominator."""
    definition, scale = game.definition, game.scale
    n_total = definition.total_combinations
    pays = patterns.pays
    h = [int(v) for v in game.scatter_table]
    indicators = {}
    for line in definition.paylines:
        for r, row in enumerate(line):
            if (r, row) not in indicators:
                indicators[(r, row)] = _indicators(game, patterns, r, row)

    lines_term = 0
    if pays:
        vmax = max(pays)
        dtype = np.int64 if n_total * vmax < _INT64_SAFE else object
        v = np.array(pays, dtype=dtype)
        for i, line_a in enumerate(definition.paylines):
            for j in range(i, len(definition.paylines)):
                line_b = definition.paylines[j]
                joint = np.ones((len(pays), len(pays)), dtype=dtype)
                for r in range(definition.n_reels):
                    counts = indicators[(r, line_a[r])] @ indicators[(r, line_b[r])].T
                    idx = patterns.sets[:, r]
                    joint = joint * counts[np.ix_(idx, idx)].astype(dtype)
                term = _dot(pays, joint @ v)
                lines_term += term if i == j else 2 * term

    cross_term = 0
    if definition.scatter is not None and pays:
        for line in definition.paylines:
            poly = np.ones((len(pays), 1), dtype=np.int64)
            for r, row in enumerate(line):
                by_count = indicators[(r, row)] @ np.eye(definition.rows + 1, dtype=np.int64)[
                    game.scatter_counts[r]]
                factor = by_count[patterns.sets[:, r]]
                grown = np.zeros((poly.shape[0], poly.shape[1] + definition.rows), dtype=np.int64)
                for k in range(definition.rows + 1):
                    grown[:, k:k + poly.shape[1]] += poly * factor[:, k:k + 1]
                poly = grown
            per_pattern = [_dot(row, h) for row in poly]
            cross_term += _dot(pays, per_pattern)

    scatter_term = sum(int(c) * hk * hk for c, hk in zip(scatter_dist, h))
    return (scale.line_factor**2 * lines_term + 2 * scale.line_factor * scale.scatter_factor * cross_term
            + scale.scatter_factor**2 * scatter_term)


# -- assembly ----------------------------------------------------------------------------------
def compute_par_sheet(definition: GameDefinition) -> ParSheet:
    """Compute the exact PAR sheet of ``definition`` (see the module docstring for the method)."""
    n_total = definition.total_combinations
    if n_total >= _INT64_SAFE:
        raise ValueError(f"{n_total} stop combinations: too many for exact int64 counting")
    game = compile_game(definition)
    scale = game.scale
    patterns = _line_patterns(game)

    reel_counts = [np.bincount(strip, minlength=len(definition.symbols)) for strip in game.strips]
    set_sizes = [[int(counts[sorted(m)].sum()) for m in patterns.set_members] for counts in reel_counts]
    combos: dict[tuple[str, int], tuple[Fraction, Fraction]] = {}
    line_rtp = Fraction(0)
    for sets, pay, label in zip(patterns.sets.tolist(), patterns.pays, patterns.labels):
        probability = Fraction(prod(set_sizes[r][s] for r, s in enumerate(sets)), n_total)
        if not probability:  # the strips make this pattern impossible
            continue
        multiplier = Fraction(pay, scale.line_den)  # a label always has the same pay
        combos[label] = (multiplier, combos.get(label, (multiplier, Fraction(0)))[1] + probability)
        line_rtp += probability * multiplier
    combinations = [CombinationStat("line", symbol, count, mult, prob, prob * mult)
                    for (symbol, count), (mult, prob) in sorted(combos.items())]

    scatter_dist = _scatter_distribution(game, range(definition.n_reels))
    scatter_rtp = Fraction(0)
    if definition.scatter is not None:
        for k, count in enumerate(scatter_dist):
            pay = definition.scatter_pay(k)
            if pay > 0 and count:
                probability = Fraction(int(count), n_total)
                scatter_rtp += probability * pay
                combinations.append(CombinationStat("scatter", definition.scatter, k, pay, probability,
                                                    probability * pay))

    rtp = line_rtp + scatter_rtp
    second = Fraction(_second_moment_numerator(game, patterns, scatter_dist), n_total * scale.denominator**2)
    variance = second - rtp * rtp
    with localcontext() as ctx:
        ctx.prec = 40
        std = (Decimal(variance.numerator) / Decimal(variance.denominator)).sqrt()
        std_dev = std.quantize(Decimal("1e-12"))
        volatility = (Decimal("1.96") * std).quantize(Decimal("1e-12"))
    top, top_count = _top_award(game)
    return ParSheet(
        slug=definition.slug, content_hash=definition.content_hash(), n_reels=definition.n_reels,
        rows=definition.rows, n_lines=definition.n_lines, total_combinations=n_total, rtp=rtp,
        line_rtp=line_rtp, scatter_rtp=scatter_rtp, hit_frequency=Fraction(_hit_count(game), n_total),
        variance=variance, std_dev=std_dev, volatility_index=volatility,
        top_award=Fraction(top, scale.denominator), top_award_probability=Fraction(top_count, n_total),
        combinations=combinations,
    )


def _pct(value: Fraction) -> str:
    return f"{float(value) * 100:.4f}%"


def format_par_sheet(par: ParSheet) -> str:
    """Human-readable PAR sheet (used by ``manage.py par_sheet SLUG``)."""
    lines = [
        f"PAR sheet: {par.slug}  ({par.n_reels} reels x {par.rows} rows, {par.n_lines} lines, "
        f"{par.total_combinations:,} stop combinations)",
        f"content hash      {par.content_hash}",
        f"RTP               {_pct(par.rtp)}   exact {par.rtp}",
        f"  lines           {_pct(par.line_rtp)}",
        f"  scatter         {_pct(par.scatter_rtp)}",
        f"hit frequency     {_pct(par.hit_frequency)}   (1 in {float(1 / par.hit_frequency):.3f})"
        if par.hit_frequency else "hit frequency     0",
        f"variance          {float(par.variance):.6f}",
        f"std deviation     {par.std_dev}",
        f"volatility index  {par.volatility_index}   (1.96 x std dev)",
        f"top award         {format_decimal(par.top_award)}x total bet, "
        f"1 in {float(par.top_award_odds):,.1f}",
        "",
        f"{'kind':<8}{'symbol':<12}{'count':>6}{'pays':>12}{'probability':>16}{'1 in':>16}{'RTP %':>11}",
    ]
    for c in par.combinations:
        unit = "x line" if c.kind == "line" else "x bet"
        lines.append(f"{c.kind:<8}{c.symbol:<12}{c.count:>6}{format_decimal(c.multiplier) + unit:>12}"
                     f"{float(c.probability):>16.6e}{float(1 / c.probability):>16,.1f}"
                     f"{float(c.rtp_contribution) * 100:>10.4f}%")
    return "\n".join(lines)
