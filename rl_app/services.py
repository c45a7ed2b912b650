"""Writes of rl_app: experience steps (sessions_app's STEP_TAKEN handler, inside the action's transaction),
policy feedback, webhooks and their deliveries."""
import json
import math
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from core import policy
from core.db import WriteBatch, new_row
from core.exceptions import ValidationFailed
from core.request_context import get_request_id
# tasks.py runs this module's webhook_delivery_attempt; each imports the other as a module (not names), so
# either loads first.
from rl_app import metrics, tasks
from rl_app.exceptions import TooManyWebhooks, WebhookDeliveryFailed
from rl_app.models import (DeliveryStatus, ExperienceStep, PolicyFeedback, WebhookDelivery, WebhookEvent,
                           WebhookHook)
from rl_app.selectors import webhook_hook_get
from rl_app.step_webhooks import schedule_step_webhooks
from rl_app.webhooks import encode_body, post_signed, webhook_url_check
from sessions_app.events import SessionStep, SessionSummary
from sessions_app.models import GameplaySession
from sessions_app.selectors import session_get
from sessions_app.services import sessions_owner_hooks_set


def experience_step_record(*, session, index: int, observation: dict, action: dict, reward: float,
                           next_observation: dict, terminated: bool, truncated: bool, info: dict[str, Any],
                           policy_id: str = "", policy_version: str = "",
                           writes: WriteBatch | None = None) -> ExperienceStep:
    """Append one step of the session's episode. Call inside the action's transaction (session row locked),
    so the step commits or rolls back with the action; (session, index) is unique. With `writes` the row
    is queued there (written with the action's other rows, no pk back), else inserted now.

    If the session says its owner has webhooks, the step's deliveries are created after commit; a step
    rolled back with its action never delivers."""
    step = new_row(
        ExperienceStep, session=session, index=index, observation=observation, action=action, reward=reward,
        next_observation=next_observation, terminated=terminated, truncated=truncated, info=info,
        policy_id=policy_id[:100], policy_version=policy_version[:100], request_id=get_request_id())
    if writes is None:
        step.save()
    else:
        writes.insert(step)
    if session.owner_has_hooks:
        schedule_step_webhooks(session_id=session.pk, index=index, owner_id=session.owner_id,
                               deliver=webhook_deliveries_create_for_steps)
    return step


def experience_step_on_session_step(step: SessionStep) -> None:
    """sessions_app.events.STEP_TAKEN handler: the step is queued on the action's WriteBatch, so it is written
    in the action's one statement and commits or rolls back with it."""
    experience_step_record(session=step.session, index=step.index, observation=step.observation, action=step.action,
                           reward=step.reward, next_observation=step.next_observation, terminated=step.terminated,
                           truncated=step.truncated, info=step.info, policy_id=step.policy_id,
                           policy_version=step.policy_version, writes=step.writes)


def reward_history_on_session_summary(finished: SessionSummary) -> None:
    """sessions_app.events.SESSION_SUMMARY handler: the summary's `reward_history` is the reward of every
    step in order, read from the trace (flushed first: this transaction's own steps may still be queued)."""
    finished.writes.flush()
    steps = ExperienceStep.objects.filter(session_id=finished.session.pk).order_by("index")
    finished.summary["reward_history"] = list(steps.values_list("reward", flat=True))


def webhook_flag_on_session_opening(session: GameplaySession) -> None:
    """sessions_app.events.SESSION_OPENING handler: a new session records whether its owner has webhooks."""
    session.owner_has_hooks = webhook_owner_has_hooks_locked(owner_id=session.owner_id)


# --- policy feedback -----------------------------------------------------------------------------

MAX_VALUE_ESTIMATES = 64
MAX_FEEDBACK_JSON_BYTES = 16_384


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def policy_feedback_create(*, actor: policy.Actor, session_id: int, policy_id: str, policy_version: str = "",
                           step_index: int | None = None, value_estimates: dict | None = None,
                           data: Any = None) -> PolicyFeedback:
    """Store a policy's feedback on a session (an episode) or one of its steps.

    Only the session's owner gives feedback on it: SessionNotFound (404) for a session the actor may not
    read, Forbidden (403) for one it may only read (staff).
    Raises ValidationFailed for a step the episode does not have, non-numeric or too many value estimates,
    or a free JSON payload over 16 KiB. Append-only: feedback is never updated."""
    session = session_get(session_id=session_id, actor=actor)
    policy.require(actor, policy.Act.FEEDBACK_CREATE, owner_id=session.owner_id)
    if step_index is not None and step_index >= session.steps:
        raise ValidationFailed("The episode has no such step.", details={"field": "step", "steps": session.steps})
    value_estimates = value_estimates or {}
    if len(value_estimates) > MAX_VALUE_ESTIMATES:
        raise ValidationFailed(f"At most {MAX_VALUE_ESTIMATES} value estimates.", details={"field": "value_estimates"})
    for name, value in value_estimates.items():
        numbers = value if isinstance(value, list) else [value]
        if not numbers or len(numbers) > 1024 or not all(_finite_number(number) for number in numbers):
            raise ValidationFailed("Each value estimate is a finite number or a list of 1-1024 finite numbers.",
                                   details={"field": "value_estimates", "key": name})
    if len(json.dumps(data if data is not None else {})) > MAX_FEEDBACK_JSON_BYTES:
        raise ValidationFailed("data is larger than 16 KiB.", details={"field": "data", "max_bytes": MAX_FEEDBACK_JSON_BYTES})
    return PolicyFeedback.objects.create(
        owner_id=actor.user_id, session=session, step_index=step_index, policy_id=policy_id[:100],
        policy_version=policy_version[:100], value_estimates=value_estimates,
        data=data if data is not None else {}, request_id=get_request_id())


# --- webhooks ------------------------------------------------------------------------------------

MAX_ACTIVE_HOOKS_PER_OWNER = 20


def webhook_hook_create(*, actor: policy.Actor, url: str, events: list[str], reward_threshold: float | None = None,
                        description: str = "") -> tuple[WebhookHook, str]:
    """Register a webhook for `actor`; returns (hook, secret) — the only time the secret is shown.

    Raises WebhookUrlRefused (400) for a non-http(s), credentialed, unresolvable or non-public URL (unless
    settings.RL_WEBHOOKS_ALLOW_PRIVATE), ValidationFailed for bad events or a missing/needless threshold,
    TooManyWebhooks past 20 active hooks. Serializes on the owner's row so the cap holds under races."""
    policy.require(actor, policy.Act.WEBHOOK_CREATE, owner_id=actor.user_id)
    events = sorted(set(events))
    if not events or not set(events) <= set(WebhookEvent.values):
        raise ValidationFailed("events must be a non-empty subset of the known events.",
                               details={"field": "events", "allowed": list(WebhookEvent.values)})
    wants_threshold = WebhookEvent.REWARD_THRESHOLD in events
    if wants_threshold != (reward_threshold is not None):
        raise ValidationFailed("reward_threshold is required with, and only with, the reward_threshold event.",
                               details={"field": "reward_threshold"})
    if reward_threshold is not None and not _finite_number(reward_threshold):
        raise ValidationFailed("reward_threshold must be a finite number.", details={"field": "reward_threshold"})
    webhook_url_check(url)
    secret = secrets.token_hex(32)
    with transaction.atomic():
        _lock_owner(actor.user_id)
        if WebhookHook.objects.filter(owner_id=actor.user_id, active=True).count() >= MAX_ACTIVE_HOOKS_PER_OWNER:
            raise TooManyWebhooks(details={"max": MAX_ACTIVE_HOOKS_PER_OWNER})
        hook = WebhookHook.objects.create(owner_id=actor.user_id, url=url, events=events,
                                          reward_threshold=reward_threshold, description=description, secret=secret)
        sessions_owner_hooks_set(owner_id=actor.user_id, has_hooks=True)
    return hook, secret


def _lock_owner(owner_id: int) -> None:
    """Serialize hook changes of one owner (the cap, the sessions' owner_has_hooks flag) on the owner's row."""
    get_user_model().objects.select_for_update().filter(pk=owner_id).first()


def webhook_owner_has_hooks_locked(*, owner_id: int) -> bool:
    """Whether the owner has an active hook, read under a lock on the owner's row that hook changes wait for
    (call inside atomic()): a session created in the same transaction then carries the right flag even when a
    hook is created at the same moment — that hook's change waits for this transaction and then flags it."""
    get_user_model().objects.select_for_update(no_key=True).filter(pk=owner_id).first()
    return WebhookHook.objects.filter(owner_id=owner_id, active=True).exists()


def webhook_hook_set_active(*, hook: WebhookHook, active: bool) -> WebhookHook:
    """(De)activate a hook and keep the owner's sessions' owner_has_hooks flag true iff an active hook remains."""
    with transaction.atomic():
        _lock_owner(hook.owner_id)
        WebhookHook.objects.filter(pk=hook.pk).update(active=active)
        hook.active = active
        sessions_owner_hooks_set(owner_id=hook.owner_id,
                             has_hooks=WebhookHook.objects.filter(owner_id=hook.owner_id, active=True).exists())
    return hook


MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600


def webhook_secret_rotate(*, actor: policy.Actor, hook_id: int, grace_seconds: int = 0) -> tuple[WebhookHook, str]:
    """Give a hook a new signing secret; returns (hook, secret) — the only time it is shown.

    With ``grace_seconds`` > 0 deliveries keep a second signature made with the old secret for that long
    (``X-Royale-Signature-Previous``), so a receiver can switch without rejecting events; 0 drops the old
    secret at once (e.g. it leaked). Only the hook's owner rotates (the secret is shown to the caller):
    WebhookNotFound for a hook the actor may not read, Forbidden for staff. The hook row is locked,
    so concurrent rotations chain: each one's previous secret is the secret the one before it set."""
    if isinstance(grace_seconds, bool) or not isinstance(grace_seconds, int) or \
            not 0 <= grace_seconds <= MAX_ROTATION_GRACE_SECONDS:
        raise ValidationFailed(f"grace_seconds must be an integer in 0..{MAX_ROTATION_GRACE_SECONDS}.",
                               details={"field": "grace_seconds"})
    secret = secrets.token_hex(32)
    with transaction.atomic():
        # ownership and lock in one read, owner row left unlocked
        hook = webhook_hook_get(hook_id=hook_id, actor=actor, action=policy.Act.WEBHOOK_ROTATE,
                                queryset=WebhookHook.objects.select_related("owner").select_for_update(of=("self",)))
        now = timezone.now()
        if grace_seconds:
            hook.previous_secret = hook.secret
            hook.previous_secret_expires_at = now + timedelta(seconds=grace_seconds)
        else:
            hook.previous_secret, hook.previous_secret_expires_at = "", None
        hook.secret = secret
        hook.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return hook, secret


def webhook_hook_deactivate(*, actor: policy.Actor, hook_id: int) -> WebhookHook:
    """Stop deliveries to a hook (kept for its delivery log). Its owner or an admin (policy); WebhookNotFound
    for a hook the actor may not read, Forbidden for an operator."""
    hook = webhook_hook_get(hook_id=hook_id, actor=actor, action=policy.Act.WEBHOOK_DEACTIVATE)
    return webhook_hook_set_active(hook=hook, active=False)


def _step_payload(step: ExperienceStep) -> dict:
    return {"session": step.session_id, "index": step.index, "observation": step.observation, "action": step.action,
            "reward": step.reward, "next_observation": step.next_observation, "terminated": step.terminated,
            "truncated": step.truncated, "info": step.info, "policy_id": step.policy_id,
            "policy_version": step.policy_version, "request_id": step.request_id,
            "created_at": step.created_at.isoformat()}


def _events_for_step(hook: WebhookHook, step: ExperienceStep, episode_return: Callable[[], float]) -> list[tuple[str, dict]]:
    events = []
    if WebhookEvent.STEP in hook.events:
        events.append((WebhookEvent.STEP, _step_payload(step)))
    if WebhookEvent.EPISODE_END in hook.events and (step.terminated or step.truncated):
        events.append((WebhookEvent.EPISODE_END, {
            "session": step.session_id, "game": step.session.game_version.game.slug, "steps": step.index + 1,
            "total_reward": episode_return(), "terminated": step.terminated, "truncated": step.truncated,
            "policy_id": step.policy_id, "policy_version": step.policy_version}))
    if WebhookEvent.REWARD_THRESHOLD in hook.events and hook.reward_threshold is not None:
        after = episode_return()
        if after - step.reward < hook.reward_threshold <= after:
            events.append((WebhookEvent.REWARD_THRESHOLD, {
                "session": step.session_id, "index": step.index, "episode_return": after,
                "threshold": hook.reward_threshold, "policy_id": step.policy_id}))
    return events


def webhook_deliveries_create_for_steps(*, steps: list[tuple[int, int, int]]) -> list[WebhookDelivery]:
    """Deliveries for committed steps given as (session id, step index, owner id): one query for the owners'
    active hooks, one for the steps that have any. Call after the steps committed."""
    hooks_by_owner: dict[int, list[WebhookHook]] = {}
    for hook in WebhookHook.objects.filter(owner_id__in={owner for _, _, owner in steps}, active=True).order_by("pk"):
        hooks_by_owner.setdefault(hook.owner_id, []).append(hook)
    wanted = [(session_id, index, owner_id) for session_id, index, owner_id in steps if owner_id in hooks_by_owner]
    if not wanted:
        return []
    by_session: dict[int, list[int]] = {}
    for session_id, index, _ in wanted:
        by_session.setdefault(session_id, []).append(index)
    condition = Q()
    for session_id, indexes in by_session.items():
        condition |= Q(session_id=session_id, index__in=indexes)
    found = {(step.session_id, step.index): step
             for step in ExperienceStep.objects.select_related("session__game_version__game").filter(condition)}
    deliveries: list[WebhookDelivery] = []
    for session_id, index, owner_id in wanted:
        step = found.get((session_id, index))
        if step is not None:
            deliveries += _deliveries_for_step(step, hooks_by_owner[owner_id])
    return deliveries


def _deliveries_for_step(step: ExperienceStep, hooks: list[WebhookHook]) -> list[WebhookDelivery]:
    """One pending delivery per (hook, matching event), each enqueued after commit. `reward_threshold` fires
    on each step whose reward lifts the episode return from below the threshold to it or above."""
    cached: list[float] = []

    def episode_return() -> float:
        # Summed from the steps (not the session's running total), so a batch's later steps do not leak in.
        if not cached:
            total = ExperienceStep.objects.filter(session_id=step.session_id, index__lte=step.index).aggregate(
                total=Sum("reward"))["total"]
            cached.append(float(total or 0.0))
        return cached[0]

    deliveries = []
    with transaction.atomic():
        for hook in hooks:
            for event, data in _events_for_step(hook, step, episode_return):
                delivery = WebhookDelivery.objects.create(hook=hook, event=event, session_id=step.session_id,
                                                          step_index=step.index, payload={})
                delivery.payload = {"id": delivery.pk, "event": event, "hook": hook.pk,
                                    "created_at": delivery.created_at.isoformat(), "data": data}
                delivery.save(update_fields=["payload"])
                deliveries.append(delivery)
        for delivery in deliveries:
            transaction.on_commit(_enqueue_later(delivery.pk), robust=True)
    return deliveries


def _enqueue_later(delivery_id: int) -> Callable[[], None]:
    def enqueue_delivery() -> None:
        tasks.deliver_webhook_task.delay(delivery_id)

    return enqueue_delivery


def webhook_delivery_attempt(*, delivery_id: int, final: bool) -> WebhookDelivery | None:
    """Make one attempt at a pending delivery and log it (attempts, response code, last error, status).

    The HTTP call runs outside any transaction. Raises WebhookDeliveryFailed for a retryable failure when
    this is not the `final` attempt (Celery then retries with backoff); otherwise records `failed`.
    A delivery that is no longer pending, or whose hook was deactivated, is left alone."""
    delivery = WebhookDelivery.objects.select_related("hook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return delivery
    if not delivery.hook.active:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, last_error="hook deactivated", updated_at=timezone.now())
        return delivery
    result = post_signed(url=delivery.hook.url, secret=delivery.hook.secret, body=encode_body(delivery.payload),
                         previous_secret=delivery.hook.previous_secret_at(timezone.now()),
                         headers={"X-Royale-Event": delivery.event, "X-Royale-Delivery": str(delivery.pk)})
    now = timezone.now()
    if result.ok:
        status = DeliveryStatus.SUCCEEDED
    elif result.retryable and not final:
        status = DeliveryStatus.PENDING
    else:
        status = DeliveryStatus.FAILED
    outcome = {"delivered_at": now} if result.ok else {"last_error": result.error}  # keep the last error seen
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1, response_code=result.status_code,
                                                          status=status, updated_at=now, **outcome)
    metrics.WEBHOOK_ATTEMPTS.labels(event=delivery.event, outcome=status).inc()
    if status == DeliveryStatus.PENDING:
        raise WebhookDeliveryFailed(result.error)
    delivery.refresh_from_db()
    return delivery
