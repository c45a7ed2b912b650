"""Webhook deliveries of recorded steps, created after the steps commit (a step rolled back with a failed
action never delivers).

Steps are gathered per transaction and looked at once after commit, so a v2 batch of 1000 spins costs one
hook query and one step query, not one per step. Only steps of sessions whose owner has hooks come here
(`GameplaySession.owner_has_hooks`, kept by the hook services): a spin of anyone else costs no query."""
from django.db import transaction


class _PendingSteps:
    def __init__(self) -> None:
        self.steps: list[tuple[int, int, int]] = []

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


def schedule_step_webhooks(*, session_id: int, index: int, owner_id: int) -> None:
    """Create the deliveries of step (session, index) once it has committed (at once outside a transaction)."""
    connection = transaction.get_connection()
    step = (session_id, index, owner_id)
    if not connection.in_atomic_block:
        from rl_app.services import webhook_deliveries_create_for_steps

        webhook_deliveries_create_for_steps(steps=[step])
        return
    _pending_for(connection).steps.append(step)
