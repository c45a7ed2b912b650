from rest_framework import serializers

from core.money import format_amount
from games_app.models import Game, GameVersion


def _public_shape(version: GameVersion) -> dict:
    definition = version.definition
    symbols = sorted({symbol for reel in definition["reels"] for symbol in reel})
    return {"rows": definition.get("rows", 3), "reels": len(definition["reels"]), "lines": len(definition["paylines"]),
            "symbols": symbols}


class GamePublicSerializer(serializers.Serializer):
    """What an agent may see: no strips, paytable or RTP (that is what fingerprinting is for)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    min_bet = serializers.CharField(help_text='Total bet, decimal string, e.g. "0.2"')
    max_bet = serializers.CharField(help_text="Total bet, decimal string")
    window = serializers.DictField(help_text="rows, reels, lines and the symbol names")

    @staticmethod
    def from_version(version: GameVersion) -> dict:
        return {"slug": version.game.slug, "name": version.game.name, "version": version.version,
                "min_bet": format_amount(version.min_bet), "max_bet": format_amount(version.max_bet),
                "window": _public_shape(version)}


class GameFullSerializer(GamePublicSerializer):
    """Operators and admins: everything, including the definition and the exact PAR sheet."""

    content_hash = serializers.CharField()
    rtp = serializers.DecimalField(max_digits=12, decimal_places=10, allow_null=True)
    definition = serializers.JSONField()
    par_sheet = serializers.JSONField(allow_null=True)
    versions = serializers.ListField(child=serializers.IntegerField())

    @staticmethod
    def from_version(version: GameVersion, *, versions: list[int] | None = None) -> dict:
        return GamePublicSerializer.from_version(version) | {
            "content_hash": version.content_hash, "rtp": version.rtp, "definition": version.definition,
            "par_sheet": version.par_sheet, "versions": versions or [version.version]}


def latest_of(game: Game) -> GameVersion:
    return max(game.versions.all(), key=lambda v: v.version)
