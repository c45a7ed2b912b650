import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from operator_console.services import operator_login_upsert, roles_sync

pytestmark = pytest.mark.django_db


def test_roles_groups_exist_after_migrate_with_expected_permissions():
    operators = Group.objects.get(name="operators")
    admins = Group.objects.get(name="admins")
    operator_perms = set(operators.permissions.values_list("content_type__app_label", "codename"))
    assert ("wallet_app", "view_wallet") in operator_perms and ("casino", "view_casinoround") in operator_perms
    assert ("core", "view_adminactionlog") in operator_perms
    assert ("wallet_app", "change_wallet") not in operator_perms
    assert ("core", "add_apitoken") not in operator_perms
    assert admins.permissions.count() > operators.permissions.count()
    assert ("core", "add_apitoken") in set(admins.permissions.values_list("content_type__app_label", "codename"))


def test_console_permissions_are_only_the_model_ones_policy_decides_the_actions():
    # Console actions and the dashboard ask core.policy; the custom codenames the console once declared
    # (and granted to operators) are gone, from the table and from every group.
    console_codenames = {"view_dashboard", "run_audits", "freeze_wallets", "revoke_tokens", "expire_commits",
                         "abort_sessions", "start_campaigns"}
    assert not Permission.objects.filter(codename__in=console_codenames).exists()
    assert not Permission.objects.filter(content_type__app_label="operator_console").exists()
    log_perms = set(Permission.objects.filter(content_type__app_label="core", content_type__model="adminactionlog")
                    .values_list("codename", flat=True))
    assert log_perms == {"add_adminactionlog", "change_adminactionlog", "delete_adminactionlog", "view_adminactionlog"}
    operators = Group.objects.get(name="operators")
    assert set(operators.permissions.exclude(codename__startswith="view_").values_list(
        "content_type__app_label", "codename")) == {("fingerprint_app", "add_probecampaign")}


def test_dashboard_link_shows_exactly_to_those_the_dashboard_lets_in(operator_user):
    staff = get_user_model().objects.create_user("stan", password="x", is_staff=True)  # staff without a console role
    for user, allowed in ((operator_user, True), (staff, False)):
        client = Client()
        client.force_login(user)
        index = client.get(reverse("admin:index"))
        assert (reverse("operator-dashboard").encode() in index.content) is allowed
        assert (reverse("admin:core_adminactionlog_changelist").encode() in index.content) is allowed
        assert client.get(reverse("operator-dashboard")).status_code == (200 if allowed else 403)


def test_roles_sync_is_idempotent():
    before = Group.objects.get(name="operators").permissions.count()
    roles_sync()
    call_command("setup_roles")
    assert Group.objects.filter(name__in=["operators", "admins"]).count() == 2
    assert Group.objects.get(name="operators").permissions.count() == before


def test_operator_login_command_creates_a_staff_login(capsys, monkeypatch):
    monkeypatch.setenv("OPS_PW", "a-long-operator-password")
    call_command("operator_login", "dora", "--role", "operator", "--password-env", "OPS_PW")
    user = get_user_model().objects.get(username="dora")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["operators"]
    client = Client()
    assert client.login(username="dora", password="a-long-operator-password")
    assert client.get(reverse("operator-dashboard")).status_code == 200
    # Promotion moves the user to exactly one console group.
    call_command("operator_login", "dora", "--role", "admin", "--password-env", "OPS_PW")
    assert list(user.groups.values_list("name", flat=True)) == ["admins"]


def test_operator_login_command_generates_a_password_once(capsys):
    call_command("operator_login", "eve")
    generated = capsys.readouterr().out.strip()
    assert len(generated) >= 20
    assert Client().login(username="eve", password=generated)


def test_agent_token_cannot_log_in_to_the_admin(make_token):
    token, raw = make_token("agent", name="bot")
    assert not token.owner.is_staff and not token.owner.is_superuser
    client = Client()
    # The bearer token is not an admin credential...
    response = client.get(reverse("admin:index"), headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    # ...nor a password for the token owner's user.
    response = client.post(reverse("admin:login"), {"username": token.owner.username, "password": raw})
    assert response.status_code == 200 and b"errornote" in response.content
    assert "_auth_user_id" not in client.session


def test_agent_token_owner_without_staff_flag_is_refused_even_with_a_password(make_token):
    token, _ = make_token("agent", name="bot2")
    token.owner.set_password("guessable-but-irrelevant")
    token.owner.save()
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "bot2", "password": "guessable-but-irrelevant"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_operator_login_refuses_unknown_role():
    with pytest.raises(ValueError):
        operator_login_upsert(username="x", role="agent")
