"""Webhook plumbing without the database: URL policy, signing, the HTTP post.

The URL is checked at registration and again on every attempt by the one outbound guard
(`core.outbound`): a single lookup, every address public, the connection made to the checked
address, no redirects, one generic error for any connection failure.
"""
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings

from core import outbound
from rl_app.exceptions import WebhookUrlRefused

SIGNATURE_HEADER = "X-Royale-Signature"
PREVIOUS_SIGNATURE_HEADER = "X-Royale-Signature-Previous"
TIMEOUT_SECONDS = 5.0
MAX_ERROR_CHARS = 500


def allow_private_targets() -> bool:
    return bool(getattr(settings, "RL_WEBHOOKS_ALLOW_PRIVATE", False))


def webhook_url_check(url: str) -> None:
    """Raise WebhookUrlRefused unless `url` is http(s) without credentials and every address its host resolves
    to is public. With settings.RL_WEBHOOKS_ALLOW_PRIVATE only the scheme, shape and resolution are checked."""
    try:
        outbound.resolve_target(url, allow_private=allow_private_targets())
    except outbound.OutboundRefused as exc:
        raise WebhookUrlRefused(f"Webhook URL refused: {exc.message}",
                                details={"field": "url", "reason": exc.reason}) from None


def sign(secret: str, body: bytes) -> str:
    """The header value receivers check: `sha256=` + hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode_body(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


@dataclass(frozen=True)
class PostResult:
    ok: bool
    retryable: bool
    status_code: int | None
    error: str


def post_signed(*, url: str, secret: str, body: bytes, headers: dict[str, str], previous_secret: str = "") -> PostResult:
    """POST once, to the address checked for this attempt. 2xx is success; no answer, 408, 429 and 5xx are
    retryable; other answers (3xx included: redirects are not followed) are final. With ``previous_secret``
    (a rotation's grace period) the body is also signed with it. The recorded error never carries the
    receiver's body or the transport's own text."""
    all_headers = {"Content-Type": "application/json", "User-Agent": "agent-royale-webhooks/1",
                   SIGNATURE_HEADER: sign(secret, body), **headers}
    if previous_secret:
        all_headers[PREVIOUS_SIGNATURE_HEADER] = sign(previous_secret, body)
    try:
        response = outbound.post(url, content=body, headers=all_headers, timeout=TIMEOUT_SECONDS,
                                  allow_private=allow_private_targets(), max_response_bytes=65_536)
    except outbound.OutboundRefused as exc:
        return PostResult(ok=False, retryable=False, status_code=None, error=f"refused: {exc.reason}")
    except outbound.OutboundUnreachable as exc:
        return PostResult(ok=False, retryable=True, status_code=None, error=f"unreachable: {exc}")
    if 200 <= response.status_code < 300:
        return PostResult(ok=True, retryable=False, status_code=response.status_code, error="")
    retryable = response.status_code in (408, 429) or response.status_code >= 500
    return PostResult(ok=False, retryable=retryable, status_code=response.status_code,
                      error=f"HTTP {response.status_code}")
