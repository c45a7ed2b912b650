"""Stage "lines/wild": which symbol is wild, which is the scatter, and which row patterns are paylines.

Hypotheses ``(wild, scatter)`` are tried most plausible first (:func:`.lines.detect_scatter`,
:func:`.lines.detect_wild`), then every symbol as the wild; the first hypothesis whose line fit
reproduces every payout wins. Everything is bounded by counts, never by seconds, so the answer is a
function of the sample alone.

**Monotone in data.** A line search is a heuristic: a larger sample can lead it astray where a
smaller one did not. So when the search on ``n`` spins fails, the structure found on the first
``n // 2`` spins (by this same function, recursively) is tried on all ``n`` with its paylines fixed.
Samples grow by appending (a campaign's sample does), so whatever was found on ``n`` spins is
tried again on ``2n``: a true structure keeps fitting, and exact at ``n`` stays exact at ``2n``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .data import ObservationSet
from .lines import LineFit, _strong_threshold, detect_scatter, detect_wild, fit_lines

__all__ = ["Structure", "search_structure"]

# Scatter candidates tried (strong ones first, then "no scatter"), and detected wilds per scatter.
SCATTER_CANDIDATES = 3
DETECTED_WILDS = 2
# Scatter candidates the every-symbol wild search runs over when detection found nothing that fits.
EXHAUSTIVE_SCATTERS = 2
# Restarts of the line search (from other halves of the paying windows) for the hypothesis that
# explained most payouts, when no hypothesis fit: its local moves can stall on several wrong lines.
RESTARTS = 3
# "A handful" of unexplained payouts (as fit_lines reports them): at most 3, or 1 in 1,000.
FEW_UNEXPLAINED = 3
UNEXPLAINED_PER = 1_000
# Below this many uniform spins the prefix fallback stops halving (a search there is a guess).
MIN_PREFIX = 250
# 3-cell prefixes (3 rows, 3 reels) times symbols: the pairs the wild detector's support tests.
PREFIX_PATTERNS = 27


@dataclass(frozen=True)
class Structure:
    """A payline set with its wild and scatter (symbol ids, -1 for none)."""

    wild: int
    scatter: int
    paylines: tuple[tuple[int, ...], ...]


@dataclass
class SearchOutcome:
    fit: LineFit
    tried: list[dict] = field(default_factory=list)


def search_structure(obs: ObservationSet, *, n_random: int, given: Structure | None = None) -> SearchOutcome:
    """The best line fit for ``obs`` (exact if any hypothesis tried is). The first ``n_random``
    windows are uniform spins (the prefix fallback halves those only); ``given`` is tried first."""
    outcome = SearchOutcome(fit=LineFit(wild=-1, scatter=-1))
    if given is not None and _try(obs, outcome, given.wild, given.scatter, lines=given.paylines, given=True):
        return outcome
    if _hypotheses(obs, outcome) or (not _inconsistent(obs, outcome) and _restarts(obs, outcome)):
        return outcome
    half = n_random // 2
    if half >= MIN_PREFIX:
        earlier = search_structure(_prefix(obs, half), n_random=half).fit
        if earlier.exact:
            _try(obs, outcome, earlier.wild, earlier.scatter, lines=tuple(earlier.lines), given=True)
    return outcome


def _hypotheses(obs: ObservationSet, outcome: SearchOutcome) -> bool:
    scatters = detect_scatter(obs.sym, obs.y)
    order = [s for s, strong, _ in scatters if strong] + [-1] + [s for s, strong, _ in scatters if not strong]
    support = _strong_threshold(float((obs.y > 0).mean()), PREFIX_PATTERNS * len(obs.alphabet))
    scatter_options = order[:SCATTER_CANDIDATES]
    wilds: list[int] = []   # detected under any scatter candidate: a false scatter can hide the wild
    for scatter in scatter_options:
        wilds += [w for w in detect_wild(obs.sym, obs.y, scatter, support)[:DETECTED_WILDS] if w not in wilds]
    for scatter in scatter_options:
        for wild in wilds + [-1]:
            if _try(obs, outcome, wild, scatter):
                return True
    if wilds or _inconsistent(obs, outcome):
        return False  # a line-search miss or an inconsistent engine, not a wild nobody detected
    # nothing fits and no wild seen: one the detector missed (too few patterns yet)? try every symbol
    for scatter in order[:EXHAUSTIVE_SCATTERS]:
        for wild in range(len(obs.alphabet)):
            if _try(obs, outcome, wild, scatter):
                return True
    return False


def _inconsistent(obs: ObservationSet, outcome: SearchOutcome) -> bool:
    """The best fit explains all but a handful of payouts: most likely the structure is found and
    the engine contradicts it (a lie, a fault), so restarts are not worth their cost. (A wrong
    sibling that differs only on rare long runs looks the same: the prefix fallback still runs.)"""
    unexplained = outcome.fit.unexplained.size
    return outcome.fit.n_lines > 0 and 0 < unexplained <= max(FEW_UNEXPLAINED, obs.n // UNEXPLAINED_PER)


def _restarts(obs: ObservationSet, outcome: SearchOutcome) -> bool:
    best = outcome.fit
    if best.n_lines == 0:
        return False
    return any(_try(obs, outcome, best.wild, best.scatter, restart=k) for k in range(1, RESTARTS + 1))


def _try(obs: ObservationSet, outcome: SearchOutcome, wild: int, scatter: int, *,
         lines: tuple[tuple[int, ...], ...] | None = None, given: bool = False, restart: int = 0) -> bool:
    if (wild >= 0 and wild == scatter) or any(
            t["wild_id"] == wild and t["scatter_id"] == scatter and t["restart"] == restart and not t["given"]
            for t in outcome.tried):
        return False
    fit = fit_lines(sym=obs.sym, y=obs.y, den=obs.den, wild=wild, scatter=scatter,
                    lines=list(lines) if lines is not None else None, restart=restart)
    outcome.tried.append({"wild_id": wild, "scatter_id": scatter, "lines": fit.n_lines, "exact": fit.exact,
                          "unexplained": int(fit.unexplained.size), "given": given, "restart": restart})
    best = outcome.fit
    if not outcome.tried[:-1] or (fit.exact, -fit.unexplained.size) > (best.exact, -best.unexplained.size):
        outcome.fit = fit
    return fit.exact


def _prefix(obs: ObservationSet, n: int) -> ObservationSet:
    """The first ``n`` windows (same alphabet and payout grid)."""
    return ObservationSet(obs.alphabet, obs.sym[:n], obs.y[:n], obs.den, obs.multipliers[:n])
