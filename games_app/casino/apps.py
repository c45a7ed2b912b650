from django.apps import AppConfig


class CasinoConfig(AppConfig):
    """The A2A casino (Phase 2): payment channels, commit-reveal games, lotto. A Django app of its own (label,
    migrations, tables) whose package lives in games_app, below the rest of it: it imports only core and
    wallet_app (`.importlinter`, contract `casino`)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "games_app.casino"
    label = "casino"
    verbose_name = "A2A casino"
