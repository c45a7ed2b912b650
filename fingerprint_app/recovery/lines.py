"""Paylines, line pays, wild and scatter from (window, payout) pairs alone.

Model (the project's evaluator rules): ``payout = sum over lines of f(label(line)) / n_lines +
S(scatter count)``. A line's *label* is ``(t, c, w)``: ``w`` leading wilds, then first non-wild
symbol ``t`` with a run of ``c`` cells (``t = NONE`` for all-wild lines or wilds followed by the
scatter). ``f(t, c, w) = max(pay(t, c), pay(wild, w))`` is shared by every line, so given the line
set the payouts are linear in ``u = f / n_lines`` and in ``S``.

Search, per (wild, scatter) hypothesis, over the ``rows ** reels`` candidate lines:

1. Zero-payout windows *kill* (line, label) pairs: a real line never shows a paying label there.
   A label is *strongly paying* when some line shows it often and never in a zero window; lines
   that show a strongly paying label in a zero window are dropped.
2. Greedy group selection: add the candidate line whose labels best explain the residual, refit
   ``u`` and ``S`` by least squares, repeat until the residual is exactly zero; then drop lines
   whose removal keeps the fit exact (the smallest line set).
3. Rationalise and verify every observed payout in exact integer arithmetic.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

__all__ = ["LabelSpace", "LineFit", "candidate_lines", "detect_scatter", "detect_wild", "fit_lines",
           "line_labels"]


class LabelSpace:
    """Integer codes for labels ``(t, c, w)``; ``t == NONE`` (= n_symbols) for no target symbol."""

    def __init__(self, n_symbols: int, n_reels: int) -> None:
        self.S = n_symbols
        self.C = n_reels
        self.none = n_symbols
        self.size = (n_symbols + 1) * (n_reels + 1) ** 2

    def encode(self, t: int, c: int, w: int) -> int:
        return (t * (self.C + 1) + c) * (self.C + 1) + w

    def decode(self, code: int) -> tuple[int, int, int]:
        rest, w = divmod(int(code), self.C + 1)
        t, c = divmod(rest, self.C + 1)
        return t, c, w


def candidate_lines(rows: int, reels: int) -> np.ndarray:
    """Every row pattern, ``(rows ** reels, reels)``."""
    return np.array(list(itertools.product(range(rows), repeat=reels)), dtype=np.int64).reshape(-1, reels)


def line_labels(sym: np.ndarray, lines: np.ndarray, space: LabelSpace, wild: int, scatter: int) -> np.ndarray:
    """Label codes ``(N, n_lines)`` of every line in every window (``-1`` = no wild/scatter)."""
    n_reels = lines.shape[1]
    cells = [sym[:, lines[:, r], r] for r in range(n_reels)]
    shape = cells[0].shape
    w = np.zeros(shape, dtype=np.int32)
    if wild >= 0:
        alive = np.ones(shape, dtype=bool)
        for r in range(n_reels):
            alive &= cells[r] == wild
            w += alive
    t = np.full(shape, space.none, dtype=np.int32)
    for r in range(n_reels):
        t = np.where(w == r, cells[r], t)
    if scatter >= 0:
        t[t == scatter] = space.none  # a scatter ends the run; wilds before it keep their own pay
    c = np.zeros(shape, dtype=np.int32)
    alive = np.ones(shape, dtype=bool)
    for r in range(n_reels):
        match = cells[r] == t
        if wild >= 0:
            match |= cells[r] == wild
        alive &= match
        c += alive
    return (t * (space.C + 1) + c) * (space.C + 1) + w


def _strong_threshold(hit_rate: float, n_pairs: int) -> int:
    """Occurrences, all in paying windows, after which "pays by chance" is below 1% overall."""
    if hit_rate >= 0.999:
        return 10**9
    if hit_rate <= 0:
        return 1
    return int(min(80, max(4, math.ceil(math.log(0.01 / max(1, n_pairs)) / math.log(hit_rate)))))


def detect_scatter(sym: np.ndarray, y: np.ndarray) -> list[tuple[int, bool, float]]:
    """Scatter candidates ``(symbol, strong, score)``, best first.

    A scatter's count anywhere, from some ``k0`` on, always pays, and most windows with exactly
    ``k0`` of them pay the same amount (those without a line win). *Strong* when such windows
    exist without the symbol on reel 1, i.e. no line could start a run of it.
    """
    n_symbols = int(sym.max()) + 1
    positive = y > 0
    found = []
    for s in range(n_symbols):
        is_s = sym == s
        k = is_s.sum(axis=(1, 2))
        for k0 in range(1, int(k.max()) + 1):
            mask = k >= k0
            if mask.sum() < 3:
                break
            if not positive[mask].all():
                continue
            at = y[k == k0]
            if at.size < 3:
                break
            score = float((at == at.min()).mean())
            if score >= 0.25:
                off_first = mask & ~is_s[:, :, 0].any(axis=1)
                found.append((s, bool(off_first.sum() >= 2), score))
            break
    found.sort(key=lambda item: (not item[1], -item[2]))
    return found


def detect_wild(sym: np.ndarray, y: np.ndarray, scatter: int, min_support: int) -> list[int]:
    """Wild candidates, best first, from 3-cell prefixes that pay three of a kind: on such a
    prefix a wild turns ``a X a``, ``X a a`` and ``a a X`` into wins, so those never occur in a
    zero-payout window when ``X`` is wild (and often do when it is not)."""
    n, rows, reels = sym.shape
    if reels < 3:
        return []
    n_symbols = int(sym.max()) + 1
    prefixes = candidate_lines(rows, 3)
    cells = [sym[:, prefixes[:, r], r].astype(np.int64) for r in range(3)]
    code = (cells[0] * n_symbols + cells[1]) * n_symbols + cells[2]
    size = n_symbols ** 3
    offs = np.arange(prefixes.shape[0], dtype=np.int64) * size
    zero = y == 0
    all_cnt = np.bincount((code + offs).ravel(), minlength=offs.size * size).reshape(-1, size)
    zero_cnt = np.bincount((code[zero] + offs).ravel(), minlength=offs.size * size).reshape(-1, size)

    def idx(a, b, c):
        return (a * n_symbols + b) * n_symbols + c

    paying = [(p, a) for p in range(prefixes.shape[0]) for a in range(n_symbols)
              if a != scatter and all_cnt[p, idx(a, a, a)] >= 3 and zero_cnt[p, idx(a, a, a)] == 0]
    ranked = []
    for x in range(n_symbols):
        if x == scatter:
            continue
        total = zeros = 0
        for p, a in paying:
            if a == x:
                continue
            for pattern in (idx(a, x, a), idx(x, a, a), idx(a, a, x)):
                total += int(all_cnt[p, pattern])
                zeros += int(zero_cnt[p, pattern])
        if total >= min_support and zeros == 0:
            ranked.append((total, x))
    ranked.sort(reverse=True)
    return [x for _, x in ranked]


@dataclass
class LineFit:
    wild: int
    scatter: int
    lines: list[tuple[int, ...]] = field(default_factory=list)
    values: dict[int, Fraction] = field(default_factory=dict)         # label code -> f (line bets)
    scatter_values: dict[int, Fraction] = field(default_factory=dict)  # count -> S (total bets)
    zero_labels: set[int] = field(default_factory=set)                 # labels seen on lines in zero windows
    exact: bool = False
    unexplained: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    candidates: int = 0
    note: str = ""

    @property
    def n_lines(self) -> int:
        return len(self.lines)


class _Problem:
    """Everything one hypothesis needs, restricted to the positive (paying) windows."""

    def __init__(self, sym, y, space, cands, wild, scatter):
        self.space = space
        self.cands = cands
        self.wild, self.scatter = wild, scatter
        codes = line_labels(sym, cands, space, wild, scatter)
        n_cand = cands.shape[0]
        self.zero = y == 0
        pos = ~self.zero
        self.pos_idx = np.flatnonzero(pos)
        offs = (np.arange(n_cand, dtype=np.int64) * space.size)[None, :]
        kill = np.zeros(n_cand * space.size, dtype=bool)
        if self.zero.any():
            kill[(codes[self.zero] + offs).ravel()] = True
        self.kill = kill.reshape(n_cand, space.size)
        self.codes = codes[pos]
        self.y = y[pos].astype(np.float64)
        cnt = np.bincount((self.codes + offs).ravel(), minlength=n_cand * space.size).reshape(n_cand, space.size)
        hit = float(pos.mean())
        m0 = _strong_threshold(hit, n_cand * space.size)
        strong = ((cnt >= m0) & ~self.kill).any(axis=0)
        self.alive = np.flatnonzero(~(self.kill & strong[None, :]).any(axis=1))
        a_codes = self.codes[:, self.alive]
        self.keys = (a_codes + (np.arange(self.alive.size, dtype=np.int64) * space.size)[None, :]).ravel()
        a_cnt = cnt[self.alive]
        self.valid = (a_cnt > 0) & ~self.kill[self.alive]
        self.inv_cnt = np.where(self.valid, 1.0 / (a_cnt + 1.0), 0.0)
        # scatter pays: one unknown per count seen in paying windows and never in a zero window
        self.sc_cols = np.zeros((self.y.size, 0))
        self.sc_ks: list[int] = []
        self.sc_count = None
        if scatter >= 0:
            k_all = (sym == scatter).sum(axis=(1, 2))
            self.sc_count = k_all[pos]
            forced = set(k_all[self.zero].tolist())
            self.sc_ks = sorted(set(self.sc_count.tolist()) - forced - {0})
            self.sc_cols = np.stack([(self.sc_count == k).astype(float) for k in self.sc_ks], axis=1) \
                if self.sc_ks else np.zeros((self.y.size, 0))

    # -- least squares for a line set ---------------------------------------------------------
    def design(self, chosen: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Count matrix (windows x usable labels) for the chosen lines (indices into alive)."""
        space = self.space
        if not chosen:
            return np.zeros((self.y.size, 0)), np.zeros(0, dtype=np.int64)
        lines = self.alive[chosen]
        sub = self.codes[:, lines]
        usable = ~self.kill[lines].any(axis=0)  # a label seen on a chosen line in a zero window pays 0
        labels = np.unique(sub)
        labels = labels[usable[labels]]
        col = np.full(space.size, -1, dtype=np.int64)
        col[labels] = np.arange(labels.size)
        cols = col[sub]
        rows = np.broadcast_to(np.arange(self.y.size)[:, None], cols.shape)
        keep = cols >= 0
        flat = rows[keep] * labels.size + cols[keep]
        counts = np.bincount(flat, minlength=self.y.size * labels.size).reshape(self.y.size, labels.size)
        return counts.astype(np.float64), labels

    def fit(self, chosen: list[int]):
        counts, labels = self.design(chosen)
        a = np.hstack([counts, self.sc_cols])
        if a.shape[1] == 0:
            return self.y.copy(), np.zeros(0), labels, counts
        coef, *_ = np.linalg.lstsq(a, self.y, rcond=None)
        return self.y - a @ coef, coef, labels, counts

    def scores(self, residual: np.ndarray) -> np.ndarray:
        weights = np.broadcast_to(residual[:, None], (residual.size, self.alive.size)).ravel()
        sums = np.bincount(self.keys, weights=weights, minlength=self.alive.size * self.space.size)
        sums = sums.reshape(self.alive.size, self.space.size)
        return (sums * sums * self.inv_cnt).sum(axis=1)


def _rss(residual: np.ndarray) -> float:
    return float(residual @ residual)


def _is_exact(residual: np.ndarray) -> bool:
    return residual.size == 0 or float(np.abs(residual).max()) < 1e-6


def _select(problem: _Problem, max_lines: int) -> list[int]:
    chosen: list[int] = []
    residual, *_ = problem.fit(chosen)
    best_rss = _rss(residual)
    steps = 0
    while not _is_exact(residual) and len(chosen) < max_lines and steps < 3 * max_lines:
        steps += 1
        score = problem.scores(residual)
        score[chosen] = -1.0
        order = np.argsort(-score)[:4]
        improved = False
        for pick in order.tolist():  # the best-scoring line can be a shadow of a real one; refit decides
            if score[pick] <= 0:
                break
            trial = chosen + [pick]
            trial_res, *_ = problem.fit(trial)
            trial_rss = _rss(trial_res)
            if trial_rss < best_rss * (1 - 1e-9):
                chosen, residual, best_rss, improved = trial, trial_res, trial_rss, True
                break
        if not improved:
            break
        chosen, residual, best_rss = _prune(problem, chosen, residual, best_rss)
    return chosen


def _prune(problem: _Problem, chosen: list[int], residual: np.ndarray, best_rss: float):
    """Drop lines whose removal does not make the fit worse (shadows of real lines)."""
    changed = True
    while changed and len(chosen) > 1:
        changed = False
        for line in list(reversed(chosen)):
            trial = [c for c in chosen if c != line]
            trial_res, *_ = problem.fit(trial)
            trial_rss = _rss(trial_res)
            if trial_rss <= best_rss + 1e-9 * max(1.0, best_rss):
                chosen, residual, best_rss, changed = trial, trial_res, trial_rss, True
                break
    return chosen, residual, best_rss


def fit_lines(*, sym: np.ndarray, y: np.ndarray, den: int, wild: int, scatter: int,
              max_lines: int = 200) -> LineFit:
    """Fit lines and pays for one (wild, scatter) hypothesis; ``exact`` when every observed payout
    ``y[i] / den`` is reproduced in exact arithmetic."""
    n, rows, reels = sym.shape
    space = LabelSpace(int(sym.max()) + 1, reels)
    cands = candidate_lines(rows, reels)
    problem = _Problem(sym, y, space, cands, wild, scatter)
    result = LineFit(wild=wild, scatter=scatter, candidates=int(problem.alive.size))
    if problem.y.size == 0:
        result.note = "no paying window observed"
        return result
    chosen = _select(problem, min(max_lines, problem.alive.size))
    residual, coef, labels, counts = problem.fit(chosen)
    bad = np.flatnonzero(np.abs(residual) > 1e-6)
    if 0 < bad.size <= max(3, problem.y.size // 1000):
        # a handful of payouts no model explains (a lying engine?): fit the rest, report those
        keep = np.ones(problem.y.size, dtype=bool)
        keep[bad] = False
        a = np.hstack([counts, problem.sc_cols])[keep]
        coef, *_ = np.linalg.lstsq(a, problem.y[keep], rcond=None)
    lines = problem.alive[chosen]
    result.lines = [tuple(int(v) for v in cands[p]) for p in lines]
    n_lines = len(chosen)
    if n_lines == 0 and not problem.sc_ks:
        result.note = "no line explains the payouts"
        result.unexplained = problem.pos_idx
        return result
    scale = Fraction(n_lines or 1, den)
    result.values = {int(code): _rational(coef[j] * n_lines / den) for j, code in enumerate(labels.tolist())}
    result.scatter_values = {k: _rational(coef[labels.size + j] / den) for j, k in enumerate(problem.sc_ks)}
    zero_codes = problem.codes  # labels on chosen lines killed by zero windows pay exactly zero
    killed = problem.kill[lines].any(axis=0) if n_lines else np.zeros(space.size, dtype=bool)
    result.zero_labels = set(np.flatnonzero(killed).tolist())
    for code in result.zero_labels:
        result.values.setdefault(code, Fraction(0))
    del zero_codes, scale
    result.unexplained = problem.pos_idx[_verify(problem, lines, labels, result, den)]
    result.exact = result.unexplained.size == 0
    return result


def _rational(value: float) -> Fraction:
    return Fraction(value).limit_denominator(10**4) if abs(value) > 1e-12 else Fraction(0)


def _verify(problem: _Problem, lines: np.ndarray, labels: np.ndarray, fit: LineFit, den: int) -> np.ndarray:
    """Positions (in the positive windows) whose payout the rational model does not reproduce."""
    n_lines = max(1, lines.size)
    fractions = [fit.values.get(int(c), Fraction(0)) / n_lines for c in labels.tolist()]
    sc = [fit.scatter_values.get(k, Fraction(0)) for k in problem.sc_ks]
    common = math.lcm(den, *(f.denominator for f in fractions + sc))
    big = max([abs(f) * common for f in fractions + sc] + [Fraction(0)])
    if big * (lines.size + 1) * 4 > 2**62 or common > 2**40:
        return np.arange(problem.y.size)  # cannot check exactly in int64: do not claim exactness
    ints = np.array([int(f * common) for f in fractions], dtype=np.int64)
    counts, _ = problem.design(list(np.searchsorted(problem.alive, lines))) if lines.size else (np.zeros((problem.y.size, 0)), None)
    predicted = counts.astype(np.int64) @ ints if ints.size else np.zeros(problem.y.size, dtype=np.int64)
    if problem.sc_ks:
        table = np.zeros(int(problem.sc_count.max()) + 1, dtype=np.int64)
        for k, value in zip(problem.sc_ks, sc):
            table[k] = int(value * common)
        predicted = predicted + table[problem.sc_count]
    target = problem.y.astype(np.int64) * (common // den)
    return np.flatnonzero(predicted != target)
