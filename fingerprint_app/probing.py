"""Batch probing: what a slot engine shows from the outside, many spins at a time.

``probe_batch(engine, seed=..., start_index=..., count=...)`` returns the windows (as symbol ids
into an alphabet) and the exact total multipliers of spins ``start_index .. start_index+count-1``.
The result is a pure function of ``(engine, seed, index)``, so a campaign that is interrupted and
resumed at ``spins_done`` sees exactly the spins an uninterrupted run would have seen.

Two paths, one contract:

* **Black box** (any :class:`SlotEngine`): spin ``i`` is ``engine.spin(FairRNG(seed, "probe", i))``.
  Line wins are recorded when the engine reports them.
* **Vectorised** (a :class:`LocalSlotEngine`, only for speed): stops come from numpy PCG64
  streams keyed by ``(sha256(seed), i // PROBE_BLOCK)``, and the engine's own vectorised
  evaluator turns them into windows and multipliers. Only the windows and multipliers leave this
  module; the statistics never read the definition (its strips, paytable or lines). The spins are
  different from the black-box path's for the same seed, but follow the same distribution.

``deterministic_probe`` spins the engine through its public interface for the deterministic
signature: the window shape, line wins (paytable entries) and a replay check (the same
``(seed, nonce)`` twice must give the same outcome).
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np

from core.rng import FairRNG
from games_app.engine.definition import GameDefinition
from games_app.engine.interface import LocalSlotEngine, SlotEngine, SpinOutcome
from games_app.engine.simulator import VectorEvaluator, random_stops

__all__ = [
    "DETERMINISTIC_SPINS_PER_CHUNK",
    "PROBE_BLOCK",
    "PROBE_CLIENT_SEED",
    "REPLAY_CHECKS",
    "DeterministicProbe",
    "ProbeBatch",
    "deterministic_probe",
    "is_vectorised",
    "probe_batch",
    "queries_for_chunk",
]

PROBE_CLIENT_SEED = "probe"
AUDIT_CLIENT_SEED = "probe-audit"
# Part of the determinism contract of the vectorised path: changing it changes every sample.
PROBE_BLOCK = 16384
# Extra scalar spins per chunk of a vectorised probe, so line wins (paytable entries) are seen
# through the engine's public interface too; the black-box path sees them on every spin.
DETERMINISTIC_SPINS_PER_CHUNK = 64
# Spins replayed (each spun twice) in a campaign's first chunk.
REPLAY_CHECKS = 8
_INT64_SAFE = 2**62


@dataclass(frozen=True)
class ProbeBatch:
    """Spins ``start_index .. start_index + count - 1`` as the black box shows them.

    ``windows[i, row, reel]`` indexes ``alphabet``; spin ``i`` paid ``numerators[i] / denominator``
    times the total bet, exactly. ``line_pays`` maps ``(symbol, count)`` to the line multipliers
    the engine reported for it (empty when it reports no line wins); ``lines_seen`` the payline
    indices it reported.
    """

    start_index: int
    windows: np.ndarray
    alphabet: tuple[str, ...]
    numerators: np.ndarray
    denominator: int
    line_pays: dict[tuple[str, int], set[Fraction]] = field(default_factory=dict)
    lines_seen: set[int] = field(default_factory=set)

    @property
    def count(self) -> int:
        return int(self.numerators.shape[0])

    def multiplier(self, i: int) -> Fraction:
        return Fraction(int(self.numerators[i]), self.denominator)

    def window(self, i: int) -> list[list[str]]:
        return [[self.alphabet[s] for s in row] for row in self.windows[i].tolist()]


def is_vectorised(engine: SlotEngine) -> bool:
    """True when ``probe_batch`` takes the numpy path for ``engine`` (exactly a LocalSlotEngine)."""
    return type(engine) is LocalSlotEngine


def queries_for_chunk(*, engine: SlotEngine, start_index: int, count: int) -> int:
    """Engine queries one chunk costs: its spins, the deterministic audit (vectorised path) and
    the replay check (first chunk only)."""
    extra = min(DETERMINISTIC_SPINS_PER_CHUNK, count) if is_vectorised(engine) else 0
    replay = 2 * REPLAY_CHECKS if start_index == 0 else 0
    return count + extra + replay


def probe_batch(engine: SlotEngine, *, seed: str, start_index: int, count: int) -> ProbeBatch:
    """Probe ``count`` spins from ``start_index`` (see the module docstring for the two paths).

    Raises ``ValueError`` for bad arguments and whatever the engine raises (``EngineError`` for a
    remote engine that misbehaves)."""
    if not isinstance(seed, str) or not seed:
        raise ValueError("seed must be a non-empty string")
    if start_index < 0 or count < 1:
        raise ValueError("start_index must be >= 0 and count >= 1")
    if is_vectorised(engine):
        return _probe_vectorised(engine.definition, seed=seed, start_index=start_index, count=count)
    outcomes = [engine.spin(FairRNG(seed, PROBE_CLIENT_SEED, i))
                for i in range(start_index, start_index + count)]
    return batch_from_outcomes(outcomes, start_index=start_index)


def batch_from_outcomes(outcomes: Sequence[SpinOutcome], *, start_index: int = 0) -> ProbeBatch:
    """Build a :class:`ProbeBatch` from outcomes (also used for a session's recorded spins).

    Raises ``ValueError`` when the windows differ in shape or the multipliers cannot share an
    int64 denominator."""
    if not outcomes:
        raise ValueError("no outcomes")
    shape = (len(outcomes[0].window), len(outcomes[0].window[0]))
    alphabet = tuple(sorted({s for o in outcomes for row in o.window for s in row}))
    ids = {s: i for i, s in enumerate(alphabet)}
    windows = np.empty((len(outcomes), *shape), dtype=np.int16)
    line_pays: dict[tuple[str, int], set[Fraction]] = {}
    lines_seen: set[int] = set()
    for i, outcome in enumerate(outcomes):
        if (len(outcome.window), len(outcome.window[0])) != shape or any(len(r) != shape[1] for r in outcome.window):
            raise ValueError(f"spin {start_index + i}: window shape changed from {shape}")
        windows[i] = [[ids[s] for s in row] for row in outcome.window]
        for win in outcome.line_wins:
            line_pays.setdefault((win.symbol, win.count), set()).add(win.multiplier)
            lines_seen.add(win.line)
    multipliers = [Fraction(o.total_multiplier) for o in outcomes]
    numerators, denominator = fractions_to_int64(multipliers)
    return ProbeBatch(start_index, windows, alphabet, numerators, denominator, line_pays, lines_seen)


def fractions_to_int64(values: Sequence[Fraction]) -> tuple[np.ndarray, int]:
    """Exact ``(numerators, common denominator)``; ``ValueError`` when int64 cannot hold them."""
    denominator = math.lcm(1, *{v.denominator for v in values})
    scaled = [v.numerator * (denominator // v.denominator) for v in values]
    if any(abs(x) >= _INT64_SAFE for x in scaled):
        raise ValueError("multipliers too large or too fine-grained to count exactly")
    return np.array(scaled, dtype=np.int64), denominator


@lru_cache(maxsize=32)
def _evaluator(definition: GameDefinition) -> VectorEvaluator:
    return VectorEvaluator(definition)


def _entropy(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest(), "big")


def _block_stops(definition: GameDefinition, entropy: int, block: int) -> np.ndarray:
    sequence = np.random.SeedSequence(entropy, spawn_key=(block,))
    return random_stops(definition, PROBE_BLOCK, np.random.Generator(np.random.PCG64(sequence)))


def _probe_vectorised(definition: GameDefinition, *, seed: str, start_index: int, count: int) -> ProbeBatch:
    entropy = _entropy(seed)
    end = start_index + count
    first, last = start_index // PROBE_BLOCK, (end - 1) // PROBE_BLOCK
    stops = np.concatenate([_block_stops(definition, entropy, b) for b in range(first, last + 1)])
    offset = start_index - first * PROBE_BLOCK
    stops = stops[offset:offset + count]
    evaluator = _evaluator(definition)
    return ProbeBatch(start_index, evaluator.window_indices(stops), tuple(definition.symbols),
                      evaluator.evaluate(stops), evaluator.denominator)


@dataclass(frozen=True)
class DeterministicProbe:
    """What the scalar interface showed for one chunk: shape, line pays, replay verdict."""

    shape: tuple[int, int] | None
    line_pays: dict[tuple[str, int], set[Fraction]]
    lines_seen: set[int]
    replay_checked: int
    replay_mismatches: list[int]


def deterministic_probe(engine: SlotEngine, *, seed: str, start_index: int, count: int) -> DeterministicProbe:
    """The deterministic part of one chunk, through ``engine.spin`` only.

    Vectorised path: ``min(64, count)`` audit spins ``FairRNG(seed, "probe-audit", i)`` for line
    wins. First chunk (``start_index == 0``): spins ``FairRNG(seed, "probe", i)`` twice for
    ``i < REPLAY_CHECKS`` and compares the two outcomes (a provably fair engine must agree)."""
    line_pays: dict[tuple[str, int], set[Fraction]] = {}
    lines_seen: set[int] = set()
    shape: tuple[int, int] | None = None

    def note(outcome: SpinOutcome) -> None:
        nonlocal shape
        shape = shape or (len(outcome.window), len(outcome.window[0]))
        for win in outcome.line_wins:
            line_pays.setdefault((win.symbol, win.count), set()).add(win.multiplier)
            lines_seen.add(win.line)

    if is_vectorised(engine):
        for i in range(start_index, start_index + min(DETERMINISTIC_SPINS_PER_CHUNK, count)):
            note(engine.spin(FairRNG(seed, AUDIT_CLIENT_SEED, i)))
    mismatches: list[int] = []
    checked = 0
    if start_index == 0:
        for i in range(REPLAY_CHECKS):
            first = engine.spin(FairRNG(seed, PROBE_CLIENT_SEED, i))
            again = engine.spin(FairRNG(seed, PROBE_CLIENT_SEED, i))
            note(first)
            if again.to_dict() != first.to_dict():
                mismatches.append(i)
            checked += 1
    return DeterministicProbe(shape, line_pays, lines_seen, checked, mismatches)
