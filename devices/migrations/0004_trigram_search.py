"""Trigram indexes for the device search (`%term%`), on PostgreSQL only.

Django's icontains is `UPPER(col) LIKE UPPER('%term%')`, so the indexes are on UPPER(col) with
gin_trgm_ops. Raw SQL, run only on PostgreSQL, so the SQLite demo migrates too (a GIN index
means nothing there); the indexes are not in the model state for the same reason.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("device_name_trgm", "devices_device", "name"),
    ("device_serial_trgm", "devices_device", "serial_number"),
    ("user_username_trgm", "rbac_user", "username"),
    ("user_display_name_trgm", "rbac_user", "display_name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, table, column in INDEXES:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER("{column}") '
                "gin_trgm_ops)"
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, _table, _column in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("devices", "0003_device_categories"), ("rbac", "0002_group_name_limit")]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
