"""Reads of rl_app. Agents see their own episodes, feedback and hooks; operators and admins see all."""
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from rl_app.exceptions import WebhookNotFound
from rl_app.models import ExperienceStep, PolicyFeedback, WebhookDelivery, WebhookHook
from sessions_app.models import GameplaySession
from sessions_app.selectors import session_get


def _is_staff(token) -> bool:
    return token.has_role("operator")


def trace_steps(*, session_id: int, token, after: int | None = None) -> QuerySet[ExperienceStep]:
    """The session's steps in index order. Raises SessionNotFound (404) for a session the token may not read,
    so another agent's session looks exactly like a missing one."""
    session = session_get(session_id=session_id, token=token)
    queryset = ExperienceStep.objects.filter(session_id=session.pk).order_by("index")
    if after is not None:
        queryset = queryset.filter(index__gt=after)
    return queryset


def episode_list(*, token, game: str | None = None, policy: str | None = None, since: datetime | None = None,
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
    if not _is_staff(token):
        queryset = queryset.filter(owner_id=token.owner_id)
    elif owner:
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


def policy_feedback_list(*, token, session_id: int | None = None, policy: str | None = None) -> QuerySet[PolicyFeedback]:
    queryset = PolicyFeedback.objects.select_related("owner").order_by("-id")
    if not _is_staff(token):
        queryset = queryset.filter(owner_id=token.owner_id)
    if session_id is not None:
        queryset = queryset.filter(session_id=session_id)
    if policy:
        queryset = queryset.filter(policy_id=policy)
    return queryset


def webhook_hook_list(*, token) -> QuerySet[WebhookHook]:
    queryset = WebhookHook.objects.select_related("owner").order_by("-id")
    return queryset if _is_staff(token) else queryset.filter(owner_id=token.owner_id)


def webhook_hook_get(*, hook_id: int, token) -> WebhookHook:
    """Raises WebhookNotFound (404) for an unknown hook or another agent's."""
    hook = webhook_hook_list(token=token).filter(pk=hook_id).first()
    if hook is None:
        raise WebhookNotFound(details={"hook": hook_id})
    return hook


def webhook_delivery_list(*, hook_id: int, token) -> QuerySet[WebhookDelivery]:
    hook = webhook_hook_get(hook_id=hook_id, token=token)
    return WebhookDelivery.objects.filter(hook_id=hook.pk).order_by("-id")
