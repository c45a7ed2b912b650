from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fingerprint_app import services
from fingerprint_app.models import CampaignStatus, ProbeCampaign
from fingerprint_app.probing import probe_batch
from games_app.engine import LocalSlotEngine

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_recovery")]
CAMPAIGNS = "/api/{v}/fingerprints/campaigns"


@pytest.fixture
def operator_wallet(operator_client, make_wallet):
    return make_wallet(owner=operator_client.token.owner, balance="50", cost_per_query=Decimal("0.0001"))


@pytest.mark.parametrize("v", ["v1", "v2"])
def test_create_campaign_runs_and_reports_progress(v, operator_client, operator_wallet, fruit_version,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(CAMPAIGNS.format(v=v), {"game": "fruit-low", "target_spins": 3000,
                                                                "seed": "api", "chunk_size": 1000}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["engine"] == {"kind": "local", "game": "fruit-low", "game_version": 1,
                                                               "remote_url": ""}
    assert body["wallet_id"] == operator_wallet.pk and body["cost_per_query"] == "0.0001"
    detail = operator_client.get(f"{CAMPAIGNS.format(v=v)}/{body['id']}/").json()
    assert detail["status"] == "completed" and detail["spins_done"] == 3000 and detail["progress"] == 1.0
    assert detail["signature"]["spins"] == 3000 and detail["fees_charged"] == str(Decimal("0.0001") * detail["queries_used"])
    assert len(detail["convergence"]) == 3


def test_create_campaign_is_idempotent(operator_client, operator_wallet, fruit_version):
    payload = {"game": "fruit-low", "target_spins": 100, "seed": "idem"}
    first = operator_client.post(CAMPAIGNS.format(v="v1"), payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = operator_client.post(CAMPAIGNS.format(v="v1"), payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    assert ProbeCampaign.objects.count() == 1


def test_create_campaign_rejects_bad_input(operator_client, operator_wallet, fruit_version, make_wallet):
    url = CAMPAIGNS.format(v="v1")
    cases = [{"target_spins": 10},  # no engine
             {"game": "fruit-low", "remote_url": "http://127.0.0.1:1/x", "target_spins": 10},
             {"game": "fruit-low", "target_spins": 0}, {"game": "fruit-low", "target_spins": "10"},
             {"game": "fruit-low", "target_spins": 10 ** 30}, {"game": "fruit-low", "target_spins": -5},
             {"game": "fruit-low", "target_spins": 10, "chunk_size": 0},
             {"game": "fruit-low", "target_spins": 10, "query_budget": -1},
             {"game": "fruit-low", "target_spins": 10, "seed": ""},
             {"remote_url": "ftp://x", "target_spins": 10}, {"game_version": 1, "target_spins": 10}]
    for payload in cases:
        response = operator_client.post(url, payload, format="json")
        assert response.status_code == 400, (payload, response.content)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    malformed = operator_client.post(url, "{nope", content_type="application/json")
    assert malformed.status_code == 400
    unknown = operator_client.post(url, {"game": "no-such-game", "target_spins": 10}, format="json")
    assert unknown.status_code == 404
    other = make_wallet(owner_username="someone-else", balance="5")
    foreign_wallet = operator_client.post(url, {"game": "fruit-low", "target_spins": 10, "wallet_id": other.pk},
                                          format="json")
    assert foreign_wallet.status_code == 400 and foreign_wallet.json()["error"]["details"]["field"] == "wallet_id"
    missing_wallet = operator_client.post(url, {"game": "fruit-low", "target_spins": 10, "wallet_id": 10 ** 12},
                                          format="json")
    assert missing_wallet.status_code == 404
    assert not ProbeCampaign.objects.exists()


def test_campaign_endpoints_need_an_operator(agent_client, fruit_version):
    assert agent_client.post(CAMPAIGNS.format(v="v1"), {"game": "fruit-low", "target_spins": 10},
                             format="json").status_code == 403
    assert agent_client.get(CAMPAIGNS.format(v="v1")).status_code == 403
    assert agent_client.post("/api/v1/fingerprints/match", {"campaign_id": 1}, format="json").status_code == 403
    v2 = agent_client.get(CAMPAIGNS.format(v="v2"))
    assert v2.status_code == 403 and v2["Content-Type"].startswith("application/problem+json")


def test_campaign_detail_unknown_id_and_operator_without_wallet(client_for, fruit_version):
    operator = client_for("operator")
    assert operator.get(CAMPAIGNS.format(v="v1") + "/999999").status_code == 404
    response = operator.post(CAMPAIGNS.format(v="v1"), {"game": "fruit-low", "target_spins": 10}, format="json")
    assert response.status_code == 400 and response.json()["error"]["details"]["field"] == "wallet_id"


def test_resume_endpoint(operator_client, make_wallet, fruit_version, django_capture_on_commit_callbacks):
    wallet = make_wallet(owner=operator_client.token.owner, balance="0.001", cost_per_query=Decimal("0.01"))
    campaign = services.campaign_create(game_version=fruit_version, target_spins=100, wallet=wallet, seed="p",
                                        enqueue=False)
    services.campaign_run(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED and campaign.status_reason == "INSUFFICIENT_BALANCE"
    url = f"{CAMPAIGNS.format(v='v1')}/{campaign.pk}/resume"
    from wallet_app.services import deposit

    deposit(wallet_id=wallet.pk, amount=Decimal(10))
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(url, format="json")
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    assert operator_client.post(url, format="json").status_code == 409


def test_campaign_list_query_count(operator_client, fruit_version):
    for seed in "abc":
        services.campaign_create(game_version=fruit_version, target_spins=10, seed=seed, enqueue=False)
    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get(CAMPAIGNS.format(v="v1"))
    assert response.status_code == 200 and len(response.json()["results"]) == 3
    assert len(queries) <= 6, [q["sql"][:120] for q in queries]


def test_profiles_are_readable_by_agents(agent_client, fruit_version):
    campaign = services.campaign_create(game_version=fruit_version, target_spins=2000, seed="lib", enqueue=False)
    services.campaign_run(campaign_id=campaign.pk)
    listing = agent_client.get("/api/v1/fingerprints/profiles")
    assert listing.status_code == 200
    [row] = listing.json()["results"]
    assert row["engine_key"] == "local:fruit-low:v1" and row["spins"] == 2000 and row["volatility"] in {"low", "medium"}
    assert row["par_rtp"] == str(fruit_version.rtp) and "stats" not in row
    detail = agent_client.get(f"/api/v2/fingerprints/profiles/{row['id']}/").json()
    assert detail["stats"]["spins"] == 2000 and detail["signature"]["deterministic"]["window_shape"]["reels"] == 5
    assert detail["exact"] is False and detail["recovered_definition"] is None
    assert agent_client.get("/api/v1/fingerprints/profiles/987654").status_code == 404
    assert agent_client.get("/api/v1/fingerprints/profiles?latest=true").json()["results"][0]["id"] == row["id"]


def test_profile_list_query_count(agent_client, fruit_version):
    for seed in "xyz":
        services.campaign_create(game_version=fruit_version, target_spins=10, seed=seed, enqueue=False)
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get("/api/v1/fingerprints/profiles")
    assert len(response.json()["results"]) == 3 and len(queries) <= 6


def test_match_endpoint_by_campaign_and_by_session(operator_client, fruit_version, make_wallet, demo_definitions):
    library = services.campaign_create(game_version=fruit_version, target_spins=100_000, seed="lib", enqueue=False)
    services.campaign_run(campaign_id=library.pk)
    sample = services.campaign_create(game_version=fruit_version, target_spins=5_000, seed="s",
                                      extend_profile=False, enqueue=False)
    services.campaign_run(campaign_id=sample.pk)
    response = operator_client.post("/api/v1/fingerprints/match", {"campaign_id": sample.pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == "match" and body["best"]["profile_id"] == library.profile_id
    assert body["sample_spins"] == 5_000 and body["ranking"][0]["per_reel"]

    from sessions_app.models import GameplaySession, SessionSpin

    wallet = make_wallet(balance="1")
    session = GameplaySession.objects.create(owner=wallet.owner, game_version=fruit_version, wallet=wallet,
                                             nonce=3000, total_spins=3000)
    batch = probe_batch(LocalSlotEngine(demo_definitions["fruit-low"]), seed="session", start_index=0, count=3000)
    SessionSpin.objects.bulk_create(
        SessionSpin(session=session, nonce=i + 1, stake=Decimal(1), fee=Decimal(0), payout=Decimal(0),
                    multiplier=str(Fraction(batch.multiplier(i))), window=batch.window(i), balance_after=Decimal(0))
        for i in range(3000))
    by_session = operator_client.post("/api/v2/fingerprints/match", {"session_id": session.pk}, format="json")
    assert by_session.status_code == 200 and by_session.json()["verdict"] == "match"
    assert by_session.json()["sample_spins"] == 3000


def test_match_endpoint_errors(operator_client, fruit_version):
    url = "/api/v1/fingerprints/match"
    assert operator_client.post(url, {}, format="json").status_code == 400
    assert operator_client.post(url, {"campaign_id": 1, "session_id": 1}, format="json").status_code == 400
    assert operator_client.post(url, {"campaign_id": "x"}, format="json").status_code == 400
    assert operator_client.post(url, {"campaign_id": 424242}, format="json").status_code == 404
    assert operator_client.post(url, {"session_id": 424242}, format="json").status_code == 404
    empty = services.campaign_create(game_version=fruit_version, target_spins=10, seed="e", enqueue=False)
    response = operator_client.post(url, {"campaign_id": empty.pk}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "EMPTY_SAMPLE"
