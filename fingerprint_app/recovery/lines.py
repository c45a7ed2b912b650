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
           "handful", "line_labels"]

# -- tolerances of the floating-point search (the final verdict is in exact integers) -------------
# Payouts are integers on the common denominator's grid, so a least-squares residual below this is
# an exact fit in floats; the exact check (_verify) then confirms it in integers.
EXACT_TOLERANCE = 1e-6
# A refit counts as better only when it lowers the residual sum of squares by more than float noise.
IMPROVEMENT = 1e-9
# Eigenvalues of A^T A below this share of the largest are its null space (columns the data do not pin).
NULL_EIGENVALUE = 1e-9
# Least-squares values are rounded to fractions with at most this denominator: pays are multiples of
# 1/100 of a line bet or coarser in every game seen, and 1/10,000 leaves room (_verify checks exactly).
MAX_PAY_DENOMINATOR = 10**4
# Exact integer verification is refused (not exact) when sums could overflow int64 or the common
# denominator is absurd: the model is then not claimed, never approximated.
INT64_HEADROOM = 2**62
MAX_COMMON_DENOMINATOR = 2**40
VERIFY_SAFETY = 4             # slack factor on the largest possible sum of line and scatter pays

# -- evidence thresholds --------------------------------------------------------------------------
# "Pays by chance" (every occurrence in a paying window) must be below this share over all pairs tested.
CHANCE_LEVEL = 0.01
MIN_STRONG, MAX_STRONG = 4, 80   # occurrences a strong pattern needs, whatever the hit rate says
ALWAYS_PAYS = 0.999              # a hit rate so high that "only in paying windows" proves nothing
# A scatter candidate needs this many windows with k0 or more of it (and with exactly k0), and the
# share of those windows paying the minimum (no line win on top) must reach MIN_SCATTER_SCORE.
MIN_SCATTER_WINDOWS = 3
MIN_SCATTER_SCORE = 0.25
# A wild turns ``a X a`` / ``X a a`` / ``a a X`` into wins: the share of those in zero windows a wild
# may have (its neighbours on non-line rows sometimes sit in zero windows).
WILD_ZERO_SHARE = 0.05
# The shortest paying run is 3 (the prefix of reels 1-3 all paying patterns share).
SHORTEST_RUN = 3

# -- search effort (counts, never seconds: the answer depends on the sample alone) ----------------
GRAM_BLOCK = 4096             # windows per block of the A^T A accumulation (bounds memory)
NEAR_TIE = 0.95               # candidates scoring within 5% of the best are refitted, not trusted
MAX_TIES = 4                  # at most this many near-ties (a real line and its shadows) refitted
INITIAL_GROUPS = 120          # prefix groups the initial selection tries (243 lines: 27 prefixes x 9)
EXCHANGE_CANDIDATES = 4       # regrowth candidates per line taken out by the exchange move
LOCAL_PASSES = 8              # refine/grow/exchange rounds before the last-resort moves
MAX_LINES = 200               # lines a fit may choose (more than any real game's)
# Unexplained payouts reported as the engine's inconsistency rather than a search miss.
FEW_UNEXPLAINED = 3
UNEXPLAINED_PER = 1_000


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
    """Label codes ``(N, n_lines)`` of every line in every window (``-1`` = no wild/scatter).

    ``lines`` must be :func:`candidate_lines` (all row patterns, lexicographic): the run state is
    extended prefix by prefix, so lines sharing first reels share the work.
    """
    n, rows, n_reels = sym.shape
    cells_dtype = np.int16
    t = np.full((n, 1), space.none, dtype=cells_dtype)
    w = np.zeros((n, 1), dtype=np.int8)
    c = np.zeros((n, 1), dtype=np.int8)
    all_wild = np.ones((n, 1), dtype=bool)
    running = np.ones((n, 1), dtype=bool)
    for reel in range(n_reels):
        width = t.shape[1] * rows
        cells = np.tile(sym[:, :, reel].astype(cells_dtype), (1, t.shape[1]))   # new prefix = parent * rows + row
        t, w, c = (np.repeat(a, rows, axis=1) for a in (t, w, c))
        all_wild, running = (np.repeat(a, rows, axis=1) for a in (all_wild, running))
        is_wild = cells == wild if wild >= 0 else np.zeros((n, width), dtype=bool)
        first = all_wild & ~is_wild
        t = np.where(first, cells, t)
        if scatter >= 0:
            t[first & (cells == scatter)] = space.none  # a scatter ends the run; leading wilds keep their own pay
        all_wild &= is_wild
        w += all_wild
        running &= is_wild | (cells == t)
        c += running
    code = (t.astype(np.int32) * (space.C + 1) + c) * (space.C + 1) + w
    if lines.shape[0] != code.shape[1]:
        raise ValueError("lines must be candidate_lines(rows, reels)")
    return code


def strong_threshold(hit_rate: float, n_pairs: int) -> int:
    """Occurrences, all in paying windows, after which "pays by chance" is below CHANCE_LEVEL over
    ``n_pairs`` patterns (a union bound)."""
    if hit_rate >= ALWAYS_PAYS:
        return NEVER
    if hit_rate <= 0:
        return 1
    needed = math.ceil(math.log(CHANCE_LEVEL / max(1, n_pairs)) / math.log(hit_rate))
    return int(min(MAX_STRONG, max(MIN_STRONG, needed)))


NEVER = 10**9   # a threshold no count reaches


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
            if mask.sum() < MIN_SCATTER_WINDOWS:
                break
            if not positive[mask].all():
                continue
            at = y[k == k0]
            if at.size < MIN_SCATTER_WINDOWS:
                break
            score = float((at == at.min()).mean())
            if score >= MIN_SCATTER_SCORE:
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
    if reels < SHORTEST_RUN:
        return []
    n_symbols = int(sym.max()) + 1
    prefixes = candidate_lines(rows, SHORTEST_RUN)
    cells = [sym[:, prefixes[:, r], r].astype(np.int64) for r in range(SHORTEST_RUN)]
    code = (cells[0] * n_symbols + cells[1]) * n_symbols + cells[2]
    size = n_symbols ** 3
    offs = np.arange(prefixes.shape[0], dtype=np.int64) * size
    zero = y == 0
    all_cnt = np.bincount((code + offs).ravel(), minlength=offs.size * size).reshape(-1, size)
    zero_cnt = np.bincount((code[zero] + offs).ravel(), minlength=offs.size * size).reshape(-1, size)

    def idx(a, b, c):
        return (a * n_symbols + b) * n_symbols + c

    support = strong_threshold(float((~zero).mean()), prefixes.shape[0] * n_symbols)
    paying = [(p, a) for p in range(prefixes.shape[0]) for a in range(n_symbols)
              if a != scatter and all_cnt[p, idx(a, a, a)] >= support and zero_cnt[p, idx(a, a, a)] == 0]
    ranked = []
    # strip adjacency can make a non-line prefix look "always paying" (its runs ride along with a
    # real line's), so a wild is the symbol whose patterns almost never sit in a zero window
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
        if total >= min_support and zeros <= WILD_ZERO_SHARE * total:
            ranked.append((zeros / total, -total, x))
    ranked.sort()
    return [x for _, _, x in ranked]


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
    ambiguous_lines: list = field(default_factory=list)
    note: str = ""
    # Labels / scatter counts whose value the observed windows do not pin: they only ever occur with
    # other unknowns, so least squares picked one of many consistent values. Not pays, only unknowns.
    unidentified: set[int] = field(default_factory=set)
    unidentified_scatter: set[int] = field(default_factory=set)

    @property
    def n_lines(self) -> int:
        return len(self.lines)


# A paying label is never killed on a real payline, only on other row patterns; a label that pays
# nothing is killed on nearly every pattern, real paylines included, and looks "strong" only on a
# few patterns that ride along with a real line's wins (stacked reels make such shadows common).
# So a label counts as strongly paying only if the patterns where it looks so are at least this
# share of the patterns that kill it. Too strict only prunes less; too loose kills real lines.
STRONG_SHARE_OF_KILLS = 0.1


def _strong_labels(frequent: np.ndarray, kill: np.ndarray) -> np.ndarray:
    """Labels some candidate shows often and only in paying windows, not outnumbered by kills."""
    strong_on = (frequent & ~kill).sum(axis=0)
    return (strong_on > 0) & (strong_on >= STRONG_SHARE_OF_KILLS * kill.sum(axis=0))


def _plain_runs(space: LabelSpace) -> np.ndarray:
    """Labels without a leading wild, ending in a symbol (not all wild, not cut by the scatter).
    Only these may count as strongly paying: a wild makes its neighbours on other rows pay too
    (stacked wilds most of all), so "wild then x" rides along with real wins and looks paying."""
    codes = np.arange(space.size)
    t, rest = np.divmod(codes, (space.C + 1) ** 2)
    return (t != space.none) & (rest % (space.C + 1) == 0)


class _Problem:
    """Everything one hypothesis needs, restricted to the positive (paying) windows."""

    def __init__(self, sym, y, space, cands, wild, scatter):
        self.space = space
        self.cands = cands
        self.wild, self.scatter = wild, scatter
        codes = line_labels(sym, cands, space, wild, scatter)
        n_cand = cands.shape[0]
        zero = y == 0
        pos = ~zero
        self.all_codes = codes
        self.pos_idx = np.flatnonzero(pos)
        offs = (np.arange(n_cand, dtype=np.int64) * space.size)[None, :]
        kill = np.zeros(n_cand * space.size, dtype=bool)
        if zero.any():
            kill[(codes[zero] + offs).ravel()] = True
        self.kill = kill.reshape(n_cand, space.size)
        codes = codes[pos]
        cnt = np.bincount((codes + offs).ravel(), minlength=n_cand * space.size).reshape(n_cand, space.size)
        self.y = y[pos].astype(np.float64)
        self._scatter_counts(sym, zero, pos)
        # Evidence that a label pays: windows that can only pay through lines (no scatter count
        # that might pay): a stacked scatter next to a wild otherwise makes "wild then scatter"
        # look paying, because the scatter pays in those windows.
        lines_only = ~np.isin(self.sc_count, self.sc_ks)
        evidence = np.bincount((codes[lines_only] + offs).ravel(),
                               minlength=n_cand * space.size).reshape(n_cand, space.size)
        m0 = strong_threshold(float(pos.mean()), n_cand * space.size)
        strong = _strong_labels(evidence >= m0, self.kill) & _plain_runs(space)
        self.alive = np.flatnonzero(~(self.kill & strong[None, :]).any(axis=1))
        self.codes = codes[:, self.alive]          # positive windows x alive candidates
        self.kill_alive = self.kill[self.alive]
        a_cnt = cnt[self.alive]
        self.inv_cnt = np.where((a_cnt > 0) & ~self.kill_alive, 1.0 / (a_cnt + 1.0), 0.0)
        self.rows = np.arange(self.y.size)

    def _scatter_counts(self, sym: np.ndarray, zero: np.ndarray, pos: np.ndarray) -> None:
        """Scatter pays: one unknown per count seen in paying windows and never in a zero window."""
        self.sc_ks: list[int] = []
        self.sc_zero: set[int] = set()
        self.sc_count = np.zeros(self.y.size, dtype=np.int64)
        if self.scatter >= 0:
            k_all = (sym == self.scatter).sum(axis=(1, 2))
            self.sc_count = k_all[pos]
            forced = set(k_all[zero].tolist())
            self.sc_zero = forced - {0}
            self.sc_ks = sorted(set(self.sc_count.tolist()) - forced - {0})

    def view(self, rows: np.ndarray) -> "_View":
        return _View(self, rows)


class _View:
    """The least-squares problem on a subset of the positive windows (selection runs on a sample)."""

    def __init__(self, problem: _Problem, rows: np.ndarray) -> None:
        self.p = problem
        self.y = problem.y[rows]
        self.codes = problem.codes[rows]
        self.sc_count = problem.sc_count[rows]

    def columns(self, chosen: list[int]) -> tuple[np.ndarray, np.ndarray, int]:
        """Per window, the design column of each chosen line's label (``-1`` when that label is
        forced to pay 0: seen on a chosen line in a zero window), plus the scatter column.
        Returns ``(cols, labels, n_columns)``; columns ``>= labels.size`` are scatter counts."""
        space = self.p.space
        if chosen:
            sub = self.codes[:, chosen]
            usable = ~self.p.kill_alive[chosen].any(axis=0)
            labels = np.unique(sub)
            labels = labels[usable[labels]]
            col = np.full(space.size, -1, dtype=np.int64)
            col[labels] = np.arange(labels.size)
            cols = col[sub]
        else:
            labels = np.zeros(0, dtype=np.int64)
            cols = np.zeros((self.y.size, 0), dtype=np.int64)
        n_cols = labels.size + len(self.p.sc_ks)
        if self.p.sc_ks:
            sc_col = np.full(int(self.sc_count.max(initial=0)) + 1, -1, dtype=np.int64)
            for j, k in enumerate(self.p.sc_ks):
                if k < sc_col.size:
                    sc_col[k] = labels.size + j
            cols = np.hstack([cols, sc_col[self.sc_count][:, None]])
        return cols, labels, n_cols

    def gram(self, cols: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
        """``(A^T A, A^T y)`` of the design, accumulated from label pairs (a window has one label
        per line) instead of a dense BLAS product: exact in integers and independent of how busy
        the machine's BLAS threads are."""
        gram = np.zeros(n_cols * n_cols, dtype=np.float64)
        aty = np.zeros(n_cols)
        for start in range(0, cols.shape[0], GRAM_BLOCK):
            block = cols[start:start + GRAM_BLOCK]
            left, right = block[:, :, None], block[:, None, :]
            keys = (left * n_cols + right)[(left >= 0) & (right >= 0)]
            gram += np.bincount(keys, minlength=n_cols * n_cols)
            valid = block >= 0
            weights = np.broadcast_to(self.y[start:start + GRAM_BLOCK, None], block.shape)[valid]
            aty += np.bincount(block[valid], weights=weights, minlength=n_cols)
        return gram.reshape(n_cols, n_cols), aty

    def fit(self, chosen: list[int]):
        """Least squares for the chosen lines."""
        cols, labels, n_cols = self.columns(chosen)
        if n_cols == 0:
            return self.y.copy(), np.zeros(0), labels, cols
        gram, aty = self.gram(cols, n_cols)
        coef, *_ = np.linalg.lstsq(gram, aty, rcond=None)
        return self.y - _predict(cols, coef), coef, labels, cols

    def unidentified(self, chosen: list[int]) -> np.ndarray:
        """Design columns not pinned by the windows: those with a component in the null space of
        ``A^T A`` (they can trade value with other columns without changing any prediction)."""
        cols, _, n_cols = self.columns(chosen)
        if n_cols == 0:
            return np.zeros(0, dtype=np.int64)
        gram, _ = self.gram(cols, n_cols)
        eigenvalues, vectors = np.linalg.eigh(gram)
        null = vectors[:, eigenvalues <= max(float(eigenvalues.max(initial=0.0)), 1.0) * NULL_EIGENVALUE]
        return np.flatnonzero((np.abs(null) > EXACT_TOLERANCE).any(axis=1)) if null.size else np.zeros(0, dtype=np.int64)

    def scores(self, residual: np.ndarray, chosen: list[int], labels: np.ndarray, coef: np.ndarray,
               subset: list[int] | None = None) -> np.ndarray:
        """Residual-sum-of-squares reduction each candidate (or each of ``subset``) would bring:
        labels whose pay is already fitted predict the candidate's contribution exactly (a
        shadow of a real line mispredicts its longer runs); unseen labels get a free, shrunk
        coefficient."""
        size = self.p.space.size
        known = np.zeros(size, dtype=bool)
        value = np.zeros(size)
        if chosen:
            known[self.p.kill_alive[chosen].any(axis=0)] = True
            known[labels] = True
            value[labels] = coef[: labels.size]
        idx = np.arange(self.p.alive.size) if subset is None else np.asarray(subset, dtype=np.int64)
        codes = self.codes[:, idx]
        keys = codes + (np.arange(idx.size, dtype=np.int64) * size)[None, :]
        weights = np.where(known[codes], 0.0, residual[:, None])
        sums = np.bincount(keys.ravel(), weights=weights.ravel(), minlength=idx.size * size).reshape(idx.size, size)
        score = (sums * sums * self.p.inv_cnt[idx]).sum(axis=1)
        if chosen:
            g = value[codes]
            score += 2.0 * (residual @ g) - (g * g).sum(axis=0)
        out = np.full(self.p.alive.size, -np.inf)
        out[idx] = score
        return out


def _predict(cols: np.ndarray, coef: np.ndarray) -> np.ndarray:
    padded = np.append(coef, 0.0)  # column -1 reads the trailing zero
    return padded[cols].sum(axis=1) if cols.shape[1] else np.zeros(cols.shape[0])


def _rss(residual: np.ndarray) -> float:
    return float(residual @ residual)


def _is_exact(residual: np.ndarray) -> bool:
    return residual.size == 0 or float(np.abs(residual).max()) < EXACT_TOLERANCE


def _grow(view: _View, chosen: list[int], max_lines: int) -> tuple[list[int], np.ndarray]:
    residual, coef, labels, _ = view.fit(chosen)
    best = _rss(residual)
    while not _is_exact(residual) and len(chosen) < max_lines:
        score = view.scores(residual, chosen, labels, coef)
        score[chosen] = -np.inf
        top = float(score.max())
        if top <= 0:
            break
        # near-ties are usually a real line and its shadows (same first reels): refit decides
        ties = np.flatnonzero(score >= NEAR_TIE * top)
        ties = ties[np.argsort(-score[ties])][:MAX_TIES].tolist()
        pick, pick_fit, pick_rss = None, None, best
        for cand in ties:
            trial = view.fit(chosen + [cand])
            trial_rss = _rss(trial[0])
            if trial_rss < pick_rss * (1 - IMPROVEMENT):
                pick, pick_fit, pick_rss = cand, trial, trial_rss
        if pick is None:
            break
        chosen, best = chosen + [pick], pick_rss
        residual, coef, labels, _ = pick_fit
    return chosen, residual


def _prefix_len(n_reels: int) -> int:
    """Reels that siblings share: the shortest paying run, on windows of at least that many reels."""
    return max(1, min(SHORTEST_RUN, n_reels - 2))


def _siblings(lines: np.ndarray, me: int) -> np.ndarray:
    """Candidates sharing the first reels (the shortest paying run) with line ``me``: on most
    windows they read the same labels, so only the longer runs tell them apart."""
    k = _prefix_len(lines.shape[1])
    same = (lines[:, :k] == lines[me, :k][None, :]).all(axis=1)
    same[me] = False
    return np.flatnonzero(same)


def _values(view: _View, labels: np.ndarray, coef: np.ndarray) -> np.ndarray:
    value = np.zeros(view.p.space.size)
    value[labels] = coef[: labels.size]
    return value


def _initial(view: _View, lines: np.ndarray) -> list[int]:
    """One line per prefix group, groups tried best first and kept only when the refit improves:
    zero-payout windows already killed most groups whose prefix shows a paying run, so the groups
    are (nearly) the real lines' prefixes; the member is a guess that :func:`_refine` corrects.
    A wrong group forces some paying labels to zero, so its refit is worse and it is skipped."""
    k = _prefix_len(lines.shape[1])
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, line in enumerate(lines.tolist()):
        groups.setdefault(tuple(line[:k]), []).append(i)
    residual, coef, labels, _ = view.fit([])
    score = view.scores(residual, [], labels, coef)
    heads = sorted((max(members, key=lambda m: score[m]) for members in groups.values()),
                   key=lambda m: -score[m])
    chosen: list[int] = []
    best = _rss(residual)
    for head in heads[:INITIAL_GROUPS]:
        if score[head] <= 0:
            break
        trial = view.fit(chosen + [head])
        if _rss(trial[0]) < best * (1 - IMPROVEMENT):
            chosen, best = chosen + [head], _rss(trial[0])
    return chosen


def _refine(view: _View, chosen: list[int], lines: np.ndarray) -> tuple[list[int], np.ndarray]:
    """One pass over the chosen lines: drop a line the fit does not need, or swap it for the
    sibling that explains the residual better. The residual without a line is approximated from
    the current fit, so a pass refits only when it changes something."""
    residual, coef, labels, _ = view.fit(chosen)
    best = _rss(residual)
    for line in list(chosen):
        if line not in chosen or _is_exact(residual):
            continue
        others = [c for c in chosen if c != line]
        value = _values(view, labels, coef)
        without = residual + value[view.codes[:, line]]
        options = [line] + [s for s in _siblings(lines, line).tolist() if s not in chosen]
        score = view.scores(without, others, labels, coef, subset=options)
        pick = max(options, key=lambda s: score[s])
        if pick == line and score[line] > 0:
            continue
        trial = others + [pick] if score[pick] > 0 else others
        fitted = view.fit(trial)
        if _rss(fitted[0]) < best * (1 - IMPROVEMENT):
            chosen, best = trial, _rss(fitted[0])
            residual, coef, labels, _ = fitted
    return chosen, residual


def _exchange(view: _View, chosen: list[int], max_lines: int) -> tuple[list[int], np.ndarray]:
    """Stuck: try each chosen line out, regrow one line in its place, keep any improvement."""
    residual, coef, labels, _ = view.fit(chosen)
    best = _rss(residual)
    for line in list(chosen):
        if line not in chosen or _is_exact(residual):
            continue
        others = [c for c in chosen if c != line]
        res_o, coef_o, labels_o, _ = view.fit(others)
        score = view.scores(res_o, others, labels_o, coef_o)
        score[others] = -np.inf
        score[line] = -np.inf
        for cand in np.argsort(-score)[:EXCHANGE_CANDIDATES].tolist():
            trial = view.fit(others + [cand])
            if _rss(trial[0]) < best * (1 - IMPROVEMENT):
                chosen, residual, best = others + [cand], trial[0], _rss(trial[0])
                break
        else:
            if _rss(res_o) < best * (1 - IMPROVEMENT):
                chosen, residual, best = others, res_o, _rss(res_o)
    return chosen, residual


# Refits the sibling polish may spend: a count, not seconds, so the answer never depends on how
# busy the machine is (a time limit made the same sample exact on an idle machine only).
POLISH_REFITS = 120


def _polish_siblings(view: _View, chosen: list[int], lines: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Last resort before giving up on a hypothesis: swap chosen lines for siblings by real refits
    (first improvement wins, at most POLISH_REFITS refits). Long runs are rare in small samples, so
    the score approximation of :func:`_refine` can keep a sibling that differs only on the last
    reels; a wrong hypothesis gains nothing here and is still given up."""
    refits = 0
    residual = view.fit(chosen)[0]
    best = _rss(residual)
    improved = True
    while improved and not _is_exact(residual) and refits < POLISH_REFITS:
        improved = False
        for line in list(chosen):
            others = [c for c in chosen if c != line]
            for sibling in _siblings(lines, line).tolist():
                if sibling in chosen or refits >= POLISH_REFITS:
                    continue
                refits += 1
                trial = view.fit(others + [sibling])[0]
                if _rss(trial) < best * (1 - IMPROVEMENT):
                    chosen, residual, best, improved = others + [sibling], trial, _rss(trial), True
                    break
            if _is_exact(residual):
                break
    return chosen, residual


# Refits the pair swap may spend (deterministic, like POLISH_REFITS).
PAIR_REFITS = 600


def _swap_sibling_pairs(view: _View, chosen: list[int], lines: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Two chosen lines that are both the wrong sibling (same first reels as the real line) can
    make up for each other, so no single swap lowers the residual: swap them together (first
    improvement wins, at most PAIR_REFITS refits)."""
    residual = view.fit(chosen)[0]
    best, refits = _rss(residual), 0
    siblings = {line: [s for s in _siblings(lines, line).tolist() if s not in chosen] for line in chosen}
    for a, b in itertools.combinations(list(chosen), 2):
        for sa in siblings[a]:
            for sb in siblings[b]:
                if refits >= PAIR_REFITS or _is_exact(residual):
                    return chosen, residual
                refits += 1
                trial = [c for c in chosen if c not in (a, b)] + [sa, sb]
                fitted = view.fit(trial)[0]
                if _rss(fitted) < best * (1 - IMPROVEMENT):
                    return trial, fitted
    return chosen, residual


def _drop_idle(view: _View, chosen: list[int]) -> list[int]:
    """In an exact fit, a line is removable only if none of its labels pays: drop those."""
    residual, coef, labels, _ = view.fit(chosen)
    value = np.zeros(view.p.space.size)
    value[labels] = coef[: labels.size]
    for line in list(chosen):
        if np.abs(value[view.codes[:, line]]).max(initial=0.0) < IMPROVEMENT and len(chosen) > 1:
            trial = [c for c in chosen if c != line]
            if _is_exact(view.fit(trial)[0]):
                chosen = trial
    return chosen


SELECTION_SAMPLE = 4000


def handful(n: int) -> int:
    """Unexplained payouts (of ``n``) reported as the engine's inconsistency rather than a miss."""
    return max(FEW_UNEXPLAINED, n // UNEXPLAINED_PER)


def _misses(sample: _View, full: _View, chosen: list[int]) -> int:
    """Windows of ``full`` that the pays fitted (exactly) on ``sample`` do not reproduce."""
    _, coef, labels, _ = sample.fit(chosen)
    value = _values(sample, labels, coef)
    predicted = value[full.codes[:, chosen]].sum(axis=1) if chosen else np.zeros(full.y.size)
    if sample.p.sc_ks:
        by_count = np.zeros(int(full.sc_count.max(initial=0)) + 1)
        for j, k in enumerate(sample.p.sc_ks):
            if k < by_count.size:
                by_count[k] = coef[labels.size + j]
        predicted = predicted + by_count[full.sc_count]
    return int(np.count_nonzero(np.abs(full.y - predicted) > EXACT_TOLERANCE))


def _select(problem: _Problem, max_lines: int, restart: int = 0) -> list[int]:
    """Greedy line selection on a sample of the paying windows (then checked on all of them).
    ``restart > 0`` starts from a different half of the paying windows: the moves are local, and
    another start escapes a local minimum where several wrong lines make up for one another."""
    rows = problem.rows
    size = SELECTION_SAMPLE if not restart else min(SELECTION_SAMPLE, max(1, rows.size // 2))
    if rows.size > size:
        rows = np.sort(np.random.default_rng(restart).choice(rows, size, replace=False))
    alive_lines = problem.cands[problem.alive]
    view = problem.view(rows)
    chosen = _initial(view, alive_lines)
    while True:
        for _ in range(LOCAL_PASSES):
            before = list(chosen)
            chosen, residual = _refine(view, chosen, alive_lines)
            if _is_exact(residual):
                break
            chosen, residual = _grow(view, chosen, max_lines)
            if _is_exact(residual):
                break
            if chosen == before:
                chosen, residual = _exchange(view, chosen, max_lines)
                if _is_exact(residual) or chosen == before:
                    break
        if not _is_exact(residual):
            chosen, residual = _polish_siblings(view, chosen, alive_lines)
        if not _is_exact(residual):
            chosen, residual = _swap_sibling_pairs(view, chosen, alive_lines)
        if not _is_exact(residual):
            return chosen  # a wrong hypothesis: not worth a pass over every window
        chosen = _drop_idle(view, chosen)
        if view.y.size == problem.rows.size:
            return chosen
        full = problem.view(problem.rows)
        if _is_exact(full.fit(chosen)[0]) or _misses(view, full, chosen) <= handful(problem.y.size):
            return chosen  # exact, or a handful of payouts no model explains (fit_lines reports them)
        view = full  # the sample missed something (a rare line win): continue on every window


def fit_lines(*, sym: np.ndarray, y: np.ndarray, den: int, wild: int, scatter: int,
              max_lines: int = MAX_LINES, lines: list[tuple[int, ...]] | None = None, restart: int = 0) -> LineFit:
    """Fit lines and pays for one (wild, scatter) hypothesis; ``exact`` when every observed payout
    ``y[i] / den`` is reproduced in exact arithmetic. With ``lines`` the payline set is taken as
    given (no search): only the pays are fitted."""
    n, rows, reels = sym.shape
    space = LabelSpace(int(sym.max()) + 1, reels)
    cands = candidate_lines(rows, reels)
    problem = _Problem(sym, y, space, cands, wild, scatter)
    result = LineFit(wild=wild, scatter=scatter, candidates=int(problem.alive.size))
    if problem.y.size == 0:
        result.note = "no paying window observed"
        return result
    if lines is None:
        chosen = _select(problem, min(max_lines, problem.alive.size), restart)
    else:
        position = {tuple(int(v) for v in line): i for i, line in enumerate(cands[problem.alive].tolist())}
        if any(tuple(line) not in position for line in lines):
            result.note = "a given payline shows a paying label in a zero-payout window"
            return result
        chosen = [position[tuple(line)] for line in lines]
    full = problem.view(problem.rows)
    residual, coef, labels, _ = full.fit(chosen)
    bad = np.flatnonzero(np.abs(residual) > EXACT_TOLERANCE)
    if 0 < bad.size <= handful(problem.y.size):
        # a handful of payouts no model explains (a lying engine?): fit the rest, report those
        keep = np.ones(problem.y.size, dtype=bool)
        keep[bad] = False
        _, coef, labels, _ = problem.view(problem.rows[keep]).fit(chosen)
    n_lines = len(chosen)
    lines = problem.alive[chosen]
    result.lines = [tuple(int(v) for v in cands[p]) for p in lines]
    result.values = {int(code): _rational(coef[j] * n_lines / den) for j, code in enumerate(labels.tolist())}
    result.scatter_values = {k: _rational(coef[labels.size + j] / den) for j, k in enumerate(problem.sc_ks)}
    for k in problem.sc_zero:
        result.scatter_values[k] = Fraction(0)  # seen in a zero-payout window
    killed = problem.kill_alive[chosen].any(axis=0) if n_lines else np.zeros(space.size, dtype=bool)
    result.zero_labels = set(np.flatnonzero(killed).tolist())
    for code in result.zero_labels:
        result.values[code] = Fraction(0)
    # columns the windows do not pin got an arbitrary least-squares value: no rational check for them
    loose = full.unidentified(chosen)
    result.unidentified = {int(labels[j]) for j in loose if j < labels.size}
    result.unidentified_scatter = {problem.sc_ks[j - labels.size] for j in loose if j >= labels.size}
    result.unexplained = problem.pos_idx[_verify(full, chosen, labels, result, den, loose=loose, coef=coef)]
    result.exact = result.unexplained.size == 0
    if result.exact:
        result.ambiguous_lines = _alternatives(problem, chosen, result.values)
    return result


def _alternatives(problem: _Problem, chosen: list[int], values: dict[int, Fraction]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Chosen lines a sibling could replace without contradicting any observation: the sibling
    pays what the line pays in every window (labels of unknown pay count as agreeing)."""
    size = problem.space.size
    known = np.zeros(size, dtype=bool)
    value = np.zeros(size)
    for code, f in values.items():
        known[code] = True
        value[code] = float(f)
    zero = np.zeros(problem.all_codes.shape[0], dtype=bool)
    zero[np.setdiff1d(np.arange(zero.size), problem.pos_idx)] = True
    lines = problem.cands[problem.alive]
    out = []
    for line in chosen:
        mine = value[problem.all_codes[:, problem.alive[line]]]
        for sib in _siblings(lines, line).tolist():
            if sib in chosen:
                continue
            codes = problem.all_codes[:, problem.alive[sib]]
            theirs = np.where(known[codes], value[codes], np.where(zero, 0.0, np.nan))
            free = np.isnan(theirs)
            if np.array_equal(theirs[~free], mine[~free]):
                out.append((tuple(int(v) for v in lines[line]), tuple(int(v) for v in lines[sib])))
    return out


def _rational(value: float) -> Fraction:
    return Fraction(value).limit_denominator(MAX_PAY_DENOMINATOR) if abs(value) > ZERO_PAY else Fraction(0)


ZERO_PAY = 1e-12   # a least-squares value this small is a pay of 0 (float noise of a zero column)


def _verify(view: _View, chosen: list[int], labels: np.ndarray, fit: LineFit, den: int,
            loose=(), coef: np.ndarray | None = None) -> np.ndarray:
    """Positions (in the positive windows) whose payout the rational model does not reproduce.
    Windows that use a ``loose`` column (one the data do not pin) are checked against the
    least-squares ``coef`` in floating point instead: their values are not the model's claim."""
    n_lines = max(1, len(chosen))
    loose = {int(j) for j in loose}
    fractions = [Fraction(0) if j in loose else fit.values.get(int(c), Fraction(0)) / n_lines
                 for j, c in enumerate(labels.tolist())]
    sc = [Fraction(0) if labels.size + j in loose else fit.scatter_values.get(k, Fraction(0))
          for j, k in enumerate(view.p.sc_ks)]
    common = math.lcm(den, *(f.denominator for f in fractions + sc))
    big = max([abs(f) * common for f in fractions + sc] + [Fraction(0)])
    if big * (n_lines + 1) * VERIFY_SAFETY > INT64_HEADROOM or common > MAX_COMMON_DENOMINATOR:
        return np.arange(view.y.size)  # cannot check exactly in int64: do not claim exactness
    cols, col_labels, _ = view.columns(chosen)
    if not np.array_equal(col_labels, labels):
        return np.arange(view.y.size)
    ints = np.array([int(f * common) for f in fractions + sc] + [0], dtype=np.int64)
    predicted = ints[cols].sum(axis=1) if cols.shape[1] else np.zeros(view.y.size, dtype=np.int64)
    target = view.y.astype(np.int64) * (common // den)
    wrong = predicted != target
    if loose and coef is not None and cols.shape[1]:
        touches = np.isin(cols, list(loose)).any(axis=1)
        wrong = np.where(touches, np.abs(view.y - _predict(cols, coef)) > EXACT_TOLERANCE, wrong)
    return np.flatnonzero(wrong)
