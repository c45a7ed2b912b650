from core.exceptions import DomainError


class SessionNotFound(DomainError):
    code = "NOT_FOUND"
    status_code = 404
    default_message = "Session not found."


class InvalidStateTransition(DomainError):
    code = "INVALID_STATE_TRANSITION"
    status_code = 409
    default_message = "This action is not allowed in the session's current state."


class InvalidBet(DomainError):
    code = "INVALID_BET"
    status_code = 422
    default_message = "The bet is below the game's minimum or not a valid amount."


class MaxBetExceeded(DomainError):
    code = "MAX_BET_EXCEEDED"
    status_code = 422
    default_message = "The bet is above the game's maximum."


class BudgetExceeded(DomainError):
    code = "BUDGET_EXCEEDED"
    status_code = 422
    default_message = "This spin would exceed the session budget."


class BatchDeadlineExceeded(DomainError):
    """A v2 batch ran past SESSION_BATCH_DEADLINE_SECONDS: it rolled back as a whole, so the worker
    answers instead of being killed by the gunicorn timeout mid-transaction."""
    code = "BATCH_DEADLINE_EXCEEDED"
    status_code = 503
    default_message = "The batch did not finish within the server's deadline; nothing was applied. Send fewer actions."


class BatchActionFailed(DomainError):
    """Wraps the error of one action in a v2 batch: the batch rolled back as a whole."""

    def __init__(self, *, index: int, error: DomainError):
        self.code = error.code
        self.status_code = error.status_code
        super().__init__(f"Action {index} failed: {error.message}",
                         details={"failed_index": index, **error.details})
