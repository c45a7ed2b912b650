"""Reads of rl_app. Agents see their own episodes, feedback and hooks; operators and admins see all."""
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from core.policy import Act, Actor, allows_any, get_for, scope
from rl_app.exceptions import WebhookNotFound
from rl_app.models import ExperienceStep, PolicyFeedback, WebhookDelivery, WebhookHook
from sessions_app.models import GameplaySession
from sessions_app.selectors import session_get


def trace_steps(*, session_id: int, actor: Actor, after: int | None = None) -> QuerySet[ExperienceStep]:
    """The session's steps in index order. Raises SessionNotFound (404) for a session the actor may not read,
    so another agent's session looks exactly like a missing one."""
    session = session_get(session_id=session_id, actor=actor)
    queryset = ExperienceStep.objects.filter(session_id=session.pk).order_by("index")
    if after is not None:
        queryset = queryset.filter(index__gt=after)
    return queryset


def episode_list(*, actor: Actor, game: str | None = None, policy: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, owner: str | None = None) -> QuerySet[GameplaySession]:
    """Sessions with at least one step, as episodes, newest first, in one query: annotated with the policy of
    their first step and whether a step terminated or truncated them. `policy` matches any step's policy id;
    `since`/`until` bound the start time (until exclusive); `owner` is honoured for staff only."""
    steps = ExperienceStep.objects.filter(session_id=OuterRef("pk"))
    first_step = steps.order_by("index")
    queryset = (GameplaySession.objects.filter(steps__gt=0).select_related("game_version__game", "owner")
                .annotate(policy_id=Subquery(first_step.values("policy_id")[:1]),
                          policy_version=Subquery(first_step.values("policy_version")[:1]),
                          terminated=Exists(steps.filter(terminated=True)),
                          truncated=Exists(steps.filter(truncated=True)))
                .order_by("-id"))
    queryset = scope(actor, Act.TRACE_READ, queryset)
    if owner and allows_any(actor, Act.TRACE_READ):
        queryset = queryset.filter(owner__username=owner)
    if game:
        queryset = queryset.filter(game_version__game__slug=game)
    if policy:
        queryset = queryset.filter(Exists(steps.filter(policy_id=policy)))
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    return queryset


def policy_feedback_list(*, actor: Actor, session_id: int | None = None,
                         policy: str | None = None) -> QuerySet[PolicyFeedback]:
    queryset = scope(actor, Act.FEEDBACK_READ,
                            PolicyFeedback.objects.select_related("owner").order_by("-id"))
    if session_id is not None:
        queryset = queryset.filter(session_id=session_id)
    if policy:
        queryset = queryset.filter(policy_id=policy)
    return queryset


def webhook_hook_list(*, actor: Actor) -> QuerySet[WebhookHook]:
    return scope(actor, Act.WEBHOOK_READ, WebhookHook.objects.select_related("owner").order_by("-id"))


def webhook_hook_get(*, hook_id: int, actor: Actor, action: str = Act.WEBHOOK_READ,
                     queryset: QuerySet[WebhookHook] | None = None) -> WebhookHook:
    """The hook if `actor` may do `action` to it (default: read; `queryset` may lock). Raises
    WebhookNotFound (404) for an unknown hook or one the actor may not read, Forbidden (403) for
    one it may read but not, e.g., rotate."""
    queryset = WebhookHook.objects.select_related("owner") if queryset is None else queryset
    return get_for(actor, action, queryset, pk=hook_id, not_found=WebhookNotFound(details={"hook": hook_id}))


def webhook_delivery_list(*, hook_id: int, actor: Actor) -> QuerySet[WebhookDelivery]:
    hook = webhook_hook_get(hook_id=hook_id, actor=actor)
    return WebhookDelivery.objects.filter(hook_id=hook.pk).order_by("-id")
