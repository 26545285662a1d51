"""Trigram indexes for the audit log's Actor and Target filters (`%term%`), on PostgreSQL only.

At 100,000 requests the trail holds about 270,000 events, and a filter on a target or an actor
that few events name read all of them (165 ms). As in devices 0004 and 0006: the indexes are on
UPPER(col), which is what icontains compares, with a small pending list so that a search after
a burst of writes does not read a long one. Raw SQL, so the SQLite demo migrates too.
"""

from django.db import migrations

INDEXES = [
    ("audit_actor_trgm", "actor_label"),
    ("audit_target_trgm", "target_label"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Not TrigramExtension: its reverse drops the extension, which the devices' trigram
        # indexes still use when only this migration is unapplied.
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in INDEXES:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON audit_auditevent "
                f'USING gin (UPPER("{column}") gin_trgm_ops) WITH (gin_pending_list_limit = 256)'
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, _column in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_events_by_target")]

    operations = [migrations.RunPython(create, drop)]
