"""Optional EIP-191 (personal_sign) signatures on A2A channel writes.

A channel opened with `signature` = sign("open_channel:{address}") by that address is bound to its
key: every later write must carry `signature` = sign("{action}:{address}:{nonce}"), where nonce is
the channel nonce before the action. A copied address alone then cannot play someone's channel,
and the nonce stops a signature from being replayed for a later action.
"""
import re

from games_app.casino.exceptions import InvalidSignature, SignatureRequired

_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")


def is_signature_text(value: object) -> bool:
    return isinstance(value, str) and bool(_SIGNATURE.match(value))


def open_message(address: str) -> str:
    return f"open_channel:{address}"


def action_message(action: str, address: str, nonce: int) -> str:
    return f"{action}:{address}:{nonce}"


def recover_signer(*, message: str, signature: str) -> str | None:
    """The lower-case address that signed `message` (EIP-191 personal_sign), or None if unrecoverable."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    try:
        return Account.recover_message(encode_defunct(text=message), signature=signature).lower()
    except Exception:  # malformed r/s/v values raise assorted errors inside eth-keys
        return None


def verify_signature(*, message: str, signature: str | None, address: str, required: bool) -> bool:
    """True if `signature` is `address`'s signature of `message`; raises when it is wrong, or missing and required."""
    if signature is None:
        if required:
            raise SignatureRequired(details={"message": message})
        return False
    if recover_signer(message=message, signature=signature) != address.lower():
        raise InvalidSignature(details={"message": message})
    return True
