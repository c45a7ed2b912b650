"""seed_demo --credentials-file: the demo's console logins and tokens, printed on every run."""
import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from core.models import ApiToken

pytestmark = pytest.mark.django_db


def _seed(path) -> str:
    out = StringIO()
    call_command("seed_demo", credentials_file=path, stdout=out)
    return out.getvalue()


def test_logins_and_tokens_are_printed_again_on_a_second_run(tmp_path):
    path = tmp_path / "demo-credentials.json"
    first = _seed(path)
    stored = json.loads(path.read_text())
    assert path.stat().st_mode & 0o777 == 0o600
    assert set(stored["tokens"]) == {"demo-admin", "demo-operator", "demo-agent"}
    for role in ("admin", "operator"):
        login = stored["logins"][role]
        assert f"{login['username']:15s} {login['password']}" in first
        assert Client().login(username=login["username"], password=login["password"])
    second = _seed(path)
    assert json.loads(path.read_text()) == stored  # nothing re-made
    for raw in stored["tokens"].values():
        assert raw in second
    me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {stored['tokens']['demo-operator']}")
    assert me.status_code == 200 and me.json()["role"] == "operator"
    assert ApiToken.objects.filter(name__startswith="demo-").count() == 3


def test_a_revoked_token_or_changed_password_is_replaced(tmp_path):
    path = tmp_path / "demo-credentials.json"
    _seed(path)
    stored = json.loads(path.read_text())
    ApiToken.objects.filter(name="demo-agent").update(revoked_at="2026-01-01T00:00:00Z")
    admin = get_user_model().objects.get(username="demo-admin")
    admin.set_password("changed-by-someone")
    admin.save()
    output = _seed(path)
    renewed = json.loads(path.read_text())
    assert renewed["tokens"]["demo-agent"] != stored["tokens"]["demo-agent"] and renewed["tokens"]["demo-agent"] in output
    assert renewed["tokens"]["demo-operator"] == stored["tokens"]["demo-operator"]
    assert renewed["logins"]["admin"]["password"] != stored["logins"]["admin"]["password"]
    assert renewed["logins"]["operator"] == stored["logins"]["operator"]
    assert Client().login(username="demo-admin", password=renewed["logins"]["admin"]["password"])
