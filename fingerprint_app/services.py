"""Writes of fingerprint_app: creating, running (chunk by chunk), pausing and resuming campaigns.

A chunk is probed outside any transaction (a remote engine may be slow), then committed in ONE
transaction that locks the campaign row, re-checks that nobody committed this chunk meanwhile
(compare ``spins_done``), charges the chunk's queries to the wallet, merges the chunk's
statistics, stores the raw sample, advances ``spins_done`` and updates the profile. A worker
killed before that commit leaves no trace; the next run probes the same spin indices again (the
probe stream is a pure function of seed and index) and so counts every spin exactly once.
"""
from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import outbound, policy
from core.exceptions import DomainError
from core.money import exact_money, money_context
from core.request_context import get_request_id
from core.rng import generate_server_seed
# tasks.py runs this module's campaign_run; each imports the other as a module (not names), so either loads first.
from fingerprint_app import metrics, tasks
from fingerprint_app.exceptions import CampaignStateConflict, InvalidCampaign
from fingerprint_app.locks import lock_campaign, lock_profile
from fingerprint_app.models import (RUNNABLE_STATUSES, CampaignStatus, EngineKind,
                                    FingerprintProfile, ProbeCampaign, ProbeSample)
from fingerprint_app.probing import (DETERMINISTIC_SPINS_PER_CHUNK, REPLAY_CHECKS, deterministic_probe,
                                     is_vectorised, probe_batch, queries_for_chunk)
from fingerprint_app.recovery_hook import WALLET_REFUSALS, maybe_recover
from fingerprint_app.signatures import rtp_interval, signature_from_stats
from fingerprint_app.stats import StatsShapeMismatch, SufficientStats
from games_app.engine.interface import EngineError, RemoteSlotEngine, SlotEngine
from games_app.models import GameVersion
from games_app.selectors import engine_for
from wallet_app.models import LedgerKind, Wallet
from wallet_app.selectors import wallet_payment_capacity
from wallet_app.services import charge_for_play


logger = logging.getLogger("fingerprint_app")

LOCAL_CHUNK = 262_144          # 16 probe blocks: ~1 s of work per commit for the demo games
REMOTE_CHUNK = 100             # one HTTP call per spin: commit progress often
MAX_CHUNK = 1_048_576
MAX_TARGET = 100_000_000
SAMPLE_LIMIT = 50_000          # raw observations kept per campaign for the recovery
CONVERGENCE_POINTS = 200


# -- engine --------------------------------------------------------------------------------------
def engine_key_for(*, game_version: GameVersion | None, remote_url: str) -> str:
    if game_version is not None:
        return f"local:{game_version.game.slug}:v{game_version.version}"
    return f"remote:{remote_url}"


def engine_for_campaign(campaign: ProbeCampaign) -> SlotEngine:
    """The black box a campaign probes (tests replace this to plug in other engines)."""
    if campaign.engine_kind == EngineKind.LOCAL:
        return engine_for(version=campaign.game_version)
    return RemoteSlotEngine(campaign.remote_url)


# -- create / resume -----------------------------------------------------------------------------
def _check_remote_url(remote_url: str) -> None:
    """The outbound guard's verdict now (every engine call checks again, on the address it connects to)."""
    if not isinstance(remote_url, str) or len(remote_url) > 500:
        raise InvalidCampaign("remote_url must be an http(s) URL of at most 500 characters.",
                              details={"field": "remote_url"})
    try:
        outbound.resolve_target(remote_url, allow_private=settings.REMOTE_ENGINE_ALLOW_PRIVATE)
    except outbound.OutboundRefused as exc:
        raise InvalidCampaign(f"remote_url refused: {exc.message}",
                              details={"field": "remote_url", "reason": exc.reason}) from None


def _check_int(value: Any, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidCampaign(f"{field} must be an integer in {low}..{high}.", details={"field": field})
    return value


def campaign_create(*, actor: policy.Actor | None = None, created_by=None, game_version: GameVersion | None = None, remote_url: str = "",
                    target_spins: int, query_budget: int | None = None, wallet: Wallet | None = None,
                    seed: str | None = None, chunk_size: int | None = None, extend_profile: bool = True,
                    stop_when_exact: bool = True, enqueue: bool = True, request_id: str = "") -> ProbeCampaign:
    """Create a queued campaign and the profile version it fills.

    The profile is the next version for the engine; with ``extend_profile`` it starts from the
    latest version's statistics (snapshotted into ``base_stats``). Locks the engine's latest
    profile row so concurrent creations number versions without gaps. The wallet's
    ``cost_per_query`` is snapshotted. With ``stop_when_exact`` the campaign ends as soon as the
    exact-model recovery succeeds. With ``enqueue`` the Celery task starts after commit.
    Raises InvalidCampaign for bad arguments. With ``actor`` (an API or console caller; None: the
    system itself), the actor must be staff and the wallet its own (only the owner spends):
    Forbidden, or InvalidCampaign naming ``wallet_id``."""
    if actor is not None:
        _authorize_campaign(actor, wallet)
    if (game_version is None) == (not remote_url):
        raise InvalidCampaign("Give exactly one engine: a game version or a remote URL.",
                              details={"field": "engine"})
    if remote_url:
        _check_remote_url(remote_url)
    _check_int(target_spins, field="target_spins", low=1, high=MAX_TARGET)
    if query_budget is not None:
        _check_int(query_budget, field="query_budget", low=1, high=10 * MAX_TARGET)
    local = game_version is not None
    if chunk_size is None:
        chunk_size = LOCAL_CHUNK if local else REMOTE_CHUNK
    _check_int(chunk_size, field="chunk_size", low=1, high=MAX_CHUNK)
    seed = generate_server_seed() if seed is None else seed
    if not isinstance(seed, str) or not 1 <= len(seed) <= 128 or not seed.isprintable():
        raise InvalidCampaign("seed must be 1-128 printable characters.", details={"field": "seed"})
    key = engine_key_for(game_version=game_version, remote_url=remote_url)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                latest = (FingerprintProfile.objects.select_for_update(of=("self",))
                          .filter(engine_key=key).order_by("-version").first())
                base = SufficientStats.from_json(latest.stats) if (latest and extend_profile) else SufficientStats()
                profile = FingerprintProfile.objects.create(
                    engine_key=key, version=(latest.version + 1) if latest else 1,
                    label=(f"{game_version.game.slug} v{game_version.version}" if local else remote_url)[:200],
                    engine_kind=EngineKind.LOCAL if local else EngineKind.REMOTE, game_version=game_version,
                    remote_url=remote_url, parent=latest if extend_profile else None, spins=base.spins,
                    stats=base.to_json(), signature=signature_from_stats(base),
                    convergence=list(latest.convergence) if (latest and extend_profile) else [],
                    par_rtp=game_version.rtp if local else None)
                campaign = ProbeCampaign.objects.create(
                    engine_kind=profile.engine_kind, game_version=game_version, remote_url=remote_url,
                    profile=profile, base_stats=base.to_json(), target_spins=target_spins,
                    query_budget=query_budget, chunk_size=chunk_size, seed=seed, wallet=wallet,
                    stop_when_exact=bool(stop_when_exact),
                    cost_per_query=wallet.cost_per_query if wallet is not None else Decimal(0),
                    created_by=created_by, request_id=request_id or get_request_id())
                if enqueue:
                    transaction.on_commit(lambda: _enqueue(campaign.pk))
                return campaign
        except IntegrityError:
            continue  # a concurrent creation took version 1 of a new engine; retry once
    raise CampaignStateConflict("Could not number the profile version; retry.")


def _enqueue(campaign_id: int) -> None:
    tasks.run_campaign_task.delay(campaign_id)


def _authorize_campaign(actor: policy.Actor, wallet: Wallet | None) -> None:
    policy.require(actor, policy.Act.CAMPAIGN_MANAGE)
    if wallet is not None and not policy.allows(actor, policy.Act.WALLET_SPEND, owner_id=wallet.owner_id):
        raise InvalidCampaign("The campaign's wallet must be your own.", details={"field": "wallet_id"})


def campaign_resume(*, campaign_id: int, actor: policy.Actor | None = None, enqueue: bool = True) -> ProbeCampaign:
    """Put a paused campaign back in the queue (e.g. after the daily limit reset). Locks the
    campaign; raises CampaignNotFound, CampaignStateConflict unless it is paused. With ``actor``:
    staff only, and a campaign that charges a wallet is resumed only by that wallet's owner."""
    with transaction.atomic():
        campaign = lock_campaign(campaign_id=campaign_id)
        if actor is not None:
            _authorize_campaign(actor, campaign.wallet)
        if campaign.status != CampaignStatus.PAUSED:
            raise CampaignStateConflict(f"Only a paused campaign can be resumed (it is {campaign.status}).",
                                        details={"status": campaign.status})
        campaign.status, campaign.status_reason, campaign.error = CampaignStatus.QUEUED, "", ""
        campaign.save(update_fields=["status", "status_reason", "error", "updated_at"])
        if enqueue:
            transaction.on_commit(lambda: _enqueue(campaign_id))
        return campaign


# -- chunks --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkResult:
    campaign_id: int
    status: str
    spins_done: int
    target_spins: int
    committed: bool    # this call advanced spins_done
    more: bool         # another chunk should run

    @property
    def progress(self) -> float:
        return self.spins_done / self.target_spins if self.target_spins else 1.0


def _chunk_spins(campaign: ProbeCampaign, *, vectorised: bool) -> int:
    """Spins of the next chunk: limited by chunk size, target and remaining query budget."""
    start = campaign.spins_done
    count = min(campaign.chunk_size, campaign.target_spins - start)
    if count <= 0 or campaign.query_budget is None:
        return max(count, 0)
    remaining = campaign.query_budget - campaign.queries_used
    replay = 2 * REPLAY_CHECKS if start == 0 else 0
    audit = DETERMINISTIC_SPINS_PER_CHUNK if vectorised else 0

    spare = remaining - replay
    if count + min(audit, count) <= spare:
        return count
    if spare - audit >= audit:      # a chunk of at least `audit` spins pays the full audit
        return spare - audit
    return max(0, spare // 2) if audit else max(0, spare)


def _result(campaign: ProbeCampaign, *, committed: bool) -> ChunkResult:
    return ChunkResult(campaign.pk, campaign.status, campaign.spins_done, campaign.target_spins, committed,
                       campaign.status in RUNNABLE_STATUSES)


def _stop(campaign_id: int, status: str, *, reason: str, error: str = "", expected_spins: int | None = None) -> ChunkResult:
    with transaction.atomic():
        campaign = lock_campaign(campaign_id=campaign_id)
        if campaign.status in RUNNABLE_STATUSES and (expected_spins is None or campaign.spins_done == expected_spins):
            campaign.set_status(status, reason=reason, error=error)
            campaign.save(update_fields=["status", "status_reason", "error", "finished_at", "updated_at"])
        return _result(campaign, committed=False)


@exact_money
def _wallet_refusal(campaign: ProbeCampaign, fee: Decimal) -> DomainError | None:
    """Cheap read-only look before probing, so a campaign whose wallet cannot pay does not query
    the engine; the charge under the wallet lock at commit is the authoritative check."""
    if campaign.wallet_id is None or fee == 0:
        return None
    capacity = wallet_payment_capacity(wallet_id=campaign.wallet_id)
    return None if capacity is None else capacity.refusal(amount=fee)  # a missing wallet fails the charge


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _convergence_point(stats: SufficientStats) -> list[float]:
    mean, lo, hi = rtp_interval(stats)
    return [stats.spins, round(float(mean), 8), round(lo, 8), round(hi, 8)]


def _append_point(series: list, point: list) -> list:
    series = [*series, point]
    if len(series) > CONVERGENCE_POINTS:
        series = series[:-1][::2] + [series[-1]]  # thin older points, keep the newest
    return series


def campaign_run_chunk(*, campaign_id: int) -> ChunkResult:
    """Probe and commit the campaign's next chunk (see the module docstring).

    Locks campaign, wallet (through charge_for_play) and profile, in that order, for the commit
    only. A wallet refusal (daily limit, balance, frozen) pauses the campaign with the error code
    as ``status_reason`` and commits nothing else; an engine error pauses it with
    ``ENGINE_UNAVAILABLE``; an engine whose window shape changes fails it. Safe to call from
    several workers at once: only one commits a given chunk."""
    started = time.perf_counter()
    campaign = ProbeCampaign.objects.select_related("game_version__game").filter(pk=campaign_id).first()
    if campaign is None or campaign.status not in RUNNABLE_STATUSES:
        return _result(campaign, committed=False) if campaign else ChunkResult(campaign_id, "missing", 0, 0, False, False)
    engine = engine_for_campaign(campaign)
    vectorised = is_vectorised(engine)
    start = campaign.spins_done
    count = _chunk_spins(campaign, vectorised=vectorised)
    if count == 0:
        reason = "target_reached" if start >= campaign.target_spins else "query_budget_exhausted"
        return _stop(campaign_id, CampaignStatus.COMPLETED, reason=reason, expected_spins=start)
    queries = queries_for_chunk(engine=engine, start_index=start, count=count)
    with money_context():
        fee = campaign.cost_per_query * queries
    refusal = _wallet_refusal(campaign, fee)
    if refusal is not None:
        metrics.PROBE_CHUNKS.labels(outcome="paused").inc()
        return _stop(campaign_id, CampaignStatus.PAUSED, reason=refusal.code, error=refusal.message,
                     expected_spins=start)
    try:
        batch = probe_batch(engine, seed=campaign.seed, start_index=start, count=count)
        chunk = SufficientStats.from_batch(batch)
        chunk.add_deterministic(deterministic_probe(engine, seed=campaign.seed, start_index=start, count=count))
    except EngineError as exc:
        metrics.PROBE_CHUNKS.labels(outcome="engine_error").inc()
        return _stop(campaign_id, CampaignStatus.PAUSED, reason="ENGINE_UNAVAILABLE", error=str(exc),
                     expected_spins=start)
    except ValueError as exc:
        metrics.PROBE_CHUNKS.labels(outcome="failed").inc()
        return _stop(campaign_id, CampaignStatus.FAILED, reason="INVALID_ENGINE_OUTPUT", error=str(exc),
                     expected_spins=start)
    result = _commit_chunk(campaign_id, start=start, count=count, queries=queries, fee=fee, batch=batch,
                           chunk=chunk, vectorised=vectorised)
    metrics.CHUNK_SECONDS.observe(time.perf_counter() - started)
    if result.committed:
        metrics.PROBE_SPINS.labels(engine_kind=campaign.engine_kind).inc(count)
        maybe_recover(campaign_id=campaign_id, engine=engine)
        campaign.refresh_from_db(fields=["status", "spins_done"])
        return _result(campaign, committed=True)
    return result


def _commit_chunk(campaign_id: int, *, start: int, count: int, queries: int, fee: Decimal, batch, chunk,
                  vectorised: bool) -> ChunkResult:
    with transaction.atomic():
        campaign = lock_campaign(campaign_id=campaign_id)
        if campaign.status not in RUNNABLE_STATUSES or campaign.spins_done != start:
            # Another worker committed this chunk (or the campaign was stopped) while we probed.
            metrics.PROBE_CHUNKS.labels(outcome="superseded").inc()
            return _result(campaign, committed=False)
        try:
            merged = SufficientStats.from_json(campaign.stats).merge(chunk)
            profile_stats = SufficientStats.from_json(campaign.base_stats).merge(merged)
        except StatsShapeMismatch as exc:
            campaign.set_status(CampaignStatus.FAILED, reason="WINDOW_SHAPE_CHANGED", error=str(exc))
            campaign.save(update_fields=["status", "status_reason", "error", "finished_at", "updated_at"])
            return _result(campaign, committed=False)
        if campaign.wallet_id is not None and fee > 0:
            try:
                charge_for_play(wallet_id=campaign.wallet_id, stake=Decimal(0), fee=fee,
                                fee_kind=LedgerKind.QUERY_FEE,
                                reference=f"probe_campaign:{campaign.pk}:{start}", request_id=campaign.request_id)
            except WALLET_REFUSALS as exc:
                campaign.set_status(CampaignStatus.PAUSED, reason=exc.code, error=exc.message)
                campaign.save(update_fields=["status", "status_reason", "error", "updated_at"])
                metrics.PROBE_CHUNKS.labels(outcome="paused").inc()
                return _result(campaign, committed=False)
        now = timezone.now()
        campaign.stats = merged.to_json()
        campaign.spins_done = start + count
        campaign.queries_used += queries
        with money_context():
            campaign.fees_charged += fee
        campaign.chunks_done += 1
        campaign.convergence = _append_point(campaign.convergence, _convergence_point(merged))
        campaign.started_at = campaign.started_at or now
        campaign.status = CampaignStatus.RUNNING
        if campaign.sample_spins < SAMPLE_LIMIT:
            keep = min(count, SAMPLE_LIMIT - campaign.sample_spins)
            ProbeSample.objects.create(
                campaign=campaign, start_index=start, count=keep, alphabet=list(batch.alphabet),
                windows=_npy(batch.windows[:keep]), numerators=_npy(batch.numerators[:keep]),
                denominator=str(batch.denominator))
            campaign.sample_spins += keep
        if _chunk_spins(campaign, vectorised=vectorised) == 0:
            reached = campaign.spins_done >= campaign.target_spins
            campaign.set_status(CampaignStatus.COMPLETED,
                        reason="target_reached" if reached else "query_budget_exhausted")
        campaign.save()
        profile = lock_profile(profile_id=campaign.profile_id)
        profile.stats = profile_stats.to_json()
        profile.signature = signature_from_stats(profile_stats)
        profile.spins = profile_stats.spins
        profile.convergence = _append_point(profile.convergence, _convergence_point(profile_stats))
        profile.save(update_fields=["stats", "signature", "spins", "convergence", "updated_at"])
        metrics.PROBE_CHUNKS.labels(outcome="committed").inc()
        return _result(campaign, committed=True)


def campaign_run(*, campaign_id: int, max_chunks: int | None = None, sleep_seconds: float = 0.0,
                 on_chunk: Callable[[ChunkResult], None] | None = None) -> ChunkResult:
    """Run chunks in this process until the campaign stops being runnable (or ``max_chunks``).
    Bounded: never more chunks than the target needs plus a few retries of superseded chunks."""
    campaign = ProbeCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return ChunkResult(campaign_id, "missing", 0, 0, False, False)
    needed = math.ceil((campaign.target_spins - campaign.spins_done) / campaign.chunk_size) + 3
    limit = needed if max_chunks is None else min(max_chunks, needed)
    result = _result(campaign, committed=False)
    for _ in range(limit):
        result = campaign_run_chunk(campaign_id=campaign_id)
        if on_chunk is not None:
            on_chunk(result)
        if not result.more:
            break
        if sleep_seconds:
            time.sleep(sleep_seconds)
    return result
