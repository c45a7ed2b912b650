import os

import pytest


def pytest_sessionstart(session):
    from django.conf import settings

    if os.environ.get("CI", "").lower() == "true" and not settings.DATABASE_URL:
        pytest.exit("CI=true but DATABASE_URL is unset: CI tests against the machine's PostgreSQL server "
                    "(scripts/test.sh sets it), not the embedded one.", returncode=3)
