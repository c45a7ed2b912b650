"""Webhook plumbing without the database: URL policy (SSRF guard), signing, the HTTP post.

The URL is checked at registration and again before every attempt, because DNS can change in between
(rebinding). Redirects are never followed: a 3xx could point the request at an internal address.
"""
import hashlib
import hmac
import ipaddress
import json
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from rl_app.exceptions import WebhookUrlRefused

SIGNATURE_HEADER = "X-Royale-Signature"
PREVIOUS_SIGNATURE_HEADER = "X-Royale-Signature-Previous"
TIMEOUT_SECONDS = 5.0
MAX_ERROR_CHARS = 500


def allow_private_targets() -> bool:
    return bool(getattr(settings, "RL_WEBHOOKS_ALLOW_PRIVATE", False))


def _refuse(reason: str, message: str, **details) -> WebhookUrlRefused:
    return WebhookUrlRefused(message, details={"field": "url", "reason": reason, **details})


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not (address.is_private or address.is_loopback or address.is_link_local
                                      or address.is_multicast or address.is_reserved or address.is_unspecified)


def webhook_url_check(url: str) -> None:
    """Raise WebhookUrlRefused unless `url` is http(s) without credentials and every address its host resolves
    to is public. With settings.RL_WEBHOOKS_ALLOW_PRIVATE only the scheme and shape are checked."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refuse("malformed", "The webhook URL is malformed.") from exc
    if parts.scheme not in ("http", "https"):
        raise _refuse("scheme", "Only http and https webhook URLs are allowed.", scheme=parts.scheme)
    if not parts.hostname:
        raise _refuse("malformed", "The webhook URL has no host.")
    if parts.username or parts.password:
        raise _refuse("credentials", "Put no credentials in the webhook URL; verify the signature instead.")
    if allow_private_targets():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _refuse("unresolvable", "The webhook host does not resolve.", host=parts.hostname) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not _is_public(address):
            raise _refuse("private_address", "The webhook host resolves to a private, loopback, link-local or "
                          "reserved address.", host=parts.hostname, address=str(address))


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
    """POST once. 2xx is success; network errors, 408, 429 and 5xx are retryable; other answers are final.
    With ``previous_secret`` (a rotation's grace period) the body is also signed with it."""
    try:
        webhook_url_check(url)
    except WebhookUrlRefused as exc:
        return PostResult(ok=False, retryable=False, status_code=None, error=f"refused: {exc.details.get('reason')}")
    all_headers = {"Content-Type": "application/json", "User-Agent": "agent-royale-webhooks/1",
                   SIGNATURE_HEADER: sign(secret, body), **headers}
    if previous_secret:
        all_headers[PREVIOUS_SIGNATURE_HEADER] = sign(previous_secret, body)
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
            response = client.post(url, content=body, headers=all_headers)
    except httpx.HTTPError as exc:
        return PostResult(ok=False, retryable=True, status_code=None, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
    if 200 <= response.status_code < 300:
        return PostResult(ok=True, retryable=False, status_code=response.status_code, error="")
    retryable = response.status_code in (408, 429) or response.status_code >= 500
    return PostResult(ok=False, retryable=retryable, status_code=response.status_code,
                      error=f"HTTP {response.status_code}: {response.text[:200]}"[:MAX_ERROR_CHARS])
