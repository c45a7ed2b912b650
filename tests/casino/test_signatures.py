"""EIP-191 signed channels: opened with a signature, every later write must be signed for the current nonce."""
import hashlib

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from games_app.casino.models import CasinoChannel
from tests.casino.conftest import assert_conserved

ACCOUNT = Account.from_key("0x" + "11" * 32)
STRANGER = Account.from_key("0x" + "22" * 32)
ADDRESS = ACCOUNT.address


def sign(account, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex().removeprefix("0x")


def open_signed(a2a) -> dict:
    return a2a.ok("open_channel", stealthAddress=ADDRESS, agentDeposit="1", casinoDeposit="10",
                  signature=sign(ACCOUNT, f"open_channel:{ADDRESS.lower()}"))


def test_signed_channel_requires_signature_for_the_current_nonce(a2a):
    opened = open_signed(a2a)
    assert opened["signed"] is True
    address = ADDRESS.lower()
    a2a.error("coinflip_commit", "SIGNATURE_REQUIRED", status=401, stealthAddress=ADDRESS, betAmount="0.01",
              choice="heads")
    a2a.error("coinflip_commit", "INVALID_SIGNATURE", stealthAddress=ADDRESS, betAmount="0.01", choice="heads",
              signature=sign(STRANGER, f"coinflip_commit:{address}:0"))
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.01", choice="heads",
           signature=sign(ACCOUNT, f"coinflip_commit:{address}:0"))
    reveal = a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="s1",
                    signature=sign(ACCOUNT, f"coinflip_reveal:{address}:0"))
    assert reveal["nonce"] == 1
    # the nonce moved on: the old signature no longer authorises a new round
    a2a.error("coinflip_commit", "INVALID_SIGNATURE", stealthAddress=ADDRESS, betAmount="0.01", choice="heads",
              signature=sign(ACCOUNT, f"coinflip_commit:{address}:0"))
    a2a.ok("close_channel", stealthAddress=ADDRESS, signature=sign(ACCOUNT, f"close_channel:{address}:1"))
    assert_conserved()


def test_open_with_a_signature_by_another_key_is_refused(a2a):
    a2a.error("open_channel", "INVALID_SIGNATURE", stealthAddress=ADDRESS, agentDeposit="1",
              signature=sign(STRANGER, f"open_channel:{ADDRESS.lower()}"))
    assert not CasinoChannel.objects.exists()


@pytest.mark.parametrize("signature", ["0x1234", "not-hex", 42, "0x" + "zz" * 65])
def test_malformed_signature_is_400(a2a, signature):
    a2a.error("open_channel", "INVALID_PARAMS", stealthAddress=ADDRESS, agentDeposit="1", signature=signature)


def test_unrecoverable_signature_is_refused(a2a):
    garbage = "0x" + hashlib.sha256(b"x").hexdigest() * 2 + "ff"
    a2a.error("open_channel", "INVALID_SIGNATURE", stealthAddress=ADDRESS, agentDeposit="1", signature=garbage)


def test_unsigned_channel_ignores_no_signature(a2a):
    opened = a2a.open(address=ADDRESS)
    assert opened["signed"] is False
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.01", choice="tails")
