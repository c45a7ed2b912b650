import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin_actions import audited, policy_permission
from core.admin_base import ReadOnlyModelAdmin
from core.admin_display import ConsoleDisplayMixin
from core.formatting import percent_text
from core.policy import Act, actor_from_user, scope
from core.services import admin_action_record
from fingerprint_app import services
from fingerprint_app.charts import convergence_svg, payout_histogram_svg, reel_frequencies_svg
from fingerprint_app.exceptions import CampaignStateConflict, InvalidCampaign
from fingerprint_app.models import CampaignStatus, FingerprintProfile, ProbeCampaign
from fingerprint_app.signatures import signature_from_stats
from fingerprint_app.stats import SufficientStats
from games_app.admin import GameVersionAdmin
from games_app.models import GameVersion


def _pretty(data) -> str:
    return format_html("<pre style='max-height:30em;overflow:auto'>{}</pre>", json.dumps(data, indent=2))


def _figure(title: str, svg: str) -> str:
    # The SVG is built by fingerprint_app.charts from numbers and escaped labels, so it is safe to inline.
    return format_html("<figure style='margin:0 0 1em'><figcaption><b>{}</b></figcaption>{}</figure>",
                       title, mark_safe(svg))  # noqa: S308


RECOVERY_TEXT = {"": "not tried yet", "partial": "not yet (partial model)",
                 "insufficient": "not yet (too few spins)", "error": "recovery failed (see notes)"}


class CampaignAddForm(forms.ModelForm):
    remote_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    seed = forms.CharField(required=False, max_length=128, help_text="Empty: 256 random bits")
    chunk_size = forms.IntegerField(required=False, min_value=1, max_value=services.MAX_CHUNK)

    class Meta:
        model = ProbeCampaign
        fields = ("game_version", "remote_url", "target_spins", "query_budget", "wallet", "chunk_size", "seed",
                  "stop_when_exact")

    def clean(self):
        data = super().clean()
        if bool(data.get("game_version")) == bool(data.get("remote_url")):
            raise forms.ValidationError("Give exactly one engine: a game version or a remote URL.")
        if data.get("target_spins") and not 1 <= data["target_spins"] <= services.MAX_TARGET:
            raise forms.ValidationError(f"target_spins must be in 1..{services.MAX_TARGET}.")
        return data


@admin.register(ProbeCampaign)
class ProbeCampaignAdmin(ConsoleDisplayMixin, admin.ModelAdmin):
    list_display = ("id", "engine_label", "status_shown", "status_reason", "exact_model", "progress_percent", "spins_done",
                    "target_spins", "queries_used", "fees_charged", "created_at", "finished_at")
    list_filter = ("status", "engine_kind")
    search_fields = ("=id", "game_version__game__slug", "remote_url", "seed")
    list_select_related = ("game_version__game", "profile", "wallet")
    actions = ["resume_campaigns"]
    readonly_fields = ("engine_kind", "game_version", "remote_url", "profile_link", "target_spins", "query_budget",
                       "chunk_size", "seed", "stop_when_exact", "wallet", "cost_per_query", "status_shown", "status_reason", "exact_model", "error",
                       "spins_done", "progress_percent", "queries_used", "targeted_spins", "spins_until_exact",
                       "fees_charged", "chunks_done",
                       "sample_spins", "created_by", "request_id", "created_at", "started_at", "finished_at",
                       "convergence_chart", "signature_json")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("stats", "base_stats")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CampaignAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return CampaignAddForm.Meta.fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # The page is a read-only report; the change form stays reachable for viewing.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        campaign = services.campaign_create(
            actor=actor_from_user(request.user), created_by=request.user, game_version=data.get("game_version"), remote_url=data.get("remote_url") or "",
            target_spins=data["target_spins"], query_budget=data.get("query_budget"), wallet=data.get("wallet"),
            seed=data.get("seed") or None, chunk_size=data.get("chunk_size"),
            stop_when_exact=data.get("stop_when_exact", True))
        obj.pk, obj.created_at = campaign.pk, campaign.created_at
        admin_action_record(actor=request.user, action="start_probing_campaign", objects=[campaign],
                            details={"campaigns": [campaign.pk], "target_spins": campaign.target_spins})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "wallet":  # only the login's own wallets: only a wallet's owner spends from it
            kwargs["queryset"] = scope(actor_from_user(request.user), Act.WALLET_SPEND,
                                       db_field.related_model.objects.select_related("owner").order_by("pk"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="status", ordering="status")
    def status_shown(self, obj):
        # "Completed" alone undersells a campaign whose profile became exact on its last chunk
        # (or that kept going with stop_when_exact off): say so.
        label = obj.get_status_display()
        if obj.status == CampaignStatus.COMPLETED and obj.profile.exact:
            return f"{label} · exact"
        return label

    @admin.display(description="exact model")
    def exact_model(self, obj):
        profile = obj.profile
        if profile.exact:
            return f"exact, after {profile.spins_until_exact_summary()} spins"
        return RECOVERY_TEXT.get(profile.recovery_status, profile.recovery_status or "not tried yet")

    @admin.display(description="progress")
    def progress_percent(self, obj):
        return f"{obj.progress:.1%}"

    @admin.display(description="profile")
    def profile_link(self, obj):
        url = reverse("admin:fingerprint_app_fingerprintprofile_change", args=[obj.profile_id])
        return format_html('<a href="{}">{}</a>', url, obj.profile)

    @admin.display(description="Spins until exact (profile)")
    def spins_until_exact(self, obj):
        return obj.profile.spins_until_exact_summary() if obj.profile_id else "-"

    @admin.display(description="RTP convergence")
    def convergence_chart(self, obj):
        par = float(obj.game_version.rtp) if obj.game_version_id and obj.game_version.rtp is not None else None
        return _figure("RTP estimate of this campaign's sample", convergence_svg(obj.convergence, par_rtp=par))

    @admin.display(description="signature")
    def signature_json(self, obj):
        return _pretty(signature_from_stats(SufficientStats.from_json(obj.stats)))

    has_start_campaigns_permission = policy_permission(Act.CAMPAIGN_MANAGE)

    @admin.action(description="Resume selected paused campaigns", permissions=["start_campaigns"])
    @audited("resume_campaigns")
    def resume_campaigns(self, request, queryset):
        resumed, refused = [], []
        actor = actor_from_user(request.user)
        for pk in queryset.filter(status=CampaignStatus.PAUSED).order_by("pk").values_list("pk", flat=True):
            try:
                services.campaign_resume(campaign_id=pk, actor=actor)
                resumed.append(pk)
            except CampaignStateConflict:
                continue
            except InvalidCampaign:  # it charges another owner's wallet: only that owner resumes it
                refused.append(pk)
        self.message_user(request, f"Resumed {len(resumed)} campaign(s).", messages.SUCCESS)
        return {"resumed": resumed, **({"refused": refused} if refused else {})}


@admin.register(FingerprintProfile)
class FingerprintProfileAdmin(ReadOnlyModelAdmin):
    percent_fields = ("par_rtp",)
    list_display = ("id", "label", "engine_key", "version", "spins", "rtp_estimate", "par_rtp", "volatility",
                    "exact", "spins_until_exact", "updated_at")
    list_filter = ("engine_kind", "exact", "recovery_status")
    search_fields = ("=id", "label", "engine_key")
    list_select_related = ("game_version__game",)
    readonly_fields = ("label", "engine_key", "version", "engine_kind", "game_version", "remote_url", "parent",
                       "spins", "rtp_summary", "charts", "signature_json", "exact", "recovery_status",
                       "spins_until_exact_split", "recovered_definition_view", "exact_par_json", "recovery_notes",
                       "created_at", "updated_at")
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("recovered_definition", "exact_par")

    def get_urls(self):
        return [path("<int:profile_id>/definition.json", self.admin_site.admin_view(self.definition_download),
                     name="fingerprint_app_fingerprintprofile_definition"), *super().get_urls()]

    def definition_download(self, request, profile_id: int):
        profile = get_object_or_404(FingerprintProfile, pk=profile_id, recovered_definition__isnull=False)
        response = HttpResponse(json.dumps(profile.recovered_definition, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="recovered-{profile.engine_key.replace(":", "-")}.json"'
        return response

    @admin.display(description="RTP estimate")
    def rtp_estimate(self, obj):
        estimate = (obj.signature or {}).get("rtp", {}).get("estimate")
        return "-" if estimate is None else f"{float(estimate):.2%}"

    @admin.display(description="volatility")
    def volatility(self, obj):
        return (obj.signature or {}).get("volatility")

    @admin.display(description="Spins until exact")
    def spins_until_exact_split(self, obj):
        return obj.spins_until_exact_summary()

    @admin.display(description="RTP: estimate vs exact")
    def rtp_summary(self, obj):
        signature = obj.signature or {}
        rtp = signature.get("rtp") or {}
        estimate = rtp.get("estimate")
        rows = [("spins observed", f"{obj.spins:,}"),
                ("RTP estimate", f"{float(estimate):.4%}" if estimate is not None else "-"),
                ("95% interval", " – ".join(f"{float(x):.4%}" for x in rtp.get("ci95", [])) or "-"),
                ("exact PAR RTP (local engine)",
                 "-" if obj.par_rtp is None else f"{percent_text(obj.par_rtp, places=4)} ({obj.par_rtp})"),
                ("exact model", f"exact, after {obj.spins_until_exact_summary()} spins" if obj.exact
                 else RECOVERY_TEXT.get(obj.recovery_status, obj.recovery_status)),
                ("hit frequency", str((signature.get("hit_frequency") or {}).get("estimate", "-"))),
                ("σ per unit bet / volatility", f"{signature.get('std_dev', '-')} / {signature.get('volatility', '-')}"),
                ("max observed win", str(signature.get("max_win", "-")))]
        body = format_html_join("", "<tr><th style='text-align:left'>{}</th><td>{}</td></tr>", rows)
        return format_html("<table>{}</table>", body)

    @admin.display(description="charts")
    def charts(self, obj):
        stats = SufficientStats.from_json(obj.stats)
        par = float(obj.par_rtp) if obj.par_rtp is not None else None
        return format_html("{}{}{}",
                           _figure("RTP estimate converging (95% band)", convergence_svg(obj.convergence, par_rtp=par)),
                           _figure("Payout multiplier distribution", payout_histogram_svg(stats)),
                           _figure("Per-reel symbol frequencies", reel_frequencies_svg(stats)))

    @admin.display(description="signature")
    def signature_json(self, obj):
        return _pretty(obj.signature)

    @admin.display(description="recovered definition")
    def recovered_definition_view(self, obj):
        if obj.recovered_definition is None:
            return "-"
        url = reverse("admin:fingerprint_app_fingerprintprofile_definition", args=[obj.pk])
        return format_html('<a href="{}">download (game definition JSON)</a>{}', url,
                           _pretty(obj.recovered_definition))

    @admin.display(description="exact PAR sheet")
    def exact_par_json(self, obj):
        return "-" if obj.exact_par is None else _pretty(obj.exact_par)



# A console-started campaign: free (no wallet) and big enough for a useful RTP estimate; other
# sizes and a paying wallet go through the probe campaign add form.
CONSOLE_CAMPAIGN_SPINS = 100_000


class GameVersionProbingAdmin(GameVersionAdmin):
    """The games' version admin plus the action that probes them: it lives here because campaigns are
    fingerprint_app's, and games_app must not import the apps above it."""

    actions = ["start_probing_campaigns"]

    has_start_campaigns_permission = policy_permission(Act.CAMPAIGN_MANAGE)

    @admin.action(description=f"Start a probing campaign ({CONSOLE_CAMPAIGN_SPINS:,} spins) for each selected version",
                  permissions=["start_campaigns"])
    @audited("start_probing_campaign")
    def start_probing_campaigns(self, request, queryset):
        actor = actor_from_user(request.user)
        campaigns = [services.campaign_create(actor=actor, created_by=request.user, game_version=version,
                                              target_spins=CONSOLE_CAMPAIGN_SPINS)
                     for version in queryset.select_related("game").order_by("pk")]
        self.message_user(request, f"Queued {len(campaigns)} probing campaign(s): "
                          + ", ".join(f"#{c.pk}" for c in campaigns), messages.SUCCESS)
        return {"campaigns": [c.pk for c in campaigns], "target_spins": CONSOLE_CAMPAIGN_SPINS}


admin.site.unregister(GameVersion)
admin.site.register(GameVersion, GameVersionProbingAdmin)
