"""Offline verification of a provably fair spin (the reference is the server's core/rng.py).

The stream of spin ``nonce`` is HMAC-SHA256(key=server_seed, msg=f"{client_seed}:{nonce}:{cursor}")
for cursor 0, 1, 2, ..., read as big-endian uint32 words; ``randbelow(n)`` skips words at or above
``2**32 - 2**32 % n`` and returns ``word % n``; the local engine draws one stop per reel, left to
right. No network, no server code: an agent needs the revealed seed and the reel lengths.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence

__all__ = ["recompute_stops", "verify_spin"]


def _words(server_seed: str, client_seed: str, nonce: int) -> Iterator[int]:
    cursor = 0
    while True:
        block = hmac.new(server_seed.encode(), f"{client_seed}:{nonce}:{cursor}".encode(), hashlib.sha256).digest()
        yield from (int.from_bytes(block[i:i + 4], "big") for i in range(0, 32, 4))
        cursor += 1


def recompute_stops(*, server_seed: str, client_seed: str, nonce: int, reel_lengths: Sequence[int]) -> list[int]:
    words, stops = _words(server_seed, client_seed, nonce), []
    for n in reel_lengths:
        if n < 1:
            raise ValueError("reel lengths must be positive")
        limit = 2**32 - 2**32 % n
        stops.append(next(w for w in words if w < limit) % n)
    return stops


def verify_spin(*, server_seed: str, client_seed: str, nonce: int, reel_lengths: Sequence[int],
                stops: Sequence[int], commitment: str | None = None) -> list[str]:
    """The problems found (empty when the spin verifies): the seed against its commitment, then
    the reported stops against the ones the seed gives."""
    problems = []
    if commitment is not None and hashlib.sha256(server_seed.encode()).hexdigest() != commitment.lower():
        problems.append("sha256(server_seed) does not match the commitment")
    if len(stops) != len(reel_lengths):
        problems.append(f"{len(stops)} stops for {len(reel_lengths)} reels")
        return problems
    expected = recompute_stops(server_seed=server_seed, client_seed=client_seed, nonce=nonce, reel_lengths=reel_lengths)
    if list(stops) != expected:
        problems.append(f"stops {list(stops)} differ from the seed's {expected}")
    return problems
