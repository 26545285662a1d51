"""Access-policy requests filed before access policies became a ModelOperation: one code per
action ("maa.policy" with {"action": "update"} becomes "policy.edit") and no "action" in the
payload. A create keeps the pending policy it made (its `object_id`)."""

from django.db import migrations

from approvals.migration_tools import requests_reshape

ACTIONS = {"create": "create", "update": "edit", "delete": "delete"}


def _code(code: str, payload: dict) -> str:
    return f"policy.{ACTIONS[payload['action']]}"


def _payload(code: str, payload: dict) -> dict:
    return {key: value for key, value in payload.items() if key != "action"}


def forwards(apps, schema_editor):
    requests_reshape(apps, codes=["maa.policy"], payload=_payload, code=_code)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0018_delivery_without_outbox")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
