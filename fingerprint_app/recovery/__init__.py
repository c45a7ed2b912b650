"""Exact model recovery of a black-box slot engine from (window, payout) probes (issues 11, 19).

Pure Python/NumPy (no Django models). Read top-down from :mod:`.pipeline` (sample → strips →
lines/wild → pays → model → replay → verdict): :func:`recover_model` returns a
:class:`RecoveryResult` with a :class:`RecoveryStatus` and a typed :class:`RecoveredModel`.
:mod:`.targeted` finishes a model by steering an engine's draws. The method is written up in the
README section "Exact model recovery".

Modules: ``data`` (observations as arrays), ``strips`` (reel strips or weights), ``search`` and
``lines`` (wild, scatter, paylines), ``pays`` (paytable entries from label values), ``model``
(definition, replay, RTP algebra), ``render`` (``details`` for display), ``targeted``.
"""
from __future__ import annotations

from .data import observation_set_from_arrays
from .pipeline import recover_from_set, recover_model
from .types import Blocker, Observation, RecoveredModel, RecoveryResult, RecoveryStatus, Structure

__all__ = ["Blocker", "Observation", "RecoveredModel", "RecoveryResult", "RecoveryStatus", "Structure",
           "recover_model", "recover_from_set", "observation_set_from_arrays"]
