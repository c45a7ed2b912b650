"""The one strict JSON reader for request bodies (DRF views through core.parsers, and the plain
Django views that read JSON themselves).

What it refuses, each as `BodyRejected` (the callers turn it into their 400):
- not UTF-8, not JSON, NaN / Infinity literals or numbers too large for a float;
- nesting deeper than `API_MAX_JSON_DEPTH` (default 32; the json module would otherwise recurse
  until RecursionError, a 500);
- a NUL character or an unpaired surrogate in any string or key: PostgreSQL text and jsonb cannot
  store either, and a value that cannot be stored must be refused before anything is written.
The size limit is not here: `core.middleware.RequestLimitsMiddleware` applies it before any read.
"""
import json
import math
from decimal import Decimal
from typing import Any

from django.conf import settings


class BodyRejected(ValueError):
    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.message, self.reason = message, reason


def _reject_constant(name: str):
    raise BodyRejected(f"{name} is not valid JSON.", reason="not_json")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRejected("A number is too large.", reason="number_out_of_range")
    return value


def max_depth() -> int:
    return getattr(settings, "API_MAX_JSON_DEPTH", 32)


def unsafe_text(text: str) -> str | None:
    """Why `text` cannot be stored ('nul' or 'surrogate'), or None when it can."""
    if "\x00" in text:
        return "nul"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate"
    return None


def check_value(value: Any, *, depth_limit: int | None = None) -> None:
    """Walk a decoded JSON value without recursion: depth, and every string and key storable."""
    limit = max_depth() if depth_limit is None else depth_limit
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limit:
                raise BodyRejected(f"The JSON nests deeper than {limit} levels.", reason="too_deep")
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > limit:
                raise BodyRejected(f"The JSON nests deeper than {limit} levels.", reason="too_deep")
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    problem = unsafe_text(text)
    if problem == "nul":
        raise BodyRejected("Strings may not contain the NUL character (\\u0000).", reason="nul_character")
    if problem == "surrogate":
        raise BodyRejected("Strings may not contain an unpaired UTF-16 surrogate.", reason="unpaired_surrogate")


def loads(body: bytes | str, *, exact_numbers: bool = False) -> Any:
    """Decode a request body. `exact_numbers`: JSON numbers with a fraction or exponent become
    Decimal (for money) instead of float."""
    try:
        text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
    except UnicodeDecodeError:
        raise BodyRejected("The body is not valid UTF-8.", reason="not_utf8") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant,
                           parse_float=Decimal if exact_numbers else _finite_float)
    except RecursionError:
        raise BodyRejected(f"The JSON nests deeper than {max_depth()} levels.", reason="too_deep") from None
    except BodyRejected:
        raise
    except ValueError as exc:  # JSONDecodeError, and int() of more than 4300 digits
        raise BodyRejected(f"The body is not valid JSON: {exc}", reason="not_json") from None
    check_value(value)
    return value
