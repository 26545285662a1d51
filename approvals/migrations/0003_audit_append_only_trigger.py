"""On PostgreSQL the database itself refuses UPDATE and DELETE on audit events.

The ORM guard stops the application; this stops anyone with ordinary SQL access. An owner who
disables the trigger can still tamper, which the hash chain then reveals.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION maa_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER maa_audit_append_only BEFORE UPDATE OR DELETE ON approvals_auditevent
    FOR EACH ROW EXECUTE FUNCTION maa_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS maa_audit_append_only ON approvals_auditevent;
DROP FUNCTION IF EXISTS maa_audit_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
