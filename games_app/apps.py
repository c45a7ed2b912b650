from django.apps import AppConfig


class GamesAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "games_app"
