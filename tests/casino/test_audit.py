from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from games_app.casino.models import CasinoChannel, CasinoRound
from tests.casino.conftest import ADDRESS, OTHER_ADDRESS

pytestmark = pytest.mark.django_db


def _play(a2a):
    a2a.open()
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    a2a.ok("slots_reveal", stealthAddress=ADDRESS, agentSeed="a")
    a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=5)


def test_audit_channels_passes_on_consistent_channels(a2a, capsys):
    _play(a2a)
    call_command("audit_channels")
    assert "OK: 1 channels consistent" in capsys.readouterr().out


def test_audit_channels_exits_1_on_a_nonce_gap(a2a):
    _play(a2a)
    CasinoRound.objects.filter(nonce=2).delete()
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_channels")
    assert excinfo.value.returncode == 1


def test_audit_channels_exits_1_on_a_payout_that_does_not_match_balances(a2a):
    _play(a2a)
    CasinoRound.objects.filter(nonce=2).update(bet_amount="0.002")
    with pytest.raises(CommandError, match="1 of 1 channels are inconsistent"):
        call_command("audit_channels")


def test_audit_channels_exits_1_when_the_rows_reservations_do_not_match_its_commits_and_tickets(a2a, capsys):
    _play(a2a)
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.01", choice="heads")
    call_command("audit_channels")
    CasinoChannel.objects.update(reserved_agent=Decimal("0.02"))
    with pytest.raises(CommandError, match="1 of 1 channels are inconsistent"):
        call_command("audit_channels")
    assert "reservations (agent, casino, open tickets)" in capsys.readouterr().err


def test_the_migrations_backfill_derives_the_reservations_from_existing_rows(a2a):
    from importlib import import_module
    backfill = import_module("games_app.casino.migrations.0007_channel_reservations").BACKFILL_SQL
    _play(a2a)
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.000100000000000001", choice="heads")
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.0002")
    a2a.open(address=OTHER_ADDRESS)
    kept = list(CasinoChannel.objects.order_by("pk").values_list("reserved_agent", "reserved_casino",
                                                                  "open_lotto_tickets"))
    assert kept[0] == (Decimal("0.000300000000000001"), Decimal("0.085") + Decimal("0.0000900000000000009")
                       .quantize(Decimal("1e-18"), rounding="ROUND_DOWN") + Decimal("0.0002") * 289, 1)
    CasinoChannel.objects.update(reserved_agent=0, reserved_casino=0, open_lotto_tickets=0)
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    assert list(CasinoChannel.objects.order_by("pk").values_list("reserved_agent", "reserved_casino",
                                                                 "open_lotto_tickets")) == kept
    call_command("audit_channels")
