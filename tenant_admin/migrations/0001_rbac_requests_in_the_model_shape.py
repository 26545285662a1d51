"""Role and role-assignment requests filed before they became ModelOperations: one code per
action ("rbac.role" with {"action": "update"} becomes "role.edit") and the engine's payload
convention ({"object_id": id, "state": {...}}, approvals.operations.model)."""

from django.db import migrations

from approvals.migration_tools import requests_reshape

ACTIONS = {"create": "create", "update": "edit", "delete": "delete"}
PREFIX = {"rbac.role": "role", "rbac.assignment": "assignment"}


def _code(code: str, payload: dict) -> str:
    return f"{PREFIX[code]}.{ACTIONS[payload['action']]}"


def _payload(code: str, payload: dict) -> dict:
    action = payload["action"]
    if code == "rbac.role":
        state = {
            key: payload[key]
            for key in ("name", "description", "permissions", "duplicated_from_id")
            if key in payload
        }
    else:
        state = payload.get("state") or {}
    reshaped = {} if action == "create" else {"object_id": payload["object_id"]}
    if action != "delete":
        reshaped["state"] = state
    return reshaped


def forwards(apps, schema_editor):
    requests_reshape(apps, codes=list(PREFIX), payload=_payload, code=_code)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0018_delivery_without_outbox")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
