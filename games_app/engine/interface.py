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
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol, runtime_checkable

from core.rng import FairRNG

from .definition import GameDefinition
from .evaluator import LineWin, SpinOutcome, evaluate_spin

__all__ = [
    "EngineError",
    "LineWin",
    "LocalSlotEngine",
    "RandomSource",
    "RemoteSlotEngine",
    "REMOTE_CLIENT_SEED",
    "SlotEngine",
    "SpinOutcome",
    "spin_from_seed",
]

REMOTE_CLIENT_SEED = "remote-engine"


class EngineError(RuntimeError):
    """An engine could not produce a valid outcome (transport, HTTP status or response format)."""


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
    """Engine behind an HTTP endpoint (see the module docstring for the JSON contract)."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must be http(s)")
        self.url = url
        self.timeout = timeout

    def spin(self, rng: RandomSource) -> SpinOutcome:
        body = json.dumps({"seed": rng.random_bytes(32).hex()}).encode("utf-8")
        request = urllib.request.Request(
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (http(s) only)
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise EngineError(f"remote engine answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise EngineError(f"remote engine unreachable: {exc}") from exc
        try:
            return SpinOutcome.from_dict(json.loads(payload))
        except (ValueError, UnicodeDecodeError) as exc:
            raise EngineError(f"remote engine sent an invalid outcome: {exc}") from exc


def spin_from_seed(definition: GameDefinition, seed_hex: str) -> SpinOutcome:
    """Reference remote-engine behaviour: spin ``definition`` with
    ``FairRNG(server_seed=seed_hex, client_seed="remote-engine", nonce=0)``.

    ``ValueError`` unless ``seed_hex`` is 2..128 hex characters (the endpoint's input check)."""
    if not isinstance(seed_hex, str) or not 2 <= len(seed_hex) <= 128 or not _is_hex(seed_hex):
        raise ValueError("seed must be 2..128 hexadecimal characters")
    rng = FairRNG(server_seed=seed_hex, client_seed=REMOTE_CLIENT_SEED, nonce=0)
    return LocalSlotEngine(definition).spin(rng)


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdefABCDEF" for ch in text)
