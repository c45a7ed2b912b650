"""The console shows money as entered (no 18 trailing zeros, thousands separators), rates as
percentages, owners by name, and flags a realised house edge computed from too few rounds."""
from decimal import Decimal

import pytest
from django.urls import reverse

from operator_console.charts import house_edge_svg
from core.formatting import float_text, money_text, percent_text
from operator_console.selectors import EDGE_MIN_ROUNDS, GameEdge
from wallet_app import services as wallet_services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("1234.500000000000000000"), "1,234.5"),
    (Decimal("0E-18"), "0"),
    (Decimal("1000.000000000000000000"), "1,000"),
    (Decimal("-0.000000000000000001"), "-0.000000000000000001"),
    # 38 significant digits: Decimal's default 28-digit context would round this.
    (Decimal("12345678901234567890.123456789012345678"), "12,345,678,901,234,567,890.123456789012345678"),
    (None, "-"),
])
def test_money_text_shows_every_stored_digit_and_no_trailing_zeros(value, text):
    assert money_text(value) == text


def test_percent_text():
    assert percent_text(Decimal("-4")) == "-400.00%"
    assert percent_text(Decimal("0.0421")) == "4.21%"
    assert percent_text(None) == "n/a"


def test_admin_is_branded_and_names_apps_in_words(root_client):
    page = root_client.get(reverse("admin:index")).content.decode()
    assert "<title>Operations | Agent Royale operations</title>" in page
    assert "Agent Royale operations</a>" in page and "Django administration" not in page
    for app in ("Wallets", "Slot games", "A2A casino", "Gameplay sessions", "Fingerprinting",
                "API access and audit trail"):
        assert f">{app}</a>" in page, app
    assert "Wallet_App" not in page and "Casino</a>" not in page


def test_admin_money_columns_show_amounts_as_entered(root_client, world):
    wallet = world.wallets[0]
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("1234.5"), reference="test:display")
    wallet.refresh_from_db()
    balance = money_text(wallet.balance)
    assert "," in balance and not balance.endswith("0")
    changelist = root_client.get(reverse("admin:wallet_app_wallet_changelist")).content.decode()
    assert balance in changelist and "000000000000" not in changelist
    ledger = root_client.get(reverse("admin:wallet_app_ledgerentry_changelist")).content.decode()
    assert "1,234.5" in ledger and "000000000000" not in ledger
    assert f"wallet {wallet.pk} ({wallet.owner.username}, ETH)" in ledger   # owners by name, not id
    detail = root_client.get(reverse("admin:wallet_app_wallet_change", args=[wallet.pk])).content.decode()
    assert balance in detail and f"({wallet.owner.username}, ETH)" in detail


def test_admin_money_column_sorts_by_the_stored_value(root_client, world):
    response = root_client.get(reverse("admin:wallet_app_wallet_changelist") + "?o=4")  # balance ascending
    assert response.status_code == 200
    balances = [row.balance for row in response.context["cl"].result_list]
    assert balances == sorted(balances)


def test_admin_every_page_is_free_of_18_decimal_money(root_client, world):
    from django.contrib import admin

    offenders = []
    for model in admin.site._registry:
        opts = model._meta
        obj = model._default_manager.order_by("pk").last()
        for url in (reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])):
            page = root_client.get(url).content.decode()
            at = page.find("000000000000000")
            if at >= 0:
                offenders.append(f"{url}: {page[at - 80:at + 20]!r}")
    assert not offenders


def test_admin_edit_box_shows_the_plain_amount(root_client, world):
    wallet = world.wallets[0]
    wallet_services.set_limits(wallet_id=wallet.pk, daily_limit=Decimal("25"))
    page = root_client.get(reverse("admin:wallet_app_wallet_change", args=[wallet.pk])).content.decode()
    assert 'name="daily_limit" value="25"' in page


def test_game_version_rtp_is_a_percentage(root_client, world):
    page = root_client.get(reverse("admin:games_app_gameversion_changelist")).content.decode()
    from games_app.models import GameVersion

    rtp = GameVersion.objects.filter(rtp__isnull=False).first().rtp
    assert percent_text(rtp) in page


def test_dashboard_uses_percent_and_flags_low_samples(operator_console_client, world):
    page = operator_console_client.get(reverse("operator-dashboard")).content.decode()
    # The world plays a handful of rounds per game: every realised edge is a low sample.
    assert "low sample" in page and f"{EDGE_MIN_ROUNDS:,}" in page
    assert "House edge per game (%)" in page
    data = operator_console_client.get(reverse("operator-dashboard")).context["d"]
    slot = next(edge for edge in data.edges if edge.game == "test-fruit")
    assert percent_text(slot.expected_edge) in page and percent_text(slot.realised_edge) in page
    assert "0.000000" not in page


def test_house_edge_chart_greys_a_one_round_game_and_keeps_the_scale():
    one_round = GameEdge(family="a2a casino", game="lotto", rounds=1, wagered=Decimal(1), paid=Decimal(5),
                         expected_edge=Decimal("0.05"))
    steady = GameEdge(family="slots (sessions)", game="fruit", rounds=EDGE_MIN_ROUNDS, wagered=Decimal(1000),
                      paid=Decimal(960), expected_edge=Decimal("0.042"))
    svg = house_edge_svg([one_round, steady])
    assert "-400.00% (low sample)" in svg and "4.00%" in svg
    assert "(low sample)" not in svg.split("fruit")[1]
    # The scale follows the trustworthy values (5% expected), not the -400% of one round.
    assert ">5.0%<" in svg and "400%<" not in svg.replace("-400.00%", "")


def test_admin_shows_a_reward_total_without_binary_noise(root_client, world):
    from sessions_app.models import GameplaySession

    session = GameplaySession.objects.order_by("pk").last()
    GameplaySession.objects.filter(pk=session.pk).update(total_reward=0.1 + 0.2)  # 0.30000000000000004
    page = root_client.get(reverse("admin:sessions_app_gameplaysession_change", args=[session.pk])).content.decode()
    assert '<div class="readonly">0.3</div>' in page
    assert "0.30000000000000004" not in page
    assert float_text(-1.01 + 5.6) == "4.59" and float_text(None) == "-" and float_text(1e-20) == "1e-20"


def _inputs(page: str) -> list[str]:
    import re

    return [name for name in re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', page)
            if name not in ("csrfmiddlewaretoken", "_save", "_continue", "_addanother") and "-" not in name]


@pytest.mark.parametrize("model_path", ["sessions_app.GameplaySession", "casino.CasinoCommit"])
def test_formatted_read_only_fields_are_not_inputs_even_for_a_superuser(root_client, world, model_path):
    """A read-only money or count field is shown formatted under another name; under its own name it used to come
    back as an input, so a superuser's change page could edit a session's bet, nonce and totals (or a commit's
    bet) outside every service, ledger and invariant."""
    from django.apps import apps

    model = apps.get_model(model_path)
    obj = model._default_manager.order_by("pk").last()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    assert _inputs(root_client.get(url).content.decode()) == []
    before = {field.attname: getattr(obj, field.attname) for field in model._meta.concrete_fields}
    field = "nonce" if model_path.endswith("Session") else "bet_amount"
    root_client.post(url, {field: "999", "_save": "Save"})
    obj.refresh_from_db()
    assert {field.attname: getattr(obj, field.attname) for field in model._meta.concrete_fields} == before
