"""`Authorization: Bearer <token>` authentication, for DRF and for the plain Django views (A2A, engine).

Every failed attempt counts against the client IP (core.auth_throttle); past the limit every request with
credentials from that IP, a correct token included, is answered 429 with Retry-After.
"""
import hmac
import time
from collections.abc import Callable

from django.conf import settings
from rest_framework import authentication, exceptions

from core import auth_throttle, ratelimit
from core.db import CompiledQuery
from core.models import ApiToken
from core.services import hash_token_secret, split_raw_token, token_touch

# Every authenticated request runs this lookup: compiled once per process (thread), read fresh every time
# (a revoked or expired token is refused on its next request).
_TOKEN_BY_PREFIX = CompiledQuery(lambda prefix: ApiToken.objects.select_related("owner").filter(prefix=prefix).order_by(),
                                 prefix="~sentinel-token-prefix~")

BEARER_CHALLENGE = 'Bearer realm="api"'
_TOO_MANY_FAILURES = "Too many failed authentications."


def authenticate_bearer(header: str) -> ApiToken | None:
    """Resolve an Authorization header value to an active token; None if absent, raises if bad. Does not
    record the use (token_touch): the caller does once it accepts the token."""
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    raw = raw.strip()
    prefix = split_raw_token(raw) if raw else None
    if prefix is None:
        raise exceptions.AuthenticationFailed("Malformed bearer token.")
    token = _TOKEN_BY_PREFIX.first(prefix=prefix)
    if token is None or not hmac.compare_digest(token.key_hash, hash_token_secret(raw)):
        raise exceptions.AuthenticationFailed("Unknown token.")
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed("Token has been revoked.")
    if not token.is_active:
        raise exceptions.AuthenticationFailed("Token has expired.")
    return token


def authenticate_request(request, *, rate_scope: str, token_rate: Callable[[ApiToken], str]
                         ) -> tuple[ApiToken | None, int | None]:
    """The token a Django request presents (None when it presents no Authorization header) and, for a valid
    token, the seconds it must wait because it is over its rate limit `token_rate(token)` in `rate_scope`
    (None when within it).

    A valid token costs one shared-cache round trip: its rate-limit hit is counted and the client IP's
    authentication failures are read together. Raises DRF's Throttled when the client IP has failed too
    often (a correct token included), and AuthenticationFailed (counted as a failure) for a non-Bearer
    scheme or a bad token."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None, None
    try:
        if header.partition(" ")[0].lower() != "bearer":
            raise exceptions.AuthenticationFailed("Use the Bearer scheme: 'Authorization: Bearer <token>'.")
        token = authenticate_bearer(header)
    except exceptions.AuthenticationFailed:
        wait = auth_throttle.record_failure(request)
        if wait is not None:
            raise exceptions.Throttled(wait=wait, detail=_TOO_MANY_FAILURES) from None
        raise
    rate_wait = None
    if settings.RATELIMIT_ENABLE:
        now = time.time()
        counted = ratelimit.window(scope=rate_scope, ident=f"token:{token.prefix}", rate=token_rate(token), now=now)
        failures = auth_throttle.failure_window(request, now=now)
        count, failed = ratelimit.hit(counted, now=now, peek=failures)
        if failures is not None and (wait := auth_throttle.wait_after(failures, failed, now=now)) is not None:
            raise exceptions.Throttled(wait=wait, detail=_TOO_MANY_FAILURES)
        rate_wait = ratelimit.over_limit(counted, count, scope=rate_scope, now=now)
    token_touch(token=token)
    return token, rate_wait


def default_token_rate(token: ApiToken) -> str:
    return token.rate_limit or settings.DEFAULT_TOKEN_RATE_LIMIT


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Also counts the token's rate limit (scope "token"), in the same round trip as the failure check;
    core.ratelimit.TokenRateThrottle answers with the result."""
    keyword = "Bearer"

    def authenticate(self, request):
        token, rate_wait = authenticate_request(request._request, rate_scope="token", token_rate=default_token_rate)
        if token is None:
            return None
        request._request.api_token = token
        request._request.token_rate_wait = rate_wait
        return token.owner, token

    def authenticate_header(self, request) -> str:
        return BEARER_CHALLENGE
