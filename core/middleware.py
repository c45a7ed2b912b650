import logging
import time

from core.errors import error_response
from core.request_context import accept_request_id, reset_request_id, set_request_id
from core.tracing import tag_current_span

access_logger = logging.getLogger("core.access")
error_logger = logging.getLogger("core.errors")


class RequestIdMiddleware:
    """Accept a sane client `X-Request-ID` or generate one; expose it to logs, spans and responses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accept_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = set_request_id(request_id)
        tag_current_span("request_id", request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


class AccessLogMiddleware:
    """One JSON log line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        api_token = getattr(request, "api_token", None)
        access_logger.info("request", extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "token_prefix": api_token.prefix if api_token else None,
        })
        return response


class ApiErrorMiddleware:
    """Under /api/, Django's own 404/405 pages and unhandled exceptions become structured errors."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith("/api/") and response.status_code in (404, 405)
                and "json" not in response.get("Content-Type", "")):
            code = "NOT_FOUND" if response.status_code == 404 else "METHOD_NOT_ALLOWED"
            message = "Not found." if response.status_code == 404 else "Method not allowed."
            return error_response(path=request.path, status=response.status_code, code=code, message=message)
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        error_logger.exception("unhandled error", exc_info=exception)
        return error_response(path=request.path, status=500, code="INTERNAL_ERROR",
                              message="An internal error occurred.")
