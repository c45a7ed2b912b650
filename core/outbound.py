"""Outbound HTTP to addresses that users choose (webhooks, remote engines): the one SSRF guard.

- Only http(s) URLs without credentials.
- The host is resolved once; every address it resolves to must be public (not loopback, private,
  link-local, unspecified, multicast, reserved, shared, nor an IPv4-mapped, IPv4-compatible, 6to4,
  NAT64 or Teredo form of one). The request then goes to that checked address, with the original
  name in the Host header and the TLS SNI (certificates are verified against the name). There is no
  second lookup, so DNS rebinding between check and connect cannot reach inside.
- Redirects are never followed: a 3xx could point anywhere.
- Every connection failure (refused, timeout, TLS, reset, malformed answer) reads the same, so the
  error text cannot be used to scan ports behind the server.

``allow_private`` (a per-purpose setting, off by default) lifts only the address check, for
development and tests against local servers; the single lookup and the pinned connect still apply.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

UNREACHABLE_MESSAGE = "the target could not be reached"
MAX_RESPONSE_BYTES = 1_048_576

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class OutboundRefused(Exception):
    """The URL or the address it resolves to is not allowed. ``reason`` is a stable short code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


class OutboundUnreachable(Exception):
    """Any failure to get an answer. Deliberately says nothing about why."""

    def __init__(self) -> None:
        super().__init__(UNREACHABLE_MESSAGE)


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (and that a gateway may deliver it to)."""
    if address.version == 4:
        return []
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _IPV4_COMPATIBLE or any(address in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _plainly_public(address: IPAddress) -> bool:
    return address.is_global and not (address.is_private or address.is_loopback or address.is_link_local
                                      or address.is_multicast or address.is_reserved or address.is_unspecified)


def is_public_address(address: IPAddress) -> bool:
    """True only for a globally routable unicast address that embeds no non-public IPv4 address."""
    if address.version == 6 and (address in _IPV4_COMPATIBLE or address.ipv4_mapped is not None):
        # ::a.b.c.d and ::ffff:a.b.c.d are the IPv4 address itself as far as a socket is concerned.
        return all(_plainly_public(v4) for v4 in _embedded_ipv4(address))
    return _plainly_public(address) and all(_plainly_public(v4) for v4 in _embedded_ipv4(address))


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to call it (``hostname``, ``host_header``)."""
    scheme: str
    hostname: str
    port: int
    address: IPAddress
    host_header: str
    path: str

    @property
    def pinned_url(self) -> str:
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{self.scheme}://{literal}:{self.port}{self.path}"


def check_url_shape(url: str) -> tuple[str, str, int, str, str]:
    """(scheme, hostname, port, host header, path+query) of an http(s) URL without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused("malformed", "The URL is malformed.") from exc
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("scheme", "Only http and https URLs are allowed.")
    if not parts.hostname:
        raise OutboundRefused("malformed", "The URL has no host.")
    if parts.username or parts.password:
        raise OutboundRefused("credentials", "Put no credentials in the URL.")
    if any(ch in url for ch in "\r\n\t ") or "%" in parts.hostname:
        raise OutboundRefused("malformed", "The URL is malformed.")
    default_port = 443 if parts.scheme == "https" else 80
    hostname = parts.hostname
    host_literal = f"[{hostname}]" if ":" in hostname else hostname
    host_header = host_literal if port in (None, default_port) else f"{host_literal}:{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, hostname, port or default_port, host_header, path


def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Check ``url`` and resolve its host once. Raises OutboundRefused."""
    scheme, hostname, port, host_header, path = check_url_shape(url)
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused("unresolvable", "The host does not resolve.") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise OutboundRefused("unresolvable", "The host does not resolve.")
    if not allow_private and not all(is_public_address(address) for address in addresses):
        raise OutboundRefused("private_address", "The host resolves to a loopback, private, link-local or "
                              "otherwise non-public address.")
    return Target(scheme=scheme, hostname=hostname, port=port, address=addresses[0], host_header=host_header,
                  path=path)


@dataclass(frozen=True)
class OutboundResponse:
    status_code: int
    content: bytes


def post(url: str, *, content: bytes, headers: dict[str, str], timeout: float, allow_private: bool,
         max_response_bytes: int = MAX_RESPONSE_BYTES) -> OutboundResponse:
    """POST ``content`` to the address ``url`` resolves to, checked. Any status is returned as is (a 3xx
    is not followed). Raises OutboundRefused (URL or address not allowed) or OutboundUnreachable (no
    answer, or an answer larger than ``max_response_bytes``)."""
    target = resolve_target(url, allow_private=allow_private)
    sent = {**headers, "Host": target.host_header}
    extensions = {"sni_hostname": target.hostname} if target.scheme == "https" else {}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            request = client.build_request("POST", target.pinned_url, content=content, headers=sent,
                                           extensions=extensions)
            response = client.send(request, stream=True)
            try:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_response_bytes:
                        raise OutboundUnreachable()
            finally:
                response.close()
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        raise OutboundUnreachable() from exc
    return OutboundResponse(status_code=response.status_code, content=bytes(body))
