"""Optional EIP-191 (personal_sign) signatures on A2A channel writes, bound so they cannot be replayed.

A channel opened with `signature` = sign(open_message) by its address is bound to that key, and every
later write must carry `signature` = sign(action_message). Each message names the action, the address
(lower case), something unique to one channel and every parameter that moves money:

    open_channel:{address}:{agentDeposit}:{casinoDeposit}:{signedAt}
    {action}:{address}:{channelId}:{nonce}[:{parameter}...]

`signedAt` (ms since the epoch) must be within A2A_SIGNATURE_MAX_SKEW_SECONDS of the server clock and
later than the `signedAt` of every earlier signed channel of the address, so an open signature opens
one channel once. `channelId` is the id `open_channel` answers, so no signature of a closed channel
works on another, and `nonce` is the channel nonce before the action, so none works for a later round.
Amounts are written as the server echoes them (`format_amount`: no exponent, no trailing zeros).
"""
import re

from core.money import format_amount
from games_app.casino.exceptions import InvalidSignature, SignatureRequired

_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")


def is_signature_text(value: object) -> bool:
    return isinstance(value, str) and bool(_SIGNATURE.match(value))


def open_message(*, address: str, agent_deposit, casino_deposit, signed_at: int) -> str:
    return f"open_channel:{address}:{format_amount(agent_deposit)}:{format_amount(casino_deposit)}:{signed_at}"


def action_message(*, action: str, address: str, channel_id: int, nonce: int, parameters: tuple = ()) -> str:
    return ":".join([action, address, str(channel_id), str(nonce), *(str(p) for p in parameters)])


def recover_signer(*, message: str, signature: str) -> str | None:
    """The lower-case address that signed `message` (EIP-191 personal_sign), or None if unrecoverable."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    try:
        return Account.recover_message(encode_defunct(text=message), signature=signature).lower()
    except Exception:  # malformed r/s/v values raise assorted errors inside eth-keys
        return None


def verify_signature(*, message: str, signature: str | None, address: str, required: bool) -> bool:
    """True if `signature` is `address`'s signature of `message`; raises when it is wrong, or missing and required.
    The error message names the exact text expected, so a client can see what to sign."""
    if signature is None:
        if required:
            raise SignatureRequired(f"This channel is signed: sign {message!r} (EIP-191) and send it as signature.")
        return False
    if recover_signer(message=message, signature=signature) != address.lower():
        raise InvalidSignature(f"The signature does not recover to the channel's address for {message!r}.")
    return True
