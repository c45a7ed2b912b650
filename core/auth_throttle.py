"""Failed authentication, counted per client IP (settings.AUTH_FAILURE_RATE_LIMIT).

The client IP is taken as the rate limiter takes it (django-ratelimit's "ip" key: REMOTE_ADDR, never a
forwarded header, IPv6 grouped by /64; an empty REMOTE_ADDR shares one budget). Past the limit every
request that presents credentials from that address is refused before its token is looked at, so a
correct guess in the middle of a brute force does not get through either.
"""
from django.conf import settings
from django_ratelimit.core import get_usage

from core import metrics

GROUP = "api:auth-failures"


def _usage(request, *, increment: bool) -> dict | None:
    if not settings.RATELIMIT_ENABLE or not settings.AUTH_FAILURE_RATE_LIMIT:
        return None
    key = "ip" if request.META.get("REMOTE_ADDR") else (lambda group, req: "ip:unknown")
    return get_usage(request, group=GROUP, key=key, rate=settings.AUTH_FAILURE_RATE_LIMIT, increment=increment)


def blocked_for(request) -> int | None:
    """Seconds until this client may try credentials again, or None if it may now."""
    usage = _usage(request, increment=False)
    if usage is None or usage["count"] < usage["limit"]:
        return None
    metrics.RATE_LIMITED.labels(scope="auth-failures").inc()
    return max(int(usage["time_left"]), 1)


def record_failure(request) -> None:
    _usage(request, increment=True)
