"""The schema and docs views. Who may read them is settings.API_DOCS_PUBLIC (SPECTACULAR_SETTINGS
SERVE_PERMISSIONS); a refusal is rendered as JSON in the error contract, not as YAML or HTML."""
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.renderers import JSONRenderer


class _JsonErrors:
    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(_JsonErrors, SpectacularAPIView):
    pass


class DocsView(_JsonErrors, SpectacularSwaggerView):
    pass


class RedocView(_JsonErrors, SpectacularRedocView):
    pass
