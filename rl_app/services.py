"""Writes of rl_app: experience steps (called by sessions_app inside its action transaction)."""
from typing import Any

from core.request_context import get_request_id
from rl_app.models import ExperienceStep


def experience_step_record(*, session, index: int, observation: dict, action: dict, reward: float,
                           next_observation: dict, terminated: bool, truncated: bool, info: dict[str, Any],
                           policy_id: str = "", policy_version: str = "") -> ExperienceStep:
    """Append one step of the session's episode. Call inside the action's transaction (session row locked),
    so the step commits or rolls back with the action; (session, index) is unique."""
    return ExperienceStep.objects.create(
        session=session, index=index, observation=observation, action=action, reward=reward,
        next_observation=next_observation, terminated=terminated, truncated=truncated, info=info,
        policy_id=policy_id[:100], policy_version=policy_version[:100], request_id=get_request_id())
