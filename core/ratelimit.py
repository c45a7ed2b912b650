"""Per-token rate limits, anonymous requests by client IP: fixed windows counted in the shared cache.

One cache round trip per request (for a token, core.auth also reads the client's authentication failures in
it). With Redis (production) the window's counter is bumped by INCR and
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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Window:
    """One fixed window of one counter: its cache key, the hits it allows and when it ends (unix seconds)."""
    key: str
    limit: int
    end: int

    def wait(self, now: float) -> int:
        return max(int(self.end - now), 1)


def window(*, scope: str, ident: str, rate: str, now: float) -> Window:
    """The current window of the `rate` counter of `ident` (a token, an address) in `scope`."""
    limit, period = parse_rate(rate)
    counter = f"rl:{RATE_GROUP}:{scope}:{ident}:{period}"
    end = _window_end(counter, period, now)
    return Window(key=f"{counter}:{end}", limit=limit, end=end)


def _redis_client(cache):
    """The redis-py client behind Django's RedisCache (None for another backend), made once per cache
    object: Django builds a new client, and its table of ~200 response callbacks, on every call."""
    backend = getattr(cache, "_cache", None)
    if getattr(backend, "get_client", None) is None:
        return None
    client = getattr(backend, "_royale_write_client", None)
    if client is None:
        client = backend._royale_write_client = backend.get_client(write=True)  # the write pool: the same for every key
    return client


def hit(counted: Window, *, now: float, peek: Window | None = None) -> tuple[int, int]:
    """Count one hit on `counted` and read the count of `peek` (0 when absent or not asked): one round trip to
    the shared cache. Returns (the new count of `counted`, the count of `peek`)."""
    cache = caches[settings.RATELIMIT_USE_CACHE]
    client = _redis_client(cache)
    if client is not None:
        pipeline = client.pipeline(transaction=False)
        pipeline.incr(cache.make_and_validate_key(counted.key))
        pipeline.expireat(cache.make_and_validate_key(counted.key), counted.end + 1)
        if peek is not None:
            pipeline.get(cache.make_and_validate_key(peek.key))
        count, _, *peeked = pipeline.execute()
        return int(count), int(peeked[0] or 0) if peeked else 0
    return _local_hit(cache, counted, now), (cache.get(peek.key, 0) if peek is not None else 0)


def _local_hit(cache, counted: Window, now: float) -> int:
    timeout = max(counted.end + 1 - now, 1)
    if cache.add(counted.key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(counted.key)
    except ValueError:  # expired between add and incr
        cache.add(counted.key, 1, timeout=timeout)
        return 1


def read(counted: Window) -> int:
    """The count of a window without counting a hit."""
    return int(caches[settings.RATELIMIT_USE_CACHE].get(counted.key, 0) or 0)


def over_limit(counted: Window, count: int, *, scope: str, now: float) -> int | None:
    """The seconds to wait when `count` hits exceed the window's limit, else None."""
    if count <= counted.limit:
        return None
    metrics.RATE_LIMITED.labels(scope=scope).inc()
    return counted.wait(now)


def consume(request, *, scope: str, key: str | Callable, rate: str | Callable) -> int | None:
    """Count one request against `rate` (e.g. '600/m') under `key` ('ip', or f(group, request) -> str);
    return the seconds to wait if it is over the limit, else None."""
    group = f"{RATE_GROUP}:{scope}"
    ident = client_ip_key(request) if key == "ip" else key(group, request)
    now = time.time()
    counted = window(scope=scope, ident=ident, rate=rate(group, request) if callable(rate) else rate, now=now)
    count, _ = hit(counted, now=now)
    return over_limit(counted, count, scope=scope, now=now)


class TokenRateThrottle(BaseThrottle):
    """A token's budget is counted by core.auth.BearerTokenAuthentication (one round trip with the failure
    check); this answers with its result. Anonymous requests are counted here, per client IP."""

    def allow_request(self, request, view) -> bool:
        if not settings.RATELIMIT_ENABLE:
            return True
        django_request = request._request
        token = token_of(request)
        if token is not None and hasattr(django_request, "token_rate_wait"):
            self._wait = django_request.token_rate_wait
        elif token is not None:  # authenticated by other means than BearerTokenAuthentication
            self._wait = consume(django_request, scope="token", key=lambda group, req: f"token:{token.prefix}",
                                 rate=token.rate_limit or settings.DEFAULT_TOKEN_RATE_LIMIT)
        else:
            self._wait = consume(django_request, scope="anon", key="ip", rate=settings.ANON_RATE_LIMIT)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
