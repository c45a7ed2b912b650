"""The campaign's exact-model recovery hook (issues 11 and 19).

After each committed chunk, :func:`maybe_recover` runs the recovery on the campaign's raw sample
(when it grew), completes it with targeted probes when only those can help and the campaign can
pay for them, records the result on the profile and stops the campaign early once the model is
exact (unless it was created with ``stop_when_exact=False``).

Targeted probes are queries: counted in ``queries_used`` and ``targeted_spins`` and charged like
any other probe, in the hook's one transaction (lock order campaign, wallet, profile). A crash in
the recovery is logged and recorded in ``recovery_notes``, never fatal.

``settings.FINGERPRINT_RECOVERY`` (default on) switches the hook off: the statistical pipeline
then runs alone.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
from django.conf import settings
from django.db import transaction

from core.money import exact_money
from fingerprint_app.locks import lock_campaign, lock_profile
from fingerprint_app.models import RUNNABLE_STATUSES, CampaignStatus, ProbeCampaign, ProbeSample
from fingerprint_app.recovery import recover_model
from fingerprint_app.recovery.model import replays_exactly
from fingerprint_app.recovery.targeted import complete_with_targeted_probes, targeted_probes_can_finish
from fingerprint_app.recovery.types import Observation
from games_app.engine.interface import EngineError, SlotEngine
from wallet_app.exceptions import DailyLimitExceeded, InsufficientBalance, WalletFrozen
from wallet_app.models import LedgerKind
from wallet_app.selectors import wallet_payment_capacity
from wallet_app.services import charge_for_play

__all__ = ["EXACT_PREFIXES", "TARGETED_MAX_SPINS", "campaign_observations", "maybe_recover", "recovery_enabled"]

logger = logging.getLogger("fingerprint_app")

# The ladder `spins_until_exact` is read on: chunks are far larger than what recovery needs, so
# `spins_done` would overstate it; these prefixes are cheap to recover once a model is exact.
EXACT_PREFIXES = (1_000, 2_000, 5_000, 10_000, 20_000)
# Targeted probes per recovery: the longest strip the scan allows (256) plus checks and one spin
# per unknown pay, with room to spare.
TARGETED_MAX_SPINS = 400
WALLET_REFUSALS = (DailyLimitExceeded, InsufficientBalance, WalletFrozen)


def recovery_enabled() -> bool:
    return bool(getattr(settings, "FINGERPRINT_RECOVERY", True))


def campaign_observations(*, campaign_id: int) -> list[Observation]:
    """The campaign's stored raw sample as ``Observation(window, multiplier)``: windows are
    row-major lists of symbol names, multipliers exact Fractions."""
    observations = []
    for sample in ProbeSample.objects.filter(campaign_id=campaign_id).order_by("start_index"):
        windows = np.load(io.BytesIO(bytes(sample.windows)), allow_pickle=False)
        numerators = np.load(io.BytesIO(bytes(sample.numerators)), allow_pickle=False)
        denominator = int(sample.denominator)
        names = np.array(sample.alphabet, dtype=object)
        for window, numerator in zip(names[windows].tolist(), numerators.tolist()):
            observations.append(Observation(window=window, multiplier=Fraction(numerator, denominator)))
    return observations


@dataclass
class _Attempt:
    """One recovery try: the fields to record on the profile, those of the passive result (kept if
    the targeted spins cannot be paid), the targeted spins used and the uniform spins needed."""

    fields: dict
    passive_fields: dict | None = None
    targeted_spins: int = 0
    uniform_needed: int | None = None


def maybe_recover(*, campaign_id: int, engine: SlotEngine) -> None:
    """Try the recovery on the campaign's sample when it grew, and record it (module docstring)."""
    if not recovery_enabled():
        return
    campaign = ProbeCampaign.objects.select_related("game_version", "profile").get(pk=campaign_id)
    if campaign.sample_spins <= campaign.recovery_sample_spins:
        return
    sample_size = campaign.sample_spins
    try:
        attempt = _attempt(campaign, engine, sample_size=sample_size)
    except Exception as exc:  # noqa: BLE001 - the statistical fingerprint must survive a recovery bug
        logger.exception("exact-model recovery failed for campaign %s", campaign_id)
        attempt = _Attempt(fields={"recovery_status": "error", "exact": False, "recovered_definition": None,
                                   "exact_par": None, "recovery_notes": [f"recovery raised {type(exc).__name__}: {exc}"]})
    _record(campaign_id, attempt, sample_size=sample_size)


def _attempt(campaign: ProbeCampaign, engine: SlotEngine, *, sample_size: int) -> _Attempt:
    profile = campaign.profile
    observations = campaign_observations(campaign_id=campaign.pk)
    result, passive, targeted = _recover(campaign, engine, observations,
                                         recorded=profile.recovered_definition if profile.exact else None)
    if result is None:
        note = f"{sample_size:,} uniform spins: the recorded exact model still reproduces every payout; " \
               "no new targeted probes"
        return _Attempt(fields={"recovery_notes": [*profile.recovery_notes, note]})
    attempt = _Attempt(fields=_recovery_fields(result), passive_fields=_recovery_fields(passive),
                       targeted_spins=targeted.spins if targeted else 0)
    if attempt.fields["exact"]:
        attempt.uniform_needed = _smallest_exact_prefix(observations, rtp=result.rtp,
                                                        equations=targeted.equations if targeted else [])
    return attempt


def _record(campaign_id: int, attempt: _Attempt, *, sample_size: int) -> None:
    fields = attempt.fields
    with transaction.atomic():
        campaign = lock_campaign(campaign_id=campaign_id)
        campaign.recovery_sample_spins = sample_size
        if attempt.targeted_spins:
            fields = _pay_targeted(campaign, spins=attempt.targeted_spins, fields=fields,
                                   passive_fields=attempt.passive_fields)
        # completed_exact means "stopped early because the model is exact"; whether a profile is
        # exact is the profile's `exact` flag.
        if fields.get("exact") and campaign.stop_when_exact and campaign.status in RUNNABLE_STATUSES:
            campaign.set_status(CampaignStatus.COMPLETED_EXACT, reason="exact_model_recovered")
        campaign.save()
        profile = lock_profile(profile_id=campaign.profile_id)
        for name, value in fields.items():
            setattr(profile, name, value)
        if fields.get("exact") and profile.spins_until_exact is None:
            profile.spins_until_exact = attempt.uniform_needed + attempt.targeted_spins
            profile.targeted_spins_until_exact = attempt.targeted_spins
        profile.save()


def _recover(campaign: ProbeCampaign, engine: SlotEngine, observations: list, *, recorded: dict | None):
    """Passive recovery, completed by targeted probes when only they can help and the campaign can
    pay for them. A model already recorded as exact that still reproduces the grown sample is kept
    without new probes (``result is None``). Returns ``(result, passive_result, targeted | None)``."""
    passive = recover_model(observations=observations)
    if not targeted_probes_can_finish(passive):
        return passive, passive, None
    if recorded is not None and replays_exactly(definition=recorded, observations=observations):
        return None, passive, None
    allowance, why_not = _targeted_allowance(campaign)
    if not allowance:
        passive.notes = [*passive.notes, why_not]
        return passive, passive, None
    try:
        outcome = complete_with_targeted_probes(observations=observations, engine=engine, result=passive,
                                                max_spins=allowance)
    except (EngineError, ValueError) as exc:
        passive.notes = [*passive.notes, f"targeted probes failed: {exc}"]
        return passive, passive, None
    return outcome.result, passive, outcome


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
    capacity = wallet_payment_capacity(wallet_id=campaign.wallet_id) if campaign.wallet_id and cost > 0 else None
    if capacity is not None:
        if capacity.frozen:
            return 0, "targeted probes not run: the wallet is frozen"
        allowance = min(allowance, capacity.units_payable(unit_cost=cost))
        if allowance == 0:
            return 0, "targeted probes not run: the wallet cannot pay for one more query (balance or daily limit)"
    return allowance, ""


def _smallest_exact_prefix(observations: list, *, rtp: Fraction, equations: list) -> int:
    """The fewest uniform probe spins (on the EXACT_PREFIXES ladder) from which the model is
    already exact with the same RTP, given the targeted ``equations`` the recovery used.

    Walked from the largest prefix down, stopping at the first that is not exact: recovery is
    monotone in data (exact at n implies exact at every larger sample of the same engine, the
    property test's claim), so no smaller prefix can be exact then. Small prefixes are the costly
    ones (strip lengths still open widen the search), and a game exact only on the whole sample
    costs one prefix recovery instead of five."""
    needed = len(observations)
    for size in reversed(EXACT_PREFIXES):
        if size >= len(observations):
            continue
        prefix = recover_model(observations=observations[:size], targeted=equations)
        if str(prefix.status) != "exact" or prefix.rtp != rtp:
            break
        needed = size
    return needed


def _recovery_fields(result) -> dict:
    status = str(result.status)
    return {"recovery_status": status, "exact": status == "exact", "recovered_definition": result.definition,
            "exact_par": result.par, "recovery_notes": [str(n) for n in (result.notes or [])]}


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
            campaign.set_status(CampaignStatus.PAUSED, reason=refusal.code if refusal else "query_budget_exhausted",
                                error=refusal.message if refusal else "")
        return dict(passive_fields, recovery_notes=[*passive_fields["recovery_notes"],
                                                    f"{spins} targeted probes could not be paid: not recorded"])
    campaign.queries_used += spins
    campaign.targeted_spins += spins
    campaign.fees_charged += fee
    return fields
