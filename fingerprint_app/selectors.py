"""Reads of fingerprint_app: campaigns, the profile library, samples and matching."""
from __future__ import annotations

from fractions import Fraction

from django.db.models import QuerySet

from fingerprint_app import metrics
from fingerprint_app.exceptions import CampaignNotFound, EmptySample, ProfileNotFound, SampleNotFound
from fingerprint_app.matching import MatchResult, match_profiles
from fingerprint_app.models import FingerprintProfile, ProbeCampaign
from fingerprint_app.stats import StatsShapeMismatch, SufficientStats
from sessions_app.models import GameplaySession, SessionSpin

PROFILE_LIST_FIELDS = ("id", "engine_key", "version", "label", "engine_kind", "game_version", "remote_url", "parent",
                       "spins", "signature", "par_rtp", "exact", "recovery_status", "spins_until_exact",
                       "targeted_spins_until_exact",
                       "created_at", "updated_at")


def campaign_list() -> QuerySet[ProbeCampaign]:
    return ProbeCampaign.objects.select_related("game_version__game", "profile", "wallet").defer(
        "stats", "base_stats", "profile__stats", "profile__signature", "profile__convergence").order_by("-id")


def campaign_get(*, campaign_id: int) -> ProbeCampaign:
    campaign = ProbeCampaign.objects.select_related("game_version__game", "profile").filter(pk=campaign_id).first()
    if campaign is None:
        raise CampaignNotFound(details={"campaign_id": campaign_id})
    return campaign


def profile_list(*, engine_key: str | None = None, latest_only: bool = False) -> QuerySet[FingerprintProfile]:
    """The library, newest engine versions first; ``latest_only`` keeps one version per engine."""
    profiles = FingerprintProfile.objects.select_related("game_version__game").only(
        *PROFILE_LIST_FIELDS, "game_version__version", "game_version__game__slug").order_by("engine_key", "-version")
    if engine_key:
        profiles = profiles.filter(engine_key=engine_key)
    if latest_only:
        profiles = profiles.filter(pk__in=_latest_ids())
    return profiles


def profile_get(*, profile_id: int) -> FingerprintProfile:
    profile = FingerprintProfile.objects.select_related("game_version__game").filter(pk=profile_id).first()
    if profile is None:
        raise ProfileNotFound(details={"profile_id": profile_id})
    return profile


def _latest_ids() -> list[int]:
    latest: dict[str, int] = {}
    for pk, key in FingerprintProfile.objects.order_by("engine_key", "-version").values_list("pk", "engine_key"):
        latest.setdefault(key, pk)
    return list(latest.values())


def _library_ids(*, exclude_ids: set[int] = frozenset()) -> list[int]:
    """One profile per engine for matching: the one with the most spins (then the newest), so a
    small fresh campaign does not displace a large profile."""
    best: dict[str, int] = {}
    rows = (FingerprintProfile.objects.filter(spins__gt=0).exclude(pk__in=exclude_ids)
            .order_by("engine_key", "-spins", "-version").values_list("pk", "engine_key"))
    for pk, key in rows:
        best.setdefault(key, pk)
    return list(best.values())


def _with_descendants(profile_id: int) -> set[int]:
    """A profile and every later version extending it (they all contain its campaign's sample)."""
    engine_key = FingerprintProfile.objects.filter(pk=profile_id).values_list("engine_key", flat=True).first()
    parents = dict(FingerprintProfile.objects.filter(engine_key=engine_key).values_list("pk", "parent_id"))
    found = {profile_id}
    for _ in range(len(parents)):
        grown = {pk for pk, parent in parents.items() if parent in found} - found
        if not grown:
            break
        found |= grown
    return found


def session_sample_stats(*, session_id: int) -> SufficientStats:
    """A gameplay session's recorded spins as a probe sample (windows, multipliers, line wins)."""
    if not GameplaySession.objects.filter(pk=session_id).exists():
        raise SampleNotFound(details={"session_id": session_id})
    rows = SessionSpin.objects.filter(session_id=session_id).order_by("nonce").values_list(
        "window", "multiplier", "line_wins")
    observations = ((window, Fraction(multiplier),
                     [(w["line"], w["symbol"], w["count"], Fraction(str(w["multiplier"]))) for w in line_wins or []])
                    for window, multiplier, line_wins in rows.iterator())
    try:
        return SufficientStats.from_observations(observations)
    except (StatsShapeMismatch, KeyError, TypeError, ValueError) as exc:
        raise EmptySample("The session's spins cannot be read as one engine's sample.",
                          details={"session_id": session_id, "reason": str(exc)}) from exc


def fingerprint_match(*, campaign_id: int | None = None, session_id: int | None = None) -> MatchResult:
    """Rank the library (per engine, the profile with the most spins) against a campaign's or a session's sample.
    A campaign's own profile version and the versions extending it are left out (they contain
    the sample). Raises
    CampaignNotFound / SampleNotFound, EmptySample when the sample has no spins."""
    exclude: set[int] = set()
    if campaign_id is not None:
        campaign = ProbeCampaign.objects.filter(pk=campaign_id).only("stats", "profile_id").first()
        if campaign is None:
            raise CampaignNotFound(details={"campaign_id": campaign_id})
        sample = SufficientStats.from_json(campaign.stats)
        exclude = _with_descendants(campaign.profile_id)
    else:
        sample = session_sample_stats(session_id=session_id)
    if sample.spins == 0:
        raise EmptySample(details={"campaign_id": campaign_id, "session_id": session_id})
    library = FingerprintProfile.objects.filter(pk__in=_library_ids(exclude_ids=exclude)).only(
        "id", "label", "version", "stats")
    result = match_profiles(sample, ((p.pk, f"{p.label} · profile v{p.version}", SufficientStats.from_json(p.stats))
                                     for p in library))
    metrics.MATCHES.labels(verdict=result.verdict).inc()
    return result
