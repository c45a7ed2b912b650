"""Game stats: no round writes a shared row; a beat task folds settled rounds into one row per game,
and a read adds the rounds past the fold, so the totals are exact before, during and after a fold."""
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from games_app.casino.models import CasinoChannel, CasinoGameStats, CasinoRound
from games_app.casino.selectors import game_totals
from games_app.casino.services import game_stats_roll_up
from tests.casino.conftest import ADDRESS, OTHER_ADDRESS, held_transaction

FOLD_WAIT_SECONDS = 20  # a fold waits for every older transaction on the server to end (other databases' too)


def _play(a2a, address: str, rounds: int) -> None:
    for i in range(rounds):
        a2a.ok("coinflip_commit", stealthAddress=address, betAmount="0.01", choice="heads")
        a2a.ok("coinflip_reveal", stealthAddress=address, agentSeed=f"{address[-4:]}-{i}")


def _fold_until(through: int) -> None:
    deadline = time.monotonic() + FOLD_WAIT_SECONDS
    while time.monotonic() < deadline:
        game_stats_roll_up()
        if CasinoGameStats.objects.get(game="coinflip").through_round_id >= through:
            return
        time.sleep(0.02)
    raise AssertionError(f"the stats never folded through round {through}")


@pytest.mark.django_db(transaction=True)
def test_a_fold_keeps_the_totals_exact_and_never_passes_a_round_whose_transaction_is_open(a2a):
    """A round id is handed out before its transaction commits: a fold up to a later, committed round
    must wait for it, or the in-flight round would be neither folded nor after the fold. (One test:
    a transactional test costs seconds of table truncation.)"""
    a2a.open()
    a2a.open(address=OTHER_ADDRESS)

    def slow_reveal():
        channel = CasinoChannel.objects.select_for_update().get(agent_address=OTHER_ADDRESS.lower())
        CasinoChannel.objects.filter(pk=channel.pk).update(nonce=1, games_played=1)  # as _apply_round does
        return CasinoRound.objects.create(
            channel=channel, game="coinflip", nonce=1, bet_amount=Decimal("0"), payout=Decimal("0"),
            agent_balance_after=channel.agent_balance, casino_balance_after=channel.casino_balance,
            created_at=timezone.now()).pk

    with held_transaction(slow_reveal) as in_flight_id:
        _play(a2a, ADDRESS, 2)                    # committed rounds with ids after the in-flight one
        for _ in range(3):
            game_stats_roll_up()
        assert CasinoGameStats.objects.get(game="coinflip").through_round_id < in_flight_id
    expected = game_totals()
    assert expected["coinflip"].rounds == 3 == CasinoRound.objects.filter(game="coinflip").count()
    _fold_until(CasinoRound.objects.latest("pk").pk)
    assert game_totals() == expected
    row = CasinoGameStats.objects.get(game="coinflip")
    assert (row.total_rounds, row.total_wagered, row.total_paid_out) == (3, expected["coinflip"].wagered,
                                                                          expected["coinflip"].paid_out)
    _play(a2a, ADDRESS, 1)
    assert game_totals()["coinflip"].rounds == 4   # a round after the fold is read from its row
