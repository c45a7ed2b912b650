"""The recovery contract shared with ``fingerprint_app`` (campaigns call :func:`recover_model`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

__all__ = ["Blocker", "Label", "Observation", "RecoveredModel", "RecoveryResult", "RecoveryStatus", "STATUSES",
           "Structure"]


class RecoveryStatus(StrEnum):
    """* ``exact``: a strip model reproduces every observed payout and every quantity the RTP
      depends on is pinned by the data; ``definition`` (project format), ``par`` and ``rtp`` are exact.
    * ``partial``: something could not be identified (``model.blockers``, ``notes``).
    * ``non_strip``: reels draw symbols independently (no cyclic strip fits); ``rtp`` is set when
      the weights and pays are pinned.
    * ``insufficient``: too little data to say anything structural."""

    EXACT = "exact"
    PARTIAL = "partial"
    NON_STRIP = "non_strip"
    INSUFFICIENT = "insufficient"


STATUSES = tuple(RecoveryStatus)


class Blocker(StrEnum):
    """Why a model is not exact (several can hold)."""

    LINE_MODEL_INEXACT = "line_model_inexact"            # no line/pay model explains every payout
    PAYLINES_AMBIGUOUS = "paylines_ambiguous"            # a payline and a sibling paid alike on every spin
    UNIDENTIFIED_PAYS = "unidentified_pays"              # a reachable pay never observed (or not pinned)
    PAY_CONFLICTS = "pay_conflicts"
    PAYS_AMBIGUOUS = "pays_ambiguous"                    # max(pay(t, c), pay(wild, w)) with neither side known
    DEFINITION_PROBLEMS = "definition_problems"          # the pays cannot be written as a definition
    REPLAY_MISMATCH = "replay_mismatch"
    STRIP_LENGTH_NOT_PINNED = "strip_length_not_pinned"
    NOT_A_STRIP_ENGINE = "not_a_strip_engine"
    TARGETED_REPLAY_MISMATCH = "targeted_replay_mismatch"  # a targeted spin the model does not reproduce


# A line label: (symbol id, run length, leading wilds); symbol id len(alphabet) = no symbol
# (all wild, or wilds followed by the scatter).
Label = tuple[int, int, int]


@dataclass(frozen=True)
class Observation:
    """One probe as the black box returned it.

    ``window`` is row-major (rows x reels) symbol names; ``multiplier`` is total payout / total bet.
    """

    window: list[list[str]]
    multiplier: Fraction


Payline = tuple[int, ...]   # the row of the window on each reel


@dataclass(frozen=True)
class Structure:
    """Which symbol is wild, which is the scatter (names; None for none) and the paylines: what the
    line search finds, and what ``recover_model(structure=...)`` tries before searching."""

    wild: str | None
    scatter: str | None
    paylines: tuple[Payline, ...]


@dataclass(frozen=True)
class RecoveredModel:
    """What the recovery found, typed: the structure, the pays the data pin, what is still unknown
    and why the model is not exact (``blockers``). Targeted probes and the campaign hook read this;
    ``RecoveryResult.details`` is the same rendered for display."""

    alphabet: tuple[str, ...]
    rows: int
    reels: int
    paylines: tuple[Payline, ...]
    wild: str | None
    scatter: str | None
    label_values: dict[Label, Fraction]          # line pay (in line bets) of every label the fit pins
    fitted_labels: frozenset[Label]              # labels the fit has a column for (pinned or not)
    scatter_values: dict[int, Fraction]          # scatter count -> pay (in total bets)
    unknown_labels: frozenset[Label]             # reachable labels whose pay is not known
    unknown_scatter_counts: frozenset[int]
    ambiguous_paylines: tuple[tuple[Payline, Payline], ...]
    strip_lengths: tuple[int | None, ...]        # per reel; None for a weight model
    strip_counts: tuple[dict[str, int], ...]     # per reel: symbol -> stops
    order_ambiguous: tuple[bool, ...]
    blockers: tuple[Blocker, ...]

    @property
    def none(self) -> int:
        """The symbol id of "no symbol" in a :data:`Label`."""
        return len(self.alphabet)

    @property
    def structure(self) -> Structure:
        """Wild, scatter and paylines, as ``recover_model(structure=...)`` takes them."""
        return Structure(wild=self.wild, scatter=self.scatter, paylines=self.paylines)


@dataclass
class RecoveryResult:
    """What the observations determine about the engine (see :class:`RecoveryStatus`).

    ``model`` is the typed result (None when too little data to fit anything); ``details`` renders
    it, with the estimates and the best consistent model, for display (admin, API, bench)."""

    status: RecoveryStatus
    definition: dict | None = None
    par: dict | None = None
    rtp: Fraction | None = None
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    model: RecoveredModel | None = None
