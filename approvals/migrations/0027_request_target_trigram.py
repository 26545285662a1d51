"""A trigram index on the request's target label, for the Django admin's search at a million
requests (utilities.admin.LargeTableAdmin), on PostgreSQL only (devices migration 0004 says
why raw SQL; 0006 why a small pending list)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS request_target_trgm ON approvals_approvalrequest "
            'USING gin (UPPER("target_label") gin_trgm_ops) WITH (gin_pending_list_limit = 256)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS request_target_trgm")


class Migration(migrations.Migration):
    dependencies = [("approvals", "0026_stage_bulk_only"), ("devices", "0004_trigram_search")]

    operations = [migrations.RunPython(create, drop)]
