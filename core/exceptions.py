"""Domain errors: every service raises one of these; `core.exception_handler` maps them to HTTP.

Each class carries a stable `code` (part of the public contract) and an HTTP status.
"""
from typing import Any


class DomainError(Exception):
    code = "DOMAIN_ERROR"
    status_code = 422
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"
    status_code = 400
    default_message = "The request is invalid."


class InvalidAmount(DomainError):
    code = "INVALID_AMOUNT"
    status_code = 400
    default_message = "The amount is not a valid positive decimal string."


class NotFound(DomainError):
    code = "NOT_FOUND"
    status_code = 404
    default_message = "Not found."


class Forbidden(DomainError):
    code = "FORBIDDEN"
    status_code = 403
    default_message = "Your role does not allow this operation."


class Conflict(DomainError):
    code = "CONFLICT"
    status_code = 409
    default_message = "The request conflicts with the current state."


class IdempotencyKeyInvalid(DomainError):
    code = "IDEMPOTENCY_KEY_INVALID"
    status_code = 400
    default_message = "Idempotency-Key must be 1-255 printable ASCII characters."


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    status_code = 422
    default_message = "This Idempotency-Key was already used with a different request."


class IdempotencyKeyInUse(DomainError):
    code = "IDEMPOTENCY_KEY_IN_USE"
    status_code = 409
    default_message = "A request with this Idempotency-Key is still being processed."


class InvariantViolation(DomainError):
    code = "INVARIANT_VIOLATION"
    status_code = 500
    default_message = "An internal consistency check failed; nothing was changed."
