"""For a workload's data migration that changes the shape of its operations' payloads.

A stored request keeps the payload it was filed with, and Complete refuses one whose digest no
longer matches it. `requests_reshape` rewrites the payloads (and target keys) of some operation
codes and recomputes each digest, only where it matched before: a tampered payload still fails.
"""

from utilities.digests import digest


def requests_reshape(apps, *, codes, payload, target_key=None, code=None) -> None:
    """`payload(operation_code, payload) -> payload`; `target_key(operation_code, key) -> key`;
    `code(operation_code, payload) -> operation_code` (the old payload) where the code changes."""
    ApprovalRequest = apps.get_model("approvals", "ApprovalRequest")
    rows = ApprovalRequest.objects.filter(operation_type__in=list(codes)).values_list(
        "pk", "operation_type", "target_key", "payload", "payload_digest"
    )
    for pk, op, key, old, old_digest in rows.iterator():
        new = payload(op, old)
        ApprovalRequest.objects.filter(pk=pk).update(
            payload=new,
            payload_digest=digest(new) if old_digest == digest(old) else old_digest,
            target_key=target_key(op, key) if target_key else key,
            operation_type=code(op, old) if code else op,
        )
