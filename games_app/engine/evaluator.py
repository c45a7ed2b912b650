"""Spin evaluation: the exact scalar reference and the compiled (table) form used by numpy code.

Rules (the contract documented in docs/games.md):

* Window cell (row, reel) = ``strip[(stop + row) % len(strip)]``.
* A line is read left to right from reel 1. Its symbol is the first non-wild symbol; the run is
  the number of consecutive cells equal to that symbol or wild. A scatter ends the run (and a
  line starting with a scatter pays nothing).
* If the line starts with ``w >= 1`` wilds, the wild's own pay for ``w`` is also considered and
  the better of the two is paid (on a tie the substituted symbol's combination is reported).
  A line made only of wilds (or wilds then a scatter) pays the wild's own pay, if any.
* Pays use the largest paytable count ``<=`` the run (see :class:`GameDefinition`).
* ``total_multiplier = sum(line multipliers) / number_of_lines + scatter multiplier``, in units
  of the total bet; line multipliers are in units of the line bet.
"""
from __future__ import annotations

import math
from itertools import chain
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np

from .definition import GameDefinition, format_decimal

__all__ = [
    "LineWin",
    "SpinOutcome",
    "evaluate_line",
    "evaluate_window",
    "evaluate_spin",
    "Scale",
    "LineAutomaton",
    "compile_game",
]


@dataclass(frozen=True)
class LineWin:
    """One winning payline. ``line`` is the 0-based payline index; ``multiplier`` is in units of
    the LINE bet; ``symbol`` is the paying symbol (the wild for a paying wild run)."""

    line: int
    symbol: str
    count: int
    multiplier: Fraction

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "symbol": self.symbol, "count": self.count,
                "multiplier": format_decimal(self.multiplier)}


@dataclass(frozen=True)
class SpinOutcome:
    """Result of one spin. ``window`` is row-major (rows x reels); ``stops`` is ``None`` for
    engines that do not expose them; ``scatter_win`` and ``total_multiplier`` are multiples of
    the TOTAL bet (payout = total_bet * total_multiplier)."""

    window: list[list[str]]
    stops: list[int] | None
    line_wins: list[LineWin]
    scatter_win: Fraction
    total_multiplier: Fraction

    @property
    def is_win(self) -> bool:
        return self.total_multiplier > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; multipliers as decimal strings (exact unless non-terminating, then
        truncated to 18 places)."""
        data: dict[str, Any] = {
            "window": [list(row) for row in self.window],
            "line_wins": [win.to_dict() for win in self.line_wins],
            "scatter_win": format_decimal(self.scatter_win),
            "total_multiplier": format_decimal(self.total_multiplier),
        }
        if self.stops is not None:
            data["stops"] = list(self.stops)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SpinOutcome:
        """Parse the :meth:`to_dict` shape (``stops`` optional); ``ValueError`` on bad input.

        Multipliers may also be exact ``"p/q"`` strings (useful for remote engines)."""
        if not isinstance(data, Mapping):
            raise ValueError("outcome must be a JSON object")
        window = data.get("window")
        if (not isinstance(window, list) or not window
                or not all(isinstance(row, list) and row and all(isinstance(c, str) for c in row)
                           for row in window)
                or len({len(row) for row in window}) != 1):
            raise ValueError("window must be a non-empty rectangular list of lists of symbol names")
        stops = data.get("stops")
        if stops is not None and (not isinstance(stops, list)
                                  or not all(_is_int(s) and s >= 0 for s in stops)):
            raise ValueError("stops must be a list of non-negative integers")
        raw_wins = data.get("line_wins")
        if not isinstance(raw_wins, list):
            raise ValueError("line_wins must be a list")
        wins = []
        for i, raw in enumerate(raw_wins):
            if (not isinstance(raw, Mapping) or not _is_int(raw.get("line")) or raw["line"] < 0
                    or not isinstance(raw.get("symbol"), str)
                    or not _is_int(raw.get("count")) or raw["count"] < 1):
                raise ValueError(f"line_wins[{i}] must have line, symbol, count and multiplier")
            wins.append(LineWin(raw["line"], raw["symbol"], raw["count"],
                                _parse_multiplier(raw.get("multiplier"), f"line_wins[{i}].multiplier")))
        return cls(window=[list(row) for row in window], stops=None if stops is None else list(stops),
                   line_wins=wins,
                   scatter_win=_parse_multiplier(data.get("scatter_win"), "scatter_win"),
                   total_multiplier=_parse_multiplier(data.get("total_multiplier"), "total_multiplier"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_MULTIPLIER = re.compile(r"[0-9]+(\.[0-9]+)?|[0-9]+/[1-9][0-9]*")


def _parse_multiplier(value: Any, name: str) -> Fraction:
    """Non-negative multiplier: an int, a decimal string or an exact ``"p/q"`` string."""
    if _is_int(value) and value >= 0:
        return Fraction(value)
    if isinstance(value, str) and _MULTIPLIER.fullmatch(value):
        return Fraction(value)
    raise ValueError(f"{name} must be a non-negative decimal string")


# -- scalar reference ---------------------------------------------------------------------------
def evaluate_line(definition: GameDefinition, symbols: Sequence[str]) -> tuple[str, int, Fraction] | None:
    """Return ``(symbol, count, multiplier_of_line_bet)`` for one line's symbols, or ``None``."""
    wild, scatter = definition.wild, definition.scatter
    n = len(symbols)
    w = 0
    while w < n and wild is not None and symbols[w] == wild:
        w += 1
    best: tuple[str, int, Fraction] | None = None
    if w:
        wild_pay = definition.pay(wild, w)
        if wild_pay.numerator > 0:  # a Fraction's sign is its numerator's: an int comparison, not Fraction's
            best = (wild, w, wild_pay)
    if w < n and symbols[w] != scatter:
        target = symbols[w]
        count = w + 1
        while count < n and (symbols[count] == target or symbols[count] == wild):
            count += 1
        pay = definition.pay(target, count)
        if pay.numerator > 0 and (best is None or pay >= best[2]):
            best = (target, count, pay)
    return best


def evaluate_window(definition: GameDefinition, window: Sequence[Sequence[str]],
                    *, stops: Sequence[int] | None = None) -> SpinOutcome:
    """Evaluate a row-major window exactly."""
    window = [list(row) for row in window]
    stops = None if stops is None else list(stops)
    n_reels = definition.n_reels
    if all(len(row) == n_reels for row in window):
        return _evaluate(definition, window, list(chain.from_iterable(window)), stops)
    wins = []  # a window of another shape: read each line's cells as the rule says
    for index, line in enumerate(definition.paylines):
        result = evaluate_line(definition, [window[row][reel] for reel, row in enumerate(line)])
        if result is not None:
            wins.append(LineWin(index, *result))
    scatter_win = Fraction(0)
    if definition.scatter is not None:
        scatter_win = definition.scatter_pay(sum(cell == definition.scatter for row in window for cell in row))
    return _outcome(definition, window, stops, wins, scatter_win)


_LINE_RESULTS_MAX = 1 << 16  # distinct line contents remembered per definition (a 5-reel, 10-symbol game has 10^5)
_NOT_SEEN = object()


def _evaluate(definition: GameDefinition, window: list[list[str]], cells: list[str],
              stops: list[int] | None) -> SpinOutcome:
    """evaluate_window on a window of the definition's shape that the outcome may own; `cells` is it flattened
    row-major. A line's answer depends on its symbols only, so each distinct line is evaluated once."""
    known = definition.line_results
    wins = []
    for index, line_symbols in enumerate(definition.line_cells):
        symbols = line_symbols(cells)
        result = known.get(symbols, _NOT_SEEN)
        if result is _NOT_SEEN:
            result = evaluate_line(definition, symbols)
            if len(known) < _LINE_RESULTS_MAX:
                known[symbols] = result
        if result is not None:
            wins.append(LineWin(index, *result))
    scatter_win = definition.scatter_pay(cells.count(definition.scatter)) if definition.scatter is not None \
        else Fraction(0)
    return _outcome(definition, window, stops, wins, scatter_win)


def _outcome(definition: GameDefinition, window: list[list[str]], stops: list[int] | None, wins: list[LineWin],
             scatter_win: Fraction) -> SpinOutcome:
    total = (sum((win.multiplier for win in wins), Fraction(0)) / definition.n_lines + scatter_win) if wins else scatter_win
    return SpinOutcome(window=window, stops=stops, line_wins=wins, scatter_win=scatter_win, total_multiplier=total)


def evaluate_spin(definition: GameDefinition, stops: Sequence[int]) -> SpinOutcome:
    """Evaluate the spin whose reel ``r`` stopped at ``stops[r]``."""
    for reel, (stop, strip) in enumerate(zip(stops, definition.reels)):
        if not 0 <= stop < len(strip):
            raise ValueError(f"stops[{reel}]={stop} out of range 0..{len(strip) - 1}")
    stops = list(stops)
    if len(stops) != definition.n_reels:
        definition.window(stops)  # raises its ValueError
    rows = list(zip(*definition.columns(stops)))
    return _evaluate(definition, [list(row) for row in rows], list(chain.from_iterable(rows)), stops)


# -- compiled form ------------------------------------------------------------------------------
def _lcm_of_denominators(values: Sequence[Fraction]) -> int:
    return math.lcm(1, *(v.denominator for v in values))


@dataclass(frozen=True)
class Scale:
    """Integer units shared by the vectorised code.

    Line pays are integers in units of ``1/line_den`` line bets; scatter pays in ``1/scatter_den``
    total bets. A spin's total multiplier is ``(line_factor * sum(line ints) + scatter_factor *
    scatter int) / denominator`` exactly.
    """

    line_den: int
    scatter_den: int
    denominator: int
    line_factor: int
    scatter_factor: int

    @classmethod
    def for_definition(cls, definition: GameDefinition) -> Scale:
        line_den = _lcm_of_denominators([v for pays in definition.paytable.values() for v in pays.values()])
        scatter_den = _lcm_of_denominators(list(definition.scatter_pays.values()))
        denominator = math.lcm(definition.n_lines * line_den, scatter_den)
        return cls(line_den, scatter_den, denominator,
                   denominator // (definition.n_lines * line_den), denominator // scatter_den)


ALLW, DONE = 0, 1  # automaton codes; ALIVE(t, w) = 2 + t * n_reels + w


@dataclass(frozen=True)
class LineAutomaton:
    """The line rule as a left-to-right automaton over symbol ids (``definition.symbols``).

    States: ALLW (only wilds read so far), ALIVE(t, w) (symbol ``t`` after ``w`` leading wilds,
    run unbroken), DONE (pay settled). ``step[r][code, sym]`` is the state after reading ``sym``
    on reel ``r`` and ``settle[r][code, sym]`` the line pay (``Scale.line_den`` units) settled
    by that step. ``low[r]``/``high[r]`` bound the final pay of a line still open after reel
    ``r`` (bounds taken over a superset of reachable outcomes, so they are safe).
    """

    n_reels: int
    n_codes: int
    step: tuple[np.ndarray, ...]
    settle: tuple[np.ndarray, ...]
    low: tuple[np.ndarray, ...]
    high: tuple[np.ndarray, ...]

    def run(self, symbol_ids: np.ndarray) -> np.ndarray:
        """Line pays (int64, ``line_den`` units) for an ``(M, n_reels)`` array of symbol ids."""
        codes = np.zeros(symbol_ids.shape[0], dtype=np.int64)
        pays = np.zeros(symbol_ids.shape[0], dtype=np.int64)
        for reel in range(self.n_reels):
            column = symbol_ids[:, reel]
            pays += self.settle[reel][codes, column]
            codes = self.step[reel][codes, column]
        return pays


def _build_automaton(definition: GameDefinition, scale: Scale) -> LineAutomaton:
    symbols = definition.symbols
    n_reels = definition.n_reels
    sym_id = {s: i for i, s in enumerate(symbols)}
    wild = sym_id.get(definition.wild, -1) if definition.wild else -1
    scatter = sym_id.get(definition.scatter, -1) if definition.scatter else -1
    line_syms = [i for i in range(len(symbols)) if i not in (wild, scatter)]
    t_index = {s: k for k, s in enumerate(line_syms)}
    n_codes = 2 + len(line_syms) * n_reels

    def ipay(sym: int, count: int) -> int:
        if sym < 0 or count <= 0:
            return 0
        value = definition.pay(symbols[sym], count) * scale.line_den
        assert value.denominator == 1
        return int(value)

    def final(t: int, w: int, c: int) -> int:
        return max(ipay(t, c), ipay(wild, w))

    def alive(t: int, w: int) -> int:
        return 2 + t_index[t] * n_reels + w

    steps, settles, lows, highs = [], [], [], []
    for r in range(n_reels):
        last = r + 1 == n_reels
        step = np.full((n_codes, len(symbols)), DONE, dtype=np.int64)
        settle = np.zeros((n_codes, len(symbols)), dtype=np.int64)
        for s in range(len(symbols)):
            # ALLW: r wilds read so far
            if s == wild:
                step[ALLW, s], settle[ALLW, s] = (DONE, ipay(wild, n_reels)) if last else (ALLW, 0)
            elif s == scatter:
                settle[ALLW, s] = ipay(wild, r)
            elif last:
                settle[ALLW, s] = final(s, r, n_reels)
            else:
                step[ALLW, s] = alive(s, r)
            # ALIVE(t, w) with a run of r so far (w < r)
            for t in line_syms:
                for w in range(r):
                    code = alive(t, w)
                    if s in (t, wild):
                        if last:
                            settle[code, s] = final(t, w, n_reels)
                        else:
                            step[code, s] = code
                    else:
                        settle[code, s] = final(t, w, r)
        low = np.zeros(n_codes, dtype=np.int64)
        high = np.zeros(n_codes, dtype=np.int64)
        if not last:
            read = r + 1
            outcomes = [ipay(wild, w2) for w2 in range(read, n_reels + 1)]
            outcomes += [final(t, w2, c) for t in line_syms for w2 in range(read, n_reels)
                         for c in range(w2 + 1, n_reels + 1)]
            low[ALLW], high[ALLW] = min(outcomes), max(outcomes)
            for t in line_syms:
                for w in range(read):
                    values = [final(t, w, c) for c in range(read, n_reels + 1)]
                    low[alive(t, w)], high[alive(t, w)] = min(values), max(values)
        steps.append(step)
        settles.append(settle)
        lows.append(low)
        highs.append(high)
    return LineAutomaton(n_reels, n_codes, tuple(steps), tuple(settles), tuple(lows), tuple(highs))


@dataclass(frozen=True)
class CompiledGame:
    """Numpy-ready view of a definition (symbol ids index ``definition.symbols``)."""

    definition: GameDefinition
    scale: Scale
    automaton: LineAutomaton
    strips: tuple[np.ndarray, ...]          # symbol id per stop, per reel
    scatter_counts: tuple[np.ndarray, ...]  # scatters in the reel's window, per stop
    scatter_table: np.ndarray               # scale.scatter_den units, indexed by scatter count

    def cells(self, reel: int, row: int) -> np.ndarray:
        """Symbol id shown at ``row`` of ``reel`` for every stop of that reel."""
        strip = self.strips[reel]
        return strip[(np.arange(strip.size) + row) % strip.size]


@lru_cache(maxsize=64)
def compile_game(definition: GameDefinition) -> CompiledGame:
    """Compile (and cache) the integer tables for ``definition``."""
    scale = Scale.for_definition(definition)
    sym_id = {s: i for i, s in enumerate(definition.symbols)}
    strips = tuple(np.array([sym_id[s] for s in strip], dtype=np.int64) for strip in definition.reels)
    scatter_counts = []
    for strip in definition.reels:
        flags = np.array([s == definition.scatter for s in strip], dtype=np.int64)
        counts = sum(np.roll(flags, -row) for row in range(definition.rows))
        scatter_counts.append(np.asarray(counts, dtype=np.int64))
    max_count = definition.rows * definition.n_reels
    scatter_table = np.array([int(definition.scatter_pay(k) * scale.scatter_den) for k in range(max_count + 1)],
                             dtype=np.int64)
    return CompiledGame(definition, scale, _build_automaton(definition, scale), strips,
                        tuple(scatter_counts), scatter_table)
