"""The console side of the matrix: which admin actions and dashboard tasks each console login is
offered, decided by core.policy for the login's role (the API's rules), and that nothing shows a
webhook secret."""
import pytest
from django.contrib.auth import get_user_model
from django.apps import apps
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from operator_console.services import operator_login_upsert
from rl_app.models import WebhookHook

pytestmark = pytest.mark.django_db

# model -> action -> the console roles offered it
OFFERED = {
    "wallet_app.Wallet": {"freeze_wallets": {"operator", "admin"}, "unfreeze_wallets": {"admin"}},
    "core.ApiToken": {"revoke_tokens": {"admin"}},
    "sessions_app.GameplaySession": {"force_close_sessions": {"operator", "admin"}},
    "casino.CasinoCommit": {"expire_stale_commits": {"operator", "admin"}},
    "games_app.GameVersion": {"start_probing_campaigns": {"operator", "admin"}},
    "fingerprint_app.ProbeCampaign": {"resume_campaigns": {"operator", "admin"}},
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(role: str):
    if role == "admin":
        user = get_user_model().objects.create_superuser("root", "root@example.com", "root-pw-123")
    elif role == "operator":
        user, _ = operator_login_upsert(username="olivia", role="operator", password="operator-pw-123")
    else:  # staff without a console group: no role
        user = get_user_model().objects.create_user("viewer", password="pw-123456", is_staff=True)
    return user


def _login(role: str) -> Client:
    client = Client()
    client.force_login(_user(role))
    return client


@pytest.mark.parametrize("role", ["none", "operator", "admin"])
def test_console_offers_each_role_exactly_its_actions(role):
    user = _user(role)
    request = RequestFactory().get("/admin/")
    request.user = user
    for label, actions in OFFERED.items():
        offered = admin.site._registry[apps.get_model(label)].get_actions(request)
        for action, roles in actions.items():
            assert (action in offered) == (role in roles), (role, label, action)
    client = Client()
    client.force_login(user)
    dashboard = client.get(reverse("operator-dashboard"))
    assert dashboard.status_code == (200 if role != "none" else 403)
    for task in ("ledger-audit", "channel-audit", "expire-commits"):
        response = client.post(reverse("operator-run-task", args=[task]))
        assert response.status_code == (302 if role != "none" else 403), (role, task)


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_no_console_page_shows_a_webhook_secret(role, make_token):
    token, _ = make_token("agent")
    hook = WebhookHook.objects.create(owner=token.owner, url="https://example.com/h", events=["step"],
                                      secret="f00d" * 16, previous_secret="beef" * 16)
    client = _login(role)
    for url in (reverse("admin:rl_app_webhookhook_changelist"), reverse("admin:rl_app_webhookhook_change",
                                                                          args=[hook.pk])):
        page = client.get(url)
        assert page.status_code == 200 and b"f00d" * 16 not in page.content and b"beef" * 16 not in page.content


@pytest.mark.parametrize("role, may_edit", [("none", False), ("operator", False), ("admin", True)])
def test_only_admins_edit_wallet_limits_and_agents_webhooks_in_the_console(role, may_edit):
    request = RequestFactory().get("/admin/")
    request.user = _user(role)
    wallet_admin = admin.site._registry[apps.get_model("wallet_app.Wallet")]
    hook_admin = admin.site._registry[apps.get_model("rl_app.WebhookHook")]
    assert wallet_admin.has_change_permission(request) is may_edit
    assert hook_admin.has_change_permission(request) is may_edit
    assert hook_admin.has_delete_permission(request) is may_edit
