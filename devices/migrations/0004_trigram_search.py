"""Trigram indexes for the device search (`%term%`), on PostgreSQL only.

Django's GinIndex with gin_trgm_ops, created conditionally so the SQLite demo migrates too (a
GIN index means nothing there). The indexes are not in the model state for the same reason.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("devices", "Device", "name", "device_name_trgm"),
    ("devices", "Device", "serial_number", "device_serial_trgm"),
    ("rbac", "User", "username", "user_username_trgm"),
    ("rbac", "User", "display_name", "user_display_name_trgm"),
]


def _indexes(apps):
    for app_label, model_name, field, name in INDEXES:
        model = apps.get_model(app_label, model_name)
        yield model, GinIndex(fields=[field], name=name, opclasses=["gin_trgm_ops"])


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in _indexes(apps):
            schema_editor.add_index(model, index)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in _indexes(apps):
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [("devices", "0003_device_categories"), ("rbac", "0002_group_name_limit")]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
