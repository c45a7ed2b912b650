"""DRF permission classes, each a question to core.policy (DESIGN.md §7)."""
from rest_framework.permissions import BasePermission

from core.models import ApiToken
from core.policy import actor_of_request, allows_any


def token_of(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class IsAuthenticatedToken(BasePermission):
    def has_permission(self, request, view) -> bool:
        return token_of(request) is not None


def role_may(action: str) -> type[BasePermission]:
    """A permission class for views whose every call is `action` on resources nobody owns (tokens,
    campaigns): the caller's role must allow it whoever owns what. Unauthenticated: 401; else 403."""

    class RoleMay(IsAuthenticatedToken):
        def has_permission(self, request, view) -> bool:
            return token_of(request) is not None and allows_any(actor_of_request(request), action)

    RoleMay.__name__ = RoleMay.__qualname__ = f"RoleMay[{action}]"
    return RoleMay
