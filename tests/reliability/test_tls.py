"""TLS: gunicorn serves HTTPS with the generated certificate; in production plain HTTP redirects."""
import ssl
import subprocess

import pytest

from tests.reliability.servers import ROOT, Gunicorn, http_request, server_env


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    out = tmp_path_factory.mktemp("certs")
    subprocess.run(["bash", str(ROOT / "scripts" / "gen_selfsigned_cert.sh"), str(out), "2"], check=True,
                   capture_output=True, timeout=60)
    return str(out / "server.crt"), str(out / "server.key")


@pytest.fixture(scope="module")
def tls_server(cert, tmp_path_factory):
    certfile, keyfile = cert
    server = Gunicorn(env=server_env(), workers=1, certfile=certfile, keyfile=keyfile)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def production_server(cert, tmp_path_factory):
    certfile, keyfile = cert
    env = server_env(DJANGO_ENV="production", SECRET_KEY="reliability-test-secret-key-0123456789abcdef",
                      ALLOWED_HOSTS="127.0.0.1,localhost", DEBUG="false")
    plain = Gunicorn(env=env, workers=1)
    secure = Gunicorn(env=env, workers=1, certfile=certfile, keyfile=keyfile)
    yield plain, secure
    plain.stop()
    secure.stop()


def test_tls_health_over_https_verifies_against_generated_cert(tls_server, cert):
    status, body, headers = http_request(tls_server.port, "GET", "/health", scheme="https", cafile=cert[0])
    assert status == 200 and b'"ok"' in body
    assert headers.get("x-request-id")


def test_tls_rejects_client_that_does_not_trust_the_cert(tls_server):
    with pytest.raises(ssl.SSLCertVerificationError):
        http_request(tls_server.port, "GET", "/health", scheme="https")  # system CAs only


def test_tls_plain_http_to_tls_port_gets_no_api_response(tls_server):
    try:
        status, _, _ = http_request(tls_server.port, "GET", "/health")
    except (ConnectionError, OSError):
        return  # gunicorn drops a non-TLS handshake
    assert status == 400  # or answers it with a bare 400, never with the API


def test_tls_production_plain_http_api_path_redirects_to_https(production_server):
    plain, _ = production_server
    status, _, headers = http_request(plain.port, "GET", "/api/v1/me")
    assert status == 301
    assert headers["location"] == f"https://127.0.0.1:{plain.port}/api/v1/me"
    status, _, _ = http_request(plain.port, "POST", "/api/a2a/casino", {"message": {}})
    assert status == 301


def test_tls_production_health_is_exempt_from_redirect(production_server):
    # Load balancer / orchestrator probes speak plain HTTP to the instance (SECURE_REDIRECT_EXEMPT ^health).
    plain, _ = production_server
    status, body, _ = http_request(plain.port, "GET", "/health")
    assert status == 200 and b'"ok"' in body


def test_tls_production_forwarded_proto_from_local_proxy_is_not_redirected(production_server):
    plain, _ = production_server
    status, body, _ = http_request(plain.port, "GET", "/api/v1/me", headers={"X-Forwarded-Proto": "https"})
    assert status == 401 and b"UNAUTHENTICATED" in body


def test_tls_production_https_serves_api_with_hsts(production_server, cert):
    _, secure = production_server
    status, body, headers = http_request(secure.port, "GET", "/api/v1/me", scheme="https", cafile=cert[0])
    assert status == 401 and b"UNAUTHENTICATED" in body
    assert headers["strict-transport-security"].startswith("max-age=31536000")
