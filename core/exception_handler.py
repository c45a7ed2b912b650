"""The single mapping of exceptions to HTTP for the API (DRF EXCEPTION_HANDLER)."""
import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions as drf
from rest_framework.response import Response

from core import metrics
from core.errors import error_body
from core.exceptions import DomainError

logger = logging.getLogger("core.errors")

_DRF_CODES: list[tuple[type, str]] = [
    (drf.ParseError, "MALFORMED_REQUEST"),
    (drf.UnsupportedMediaType, "MALFORMED_REQUEST"),
    (drf.NotAuthenticated, "UNAUTHENTICATED"),
    (drf.AuthenticationFailed, "UNAUTHENTICATED"),
    (drf.PermissionDenied, "FORBIDDEN"),
    (drf.NotFound, "NOT_FOUND"),
    (drf.MethodNotAllowed, "METHOD_NOT_ALLOWED"),
    (drf.NotAcceptable, "NOT_ACCEPTABLE"),
    (drf.Throttled, "RATE_LIMITED"),
    (drf.ValidationError, "VALIDATION_ERROR"),
]


def _describe(exc: Exception) -> tuple[int, str, str, dict, dict]:
    """Return (status, code, message, details, headers) for any exception."""
    if isinstance(exc, DomainError):
        return exc.status_code, exc.code, exc.message, exc.details, {}
    if isinstance(exc, Http404):
        return 404, "NOT_FOUND", "Not found.", {}, {}
    if isinstance(exc, Ratelimited):
        return 429, "RATE_LIMITED", "Rate limit exceeded.", {}, {"Retry-After": "60"}
    if isinstance(exc, DjangoPermissionDenied):
        return 403, "FORBIDDEN", "You do not have permission to perform this action.", {}, {}
    if isinstance(exc, drf.APIException):
        code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "API_ERROR")
        headers: dict[str, str] = {}
        details: dict = {}
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else "The request is invalid."
        if isinstance(exc, drf.ValidationError):
            details = {"fields": exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}}
        if isinstance(exc, drf.Throttled):
            wait = math.ceil(exc.wait or 1)
            headers["Retry-After"] = str(wait)
            details = {"retry_after": wait}
            message = "Rate limit exceeded."
        return exc.status_code, code, message, details, headers
    return 500, "INTERNAL_ERROR", "An internal error occurred.", {}, {}


def api_exception_handler(exc, context):
    status, code, message, details, headers = _describe(exc)
    if status >= 500 and not isinstance(exc, DomainError):
        logger.exception("unhandled error", exc_info=exc)
    metrics.API_ERRORS.labels(code=code).inc()
    request = context.get("request")
    path = request.path if request is not None else ""
    body, content_type = error_body(path=path, status=status, code=code, message=message, details=details)
    response = Response(body, status=status, headers=headers, content_type=content_type)
    return response
