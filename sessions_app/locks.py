"""Row locks of sessions. Lock order everywhere: session, then wallet (taken by wallet_app), then the rest."""
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import GameplaySession


def lock_session(*, session_id: int, token) -> GameplaySession:
    """Lock and return the session, which must be the caller's own (staff: any). Call inside atomic().

    `of=("self",)` keeps the joined game and wallet rows unlocked: the wallet is locked later, in order."""
    queryset = GameplaySession.objects.select_for_update(of=("self",)).select_related("game_version__game", "wallet")
    if not token.has_role("operator"):
        queryset = queryset.filter(owner_id=token.owner_id)
    session = queryset.filter(pk=session_id).first()
    if session is None:
        raise SessionNotFound(details={"session": session_id})
    return session
