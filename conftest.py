import os

import pytest


def pytest_sessionstart(session):
    from django.conf import settings

    if os.environ.get("CI", "").lower() == "true" and not settings.USING_POSTGRES:
        pytest.exit("CI=true but the tests are not running on PostgreSQL: set DATABASE_URL to a reachable "
                    "Postgres (row locks and concurrency tests mean nothing on SQLite).", returncode=3)
