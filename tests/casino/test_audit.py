import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from games_app.casino.models import CasinoRound
from tests.casino.conftest import ADDRESS

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
