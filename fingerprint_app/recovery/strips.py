"""Per-reel structure: cyclic strip assembly (de Bruijn style) or independent symbol weights.

A strip engine shows, on reel ``r``, the ``rows`` consecutive strip symbols starting at a uniform
stop, so each window column is one of the strip's ``L`` cyclic k-mers (``k = rows``), k-mer ``e``
with probability ``m_e / L``. The k-mers are the edges of a de Bruijn multigraph on (k-1)-mers and
the strip is an Eulerian circuit of it. ``L`` is the smallest length whose integer multiplicities
fit the observed frequencies, balance every node and connect the graph.

Every window-level quantity (hence every PAR figure) depends only on the k-mer multiplicities,
never on which Eulerian circuit is the real strip, so an ambiguous order costs nothing exact.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from scipy.stats import norm

from .stats import chi2_quantile, chi2_sf, wilson_interval

__all__ = ["GridFit", "ReelModel", "WeightModel", "assemble_reel", "grid_fit", "independence_pvalue", "weight_model",
           "MAX_STRIP"]

MAX_STRIP = 1000          # the definition schema's limit on stops per reel
MIN_SPINS_PER_STOP = 8    # below this the frequencies cannot resolve integer multiplicities
FIT_Z = 4.75              # chi-square acceptance at ~1e-6: a false reject would cost exactness
AMBIGUOUS_LOGLIK = 4.6    # rival lengths within a likelihood ratio of 100 leave the length open


@dataclass
class ReelModel:
    reel: int
    kind: str                                  # "strip" | "undetermined"
    length: int | None = None
    counts: dict[int, int] = field(default_factory=dict)      # symbol id -> stops
    kmers: dict[tuple[int, ...], int] = field(default_factory=dict)
    order: list[int] | None = None
    ambiguous: bool = False
    log10_orderings: float = 0.0
    branching: list[tuple[int, ...]] = field(default_factory=list)
    fit_pvalue: float | None = None
    length_candidates: list[int] = field(default_factory=list)
    note: str = ""

    def probabilities(self, n_symbols: int) -> list[tuple[int, int]]:
        """Per symbol ``(count, length)`` — the exact probability of the symbol in one cell."""
        return [(self.counts.get(s, 0), self.length or 1) for s in range(n_symbols)]


def _codes(cols: np.ndarray, base: int) -> np.ndarray:
    code = np.zeros(cols.shape[0], dtype=np.int64)
    for j in range(cols.shape[1]):
        code = code * base + cols[:, j]
    return code


def _apportion(x: np.ndarray, total: int) -> np.ndarray | None:
    """Integers >= 1 summing to ``total`` closest to ``x`` (largest-remainder), or None."""
    m = np.maximum(1, np.rint(x)).astype(np.int64)
    diff = total - int(m.sum())
    if diff == 0:
        return m
    if abs(diff) > m.size:
        return None
    rem = x - m
    if diff > 0:
        idx = np.argsort(-rem, kind="stable")[:diff]
        m[idx] += 1
        return m
    order = np.argsort(rem, kind="stable")
    order = order[m[order] > 1][: -diff]
    if order.size < -diff:
        return None
    m[order] -= 1
    return m


def _connected(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> bool:
    parent = list(range(n_nodes))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(src.tolist(), dst.tolist()):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return len({find(a) for a in range(n_nodes)}) == 1


def assemble_reel(*, cols: np.ndarray, n_symbols: int, reel: int) -> ReelModel:
    """Assemble reel ``reel`` from its window columns ``cols`` (N x rows symbol ids).

    Returns ``kind == "strip"`` with length, exact counts, one canonical order and the ambiguity
    of that order, or ``kind == "undetermined"`` when no cycle up to ``MAX_STRIP`` stops (or up to
    what N observations can resolve) fits.
    """
    n, k = cols.shape
    if k < 2:
        return ReelModel(reel, "undetermined", note="one row: a strip and independent draws look alike")
    codes = _codes(cols.astype(np.int64), n_symbols)
    uniq, counts = np.unique(codes, return_counts=True)
    tail = n_symbols ** (k - 1)
    prefix, suffix = uniq // n_symbols, uniq % tail
    nodes, inverse = np.unique(np.concatenate([prefix, suffix]), return_inverse=True)
    src, dst = inverse[: uniq.size], inverse[uniq.size:]
    if not _connected(nodes.size, src, dst):
        return ReelModel(reel, "undetermined", note="the observed k-mers do not form one cycle")
    limit = min(MAX_STRIP, n // MIN_SPINS_PER_STOP)
    df = max(1, uniq.size - 1)
    threshold = chi2_quantile(df, FIT_Z)
    freq = counts / n
    fits = []  # (log-likelihood, length, multiplicities, chi-square p)
    stop_at = limit
    for length in range(uniq.size, limit + 1):
        if length > stop_at:
            break
        m = _apportion(freq * length, length)
        if m is None or math.gcd(*m.tolist()) > 1:  # a multiple of a shorter cycle says nothing new
            continue
        expected = n * m / length
        stat = float(((counts - expected) ** 2 / expected).sum())
        if stat > threshold:
            continue
        out_deg = np.bincount(src, weights=m, minlength=nodes.size)
        in_deg = np.bincount(dst, weights=m, minlength=nodes.size)
        if not np.array_equal(out_deg, in_deg):
            continue
        fits.append((float((counts * np.log(m / length)).sum()), length, m, chi2_sf(stat, df)))
        if len(fits) == 1:
            stop_at = min(limit, int(length * 1.25) + 5)
    if fits:
        best = max(fits, key=lambda f: f[0])
        rivals = sorted(f[1] for f in fits if f[0] >= best[0] - AMBIGUOUS_LOGLIK)
        model = _strip_model(reel, n_symbols, k, uniq, best[2], nodes, src, dst, best[3])
        if len(rivals) > 1:
            model.length_candidates = rivals
            model.note = (f"strip length not pinned yet: {rivals} stops fit about equally well "
                          "(repeated columns such as runs of one symbol need more spins)")
        return model
    note = (f"no cyclic strip of {uniq.size}..{limit} stops fits the {uniq.size} distinct columns"
            if uniq.size <= limit else
            f"{uniq.size} distinct columns need more than {limit} stops (or more spins)")
    return ReelModel(reel, "undetermined", note=note)


def _strip_model(reel, n_symbols, k, uniq, m, nodes, src, dst, pvalue) -> ReelModel:
    kmers = {}
    for code, mult in zip(uniq.tolist(), m.tolist()):
        digits = []
        for _ in range(k):
            code, d = divmod(code, n_symbols)
            digits.append(d)
        kmers[tuple(reversed(digits))] = mult
    counts: dict[int, int] = {}
    for kmer, mult in kmers.items():
        counts[kmer[0]] = counts.get(kmer[0], 0) + mult
    length = int(m.sum())
    order = _canonical(_euler_circuit(kmers))
    log_count, branching = _orderings(kmers, nodes, src, dst, m)
    return ReelModel(reel, "strip", length=length, counts=counts, kmers=kmers, order=order,
                     ambiguous=log_count > 0.15, log10_orderings=round(log_count / math.log(10), 6),
                     branching=branching, fit_pvalue=pvalue)


def _euler_circuit(kmers: dict[tuple[int, ...], int]) -> list[int]:
    adj: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
    for kmer, mult in sorted(kmers.items()):
        adj.setdefault(kmer[:-1], []).extend([kmer] * mult)
    pointer = {node: 0 for node in adj}
    start = min(adj)
    stack: list[tuple[tuple[int, ...], tuple[int, ...] | None]] = [(start, None)]
    circuit: list[tuple[int, ...]] = []
    while stack:
        node, edge = stack[-1]
        edges = adj.get(node, [])
        if pointer.get(node, 0) < len(edges):
            nxt = edges[pointer[node]]
            pointer[node] += 1
            stack.append((nxt[1:], nxt))
        else:
            stack.pop()
            if edge is not None:
                circuit.append(edge)
    circuit.reverse()
    return [edge[0] for edge in circuit]


def _canonical(strip: list[int]) -> list[int]:
    """Smallest rotation: the stop origin is unobservable, so fix one for reproducibility."""
    n = len(strip)
    doubled = strip + strip
    return min((doubled[i:i + n] for i in range(n)))


def _orderings(kmers, nodes, src, dst, m) -> tuple[float, list[tuple[int, ...]]]:
    """ln(number of distinct cyclic strips with these k-mer multiplicities) by the BEST theorem:
    t_w(G) * prod_v (deg v - 1)! / prod_e m_e!  (no circuit is periodic because L is minimal)."""
    size = nodes.size
    lap = np.zeros((size, size))
    np.add.at(lap, (src, dst), -m.astype(float))
    out_deg = np.bincount(src, weights=m, minlength=size)
    lap[np.arange(size), np.arange(size)] += out_deg
    if size > 1:
        sign, logdet = np.linalg.slogdet(lap[1:, 1:])
        logdet = logdet if sign > 0 else 0.0
    else:
        logdet = 0.0
    log_count = logdet + sum(math.lgamma(d) for d in out_deg if d > 0) - sum(math.lgamma(x + 1) for x in m)
    successors: dict[tuple[int, ...], set[int]] = {}
    for kmer in kmers:
        successors.setdefault(kmer[:-1], set()).add(kmer[-1])
    branching = sorted(node for node, nxt in successors.items() if len(nxt) > 1)
    return max(0.0, log_count), branching


def independence_pvalue(*, sym: np.ndarray, reel: int) -> float | None:
    """p-value of "vertically adjacent cells are independent" on ``reel`` (pairs of rows pooled)."""
    rows = sym.shape[1]
    if rows < 2:
        return None
    upper = sym[:, :-1, reel].ravel().astype(np.int64)
    lower = sym[:, 1:, reel].ravel().astype(np.int64)
    a_vals, a = np.unique(upper, return_inverse=True)
    b_vals, b = np.unique(lower, return_inverse=True)
    if a_vals.size < 2 or b_vals.size < 2:
        return None
    table = np.zeros((a_vals.size, b_vals.size))
    np.add.at(table, (a, b), 1)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    stat = float(((table - expected) ** 2 / expected).sum())
    return chi2_sf(stat, (a_vals.size - 1) * (b_vals.size - 1))


@dataclass
class WeightModel:
    """Independent weighted symbols per reel (the non-strip model)."""

    counts: np.ndarray          # (reels, S) cell counts
    trials: np.ndarray          # (reels,) cells observed per reel
    grid: int
    pooled: bool                # reels judged identical (homogeneity not rejected) and pooled
    homogeneity_pvalue: float | None
    pinned: bool                # the weights pass the likelihood-ratio pin of grid_fit
    grid_weights: np.ndarray    # (reels, S) integers summing to grid: pinned or max-likelihood

    def probability(self, reel: int, symbol: int) -> tuple[int, int]:
        return int(self.grid_weights[reel, symbol]), self.grid


def _grid_round(p: np.ndarray, grid: int) -> np.ndarray:
    x = p * grid
    base = np.floor(x).astype(np.int64)
    short = grid - int(base.sum())
    if short > 0:
        base[np.argsort(-(x - base), kind="stable")[:short]] += 1
    return base


# Weights are pinned by a likelihood-ratio test over the rational candidates (multiples of
# 1/grid summing to 1): the best candidate must explain the counts (goodness of fit against the
# unrestricted maximum likelihood at GOF_ALPHA) and be PIN_LIKELIHOOD_RATIO times likelier than
# every other candidate. That is one statement about all weights at once, not one interval per
# weight. Under the truth, a given rival is 100 times likelier with probability at most 1/100
# (the likelihood ratio has mean 1); simulated on the A2A weights (30/25/20/15/10, 2,000 samples
# each) wrong pins were 0 at 15,000 and 60,000 cells and 0.05% at 30,000, and 98% of 60,000-cell
# samples (20,000 spins of 3 reels) pin the truth. A ratio of 1000 pinned only 95% there, 20 let
# 1.7% pin wrongly at 15,000 cells.
PIN_LIKELIHOOD_RATIO = 100.0
GOF_ALPHA = 1e-3
CONFIDENCE = 0.95            # the displayed simultaneous confidence set
CANDIDATE_SPAN = 1           # grid steps either side of each maximum-likelihood weight
MAX_CANDIDATES = 200_000     # weight vectors enumerated at most (more symbols: not pinned)


@dataclass(frozen=True)
class GridFit:
    """The likelihood-ratio reading of one count vector on the 1/grid lattice."""

    best: np.ndarray | None          # the most likely candidate (integers summing to grid)
    pinned: bool
    log_ratio_to_runner_up: float    # ln L(best) - ln L(second best); inf when alone
    gof_pvalue: float
    confidence_set: list[np.ndarray]  # candidates inside the simultaneous CONFIDENCE set


def _candidates(counts: np.ndarray, grid: int) -> list[np.ndarray]:
    """Weight vectors near the maximum likelihood: each weight within CANDIDATE_SPAN grid steps,
    positive where the symbol was seen, summing to ``grid``."""
    total = int(counts.sum())
    centre = counts / max(1, total) * grid
    options = []
    for c, x in zip(counts.tolist(), centre.tolist()):
        low = max(1 if c else 0, math.floor(x) - CANDIDATE_SPAN)
        options.append(range(low, max(low, math.ceil(x) + CANDIDATE_SPAN) + 1))
    if math.prod(len(o) for o in options) > MAX_CANDIDATES:
        return []
    out = [np.array(combo, dtype=np.int64) for combo in itertools.product(*options) if sum(combo) == grid]
    return out


def grid_fit(counts: np.ndarray, grid: int) -> GridFit:
    """Likelihood-ratio test of the candidates (see PIN_LIKELIHOOD_RATIO)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    seen = counts > 0
    df = max(1, int(seen.sum()) - 1)
    mle = float((counts[seen] * np.log(counts[seen] / max(1, total))).sum()) if total else 0.0
    scored = []
    for cand in _candidates(counts, grid):
        if (cand[seen] == 0).any():
            continue
        loglik = float((counts[seen] * np.log(cand[seen] / grid)).sum())
        scored.append((loglik, cand))
    if not scored:
        return GridFit(None, False, 0.0, 0.0, [])
    scored.sort(key=lambda item: -item[0])
    best_loglik, best = scored[0]
    runner_up = best_loglik - scored[1][0] if len(scored) > 1 else math.inf
    gof = chi2_sf(2 * (mle - best_loglik), df)
    limit = chi2_quantile(df, _z(CONFIDENCE))
    confidence_set = [cand for loglik, cand in scored if 2 * (mle - loglik) <= limit]
    pinned = gof > GOF_ALPHA and runner_up >= math.log(PIN_LIKELIHOOD_RATIO)
    return GridFit(best, pinned, runner_up, gof, confidence_set)


def _z(confidence: float) -> float:
    """The normal score whose upper tail is 1 - confidence (chi2_quantile takes a z)."""
    return float(norm.isf(1 - confidence))


def weight_model(*, sym: np.ndarray, n_symbols: int, grid: int = 100) -> tuple[WeightModel, dict]:
    """Per-reel symbol weights, pinned to multiples of ``1/grid`` by the likelihood-ratio test of
    :func:`grid_fit` (reels pooled when homogeneous). ``ci95`` per symbol is a Wilson interval for
    display; ``grid_candidates`` are the values the symbol takes in the simultaneous 95% set."""
    n, rows, reels = sym.shape
    counts = np.zeros((reels, n_symbols), dtype=np.int64)
    for r in range(reels):
        counts[r] = np.bincount(sym[:, :, r].ravel().astype(np.int64), minlength=n_symbols)
    trials = counts.sum(1)
    homogeneity = None
    if reels > 1:
        used = counts.sum(0) > 0
        table = counts[:, used].astype(float)
        expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
        stat = float(((table - expected) ** 2 / np.where(expected > 0, expected, 1)).sum())
        homogeneity = chi2_sf(stat, (reels - 1) * (int(used.sum()) - 1))
    pooled = homogeneity is not None and homogeneity > 0.01

    def pin(c: np.ndarray, t: int) -> tuple[np.ndarray | None, list[dict]]:
        fit = grid_fit(c, grid)
        info = []
        for s in range(n_symbols):
            lo, hi = wilson_interval(int(c[s]), int(t))
            values = sorted({int(cand[s]) for cand in fit.confidence_set})
            info.append({"p": float(c[s] / t) if t else 0.0, "ci95": [float(lo), float(hi)],
                         "grid_candidates": values})
        return (fit.best if fit.pinned else None), info

    per_reel = []
    grid_weights = np.zeros((reels, n_symbols), dtype=np.int64)
    all_pinned = True
    for r in range(reels):
        pinned, info = pin(counts[r], trials[r])
        per_reel.append(info)
        if pinned is None:
            all_pinned = False
            grid_weights[r] = _grid_round(counts[r] / max(1, trials[r]), grid)
        else:
            grid_weights[r] = pinned
    pooled_info = None
    if pooled:
        total = counts.sum(0)
        pinned, pooled_info = pin(total, int(total.sum()))
        if pinned is not None:
            grid_weights[:] = pinned
            all_pinned = True
        elif not all_pinned:
            grid_weights[:] = _grid_round(total / total.sum(), grid)
    model = WeightModel(counts, trials, grid, pooled, homogeneity, all_pinned, grid_weights)
    return model, {"per_reel": per_reel, "pooled": pooled_info}
