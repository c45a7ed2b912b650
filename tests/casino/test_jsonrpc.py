"""A2A 0.3 surface: agent card + JSON-RPC `message/send`, driven by the a2a-sdk client over a live server."""
import asyncio
import hashlib
import json
import uuid

import pytest
from django.test import Client

from games_app.casino.models import CasinoChannel, CasinoRound
from tests.casino.conftest import ADDRESS, assert_conserved

RPC_URL = "/a2a/jsonrpc"


def rpc(client: Client, payload, headers: dict | None = None):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(RPC_URL, data=body, content_type="application/json", headers=headers or {})


def send(content: dict, rpc_id="1") -> dict:
    return {"jsonrpc": "2.0", "id": rpc_id, "method": "message/send", "params": {"message": {
        "kind": "message", "role": "user", "messageId": uuid.uuid4().hex,
        "parts": [{"kind": "data", "data": content}]}}}


@pytest.mark.django_db(transaction=True)
def test_a2a_sdk_client_plays_through_jsonrpc(live_server):
    import httpx
    from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
    from a2a.types import DataPart, Message, Part, Role

    async def scenario() -> list[dict]:
        async with httpx.AsyncClient(timeout=20) as http:
            card = await A2ACardResolver(http, live_server.url).get_agent_card()
            assert card.url == live_server.url + "/a2a/jsonrpc"
            client = ClientFactory(ClientConfig(httpx_client=http, streaming=False)).create(card)

            async def ask(content: dict) -> dict:
                message = Message(role=Role.user, message_id=uuid.uuid4().hex,
                                  parts=[Part(root=DataPart(data=content))])
                replies = [event async for event in client.send_message(message)]
                assert len(replies) == 1 and isinstance(replies[0], Message)
                assert replies[0].role == Role.agent
                return replies[0].parts[0].root.data

            return [
                await ask({"action": "open_channel", "stealthAddress": ADDRESS, "agentDeposit": "1"}),
                await ask({"action": "coinflip_commit", "params": {"stealthAddress": ADDRESS, "betAmount": "0.01",
                                                                   "choice": "tails"}}),
                await ask({"action": "coinflip_reveal", "stealthAddress": ADDRESS, "agentSeed": "sdk"}),
                await ask({"action": "channel_status", "stealthAddress": "0x" + "1" * 40}),
            ]

    opened, commit, reveal, missing = asyncio.run(scenario())
    assert opened["status"] == "open" and opened["agentBalance"] == "1"
    assert len(commit["commitment"]) == 64
    proof = reveal["proof"]
    assert hashlib.sha256(proof["casinoSeed"].encode()).hexdigest() == commit["commitment"]
    h = hashlib.sha256((proof["casinoSeed"] + "sdk" + "1").encode()).hexdigest()
    assert reveal["result"] == ("heads" if int(h[:2], 16) % 2 == 0 else "tails") and reveal["nonce"] == 1
    assert missing == {"error": True, "code": "CHANNEL_NOT_FOUND", "message": "No open channel for this address."}
    assert CasinoRound.objects.count() == 1
    assert_conserved()


@pytest.mark.django_db
def test_jsonrpc_result_matches_the_envelope_result(settings):
    settings.RATELIMIT_ENABLE = False
    client = Client()
    response = rpc(client, send({"action": "info"}, rpc_id=7))
    body = response.json()
    assert response.status_code == 200 and body["jsonrpc"] == "2.0" and body["id"] == 7
    result = body["result"]
    assert result["kind"] == "message" and result["role"] == "agent"
    envelope = client.post("/api/a2a/casino", data=json.dumps({"message": {"content": {"action": "info"}}}),
                           content_type="application/json").json()
    assert result["parts"][0]["data"] == envelope["message"]["content"]


@pytest.mark.django_db
def test_jsonrpc_honours_the_idempotency_header(settings):
    settings.RATELIMIT_ENABLE = False
    client = Client()
    headers = {"x-idempotency-key": "rpc-open"}
    first = rpc(client, send({"action": "open_channel", "stealthAddress": ADDRESS, "agentDeposit": "1"}), headers)
    again = rpc(client, send({"action": "open_channel", "stealthAddress": ADDRESS, "agentDeposit": "1"}), headers)
    assert first.json()["result"]["parts"] == again.json()["result"]["parts"]
    assert CasinoChannel.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("payload,code", [
    ("{nope", -32700), ("[]", -32600), ({"jsonrpc": "1.0", "method": "message/send"}, -32600),
    ({"jsonrpc": "2.0", "id": 1}, -32600), ({"jsonrpc": "2.0", "id": [1], "method": "message/send"}, -32600),
    ({"jsonrpc": "2.0", "id": 1, "method": "nope"}, -32601),
    ({"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {"id": "x"}}, -32001),
    ({"jsonrpc": "2.0", "id": 1, "method": "message/stream", "params": {}}, -32004),
    ({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {}}, -32602),
    ({"jsonrpc": "2.0", "id": 1, "method": "message/send",
      "params": {"message": {"parts": [{"kind": "text", "text": "hi"}]}}}, -32602),
])
def test_jsonrpc_protocol_errors(settings, payload, code):
    settings.RATELIMIT_ENABLE = False
    response = rpc(Client(), payload)
    assert response.status_code == 200 and response.json()["error"]["code"] == code


@pytest.mark.django_db
def test_jsonrpc_casino_errors_are_data_parts(settings):
    settings.RATELIMIT_ENABLE = False
    body = rpc(Client(), send({"action": "bogus"})).json()
    assert body["result"]["parts"][0]["data"]["code"] == "UNSUPPORTED_ACTION"
    assert body["result"]["metadata"]["httpStatus"] == 400


@pytest.mark.django_db
def test_jsonrpc_bad_token_is_401(settings):
    settings.RATELIMIT_ENABLE = False
    response = rpc(Client(), send({"action": "info"}), {"Authorization": "Bearer ar_bad_token"})
    assert response.status_code == 401 and response.json()["error"]["data"]["code"] == "UNAUTHORIZED"


@pytest.mark.django_db
def test_jsonrpc_get_is_405_json(settings):
    response = Client().get(RPC_URL)
    assert response.status_code == 405 and response.json()["error"]["code"] == -32600
