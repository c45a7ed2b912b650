import json
import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_request_id_is_echoed_when_sane(agent_client):
    response = agent_client.get("/api/v1/me", HTTP_X_REQUEST_ID="client-abc.123")
    assert response["X-Request-ID"] == "client-abc.123"


@pytest.mark.parametrize("bad", ["has spaces", "x" * 200, "inject\nnewline", "<script>"])
def test_insane_request_id_is_replaced(agent_client, bad):
    response = agent_client.get("/api/v1/me", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 32


def test_error_body_carries_the_request_id(agent_client):
    response = agent_client.get("/api/v1/nope", HTTP_X_REQUEST_ID="trace-me-1")
    assert response.json()["error"]["request_id"] == "trace-me-1"


def test_access_log_is_one_json_line_with_request_fields(agent_client, caplog):
    handler_formatter = logging.getLogger().handlers[0].formatter
    with caplog.at_level(logging.INFO, logger="core.access"):
        agent_client.get("/api/v1/me", HTTP_X_REQUEST_ID="log-line-1")
    records = [r for r in caplog.records if r.name == "core.access"]
    assert len(records) == 1
    line = json.loads(handler_formatter.format(records[0]))
    assert line["request_id"] == "log-line-1"
    assert line["method"] == "GET" and line["path"] == "/api/v1/me" and line["status"] == 200
    assert line["token_prefix"] == agent_client.token.prefix
    assert isinstance(line["duration_ms"], float)


def test_metrics_exposes_django_http_requests(agent_client):
    agent_client.get("/api/v1/me")
    response = Client().get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text or "django_http_requests_total" in text
    assert "royale_api_errors_total" in text
