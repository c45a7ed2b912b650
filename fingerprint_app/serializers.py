"""Wire shapes of fingerprint_app (also the OpenAPI schema)."""
from rest_framework import serializers

from core.money import format_amount
from fingerprint_app.models import FingerprintProfile, ProbeCampaign
from fingerprint_app.services import LOCAL_CHUNK, MAX_CHUNK, MAX_TARGET, REMOTE_CHUNK
from fingerprint_app.signatures import signature_from_stats
from fingerprint_app.stats import SufficientStats


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: no numeric strings, booleans or floats."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class CampaignCreateInputSerializer(serializers.Serializer):
    game = serializers.SlugField(required=False, max_length=64, help_text="Slug of a local game")
    game_version = StrictIntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                            help_text="Version number of the game (default: latest)")
    remote_url = serializers.URLField(required=False, max_length=500,
                                      help_text="A remote engine (RemoteSlotEngine wire contract) instead of a game")
    target_spins = StrictIntegerField(min_value=1, max_value=MAX_TARGET)
    query_budget = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=10 * MAX_TARGET,
                                            help_text="Hard cap on engine queries (spins + audit + replay checks)")
    wallet_id = StrictIntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                         help_text="Wallet charged cost_per_query per query (default: your wallet)")
    seed = serializers.CharField(required=False, min_length=1, max_length=128,
                                 help_text="Probe seed (default: 256 random bits); same seed = same spins")
    chunk_size = StrictIntegerField(required=False, min_value=1, max_value=MAX_CHUNK,
                                          help_text=f"Spins per committed chunk (default {LOCAL_CHUNK} local, "
                                                    f"{REMOTE_CHUNK} remote)")
    extend_profile = serializers.BooleanField(required=False, default=True,
                                              help_text="Start from the engine's latest profile statistics")
    stop_when_exact = serializers.BooleanField(required=False, default=True,
                                               help_text="Stop (completed_exact) once the exact model is recovered")

    def validate(self, attrs):
        if ("game" in attrs) == ("remote_url" in attrs):
            raise serializers.ValidationError({"game": ["Give exactly one of game or remote_url."]})
        if "game_version" in attrs and "game" not in attrs:
            raise serializers.ValidationError({"game_version": ["Only with game."]})
        return attrs


class EngineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    game = serializers.CharField(allow_null=True)
    game_version = serializers.IntegerField(allow_null=True)
    remote_url = serializers.CharField(allow_blank=True)


def _engine(obj) -> dict:
    version = obj.game_version
    return {"kind": obj.engine_kind, "game": version.game.slug if version else None,
            "game_version": version.version if version else None, "remote_url": obj.remote_url}


class CampaignOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    error = serializers.CharField()
    engine = EngineSerializer()
    profile_id = serializers.IntegerField()
    target_spins = serializers.IntegerField()
    spins_done = serializers.IntegerField()
    progress = serializers.FloatField()
    chunk_size = serializers.IntegerField()
    chunks_done = serializers.IntegerField()
    query_budget = serializers.IntegerField(allow_null=True)
    queries_used = serializers.IntegerField()
    targeted_spins = serializers.IntegerField(help_text="Targeted probes run by the exact-model recovery (in queries_used)")
    wallet_id = serializers.IntegerField(allow_null=True)
    cost_per_query = serializers.CharField()
    fees_charged = serializers.CharField()
    seed = serializers.CharField()
    stop_when_exact = serializers.BooleanField()
    signature = serializers.JSONField(allow_null=True, help_text="Signature of this campaign's own sample")
    convergence = serializers.JSONField(help_text="[[spins, rtp, ci_low, ci_high], ...]")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


def campaign_data(campaign: ProbeCampaign, *, with_signature: bool = True) -> dict:
    stats = SufficientStats.from_json(campaign.stats) if with_signature else None
    return {
        "id": campaign.pk, "status": campaign.status, "status_reason": campaign.status_reason,
        "error": campaign.error, "engine": _engine(campaign), "profile_id": campaign.profile_id,
        "target_spins": campaign.target_spins, "spins_done": campaign.spins_done,
        "progress": round(campaign.progress, 6), "chunk_size": campaign.chunk_size,
        "chunks_done": campaign.chunks_done, "query_budget": campaign.query_budget,
        "queries_used": campaign.queries_used, "targeted_spins": campaign.targeted_spins,
        "wallet_id": campaign.wallet_id,
        "cost_per_query": format_amount(campaign.cost_per_query),
        "fees_charged": format_amount(campaign.fees_charged), "seed": campaign.seed,
        "stop_when_exact": campaign.stop_when_exact,
        "signature": signature_from_stats(stats) if stats is not None and stats.spins else None,
        "convergence": campaign.convergence if with_signature else [],
        "created_at": campaign.created_at, "started_at": campaign.started_at, "finished_at": campaign.finished_at,
    }


class ProfileSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    engine_key = serializers.CharField()
    version = serializers.IntegerField()
    label = serializers.CharField()
    engine = EngineSerializer()
    parent_id = serializers.IntegerField(allow_null=True)
    spins = serializers.IntegerField()
    rtp = serializers.JSONField(help_text='{"estimate": "0.95...", "ci95": [lo, hi]}')
    hit_frequency = serializers.JSONField()
    std_dev = serializers.FloatField(allow_null=True)
    volatility = serializers.CharField(allow_null=True)
    par_rtp = serializers.CharField(allow_null=True, help_text="Exact RTP of a local engine, for comparison")
    exact = serializers.BooleanField()
    recovery_status = serializers.CharField()
    spins_until_exact = serializers.IntegerField(allow_null=True, help_text="Uniform plus targeted probe spins")
    targeted_spins_until_exact = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ProfileDetailSerializer(ProfileSummarySerializer):
    signature = serializers.JSONField()
    stats = serializers.JSONField(help_text="Raw sufficient statistics (mergeable)")
    convergence = serializers.JSONField()
    recovered_definition = serializers.JSONField(allow_null=True)
    exact_par = serializers.JSONField(allow_null=True)
    recovery_notes = serializers.JSONField()


def profile_data(profile: FingerprintProfile, *, detail: bool = False) -> dict:
    signature = profile.signature or {}
    data = {
        "id": profile.pk, "engine_key": profile.engine_key, "version": profile.version, "label": profile.label,
        "engine": _engine(profile), "parent_id": profile.parent_id, "spins": profile.spins,
        "rtp": signature.get("rtp"), "hit_frequency": signature.get("hit_frequency"),
        "std_dev": signature.get("std_dev"), "volatility": signature.get("volatility"),
        "par_rtp": None if profile.par_rtp is None else str(profile.par_rtp), "exact": profile.exact,
        "recovery_status": profile.recovery_status, "spins_until_exact": profile.spins_until_exact,
        "targeted_spins_until_exact": profile.targeted_spins_until_exact,
        "created_at": profile.created_at, "updated_at": profile.updated_at,
    }
    if detail:
        data |= {"signature": signature, "stats": profile.stats, "convergence": profile.convergence,
                 "recovered_definition": profile.recovered_definition, "exact_par": profile.exact_par,
                 "recovery_notes": profile.recovery_notes}
    return data


class MatchInputSerializer(serializers.Serializer):
    campaign_id = StrictIntegerField(required=False, min_value=1, max_value=2**63 - 1)
    session_id = StrictIntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def validate(self, attrs):
        if ("campaign_id" in attrs) == ("session_id" in attrs):
            raise serializers.ValidationError({"campaign_id": ["Give exactly one of campaign_id or session_id."]})
        return attrs


class TestResultSerializer(serializers.Serializer):
    statistic = serializers.FloatField()
    dof = serializers.IntegerField()
    p_value = serializers.FloatField()
    log10_p = serializers.FloatField()


class ProfileMatchSerializer(serializers.Serializer):
    profile_id = serializers.IntegerField()
    label = serializers.CharField()
    p_value = serializers.FloatField()
    log10_p = serializers.FloatField(allow_null=True, help_text="null when a deterministic conflict rules it out")
    reels = TestResultSerializer(allow_null=True)
    payout = TestResultSerializer(allow_null=True)
    per_reel = TestResultSerializer(many=True)
    conflicts = serializers.ListField(child=serializers.CharField())


class MatchOutputSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["match", "unknown", "insufficient_data"])
    alpha = serializers.FloatField()
    sample_spins = serializers.IntegerField()
    spins_needed = serializers.IntegerField(
        help_text="the sample size the tests against the best-ranked profile need (no cell pooled); below it "
                  "the verdict is insufficient_data and nothing is matched")
    best = ProfileMatchSerializer(allow_null=True)
    ranking = ProfileMatchSerializer(many=True)
