from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.backends.postgresql.operations import DatabaseOperations
from rest_framework.test import APIClient

from core.services import token_create
from wallet_app import services as wallet_services


# Rows post_migrate would only create again, identical, after every flush.
KEPT_BY_FLUSH = frozenset({"django_content_type", "auth_permission"})


def _sql_flush_by_delete(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """Every transactional test (~200) ends with a flush of all ~35 tables. PostgreSQL's TRUNCATE costs
    the same whether a table holds rows or not (new files for the table and each index), while a test
    leaves a few rows: DELETE in one transaction empties them ~20x faster (0.7 s -> 0.04 s measured).
    Foreign keys are DEFERRABLE INITIALLY DEFERRED, so the order of the DELETEs does not matter. Tables
    with a row trigger (the append-only ledger refuses DELETE) are still TRUNCATEd; the sequence-reset
    variant is left to Django."""
    if reset_sequences or not tables:
        return _sql_flush_by_truncate(self, style, tables, reset_sequences=reset_sequences,
                                      allow_cascade=allow_cascade)
    with self.connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "WHERE NOT t.tgisinternal AND c.relname = ANY(%s)", [list(tables)])
        triggered = sorted(name for (name,) in cursor.fetchall())
    statements = ["SET CONSTRAINTS ALL DEFERRED"]
    if triggered:
        statements.append(f"TRUNCATE {', '.join(map(self.quote_name, triggered))} CASCADE")
    statements += [f"DELETE FROM {self.quote_name(table)}" for table in tables
                   if table not in triggered and table not in KEPT_BY_FLUSH]
    return statements


_sql_flush_by_truncate = DatabaseOperations.sql_flush


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    with mock.patch.object(DatabaseOperations, "sql_flush", _sql_flush_by_delete):
        yield


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
