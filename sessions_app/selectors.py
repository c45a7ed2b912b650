from django.db.models import QuerySet

from sessions_app.exceptions import SessionNotFound
from sessions_app.models import GameplaySession


def session_list(*, token, state: str | None = None, game: str | None = None, owner: str | None = None) -> QuerySet[GameplaySession]:
    """Agents see their own sessions; operators and admins see all, with filters."""
    queryset = GameplaySession.objects.select_related("game_version__game", "owner").order_by("-id")
    if not token.has_role("operator"):
        queryset = queryset.filter(owner_id=token.owner_id)
    elif owner:
        queryset = queryset.filter(owner__username=owner)
    if state:
        queryset = queryset.filter(state=state)
    if game:
        queryset = queryset.filter(game_version__game__slug=game)
    return queryset


def session_get(*, session_id: int, token) -> GameplaySession:
    session = session_list(token=token).filter(pk=session_id).first()
    if session is None:
        raise SessionNotFound(details={"session": session_id})
    return session


def session_recent_transitions(*, session: GameplaySession, limit: int = 20) -> list:
    return list(session.transitions.order_by("-id")[:limit])[::-1]
