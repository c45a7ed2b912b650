"""Per-token rate limits (django-ratelimit on the shared cache); anonymous requests by client IP.

With Redis as the cache, every API process counts against the same budget.
"""
from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from core import metrics
from core.permissions import token_of

RATE_GROUP = "api"


def _token_key(group: str, request) -> str:
    return f"token:{request.api_token.prefix}"


def _token_rate(group: str, request) -> str:
    return request.api_token.rate_limit or settings.DEFAULT_TOKEN_RATE_LIMIT


def _unknown_ip(group: str, request) -> str:
    return "ip:unknown"


def consume(request, *, scope: str, key, rate) -> int | None:
    """Count one request; return seconds to wait if over the limit, else None."""
    if key == "ip" and not request.META.get("REMOTE_ADDR"):
        # Behind a proxy on a Unix socket REMOTE_ADDR is empty, and django-ratelimit's "ip" key raises
        # ImproperlyConfigured (a 500 for every anonymous request): such requests share one budget.
        key = _unknown_ip
    usage = get_usage(request, group=f"{RATE_GROUP}:{scope}", key=key, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    metrics.RATE_LIMITED.labels(scope=scope).inc()
    return max(int(usage["time_left"]), 1)


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        if not settings.RATELIMIT_ENABLE:
            return True
        django_request = request._request
        if token_of(request) is not None:
            self._wait = consume(django_request, scope="token", key=_token_key, rate=_token_rate)
        else:
            self._wait = consume(django_request, scope="anon", key="ip", rate=settings.ANON_RATE_LIMIT)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
