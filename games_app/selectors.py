"""Reads of games_app, and the engine of a stored version (definitions are immutable, so cached)."""
from functools import lru_cache

from django.db.models import QuerySet

from games_app.engine.definition import GameDefinition
from games_app.engine.interface import LocalSlotEngine
from games_app.exceptions import GameNotFound
from games_app.models import Game, GameVersion


def game_list() -> QuerySet[Game]:
    return Game.objects.filter(is_active=True).prefetch_related("versions").order_by("slug")


def game_get(*, slug: str) -> Game:
    game = Game.objects.prefetch_related("versions").filter(slug=slug, is_active=True).first()
    if game is None:
        raise GameNotFound(details={"game": slug})
    return game


def game_latest_version(*, slug: str) -> GameVersion:
    version = GameVersion.objects.select_related("game").filter(game__slug=slug, game__is_active=True).order_by("-version").first()
    if version is None:
        raise GameNotFound(details={"game": slug})
    return version


def game_version_get(*, slug: str, version: int | None = None) -> GameVersion:
    """A game's given version, or its latest; raises GameNotFound."""
    latest = game_latest_version(slug=slug)
    if version is None:
        return latest
    found = latest.game.versions.select_related("game").filter(version=version).first()
    if found is None:
        raise GameNotFound(f"{slug} has no version {version}.", details={"game": slug, "version": version})
    return found


@lru_cache(maxsize=256)
def _definition(version_id: int, content_hash: str) -> GameDefinition:
    return GameDefinition.from_dict(GameVersion.objects.only("definition").get(pk=version_id).definition)


def definition_for(*, version: GameVersion) -> GameDefinition:
    return _definition(version.pk, version.content_hash)


@lru_cache(maxsize=256)
def _engine(version_id: int, content_hash: str) -> LocalSlotEngine:
    return LocalSlotEngine(_definition(version_id, content_hash))


def engine_for(*, version: GameVersion) -> LocalSlotEngine:
    """The version's engine, built once per process: a version never changes (a new definition is a new
    version, and the content hash is part of the key), and an engine keeps no state between spins.
    Needs only `pk` and `content_hash` loaded on `version`."""
    return _engine(version.pk, version.content_hash)
