"""On PostgreSQL the database also refuses TRUNCATE of the audit log.

The function now lets a TRUNCATE through only in a session that set maa.allow_audit_truncate
(the test suite's flush between tests does); the table owner could as well disable the trigger,
which the chain and the signed checkpoints then reveal.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION maa_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('maa.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER maa_audit_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION maa_audit_append_only();
"""
DROP = "DROP TRIGGER IF EXISTS maa_audit_no_truncate ON audit_auditevent;"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_rename_table")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
