from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from wallet_app import services
from wallet_app.metrics import AUDIT_MISMATCHES
from wallet_app.models import LedgerAudit, LedgerEntry, Wallet
from wallet_app.selectors import ledger_audit_latest
from wallet_app.services import DEMO_AGENT_USERNAME, DEMO_OPERATOR_USERNAME
from wallet_app.tasks import audit_ledger_task

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def busy_wallet(make_wallet):
    wallet = make_wallet(balance="50", daily_limit=D(20))
    services.charge_for_play(wallet_id=wallet.pk, stake=D(5), fee=D("0.1"))
    services.credit_payout(wallet_id=wallet.pk, amount=D(12))
    services.lock_for_channel(wallet_id=wallet.pk, amount=D(10), reference="channel:0xabc")
    services.release_from_channel(wallet_id=wallet.pk, amount=D(4), reference="channel:0xabc")
    services.withdraw(wallet_id=wallet.pk, amount=D(1))
    return wallet


def test_audit_ledger_passes_on_consistent_books(busy_wallet):
    out = StringIO()
    call_command("audit_ledger", stdout=out)
    assert "0 mismatch(es)" in out.getvalue() and "OK" in out.getvalue()
    audit = ledger_audit_latest()
    assert audit.ok and audit.wallets_checked >= 1 and audit.entries_checked >= 7


def test_audit_ledger_detects_a_tampered_balance_and_exits_1(busy_wallet, make_wallet):
    make_wallet(balance="3")  # a healthy wallet alongside
    Wallet.objects.filter(pk=busy_wallet.pk).update(balance=D("1000"))
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("audit_ledger", stdout=StringIO(), stderr=err)
    assert exc.value.code == 1
    assert f"wallet_id={busy_wallet.pk} check=balance" in err.getvalue()
    audit = ledger_audit_latest()
    assert audit.mismatch_count == 1 and audit.mismatches[0]["expected"] == "49.9"
    assert AUDIT_MISMATCHES._value.get() == 1


def test_audit_detects_a_tampered_spend_counter(busy_wallet):
    Wallet.objects.filter(pk=busy_wallet.pk).update(spent_today=D(0))
    with pytest.raises(SystemExit):
        call_command("audit_ledger", stdout=StringIO(), stderr=StringIO())
    assert ledger_audit_latest().mismatches[0]["check"] == "spent_today"


def test_audit_detects_a_broken_balance_after_chain(busy_wallet):
    # Simulate a row written behind the services' back (the trigger blocks UPDATE, not INSERT).
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO wallet_app_ledgerentry (wallet_id, amount, kind, balance_after, reference, "
                       "request_id, created_at) VALUES (%s, 1, 'adjustment', 5, '', '', now())", [busy_wallet.pk])
    Wallet.objects.filter(pk=busy_wallet.pk).update(balance=D("50.9"))
    audit_ledger_task.delay()
    audit = ledger_audit_latest()
    assert [m["check"] for m in audit.mismatches] == ["balance_after"]
    assert audit.mismatches[0]["entry_id"] == LedgerEntry.objects.filter(wallet=busy_wallet).order_by("-id")[0].pk


def test_audit_task_records_the_result_and_logs(busy_wallet, caplog):
    result = audit_ledger_task.delay().get()
    assert result["mismatch_count"] == 0 and LedgerAudit.objects.filter(pk=result["audit_id"]).exists()
    assert AUDIT_MISMATCHES._value.get() == 0


def test_seed_demo_data_is_idempotent(settings):
    from django.apps import apps

    config = apps.get_app_config("wallet_app")
    config.seed_demo_data(stdout=StringIO())
    config.seed_demo_data(stdout=StringIO())
    agent_wallet = Wallet.objects.get(owner__username=DEMO_AGENT_USERNAME)
    house = services.house_wallet()
    assert (agent_wallet.balance, agent_wallet.currency) == (D(100), "ETH")
    assert house.balance == D(1000) and house.owner.username == settings.HOUSE_BANKROLL_USERNAME
    assert LedgerEntry.objects.filter(wallet__in=[agent_wallet, house]).count() == 2
    operator_wallet = Wallet.objects.get(owner__username=DEMO_OPERATOR_USERNAME)  # campaigns need one
    assert operator_wallet.balance == D(10) and operator_wallet.entries.count() == 1
