"""Requests for scripts and remediations filed before scripts joined the shared assignable
machinery (assignments.assignable) take its shape: the payload names the script `object_id`,
an assignment's groups are {"groups": {"include": [...], "exclude": [...]}}, and a
remediation's target key has its own prefix ("remediation:<id>")."""

from django.db import migrations

from approvals.migration_tools import requests_reshape

CODES = [
    f"{kind}.{action}"
    for kind in ("script", "remediation")
    for action in ("create", "edit", "delete", "assign")
]


def _payload(code: str, payload: dict) -> dict:
    payload = dict(payload)
    if "script_id" in payload:
        payload["object_id"] = payload.pop("script_id")
    if "include" in payload or "exclude" in payload:
        payload["groups"] = {
            "include": payload.pop("include", []),
            "exclude": payload.pop("exclude", []),
        }
    return payload


def _target_key(code: str, key: str) -> str:
    if code.startswith("remediation.") and key.startswith("script:"):
        return "remediation:" + key.removeprefix("script:")
    return key


def forwards(apps, schema_editor):
    requests_reshape(apps, codes=CODES, payload=_payload, target_key=_target_key)


class Migration(migrations.Migration):
    dependencies = [
        ("device_scripts", "0002_shared_assignment_models"),
        ("approvals", "0017_notice_lease"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
