from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from games_app.casino.models import CasinoChannel

pytestmark = pytest.mark.django_db


def test_database_refuses_a_channel_that_breaks_conservation(a2a):
    a2a.open(agent="0.01", casino="0.1")
    channel = CasinoChannel.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        CasinoChannel.objects.filter(pk=channel.pk).update(agent_balance=channel.agent_balance + Decimal("0.001"))


def test_exact_channel_amounts_open_on_every_database(a2a):
    opened = a2a.open(agent="0.01", casino="0.1")
    assert (opened["agentBalance"], opened["casinoBalance"]) == ("0.01", "0.1")
