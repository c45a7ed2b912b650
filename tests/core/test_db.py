"""core.db.WriteBatch (many writes in one statement) and core.postgresql (the idle-only health check),
against the real PostgreSQL."""
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from core.db import WriteBatch, changed_fields, loaded_values
from wallet_app.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db


def test_inserts_and_merged_updates_go_in_one_statement(make_wallet):
    wallet = make_wallet(owner_username="batcher")
    before = wallet.updated_at
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), WriteBatch() as writes:
        for amount in (Decimal("2"), Decimal("3")):
            wallet.balance += amount
            writes.insert(LedgerEntry(wallet=wallet, amount=amount, kind="deposit", balance_after=wallet.balance))
            writes.update(wallet, ["balance"])
        wallet.frozen = True
        writes.update(wallet, ["frozen"])
    assert len([q for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) == 1
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.frozen) == (Decimal("5"), True) and wallet.updated_at > before  # auto_now written
    assert list(LedgerEntry.objects.filter(wallet=wallet).order_by("id").values_list("balance_after", flat=True)) == [
        Decimal("2"), Decimal("5")]


def test_nothing_is_written_when_the_block_fails(make_wallet):
    wallet = make_wallet(owner_username="failer")
    with pytest.raises(RuntimeError), transaction.atomic(), WriteBatch() as writes:
        writes.insert(LedgerEntry(wallet=wallet, amount=Decimal("1"), kind="deposit", balance_after=Decimal("1")))
        raise RuntimeError("the action failed")
    assert not LedgerEntry.objects.filter(wallet=wallet).exists()


def test_a_constraint_violation_in_any_part_fails_the_whole_statement(make_wallet):
    from django.db import IntegrityError

    wallet = make_wallet(owner_username="negative")
    with pytest.raises(IntegrityError), transaction.atomic(), WriteBatch() as writes:
        writes.insert(LedgerEntry(wallet=wallet, amount=Decimal("1"), kind="deposit", balance_after=Decimal("1")))
        wallet.balance = Decimal("-1")  # CHECK balance >= 0
        writes.update(wallet, ["balance"])
    assert not LedgerEntry.objects.filter(wallet=wallet).exists()
    assert Wallet.objects.get(pk=wallet.pk).balance == 0


def _fields(instance) -> dict:
    return {key: value for key, value in instance.__dict__.items() if key != "_state"}


def test_new_row_builds_what_the_model_constructor_builds(make_wallet):
    from django.utils import timezone

    from core.db import new_row

    wallet, now = make_wallet(owner_username="rows"), timezone.now()
    values = {"amount": Decimal("-1.5"), "kind": "stake", "balance_after": Decimal("3"), "request_id": "r"}
    for given in ({"wallet": wallet, "created_at": now}, {"wallet_id": wallet.pk, "reference": "x", "created_at": now}):
        assert _fields(new_row(LedgerEntry, **given, **values)) == _fields(LedgerEntry(**given, **values))
    built = new_row(LedgerEntry, wallet=wallet, **values)
    assert isinstance(built.created_at, type(now)) and built.pk is None and built._state.adding
    with CaptureQueriesContext(connection) as queries:
        assert built.wallet is wallet  # cached as the descriptor caches it
    assert not queries
    with pytest.raises(TypeError):
        new_row(LedgerEntry, wallet=wallet, colour="red")
    with pytest.raises(ValueError):  # an unsaved related object: Django's own refusal
        new_row(LedgerEntry, wallet=Wallet(), **values).save()


def test_changed_fields_are_only_those_that_changed(make_wallet):
    wallet = Wallet.objects.only("balance", "frozen").get(pk=make_wallet(owner_username="diff").pk)
    before = loaded_values(wallet)
    wallet.balance += 0  # same value
    wallet.frozen = True
    wallet.daily_limit = Decimal("5")  # deferred at load, assigned since
    assert changed_fields(wallet, before) == ["daily_limit", "frozen"]


@pytest.fixture
def second_connection():
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _kill(wrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [wrapper.connection.info.backend_pid])


def _next_request(wrapper) -> None:
    wrapper.close_if_unusable_or_obsolete()  # what Django runs at request start (and end)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 42")
        assert cursor.fetchone() == (42,)


def test_a_recently_used_connection_skips_the_select_1(second_connection, settings, monkeypatch):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 60
    checks = []
    monkeypatch.setattr(second_connection, "is_usable", lambda: checks.append(1) or True)
    for _ in range(3):
        _next_request(second_connection)
    assert checks == []


def test_an_idle_connection_is_checked_and_a_dead_one_replaced(second_connection, settings):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 0  # everything counts as idle
    _next_request(second_connection)
    old_pid = second_connection.connection.info.backend_pid
    _kill(second_connection)
    _next_request(second_connection)  # the health check finds it dead and reconnects: the request succeeds
    assert second_connection.connection.info.backend_pid != old_pid


def test_a_compiled_query_runs_with_new_values_and_reads_fresh_rows(make_wallet):
    from core.db import CompiledQuery

    query = CompiledQuery(lambda pk: Wallet.objects.select_related("owner").only("balance", "owner__username")
                          .filter(pk=pk), pk=-1)
    first, second = make_wallet(owner_username="one", balance="1"), make_wallet(owner_username="two", balance="2")
    assert (query.first(pk=first.pk).balance, query.first(pk=second.pk).owner.username) == (Decimal("1"), "two")
    Wallet.objects.filter(pk=first.pk).update(balance=Decimal("7"))
    with CaptureQueriesContext(connection) as queries:
        found = query.first(pk=first.pk)
    assert found.balance == Decimal("7") and found.owner.username == "one" and len(queries) == 1
    assert query.first(pk=0) is None


def test_a_compiled_query_sets_annotations_as_django_does(make_wallet):
    from django.db.models import Exists, OuterRef

    from core.db import CompiledQuery

    query = CompiledQuery(lambda pk: Wallet.objects.filter(pk=pk).annotate(
        richer=Exists(Wallet.objects.filter(balance__gt=OuterRef("balance")))), pk=-1)
    poor, rich = make_wallet(owner_username="poor", balance="1"), make_wallet(owner_username="rich", balance="2")
    assert (query.first(pk=poor.pk).richer, query.first(pk=rich.pk).richer) == (True, False)


def test_a_sentinel_that_is_not_a_parameter_fails_loudly(db):
    from core.db import CompiledQuery

    with pytest.raises(ValueError):
        CompiledQuery(lambda pk: Wallet.objects.filter(pk__gte=0), pk=-1).first(pk=1)


def test_an_update_shape_is_compiled_once_and_writes_what_django_writes(make_wallet):
    from core import db

    first, second = make_wallet(owner_username="shape-1"), make_wallet(owner_username="shape-2")
    db._UPDATE_SQL.clear()
    for wallet, balance in ((first, Decimal("1.5")), (second, Decimal("2.25"))):
        wallet.balance, wallet.daily_limit = balance, None  # a NULL is part of the shape (`col = NULL`)
        with CaptureQueriesContext(connection) as queries, transaction.atomic(), WriteBatch() as writes:
            writes.update(wallet, ["balance", "daily_limit"])
        [update] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
        assert f'WHERE "wallet_app_wallet"."id" = {wallet.pk}' in update
    assert len(db._UPDATE_SQL) == 1
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.balance, second.balance, first.daily_limit) == (Decimal("1.5"), Decimal("2.25"), None)
    wallet = first
    wallet.daily_limit = Decimal("7")
    with transaction.atomic(), WriteBatch() as writes:
        writes.update(wallet, ["balance", "daily_limit"])
    assert len(db._UPDATE_SQL) == 2 and Wallet.objects.get(pk=wallet.pk).daily_limit == Decimal("7")
