import pytest
from django.urls import reverse

from games_app.casino.models import CasinoCommit
from tests.casino.conftest import ADDRESS

pytestmark = pytest.mark.django_db

MODELS = ["casinochannel", "casinocommit", "casinoround", "casinoevent", "casinorequest", "casinogamestats",
          "casinolottodraw", "casinolottoticket"]


@pytest.fixture
def played(a2a):
    a2a.open()
    for i in range(3):
        a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
        a2a.ok("slots_reveal", stealthAddress=ADDRESS, agentSeed=f"s{i}")
        a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=i + 1)
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.001", choice="heads")


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelists_render_with_bounded_queries(admin_client, played, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        response = admin_client.get(reverse(f"admin:casino_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["casinoround", "casinoevent", "casinorequest", "casinochannel"])
def test_admin_append_only_tables_cannot_be_added(admin_client, model):
    assert admin_client.get(reverse(f"admin:casino_{model}_add")).status_code == 403


def test_admin_action_expires_stale_commits(admin_client, played):
    import time_machine
    from datetime import timedelta
    from django.utils import timezone

    commit = CasinoCommit.objects.get(status="pending")
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = admin_client.post(reverse("admin:casino_casinocommit_changelist"),
                                     {"action": "expire_stale_commits", "_selected_action": [commit.pk]})
    assert response.status_code == 302
    commit.refresh_from_db()
    assert commit.status == "expired"
