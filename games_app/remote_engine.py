"""The reference remote engine: serves a stored game over the documented JSON contract.

POST /engines/{slug}/spin  {"seed": "<64 hex>"}  ->  SpinOutcome.to_dict()
The outcome is a pure function of (game version, seed), so a caller can replay it.

POST /engines/{slug}/spin  {"draws": [v0, ...]}  ->  SpinOutcome.to_dict() + {"draw_ranges": [n0, ...]}
Forced outcomes for targeted probes: the i-th draw is ``v_i % n_i``. A script reads the reel strips
out cell by cell, and the strips are staff-only, so scripted draws need
settings.REMOTE_ENGINE_SCRIPTED_DRAWS (off by default) and an operator token.

Every call needs a bearer token and counts against the token's engine budget
(settings.REMOTE_ENGINE_RATE_LIMIT). No money moves through this endpoint.
"""
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rest_framework.exceptions import AuthenticationFailed, Throttled

from core import jsonbody
from core.auth import BEARER_CHALLENGE, authenticate_request
from core.errors import error_response
from core.policy import Act, allows_any
from games_app.engine.interface import spin_from_draws, spin_from_seed
from games_app.exceptions import GameNotFound
from games_app.selectors import definition_for, game_latest_version


def _error(request, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return error_response(path=request.path, status=status, code=code, message=message, headers=headers)


@csrf_exempt
@require_POST
def remote_engine_spin(request, slug: str):
    try:
        token, rate_wait = authenticate_request(request, rate_scope="engine",
                                                token_rate=lambda token: settings.REMOTE_ENGINE_RATE_LIMIT)
    except Throttled as exc:
        return _error(request, 429, "RATE_LIMITED", "Too many failed authentications.",
                      headers={"Retry-After": str(int(exc.wait or 1))})
    except AuthenticationFailed as exc:
        return _error(request, 401, "UNAUTHENTICATED", str(exc.detail),
                      headers={"WWW-Authenticate": BEARER_CHALLENGE})
    if token is None:
        return _error(request, 401, "UNAUTHENTICATED", "A bearer token is required.",
                      headers={"WWW-Authenticate": BEARER_CHALLENGE})
    if rate_wait is not None:
        return _error(request, 429, "RATE_LIMITED", "Rate limit exceeded.", headers={"Retry-After": str(rate_wait)})
    try:
        body = jsonbody.loads(request.body)
    except jsonbody.BodyRejected as exc:
        return _error(request, 400, "MALFORMED_REQUEST", f"Body must be JSON. {exc.message}")
    scripted = isinstance(body, dict) and "draws" in body
    if scripted and not settings.REMOTE_ENGINE_SCRIPTED_DRAWS:
        return _error(request, 400, "SCRIPTED_DRAWS_DISABLED", "This engine does not accept scripted draws.")
    if scripted and not allows_any(token.actor, Act.ENGINE_SCRIPTED_DRAWS):
        return _error(request, 403, "FORBIDDEN", "Scripted draws are for operators.")
    seed = body.get("seed") if isinstance(body, dict) else None
    if not scripted and (not isinstance(seed, str) or not 1 <= len(seed) <= 128
                         or any(c not in "0123456789abcdef" for c in seed)):
        return _error(request, 400, "VALIDATION_ERROR", "seed must be a lowercase hex string of at most 128 characters.")
    try:
        definition = definition_for(version=game_latest_version(slug=slug))
    except GameNotFound:
        return _error(request, 404, "NOT_FOUND", "Unknown engine.")
    if not scripted:
        return JsonResponse(spin_from_seed(definition, seed).to_dict())
    try:
        outcome, ranges = spin_from_draws(definition, body["draws"])
    except ValueError as exc:
        return _error(request, 400, "VALIDATION_ERROR", str(exc))
    return JsonResponse({**outcome.to_dict(), "draw_ranges": ranges})
