"""EIP-191 signed channels (issue 15 item 6): every signature names its channel, nonce, action and
money-moving parameters, so none can be replayed on another channel, round or amount."""
import hashlib
import time

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from games_app.casino.models import CasinoChannel
from tests.casino.conftest import assert_conserved

ACCOUNT = Account.from_key("0x" + "11" * 32)
STRANGER = Account.from_key("0x" + "22" * 32)
ADDRESS = ACCOUNT.address
LOWER = ADDRESS.lower()


def sign(account, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex().removeprefix("0x")


def now_ms() -> int:
    return int(time.time() * 1000)


def open_signed(a2a, *, agent: str = "1", casino: str = "10", signed_at: int | None = None, account=ACCOUNT,
                **extra):
    signed_at = signed_at or now_ms()
    signature = sign(account, f"open_channel:{LOWER}:{agent}:{casino}:{signed_at}")
    return dict(stealthAddress=ADDRESS, agentDeposit=agent, casinoDeposit=casino, signedAt=signed_at,
                signature=signature, **extra)


def act(channel: dict, action: str, nonce: int, *parameters, account=ACCOUNT) -> str:
    return sign(account, ":".join([action, LOWER, str(channel["channelId"]), str(nonce), *map(str, parameters)]))


def test_signed_channel_requires_the_signature_of_this_channel_nonce_and_parameters(a2a):
    opened = a2a.ok("open_channel", **open_signed(a2a))
    assert opened["signed"] is True and isinstance(opened["channelId"], int)
    a2a.error("coinflip_commit", "SIGNATURE_REQUIRED", status=401, stealthAddress=ADDRESS, betAmount="0.01",
              choice="heads")
    a2a.error("coinflip_commit", "INVALID_SIGNATURE", stealthAddress=ADDRESS, betAmount="0.01", choice="heads",
              signature=act(opened, "coinflip_commit", 0, "0.01", "heads", account=STRANGER))
    commit = a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.010", choice="heads",
                    signature=act(opened, "coinflip_commit", 0, "0.01", "heads"))
    a2a.error("coinflip_reveal", "INVALID_SIGNATURE", stealthAddress=ADDRESS, agentSeed="s1",
              signature=act(opened, "coinflip_reveal", 0, commit["commitment"], "another-seed"))
    reveal = a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="s1",
                    signature=act(opened, "coinflip_reveal", 0, commit["commitment"], "s1"))
    assert reveal["nonce"] == 1
    # the nonce moved on: the old signature no longer authorises a new round
    a2a.error("coinflip_commit", "INVALID_SIGNATURE", stealthAddress=ADDRESS, betAmount="0.01", choice="heads",
              signature=act(opened, "coinflip_commit", 0, "0.01", "heads"))
    a2a.error("lotto_buy", "INVALID_SIGNATURE", stealthAddress=ADDRESS, pickedNumber=7, ticketCount=3,
              signature=act(opened, "lotto_buy", 1, 7, 1))
    a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber="7", ticketCount=3,
           signature=act(opened, "lotto_buy", 1, 7, 3))
    a2a.ok("close_channel", stealthAddress=ADDRESS, signature=act(opened, "close_channel", 2))
    assert_conserved()


def test_open_with_a_signature_by_another_key_is_refused(a2a):
    a2a.error("open_channel", "INVALID_SIGNATURE", **open_signed(a2a, account=STRANGER))
    assert not CasinoChannel.objects.exists()


def test_signed_open_needs_a_fresh_signed_at(a2a, settings):
    a2a.error("open_channel", "INVALID_PARAMS", stealthAddress=ADDRESS, agentDeposit="1",
              signature=sign(ACCOUNT, f"open_channel:{LOWER}:1:1:"))
    stale = now_ms() - (settings.A2A_SIGNATURE_MAX_SKEW_SECONDS + 5) * 1000
    a2a.error("open_channel", "INVALID_SIGNATURE", **open_signed(a2a, signed_at=stale))
    assert not CasinoChannel.objects.exists()


@pytest.mark.parametrize("signature", ["0x1234", "not-hex", 42, "0x" + "zz" * 65])
def test_malformed_signature_is_400(a2a, signature):
    a2a.error("open_channel", "INVALID_PARAMS", stealthAddress=ADDRESS, agentDeposit="1", signature=signature)


def test_unrecoverable_signature_is_refused(a2a):
    garbage = "0x" + hashlib.sha256(b"x").hexdigest() * 2 + "ff"
    a2a.error("open_channel", "INVALID_SIGNATURE", stealthAddress=ADDRESS, agentDeposit="1", signedAt=now_ms(),
              signature=garbage)


def test_unsigned_channel_ignores_no_signature(a2a):
    opened = a2a.open(address=ADDRESS)
    assert opened["signed"] is False
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.01", choice="tails")
