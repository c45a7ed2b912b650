"""Row locks for wallets. Lock order across apps: session or channel first, then wallets
(by ascending pk), then everything else — so concurrent writers never deadlock."""
from collections.abc import Iterable

from wallet_app.exceptions import WalletNotFound
from wallet_app.models import Wallet


def lock_wallet(*, wallet_id: int) -> Wallet:
    """Lock one wallet row for the rest of the current transaction; raises WalletNotFound."""
    # of=("self",) keeps the lock on the wallet row only, even if a caller later adds joins.
    wallet = Wallet.objects.select_for_update(of=("self",)).filter(pk=wallet_id).first()
    if wallet is None:
        raise WalletNotFound(details={"wallet_id": wallet_id})
    return wallet


def lock_wallets(*, wallet_ids: Iterable[int]) -> dict[int, Wallet]:
    """Lock several wallets in pk order (e.g. an agent wallet and the house bankroll)."""
    ids = sorted(set(wallet_ids))
    wallets = {w.pk: w for w in Wallet.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")}
    missing = [pk for pk in ids if pk not in wallets]
    if missing:
        raise WalletNotFound(details={"wallet_id": missing[0]})
    return wallets
