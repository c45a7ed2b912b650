from django.apps import AppConfig


class FingerprintAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fingerprint_app"
    verbose_name = "Fingerprinting"
