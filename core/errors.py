"""One place that renders an error body: v1 envelope or v2 RFC 9457 problem+json."""
import json
from http import HTTPStatus
from typing import Any

from django.http import HttpResponse

from core.request_context import get_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://agent-royale.dev/errors/"


def is_v2_path(path: str) -> bool:
    return path.startswith("/api/v2/")


def error_body(*, path: str, status: int, code: str, message: str, details: dict[str, Any] | None) -> tuple[dict, str]:
    request_id = get_request_id()
    if is_v2_path(path):
        body = {
            "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": message,
            "instance": path,
            "code": code,
            "request_id": request_id,
            "details": details or {},
        }
        return body, PROBLEM_CONTENT_TYPE
    return {"error": {"code": code, "message": message, "details": details or {}, "request_id": request_id}}, "application/json"


def error_response(*, path: str, status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> HttpResponse:
    """A plain Django response, for errors raised outside DRF views (middleware, 404/500 handlers)."""
    body, content_type = error_body(path=path, status=status, code=code, message=message, details=details)
    response = HttpResponse(json.dumps(body), status=status, content_type=content_type)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
