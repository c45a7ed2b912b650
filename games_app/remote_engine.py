"""The reference remote engine: serves a stored game over the documented JSON contract.

POST /engines/{slug}/spin  {"seed": "<64 hex>"}  ->  SpinOutcome.to_dict()
The outcome is a pure function of (game version, seed), so a caller can replay it.

POST /engines/{slug}/spin  {"draws": [v0, ...]}  ->  SpinOutcome.to_dict() + {"draw_ranges": [n0, ...]}
Forced outcomes for targeted probes (settings.REMOTE_ENGINE_SCRIPTED_DRAWS): the i-th draw is
``v_i % n_i``. No money moves through this endpoint.
"""
import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from django.conf import settings

from games_app.engine.interface import spin_from_draws, spin_from_seed
from games_app.exceptions import GameNotFound
from games_app.selectors import definition_for, game_latest_version


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt
@require_POST
def remote_engine_spin(request, slug: str):
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "MALFORMED_REQUEST", "Body must be JSON.")
    scripted = isinstance(body, dict) and "draws" in body
    if scripted and not settings.REMOTE_ENGINE_SCRIPTED_DRAWS:
        return _error(400, "SCRIPTED_DRAWS_DISABLED", "This engine does not accept scripted draws.")
    seed = body.get("seed") if isinstance(body, dict) else None
    if not scripted and (not isinstance(seed, str) or not 1 <= len(seed) <= 128
                         or any(c not in "0123456789abcdef" for c in seed)):
        return _error(400, "VALIDATION_ERROR", "seed must be a lowercase hex string of at most 128 characters.")
    try:
        definition = definition_for(version=game_latest_version(slug=slug))
    except GameNotFound:
        return _error(404, "NOT_FOUND", "Unknown engine.")
    if not scripted:
        return JsonResponse(spin_from_seed(definition, seed).to_dict())
    try:
        outcome, ranges = spin_from_draws(definition, body["draws"])
    except ValueError as exc:
        return _error(400, "VALIDATION_ERROR", str(exc))
    return JsonResponse({**outcome.to_dict(), "draw_ranges": ranges})
