"""HTTP surfaces of the A2A casino. Not DRF views: the A2A endpoint has its own envelope and its
own error format (`content = {"error": true, "code", "message"}`), and every answer here is
JSON written by this module (so `ApiErrorMiddleware` never has to step in).

- POST /api/a2a/casino               the deployed envelope (existing agent SDK)
- POST /a2a/jsonrpc                  A2A 0.3 JSON-RPC 2.0 (`message/send` with a data part)
- GET  /.well-known/agent-card.json  A2A agent card
- GET  /api/casino/stats, /api/casino/games
"""
import json
import logging
import re
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import AuthenticationFailed, Throttled

from core.auth import authenticate_request, default_token_rate
from core.exceptions import DomainError
from core.money import format_amount
from core.ratelimit import consume
from games_app.casino import metrics, rules, selectors, services
from games_app.casino.addresses import normalize_address
from games_app.casino.exceptions import (AnonymousNotAllowed, ChannelNotFound, InvalidRequest,
                                         RateLimited, Unauthorized)
from games_app.casino.inputs import (ACTIONS, MAX_BODY_BYTES, MUTATING_ACTIONS, CasinoCall, content_from_envelope,
                                     load_json, parse_call)
from games_app.casino.models import CasinoCommit, CasinoLottoDraw

logger = logging.getLogger("games_app.casino")

A2A_VERSION = "0.3.0"
AGENT_NAME = "AgentCasino"
IDEMPOTENCY_HEADER = "x-idempotency-key"


class JsonNumber(str):
    """A decimal amount (its exact text) to write as a JSON number, for fields the reference casino
    sends as numbers. Only server-made values: the text must be a plain decimal."""


_NUMBER_MARK = "\x00num:"
_MARKED_NUMBER = re.compile(r'"\\u0000num:(-?[0-9]+(?:\.[0-9]+)?)"')


def _mark_numbers(value: Any) -> Any:
    if isinstance(value, JsonNumber):
        return _NUMBER_MARK + value
    if isinstance(value, dict):
        return {key: _mark_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark_numbers(item) for item in value]
    return value


def dumps(body: Any) -> str:
    """json.dumps, writing JsonNumber values as bare numbers with their exact decimal text."""
    return _MARKED_NUMBER.sub(r"\1", json.dumps(_mark_numbers(body)))


def _json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(dumps(body), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _body(request) -> bytes:
    """The raw body, refusing oversized ones before Django buffers them."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise InvalidRequest("The body is too large.")
    try:
        return request.body
    except RequestDataTooBig:
        raise InvalidRequest("The body is too large.") from None


def envelope(content: dict) -> dict:
    return {"version": A2A_VERSION, "from": {"name": AGENT_NAME},
            "message": {"contentType": "application/json", "content": content}}


def error_content(exc: DomainError) -> dict:
    return {"error": True, "code": exc.code, "message": exc.message}


# --------------------------------------------------------------------------------------------
# transport-independent handling


def resolve_caller(request) -> services.Caller:
    """Optional bearer token; anonymous only when A2A_ALLOW_ANONYMOUS. Also applies the rate limit."""
    client_ip = request.META.get("REMOTE_ADDR") or None
    try:
        token, rate_wait = authenticate_request(request, rate_scope="a2a-token", token_rate=default_token_rate)
    except Throttled as exc:
        raise RateLimited(retry_after=int(exc.wait or 1)) from None
    except AuthenticationFailed as exc:
        raise Unauthorized(str(exc.detail)) from None
    if token is not None:
        request.api_token = token
        if rate_wait is not None:
            raise RateLimited(retry_after=rate_wait)
    elif not settings.A2A_ALLOW_ANONYMOUS:
        raise AnonymousNotAllowed()
    elif settings.RATELIMIT_ENABLE:
        wait = consume(request, scope="a2a-anon", key="ip", rate=settings.A2A_ANON_IP_RATE_LIMIT)
        if wait is not None:
            raise RateLimited(retry_after=wait)
    return services.Caller(owner=token.owner if token else None, client_ip=client_ip)


def _limit_anonymous_channel(request, content: dict) -> None:
    """Anonymous play is also limited per channel address, so many client addresses together cannot
    drive one channel faster than one SDK session would."""
    if not settings.RATELIMIT_ENABLE:
        return
    params = content.get("params") if isinstance(content.get("params"), dict) else {}
    address = normalize_address(params.get("stealthAddress", content.get("stealthAddress")))
    if address is None:
        return  # no channel named (info, stats, lotto_status) or an invalid address (refused later)
    wait = consume(request, scope="a2a-anon-channel", key=lambda group, req: f"channel:{address}",
                   rate=settings.A2A_ANON_CHANNEL_RATE_LIMIT)
    if wait is not None:
        raise RateLimited(retry_after=wait)


def handle_content(content: dict, *, caller: services.Caller, header_key: str | None) -> tuple[int, dict, bool]:
    """Run one action. Returns (http status, reply content, replayed). Raises CasinoError."""
    call = parse_call(content)
    if call.action in MUTATING_ACTIONS:
        outcome = services.casino_execute(call=call, caller=caller, header_key=header_key)
        if outcome.replayed:
            metrics.A2A_REPLAYS.labels(action=call.action).inc()
        return outcome.status, outcome.content, outcome.replayed
    return 200, READS[call.action](call, caller), False


def dispatch(request, content_getter, *, transport: str) -> tuple[int, dict, dict[str, str]]:
    """Shared by both transports: (status, content, extra headers); never raises."""
    action, headers = "unknown", {}
    try:
        caller = resolve_caller(request)
        content = content_getter()
        if isinstance(content.get("action"), str) and content["action"] in ACTIONS:
            action = content["action"]
        if caller.owner is None:
            _limit_anonymous_channel(request, content)
        header_key = request.headers.get(IDEMPOTENCY_HEADER)
        if header_key is None:
            header_key = request.headers.get("Idempotency-Key")
        status, reply, replayed = handle_content(content, caller=caller, header_key=header_key)
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        outcome = "ok"
    except DomainError as exc:
        status = exc.status_code if 400 <= exc.status_code < 600 else 400
        reply, outcome = error_content(exc), exc.code
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
    except Exception:
        logger.exception("a2a casino fault", extra={"action": action, "transport": transport})
        status, outcome = 500, "INTERNAL_ERROR"
        reply = {"error": True, "code": "INTERNAL_ERROR", "message": "An internal error occurred."}
    metrics.A2A_REQUESTS.labels(action=action, outcome=outcome, transport=transport).inc()
    logger.info("a2a request", extra={"action": action, "outcome": outcome, "status": status,
                                      "transport": transport, "replayed": headers.get("Idempotent-Replayed") == "true"})
    return status, reply, headers


# --------------------------------------------------------------------------------------------
# read actions


def _info(call: CasinoCall, caller: services.Caller) -> dict:
    return {
        # The reference casino's fields first; ours follow.
        "name": "Agent Royale", "mode": "offchain-ledger", "rngProvider": "commit-reveal",
        "privacy": "Stealth addresses; channel state kept off-chain in PostgreSQL",
        "agentName": AGENT_NAME, "version": A2A_VERSION, "protocol": "a2a",
        "description": "Provably fair commit-reveal slots and coinflip, and a lotto, over payment channels.",
        "actions": list(ACTIONS),
        "games": rules.rules_document(),
        "channel": {"minDeposit": str(rules.MIN_DEPOSIT), "maxDeposit": str(rules.MAX_DEPOSIT),
                    "settlementMode": "offchain-ledger", "commitTimeoutSeconds": settings.A2A_COMMIT_TTL_SECONDS},
        "auth": {"bearer": True, "anonymous": settings.A2A_ALLOW_ANONYMOUS},
    }


def _stats(call: CasinoCall | None = None, caller: services.Caller | None = None) -> dict:
    """Rows keyed by game as the reference sends them ({game, total_rounds, total_wagered, total_paid_out},
    totals as JSON numbers written from the exact decimal, never through a float), each with `exact`
    string amounts; then our channel counts."""
    rows = {}
    for game, row in selectors.game_stats().items():
        rows[game] = {"game": game, "total_rounds": row["total_rounds"],
                      "total_wagered": JsonNumber(row["total_wagered"]),
                      "total_paid_out": JsonNumber(row["total_paid_out"]),
                      "exact": {"total_wagered": row["total_wagered"], "total_paid_out": row["total_paid_out"]}}
    counts = selectors.channel_counts()
    return {**rows, "channels": {"open": counts["open"], "closed": counts["closed"]}}


def _channel_status(call: CasinoCall, caller: services.Caller) -> dict:
    """The open channel only: a closed one is CHANNEL_NOT_FOUND, as in the reference casino (its final
    state is the close_channel answer)."""
    channel = selectors.channel_open(scope=caller.scope, agent_address=call.address)
    if channel is None:
        raise ChannelNotFound("No open channel for this address.")
    pending = CasinoCommit.objects.filter(channel=channel, status=CasinoCommit.Status.PENDING).order_by("pk")
    return services.channel_content(channel) | {
        "settlementMode": "offchain-ledger",
        "pendingCommits": [{"game": c.game, "commitment": c.commitment, "betAmount": format_amount(c.bet_amount),
                            "expiresAt": int(c.expires_at.timestamp() * 1000)} for c in pending],
    }


def _draw_summary(draw: CasinoLottoDraw) -> dict:
    tickets, pool = selectors.draw_totals(draw=draw)
    summary = {"drawId": draw.pk, "status": draw.status, "commitment": draw.commitment,
               "drawTime": int(draw.draw_time.timestamp() * 1000), "totalTickets": tickets,
               "totalPool": format_amount(pool)}
    if draw.status != CasinoLottoDraw.Status.OPEN:
        summary |= {"seed": draw.seed, "winningNumber": draw.winning_number}
    return summary


def _lotto_status(call: CasinoCall, caller: services.Caller) -> dict:
    with transaction.atomic():
        draw = services.lotto_current_draw()
    content = _draw_summary(draw) | {
        "ticketPrice": str(rules.LOTTO_TICKET_PRICE), "payoutMultiplier": rules.LOTTO_PAYOUT_MULTIPLIER,
        "range": rules.LOTTO_RANGE,
        "pastDraws": [_draw_summary(d) for d in selectors.draws_past()],
    }
    if call.address:
        channel = selectors.channel_latest(scope=caller.scope, agent_address=call.address)
        content["tickets"] = [] if channel is None else [
            {"drawId": t.draw_id, "pickedNumber": t.picked_number, "ticketCount": t.ticket_count,
             "totalCost": format_amount(t.total_cost), "status": t.status, "payout": format_amount(t.payout)}
            for t in selectors.tickets_of_channel(channel=channel)]
    return content


READS = {"info": _info, "stats": _stats, "channel_status": _channel_status, "lotto_status": _lotto_status}


# --------------------------------------------------------------------------------------------
# views


@csrf_exempt
def a2a_casino(request):
    """POST /api/a2a/casino — the envelope the existing agent SDK speaks."""
    if request.method != "POST":
        return _json_response(envelope({"error": True, "code": "METHOD_NOT_ALLOWED", "message": "Use POST."}),
                              status=405, headers={"Allow": "POST"})
    status, content, headers = dispatch(request, lambda: content_from_envelope(load_json(_body(request))),
                                        transport="envelope")
    return _json_response(envelope(content), status=status, headers=headers)


def _rpc_error(rpc_id, code: int, message: str, *, status: int = 200, data: dict | None = None) -> HttpResponse:
    error = {"code": code, "message": message} | ({"data": data} if data else {})
    return _json_response({"jsonrpc": "2.0", "id": rpc_id, "error": error}, status=status)


def _data_part_content(params: Any) -> dict:
    message = params.get("message") if isinstance(params, dict) else None
    parts = message.get("parts") if isinstance(message, dict) else None
    if isinstance(parts, list):
        for part in parts:
            if isinstance(part, dict) and part.get("kind") == "data" and isinstance(part.get("data"), dict):
                return part["data"]
    raise InvalidRequest("params.message must carry a data part whose data is the casino content.")


@csrf_exempt
def a2a_jsonrpc(request):
    """POST /a2a/jsonrpc — A2A 0.3 JSON-RPC 2.0: `message/send` in, a Message with a data part out."""
    if request.method != "POST":
        return _rpc_error(None, -32600, "Use POST.", status=405)
    try:
        payload = load_json(_body(request))
    except InvalidRequest:
        return _rpc_error(None, -32700, "Parse error")
    if not isinstance(payload, dict) or payload.get("jsonrpc") != "2.0" or not isinstance(payload.get("method"), str):
        return _rpc_error(None, -32600, "Invalid Request")
    rpc_id = payload.get("id")
    if rpc_id is not None and (isinstance(rpc_id, bool) or not isinstance(rpc_id, (str, int))):
        return _rpc_error(None, -32600, "Invalid Request")
    method, params = payload["method"], payload.get("params")
    if method in ("message/stream", "tasks/resubscribe", "tasks/pushNotificationConfig/set",
                  "tasks/pushNotificationConfig/get"):
        return _rpc_error(rpc_id, -32004, "This operation is not supported")
    if method in ("tasks/get", "tasks/cancel"):
        return _rpc_error(rpc_id, -32001, "Task not found")
    if method != "message/send":
        return _rpc_error(rpc_id, -32601, "Method not found")
    try:
        _data_part_content(params)
    except InvalidRequest as exc:
        return _rpc_error(rpc_id, -32602, "Invalid params", data={"detail": exc.message})
    status, content, _ = dispatch(request, lambda: _data_part_content(params), transport="jsonrpc")
    if status == 401:
        return _rpc_error(rpc_id, -32000, content["message"], status=401, data={"code": content["code"]})
    message = params["message"]
    result = {"kind": "message", "role": "agent", "messageId": uuid.uuid4().hex,
              "parts": [{"kind": "data", "data": content}], "metadata": {"httpStatus": status}}
    for key in ("contextId", "taskId"):
        if isinstance(message.get(key), str):
            result[key] = message[key]
    return _json_response({"jsonrpc": "2.0", "id": rpc_id, "result": result})


def agent_card(request):
    """GET /.well-known/agent-card.json"""
    if request.method not in ("GET", "HEAD"):
        return _json_response({"error": True, "code": "METHOD_NOT_ALLOWED", "message": "Use GET."}, status=405,
                              headers={"Allow": "GET"})
    skills = [
        {"id": "channel", "name": "Payment channel", "tags": ["casino", "channel"],
         "description": "open_channel, channel_status, close_channel"},
        {"id": "slots", "name": "Slots", "tags": ["casino", "slots", "commit-reveal"],
         "description": "slots_commit then slots_reveal; 3 reels, RTP 95%"},
        {"id": "coinflip", "name": "Coinflip", "tags": ["casino", "coinflip", "commit-reveal"],
         "description": "coinflip_commit (heads|tails) then coinflip_reveal; pays 1.9x"},
        {"id": "lotto", "name": "Lotto", "tags": ["casino", "lotto"],
         "description": "lotto_buy (1-100, 1-10 tickets), lotto_status; a match pays 85x"},
        {"id": "info", "name": "Info and stats", "tags": ["casino"], "description": "info, stats"},
    ]
    for skill in skills:
        skill |= {"inputModes": ["application/json"], "outputModes": ["application/json"]}
    card = {
        "protocolVersion": A2A_VERSION,
        "name": AGENT_NAME,
        "description": "Agent Royale A2A casino: send message/send with a data part {\"action\": ..., ...}.",
        "url": request.build_absolute_uri("/a2a/jsonrpc"),
        "preferredTransport": "JSONRPC",
        "version": "1.0.0",
        "capabilities": {"streaming": False, "pushNotifications": False, "stateTransitionHistory": False},
        "defaultInputModes": ["application/json"],
        "defaultOutputModes": ["application/json"],
        "skills": skills,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "Agent Royale API token; funded channels"}},
    }
    if not settings.A2A_ALLOW_ANONYMOUS:
        card["security"] = [{"bearer": []}]
    return _json_response(card)


def casino_stats(request):
    """GET /api/casino/stats"""
    if request.method not in ("GET", "HEAD"):
        return _json_response({"error": True, "code": "METHOD_NOT_ALLOWED", "message": "Use GET."}, status=405)
    return _json_response(_stats())


def casino_games(request):
    """GET /api/casino/games"""
    if request.method not in ("GET", "HEAD"):
        return _json_response({"error": True, "code": "METHOD_NOT_ALLOWED", "message": "Use GET."}, status=405)
    games = rules.rules_document()
    return _json_response({"games": [games[name] for name in ("slots", "coinflip", "lotto")],
                           "actions": list(ACTIONS)})
