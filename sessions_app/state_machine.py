"""The session state machine (DESIGN.md §5), in one table.

idle → initialized → probing → playing → evaluating → completed, plus initialized → playing,
and abort from any non-terminal state to completed. `force_close` is staff's stop (not an agent
action, so not in Action.ALL): it too completes any non-terminal session. `cash_out` passes through `evaluating`
(committed on its own) so a crash between the two steps leaves a session recovery can finish.
"""
from sessions_app.exceptions import InvalidStateTransition
from sessions_app.models import SessionState as S


class Action:
    INITIALIZE = "initialize"
    PROBE = "probe"
    PLACE_BET = "place_bet"
    SPIN = "spin"
    CASH_OUT = "cash_out"
    ABORT = "abort"
    ALL = (INITIALIZE, PROBE, PLACE_BET, SPIN, CASH_OUT, ABORT)
    FORCE_CLOSE = "force_close"


TRANSITIONS: dict[tuple[str, str], str] = {
    (S.IDLE, Action.INITIALIZE): S.INITIALIZED,
    (S.INITIALIZED, Action.PROBE): S.PROBING,
    (S.PROBING, Action.PROBE): S.PROBING,
    (S.INITIALIZED, Action.PLACE_BET): S.PLAYING,
    (S.PROBING, Action.PLACE_BET): S.PLAYING,
    (S.PLAYING, Action.PLACE_BET): S.PLAYING,
    (S.PLAYING, Action.SPIN): S.PLAYING,
    (S.PLAYING, Action.CASH_OUT): S.EVALUATING,
    (S.EVALUATING, Action.CASH_OUT): S.EVALUATING,
    **{(state, Action.ABORT): S.COMPLETED for state in (S.IDLE, S.INITIALIZED, S.PROBING, S.PLAYING, S.EVALUATING)},
    **{(state, Action.FORCE_CLOSE): S.COMPLETED
       for state in (S.IDLE, S.INITIALIZED, S.PROBING, S.PLAYING, S.EVALUATING)},
}

TERMINAL = frozenset({S.COMPLETED})


def allowed_actions(state: str) -> list[str]:
    return [action for action in Action.ALL if (state, action) in TRANSITIONS]


def next_state(*, state: str, action: str) -> str:
    """The state `action` leads to from `state`; raises InvalidStateTransition (409) if illegal."""
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise InvalidStateTransition(
            f"Action '{action}' is not allowed in state '{state}'.",
            details={"state": state, "action": action, "allowed_actions": allowed_actions(state)})
    return target
