"""Wallet errors. Codes are part of the public API contract."""
from core.exceptions import Conflict, DomainError, NotFound


class InsufficientBalance(DomainError):
    code = "INSUFFICIENT_BALANCE"
    status_code = 422
    default_message = "The wallet balance is too low for this operation."


class DailyLimitExceeded(DomainError):
    code = "DAILY_LIMIT_EXCEEDED"
    status_code = 422
    default_message = "This operation would exceed the wallet's daily spend limit."


class WalletFrozen(DomainError):
    code = "WALLET_FROZEN"
    status_code = 422
    default_message = "The wallet is frozen."


class WalletNotFound(NotFound):
    default_message = "Wallet not found."


class WalletAlreadyExists(Conflict):
    code = "WALLET_ALREADY_EXISTS"
    default_message = "The owner already has a wallet in this currency."
