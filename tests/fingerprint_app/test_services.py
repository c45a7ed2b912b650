from decimal import Decimal
from fractions import Fraction

import pytest

from fingerprint_app import recovery_hook, services
from fingerprint_app.exceptions import CampaignStateConflict, InvalidCampaign
from fingerprint_app.models import CampaignStatus, FingerprintProfile, ProbeCampaign, ProbeSample
from fingerprint_app.probing import DETERMINISTIC_SPINS_PER_CHUNK, REPLAY_CHECKS
from fingerprint_app.recovery import RecoveryResult, RecoveryStatus
from fingerprint_app.recovery.types import Observation
from fingerprint_app.stats import SufficientStats
from wallet_app.models import LedgerEntry

from .engines import BlackBox, Broken, Flaky, ShapeShifter

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_recovery")]
FIRST_EXTRA = DETERMINISTIC_SPINS_PER_CHUNK + 2 * REPLAY_CHECKS


def _run(campaign):
    services.campaign_run(campaign_id=campaign.pk)
    return ProbeCampaign.objects.select_related("profile").get(pk=campaign.pk)


def test_campaign_charges_every_query_and_builds_the_profile(fruit_version, make_wallet):
    wallet = make_wallet(balance="100", cost_per_query=Decimal("0.0001"))
    campaign = services.campaign_create(game_version=fruit_version, target_spins=25_000, wallet=wallet, seed="a",
                                        chunk_size=10_000, enqueue=False)
    assert campaign.status == CampaignStatus.QUEUED and campaign.cost_per_query == Decimal("0.0001")
    campaign = _run(campaign)
    assert campaign.status == CampaignStatus.COMPLETED and campaign.status_reason == "target_reached"
    assert campaign.spins_done == 25_000 and campaign.chunks_done == 3
    assert campaign.queries_used == 25_000 + 3 * DETERMINISTIC_SPINS_PER_CHUNK + 2 * REPLAY_CHECKS
    assert campaign.fees_charged == Decimal("0.0001") * campaign.queries_used
    fees = LedgerEntry.objects.filter(wallet=wallet, kind="query_fee").order_by("id")
    assert [e.reference for e in fees] == [f"probe_campaign:{campaign.pk}:{s}" for s in (0, 10_000, 20_000)]
    assert -sum(e.amount for e in fees) == campaign.fees_charged
    wallet.refresh_from_db()
    assert wallet.balance == Decimal(100) - campaign.fees_charged
    profile = campaign.profile
    assert profile.spins == 25_000 and profile.version == 1 and profile.engine_key == "local:fruit-low:v1"
    assert profile.stats == campaign.stats and profile.par_rtp == fruit_version.rtp
    assert profile.signature["deterministic"]["replay"] == {"checked": REPLAY_CHECKS, "mismatches": 0,
                                                            "consistent": True}
    assert [p[0] for p in campaign.convergence] == [10_000, 20_000, 25_000]
    assert ProbeSample.objects.filter(campaign=campaign).count() == 3 and campaign.sample_spins == 25_000
    assert campaign.started_at and campaign.finished_at


def test_campaign_enqueue_runs_in_eager_celery(fruit_version, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign = services.campaign_create(game_version=fruit_version, target_spins=5_000, seed="e", chunk_size=1_000)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED and campaign.chunks_done == 5


def test_campaign_pauses_at_the_daily_limit_and_resumes(fruit_version, make_wallet):
    wallet = make_wallet(balance="100", cost_per_query=Decimal("0.001"), daily_limit=Decimal("2.5"))
    campaign = services.campaign_create(game_version=fruit_version, target_spins=3_000, wallet=wallet, seed="d",
                                        chunk_size=1_000, enqueue=False)
    campaign = _run(campaign)
    # chunk 1 costs 1.080, chunk 2 costs 1.064 (total 2.144); chunk 3 would pass 2.5
    assert campaign.status == CampaignStatus.PAUSED and campaign.status_reason == "DAILY_LIMIT_EXCEEDED"
    assert campaign.spins_done == 2_000 and campaign.fees_charged == Decimal("2.144")
    with pytest.raises(CampaignStateConflict):
        services.campaign_resume(campaign_id=ProbeCampaign.objects.create(
            engine_kind="local", game_version=fruit_version, profile=campaign.profile, target_spins=1, chunk_size=1,
            seed="x", cost_per_query=0, status=CampaignStatus.COMPLETED).pk, enqueue=False)
    from wallet_app.services import set_limits

    set_limits(wallet_id=wallet.pk, daily_limit=None)
    services.campaign_resume(campaign_id=campaign.pk, enqueue=False)
    campaign = _run(campaign)
    assert campaign.status == CampaignStatus.COMPLETED and campaign.spins_done == 3_000


def test_campaign_pauses_on_insufficient_balance_at_commit(fruit_version, make_wallet, monkeypatch):
    wallet = make_wallet(balance="1", cost_per_query=Decimal("0.01"))
    campaign = services.campaign_create(game_version=fruit_version, target_spins=500, wallet=wallet, seed="b",
                                        chunk_size=500, enqueue=False)
    monkeypatch.setattr(services, "_wallet_refusal", lambda campaign, fee: None)  # reach the locked charge
    campaign = _run(campaign)
    assert campaign.status == CampaignStatus.PAUSED and campaign.status_reason == "INSUFFICIENT_BALANCE"
    assert campaign.spins_done == 0 and campaign.stats == {} and not ProbeSample.objects.exists()
    assert not LedgerEntry.objects.filter(kind="query_fee").exists()


def test_campaign_stops_at_the_query_budget(fruit_version):
    campaign = services.campaign_create(game_version=fruit_version, target_spins=10_000, query_budget=2_500,
                                        seed="q", chunk_size=1_000, enqueue=False)
    campaign = _run(campaign)
    assert campaign.status == CampaignStatus.COMPLETED and campaign.status_reason == "query_budget_exhausted"
    assert campaign.queries_used == 2_500  # the last chunk shrank to fit the budget exactly
    assert campaign.spins_done == 2_500 - 2 * REPLAY_CHECKS - 3 * DETERMINISTIC_SPINS_PER_CHUNK


def test_chunk_is_counted_once_when_two_workers_race(fruit_version, monkeypatch):
    campaign = services.campaign_create(game_version=fruit_version, target_spins=2_000, seed="r", chunk_size=1_000,
                                        enqueue=False)
    real_commit = services._commit_chunk

    def twice(campaign_id, **kwargs):  # a second worker commits the same chunk first
        first = real_commit(campaign_id, **kwargs)
        second = real_commit(campaign_id, **kwargs)
        assert first.committed and not second.committed
        return first

    monkeypatch.setattr(services, "_commit_chunk", twice)
    services.campaign_run_chunk(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.spins_done == 1_000 and SufficientStats.from_json(campaign.stats).spins == 1_000
    assert campaign.chunks_done == 1


def test_campaign_black_box_engine_and_failures(fruit_version, demo_definitions, monkeypatch):
    definition = demo_definitions["fruit-low"]
    engines = {"box": BlackBox(definition), "flaky": Flaky(definition), "broken": Broken(),
               "shape": ShapeShifter(definition)}
    monkeypatch.setattr(services, "engine_for_campaign", lambda c: engines[c.seed])

    def run(seed):
        return _run(services.campaign_create(game_version=fruit_version, target_spins=60, seed=seed, chunk_size=20,
                                             extend_profile=False, enqueue=False))

    box = run("box")
    assert box.status == CampaignStatus.COMPLETED and box.queries_used == 60 + 2 * REPLAY_CHECKS
    assert box.stats["line_pays"]  # reported by the engine on every spin
    flaky = run("flaky")
    assert flaky.stats["replay_mismatches"] == REPLAY_CHECKS
    assert flaky.profile.signature["deterministic"]["replay"]["consistent"] is False
    broken = run("broken")
    assert broken.status == CampaignStatus.PAUSED and broken.status_reason == "ENGINE_UNAVAILABLE"
    assert "unreachable" in broken.error and broken.spins_done == 0
    shape = run("shape")
    assert shape.status == CampaignStatus.FAILED and shape.spins_done == 0  # first chunk straddles the change
    assert shape.status_reason == "INVALID_ENGINE_OUTPUT"


def test_second_campaign_extends_the_profile_without_reprobing(fruit_version):
    first = _run(services.campaign_create(game_version=fruit_version, target_spins=3_000, seed="one", enqueue=False))
    second = _run(services.campaign_create(game_version=fruit_version, target_spins=2_000, seed="two",
                                           enqueue=False))
    assert second.profile.version == 2 and second.profile.parent_id == first.profile_id
    assert second.profile.spins == 5_000 and second.spins_done == 2_000
    expected = SufficientStats.from_json(first.stats).merge(SufficientStats.from_json(second.stats))
    assert second.profile.stats == expected.to_json()
    fresh = _run(services.campaign_create(game_version=fruit_version, target_spins=1_000, seed="three",
                                          extend_profile=False, enqueue=False))
    assert fresh.profile.version == 3 and fresh.profile.spins == 1_000 and fresh.profile.parent_id is None


def test_campaign_create_validates_its_arguments(fruit_version):
    bad = [dict(target_spins=0), dict(target_spins=10, chunk_size=0), dict(target_spins=10, query_budget=0),
           dict(target_spins=10, seed=""), dict(target_spins=10, seed="x" * 129), dict(target_spins=True),
           dict(target_spins=10, remote_url="http://127.0.0.1:9/spin"), dict(target_spins=10 ** 12)]
    for kwargs in bad:
        with pytest.raises(InvalidCampaign):
            services.campaign_create(game_version=fruit_version, enqueue=False, **kwargs)
    with pytest.raises(InvalidCampaign):
        services.campaign_create(target_spins=10, enqueue=False)
    with pytest.raises(InvalidCampaign):
        services.campaign_create(remote_url="ftp://example.invalid/x", target_spins=10, enqueue=False)
    assert not ProbeCampaign.objects.exists() and not FingerprintProfile.objects.exists()


def test_recovery_hook_stops_the_campaign_once_exact(fruit_version, monkeypatch, with_recovery):
    calls = []

    def recover_model(*, observations, targeted=()):
        calls.append(len(observations))
        assert not targeted
        window, multiplier = observations[0].window, observations[0].multiplier
        assert len(window) == 3 and len(window[0]) == 5 and isinstance(multiplier, Fraction)
        status = "exact" if len(calls) == 2 else "partial"
        return RecoveryResult(status=RecoveryStatus(status), definition={"slug": "recovered"} if status == "exact" else None,
                              par={"rtp": "0.95"} if status == "exact" else None, notes=[f"call {len(calls)}"],
                              rtp=Fraction(19, 20) if status == "exact" else None)

    monkeypatch.setattr(recovery_hook, "recover_model", recover_model)
    campaign = _run(services.campaign_create(game_version=fruit_version, target_spins=10_000, seed="x",
                                             chunk_size=1_000, enqueue=False))
    # after the exact result on 2,000 spins, the 1,000-spin prefix is tried (and is not exact)
    assert calls == [1_000, 2_000, 1_000]
    assert campaign.status == CampaignStatus.COMPLETED_EXACT and campaign.spins_done == 2_000
    profile = campaign.profile
    assert profile.exact and profile.spins_until_exact == 2_000 and profile.recovery_status == "exact"
    assert profile.targeted_spins_until_exact == 0 and campaign.targeted_spins == 0
    assert profile.recovered_definition == {"slug": "recovered"} and profile.recovery_notes == ["call 2"]


def test_recovery_hook_failure_is_recorded_not_fatal(fruit_version, monkeypatch, with_recovery):
    def recover_model(*, observations, targeted=()):
        raise RuntimeError("boom")

    monkeypatch.setattr(recovery_hook, "recover_model", recover_model)
    campaign = _run(services.campaign_create(game_version=fruit_version, target_spins=2_000, seed="y",
                                             chunk_size=1_000, enqueue=False))
    assert campaign.status == CampaignStatus.COMPLETED and campaign.spins_done == 2_000
    assert campaign.profile.recovery_status == "error" and "boom" in campaign.profile.recovery_notes[0]


def test_sample_is_capped_and_decodes_to_observations(fruit_version, monkeypatch):
    monkeypatch.setattr(services, "SAMPLE_LIMIT", 1_500)
    campaign = _run(services.campaign_create(game_version=fruit_version, target_spins=3_000, seed="z",
                                             chunk_size=1_000, enqueue=False))
    assert campaign.sample_spins == 1_500
    assert list(ProbeSample.objects.filter(campaign=campaign).values_list("count", flat=True)) == [1_000, 500]
    observations = recovery_hook.campaign_observations(campaign_id=campaign.pk)
    assert len(observations) == 1_500
    first = observations[0]
    assert isinstance(first, Observation)
    stats = SufficientStats.from_observations((o.window, o.multiplier, []) for o in observations[:1_000])
    assert len(first.window) == 3 and isinstance(first.multiplier, Fraction)
    chunk_one = SufficientStats.from_json(ProbeCampaign.objects.get(pk=campaign.pk).stats)
    assert stats.spins == 1_000 and stats.cell_counts.keys() == chunk_one.cell_counts.keys()


def test_recovery_hook_with_the_real_module(fruit_version, with_recovery):
    """A campaign on fruit-low ends early and exact, and the prefix it reports is enough."""
    from fingerprint_app.recovery import recover_model

    campaign = _run(services.campaign_create(game_version=fruit_version, target_spins=200_000, seed="real",
                                             chunk_size=10_000, enqueue=False))
    assert campaign.status == CampaignStatus.COMPLETED_EXACT and campaign.spins_done < 200_000
    needed = campaign.profile.spins_until_exact
    assert campaign.profile.exact and needed <= campaign.spins_done
    assert needed in (*recovery_hook.EXACT_PREFIXES, campaign.sample_spins)
    assert campaign.profile.recovered_definition is not None
    # the prefix it reports is itself enough for an exact model
    observations = recovery_hook.campaign_observations(campaign_id=campaign.pk)[:needed]
    assert recover_model(observations=observations).status == "exact"


# fruit-low's first 1,000 spins pin everything but its rarest pays: the targeted probes' case, cheaply.
TARGETED_CHUNK = 1_000


@pytest.fixture
def classic_version(load_definition, demo_definitions):
    return load_definition(demo_definitions["classic-medium"])


def test_targeted_probes_finish_the_model_and_are_charged_as_queries(fruit_version, make_wallet, with_recovery):
    """fruit-low's BELL x4 and x5 (about 1 in 1,400 and 1 in 14,000 spins) are not in a 1,000-spin
    sample; the hook steers the local engine's draws for them, counts and charges those spins."""
    wallet = make_wallet(balance="100", cost_per_query=Decimal("0.0001"))
    campaign = _run(services.campaign_create(game_version=fruit_version, target_spins=10_000, wallet=wallet,
                                             seed="t", chunk_size=TARGETED_CHUNK, enqueue=False))
    assert campaign.status == CampaignStatus.COMPLETED_EXACT and campaign.spins_done == TARGETED_CHUNK
    profile = campaign.profile
    assert profile.exact and 0 < campaign.targeted_spins <= recovery_hook.TARGETED_MAX_SPINS
    assert profile.targeted_spins_until_exact == campaign.targeted_spins
    assert profile.spins_until_exact - campaign.targeted_spins in recovery_hook.EXACT_PREFIXES
    from games_app.engine.definition import GameDefinition
    from games_app.engine.par_sheet import compute_par_sheet

    recovered = compute_par_sheet(GameDefinition.from_dict(profile.recovered_definition))
    assert recovered.rtp == compute_par_sheet(GameDefinition.from_dict(fruit_version.definition)).rtp
    assert campaign.queries_used == TARGETED_CHUNK + DETERMINISTIC_SPINS_PER_CHUNK + 2 * REPLAY_CHECKS + \
        campaign.targeted_spins
    assert campaign.fees_charged == Decimal("0.0001") * campaign.queries_used
    targeted_fee = LedgerEntry.objects.get(wallet=wallet, reference__contains=":targeted:")
    assert -targeted_fee.amount == Decimal("0.0001") * campaign.targeted_spins
    wallet.refresh_from_db()
    assert wallet.balance == Decimal(100) - campaign.fees_charged


def test_targeted_probes_respect_the_query_budget(classic_version, with_recovery):
    budget = 20_000 + DETERMINISTIC_SPINS_PER_CHUNK + 2 * REPLAY_CHECKS + 5
    campaign = _run(services.campaign_create(game_version=classic_version, target_spins=20_000, query_budget=budget,
                                             seed="t", chunk_size=20_000, enqueue=False))
    assert campaign.queries_used <= budget and campaign.targeted_spins <= 5
    assert campaign.profile.recovery_status == "partial" and not campaign.profile.exact


def test_targeted_probes_are_not_repeated_while_the_recorded_model_holds(fruit_version, make_wallet, with_recovery):
    wallet = make_wallet(balance="100", cost_per_query=Decimal("0.0001"))
    campaign = _run(services.campaign_create(game_version=fruit_version, target_spins=3 * TARGETED_CHUNK,
                                             wallet=wallet, seed="keep", chunk_size=TARGETED_CHUNK,
                                             stop_when_exact=False, enqueue=False))
    assert campaign.status == CampaignStatus.COMPLETED and campaign.spins_done == 3 * TARGETED_CHUNK
    assert campaign.recovery_sample_spins == 3 * TARGETED_CHUNK and campaign.profile.exact
    targeted = LedgerEntry.objects.filter(wallet=wallet, reference__contains=":targeted:")
    assert targeted.count() == 1 and campaign.targeted_spins == campaign.profile.targeted_spins_until_exact
    assert sum("no new targeted probes" in note for note in campaign.profile.recovery_notes) >= 1


def test_targeted_probes_fit_in_what_the_wallet_can_still_pay(classic_version, make_wallet, with_recovery):
    """The allowance is what the balance covers (not all-or-nothing at the 400 cap); an allowance
    too small to finish (10 queries) is not spent at all, and the balance never goes negative."""
    chunk_queries = 20_000 + DETERMINISTIC_SPINS_PER_CHUNK + 2 * REPLAY_CHECKS
    wallet = make_wallet(balance=str(Decimal("0.01") * (chunk_queries + 10)), cost_per_query=Decimal("0.01"))
    campaign = _run(services.campaign_create(game_version=classic_version, target_spins=20_000, wallet=wallet,
                                             seed="t", chunk_size=20_000, enqueue=False))
    assert campaign.targeted_spins == 0 and campaign.queries_used == chunk_queries
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("0.10") and not campaign.profile.exact
    assert any("need about" in note for note in campaign.profile.recovery_notes)
