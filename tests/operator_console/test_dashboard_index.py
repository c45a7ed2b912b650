"""The dashboard's "spins today" range scan has an index on PostgreSQL (BRIN: append-only times)."""
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_session_spin_created_at_has_a_brin_index():
    from sessions_app.models import SessionSpin

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
                       [SessionSpin._meta.db_table, "sessions_app_sessionspin_created_brin"])
        row = cursor.fetchone()
    assert row is not None and "USING brin (created_at)" in row[0]
