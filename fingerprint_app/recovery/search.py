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

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from .data import ObservationSet
from .lines import SHORTEST_RUN, LineFit, detect_scatter, detect_wild, fit_lines, handful, strong_threshold

__all__ = ["Hypothesis", "search_structure"]

# Scatter candidates tried (strong ones first, then "no scatter"), and detected wilds per scatter.
SCATTER_CANDIDATES = 3
DETECTED_WILDS = 2
# Scatter candidates the every-symbol wild search runs over when detection found nothing that fits.
EXHAUSTIVE_SCATTERS = 2
# Restarts of the line search (from other halves of the paying windows) for the hypothesis that
# explained most payouts, when no hypothesis fit: its local moves can stall on several wrong lines.
RESTARTS = 3
# Below this many uniform spins the prefix fallback stops halving (a search there is a guess).
MIN_PREFIX = 250
# Searches remembered by the content of their sample: a growing sample is searched at every size,
# and a failed search falls back on its first half, which an earlier, smaller sample (a previous
# chunk, the sweep's smaller size) has often searched already. The answer is the same either way.
REMEMBERED_SEARCHES = 64


@dataclass(frozen=True)
class Hypothesis:
    """A :class:`.types.Structure` in symbol ids (-1 for no wild / no scatter)."""

    wild: int
    scatter: int
    paylines: tuple[tuple[int, ...], ...]


@dataclass
class SearchOutcome:
    fit: LineFit
    tried: list[dict] = field(default_factory=list)


def search_structure(obs: ObservationSet, *, n_random: int, given: Hypothesis | None = None) -> SearchOutcome:
    """The best line fit for ``obs`` (exact if any hypothesis tried is). The first ``n_random``
    windows are uniform spins (the prefix fallback halves those only); ``given`` is tried first."""
    outcome = SearchOutcome(fit=LineFit(wild=-1, scatter=-1))
    if given is not None and _try(obs, outcome, given.wild, given.scatter, lines=given.paylines, given=True):
        return outcome
    if not (_hypotheses(obs, outcome) or (not _inconsistent(obs, outcome) and _restarts(obs, outcome))):
        half = n_random // 2
        earlier = _found_on_prefix(obs, half) if half >= MIN_PREFIX else None
        if earlier is not None:
            _try(obs, outcome, earlier.wild, earlier.scatter, lines=earlier.paylines, given=True)
    if given is None:
        _remember(_sample_key(obs, n_random), outcome.fit)
    return outcome


class _Memory:
    """The structure each recent search found (None: none fitted), by sample content; bounded."""

    def __init__(self) -> None:
        self.found: OrderedDict[bytes, Hypothesis | None] = OrderedDict()
        self.lock = threading.Lock()


_memory = _Memory()


def _sample_key(obs: ObservationSet, n_random: int) -> bytes:
    digest = hashlib.blake2b(digest_size=20)
    for part in (repr((obs.alphabet, obs.den, n_random, obs.sym.shape, str(obs.sym.dtype))).encode(),
                 obs.sym.tobytes(), obs.y.tobytes()):
        digest.update(part)
    return digest.digest()


def _remember(key: bytes, fit: LineFit) -> None:
    found = Hypothesis(wild=fit.wild, scatter=fit.scatter, paylines=tuple(fit.lines)) if fit.exact else None
    with _memory.lock:
        _memory.found[key] = found
        _memory.found.move_to_end(key)
        while len(_memory.found) > REMEMBERED_SEARCHES:
            _memory.found.popitem(last=False)


def _found_on_prefix(obs: ObservationSet, n: int) -> Hypothesis | None:
    """The structure the search finds on the first ``n`` windows (remembered, or searched now)."""
    prefix = _prefix(obs, n)
    key = _sample_key(prefix, n)
    with _memory.lock:
        if key in _memory.found:
            _memory.found.move_to_end(key)
            return _memory.found[key]
    fit = search_structure(prefix, n_random=n).fit
    return Hypothesis(wild=fit.wild, scatter=fit.scatter, paylines=tuple(fit.lines)) if fit.exact else None


def _hypotheses(obs: ObservationSet, outcome: SearchOutcome) -> bool:
    scatters = detect_scatter(obs.sym, obs.y)
    order = [s for s, strong, _ in scatters if strong] + [-1] + [s for s, strong, _ in scatters if not strong]
    # the wild detector tests every prefix of the shortest run (rows ** SHORTEST_RUN) with every symbol
    support = strong_threshold(float((obs.y > 0).mean()), obs.rows ** SHORTEST_RUN * len(obs.alphabet))
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
    return outcome.fit.n_lines > 0 and 0 < unexplained <= handful(obs.n)


def _restarts(obs: ObservationSet, outcome: SearchOutcome) -> bool:
    best = outcome.fit
    if best.n_lines == 0:
        return False
    return any(_try(obs, outcome, best.wild, best.scatter, restart=k) for k in range(1, RESTARTS + 1))


def _try(obs: ObservationSet, outcome: SearchOutcome, wild: int, scatter: int, *,
         lines: tuple[tuple[int, ...], ...] | None = None, given: bool = False, restart: int = 0) -> bool:
    # a searched hypothesis is not searched twice; a given payline set always runs (the prefix
    # fallback's structure usually has a wild and scatter the search already tried without it)
    if (wild >= 0 and wild == scatter) or (not given and any(
            t["wild_id"] == wild and t["scatter_id"] == scatter and t["restart"] == restart and not t["given"]
            for t in outcome.tried)):
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
