"""Who may do what to which resource: the one place that answers it (DESIGN.md §7, SECURITY.md).

An `Actor` is a user acting in a role: an API token's owner in the token's role, or a console login in
the role of its console group. Every view, admin action and service asks this module, through
`allows` / `require` for one resource or `scope` for a queryset; nothing else compares an owner with
a caller or ranks a role.

Each action has a `Rule`: the resource's owner may (or not), and anyone of at least `role` may
whoever owns it. Reads of another owner's resource that the actor may not read answer the resource's
not-found error (ids do not leak); other refusals answer 403 FORBIDDEN.
"""
from dataclasses import dataclass

from core.exceptions import DomainError, Forbidden

ANONYMOUS, AGENT, OPERATOR, ADMIN = "anonymous", "agent", "operator", "admin"
ROLE_RANK = {ANONYMOUS: -1, AGENT: 0, OPERATOR: 1, ADMIN: 2}
# Console logins take their role from these groups (operator_console.services keeps them in sync).
CONSOLE_GROUP_ROLES = {"operators": OPERATOR, "admins": ADMIN}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: str
    username: str = ""

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None and self.role != ANONYMOUS


NOBODY = Actor(user_id=None, role=ANONYMOUS)


def actor_from_token(token) -> Actor:
    """The API token's owner, in the token's role."""
    if token is None:
        return NOBODY
    return Actor(user_id=token.owner_id, role=token.role, username=getattr(token.owner, "username", ""))


def actor_from_user(user) -> Actor:
    """A console (admin site) login: superusers are admins, staff take the role of their console group;
    anyone else has no console role."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return NOBODY
    cached = getattr(user, "_policy_actor", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        role = ADMIN
    else:
        roles = [CONSOLE_GROUP_ROLES[name] for name in user.groups.values_list("name", flat=True)
                 if name in CONSOLE_GROUP_ROLES]
        role = max(roles, key=ROLE_RANK.__getitem__, default=ANONYMOUS)
    user._policy_actor = actor = Actor(user_id=user.pk, role=role, username=user.get_username())
    return actor


def actor_of_request(request) -> Actor:
    """The API token's actor when the request carries one, else the console login's."""
    token = getattr(request, "auth", None)
    if token is not None and hasattr(token, "role"):
        return actor_from_token(token)
    return actor_from_user(getattr(request, "user", None))


@dataclass(frozen=True)
class Rule:
    owner: bool  # the resource's owner may
    role: str | None = None  # anyone of at least this role may, whoever owns the resource


class Act:
    SESSION_CREATE = "session.create"
    SESSION_READ = "session.read"
    SESSION_PLAY = "session.play"  # initialize, probe, place_bet, spin, cash_out, abort, v2 batches
    SESSION_FORCE_CLOSE = "session.force_close"
    WALLET_CREATE = "wallet.create"
    WALLET_READ = "wallet.read"
    WALLET_SPEND = "wallet.spend"  # stakes and fees: sessions, probes, campaigns, funded channels
    WALLET_WITHDRAW = "wallet.withdraw"
    WALLET_DEPOSIT = "wallet.deposit"
    WALLET_SET_LIMITS = "wallet.set_limits"
    WALLET_FREEZE = "wallet.freeze"
    WALLET_UNFREEZE = "wallet.unfreeze"
    TRACE_READ = "trace.read"
    FEEDBACK_CREATE = "feedback.create"
    FEEDBACK_READ = "feedback.read"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_READ = "webhook.read"
    WEBHOOK_ROTATE = "webhook.rotate"
    WEBHOOK_DEACTIVATE = "webhook.deactivate"
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"
    GAME_READ_FULL = "game.read_full"
    GAME_WRITE = "game.write"
    ENGINE_SCRIPTED_DRAWS = "engine.scripted_draws"  # forced outcomes read the staff-only reel strips out
    CAMPAIGN_MANAGE = "campaign.manage"  # create, list, read, resume, match
    CONSOLE_DASHBOARD = "console.dashboard"
    AUDIT_RUN = "audit.run"
    COMMITS_EXPIRE = "commits.expire"


RULES: dict[str, Rule] = {
    Act.SESSION_CREATE: Rule(owner=True),
    Act.SESSION_READ: Rule(owner=True, role=OPERATOR),
    Act.SESSION_PLAY: Rule(owner=True),
    Act.SESSION_FORCE_CLOSE: Rule(owner=False, role=OPERATOR),
    Act.WALLET_CREATE: Rule(owner=True, role=OPERATOR),
    Act.WALLET_READ: Rule(owner=True, role=OPERATOR),
    Act.WALLET_SPEND: Rule(owner=True),
    Act.WALLET_WITHDRAW: Rule(owner=True, role=ADMIN),
    Act.WALLET_DEPOSIT: Rule(owner=False, role=ADMIN),
    Act.WALLET_SET_LIMITS: Rule(owner=False, role=ADMIN),
    Act.WALLET_FREEZE: Rule(owner=False, role=OPERATOR),
    Act.WALLET_UNFREEZE: Rule(owner=False, role=ADMIN),
    Act.TRACE_READ: Rule(owner=True, role=OPERATOR),
    Act.FEEDBACK_CREATE: Rule(owner=True),
    Act.FEEDBACK_READ: Rule(owner=True, role=OPERATOR),
    Act.WEBHOOK_CREATE: Rule(owner=True),
    Act.WEBHOOK_READ: Rule(owner=True, role=OPERATOR),
    Act.WEBHOOK_ROTATE: Rule(owner=True),
    Act.WEBHOOK_DEACTIVATE: Rule(owner=True, role=ADMIN),
    Act.TOKEN_CREATE: Rule(owner=False, role=ADMIN),
    Act.TOKEN_REVOKE: Rule(owner=False, role=ADMIN),
    Act.GAME_READ_FULL: Rule(owner=False, role=OPERATOR),
    Act.GAME_WRITE: Rule(owner=False, role=ADMIN),
    Act.ENGINE_SCRIPTED_DRAWS: Rule(owner=False, role=OPERATOR),
    Act.CAMPAIGN_MANAGE: Rule(owner=False, role=OPERATOR),
    Act.CONSOLE_DASHBOARD: Rule(owner=False, role=OPERATOR),
    Act.AUDIT_RUN: Rule(owner=False, role=OPERATOR),
    Act.COMMITS_EXPIRE: Rule(owner=False, role=OPERATOR),
}


def _read_action(action: str) -> str | None:
    read = action.split(".", 1)[0] + ".read"
    return read if read in RULES else None


def allows(actor: Actor, action: str, *, owner_id: int | None = None) -> bool:
    """May `actor` do `action` to a resource owned by `owner_id` (None: an unowned resource)?"""
    if allows_any(actor, action):
        return True
    return RULES[action].owner and actor.authenticated and owner_id is not None and owner_id == actor.user_id


def require(actor: Actor, action: str, *, owner_id: int | None = None, not_found: DomainError | None = None) -> None:
    """Raise unless `actor` may do `action`. With `not_found`, an actor who may not even read the
    resource gets that error instead of 403, so another owner's resource looks like a missing one."""
    if allows(actor, action, owner_id=owner_id):
        return
    read = _read_action(action)
    if not_found is not None and read is not None and not allows(actor, read, owner_id=owner_id):
        raise not_found
    raise Forbidden(f"Your role may not {action.split('.', 1)[1].replace('_', ' ')} this "
                    f"{action.split('.', 1)[0]}.", details={"action": action})


def scope(actor: Actor, action: str, queryset, *, owner_field: str = "owner_id"):
    """`queryset` narrowed to the rows `actor` may do `action` to."""
    if allows_any(actor, action):
        return queryset
    if RULES[action].owner and actor.authenticated:
        return queryset.filter(**{owner_field: actor.user_id})
    return queryset.none()


def allows_any(actor: Actor, action: str) -> bool:
    """May `actor` do `action` to every such resource, whoever owns it (its role suffices)?"""
    rule = RULES[action]
    return rule.role is not None and actor.authenticated and actor.at_least(rule.role)


def role_allows(actor: Actor, action: str) -> bool:
    """May `actor` do `action` to some resource (its own, or any by role)? For showing a button or an
    admin action; the action itself still checks the resource."""
    rule = RULES[action]
    return actor.authenticated and (rule.owner or (rule.role is not None and actor.at_least(rule.role)))


def get_for(actor: Actor, action: str, queryset, *, pk, not_found: DomainError, owner_field: str = "owner_id"):
    """The row `pk` of `queryset` (which may lock) if `actor` may do `action` to it. Otherwise raises
    `not_found` for a missing row or one the actor may not read, Forbidden for one it may only read.
    One query when allowed; the refusal costs a second, unlocked read of the owner."""
    found = scope(actor, action, queryset, owner_field=owner_field).filter(pk=pk).first()
    if found is not None:
        return found
    owner_id = queryset.model._default_manager.filter(pk=pk).values_list(owner_field, flat=True).first()
    if owner_id is not None:
        require(actor, action, owner_id=owner_id, not_found=not_found)
    raise not_found
