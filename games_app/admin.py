import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from games_app.exceptions import InvalidGameDefinition
from games_app.models import Game, GameVersion
from games_app.services import game_load, parse_definition
from core.policy import Act, actor_from_user
from operator_console.admin_actions import audited, policy_permission
from operator_console.admin_display import ConsoleDisplayMixin

# A console-started campaign: free (no wallet) and big enough for a useful RTP estimate; other
# sizes and a paying wallet go through the probe campaign add form.
CONSOLE_CAMPAIGN_SPINS = 100_000


class GameVersionInline(ConsoleDisplayMixin, admin.TabularInline):
    model = GameVersion
    percent_fields = ("rtp",)
    fields = ("version", "content_hash", "min_bet", "max_bet", "rtp", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("slug", "name")
    inlines = [GameVersionInline]


class GameVersionForm(forms.ModelForm):
    """Edit a definition as JSON; saving validates it and stores a NEW version (versions are immutable)."""

    definition_json = forms.CharField(widget=forms.Textarea(attrs={"rows": 30, "cols": 100}), label="Definition (JSON)")

    class Meta:
        model = GameVersion
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["definition_json"].initial = json.dumps(self.instance.definition, indent=2)

    def clean_definition_json(self):
        try:
            data = json.loads(self.cleaned_data["definition_json"])
        except ValueError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from exc
        try:
            parse_definition(data=data)
        except InvalidGameDefinition as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(GameVersion)
class GameVersionAdmin(ConsoleDisplayMixin, admin.ModelAdmin):
    form = GameVersionForm
    percent_fields = ("rtp",)
    list_display = ("game", "version", "rtp", "min_bet", "max_bet", "content_hash", "created_at")
    list_filter = ("game",)
    list_select_related = ("game",)
    search_fields = ("game__slug", "content_hash")
    readonly_fields = ("game", "version", "content_hash", "rtp", "par_sheet_table", "created_at")
    actions = ["start_probing_campaigns"]

    has_start_campaigns_permission = policy_permission(Act.CAMPAIGN_MANAGE)

    @admin.action(description=f"Start a probing campaign ({CONSOLE_CAMPAIGN_SPINS:,} spins) for each selected version",
                  permissions=["start_campaigns"])
    @audited("start_probing_campaign")
    def start_probing_campaigns(self, request, queryset):
        from fingerprint_app.services import campaign_create

        actor = actor_from_user(request.user)
        campaigns = [campaign_create(actor=actor, created_by=request.user, game_version=version,
                                     target_spins=CONSOLE_CAMPAIGN_SPINS)
                     for version in queryset.select_related("game").order_by("pk")]
        self.message_user(request, f"Queued {len(campaigns)} probing campaign(s): "
                          + ", ".join(f"#{c.pk}" for c in campaigns), messages.SUCCESS)
        return {"campaigns": [c.pk for c in campaigns], "target_spins": CONSOLE_CAMPAIGN_SPINS}

    def save_model(self, request, obj, form, change):
        version, created = game_load(data=form.cleaned_data["definition_json"])
        obj.pk, obj.game, obj.version = version.pk, version.game, version.version
        message = f"Stored {version} as a new version." if created else f"Unchanged: identical to {version}."
        self.message_user(request, message)

    def save_related(self, request, form, formsets, change):
        pass

    @admin.display(description="PAR sheet")
    def par_sheet_table(self, obj):
        if not obj.par_sheet:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(obj.par_sheet, indent=2))
