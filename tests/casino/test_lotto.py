"""Lotto draws end to end: tickets → beat task → winners credited (or recorded unpaid)."""
import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from games_app.casino import rules
from games_app.casino.models import (CasinoChannel, CasinoEvent, CasinoLottoDraw, CasinoLottoTicket,
                                     CasinoRound)
from games_app.casino.selectors import game_totals
from games_app.casino.tasks import run_due_lotto_draws
from tests.casino.conftest import ADDRESS, OTHER_ADDRESS, assert_conserved

pytestmark = pytest.mark.django_db


def test_lotto_draw_end_to_end(a2a):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        a2a.open(address=ADDRESS)
        a2a.open(address=OTHER_ADDRESS)
        first = a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=1)
        draw = CasinoLottoDraw.objects.get(pk=first["drawId"])
        winning = int(draw.seed[0:8], 16) % 100 + 1
        losing = winning % 100 + 1
        win = a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=winning, ticketCount=2)
        a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=losing)
        a2a.ok("lotto_buy", stealthAddress=OTHER_ADDRESS, pickedNumber=winning)  # its channel will be closed
        a2a.ok("close_channel", stealthAddress=OTHER_ADDRESS)
        status = a2a.ok("lotto_status")
        assert status["commitment"] == hashlib.sha256(draw.seed.encode()).hexdigest()
        assert status["totalTickets"] == 5 and status["totalPool"] == "0.005"
        assert run_due_lotto_draws.delay().get() == 0  # not due yet

        traveller.move_to(draw.draw_time + timedelta(seconds=1))
        assert run_due_lotto_draws.delay().get() == 1
        assert run_due_lotto_draws.delay().get() == 0  # re-running pays nobody twice
        status = a2a.ok("lotto_status")

    draw.refresh_from_db()
    assert draw.status == "settled" and draw.winning_number == winning == rules.lotto_winning_number(draw.seed)
    channel = CasinoChannel.objects.get(agent_address=ADDRESS.lower())
    payout = Decimal("0.001") * 85 * 2
    assert channel.nonce == win["nonce"] + 2  # the losing buy, then the win
    prize = CasinoRound.objects.get(channel=channel, kind="lotto_win")
    assert prize.nonce == channel.nonce and prize.payout == payout and prize.result["winningNumber"] == winning
    assert channel.agent_balance == Decimal(1) - Decimal("0.004") + payout
    assert CasinoEvent.objects.filter(channel=channel, kind="lotto_win").count() == 1
    tickets = {t.picked_number if t.channel == channel else "closed": t
               for t in CasinoLottoTicket.objects.select_related("channel")}
    assert tickets[winning].status == "won_paid" and tickets[winning].payout == payout
    assert tickets[losing].status == "lost"
    unpaid = tickets["closed"]
    assert unpaid.status == "won_unpaid" and unpaid.payout == Decimal("0.085")
    closed = CasinoChannel.objects.get(agent_address=OTHER_ADDRESS.lower())
    assert closed.nonce == 1 and closed.agent_balance == Decimal("0.999")
    assert CasinoEvent.objects.filter(channel=closed, kind="lotto_win_unpaid").count() == 1
    assert game_totals()["lotto"].paid_out == payout
    assert_conserved()

    past = status["pastDraws"][0]
    assert past["drawId"] == draw.pk and past["seed"] == draw.seed and past["winningNumber"] == winning
    assert status["drawId"] != draw.pk and status["totalTickets"] == 0


def test_lotto_buy_after_the_draw_time_goes_to_the_next_draw(a2a):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        a2a.open()
        first = a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=1)
        draw = CasinoLottoDraw.objects.get(pk=first["drawId"])
        traveller.move_to(draw.draw_time)
        second = a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=1)
    assert second["drawId"] != first["drawId"]
    assert CasinoLottoDraw.objects.get(pk=second["drawId"]).draw_time == draw.draw_time + timedelta(
        seconds=21600)


def test_a_casino_balance_below_the_open_tickets_payout_cannot_be_stored(a2a):
    """A ticket's payout is reserved on its channel, so the casino can always pay a win; the row refuses
    a balance below what the open tickets would pay."""
    a2a.open()
    a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=1)
    assert CasinoChannel.objects.get().reserved_casino == Decimal("0.085")
    with pytest.raises(IntegrityError, match="casino_channel_reserved_casino_covered"), transaction.atomic():
        CasinoChannel.objects.update(agent_balance=Decimal("10.95"), casino_balance=Decimal("0.05"))  # < 0.085
