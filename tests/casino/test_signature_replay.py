"""Issue 15 item 6 over real HTTP (live server, PostgreSQL): a captured signature of a signed
channel works once, for its channel, round, action and amounts, and nowhere else."""
import pytest
from django.core.management import call_command

from games_app.casino.models import CasinoChannel, CasinoCommit
from tests.casino.test_signatures import ACCOUNT, ADDRESS, LOWER, act, now_ms, open_signed, sign

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_signature_from_a_closed_channel_is_refused_on_the_next_one(live_a2a):
    victim, attacker = live_a2a(), live_a2a()
    first = victim.ok("open_channel", **open_signed(victim))
    captured_commit = dict(stealthAddress=ADDRESS, betAmount="0.01", choice="heads",
                           signature=act(first, "coinflip_commit", 0, "0.01", "heads"))
    commit = victim.ok("coinflip_commit", **captured_commit)
    captured_reveal = dict(stealthAddress=ADDRESS, agentSeed="seed",
                           signature=act(first, "coinflip_reveal", 0, commit["commitment"], "seed"))
    victim.ok("coinflip_reveal", **captured_reveal)
    captured_close = dict(stealthAddress=ADDRESS, signature=act(first, "close_channel", 1))
    victim.ok("close_channel", **captured_close)

    second = victim.ok("open_channel", **open_signed(victim))
    assert second["channelId"] != first["channelId"] and second["nonce"] == 0
    # Same address, same nonce as the first channel's first round: the old signatures name the old channel.
    attacker.error("coinflip_commit", "INVALID_SIGNATURE", **captured_commit)
    assert not CasinoCommit.objects.filter(channel_id=second["channelId"]).exists()
    victim.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.01", choice="tails",
              signature=act(second, "coinflip_commit", 0, "0.01", "tails"))
    attacker.error("coinflip_reveal", "INVALID_SIGNATURE", **captured_reveal)
    attacker.error("close_channel", "INVALID_SIGNATURE", **captured_close)
    assert CasinoChannel.objects.get(pk=second["channelId"]).status == "open"
    call_command("audit_channels")


def test_a_signature_with_a_changed_bet_or_choice_is_refused(live_a2a):
    victim, attacker = live_a2a(), live_a2a()
    opened = victim.ok("open_channel", **open_signed(victim, agent="2", casino="8"))
    signature = act(opened, "slots_commit", 0, "0.001")
    attacker.error("slots_commit", "INVALID_SIGNATURE", stealthAddress=ADDRESS, betAmount="0.03", signature=signature)
    coinflip = act(opened, "coinflip_commit", 0, "0.01", "heads")
    attacker.error("coinflip_commit", "INVALID_SIGNATURE", stealthAddress=ADDRESS, betAmount="0.5", choice="heads",
                   signature=coinflip)
    attacker.error("coinflip_commit", "INVALID_SIGNATURE", stealthAddress=ADDRESS, betAmount="0.01", choice="tails",
                   signature=coinflip)
    lotto = act(opened, "lotto_buy", 0, 9, 1)
    attacker.error("lotto_buy", "INVALID_SIGNATURE", stealthAddress=ADDRESS, pickedNumber=9, ticketCount=10,
                   signature=lotto)
    assert not CasinoCommit.objects.exists()
    assert victim.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001", signature=signature)


def test_an_open_signature_opens_one_channel_once(live_a2a, make_token):
    victim = live_a2a()
    captured = open_signed(victim)
    opened = victim.ok("open_channel", **captured)
    victim.ok("close_channel", stealthAddress=ADDRESS, signature=act(opened, "close_channel", 0))
    victim.error("open_channel", "INVALID_SIGNATURE", **captured)
    # Nor in another namespace (a token owner's), where the address has no channel yet.
    _, raw = make_token("agent")
    live_a2a(raw).error("open_channel", "INVALID_SIGNATURE", **captured)
    # Changed deposits under a fresh signedAt are not covered by the signature either.
    fresh = open_signed(victim)
    victim.error("open_channel", "INVALID_SIGNATURE", **{**fresh, "agentDeposit": "5", "casinoDeposit": "9"})
    assert CasinoChannel.objects.count() == 1
    again = victim.ok("open_channel", **fresh)
    assert again["signed"] is True


def test_the_old_open_message_format_is_refused(live_a2a):
    client = live_a2a()
    client.error("open_channel", "INVALID_SIGNATURE", stealthAddress=ADDRESS, agentDeposit="1", signedAt=now_ms(),
                 signature=sign(ACCOUNT, f"open_channel:{LOWER}"))
    assert not CasinoChannel.objects.exists()
