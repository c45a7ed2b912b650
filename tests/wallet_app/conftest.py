from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from wallet_app import services


@pytest.fixture
def make_wallet(db):
    """make_wallet(owner=user | owner_username=..., balance="0", **wallet_create kwargs) -> Wallet."""
    counter = {"n": 0}

    def _make(*, owner=None, owner_username: str | None = None, balance: str = "0", **kwargs):
        counter["n"] += 1
        if owner is None:
            owner, _ = get_user_model().objects.get_or_create(username=owner_username or f"owner-{counter['n']}")
        wallet = services.wallet_create(owner=owner, **kwargs)
        if Decimal(balance) > 0:
            services.deposit(wallet_id=wallet.pk, amount=Decimal(balance), reference="test:fund")
        wallet.refresh_from_db()
        return wallet

    return _make


@pytest.fixture
def agent_wallet(agent_client, make_wallet):
    """A 100-unit wallet owned by `agent_client`'s user."""
    return make_wallet(owner=agent_client.token.owner, balance="100")
