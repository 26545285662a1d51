"""Device-category requests filed before categories became a ModelOperation name the category
`object_id`, as every create, edit and delete does (approvals.operations.model)."""

from django.db import migrations

from approvals.migration_tools import requests_reshape


def _payload(code: str, payload: dict) -> dict:
    payload = dict(payload)
    if "category_id" in payload:
        payload["object_id"] = payload.pop("category_id")
    return payload


def forwards(apps, schema_editor):
    requests_reshape(
        apps, codes=["category.create", "category.edit", "category.delete"], payload=_payload
    )


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0007_list_order_indexes"),
        ("approvals", "0017_notice_lease"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
