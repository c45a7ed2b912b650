from django.apps import AppConfig


class RlAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rl_app"

    def ready(self) -> None:
        from rl_app import signals  # noqa: F401  (connects the step → webhook receiver)
