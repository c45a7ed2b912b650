"""The recovery contract shared with ``fingerprint_app`` (campaigns call :func:`recover_model`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

__all__ = ["Observation", "RecoveryResult", "STATUSES"]

STATUSES = ("exact", "partial", "non_strip", "insufficient")


@dataclass(frozen=True)
class Observation:
    """One probe as the black box returned it.

    ``window`` is row-major (rows x reels) symbol names; ``multiplier`` is total payout / total bet.
    """

    window: list[list[str]]
    multiplier: Fraction


@dataclass
class RecoveryResult:
    """What the observations determine about the engine.

    * ``exact``: a strip model reproduces every observed payout and every quantity the RTP depends
      on is pinned by the data; ``definition`` (project format), ``par`` and ``rtp`` are exact.
    * ``partial``: something could not be identified (see ``notes``); ``details`` keeps the
      estimates and the best consistent model, ``rtp``/``par`` are ``None``.
    * ``non_strip``: reels draw symbols independently (no cyclic strip fits); ``details`` has the
      per-reel weights with 95% CIs; ``rtp`` is set when the weights and pays are pinned.
    * ``insufficient``: too little data to say anything structural.
    """

    status: str
    definition: dict | None = None
    par: dict | None = None
    rtp: Fraction | None = None
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
