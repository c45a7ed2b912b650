"""Helpers that make a ModelAdmin action an audited console action.

    @admin.action(description="Freeze selected wallets", permissions=["freeze_wallets"])
    @audited("freeze_wallets")
    def freeze_wallets(self, request, queryset): ... return {"frozen": n}

    has_freeze_wallets_permission = policy_permission(Act.WALLET_FREEZE)

Who may run an action is core.policy's answer for the console login's role (the same rule the API
applies). The wrapped action returns a dict of details (or None); the decorator records one
AdminActionLog row per run (selected objects, details, outcome) and turns a DomainError into an
error message plus an `error` row instead of a 500.
"""
import functools
from collections.abc import Callable

from django.contrib import messages

from core.exceptions import DomainError
from core.models import ActionOutcome
from core.policy import actor_from_user, allows_any, role_allows
from core.services import MAX_LOGGED_OBJECTS, admin_action_record


def policy_permission(action: str) -> Callable:
    """A `has_<name>_permission` method for ModelAdmin: may the console login's role do `action`
    (core.policy, the same rule the API applies)?"""

    def has_permission(self, request) -> bool:
        return role_allows(actor_from_user(request.user), action)

    has_permission.__name__ = f"has_{action.replace('.', '_')}_permission"
    return has_permission


def policy_model_permission(action: str) -> Callable:
    """A `has_change_permission` / `has_delete_permission` for a ModelAdmin whose edits are `action`
    on any owner's row (core.policy): the console login's role must allow it for everyone's rows."""

    def has_permission(self, request, obj=None) -> bool:
        return allows_any(actor_from_user(request.user), action)

    return has_permission


def audited(action: str) -> Callable:
    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(modeladmin, request, queryset):
            # Captured before the action runs: the action may change what the queryset matches.
            selected = list(queryset.order_by("pk")[:MAX_LOGGED_OBJECTS])
            count = len(selected) if len(selected) < MAX_LOGGED_OBJECTS else queryset.count()
            log = functools.partial(admin_action_record, actor=request.user, action=action, objects=selected,
                                    object_count=count, target_model=queryset.model._meta.label_lower)
            try:
                details = func(modeladmin, request, queryset) or {}
            except DomainError as exc:
                log(outcome=ActionOutcome.ERROR, details={"code": exc.code, "message": exc.message, **exc.details})
                modeladmin.message_user(request, f"The action '{action}' failed ({exc.code}): {exc.message}", messages.ERROR)
                return None
            log(details=details)
            return None

        return wrapper

    return decorate
