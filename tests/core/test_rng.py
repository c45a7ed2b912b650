"""Provably fair RNG: determinism, known answers, exact uniformity (no modulo bias)."""
import hashlib
import hmac
import re

import pytest

from core.rng import FairRNG, generate_server_seed, hash_server_seed

# 99.9th percentile of the chi-square distribution with 15 degrees of freedom.
CHI2_15_P999 = 37.697


def reference_randbelow(server_seed: str, client_seed: str, nonce: int, n: int, count: int) -> list[int]:
    """The ~10-line client reimplementation published in docs/games.md."""
    out, cursor, words = [], 0, []
    limit = 2**32 - 2**32 % n
    while len(out) < count:
        if not words:
            block = hmac.new(server_seed.encode(), f"{client_seed}:{nonce}:{cursor}".encode(), hashlib.sha256).digest()
            words, cursor = [int.from_bytes(block[i:i + 4], "big") for i in range(0, 32, 4)], cursor + 1
        word = words.pop(0)
        if word < limit:
            out.append(word % n)
    return out


def chi_square_16_buckets(values: list[int], n: int) -> float:
    counts = [0] * 16
    for value in values:
        counts[value * 16 // n] += 1
    expected = len(values) / 16
    return sum((c - expected) ** 2 / expected for c in counts)


def test_generate_server_seed_is_64_hex_chars_and_fresh():
    seeds = {generate_server_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(re.fullmatch(r"[0-9a-f]{64}", seed) for seed in seeds)


def test_hash_server_seed_is_sha256_of_utf8_bytes():
    assert hash_server_seed("server-seed") == "91024ec49c5bec0b689e42892526320fce08337205c91de94c7a588c20d08eeb"
    assert hash_server_seed("é") == hashlib.sha256("é".encode("utf-8")).hexdigest()


def test_fair_rng_same_inputs_give_same_stream():
    a, b = FairRNG("s", "c", 3), FairRNG("s", "c", 3)
    assert [a.randbelow(1000) for _ in range(50)] == [b.randbelow(1000) for _ in range(50)]
    assert a.random_bytes(13) == b.random_bytes(13)


@pytest.mark.parametrize("other", [("s2", "c", 3), ("s", "c2", 3), ("s", "c", 4)])
def test_fair_rng_any_input_change_changes_stream(other):
    base = [FairRNG("s", "c", 3).next_uint32() for _ in range(1)]
    rng = FairRNG(*other)
    assert [rng.next_uint32() for _ in range(1)] != base


def test_fair_rng_known_answer_vector():
    rng = FairRNG("server-seed", "client-seed", 7)
    assert [rng.next_uint32() for _ in range(3)] == [299183297, 4161147306, 305457712]
    rng = FairRNG("server-seed", "client-seed", 7)
    assert [rng.randbelow(100) for _ in range(5)] == [97, 6, 12, 17, 96]
    assert rng.random_bytes(5).hex() == "9880426fb6"
    assert rng.words_used == 7  # five words for randbelow, two (8 bytes, 5 kept) for random_bytes


def test_fair_rng_words_are_big_endian_chunks_of_consecutive_hmac_blocks():
    rng = FairRNG("key", "client", 11)
    words = [rng.next_uint32() for _ in range(16)]
    blocks = b"".join(hmac.new(b"key", f"client:11:{cursor}".encode(), hashlib.sha256).digest() for cursor in (0, 1))
    assert words == [int.from_bytes(blocks[i:i + 4], "big") for i in range(0, 64, 4)]


def test_fair_rng_matches_documented_client_reimplementation():
    for n in (2, 3, 37, 10**6 + 3, 3 * 10**8, 2**31 + 1):
        rng = FairRNG("abc", "player", 42)
        assert [rng.randbelow(n) for _ in range(40)] == reference_randbelow("abc", "player", 42, n, 40)


def first_two_words(nonce: int) -> tuple[int, int]:
    rng = FairRNG("seed", "c", nonce)
    return rng.next_uint32(), rng.next_uint32()


def test_randbelow_skips_a_rejected_word():
    n = 2**31 + 1  # limit == n: every word >= 2**31 + 1 is rejected
    nonce = next(k for k in range(200) if first_two_words(k)[0] >= n > first_two_words(k)[1])
    rng = FairRNG("seed", "c", nonce)
    assert rng.randbelow(n) == first_two_words(nonce)[1]
    assert rng.words_used == 2


def test_randbelow_rejection_rate_matches_theory_for_awkward_n():
    n = 2**31 + 1
    rng = FairRNG("seed", "c", 0)
    draws = 20_000
    for _ in range(draws):
        assert 0 <= rng.randbelow(n) < n
    # acceptance probability is (2**31 + 1) / 2**32, i.e. about 2 words per draw
    assert 1.9 < rng.words_used / draws < 2.1


@pytest.mark.parametrize("n", [3 * 10**8, 3 * 2**30])
def test_randbelow_has_no_modulo_bias_for_awkward_n(n):
    # plain `word % n` favours small values here: by 15/14 for 3e8, by 2x for 3 * 2**30
    rng = FairRNG("bias-check", "client", 1)
    values = [rng.randbelow(n) for _ in range(160_000)]
    assert chi_square_16_buckets(values, n) < CHI2_15_P999
    # the same test applied to `word % n` must fail, otherwise it has no power
    raw = FairRNG("bias-check", "client", 1)
    naive = [raw.next_uint32() % n for _ in range(160_000)]
    assert chi_square_16_buckets(naive, n) > 3 * CHI2_15_P999


def test_randbelow_is_uniform_when_half_the_words_are_rejected():
    n = 2**31 + 1
    rng = FairRNG("bias-check", "client", 2)
    assert chi_square_16_buckets([rng.randbelow(n) for _ in range(80_000)], n) < CHI2_15_P999


@pytest.mark.parametrize("n", [2, 3, 6, 7, 10])
def test_randbelow_is_uniform_for_small_n(n):
    rng = FairRNG("small", "client", n)
    counts = [0] * n
    draws = 60_000
    for _ in range(draws):
        counts[rng.randbelow(n)] += 1
    expected = draws / n
    chi2 = sum((c - expected) ** 2 / expected for c in counts)
    critical = {1: 10.83, 2: 13.82, 5: 20.52, 6: 22.46, 9: 27.88}[n - 1]  # p = 0.001
    assert chi2 < critical


@pytest.mark.parametrize("n", [0, -1, 2**32 + 1, 1.5, True])
def test_randbelow_rejects_invalid_n(n):
    with pytest.raises(ValueError):
        FairRNG("s", "c", 0).randbelow(n)


def test_randbelow_accepts_full_word_range():
    rng = FairRNG("s", "c", 0)
    assert rng.randbelow(2**32) == FairRNG("s", "c", 0).next_uint32()
    assert rng.randbelow(1) == 0


def test_random_bytes_length_and_word_consumption():
    rng = FairRNG("s", "c", 0)
    assert len(rng.random_bytes(0)) == 0 and rng.words_used == 0
    data = rng.random_bytes(33)
    assert len(data) == 33 and rng.words_used == 9
    reference = FairRNG("s", "c", 0)
    assert data == b"".join(reference.next_uint32().to_bytes(4, "big") for _ in range(9))[:33]


@pytest.mark.parametrize("args", [("", "c", 0), ("s", "c", -1), ("s", "c", 1.0), ("s", None, 0)])
def test_fair_rng_rejects_invalid_arguments(args):
    with pytest.raises(ValueError):
        FairRNG(*args)
