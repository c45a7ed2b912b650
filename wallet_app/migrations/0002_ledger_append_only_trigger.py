"""Postgres refuses UPDATE and DELETE on ledger rows, whoever issues them (ORM, raw SQL, a script).
TRUNCATE (test-database flushes) is not a row operation and is unaffected."""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION wallet_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'wallet_app_ledgerentry is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER wallet_ledger_append_only BEFORE UPDATE OR DELETE ON wallet_app_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION wallet_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS wallet_ledger_append_only ON wallet_app_ledgerentry;
DROP FUNCTION IF EXISTS wallet_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("wallet_app", "0001_initial")]
    operations = [migrations.RunSQL([CREATE], [DROP])]
