"""Hypothesis fuzzers for hostile input (issue 16), in process through the WSGI stack on PostgreSQL
(middleware, parsers, views and the database all real): every query parameter of every GET
operation in the v1 and v2 schemas, and hostile JSON bodies on every POST. Zero 5xx, and every
refusal carries the error contract.

Bounded: FUZZ_EXAMPLES examples per operation (default 5), derandomized, no example database.
"""
import json
import os
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from games_app.services import game_load
from sessions_app.services import session_act, session_create
from tests.sessions_app.conftest import TEST_GAME
from wallet_app import services as wallet_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))

# Names every list endpoint might read, beyond the ones each operation declares.
COMMON_PARAMS = ["cursor", "limit", "game", "owner", "engine", "state", "policy", "session", "after", "since",
                 "until", "latest", "format", "page", "ordering"]
SPECIAL_VALUES = ["\x00", "a\x00b", "cD0xJyBPUiAxPTE=", "cj0xJnA9eA==", "-1", "0", "1e999", "9" * 40, "' OR 1=1--",
                  "", " ", "true", "2026-13-45", "9999-12-31T23:59:59+99:00", "\u202e", "💩", "ﬀ", "١٢٣"]
RAW_ESCAPES = ["%ED%A0%80", "%C0%80", "%FF%FE", "%", "%0", "%00", "%E2%80"]  # invalid or odd UTF-8, sent as is


def _problem_or_error_code(response) -> str:
    body = json.loads(response.content)
    if response["Content-Type"].startswith("application/problem+json"):
        return body["code"]
    return body["error"]["code"]


@pytest.fixture
def world(make_token):
    admin, admin_raw = make_token("admin", rate_limit="1000000/m")
    agent, agent_raw = make_token("agent", rate_limit="1000000/m")
    version, _ = game_load(data=TEST_GAME)
    wallet = wallet_services.wallet_create(owner=agent.owner)
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("100"), reference="fuzz")
    session = session_create(actor=agent.actor, game_slug=version.game.slug, wallet_id=wallet.pk)
    session_act(session_id=session.pk, actor=agent.actor, action={"type": "initialize"})
    ids = {"session_id": session.pk, "wallet_id": wallet.pk, "slug": version.game.slug, "hook_id": 1,
           "campaign_id": 1, "profile_id": 1, "prefix": admin.prefix}
    return {"tokens": {"admin": admin_raw, "agent": agent_raw}, "ids": ids}


def _operations(client: Client, method: str) -> list[tuple[str, list[str]]]:
    found = []
    for version in ("v1", "v2"):
        schema = json.loads(client.get(f"/api/{version}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
        for path, item in schema["paths"].items():
            if method in item:
                names = [p["name"] for p in item[method].get("parameters", []) if p.get("in") == "query"]
                found.append((path, names))
    return found


def _fill(path: str, ids: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


query_values = st.one_of(st.sampled_from(SPECIAL_VALUES),
                         st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
                         st.integers(-2**70, 2**70).map(str))


@st.composite
def query_strings(draw, names: list[str]) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(names) | st.text(max_size=4),
                                    query_values, st.sampled_from([None, *RAW_ESCAPES])), min_size=1, max_size=4))
    parts = []
    for name, value, raw in pairs:
        encoded = quote(value.encode("utf-8", "surrogatepass"), safe="")
        parts.append(f"{quote(name.encode('utf-8', 'surrogatepass'), safe='')}={encoded}{raw or ''}")
    return "&".join(parts)


def test_fuzz_every_query_parameter_of_every_get(world):
    client = Client(raise_request_exception=False)
    operations = _operations(client, "get")
    failures, requests = [], 0
    for role in ("agent", "admin"):
        auth = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens'][role]}"}
        for path, declared in operations:
            target = _fill(path, world["ids"])

            @FUZZ
            @given(query=query_strings(sorted(set(declared + COMMON_PARAMS))))
            def check(query):
                nonlocal requests
                requests += 1
                response = client.get(f"{target}?{query}", **auth)
                assert response.status_code < 500, (target, query, response.status_code, response.content[:300])
                if response.status_code >= 400 and not target.endswith("/schema/"):
                    _problem_or_error_code(response)
                if "%00" in query and "=" in query:
                    assert response.status_code == 400, (target, query, response.status_code)

            try:
                check()
            except (Exception, BaseExceptionGroup) as exc:  # collect: one run reports every failing operation
                failures.append(f"{role} GET {target}: {str(exc)[:600]}")
    print(f"query fuzz: {len(operations)} GET operations, {requests} requests")
    assert len(operations) > 15 and requests > len(operations) * EXAMPLES
    assert not failures, "\n\n".join(failures)


hostile_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-2**80, 2**80), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12), st.sampled_from(["\x00", "a\x00", "\ud800", "x\udfff", "1e20", "100000000000000000000",
                                           " 1", "NaN", "-0", "0.0000000000000000001", "spin", "initialize"]))
json_documents = st.recursive(hostile_leaves, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8) | st.sampled_from(
        ["type", "amount", "count", "client_seed", "actions", "budget", "game", "wallet", "data", "session",
         "policy_id", "seed", "draws", "url", "\x00", "\ud800"]), children, max_size=5)), max_leaves=12)


@st.composite
def hostile_bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["document", "nested", "raw"]))
    if kind == "nested":
        levels = draw(st.integers(min_value=33, max_value=100_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"actions":[', "]}")]))
        return (opener * levels + ("1" if opener.endswith(":") else "") + closer * levels).encode()
    if kind == "raw":
        return draw(st.sampled_from([b"\xff\xfe", b"{", b"NaN", b"[1e999]", b"1" * 5000, b'{"a": "\\u0000"}',
                                     b'{"type": "initialize", "client_seed": "\\ud800"}', b""]))
    return json.dumps(draw(json_documents)).encode()


def test_fuzz_hostile_json_bodies_on_every_post(world):
    client = Client(raise_request_exception=False)
    operations = [path for path, _ in _operations(client, "post")] + ["/engines/{slug}/spin", "/api/a2a/casino"]
    failures, requests = [], 0
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['agent']}"}
    for path in operations:
        target = _fill(path, world["ids"])

        @FUZZ
        @given(body=hostile_bodies())
        def check(body):
            nonlocal requests
            requests += 1
            response = client.post(target, data=body, content_type="application/json", **auth)
            assert response.status_code < 500, (target, body[:200], response.status_code, response.content[:300])
            if response.status_code >= 400 and target != "/api/a2a/casino":
                _problem_or_error_code(response)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"POST {target}: {str(exc)[:600]}")
    print(f"body fuzz: {len(operations)} POST operations, {requests} requests")
    assert not failures, "\n\n".join(failures)
