"""Requests for scripts and remediations filed before scripts joined the shared assignable
machinery (assignments.assignable) take its shape: the payload names the script `object_id`,
an assignment's groups are {"groups": {"include": [...], "exclude": [...]}}, the payload digest
is that of the new payload (only where it matched the old one, so a tampered payload still
fails Complete), and a remediation's target key has its own prefix ("remediation:<id>")."""

from django.db import migrations

from utilities.digests import digest

CODES = [
    f"{kind}.{action}"
    for kind in ("script", "remediation")
    for action in ("create", "edit", "delete", "assign")
]


def _shared_shape(payload: dict) -> dict:
    payload = dict(payload)
    if "script_id" in payload:
        payload["object_id"] = payload.pop("script_id")
    if "include" in payload or "exclude" in payload:
        payload["groups"] = {
            "include": payload.pop("include", []),
            "exclude": payload.pop("exclude", []),
        }
    return payload


def forwards(apps, schema_editor):
    ApprovalRequest = apps.get_model("approvals", "ApprovalRequest")
    requests = ApprovalRequest.objects.filter(operation_type__in=CODES)
    for pk, operation, key, payload, payload_digest in requests.values_list(
        "pk", "operation_type", "target_key", "payload", "payload_digest"
    ).iterator():
        new_payload = _shared_shape(payload)
        if operation.startswith("remediation.") and key.startswith("script:"):
            key = "remediation:" + key.removeprefix("script:")
        if payload_digest == digest(payload):
            payload_digest = digest(new_payload)
        ApprovalRequest.objects.filter(pk=pk).update(
            payload=new_payload, payload_digest=payload_digest, target_key=key
        )


class Migration(migrations.Migration):
    dependencies = [
        ("device_scripts", "0002_shared_assignment_models"),
        ("approvals", "0017_notice_lease"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
