"""Webhook deliveries of recorded steps, created after the steps commit (a step rolled back with a failed
action never delivers).

Steps are gathered per connection and looked at once after commit, so a v2 batch of 1000 spins costs one
hook query and one step query, not one per step. Only steps of sessions whose owner has hooks come here
(`GameplaySession.owner_has_hooks`, kept by the hook services): a spin of anyone else costs no query."""
from collections.abc import Callable

from django.db import transaction

Steps = list[tuple[int, int, int]]


class _PendingSteps:
    """Steps recorded on one connection and not yet handed to `deliver`.

    Every recorded step registers `flush` with `transaction.on_commit` (public API; a registration is a list
    append). The first callback to run after a commit takes every pending step; the others find none. A step
    whose transaction rolled back may still be pending: `deliver` looks the steps up and finds only committed
    rows, and a (session, index) recorded twice counts once, so a rolled-back step never delivers and a
    committed one delivers once."""

    def __init__(self) -> None:
        self.steps: dict[tuple[int, int], int] = {}
        self.deliver: Callable[..., object] | None = None

    def flush(self) -> None:
        if not self.steps or self.deliver is None:
            return
        steps, self.steps = self.steps, {}
        self.deliver(steps=[(session_id, index, owner_id) for (session_id, index), owner_id in steps.items()])


def schedule_step_webhooks(*, session_id: int, index: int, owner_id: int, deliver: Callable[..., object]) -> None:
    """Hand step (session, index) to `deliver(steps=[(session, index, owner)])` once it has committed (at once
    outside a transaction)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        deliver(steps=[(session_id, index, owner_id)])
        return
    pending = getattr(connection, "_rl_pending_steps", None)
    if pending is None:
        pending = connection._rl_pending_steps = _PendingSteps()
    pending.deliver = deliver
    pending.steps[(session_id, index)] = owner_id
    # robust: a webhook bookkeeping error must never turn a committed action into an error response.
    transaction.on_commit(pending.flush, robust=True)
