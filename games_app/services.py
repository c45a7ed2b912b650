"""Writes of games_app: loading and versioning game definitions."""
from django.db import IntegrityError, transaction

from core.money import fraction_to_decimal
from games_app.engine.definition import GameDefinition, GameDefinitionError
from games_app.engine.par_sheet import compute_par_sheet
from games_app.exceptions import InvalidGameDefinition
from games_app.models import Game, GameVersion


def parse_definition(*, data: dict) -> GameDefinition:
    """Validate a definition dict; raises InvalidGameDefinition naming the bad field."""
    try:
        return GameDefinition.from_dict(data)
    except GameDefinitionError as exc:
        raise InvalidGameDefinition(str(exc), details={"field": exc.field}) from exc


def game_load(*, data: dict) -> tuple[GameVersion, bool]:
    """Store a definition as the game's newest version, unless an identical one exists.

    Returns (version, created). Locks the game row so two loads of one slug number versions
    without gaps or duplicates. The PAR sheet (pure, up to ~1 s) is computed outside the transaction,
    and only for a definition not stored yet.
    """
    definition = parse_definition(data=data)
    canonical = definition.to_dict()
    content_hash = definition.content_hash()
    existing = GameVersion.objects.select_related("game").filter(game__slug=definition.slug,
                                                                  content_hash=content_hash).first()
    if existing is not None:
        return existing, False
    par = compute_par_sheet(definition)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                game, _ = Game.objects.get_or_create(slug=definition.slug, defaults={"name": definition.name})
                game = Game.objects.select_for_update().get(pk=game.pk)
                existing = game.versions.filter(content_hash=content_hash).first()
                if existing is not None:
                    return existing, False
                if game.name != definition.name:
                    game.name = definition.name
                    game.save(update_fields=["name"])
                latest = game.versions.order_by("-version").values_list("version", flat=True).first() or 0
                version = GameVersion.objects.create(
                    game=game, version=latest + 1, definition=canonical, content_hash=content_hash,
                    min_bet=definition.min_bet, max_bet=definition.max_bet,
                    rtp=fraction_to_decimal(par.rtp, places=10), par_sheet=par.to_dict())
                return version, True
        except IntegrityError:
            continue  # a concurrent first load created the game row; retry once
    raise InvalidGameDefinition("Could not store the definition; retry.")
