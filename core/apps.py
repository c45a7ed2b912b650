from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "API access and audit trail"

    def ready(self) -> None:
        import core.openapi  # noqa: F401 - registers the bearer auth scheme with drf-spectacular
        from core.tracing import configure_tracing

        configure_tracing(endpoint=settings.OTEL_EXPORTER_OTLP_ENDPOINT, service_name=settings.OTEL_SERVICE_NAME,
                          sample_ratio=settings.OTEL_TRACES_SAMPLE_RATIO)
