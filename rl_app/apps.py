from django.apps import AppConfig


class RlAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rl_app"
    verbose_name = "RL traces and webhooks"
