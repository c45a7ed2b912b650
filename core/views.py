"""Health endpoints (no token needed) and Django-level error handlers."""
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from core.errors import error_response


def landing(request):
    """`/`: where things are (docs, console, dashboard, health) for a person opening the server."""
    return render(request, "landing.html")


def health(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return type(exc).__name__
    return None


def _check_cache() -> str | None:
    try:
        cache.set("health:ready", "1", timeout=5)
        if cache.get("health:ready") != "1":
            return "cache read-back mismatch"
    except Exception as exc:
        return type(exc).__name__
    return None


def health_ready(request):
    failures = {name: error for name, error in (("database", _check_database()), ("cache", _check_cache())) if error}
    if failures:
        return JsonResponse({"status": "unavailable", "failing": sorted(failures), "errors": failures}, status=503)
    return JsonResponse({"status": "ready", "checks": {"database": "ok", "cache": "ok"}})


def api_not_found(request, exception=None):
    return error_response(path=request.path, status=404, code="NOT_FOUND", message="Not found.")


def api_server_error(request):
    return error_response(path=request.path, status=500, code="INTERNAL_ERROR", message="An internal error occurred.")
