import io
import logging
import re
import time

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream

from core.errors import error_response
from core.request_context import accept_request_id, reset_request_id, set_request_id
from core.tracing import tag_current_span

access_logger = logging.getLogger("core.access")
error_logger = logging.getLogger("core.errors")
_BATCH_PATH = re.compile(r"^/api/v2/sessions/[0-9]+/actions/?$")
# The A2A endpoints answer in their own envelope and refuse bodies above their own, smaller limit
# (games_app.casino.inputs.MAX_BODY_BYTES, 64 KiB) the same way: from Content-Length, before reading.
_OWN_BODY_LIMIT_PATHS = ("/api/a2a/", "/a2a/")


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


class RequestLimitsMiddleware:
    """Checks every request before anything reads or parses it (one place for each class of input):

    - the body: at most `API_MAX_BODY_BYTES` (default 1 MB), or `API_MAX_BATCH_BODY_BYTES` on a v2
      batch; a larger Content-Length is a 413 without reading a byte. DRF parsers read the stream
      themselves, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never applied to them. A chunked body
      (no Content-Length) is read here, at most limit + 1 bytes, and handed on as a sized stream;
    - the query string: a NUL character in any parameter name or value is a 400 naming the
      parameter (PostgreSQL text cannot hold one; the query answered 500).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self._check_query(request) or self._check_body(request)
        return refusal or self.get_response(request)

    @staticmethod
    def _limit_for(path: str) -> int:
        if _BATCH_PATH.match(path):
            return settings.API_MAX_BATCH_BODY_BYTES
        return settings.API_MAX_BODY_BYTES

    def _check_body(self, request):
        if request.path.startswith(_OWN_BODY_LIMIT_PATHS):
            return None
        limit = self._limit_for(request.path)
        declared = request.META.get("CONTENT_LENGTH")
        if declared:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                return error_response(path=request.path, status=400, code="MALFORMED_REQUEST",
                                      message="Content-Length is not a valid length.")
            if length > limit:
                return self._too_large(request, limit)
            return None
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = request.META["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return self._too_large(request, limit)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return None

    @staticmethod
    def _too_large(request, limit: int):
        return error_response(path=request.path, status=413, code="REQUEST_TOO_LARGE",
                              message=f"The request body is larger than {limit} bytes.",
                              details={"max_bytes": limit}, headers={"Connection": "close"})

    @staticmethod
    def _check_query(request):
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                field = name.replace("\x00", "\\x00")
                return error_response(path=request.path, status=400, code="VALIDATION_ERROR",
                                      message="Query parameters may not contain the NUL character.",
                                      details={"field": field, "fields": {field: ["NUL character not allowed."]}})
        return None
