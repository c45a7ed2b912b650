"""Hooks deliveries onto recorded steps without sessions_app knowing: a step that commits (with its action)
schedules its webhook events; a step rolled back with a failed action never does.

Steps are gathered per transaction and looked at once after commit, so a v2 batch of 1000 spins costs one
query for "does this owner have hooks?" instead of one per step."""
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from rl_app.models import ExperienceStep


class _PendingSteps:
    def __init__(self) -> None:
        self.steps: list[tuple[int, int]] = []

    def flush(self) -> None:
        from rl_app.services import webhook_deliveries_create_for_steps

        steps, self.steps = self.steps, []
        webhook_deliveries_create_for_steps(steps=steps)


def _pending_for(connection) -> _PendingSteps:
    """The batch of the current transaction; a new one if the last batch's commit hook was discarded by a rollback."""
    pending = getattr(connection, "_rl_pending_steps", None)
    if pending is None or not any(entry[1] == pending.flush for entry in connection.run_on_commit):
        pending = _PendingSteps()
        connection._rl_pending_steps = pending
        # robust: a webhook bookkeeping error must never turn a committed action into an error response.
        transaction.on_commit(pending.flush, robust=True)
    return pending


@receiver(post_save, sender=ExperienceStep, dispatch_uid="rl_app.step_webhooks")
def schedule_step_webhooks(sender, instance: ExperienceStep, created: bool, **kwargs) -> None:
    if not created:
        return
    connection = transaction.get_connection()
    step = (instance.pk, instance.session.owner_id)
    if not connection.in_atomic_block:
        from rl_app.services import webhook_deliveries_create_for_steps

        webhook_deliveries_create_for_steps(steps=[step])
        return
    _pending_for(connection).steps.append(step)
