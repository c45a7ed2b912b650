"""Casino errors. Their `code`s are the stable A2A error codes (issue 6); statuses follow the issue:
404 CHANNEL_NOT_FOUND, 409 CHANNEL_ALREADY_EXISTS / PENDING_COMMIT_EXISTS, 400 other client errors,
500 only for real faults."""
from core.exceptions import DomainError


class CasinoError(DomainError):
    code = "BAD_REQUEST"
    status_code = 400
    default_message = "The request is invalid."


class InvalidRequest(CasinoError):
    code = "INVALID_REQUEST"
    default_message = "The body must be an A2A envelope: {\"message\": {\"content\": {\"action\": ...}}}."


class InvalidParams(CasinoError):
    code = "INVALID_PARAMS"
    default_message = "A parameter is missing or has the wrong type."


class InvalidAddress(CasinoError):
    code = "INVALID_ADDRESS"
    default_message = "stealthAddress must be 0x followed by 40 hex digits (a mixed-case one must be EIP-55)."


class InvalidAmount(CasinoError):
    code = "INVALID_AMOUNT"
    default_message = "The amount is not a valid decimal string within the allowed range."


class UnsupportedAction(CasinoError):
    code = "UNSUPPORTED_ACTION"
    default_message = "Unknown action."


class Unauthorized(CasinoError):
    code = "UNAUTHORIZED"
    status_code = 401
    default_message = "The bearer token is invalid."


class AnonymousNotAllowed(CasinoError):
    code = "AUTHENTICATION_REQUIRED"
    status_code = 401
    default_message = "Anonymous play is disabled here: send Authorization: Bearer <token>."


class AnonymousChannelLimit(CasinoError):
    code = "ANONYMOUS_CHANNEL_LIMIT"
    default_message = "Too many open anonymous channels from this client address."


class RateLimited(CasinoError):
    code = "RATE_LIMITED"
    status_code = 429
    default_message = "Too many requests."

    def __init__(self, retry_after: int):
        super().__init__()
        self.retry_after = retry_after


class ChannelNotFound(CasinoError):
    code = "CHANNEL_NOT_FOUND"
    status_code = 404
    default_message = "No open channel for this address."


class ChannelAlreadyExists(CasinoError):
    code = "CHANNEL_ALREADY_EXISTS"
    status_code = 409
    default_message = "This address already has an open channel."


class ChannelFundingFailed(CasinoError):
    code = "CHANNEL_FUNDING_FAILED"
    default_message = "The channel could not be funded."


class WalletFrozen(CasinoError):
    code = "WALLET_FROZEN"
    status_code = 403
    default_message = "The wallet funding this channel is frozen: no new channel and no new wager."


class DailyLimitExceeded(CasinoError):
    code = "DAILY_LIMIT_EXCEEDED"
    default_message = "agentDeposit would exceed the wallet's daily spend limit."


class DepositRatioExceeded(CasinoError):
    code = "DEPOSIT_RATIO_EXCEEDED"
    default_message = "casinoDeposit exceeds the allowed multiple of agentDeposit."


class BankrollShareExceeded(CasinoError):
    code = "BANKROLL_SHARE_EXCEEDED"
    default_message = "Your open channels would lock more than the allowed share of the house bankroll."


class InvalidBet(CasinoError):
    code = "INVALID_BET"
    default_message = "betAmount must be a decimal string of at least 0.0001."


class MaxBetExceeded(CasinoError):
    code = "MAX_BET_EXCEEDED"
    default_message = "betAmount exceeds the maximum bet for this channel."


class InsufficientBalance(CasinoError):
    code = "INSUFFICIENT_BALANCE"
    default_message = "The balance is too low for this action."


class PendingCommitExists(CasinoError):
    code = "PENDING_COMMIT_EXISTS"
    status_code = 409
    default_message = "Reveal (or let expire) the pending commit of this game first."


class CommitNotFound(CasinoError):
    code = "COMMIT_NOT_FOUND"
    default_message = "No pending commit for this game."


class CommitExpired(CasinoError):
    code = "COMMIT_EXPIRED"
    default_message = "The commit is older than the reveal timeout and has expired."


class IdempotencyKeyInvalid(CasinoError):
    code = "IDEMPOTENCY_KEY_INVALID"
    default_message = "x-idempotency-key must be 1-255 printable ASCII characters."


class IdempotencyKeyReused(CasinoError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This x-idempotency-key was already used with different content."


class InvariantViolation(CasinoError):
    code = "INVARIANT_VIOLATION"
    status_code = 500
    default_message = "A consistency check failed; nothing was changed."


class InvalidSignature(CasinoError):
    code = "INVALID_SIGNATURE"
    default_message = "The signature does not recover to the channel's address for the expected message."


class SignatureRequired(CasinoError):
    code = "SIGNATURE_REQUIRED"
    status_code = 401
    default_message = "This channel was opened with a signature: every write must be signed."
