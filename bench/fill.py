"""A tenant at scale, written fast: the same tables and rows the services write.

Rows are built as the services build them (model instances, audit_event) and written with
PostgreSQL's COPY, their ids taken from the tables' sequences first: bulk_create's INSERT
compiles and binds every value, most of a million-row fill's time. Each request gets the
django-guardian rows that request_permissions_grant writes (view and decide for the approver
group; view, cancel and complete for the requestor), and the audit trail its status implies,
sealed. Used by bench/run.py and by the query-count test.
"""

from contextlib import contextmanager, nullcontext
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission as AuthPermission
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from approvals.models import (
    AccessPolicy,
    ApprovalRequest,
    Decision,
    PolicyStatus,
    RequestGroupPermission,
    RequestUserPermission,
)
from audit.chain import audit_event, audit_seal
from audit.models import AuditEvent
from devices.models import Device
from devices.operations import device_target_key
from rbac.models import SecurityGroup, User
from utilities.digests import digest

BATCH = 5000
OLD_REQUESTS = 200
# What a request reads of its device (requests_create).
TARGET_FIELDS = ("name", "serial_number", "primary_user", "management_state")
CLOSED = ["rejected", "cancelled", "completed", "expired"]
# The audit trail a request leaves: its submission, then what its status implies. Each step is
# (action, actor, from state, to state); "approver" is the approver group's first member,
# "requestor" the request's. The executions' events carry execution states, as the worker
# writes them.
SUBMITTED = ("request.submit", "requestor", "", "needs_approval")
TRAIL = {
    "rejected": [("request.reject", "approver", "needs_approval", "rejected")],
    "cancelled": [("request.cancel", "requestor", "needs_approval", "cancelled")],
    "expired": [("request.expire", "scheduler", "needs_approval", "expired")],
    "completed": [
        ("request.approve", "approver", "needs_approval", "approved"),
        ("request.complete", "requestor", "approved", "completed"),
        ("execution.running", "worker", "queued", "running"),
        ("execution.succeeded", "worker", "running", "succeeded"),
    ],
}


def _copy(model, objs: list) -> list:
    """Insert these instances with COPY, each given its id from the table's sequence; what
    bulk_create would write (each field's pre_save and database value)."""
    if not objs:
        return objs
    table, pk = model._meta.db_table, model._meta.pk
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: a lookup per value adds up
    fields = model._meta.concrete_fields
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', '{pk.column}')) "
            "FROM generate_series(1, %s)",
            [len(objs)],
        )
        for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, value)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields])
    for obj in objs:
        obj._state.adding = False
    return objs


def _devices(count: int) -> None:
    have = Device.objects.count()
    users = list(User.objects.filter(username__contains="."))
    template = Device.objects.first()
    rows = [
        Device(
            # iOS names a device "iPhone" unless someone renames it: a name shared by many.
            name="iPhone" if i % 4 == 2 else f"BENCH-{i:06d}",
            serial_number=f"BENCH{i:09d}",
            operating_system=["Windows", "macOS", "iOS", "Android"][i % 4],
            os_version=template.os_version,
            model=template.model,
            manufacturer=template.manufacturer,
            ownership="corporate" if i % 5 else "personal",
            compliance_state=["compliant", "noncompliant", "in_grace"][i % 3],
            primary_user=users[i % len(users)],
        )
        for i in range(have, count)
    ]
    for start in range(0, len(rows), BATCH):
        _copy(Device, rows[start : start + BATCH])


def wipe_policy() -> AccessPolicy:
    policy = AccessPolicy.objects.filter(policy_type="device.wipe", status="active").first()
    if policy:
        return policy
    policy = AccessPolicy.objects.create(
        name="Protect device wipe", policy_type="device.wipe", approvals_required=1
    )
    # Written as the activated policy; the flow that activates one is tested elsewhere.
    AccessPolicy.objects.filter(pk=policy.pk).update(status=PolicyStatus.ACTIVE)
    policy.approver_groups.set([SecurityGroup.objects.get(name="Intune MAA Approvers")])
    return policy


def requests_create(rows: list[dict]) -> list[ApprovalRequest]:
    """Write requests and their guardian rows; each row names device, requestor, status."""
    policy = wipe_policy()
    approvers = SecurityGroup.objects.get(name="Intune MAA Approvers").auth_group
    plan = [stage.state() for stage in policy.stages()]  # as operation_start pins it
    perms = {
        p.codename: p for p in AuthPermission.objects.filter(content_type__app_label="approvals")
    }
    now = timezone.now()
    created = _copy(
        ApprovalRequest,
        [
            ApprovalRequest(
                operation_type="device.wipe",
                policy=policy,
                target_key=device_target_key(row["device"].pk),
                target_label=f"{row['device'].name} ({row['device'].serial_number})",
                payload={"device_id": row["device"].pk},
                payload_digest=digest({"device_id": row["device"].pk}),
                target_fingerprint=digest(
                    {
                        "name": row["device"].name,
                        "serial_number": row["device"].serial_number,
                        "primary_user": row["device"].primary_user_id,
                        "management_state": row["device"].management_state,
                    }
                ),
                summary=[{"label": "Action", "before": "", "after": "Device wipe"}],
                requestor=row["requestor"],
                justification=row.get("justification", "Bench request"),
                stage_plan=plan,
                approvals_required=1,
                status=row["status"],
                execution_status="succeeded" if row["status"] == "completed" else "not_started",
                created_at=now - timedelta(seconds=row.get("age", 0)),
                expires_at=now + settings.MAA_NEEDS_APPROVAL_TTL,
            )
            for row in rows
        ],
    )
    _copy(
        RequestGroupPermission,
        [
            RequestGroupPermission(group=approvers, permission=perms[code], content_object=r)
            for r in created
            for code in ("view_approvalrequest", "decide_approvalrequest")
        ],
    )
    _copy(
        RequestUserPermission,
        [
            RequestUserPermission(user_id=r.requestor_id, permission=perms[code], content_object=r)
            for r in created
            for code in (
                "view_approvalrequest",
                "cancel_approvalrequest",
                "complete_approvalrequest",
            )
        ],
    )
    return created


def _requests(count: int) -> None:
    have = ApprovalRequest.objects.count()
    hazel = User.objects.get(username="hazel")
    others = list(User.objects.filter(username__in=["helpdesk2", "policyadmin", "globaladmin"]))
    # Someone who filed the oldest OLD_REQUESTS and nothing since: their My requests must not
    # walk every newer request to find their own. The same number at every N, so the growth
    # table compares the same page.
    old_timer = User.objects.get(username="roleadmin")
    devices = list(Device.objects.order_by("pk").only(*TARGET_FIELDS))
    for start in range(have, count, BATCH):
        rows = []
        for i in range(start, min(count, start + BATCH)):
            # One open request per device: the first pass over the devices holds the open ones.
            open_now = i < len(devices) and i % 3 == 0
            if i < OLD_REQUESTS:
                requestor = old_timer
            else:
                requestor = hazel if i % 2 else others[i % len(others)]
            rows.append(
                {
                    "device": devices[i % len(devices)],
                    "requestor": requestor,
                    "status": "needs_approval" if open_now else CLOSED[i % 4],
                    "age": count - i,
                    "justification": f"Bench request {i}",
                }
            )
        created = requests_create(rows)
        _decisions(created)
        _audit_trail(created)


def _approver() -> User:
    """Who decided the closed requests: the approver group's first member."""
    return SecurityGroup.objects.get(name="Intune MAA Approvers").auth_group.user_set.first()


# The approver's decision a closed request carries (the rest were never decided).
VERDICT = {"completed": "approve", "rejected": "reject"}


def _decisions(requests: list[ApprovalRequest]) -> None:
    """The Decision rows decision_record writes: "Needs my decision" and every list's approvals
    count read this table, so a fill without them flatters both."""
    approver = _approver()
    _copy(
        Decision,
        [
            Decision(
                request=request,
                approver=approver,
                verdict=VERDICT[request.status],
                note="Bench decision",
                created_at=request.created_at + timedelta(seconds=1),
            )
            for request in requests
            if request.status in VERDICT
        ],
    )


def _audit_trail(requests: list[ApprovalRequest]) -> None:
    """The events the services would have recorded for these requests, a second apart."""
    approver = _approver()
    events = []
    for request in requests:
        actors = {"requestor": request.requestor, "approver": approver}
        steps = [SUBMITTED, *TRAIL.get(request.status, [])]
        for offset, (action, actor, before, after) in enumerate(steps):
            event = audit_event(
                actor=actors.get(actor, actor),
                action=action,
                target=request,
                from_state=before,
                to_state=after,
                request_id=request.pk,
            )
            event.created_at = request.created_at + timedelta(seconds=offset)
            events.append(event)
    _copy(AuditEvent, events)


@contextmanager
def _trigram_indexes_after():
    """The trigram (GIN) indexes dropped for the load and built again after it, as they were.

    Kept, they took an entry per row written and again per event sealed (a sealed event is a
    new row version): sealing 2.7 million events ran at 1,300 a second with them.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'"
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)


ADMIN = "benchadmin"  # the Django admin's rows: a superuser, as whoever runs the admin


def fill(*, devices: int, requests: int) -> None:
    # Once: run again, seed_demo checks every device in (2 minutes at 100,000 devices).
    if not User.objects.filter(username="hazel").exists():
        call_command("seed_demo", devices=60, verbosity=0)
    if not User.objects.filter(username=ADMIN).exists():
        User.objects.create_superuser(ADMIN, f"{ADMIN}@example.test", None)
    growing = Device.objects.count() < devices or ApprovalRequest.objects.count() < requests
    with _trigram_indexes_after() if growing else nullcontext():
        _devices(devices)
        _requests(requests)
        audit_seal()  # as the beat's sealer does: the trail is chained, not pending
    with connection.cursor() as cursor:
        # What autovacuum does to a database filled over years: statistics for the planner,
        # and the trigram indexes' pending entries merged (a search scans them unmerged).
        cursor.execute("VACUUM ANALYZE")
