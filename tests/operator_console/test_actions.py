"""Each console action works through the owning app's service and leaves one AdminActionLog row."""
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.exceptions import DomainError
from core.models import AdminActionLog, ApiToken
from games_app.casino.models import CasinoChannel, CasinoCommit
from games_app.models import GameVersion
from sessions_app.models import GameplaySession, SessionState, SessionTransition
from wallet_app.models import LedgerAudit, Wallet

pytestmark = pytest.mark.django_db


def _run_action(client, model: str, action: str, pks) -> None:
    response = client.post(reverse(f"admin:{model}_changelist"),
                           {"action": action, "_selected_action": [str(pk) for pk in pks]})
    assert response.status_code == 302, response.content[:300]


def _last_log(action: str) -> AdminActionLog:
    return AdminActionLog.objects.filter(action=action).latest("id")


def _refused_action(client, model: str, action: str, pks) -> None:
    """The admin does not offer the action to this login: it is not on the changelist, and posting it
    anyway runs nothing (the caller checks that nothing changed)."""
    changelist = reverse(f"admin:{model}_changelist")
    assert f'value="{action}"'.encode() not in client.get(changelist).content
    response = client.post(changelist, {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True)
    assert response.status_code == 200
    assert not AdminActionLog.objects.filter(action=action).exists()


def test_action_freeze_and_unfreeze_wallets_are_audited(operator_console_client, operator_user, root_client, world):
    wallets = world.wallets[:2]
    _run_action(operator_console_client, "wallet_app_wallet", "freeze_wallets", [w.pk for w in wallets])
    assert set(Wallet.objects.filter(frozen=True).values_list("pk", flat=True)) == {w.pk for w in wallets}
    log = _last_log("freeze_wallets")
    assert (log.actor, log.actor_username, log.outcome) == (operator_user, "olivia", "ok")
    assert log.target_model == "wallet_app.wallet" and log.object_ids == [str(w.pk) for w in wallets]
    assert log.details == {"frozen": 2}
    # Unfreezing is the admin's, in the console as on the API (issue 15 item 5).
    _refused_action(operator_console_client, "wallet_app_wallet", "unfreeze_wallets", [wallets[0].pk])
    assert Wallet.objects.filter(frozen=True).count() == 2
    _run_action(root_client, "wallet_app_wallet", "unfreeze_wallets", [wallets[0].pk])
    assert list(Wallet.objects.filter(frozen=True).values_list("pk", flat=True)) == [wallets[1].pk]
    assert _last_log("unfreeze_wallets").object_ids == [str(wallets[0].pk)]


def test_action_revoke_tokens_is_admin_only_audited_and_token_stops_working(operator_console_client, root_client,
                                                                            world):
    token, raw = world.tokens[1]
    _refused_action(operator_console_client, "core_apitoken", "revoke_tokens", [token.pk])
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    _run_action(root_client, "core_apitoken", "revoke_tokens", [token.pk])
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert _last_log("revoke_tokens").details == {"revoked": 1}
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_action_expire_stale_commits_is_audited(operator_console_client, world):
    pending = CasinoCommit.objects.filter(status="pending")
    assert pending.count() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        _run_action(operator_console_client, "casino_casinocommit", "expire_stale_commits", [pending.get().pk])
    assert not CasinoCommit.objects.filter(status="pending").exists()
    assert _last_log("expire_stale_commits").details == {"expired": 1}


def test_action_force_close_sessions_completes_them_moves_no_money_and_is_audited(operator_console_client, world):
    from wallet_app.models import LedgerEntry

    first, second, third = world.sessions
    entries_before = LedgerEntry.objects.count()
    _run_action(operator_console_client, "sessions_app_gameplaysession", "force_close_sessions", [first, second])
    assert set(GameplaySession.objects.filter(state=SessionState.COMPLETED).values_list("pk", flat=True)) == {
        first, second}
    transition = SessionTransition.objects.filter(session_id=first).latest("id")
    assert (transition.from_state, transition.to_state, transition.action) == ("playing", "completed", "force_close")
    assert transition.cause.startswith("force_close by olivia")
    session = GameplaySession.objects.get(pk=first)
    assert session.end_reason == "force_closed" and session.summary["server_seed"] == session.server_seed
    assert LedgerEntry.objects.count() == entries_before
    assert _last_log("force_close_sessions").details == {"closed": [first, second], "skipped": [],
                                                         "money_moved": "0"}
    # Closing again is refused by the state machine and reported, not an error page.
    _run_action(operator_console_client, "sessions_app_gameplaysession", "force_close_sessions", [first, third])
    assert _last_log("force_close_sessions").details == {"closed": [third], "skipped": [first], "money_moved": "0"}
    assert SessionTransition.objects.filter(session_id=first, action="force_close").count() == 1


def test_action_start_probing_campaign_is_audited(operator_console_client, operator_user, world):
    from fingerprint_app.models import ProbeCampaign

    version = GameVersion.objects.order_by("pk").first()
    before = ProbeCampaign.objects.count()
    _run_action(operator_console_client, "games_app_gameversion", "start_probing_campaigns", [version.pk])
    campaign = ProbeCampaign.objects.latest("id")
    assert ProbeCampaign.objects.count() == before + 1
    assert (campaign.game_version, campaign.created_by, campaign.status) == (version, operator_user, "queued")
    assert _last_log("start_probing_campaign").details["campaigns"] == [campaign.pk]


def test_action_domain_error_is_reported_and_audited_as_error(operator_console_client, world, monkeypatch):
    def refuse(*, wallet_id):
        raise DomainError("no", details={"wallet": wallet_id})

    monkeypatch.setattr("wallet_app.services.freeze", refuse)
    wallet = world.wallets[0]
    response = operator_console_client.post(reverse("admin:wallet_app_wallet_changelist"),
                                            {"action": "freeze_wallets", "_selected_action": [wallet.pk]},
                                            follow=True)
    assert b"The action &#x27;freeze_wallets&#x27; failed (DOMAIN_ERROR): no" in response.content
    log = _last_log("freeze_wallets")
    assert log.outcome == "error" and log.details["code"] == "DOMAIN_ERROR"


def test_actions_hidden_from_staff_without_console_permissions(world):
    viewer = get_user_model().objects.create_user("viewer", password="pw-123456", is_staff=True)
    client = Client()
    client.force_login(viewer)
    # No view permission at all: the admin refuses the changelist.
    assert client.get(reverse("admin:wallet_app_wallet_changelist")).status_code == 403
    assert client.get(reverse("operator-dashboard")).status_code == 403
    wallet = world.wallets[0]
    client.post(reverse("admin:wallet_app_wallet_changelist"),
                {"action": "freeze_wallets", "_selected_action": [wallet.pk]})
    assert not Wallet.objects.get(pk=wallet.pk).frozen
    assert not AdminActionLog.objects.filter(action="freeze_wallets").exists()


@pytest.mark.parametrize("task, action", [("ledger-audit", "ledger_audit"), ("channel-audit", "channel_audit"),
                                          ("expire-commits", "expire_stale_commits")])
def test_dashboard_task_runs_and_is_audited(operator_console_client, world, task, action):
    audits = LedgerAudit.objects.count()
    response = operator_console_client.post(reverse("operator-run-task", args=[task]), follow=True)
    assert response.status_code == 200
    log = _last_log(action)
    assert log.outcome == "ok" and log.actor_username == "olivia"
    if task == "ledger-audit":
        assert LedgerAudit.objects.count() == audits + 1 and log.details["mismatch_count"] == 0
    if task == "channel-audit":
        assert log.details == {"channels_checked": 3, "inconsistent": 0, "problems": []}


def test_dashboard_channel_audit_reports_an_inconsistent_channel(operator_console_client, world):
    channel = CasinoChannel.objects.order_by("pk").first()
    # Conserved (the CHECK constraint holds) but not what the rounds add up to.
    CasinoChannel.objects.filter(pk=channel.pk).update(agent_balance=channel.agent_balance + Decimal("0.5"),
                                                       casino_balance=channel.casino_balance - Decimal("0.5"))
    operator_console_client.post(reverse("operator-run-task", args=["channel-audit"]))
    log = _last_log("channel_audit")
    assert log.outcome == "error" and log.details["inconsistent"] == 1
    assert log.details["problems"][0]["channel"] == channel.pk
    page = operator_console_client.get(reverse("operator-dashboard")).content.decode()
    assert "1 inconsistent" in page


def test_dashboard_task_refuses_get_and_unknown_tasks(operator_console_client, world):
    assert operator_console_client.get(reverse("operator-run-task", args=["ledger-audit"])).status_code == 405
    assert operator_console_client.post(reverse("operator-run-task", args=["drop-tables"])).status_code == 403
    assert not AdminActionLog.objects.exclude(action="test").exists()


def test_admin_action_log_is_read_only(root_client, world):
    log = AdminActionLog.objects.first()
    assert root_client.get(reverse("admin:core_adminactionlog_add")).status_code == 403
    assert root_client.post(reverse("admin:core_adminactionlog_delete", args=[log.pk]),
                            {"post": "yes"}).status_code == 403
    assert AdminActionLog.objects.filter(pk=log.pk).exists()


def test_action_resume_campaigns_and_add_form_are_audited(operator_console_client, world):
    from fingerprint_app.models import ProbeCampaign

    campaign = ProbeCampaign.objects.order_by("pk").first()
    ProbeCampaign.objects.filter(pk=campaign.pk).update(status="paused", status_reason="DAILY_LIMIT_EXCEEDED")
    _run_action(operator_console_client, "fingerprint_app_probecampaign", "resume_campaigns", [campaign.pk])
    assert ProbeCampaign.objects.get(pk=campaign.pk).status == "queued"
    assert _last_log("resume_campaigns").details == {"resumed": [campaign.pk]}
    version = GameVersion.objects.order_by("pk").first()
    response = operator_console_client.post(reverse("admin:fingerprint_app_probecampaign_add"), {
        "game_version": version.pk, "remote_url": "", "target_spins": 500, "query_budget": "", "wallet": "",
        "chunk_size": "", "seed": "fixed"})
    assert response.status_code == 302, response.content[:500]
    created = ProbeCampaign.objects.latest("id")
    assert created.seed == "fixed" and _last_log("start_probing_campaign").object_ids == [str(created.pk)]
