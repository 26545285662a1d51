"""The audit guard's escape hatch closed: no session setting lets a TRUNCATE through any more.

UPDATE, DELETE and TRUNCATE on audit events are refused for every role but the dedicated
maintenance role, maa_audit_maintenance: an operator who must rewrite the log (a restore, a
legal erasure) does SET ROLE maa_audit_maintenance first, and the portal's own database user is
never made a member (README, "The audit log's maintenance role"). A superuser may TRUNCATE (the
test suite empties its tables so): it could switch the trigger off anyway, so the portal must
never connect as one. Sealing stays the one UPDATE everyone may make.
"""

from django.db import migrations

ROLE = "maa_audit_maintenance"
# Both guards end alike: sealing is the one UPDATE everyone may make; anything else is refused.
SEALING_OR_REFUSE = """    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash IS NULL
       AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
       AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash')
           = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
"""
GUARD = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
        CREATE ROLE {ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'Create the role {ROLE} (NOLOGIN) as a superuser: see the README.';
END $$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
        GRANT SELECT, UPDATE, DELETE, TRUNCATE ON audit_auditevent TO {ROLE};
    END IF;
END $$;
CREATE OR REPLACE FUNCTION maa_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF current_user = '{ROLE}' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'TRUNCATE' AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
{SEALING_OR_REFUSE}"""
# 0004's guard, with the session setting.
PREVIOUS = f"""
CREATE OR REPLACE FUNCTION maa_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('maa.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
{SEALING_OR_REFUSE}"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_trigram_search")]

    operations = [migrations.RunPython(_on_postgresql(GUARD), _on_postgresql(PREVIOUS))]
