from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from games_app.engine import load_demo_games
from games_app.services import game_load
from wallet_app import services as wallet_services


@pytest.fixture(scope="session")
def demo_definitions():
    return load_demo_games()


@pytest.fixture
def load_definition(db):
    """load_definition(GameDefinition) -> GameVersion (stored with its PAR sheet)."""

    def _load(definition):
        version, _ = game_load(data=definition.to_dict())
        return version

    return _load


@pytest.fixture
def fruit_version(load_definition, demo_definitions):
    return load_definition(demo_definitions["fruit-low"])


@pytest.fixture
def make_wallet(db):
    """make_wallet(owner=user | owner_username=..., balance="0", **wallet_create kwargs) -> Wallet."""
    counter = {"n": 0}

    def _make(*, owner=None, owner_username: str | None = None, balance: str = "0", **kwargs):
        counter["n"] += 1
        if owner is None:
            owner, _ = get_user_model().objects.get_or_create(username=owner_username or f"fp-owner-{counter['n']}")
        wallet = wallet_services.wallet_create(owner=owner, **kwargs)
        if Decimal(balance) > 0:
            wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal(balance), reference="test:fund")
        wallet.refresh_from_db()
        return wallet

    return _make


@pytest.fixture
def without_recovery(monkeypatch):
    """Issue-7 tests measure the statistical pipeline: switch the issue-11 hook off (it is tested
    with fakes in test_services.py and end to end in test_recovery_hook_with_the_real_module)."""
    from fingerprint_app import services

    monkeypatch.setattr(services, "recover_model", None)
