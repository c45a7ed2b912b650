from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from core.services import token_create
from wallet_app import services as wallet_services


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_token(db):
    """make_token(role="agent", name=..., owner=..., **kw) -> (ApiToken, raw)."""
    counter = {"n": 0}

    def _make(role: str = "agent", *, name: str | None = None, owner_username: str | None = None, **kwargs):
        counter["n"] += 1
        name = name or f"{role}-{counter['n']}"
        return token_create(name=name, role=role, owner_username=owner_username or name, **kwargs)

    return _make


@pytest.fixture
def make_wallet(db):
    """make_wallet(owner=user | owner_username=..., balance="0", **wallet_create kwargs) -> Wallet."""
    counter = {"n": 0}

    def _make(*, owner=None, owner_username: str | None = None, balance: str = "0", **kwargs):
        counter["n"] += 1
        if owner is None:
            owner, _ = get_user_model().objects.get_or_create(username=owner_username or f"owner-{counter['n']}")
        wallet = wallet_services.wallet_create(owner=owner, **kwargs)
        if Decimal(balance) > 0:
            wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal(balance), reference="test:fund")
        wallet.refresh_from_db()
        return wallet

    return _make


@pytest.fixture
def client_for(make_token):
    """client_for(role) -> APIClient authenticated with a fresh token; `.token` is the ApiToken."""

    def _client(role: str = "agent", **kwargs) -> APIClient:
        token, raw = make_token(role, **kwargs)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.token = token
        client.raw_token = raw
        return client

    return _client


@pytest.fixture
def agent_client(client_for):
    return client_for("agent")


@pytest.fixture
def operator_client(client_for):
    return client_for("operator")


@pytest.fixture
def admin_client_api(client_for):
    return client_for("admin")
