from django.urls import re_path


def api_path(route: str, view, name: str):
    """A route that matches with and without a trailing slash (DESIGN.md §4)."""
    return re_path(rf"^{route.strip('/')}/?$", view, name=name)
