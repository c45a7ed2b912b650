"""Role checks (DESIGN.md §7): agent < operator < admin."""
from rest_framework.permissions import BasePermission

from core.models import ApiToken, Role


def token_of(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def is_staff_token(request) -> bool:
    token = token_of(request)
    return token is not None and token.has_role(Role.OPERATOR)


class IsAuthenticatedToken(BasePermission):
    def has_permission(self, request, view) -> bool:
        return token_of(request) is not None


class _MinimumRole(IsAuthenticatedToken):
    minimum_role = Role.AGENT

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        return token is not None and token.has_role(self.minimum_role)


class IsOperator(_MinimumRole):
    minimum_role = Role.OPERATOR


class IsAdmin(_MinimumRole):
    minimum_role = Role.ADMIN
