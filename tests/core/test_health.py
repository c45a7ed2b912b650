import pytest
from django.db import connection
from django.test import Client


def test_health_needs_no_token():
    response = Client().get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_when_database_and_cache_answer():
    response = Client().get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_naming_the_database_when_it_is_unreachable():
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: a real connection failure
    try:
        response = Client().get("/health/ready")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
