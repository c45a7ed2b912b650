"""Regression tests for defects the reliability tests (schemathesis, fuzz, real servers) found."""
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_ratelimit_anonymous_request_without_remote_addr_is_not_500():
    # gunicorn behind a proxy on a Unix socket passes an empty REMOTE_ADDR.
    client = Client(REMOTE_ADDR="")
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHENTICATED"
    response = client.post("/api/a2a/casino", {"message": {"content": {"action": "info"}}},
                           content_type="application/json")
    assert response.status_code == 200
