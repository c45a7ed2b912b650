import json

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from core.admin_display import ConsoleDisplayMixin
from games_app.exceptions import InvalidGameDefinition
from games_app.models import Game, GameVersion
from games_app.services import game_load, parse_definition


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
