"""OpenAPI additions shared by every endpoint: bearer auth, error bodies, Idempotency-Key."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_V1 = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details", "request_id"],
            "properties": {
                "code": {"type": "string", "example": "INSUFFICIENT_BALANCE"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
                "request_id": {"type": "string"},
            },
        }
    },
}

PROBLEM_V2 = {
    "type": "object",
    "description": "RFC 9457 problem details, plus a stable `code` and the `request_id`.",
    "required": ["type", "title", "status", "detail", "instance", "code", "request_id"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "example": "INSUFFICIENT_BALANCE"},
        "request_id": {"type": "string"},
        "details": {"type": "object", "additionalProperties": True},
    },
}

COMMON_ERRORS = {
    "400": "Validation error, malformed JSON or invalid amount",
    "401": "Missing, malformed, unknown, revoked or expired token",
    "403": "The token's role does not allow this",
    "404": "Unknown id (or another owner's)",
    "405": "Method not allowed",
    "429": "Rate limit exceeded (see Retry-After)",
    "500": "Internal error (no details leaked)",
}
POST_ERRORS = {
    "409": "State conflict or Idempotency-Key in use",
    "415": "Unsupported media type",
    "422": "Business rule refused (balance, limits) or Idempotency-Key reused with another body",
}

IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": ("1-255 printable characters, scoped to your token. A repeat with the same body replays the "
                    "first response (header `Idempotent-Replayed: true`); another body gives 422 "
                    "IDEMPOTENCY_KEY_REUSED; a repeat while the first runs gives 409 IDEMPOTENCY_KEY_IN_USE. "
                    "Without a key, every POST is a new request. Keys expire after 24 h."),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "ar_<prefix>_<secret>"}


def add_error_responses_and_headers(result, generator, request, public):
    version = getattr(generator, "api_version", None) or "v1"
    is_v2 = version == "v2"
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_V1
    schemas["Problem"] = PROBLEM_V2
    ref = {"$ref": "#/components/schemas/Problem" if is_v2 else "#/components/schemas/Error"}
    media = "application/problem+json" if is_v2 else "application/json"
    # Routes accept an optional trailing slash; document the canonical form without it.
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result.get("paths", {}).items()}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            errors = dict(COMMON_ERRORS)
            if method == "post":
                errors.update(POST_ERRORS)
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params):
                    params.append(IDEMPOTENCY_PARAMETER)
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses.setdefault(status, {"description": description, "content": {media: {"schema": ref}}})
    return result
