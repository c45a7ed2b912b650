"""Provably fair random numbers (commit–reveal, HMAC-SHA256 stream).

Protocol
--------
1. Before play the server picks ``server_seed = generate_server_seed()`` and publishes
   ``hash_server_seed(server_seed)`` (the commitment).
2. The player supplies ``client_seed``; each spin uses a fresh ``nonce`` (0, 1, 2, ...).
3. The random stream of one spin is the concatenation of the blocks
   ``HMAC-SHA256(key=server_seed.encode(), msg=f"{client_seed}:{nonce}:{cursor}".encode())``
   for ``cursor = 0, 1, 2, ...`` (32 bytes each), read 4 bytes at a time as big-endian
   unsigned 32-bit words.
4. ``randbelow(n)`` takes words until one is below ``limit = 2**32 - (2**32 % n)`` (the largest
   multiple of ``n`` not above 2**32) and returns ``word % n``; rejected words are skipped, so the
   result is exactly uniform (no modulo bias).
5. After the seed is rotated the server reveals ``server_seed``; anyone can check it against the
   commitment and replay every spin.

This module has no Django dependency on purpose: it is the reference a client reimplements.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import struct

__all__ = ["generate_server_seed", "hash_server_seed", "FairRNG", "WORD_SPACE"]

WORD_SPACE = 2**32
_WORD_BYTES = 4
_UINT32 = struct.Struct(">I")  # a big-endian word, as next_uint32 reads it


def generate_server_seed() -> str:
    """Return a fresh server seed: 64 lowercase hex characters (256 bits from ``secrets``)."""
    return secrets.token_hex(32)


def hash_server_seed(seed: str) -> str:
    """Return the public commitment of ``seed``: sha256 hex digest of its UTF-8 bytes."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


class FairRNG:
    """Deterministic random stream for one (server_seed, client_seed, nonce) triple.

    Every draw consumes whole 4-byte words from the stream described in the module docstring,
    so two implementations that follow that description produce identical results.
    ``words_used`` counts consumed words (useful to audit rejection sampling).
    """

    def __init__(self, server_seed: str, client_seed: str, nonce: int) -> None:
        if not isinstance(server_seed, str) or not server_seed:
            raise ValueError("server_seed must be a non-empty string")
        if not isinstance(client_seed, str):
            raise ValueError("client_seed must be a string")
        if isinstance(nonce, bool) or not isinstance(nonce, int) or nonce < 0:
            raise ValueError("nonce must be a non-negative integer")
        self.server_seed = server_seed
        self.client_seed = client_seed
        self.nonce = nonce
        self._key = server_seed.encode("utf-8")
        self._cursor = 0
        self._block = b""
        self._offset = 0
        self.words_used = 0

    def _next_block(self) -> bytes:
        message = f"{self.client_seed}:{self.nonce}:{self._cursor}".encode("utf-8")
        self._cursor += 1
        return hmac.digest(self._key, message, "sha256")  # one-shot in C: the same bytes as hmac.new(...).digest()

    def _next_word_bytes(self) -> bytes:
        if self._offset >= len(self._block):
            self._block = self._next_block()
            self._offset = 0
        chunk = self._block[self._offset:self._offset + _WORD_BYTES]
        self._offset += _WORD_BYTES
        self.words_used += 1
        return chunk

    def next_uint32(self) -> int:
        """Return the next raw word of the stream (big-endian uint32)."""
        return int.from_bytes(self._next_word_bytes(), "big")

    def randbelow(self, n: int) -> int:
        """Return a uniform integer in ``[0, n)`` for ``1 <= n <= 2**32`` (rejection sampling)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= WORD_SPACE:
            raise ValueError(f"n must be an integer in 1..2**32, got {n!r}")
        limit = WORD_SPACE - WORD_SPACE % n
        while True:  # next_uint32 inlined: a spin draws once per reel
            offset = self._offset
            if offset >= len(self._block):
                self._block = self._next_block()
                offset = 0
            self._offset = offset + _WORD_BYTES
            self.words_used += 1
            word = _UINT32.unpack_from(self._block, offset)[0]
            if word < limit:
                return word % n

    def random_bytes(self, k: int) -> bytes:
        """Return the next ``k`` bytes of the stream, consuming ``ceil(k / 4)`` whole words."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ValueError(f"k must be a non-negative integer, got {k!r}")
        words = -(-k // _WORD_BYTES)
        return b"".join(self._next_word_bytes() for _ in range(words))[:k]
