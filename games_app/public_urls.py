from django.urls import re_path

from games_app.remote_engine import remote_engine_spin

urlpatterns = [
    re_path(r"^engines/(?P<slug>[a-z0-9-]{1,64})/spin/?$", remote_engine_spin, name="remote-engine-spin"),
]
