"""A campaign whose worker process is killed (SIGKILL) resumes to exactly the uninterrupted result."""
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from fingerprint_app import services
from fingerprint_app.models import CampaignStatus, ProbeCampaign, ProbeSample
from tests.reliability.servers import database_url
from wallet_app.models import LedgerEntry

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)
# Three chunks: the worker is killed after the first commit, the resumed one runs the other two.
# Small chunks exercise the same resume path (stats, samples, fees, recovery) as large ones.
CHUNK = 2_000


def _worker(campaign_id: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "CELERY_TASK_ALWAYS_EAGER": "true"}
    env.pop("REDIS_URL", None)
    return subprocess.Popen([sys.executable, "manage.py", "run_campaign", str(campaign_id), "--quiet", "--sleep", "30"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _snapshot(campaign_id: int) -> dict:
    campaign = ProbeCampaign.objects.select_related("profile").get(pk=campaign_id)
    samples = [(s.start_index, s.count, s.alphabet, bytes(s.windows), bytes(s.numerators), s.denominator)
               for s in ProbeSample.objects.filter(campaign_id=campaign_id).order_by("start_index")]
    # Targeted probes are run by the recovery hook after a chunk commits; the worker is killed
    # right after its first commit, so whether (and at which sample size) they ran differs between
    # the two runs by design. Everything the chunks themselves do must be identical.
    entries = LedgerEntry.objects.filter(reference__startswith=f"probe_campaign:{campaign_id}:")
    targeted_fees = sum((-e.amount for e in entries if ":targeted:" in e.reference), Decimal(0))
    assert targeted_fees == campaign.cost_per_query * campaign.targeted_spins
    fees = sorted((e.amount, e.reference.rsplit(":", 1)[1]) for e in entries if ":targeted:" not in e.reference)
    return {"status": campaign.status, "spins_done": campaign.spins_done, "chunks_done": campaign.chunks_done,
            "queries_used": campaign.queries_used - campaign.targeted_spins,
            "fees_charged": campaign.fees_charged - targeted_fees, "stats": campaign.stats,
            "convergence": campaign.convergence, "profile_stats": campaign.profile.stats,
            "profile_signature": campaign.profile.signature, "samples": samples, "fees": fees,
            "recovery": (campaign.recovery_sample_spins, campaign.profile.recovery_status, campaign.profile.exact)}


def test_killed_worker_resumes_to_the_uninterrupted_result(fruit_version, make_wallet):
    wallet = make_wallet(balance="1000", cost_per_query=Decimal("0.0001"))
    common = dict(game_version=fruit_version, target_spins=3 * CHUNK, wallet=wallet, seed="kill-me", chunk_size=CHUNK,
                  extend_profile=False, stop_when_exact=False, enqueue=False)
    killed = services.campaign_create(**common)
    reference = services.campaign_create(**common)

    worker = _worker(killed.pk)
    try:
        deadline = time.monotonic() + 60
        while ProbeCampaign.objects.get(pk=killed.pk).chunks_done < 1:
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the worker never committed a chunk"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)  # a real crash: no cleanup, no atexit, mid-sleep before chunk 2
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
    connection.close()  # drop the connection the killed worker's locks could have touched
    interrupted = ProbeCampaign.objects.get(pk=killed.pk)
    assert interrupted.status == CampaignStatus.RUNNING and interrupted.spins_done == CHUNK

    services.campaign_run(campaign_id=killed.pk)   # the resumed worker
    services.campaign_run(campaign_id=reference.pk)  # the uninterrupted run, same seed

    resumed, fresh = _snapshot(killed.pk), _snapshot(reference.pk)
    assert resumed["status"] == CampaignStatus.COMPLETED and resumed["spins_done"] == 3 * CHUNK
    assert resumed["stats"]["spins"] == 3 * CHUNK
    assert resumed == fresh
    wallet.refresh_from_db()
    charged = sum(ProbeCampaign.objects.get(pk=pk).fees_charged for pk in (killed.pk, reference.pk))
    assert wallet.balance == Decimal(1000) - charged
