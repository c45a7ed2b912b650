"""Failed authentication, counted per client IP (settings.AUTH_FAILURE_RATE_LIMIT).

The client IP is taken as the rate limiter takes it (core.ratelimit.client_ip_key: REMOTE_ADDR, never a
forwarded header, IPv6 grouped by /64; an empty REMOTE_ADDR shares one budget), in the rate limiter's fixed
windows. Past the limit every request that presents credentials from that address is refused, a correct
token included, so a correct guess in the middle of a brute force does not get through. core.auth reads
this counter in the same shared-cache round trip that counts the token's own rate limit.
"""
import time

from django.conf import settings

from core import metrics, ratelimit

SCOPE = "auth-failures"


def failure_window(request, *, now: float) -> ratelimit.Window | None:
    """The client's current failure window; None when failures are not limited."""
    if not settings.RATELIMIT_ENABLE or not settings.AUTH_FAILURE_RATE_LIMIT:
        return None
    return ratelimit.window(scope=SCOPE, ident=ratelimit.client_ip_key(request),
                            rate=settings.AUTH_FAILURE_RATE_LIMIT, now=now)


def wait_after(failures: ratelimit.Window, failed: int, *, now: float) -> int | None:
    """Seconds until a client that has failed `failed` times in this window may present credentials again
    (None: it may now)."""
    if failed < failures.limit:
        return None
    metrics.RATE_LIMITED.labels(scope=SCOPE).inc()
    return failures.wait(now)


def blocked_for(request) -> int | None:
    """Seconds until this client may try credentials again, or None if it may now (one cache read)."""
    now = time.time()
    failures = failure_window(request, now=now)
    return wait_after(failures, ratelimit.read(failures), now=now) if failures is not None else None


def record_failure(request) -> int | None:
    """Count one failed authentication; return the seconds to wait if the client had already used up its
    failures before this one (so this attempt is refused as throttled), else None."""
    now = time.time()
    failures = failure_window(request, now=now)
    if failures is None:
        return None
    failed, _ = ratelimit.hit(failures, now=now)
    return wait_after(failures, failed - 1, now=now)
