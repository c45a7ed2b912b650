"""The engine boundary: everything outside the engine sees a slot game only through this.

``SlotEngine.spin(rng) -> SpinOutcome``; ``rng`` is anything with ``randbelow(n)`` and
``random_bytes(k)`` (e.g. :class:`core.rng.FairRNG`). Two implementations:

* :class:`LocalSlotEngine` evaluates a :class:`GameDefinition` in-process.
* :class:`RemoteSlotEngine` asks an HTTP endpoint. Wire contract::

      POST <url>   {"seed": "<64 hex chars = rng.random_bytes(32).hex()>"}
      200          {"window": [["A", ...], ...], "line_wins": [{"line": 0, "symbol": "A",
                    "count": 3, "multiplier": "5"}], "scatter_win": "0",
                    "total_multiplier": "0.25", "stops": [..]}   # stops optional

  i.e. ``SpinOutcome.to_dict()``. The reference endpoint answers with
  :func:`spin_from_seed` (``FairRNG(seed, "remote-engine", 0)`` driving the local engine).

  Scripted draws (optional, forced-outcome testing): when the caller's ``rng`` is a
  :class:`ScriptedDraws`, the request is ``{"draws": [v0, v1, ...]}`` instead; an engine that
  supports it uses ``v_i % n_i`` as its i-th ``randbelow(n_i)`` and adds
  ``"draw_ranges": [n0, n1, ...]`` to the outcome. An engine that does not answers an error or
  omits ``draw_ranges``, and :class:`DrawsNotScriptable` is raised.
"""
from __future__ import annotations

import json
from typing import Protocol, runtime_checkable

from core import outbound
from core.rng import FairRNG

from .definition import GameDefinition
from .evaluator import LineWin, SpinOutcome, evaluate_spin

__all__ = [
    "DrawsNotScriptable",
    "EngineError",
    "LineWin",
    "LocalSlotEngine",
    "RandomSource",
    "RemoteSlotEngine",
    "REMOTE_CLIENT_SEED",
    "ScriptedDraws",
    "SlotEngine",
    "SpinOutcome",
    "spin_from_draws",
    "spin_from_seed",
]

REMOTE_CLIENT_SEED = "remote-engine"


class EngineError(RuntimeError):
    """An engine could not produce a valid outcome (transport, HTTP status or response format)."""


class DrawsNotScriptable(EngineError):
    """The engine wants randomness a script cannot give (raw bytes), or refuses scripted draws."""


MAX_SCRIPTED_DRAWS = 64


class ScriptedDraws:
    """A ``RandomSource`` that answers the i-th ``randbelow(n)`` with ``values[i] % n`` (0 when the
    script is shorter) and records every ``n`` in ``calls``: forced outcomes for testing an engine.
    ``random_bytes`` raises :class:`DrawsNotScriptable` before the engine can act on it."""

    def __init__(self, values=()) -> None:
        self.values = [int(v) for v in values]
        self.calls: list[int] = []

    def randbelow(self, n: int) -> int:
        i = len(self.calls)
        self.calls.append(int(n))
        return (self.values[i] if i < len(self.values) else 0) % int(n)

    def random_bytes(self, k: int) -> bytes:
        raise DrawsNotScriptable("the engine draws raw bytes")


@runtime_checkable
class RandomSource(Protocol):
    def randbelow(self, n: int) -> int: ...

    def random_bytes(self, k: int) -> bytes: ...


@runtime_checkable
class SlotEngine(Protocol):
    def spin(self, rng: RandomSource) -> SpinOutcome:
        """Play one spin using randomness from ``rng`` only."""
        ...


class LocalSlotEngine:
    """In-process engine: one ``rng.randbelow(len(strip))`` per reel, reels in order 0..n-1."""

    def __init__(self, definition: GameDefinition) -> None:
        self.definition = definition

    def spin(self, rng: RandomSource) -> SpinOutcome:
        stops = [rng.randbelow(len(strip)) for strip in self.definition.reels]
        return evaluate_spin(self.definition, stops)


class RemoteSlotEngine:
    """Engine behind an HTTP endpoint (see the module docstring for the JSON contract).

    Every call goes through the outbound guard (`core.outbound`): one lookup, public addresses only
    unless ``allow_private`` (default: settings.REMOTE_ENGINE_ALLOW_PRIVATE), the connection made to
    the checked address, no redirects, and one message for any connection failure. ``headers`` are
    sent with every call (e.g. an ``Authorization`` for an engine that wants one)."""

    def __init__(self, url: str, timeout: float = 5.0, *, headers: dict[str, str] | None = None,
                 allow_private: bool | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must be http(s)")
        self.url = url
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.allow_private = allow_private

    def spin(self, rng: RandomSource) -> SpinOutcome:
        if isinstance(rng, ScriptedDraws):
            return self._spin_scripted(rng)
        return self._post({"seed": rng.random_bytes(32).hex()})[0]

    def _spin_scripted(self, rng: ScriptedDraws) -> SpinOutcome:
        """Send the script; replay the ranges the engine reports into ``rng`` so the caller sees
        the same draw record a local engine would leave."""
        try:
            outcome, payload = self._post({"draws": rng.values[:MAX_SCRIPTED_DRAWS]})
        except EngineError as exc:
            raise DrawsNotScriptable(f"the remote engine refused scripted draws ({exc})") from exc
        ranges = payload.get("draw_ranges") if isinstance(payload, dict) else None
        if (not isinstance(ranges, list) or not ranges or len(ranges) > MAX_SCRIPTED_DRAWS
                or not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 2**32 for n in ranges)):
            raise DrawsNotScriptable("the remote engine does not report draw_ranges for scripted draws")
        for n in ranges:
            rng.randbelow(n)
        return outcome

    def _allow_private(self) -> bool:
        if self.allow_private is not None:
            return self.allow_private
        from django.conf import settings  # the engine package imports no Django at load: a plain library too

        return bool(getattr(settings, "REMOTE_ENGINE_ALLOW_PRIVATE", False))

    def _post(self, body_data: dict) -> tuple[SpinOutcome, object]:
        body = json.dumps(body_data).encode("utf-8")
        headers = {**self.headers, "Content-Type": "application/json", "Accept": "application/json"}
        try:
            response = outbound.post(self.url, content=body, headers=headers, timeout=self.timeout,
                                     allow_private=self._allow_private())
        except outbound.OutboundRefused as exc:
            raise EngineError(f"remote engine refused: {exc.reason}") from exc
        except outbound.OutboundUnreachable as exc:
            raise EngineError(f"remote engine unreachable: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise EngineError(f"remote engine answered HTTP {response.status_code}")
        try:
            data = json.loads(response.content)
            return SpinOutcome.from_dict(data), data
        except (ValueError, UnicodeDecodeError, TypeError, KeyError, AttributeError) as exc:
            raise EngineError(f"remote engine sent an invalid outcome: {exc}") from exc


def spin_from_seed(definition: GameDefinition, seed_hex: str) -> SpinOutcome:
    """Reference remote-engine behaviour: spin ``definition`` with
    ``FairRNG(server_seed=seed_hex, client_seed="remote-engine", nonce=0)``.

    ``ValueError`` unless ``seed_hex`` is 2..128 hex characters (the endpoint's input check)."""
    if not isinstance(seed_hex, str) or not 2 <= len(seed_hex) <= 128 or not _is_hex(seed_hex):
        raise ValueError("seed must be 2..128 hexadecimal characters")
    rng = FairRNG(server_seed=seed_hex, client_seed=REMOTE_CLIENT_SEED, nonce=0)
    return LocalSlotEngine(definition).spin(rng)


def spin_from_draws(definition: GameDefinition, draws: list[int]) -> tuple[SpinOutcome, list[int]]:
    """Reference remote-engine behaviour for scripted draws: the local engine driven by
    :class:`ScriptedDraws`; returns the outcome and the ranges of the draws it made.

    ``ValueError`` unless ``draws`` is a list of at most 64 integers in ``0 .. 2**32 - 1`` (draws
    beyond the list are 0, as in :class:`ScriptedDraws`)."""
    if (not isinstance(draws, list) or len(draws) > MAX_SCRIPTED_DRAWS
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**32 for v in draws)):
        raise ValueError(f"draws must be a list of at most {MAX_SCRIPTED_DRAWS} integers in 0..2**32-1")
    rng = ScriptedDraws(draws)
    return LocalSlotEngine(definition).spin(rng), rng.calls


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdefABCDEF" for ch in text)
