from django.apps import AppConfig


class CasinoConfig(AppConfig):
    """The A2A casino (Phase 2): payment channels, commit-reveal games, lotto. Lives in games_app."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "games_app.casino"
    label = "casino"
    verbose_name = "A2A casino"
