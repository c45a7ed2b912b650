from django.db.models import QuerySet

from core import policy
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import GameplaySession


def session_list(*, actor: policy.Actor, state: str | None = None, game: str | None = None,
                 owner: str | None = None) -> QuerySet[GameplaySession]:
    """The sessions `actor` may read (agents: their own; operators and admins: all), with filters;
    `owner` (a username) is honoured only for actors who may read everyone's."""
    queryset = policy.scope(actor, policy.Act.SESSION_READ,
                            GameplaySession.objects.select_related("game_version__game", "owner").order_by("-id"))
    if owner and policy.allows_any(actor, policy.Act.SESSION_READ):
        queryset = queryset.filter(owner__username=owner)
    if state:
        queryset = queryset.filter(state=state)
    if game:
        queryset = queryset.filter(game_version__game__slug=game)
    return queryset


def session_get(*, session_id: int, actor: policy.Actor) -> GameplaySession:
    """Raises SessionNotFound for a missing session or one `actor` may not read."""
    session = session_list(actor=actor).filter(pk=session_id).first()
    if session is None:
        raise SessionNotFound(details={"session": session_id})
    return session


def session_recent_transitions(*, session: GameplaySession, limit: int = 20) -> list:
    return list(session.transitions.order_by("-id")[:limit])[::-1]
