"""The rows a WriteBatch writes as one JSON document are the rows Django's own bulk insert writes: every
column, value for value, for the models a v2 batch inserts, with edge values of each column type."""
import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from core import db as core_db
from core.db import WriteBatch
from rl_app.models import ExperienceStep
from sessions_app.models import GameplaySession, SessionSpin, SessionTransition
from wallet_app.models import LedgerEntry, LedgerKind

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2026, 3, 1, 12, 30, 45, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=5)))
AMOUNTS = [Decimal("0.000000000000000001"), Decimal("99999999999999999999.999999999999999999"), Decimal("-12.5"),
           Decimal("1E+3"), Decimal("2.500000"), 7]
REWARDS = [0.1, -1e-300, 1.7976931348623157e308, 5e-324, 3, float("inf"), float("nan")]
NESTED = {"window": [["A", "\"W\"", "ü\\n"]], "none": None, "n": [1, 2.5, True], 3: "int key", "emoji": "\U0001f352"}


def _rows(session: GameplaySession, tag: str) -> list:
    rows = []
    for index, amount in enumerate(AMOUNTS):
        rows.append(LedgerEntry(wallet=session.wallet, amount=amount, kind=LedgerKind.PAYOUT,
                                balance_after=Decimal(amount).copy_abs(), reference=f"{tag}:{index}: ' \" \\ %s",
                                request_id="", created_at=WHEN))
        rows.append(SessionSpin(session=session, nonce=index, stake=amount, fee=Decimal(0),
                                payout=Decimal(amount).copy_abs(), multiplier="1/3", window=NESTED, line_wins=[],
                                reward=REWARDS[index], balance_after=Decimal("1"), request_id=tag))
    for index, reward in enumerate(REWARDS):
        rows.append(ExperienceStep(session=session, index=index, observation=NESTED, action={"type": "spin"},
                                   reward=reward, next_observation=[], terminated=index % 2 == 0, truncated=False,
                                   info={"nonce": index, "stop": ""}, policy_id=tag, policy_version="v\u00e9"))
    rows.append(SessionTransition(session=session, from_state="idle", to_state="playing", action="spin", cause=tag))
    return rows


def _written(model, session: GameplaySession, tag: str) -> list[tuple]:
    owner = {LedgerEntry: {"wallet_id": session.wallet_id}}.get(model, {"session_id": session.pk})
    columns = [field.attname for field in model._meta.concrete_fields if not field.primary_key
               and field.attname != "session_id"  # the two writes go to two sessions (unique step indexes)
               and not (getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False))]
    rows = model.objects.filter(**owner).order_by("pk").values_list(*columns)
    marker = {LedgerEntry: "reference", SessionSpin: "request_id", ExperienceStep: "policy_id",
              SessionTransition: "cause"}[model]
    rows = [row for row in rows if str(row[columns.index(marker)]).startswith(tag)]
    # NaN != NaN: compare the text of floats
    return [tuple(repr(value) if isinstance(value, float) else value for value in row) for row in rows]


def test_json_rows_write_what_djangos_bulk_insert_writes(game_version, make_wallet, monkeypatch):
    wallet = make_wallet(owner_username="rows")
    sessions = {tag: GameplaySession.objects.create(owner=wallet.owner, game_version=game_version, wallet=wallet)
                for tag in ("json", "django")}
    with transaction.atomic(), WriteBatch() as writes:
        writes.insert(*_rows(sessions["json"], "json"))
    with monkeypatch.context() as patch:
        patch.setattr(core_db._RowsInsert, "of", classmethod(lambda cls, model, connection: None))  # Django's compiler
        with transaction.atomic(), WriteBatch() as writes:
            writes.insert(*_rows(sessions["django"], "django"))
    for model in (LedgerEntry, SessionSpin, ExperienceStep, SessionTransition):
        json_rows, django_rows = _written(model, sessions["json"], "json"), _written(model, sessions["django"], "django")
        assert len(json_rows) == len(django_rows) > 0
        for json_row, django_row in zip(json_rows, django_rows):
            assert [str(value).replace("json", "django") for value in json_row] == [str(value) for value in django_row]


def test_an_expression_value_goes_through_djangos_compiler(make_wallet):
    from django.db.models import Value

    wallet = make_wallet(owner_username="expr")
    with transaction.atomic(), WriteBatch() as writes:
        writes.insert(LedgerEntry(wallet=wallet, amount=Value(Decimal("3")), kind="deposit", balance_after=Decimal("3")),
                      LedgerEntry(wallet=wallet, amount=Decimal("4"), kind="deposit", balance_after=Decimal("7")))
    assert list(LedgerEntry.objects.filter(wallet=wallet).order_by("pk").values_list("amount", "balance_after")) == [
        (Decimal("3"), Decimal("3")), (Decimal("4"), Decimal("7"))]


def test_rows_keep_their_order_at_size(make_wallet):
    wallet = make_wallet(owner_username="order")
    with transaction.atomic(), WriteBatch() as writes:
        writes.insert(*[LedgerEntry(wallet=wallet, amount=Decimal(index + 1), kind="deposit",
                                    balance_after=Decimal((index + 1) * (index + 2) // 2)) for index in range(3000)])
    balances = list(LedgerEntry.objects.filter(wallet=wallet).order_by("pk").values_list("balance_after", flat=True))
    assert balances == [Decimal((index + 1) * (index + 2) // 2) for index in range(3000)]
