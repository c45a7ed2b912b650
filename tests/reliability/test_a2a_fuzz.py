"""Hypothesis fuzz of POST /api/a2a/casino: arbitrary bodies, envelopes and contents (random JSON,
wrong types, huge numbers, weird strings, valid actions with random parameters, odd idempotency
keys) never yield a 5xx, always answer the A2A error shape, never move money on a rejected
request, and leave the ledger and channel audits clean."""
import json
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from rest_framework.test import APIClient

from games_app.casino.audit import audit_all_channels
from games_app.casino.inputs import ACTIONS
from games_app.casino.models import CasinoChannel, CasinoRound
from wallet_app import services as wallet_services
from wallet_app.models import LedgerEntry, Wallet
from wallet_app.selectors import ledger_audit

pytestmark = pytest.mark.django_db

ADDRESS = "0x" + "5a" * 20
# CI runs a fixed, bounded sample; A2A_FUZZ_EXAMPLES=2000 runs a longer, random one by hand.
EXAMPLES = int(os.environ.get("A2A_FUZZ_EXAMPLES", "250"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize="A2A_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=list(HealthCheck))

numbers = st.one_of(
    st.integers(min_value=-(10 ** 40), max_value=10 ** 40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, -1, 2 ** 63, -(2 ** 63), 10 ** 20, 10 ** 100]),
)
weird_strings = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-0", "1e5", "1E-30", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "١٢٣",
                     "0.0000000000000000001", "99999999999999999999999.1", "0.001", "0.0001", "1", "10", "-1",
                     "heads", "tails", "HEADS", "\x00", "💥" * 10, "a" * 300, "0x" + "5A" * 20, ADDRESS, ADDRESS.upper(),
                     "0x" + "zz" * 20, "0x" + "5a" * 19]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, weird_strings)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                           max_leaves=12)
param_names = st.sampled_from(["stealthAddress", "agentDeposit", "casinoDeposit", "betAmount", "choice", "agentSeed",
                               "pickedNumber", "ticketCount", "params", "action"])
params = st.dictionaries(param_names, json_values, max_size=6)
plausible_params = st.fixed_dictionaries({}, optional={
    "stealthAddress": st.one_of(st.just(ADDRESS), weird_strings),
    "agentDeposit": st.one_of(st.sampled_from(["0.01", "1", "10", "10.5"]), scalars),
    "casinoDeposit": st.one_of(st.sampled_from(["0.01", "1", "10"]), scalars),
    "betAmount": st.one_of(st.sampled_from(["0.0001", "0.001", "0.01", "5", "1000"]), scalars),
    "choice": st.one_of(st.sampled_from(["heads", "tails"]), scalars),
    "agentSeed": st.one_of(st.sampled_from(["seed", "s" * 128, "s" * 129, "with space"]), scalars),
    "pickedNumber": st.one_of(st.integers(min_value=-5, max_value=105), scalars),
    "ticketCount": st.one_of(st.integers(min_value=-2, max_value=12), scalars),
    "params": st.one_of(params, json_values),
})
contents = st.one_of(
    st.builds(lambda action, extra: {"action": action, **extra}, st.sampled_from(ACTIONS), plausible_params),
    st.builds(lambda action, extra: {"action": action, **extra}, json_values, params),
    json_values,
)
envelopes = st.one_of(
    st.builds(lambda content: {"version": "0.3.0", "from": {"name": "fuzz"},
                               "message": {"contentType": "application/json", "content": content}}, contents),
    st.builds(lambda content, ctype: {"message": {"contentType": ctype, "content": content}}, contents, json_values),
    st.dictionaries(st.sampled_from(["version", "from", "message", "content"]), json_values, max_size=4),
    json_values,
)
idempotency_keys = st.one_of(st.none(), st.text(max_size=300), st.sampled_from(["k1", "k2", "k1 "]))


@pytest.fixture
def fuzz_client(make_token, settings):
    settings.ANON_RATE_LIMIT = settings.A2A_ANON_IP_RATE_LIMIT = "1000000/m"
    settings.A2A_ANON_CHANNEL_RATE_LIMIT = "1000000/m"
    token, raw = make_token("agent", rate_limit="1000000/m")
    wallet = wallet_services.wallet_create(owner=token.owner)
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("100"), reference="fuzz")
    wallet_services.deposit(wallet_id=wallet_services.house_wallet().pk, amount=Decimal("1000"), reference="fuzz")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = _post(client, json.dumps({"message": {"content": {
        "action": "open_channel", "stealthAddress": ADDRESS, "agentDeposit": "5", "casinoDeposit": "5"}}}).encode())
    assert response.status_code == 200, response.content
    return client


def _post(client, body: bytes, key: str | None = None):
    extra = {"HTTP_X_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.generic("POST", "/api/a2a/casino", body, content_type="application/json", **extra)


def _money_state():
    return (list(Wallet.objects.order_by("pk").values_list("pk", "balance")),
            list(CasinoChannel.objects.order_by("pk").values_list("pk", "agent_balance", "casino_balance", "nonce",
                                                                   "status")),
            LedgerEntry.objects.count(), CasinoRound.objects.count())


def _check_response(client, body: bytes, key: str | None) -> None:
    before = _money_state()
    response = _post(client, body, key)
    assert response.status_code < 500, (body[:300], response.content[:300])
    content = response.json()["message"]["content"]
    if response.status_code != 200:
        assert content["error"] is True and isinstance(content["code"], str) and isinstance(content["message"], str)
        assert _money_state() == before, f"a rejected request ({content['code']}) changed money: {body[:300]!r}"


def _audits_clean() -> None:
    assert ledger_audit().ok
    assert list(audit_all_channels()) == []


def test_a2a_fuzz_envelopes_never_5xx_nor_move_money_when_rejected(fuzz_client):
    @FUZZ
    @given(envelope=envelopes, key=idempotency_keys, anonymous=st.booleans())
    def run(envelope, key, anonymous):
        client = APIClient() if anonymous else fuzz_client
        _check_response(client, json.dumps(envelope, default=str).encode(), key)

    run()
    _audits_clean()


def test_a2a_fuzz_raw_bodies_never_5xx(fuzz_client):
    prefixes = st.sampled_from([b"", b"{", b'{"message":', b'{"message":{"content":{"action":"info"}}}', b"\xff\xfe",
                                b"[" * 5000, b'{"a":' * 3000, b"1e999999", b'{"message":{"content":{"action":"slots_commit",'
                                b'"stealthAddress":"' + ADDRESS.encode() + b'","betAmount":1e400}}}'])

    @settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))
    @given(prefix=prefixes, tail=st.binary(max_size=200))
    def run(prefix, tail):
        _check_response(fuzz_client, prefix + tail, None)

    run()
    _audits_clean()


def test_a2a_fuzz_valid_play_sequences_keep_channel_invariants(fuzz_client):
    actions = st.one_of(
        st.builds(lambda bet, choice: {"action": "coinflip_commit", "betAmount": bet, "choice": choice},
                  st.sampled_from(["0.0001", "0.01", "0.5", "2", "3"]), st.sampled_from(["heads", "tails", "edge"])),
        st.builds(lambda bet: {"action": "slots_commit", "betAmount": bet}, st.sampled_from(["0.0001", "0.005", "1"])),
        st.builds(lambda game, seed: {"action": f"{game}_reveal", "agentSeed": seed},
                  st.sampled_from(["coinflip", "slots"]), st.text(alphabet="abcdef0123", min_size=1, max_size=20)),
        st.builds(lambda number, count: {"action": "lotto_buy", "pickedNumber": number, "ticketCount": count},
                  st.integers(min_value=0, max_value=101), st.integers(min_value=0, max_value=11)),
        st.just({"action": "channel_status"}),
        st.sampled_from([{"action": "close_channel"},
                         {"action": "open_channel", "agentDeposit": "3", "casinoDeposit": "6"}]),
    )

    @settings(FUZZ, max_examples=max(EXAMPLES // 4, 1))
    @given(sequence=st.lists(st.tuples(actions, idempotency_keys), min_size=1, max_size=8))
    def run(sequence):
        for content, key in sequence:
            envelope = {"message": {"content": {**content, "stealthAddress": ADDRESS}}}
            _check_response(fuzz_client, json.dumps(envelope).encode(), key)
        _audits_clean()

    run()
