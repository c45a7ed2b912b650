from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from wallet_app import services
from wallet_app.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-not-used")
    client.force_login(user)
    return client


def test_ledger_changelist_is_read_only_and_query_count_is_constant(staff_client, make_wallet,
                                                                    django_assert_max_num_queries):
    for n in range(5):
        make_wallet(owner_username=f"adm-{n}", balance="2")
    with django_assert_max_num_queries(10):
        response = staff_client.get("/admin/wallet_app/ledgerentry/")
    assert response.status_code == 200
    entry = LedgerEntry.objects.first()
    assert staff_client.post(f"/admin/wallet_app/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_wallet_changelist_query_count_and_freeze_action(staff_client, make_wallet, django_assert_max_num_queries):
    wallets = [make_wallet(owner_username=f"adm-{n}", balance="2") for n in range(5)]
    with django_assert_max_num_queries(10):
        assert staff_client.get("/admin/wallet_app/wallet/").status_code == 200
    staff_client.post("/admin/wallet_app/wallet/", {"action": "freeze_wallets",
                                                    "_selected_action": [w.pk for w in wallets[:2]]})
    assert list(Wallet.objects.order_by("pk").values_list("frozen", flat=True)) == [True, True, False, False, False]


def test_wallet_change_form_updates_limits_through_the_service(staff_client, make_wallet):
    wallet = make_wallet(balance="2")
    response = staff_client.post(f"/admin/wallet_app/wallet/{wallet.pk}/change/", {
        "daily_limit": "7", "cost_per_spin": "0.5", "cost_per_query": "0", "balance": "999999"})
    assert response.status_code == 302
    wallet.refresh_from_db()
    assert wallet.daily_limit == Decimal(7) and wallet.cost_per_spin == Decimal("0.5") and wallet.balance == 2
    services.charge_for_play(wallet_id=wallet.pk, stake=Decimal(1), fee=wallet.cost_per_spin)
