"""`Authorization: Bearer <token>` authentication for DRF."""
import hmac

from rest_framework import authentication, exceptions

from core.models import ApiToken
from core.services import hash_token_secret, split_raw_token, token_touch


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
    token = ApiToken.objects.select_related("owner").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, hash_token_secret(raw)):
        raise exceptions.AuthenticationFailed("Unknown token.")
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed("Token has been revoked.")
    if not token.is_active:
        raise exceptions.AuthenticationFailed("Token has expired.")
    token_touch(token=token)
    return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header and header.partition(" ")[0].lower() != "bearer":
            raise exceptions.AuthenticationFailed("Use the Bearer scheme: 'Authorization: Bearer <token>'.")
        token = authenticate_bearer(header)
        if token is None:
            return None
        request._request.api_token = token
        return token.owner, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
