"""core.outbound without a server under test: which addresses are public, and what the pinned request says."""
import contextlib
import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core import outbound


@pytest.mark.parametrize("address, public", [
    ("8.8.8.8", True), ("2606:4700::1111", True), ("::ffff:8.8.8.8", True), ("2002:808:808::1", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("255.255.255.255", False), ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False),
    ("ff02::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("::127.0.0.1", False),
    ("2002:7f00:1::", False), ("2002:a9fe:a9fe::", False), ("64:ff9b::7f00:1", False), ("64:ff9b::a00:1", False),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo wrapping 127.0.0.1
])
def test_public_addresses(address, public):
    assert outbound.is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("url, reason", [
    ("ftp://example.com/x", "scheme"), ("http://user:pw@example.com/", "credentials"), ("http:///x", "malformed"),
    ("http://example.com:99999/", "malformed"), ("http://127.0.0.1/", "private_address"),
    ("http://no-such-host.invalid/", "unresolvable"),
])
def test_refusals_name_their_reason(url, reason):
    with pytest.raises(outbound.OutboundRefused) as refused:
        outbound.resolve_target(url, allow_private=False)
    assert refused.value.reason == reason


@contextlib.contextmanager
def _serving(handler):
    """A plain HTTP server on 127.0.0.1 (a free port) for the duration of the block; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_request_goes_to_the_checked_address_under_the_original_name():
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen["host"] = self.headers["Host"]
            seen["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(201)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    with _serving(Handler) as port:
        target = outbound.resolve_target(f"http://localhost:{port}/hook?x=1", allow_private=True)
        assert target.pinned_url in (f"http://127.0.0.1:{port}/hook?x=1", f"http://[::1]:{port}/hook?x=1")
        response = outbound.post(f"http://localhost:{port}/hook", content=b"{}", headers={}, timeout=5,
                                 allow_private=True)
    assert response.status_code == 201 and response.content == b"ok"
    assert seen == {"host": f"localhost:{port}", "body": b"{}"}


def test_an_oversized_answer_is_unreachable():
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b"x" * 5000)

        def log_message(self, *args):
            pass

    with _serving(Handler) as port, pytest.raises(outbound.OutboundUnreachable) as failure:
        outbound.post(f"http://127.0.0.1:{port}/", content=b"{}", headers={}, timeout=5, allow_private=True,
                      max_response_bytes=1000)
    assert str(failure.value) == outbound.UNREACHABLE_MESSAGE
