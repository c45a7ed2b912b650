"""What sessions_app tells the apps above it, inside the action's transaction (core.events).

rl_app subscribes in its AppConfig.ready(): it records each step in the experience trace (queued on
the step's `writes`, so it goes out in the action's one write statement), sets the webhook flag of a
new session and adds the reward history (read from that trace) to a finished session's summary.
sessions_app imports none of them, and reads none of their tables."""
from dataclasses import dataclass
from typing import Any

from core.db import WriteBatch
from core.events import InTransactionEvent
from sessions_app.models import GameplaySession


@dataclass(frozen=True, slots=True)
class SessionStep:
    """One applied action as an experience step: the observation before and after, the action as sent
    (known keys only), its reward, and whether the episode ended (`terminated`) or was cut (`truncated`)."""
    session: GameplaySession
    index: int
    observation: dict
    action: dict
    reward: float
    next_observation: dict
    terminated: bool
    truncated: bool
    info: dict[str, Any]
    policy_id: str
    policy_version: str
    writes: WriteBatch


# Emitted once per action, after the action changed the locked session and before its writes flush.
STEP_TAKEN: InTransactionEvent[SessionStep] = InTransactionEvent("sessions_app.step_taken")

@dataclass(frozen=True, slots=True)
class SessionSummary:
    """A finishing session's summary, before it is saved: handlers may add the keys they own."""
    session: GameplaySession
    summary: dict[str, Any]
    writes: WriteBatch


# Emitted with the unsaved session, inside session_create's transaction: a handler may set the fields it
# owns (rl_app: `owner_has_hooks`, read under the owner's row lock) before the row is inserted.
SESSION_OPENING: InTransactionEvent[GameplaySession] = InTransactionEvent("sessions_app.session_opening")

# Emitted when a session's summary is built (completion, abort, force-close), inside that transaction.
SESSION_SUMMARY: InTransactionEvent[SessionSummary] = InTransactionEvent("sessions_app.session_summary")
