from decimal import Decimal

import pytest
from django.urls import reverse

from operator_console.charts import house_edge_svg
from operator_console.selectors import GameEdge, dashboard_get

pytestmark = pytest.mark.django_db


def test_dashboard_shows_live_figures_with_bounded_queries(operator_console_client, world,
                                                           django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = operator_console_client.get(reverse("operator-dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    data = response.context["d"]
    assert data.active_sessions == 3 and data.sessions_by_state == {"playing": 3}
    assert (data.channels_open, data.channels_closed) == (2, 1)
    assert data.pending_commits == 1 and data.stale_commits == 0
    assert data.spins_today == 6 and data.wagered_today == Decimal(3)
    assert data.a2a_rounds_today == 8          # 3 slots, 3 lotto purchases (rounds of their own), 2 coinflips
    assert data.webhook_failures == 1
    assert data.ledger_audit is not None and data.ledger_audit.ok
    assert "<svg" in page and "House edge per game" in page
    edges = {(edge.family, edge.game): edge for edge in data.edges}
    slot = edges[("slots (sessions)", "test-fruit")]
    assert slot.rounds == 6 and slot.wagered == Decimal(3)
    assert slot.expected_edge == 1 - world_rtp()
    assert edges[("a2a casino", "coinflip")].expected_edge == Decimal("0.05")
    assert edges[("a2a casino", "coinflip")].rounds == 2


def world_rtp() -> Decimal:
    from games_app.models import GameVersion

    return GameVersion.objects.get(game__slug="test-fruit").rtp


def test_dashboard_is_linked_from_the_admin_index(operator_console_client, root_client, world):
    for client in (operator_console_client, root_client):
        assert reverse("operator-dashboard").encode() in client.get(reverse("admin:index")).content


def test_dashboard_requires_a_staff_login(client, world):
    response = client.get(reverse("operator-dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_dashboard_works_on_an_empty_database(root_client):
    response = root_client.get(reverse("operator-dashboard"))
    assert response.status_code == 200
    assert response.context["d"].ledger_audit is None and response.context["d"].active_sessions == 0
    assert b"never run" in response.content


def test_house_edge_svg_handles_negative_edges_and_escapes_labels():
    svg = house_edge_svg([
        GameEdge(family="a2a casino", game="<script>", rounds=3, wagered=Decimal(1), paid=Decimal(3),
                 expected_edge=Decimal("0.05")),
        GameEdge(family="slots (sessions)", game="fruit", rounds=0, wagered=Decimal(0), paid=Decimal(0),
                 expected_edge=None)])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "-200.00%" in svg and "5.00%" in svg and "n/a" in svg


def test_dashboard_selector_counts_only_today(world):
    import time_machine
    from datetime import timedelta
    from django.utils import timezone

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        data = dashboard_get()
    assert data.spins_today == 0 and data.a2a_rounds_today == 0 and data.active_sessions == 3
