"""Writes of the operator console: console roles and logins, and the console's own tasks (audits,
commit expiry, force-close), each recorded in the admin trail (core.services.admin_action_record)."""
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from core.models import ActionOutcome, AdminActionLog
from core.policy import CONSOLE_GROUP_ROLES, Actor
from core.services import admin_action_record
from games_app.casino.audit import audit_all_channels
from games_app.casino.models import CasinoChannel
from games_app.casino.services import commits_expire_stale
from sessions_app.services import session_force_close
from wallet_app.services import ledger_audit_run

CONSOLE_ROLES = {role: group for group, role in CONSOLE_GROUP_ROLES.items()}
OPERATORS_GROUP, ADMINS_GROUP = CONSOLE_ROLES["operator"], CONSOLE_ROLES["admin"]


def roles_sync(*, using: str = "default") -> tuple[Group, Group]:
    """Create or refresh the `operators` and `admins` groups. Operators: every view permission (and adding
    probe campaigns); admins: every permission. Idempotent. What each role may *do* (console actions,
    the dashboard) is core.policy's answer for the group's role, not a Django permission."""
    with transaction.atomic(using=using):
        operators, _ = Group.objects.using(using).get_or_create(name=OPERATORS_GROUP)
        admins, _ = Group.objects.using(using).get_or_create(name=ADMINS_GROUP)
        every = Permission.objects.using(using).all()
        operator_perms = every.filter(codename__startswith="view_") | every.filter(
            content_type__app_label="fingerprint_app", codename="add_probecampaign")
        operators.permissions.set(operator_perms)
        admins.permissions.set(every)
    return operators, admins


def operator_login_upsert(*, username: str, role: str, password: str | None = None) -> tuple[Any, str | None]:
    """Give `username` an admin-console login: is_staff, in exactly one console group, with a
    password (generated when not given; returned once, else None). Agent tokens never grant this.
    Raises ValueError for an unknown role."""
    if role not in CONSOLE_ROLES:
        raise ValueError(f"role must be one of {', '.join(CONSOLE_ROLES)}")
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(18)
    roles_sync()
    with transaction.atomic():
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff, user.is_active = True, True
        user.set_password(password)
        user.save()
        user.groups.remove(*Group.objects.filter(name__in=CONSOLE_ROLES.values()))
        user.groups.add(Group.objects.get(name=CONSOLE_ROLES[role]))
    return user, generated


def ledger_audit_run_by(*, actor) -> AdminActionLog:
    """Run the ledger audit (wallet_app) and record the run and its outcome in the trail."""
    audit = ledger_audit_run()
    return admin_action_record(
        actor=actor, action="ledger_audit", objects=[audit],
        outcome=ActionOutcome.OK if audit.ok else ActionOutcome.ERROR,
        details={"audit_id": audit.pk, "wallets_checked": audit.wallets_checked,
                 "entries_checked": audit.entries_checked, "mismatch_count": audit.mismatch_count})


def channel_audit_run_by(*, actor, max_reported: int = 50) -> AdminActionLog:
    """Check every A2A channel (conservation, nonce chain) and record the result in the trail;
    the newest such row is what the dashboard shows as the channel audit."""
    problems: list[dict] = []
    bad = 0
    for channel, found in audit_all_channels():
        bad += 1
        if len(problems) < max_reported:
            problems.append({"channel": channel.pk, "agent_address": channel.agent_address, "problems": found})
    return admin_action_record(
        actor=actor, action="channel_audit", target_model="casino.casinochannel",
        outcome=ActionOutcome.ERROR if bad else ActionOutcome.OK,
        details={"channels_checked": CasinoChannel.objects.count(), "inconsistent": bad, "problems": problems})


def stale_commits_expire_by(*, actor) -> AdminActionLog:
    """Expire every pending A2A commit past its reveal timeout, and record how many."""
    expired = 0
    for _ in range(1000):  # bounded: at most 500k commits per click
        batch = commits_expire_stale()
        expired += batch
        if batch < 500:
            break
    return admin_action_record(actor=actor, action="expire_stale_commits", target_model="casino.casinocommit",
                               details={"expired": expired})


def session_force_close_by(*, session_id: int, actor: Actor, reason: str = "", via: str = "api") -> AdminActionLog:
    """Force-close one gameplay session as staff `actor` and record it in the admin trail, in one
    transaction: the trail row exists exactly when the session was closed. Moves no money (see
    sessions_app.services.session_force_close). Raises SessionNotFound, Forbidden (not staff), or
    InvalidStateTransition (409) for a completed session."""
    with transaction.atomic():
        session, from_state = session_force_close(session_id=session_id, actor=actor, reason=reason)
        return admin_action_record(actor=actor, action="force_close_session", objects=[session], details={
            "via": via, "role": actor.role, "reason": reason, "from_state": from_state, "owner_id": session.owner_id,
            "wallet_id": session.wallet_id, "spins": session.total_spins, "net": session.summary["net"],
            "money_moved": "0"})
