"""Health endpoints (no token needed), the metrics endpoint and Django-level error handlers."""
import hmac
import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django_prometheus.exports import ExportToDjangoView

from core import auth_throttle
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


def _metrics_client_allowed(request) -> bool:
    """From an allow-listed network (settings.METRICS_ALLOWED_CIDRS), or with the metrics bearer token.
    A wrong token counts as a failed authentication of the client IP."""
    expected = settings.METRICS_BEARER_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if expected and header:
        scheme, _, presented = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), expected.encode()):
            return True
        auth_throttle.record_failure(request)
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in settings.METRICS_ALLOWED_CIDRS)


def metrics(request):
    """GET /metrics: the Prometheus exposition (every worker's counters in multiprocess mode)."""
    wait = auth_throttle.blocked_for(request) if request.META.get("HTTP_AUTHORIZATION") else None
    if wait is not None:
        return error_response(path=request.path, status=429, code="RATE_LIMITED",
                              message="Too many failed authentications.", headers={"Retry-After": str(wait)})
    if not _metrics_client_allowed(request):
        return error_response(path=request.path, status=403, code="FORBIDDEN",
                              message="Metrics are not available to this client.")
    return ExportToDjangoView(request)
