import pytest
from django.test import override_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _assert_v1(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == response["X-Request-ID"]
    assert isinstance(body["error"]["message"], str) and isinstance(body["error"]["details"], dict)
    return body["error"]


def _assert_v2(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance", "code", "request_id"} <= set(body)
    assert body["status"] == status and body["code"] == code
    assert body["request_id"] == response["X-Request-ID"]
    return body


@pytest.mark.parametrize("version,check", [("v1", _assert_v1), ("v2", _assert_v2)])
def test_validation_error_has_field_details(version, check, admin_client_api):
    response = admin_client_api.post(f"/api/{version}/tokens", {"role": "wizard"}, format="json")
    body = check(response, 400, "VALIDATION_ERROR")
    fields = body["details"]["fields"]
    assert "name" in fields and "role" in fields


@pytest.mark.parametrize("version,check", [("v1", _assert_v1), ("v2", _assert_v2)])
def test_malformed_json_is_400(version, check, admin_client_api):
    response = admin_client_api.post(f"/api/{version}/tokens", data=b'{"name": ', content_type="application/json")
    check(response, 400, "MALFORMED_REQUEST")


@pytest.mark.parametrize("version,check", [("v1", _assert_v1), ("v2", _assert_v2)])
def test_unsupported_media_type_is_415(version, check, admin_client_api):
    response = admin_client_api.post(f"/api/{version}/tokens", data=b"name=x", content_type="application/x-www-form-urlencoded")
    check(response, 415, "MALFORMED_REQUEST")


@pytest.mark.parametrize("version,check", [("v1", _assert_v1), ("v2", _assert_v2)])
def test_unknown_path_is_404(version, check, agent_client):
    check(agent_client.get(f"/api/{version}/no-such-thing"), 404, "NOT_FOUND")


@pytest.mark.parametrize("version,check", [("v1", _assert_v1), ("v2", _assert_v2)])
def test_unknown_id_is_404(version, check, admin_client_api):
    check(admin_client_api.post(f"/api/{version}/tokens/abcdef12/revoke"), 404, "NOT_FOUND")


@pytest.mark.parametrize("version,check", [("v1", _assert_v1), ("v2", _assert_v2)])
def test_wrong_method_is_405(version, check, agent_client):
    check(agent_client.delete(f"/api/{version}/me"), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("version,check", [("v1", _assert_v1), ("v2", _assert_v2)])
def test_missing_token_is_401_and_forbidden_is_403(version, check, agent_client):
    check(APIClient().get(f"/api/{version}/me"), 401, "UNAUTHENTICATED")
    check(agent_client.post(f"/api/{version}/tokens", {"name": "x"}, format="json"), 403, "FORBIDDEN")


@pytest.mark.parametrize("version,check", [("v1", _assert_v1), ("v2", _assert_v2)])
def test_unhandled_exception_is_500_without_stack_trace(version, check, admin_client_api, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr("core.apis.token_create", explode)
    client = admin_client_api
    client.raise_request_exception = False
    response = client.post(f"/api/{version}/tokens", {"name": "x"}, format="json")
    body = check(response, 500, "INTERNAL_ERROR")
    assert b"secret internals" not in response.content and b"Traceback" not in response.content
    assert body is not None


@override_settings(DEBUG=False)
def test_trailing_slash_is_optional(agent_client):
    assert agent_client.get("/api/v1/me").status_code == 200
    assert agent_client.get("/api/v1/me/").status_code == 200
