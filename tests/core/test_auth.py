from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken
from core.services import hash_token_secret

pytestmark = pytest.mark.django_db


def _get_me(raw: str | None, header: str | None = None, version: str = "v1"):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    elif raw is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client.get(f"/api/{version}/me")


def test_token_is_stored_hashed_with_visible_prefix(make_token):
    token, raw = make_token("agent")
    assert raw.startswith(f"ar_{token.prefix}_")
    assert token.key_hash == hash_token_secret(raw)
    assert raw not in {f.value_from_object(token) for f in ApiToken._meta.fields if isinstance(f.value_from_object(token), str)}


def test_me_returns_calling_token(make_token):
    token, raw = make_token("operator", name="ops")
    response = _get_me(raw)
    assert response.status_code == 200
    assert response.json()["role"] == "operator"
    assert response.json()["prefix"] == token.prefix
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer garbage", "Bearer ar_deadbeef_nope", "Token abc", "Basic dXNlcjpwYXNz"])
def test_missing_malformed_unknown_token_is_401(header, make_token):
    make_token("agent")
    response = _get_me(None, header=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


def test_wrong_secret_with_real_prefix_is_401(make_token):
    token, raw = make_token("agent")
    response = _get_me(f"ar_{token.prefix}_wrongsecret")
    assert response.status_code == 401


def test_revoked_token_is_401(make_token):
    token, raw = make_token("agent")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    response = _get_me(raw)
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_revocation_takes_effect_on_the_next_request(make_token):
    token, raw = make_token("agent")
    assert _get_me(raw).status_code == 200  # the lookup (compiled once per process) reads the row every time
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert _get_me(raw).status_code == 401


def test_expired_token_is_401_in_both_versions(make_token):
    token, raw = make_token("agent", expires_at=timezone.now() - timedelta(seconds=1))
    v1 = _get_me(raw)
    v2 = _get_me(raw, version="v2")
    assert v1.status_code == v2.status_code == 401
    assert v1.json()["error"]["code"] == "UNAUTHENTICATED"
    assert v2.json()["code"] == "UNAUTHENTICATED"
    assert v2["Content-Type"] == "application/problem+json"


def test_wrong_role_is_403(agent_client):
    response = agent_client.post("/api/v1/tokens", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert ApiToken.objects.count() == 1


def test_admin_creates_and_revokes_token_via_api(admin_client_api):
    created = admin_client_api.post("/api/v1/tokens", {"name": "bot-9", "role": "agent", "rate_limit": "5/m"}, format="json")
    assert created.status_code == 201, created.content
    raw = created.json()["token"]
    assert _get_me(raw).status_code == 200
    revoked = admin_client_api.post(f"/api/v1/tokens/{created.json()['prefix']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert _get_me(raw).status_code == 401


def test_create_token_command_prints_token_once(capsys, db):
    call_command("create_token", "--role", "agent", "--name", "bot-1")
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(name="bot-1")
    assert token.key_hash == hash_token_secret(raw)
    assert token.role == "agent" and token.owner.username == "bot-1"
    assert _get_me(raw).status_code == 200
