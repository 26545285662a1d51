"""A database built by the previous main upgrades with `migrate`, keeping its data."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.long]

# The leaves of the previous main (before the audit app, policy types, categories and scripts).
PREVIOUS_MAIN = [
    ("approvals", "0003_audit_append_only_trigger"),
    ("devices", "0002_initial"),
    ("rbac", "0001_initial"),
    ("audit", None),
    ("device_scripts", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1]]).apps


def test_previous_main_database_upgrades_keeping_audit_chain_policies_and_grants():
    old = _migrate(PREVIOUS_MAIN)
    OldEvent = old.get_model("approvals", "AuditEvent")
    OldPolicy = old.get_model("approvals", "AccessPolicy")
    OldGroup = old.get_model("rbac", "SecurityGroup")
    Group = old.get_model("auth", "Group")
    OldEvent.objects.create(seq=1, action="policy.create", prev_hash="0" * 64, hash="a" * 64)
    one = OldGroup.objects.create(name="Approvers A", auth_group=Group.objects.create(name="sg:A"))
    two = OldGroup.objects.create(name="Approvers B", auth_group=Group.objects.create(name="sg:B"))
    role = OldPolicy.objects.create(
        name="Roles", operation_type="rbac.role", status="active", approvals_required=1
    )
    role.approver_groups.add(one)
    assignments = OldPolicy.objects.create(
        name="Assignments", operation_type="rbac.assignment", status="active", approvals_required=2
    )
    assignments.approver_groups.add(two)
    OldPolicy.objects.create(name="Wipe", operation_type="device.wipe", status="active")
    OldPolicy.objects.create(name="Policies", operation_type="maa.policy", status="active")
    # An open request whose approver group holds guardian's generic "decide" row.
    requestor = old.get_model("rbac", "User").objects.create(username="hazel")
    request = old.get_model("approvals", "ApprovalRequest").objects.create(
        operation_type="device.wipe",
        target_key="device:1",
        target_label="PC",
        payload={"device_id": 1},
        payload_digest="d",
        target_fingerprint="f",
        requestor=requestor,
        justification="j",
        expires_at="2030-01-01T00:00:00Z",
    )
    content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="approvals", model="approvalrequest"
    )[0]
    decide = old.get_model("auth", "Permission").objects.get_or_create(
        codename="decide_approvalrequest",
        content_type=content_type,
        defaults={"name": "Can approve or reject the request"},
    )[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO guardian_groupobjectpermission (object_pk, content_type_id, group_id, "
            "permission_id) VALUES (%s, %s, %s, %s)",
            [str(request.pk), content_type.pk, one.auth_group_id, decide.pk],
        )

    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())

    from approvals.models import AccessPolicy
    from audit.models import AuditEvent

    assert list(AuditEvent.objects.values_list("seq", "action")) == [(1, "policy.create")]
    live = {p.name: p for p in AccessPolicy.objects.filter(status="active")}
    assert {name: p.policy_type for name, p in live.items()} == {
        "Roles": "rbac",
        "Wipe": "device.wipe",
        "Policies": "access_policies",
    }
    # The two RBAC policies became one that keeps both groups and the stricter quorum.
    rbac = live["Roles"]
    assert set(rbac.approver_groups.values_list("name", flat=True)) == {
        "Approvers A",
        "Approvers B",
    }
    assert rbac.approvals_required == 2
    assert AccessPolicy.objects.get(name="Assignments").status == "deleted"
    # Guardian's generic row became a row of the direct table, with a real foreign key.
    from approvals.models import RequestGroupPermission

    moved = RequestGroupPermission.objects.get(content_object_id=request.pk)
    assert (moved.group_id, moved.permission.codename) == (
        one.auth_group_id,
        "decide_approvalrequest",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM guardian_groupobjectpermission WHERE content_type_id = %s",
            [content_type.pk],
        )
        assert cursor.fetchone()[0] == 0
    # The append-only trigger moved with the table.
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")


def test_requests_filed_before_the_shared_payload_shape_keep_working():
    """Open category, script, remediation, role and role-assignment requests of the previous
    main take the shared payload shape, codes and keys; their digests still match, so they can
    still be completed."""
    from utilities.digests import digest

    old = _migrate(
        [
            ("approvals", "0017_notice_lease"),
            ("device_scripts", "0002_shared_assignment_models"),
            ("devices", "0007_list_order_indexes"),
            ("rbac", "0003_api_clients"),
        ]
    )
    OldRequest = old.get_model("approvals", "ApprovalRequest")
    requestor = old.get_model("rbac", "User").objects.create(username="hazel")
    common = {
        "target_label": "t",
        "target_fingerprint": "f",
        "requestor": requestor,
        "justification": "j",
        "expires_at": "2030-01-01T00:00:00Z",
    }

    def old_request(code: str, key: str, payload: dict, payload_digest: str = ""):
        return OldRequest.objects.create(
            operation_type=code,
            target_key=key,
            payload=payload,
            payload_digest=payload_digest or digest(payload),
            **common,
        )

    assigned = old_request(
        "remediation.assign", "script:7", {"script_id": 7, "include": [1, 2], "exclude": [3]}
    )
    tampered = old_request(
        "script.delete", "script:8", {"script_id": 8}, "not the digest of the payload"
    )
    category = old_request(
        "category.edit", "category:4", {"category_id": 4, "state": {"name": "Kiosks"}}
    )
    role = {"action": "update", "object_id": 5, "name": "Ops", "description": "", "permissions": []}
    role_edit = old_request("rbac.role", "role:5", role)
    policy_delete = old_request("maa.policy", "policy:9", {"action": "delete", "object_id": 9})
    assignment_delete = old_request(
        "rbac.assignment", "assignment:6", {"action": "delete", "object_id": 6}
    )

    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())

    from approvals.models import ApprovalRequest

    category = ApprovalRequest.objects.get(pk=category.pk)
    assert category.payload == {"object_id": 4, "state": {"name": "Kiosks"}}
    assert category.payload_digest == digest(category.payload)
    assigned = ApprovalRequest.objects.get(pk=assigned.pk)
    assert assigned.payload == {"object_id": 7, "groups": {"include": [1, 2], "exclude": [3]}}
    assert assigned.target_key == "remediation:7"
    assert assigned.payload_digest == digest(assigned.payload)
    role_edit = ApprovalRequest.objects.get(pk=role_edit.pk)
    assert role_edit.operation_type == "role.edit"
    assert role_edit.payload == {
        "object_id": 5,
        "state": {"name": "Ops", "description": "", "permissions": []},
    }
    assert role_edit.payload_digest == digest(role_edit.payload)
    assignment_delete = ApprovalRequest.objects.get(pk=assignment_delete.pk)
    assert (assignment_delete.operation_type, assignment_delete.payload) == (
        "assignment.delete",
        {"object_id": 6},
    )
    policy_delete = ApprovalRequest.objects.get(pk=policy_delete.pk)
    assert (policy_delete.operation_type, policy_delete.payload) == (
        "policy.delete",
        {"object_id": 9},
    )
    assert policy_delete.payload_digest == digest(policy_delete.payload)
    tampered = ApprovalRequest.objects.get(pk=tampered.pk)
    assert (tampered.payload, tampered.target_key) == ({"object_id": 8}, "script:8")
    assert tampered.payload_digest == "not the digest of the payload"
