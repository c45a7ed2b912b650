import pytest
import time_machine
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_token_rate_limit_429_then_allowed_after_window(client_for):
    client = client_for("agent", rate_limit="3/m")
    with time_machine.travel("2026-01-01 00:00:00", tick=False) as clock:
        statuses = [client.get("/api/v1/me").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        limited = client.get("/api/v1/me")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "RATE_LIMITED"
        retry_after = int(limited["Retry-After"])
        assert 1 <= retry_after <= 60
        v2 = client.get("/api/v2/me")
        assert v2.status_code == 429 and v2.json()["code"] == "RATE_LIMITED"
        clock.shift(retry_after + 1)
        assert client.get("/api/v1/me").status_code == 200


def test_each_token_has_its_own_budget(client_for):
    first = client_for("agent", rate_limit="2/m")
    second = client_for("agent", rate_limit="2/m")
    with time_machine.travel("2026-01-01 00:00:00", tick=False):
        assert [first.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]
        assert second.get("/api/v1/me").status_code == 200


def test_anonymous_requests_are_limited_per_ip(settings):
    settings.ANON_RATE_LIMIT = "2/m"
    with time_machine.travel("2026-01-01 00:00:00", tick=False):
        client = APIClient(REMOTE_ADDR="10.0.0.7")
        # /me needs a token: the anonymous budget is spent by the throttle before the 401.
        codes = [client.get("/api/v1/schema/").status_code for _ in range(3)]
        other_ip = APIClient(REMOTE_ADDR="10.0.0.8").get("/api/v1/schema/")
    assert codes[:2] == [200, 200] and codes[2] == 429
    assert other_ip.status_code == 200
