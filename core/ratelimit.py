"""Per-token rate limits, anonymous requests by client IP: fixed windows counted in the shared cache.

One cache round trip per request. With Redis (production) the window's counter is bumped by INCR and
given the window's end as its expiry by EXPIREAT, both in one pipeline: the end is the same for every
request of a window, so setting it again is harmless, and a counter never outlives its window. Every
API process shares the counters, so the budget holds across processes and hosts. Without Redis (local
development) the local-memory cache counts per process.

Windows are staggered per key (as django-ratelimit does), so not every client's budget resets at the
same second.
"""
import ipaddress
import time
import zlib
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from core import metrics
from core.permissions import token_of

RATE_GROUP = "api"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
IPV6_PREFIX = 64  # one budget per /64: a host gets a whole /64 for free


@lru_cache(maxsize=256)
def parse_rate(rate: str) -> tuple[int, int]:
    """'600/m' → (600, 60); '100/5m' → (100, 300). Units: s, m, h, d."""
    count, _, per = rate.partition("/")
    unit = per[-1:]
    if unit not in _UNITS or not count.isdigit() or not (per[:-1] or "1").isdigit():
        raise ValueError(f"rate must look like 600/m or 100/5m, not {rate!r}")
    return int(count), int(per[:-1] or "1") * _UNITS[unit]


def client_ip_key(request) -> str:
    """The client's address (an IPv6 one reduced to its /64); one shared budget when there is none (behind a
    proxy on a Unix socket REMOTE_ADDR is empty)."""
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "ip:unknown"
    if ip.version == 6:
        return f"ip:{ipaddress.ip_network(f'{ip}/{IPV6_PREFIX}', strict=False).network_address}"
    return f"ip:{ip}"


def _window_end(key: str, period: int, now: float) -> int:
    offset = zlib.crc32(key.encode()) % period
    start = int(now) - (int(now) - offset) % period
    return start + period


def _redis_client(cache, key: str):
    """The redis-py client behind Django's RedisCache, or None for another cache backend."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(key, write=True) if get_client is not None else None


def _count(cache, key: str, window_end: int, now: float) -> int:
    """Count one hit on the window's counter and return the new count: one round trip."""
    cache_key = cache.make_and_validate_key(key)
    client = _redis_client(cache, cache_key)
    if client is not None:
        pipeline = client.pipeline(transaction=False)
        pipeline.incr(cache_key)
        pipeline.expireat(cache_key, window_end + 1)
        count, _ = pipeline.execute()
        return int(count)
    timeout = max(window_end + 1 - now, 1)
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def consume(request, *, scope: str, key: str | Callable, rate: str | Callable) -> int | None:
    """Count one request against `rate` (e.g. '600/m') under `key` ('ip', or f(group, request) -> str);
    return the seconds to wait if it is over the limit, else None."""
    group = f"{RATE_GROUP}:{scope}"
    ident = client_ip_key(request) if key == "ip" else key(group, request)
    limit, period = parse_rate(rate(group, request) if callable(rate) else rate)
    now = time.time()
    counter = f"rl:{group}:{ident}:{period}"
    window_end = _window_end(counter, period, now)
    if _count(caches[settings.RATELIMIT_USE_CACHE], f"{counter}:{window_end}", window_end, now) <= limit:
        return None
    metrics.RATE_LIMITED.labels(scope=scope).inc()
    return max(int(window_end - now), 1)


def _token_key(group: str, request) -> str:
    return f"token:{request.api_token.prefix}"


def _token_rate(group: str, request) -> str:
    return request.api_token.rate_limit or settings.DEFAULT_TOKEN_RATE_LIMIT


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
