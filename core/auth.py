"""`Authorization: Bearer <token>` authentication, for DRF and for the plain Django views (A2A, engine).

Every failed attempt counts against the client IP (core.auth_throttle); past the limit the credentials
are not even looked at and the answer is 429 with Retry-After.
"""
import hmac

from rest_framework import authentication, exceptions

from core import auth_throttle
from core.db import CompiledQuery
from core.models import ApiToken
from core.services import hash_token_secret, split_raw_token, token_touch

# Every authenticated request runs this lookup: compiled once per process (thread), read fresh every time
# (a revoked or expired token is refused on its next request).
_TOKEN_BY_PREFIX = CompiledQuery(lambda prefix: ApiToken.objects.select_related("owner").filter(prefix=prefix).order_by(),
                                 prefix="~sentinel-token-prefix~")

BEARER_CHALLENGE = 'Bearer realm="api"'


def authenticate_bearer(header: str) -> ApiToken | None:
    """Resolve an Authorization header value to an active token; None if absent, raises if bad."""
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
    token_touch(token=token)
    return token


def authenticate_request(request) -> ApiToken | None:
    """The token a Django request presents, or None when it presents no Authorization header.

    Raises DRF's Throttled when the client IP has failed too often (nothing else is checked then), and
    AuthenticationFailed (counted as a failure) for a non-Bearer scheme or a bad token."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    wait = auth_throttle.blocked_for(request)
    if wait is not None:
        raise exceptions.Throttled(wait=wait, detail="Too many failed authentications.")
    try:
        if header.partition(" ")[0].lower() != "bearer":
            raise exceptions.AuthenticationFailed("Use the Bearer scheme: 'Authorization: Bearer <token>'.")
        return authenticate_bearer(header)
    except exceptions.AuthenticationFailed:
        auth_throttle.record_failure(request)
        raise


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        token = authenticate_request(request._request)
        if token is None:
            return None
        request._request.api_token = token
        return token.owner, token

    def authenticate_header(self, request) -> str:
        return BEARER_CHALLENGE
