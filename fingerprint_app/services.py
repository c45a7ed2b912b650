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
from fractions import Fraction
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
from fingerprint_app import metrics
from fingerprint_app.exceptions import CampaignStateConflict, InvalidCampaign
from fingerprint_app.locks import lock_campaign, lock_profile
from fingerprint_app.models import (FINISHED_STATUSES, RUNNABLE_STATUSES, CampaignStatus, EngineKind,
                                    FingerprintProfile, ProbeCampaign, ProbeSample)
from fingerprint_app.probing import (DETERMINISTIC_SPINS_PER_CHUNK, REPLAY_CHECKS, deterministic_probe,
                                     is_vectorised, probe_batch, queries_for_chunk)
from fingerprint_app.signatures import rtp_interval, signature_from_stats
from fingerprint_app.stats import StatsShapeMismatch, SufficientStats
from games_app.engine.interface import EngineError, RemoteSlotEngine, SlotEngine
from games_app.models import GameVersion
from games_app.selectors import engine_for
from wallet_app.exceptions import DailyLimitExceeded, InsufficientBalance, WalletFrozen
from wallet_app.models import LedgerKind, Wallet
from wallet_app.selectors import wallet_spend_today
from wallet_app.services import charge_for_play

from fingerprint_app.recovery import recover_model
from fingerprint_app.recovery.model import replays_exactly
from fingerprint_app.recovery.targeted import complete_with_targeted_probes, finishable
from fingerprint_app.recovery.types import Observation

logger = logging.getLogger("fingerprint_app")

LOCAL_CHUNK = 262_144          # 16 probe blocks: ~1 s of work per commit for the demo games
REMOTE_CHUNK = 100             # one HTTP call per spin: commit progress often
MAX_CHUNK = 1_048_576
MAX_TARGET = 100_000_000
SAMPLE_LIMIT = 50_000          # raw observations kept per campaign for the recovery
CONVERGENCE_POINTS = 200
WALLET_REFUSALS = (DailyLimitExceeded, InsufficientBalance, WalletFrozen)


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
    from fingerprint_app.tasks import run_campaign_task

    run_campaign_task.delay(campaign_id)


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


def _set_status(campaign: ProbeCampaign, status: str, *, reason: str = "", error: str = "") -> None:
    campaign.status, campaign.status_reason, campaign.error = status, reason, error
    if status in FINISHED_STATUSES:
        campaign.finished_at = timezone.now()


def _stop(campaign_id: int, status: str, *, reason: str, error: str = "", expected_spins: int | None = None) -> ChunkResult:
    with transaction.atomic():
        campaign = lock_campaign(campaign_id=campaign_id)
        if campaign.status in RUNNABLE_STATUSES and (expected_spins is None or campaign.spins_done == expected_spins):
            _set_status(campaign, status, reason=reason, error=error)
            campaign.save(update_fields=["status", "status_reason", "error", "finished_at", "updated_at"])
        return _result(campaign, committed=False)


@exact_money
def _wallet_refusal(campaign: ProbeCampaign, fee: Decimal) -> DomainError | None:
    """Cheap read-only look before probing, so a campaign whose wallet cannot pay does not query
    the engine; the charge under the wallet lock at commit is the authoritative check."""
    if campaign.wallet_id is None or fee == 0:
        return None
    wallet = Wallet.objects.filter(pk=campaign.wallet_id).first()
    if wallet is None:
        return None  # the charge raises WalletNotFound at commit
    if wallet.frozen:
        return WalletFrozen(details={"wallet_id": wallet.pk})
    if wallet.daily_limit is not None and wallet_spend_today(wallet=wallet) + fee > wallet.daily_limit:
        return DailyLimitExceeded(details={"requested": str(fee)})
    if wallet.balance < fee:
        return InsufficientBalance(details={"requested": str(fee)})
    return None


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
        _maybe_recover(campaign_id)
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
            _set_status(campaign, CampaignStatus.FAILED, reason="WINDOW_SHAPE_CHANGED", error=str(exc))
            campaign.save(update_fields=["status", "status_reason", "error", "finished_at", "updated_at"])
            return _result(campaign, committed=False)
        if campaign.wallet_id is not None and fee > 0:
            try:
                charge_for_play(wallet_id=campaign.wallet_id, stake=Decimal(0), fee=fee,
                                fee_kind=LedgerKind.QUERY_FEE,
                                reference=f"probe_campaign:{campaign.pk}:{start}", request_id=campaign.request_id)
            except WALLET_REFUSALS as exc:
                _set_status(campaign, CampaignStatus.PAUSED, reason=exc.code, error=exc.message)
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
            _set_status(campaign, CampaignStatus.COMPLETED,
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


# -- recovery hook (issue 11) -------------------------------------------------------------------
def campaign_observations(*, campaign_id: int) -> list:
    """The campaign's stored raw sample as ``Observation(window, multiplier)``: windows are
    row-major lists of symbol names, multipliers exact Fractions."""
    observations = []
    for sample in ProbeSample.objects.filter(campaign_id=campaign_id).order_by("start_index"):
        windows = np.load(io.BytesIO(bytes(sample.windows)), allow_pickle=False)
        numerators = np.load(io.BytesIO(bytes(sample.numerators)), allow_pickle=False)
        denominator = int(sample.denominator)
        names = np.array(sample.alphabet, dtype=object)
        for window, numerator in zip(names[windows].tolist(), numerators.tolist()):
            multiplier = Fraction(numerator, denominator)
            observations.append(Observation(window=window, multiplier=multiplier))
    return observations


EXACT_PREFIXES = (1_000, 2_000, 5_000, 10_000, 20_000)
TARGETED_MAX_SPINS = 400


def _smallest_exact_prefix(observations: list, *, rtp: Fraction, equations: list) -> int:
    """The fewest uniform probe spins (on a 1k/2k/5k/10k/20k ladder) from which the model is
    already exact with the same RTP, given the targeted ``equations`` the recovery used.

    Chunks are far larger than what recovery needs, so `spins_done` would overstate it; this runs
    only once a model is exact, and small prefixes are cheap to recover."""
    for size in EXACT_PREFIXES:
        if size >= len(observations):
            break
        prefix = recover_model(observations=observations[:size], targeted=equations)
        if str(prefix.status) == "exact" and prefix.rtp == rtp:
            return size
    return len(observations)


@exact_money
def _targeted_allowance(campaign: ProbeCampaign) -> tuple[int, str]:
    """How many targeted probes the campaign may run now — at most TARGETED_MAX_SPINS, within the
    query budget and what the wallet can pay (balance, daily limit) — and why none, if none."""
    allowance = TARGETED_MAX_SPINS
    if campaign.query_budget is not None:
        allowance = min(allowance, campaign.query_budget - campaign.queries_used)
    if allowance <= 0:
        return 0, "targeted probes not run: the query budget is used up"
    cost = campaign.cost_per_query
    wallet = Wallet.objects.filter(pk=campaign.wallet_id).first() if campaign.wallet_id and cost > 0 else None
    if wallet is not None:
        if wallet.frozen:
            return 0, "targeted probes not run: the wallet is frozen"
        headroom = wallet.balance
        if wallet.daily_limit is not None:
            headroom = min(headroom, wallet.daily_limit - wallet_spend_today(wallet=wallet))
        allowance = min(allowance, max(0, int(headroom // cost)))
        if allowance == 0:
            return 0, "targeted probes not run: the wallet cannot pay for one more query (balance or daily limit)"
    return allowance, ""


def _recover(campaign: ProbeCampaign, observations: list, *, recorded: dict | None):
    """Passive recovery, completed by targeted probes when only unknown pays or paylines no spin
    told apart stand in the way and the campaign can pay for them. A model already recorded as exact that still reproduces the
    grown sample is kept without new probes (``result is None``).
    Returns ``(result, passive_result, targeted_outcome | None)``."""
    passive = recover_model(observations=observations)
    if not finishable(passive):
        return passive, passive, None
    if recorded is not None and replays_exactly(definition=recorded, observations=observations):
        return None, passive, None
    allowance, why_not = _targeted_allowance(campaign)
    if not allowance:
        passive.notes = [*passive.notes, why_not]
        return passive, passive, None
    try:
        outcome = complete_with_targeted_probes(observations=observations, engine=engine_for_campaign(campaign),
                                                result=passive, max_spins=allowance)
    except (EngineError, ValueError) as exc:
        passive.notes = [*passive.notes, f"targeted probes failed: {exc}"]
        return passive, passive, None
    return outcome.result, passive, outcome


def _recovery_fields(result) -> dict:
    status = str(result.status)
    return {"recovery_status": status, "exact": status == "exact", "recovered_definition": result.definition,
            "exact_par": result.par, "recovery_notes": [str(n) for n in (result.notes or [])]}


def _maybe_recover(campaign_id: int) -> None:
    """Try the exact-model recovery on the raw sample when it grew; record the result on the
    profile, and stop the campaign early (``completed_exact``) once the model is exact (unless
    the campaign was created with ``stop_when_exact=False``). Targeted probes (scripted draws,
    see ``fingerprint_app.recovery.targeted``) are queries: counted in ``queries_used`` and
    ``targeted_spins`` and charged like any other probe, in the same transaction.
    A crash in the recovery is logged and recorded in ``recovery_notes``, never fatal."""
    if recover_model is None:  # switched off (the issue-7 pipeline tests measure without it)
        return
    campaign = ProbeCampaign.objects.select_related("game_version", "profile").get(pk=campaign_id)
    if campaign.sample_spins <= campaign.recovery_sample_spins:
        return
    sample_size = campaign.sample_spins
    profile = campaign.profile
    needed = None
    targeted = None
    passive_fields = None
    try:
        observations = campaign_observations(campaign_id=campaign_id)
        result, passive, targeted = _recover(campaign, observations,
                                             recorded=profile.recovered_definition if profile.exact else None)
        passive_fields = _recovery_fields(passive)
        fields = {"recovery_notes": [*profile.recovery_notes, f"{sample_size:,} uniform spins: the recorded exact "
                                     "model still reproduces every payout; no new targeted probes"]} \
            if result is None else _recovery_fields(result)
        if fields.get("exact"):
            needed = _smallest_exact_prefix(observations, rtp=result.rtp,
                                            equations=targeted.equations if targeted else [])
    except Exception as exc:  # noqa: BLE001 - the statistical fingerprint must survive a recovery bug
        logger.exception("exact-model recovery failed for campaign %s", campaign_id)
        fields = {"recovery_status": "error", "exact": False, "recovered_definition": None, "exact_par": None,
                  "recovery_notes": [f"recovery raised {type(exc).__name__}: {exc}"]}
    spins = targeted.spins if targeted else 0
    with transaction.atomic():
        campaign = lock_campaign(campaign_id=campaign_id)
        campaign.recovery_sample_spins = sample_size
        if spins:
            fields = _pay_targeted(campaign, spins=spins, fields=fields, passive_fields=passive_fields)
        # completed_exact means "stopped early because the model is exact"; whether a profile is
        # exact is the profile's `exact` flag.
        if fields.get("exact") and campaign.stop_when_exact and campaign.status in RUNNABLE_STATUSES:
            _set_status(campaign, CampaignStatus.COMPLETED_EXACT, reason="exact_model_recovered")
        campaign.save()
        profile = lock_profile(profile_id=campaign.profile_id)
        for name, value in fields.items():
            setattr(profile, name, value)
        if fields.get("exact") and profile.spins_until_exact is None:
            profile.spins_until_exact = needed + spins
            profile.targeted_spins_until_exact = spins
        profile.save()


@exact_money
def _pay_targeted(campaign: ProbeCampaign, *, spins: int, fields: dict, passive_fields: dict) -> dict:
    """Count and charge the targeted probes (campaign row locked). If the budget or the wallet
    no longer allows them (a race with the look before probing), the campaign pauses and the
    result they produced is not recorded."""
    over_budget = campaign.query_budget is not None and campaign.queries_used + spins > campaign.query_budget
    fee = campaign.cost_per_query * spins
    refusal = None
    if not over_budget and campaign.wallet_id is not None and fee > 0:
        try:
            charge_for_play(wallet_id=campaign.wallet_id, stake=Decimal(0), fee=fee, fee_kind=LedgerKind.QUERY_FEE,
                            reference=f"probe_campaign:{campaign.pk}:targeted:{campaign.recovery_sample_spins}",
                            request_id=campaign.request_id)
        except WALLET_REFUSALS as exc:
            refusal = exc
    if over_budget or refusal is not None:
        if campaign.status in RUNNABLE_STATUSES:
            _set_status(campaign, CampaignStatus.PAUSED,
                        reason=refusal.code if refusal else "query_budget_exhausted",
                        error=refusal.message if refusal else "")
        return dict(passive_fields, recovery_notes=[*passive_fields["recovery_notes"],
                                                    f"{spins} targeted probes could not be paid: not recorded"])
    campaign.queries_used += spins
    campaign.targeted_spins += spins
    campaign.fees_charged += fee
    return fields
