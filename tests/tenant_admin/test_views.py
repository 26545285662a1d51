from django.urls import reverse

from approvals.models import ApprovalRequest
from rbac.catalogue import Perm
from rbac.models import Permission, Role, SecurityGroup
from tests import factories as f
from tests.conftest import activate_policy


def test_duplicating_read_only_operator_to_add_the_approval_permission(client, tenant):
    source = f.builtin("Read Only Operator")
    client.force_login(tenant.policy_admin)
    page = client.get(reverse("tenant_admin:role_duplicate", args=[source.pk]))
    assert "Read Only Operator (copy)" in page.content.decode()
    codes = [*source.permissions.values_list("code", flat=True), Perm.MAA_APPROVE]
    response = client.post(
        reverse("tenant_admin:role_duplicate", args=[source.pk]),
        {
            "name": "Approvers role",
            "description": "Read only plus approval",
            "permissions": list(
                Permission.objects.filter(code__in=codes).values_list("pk", flat=True)
            ),
        },
    )
    assert response.status_code == 302
    clone = Role.objects.get(name="Approvers role")
    assert not clone.is_builtin
    assert clone.duplicated_from == source
    assert set(clone.permissions.values_list("code", flat=True)) == set(codes)


def test_editing_a_builtin_role_is_refused_by_the_page(client, tenant):
    client.force_login(tenant.policy_admin)
    builtin = f.builtin("Help Desk Operator")
    assert client.get(reverse("tenant_admin:role_edit", args=[builtin.pk])).status_code == 403


def test_a_rejected_role_form_keeps_what_was_typed(client, tenant):
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("tenant_admin:role_create"),
        {"name": "Help Desk Operator", "description": "typed text survives"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "already exists" in body
    assert "typed text survives" in body


def test_a_protected_role_form_asks_for_a_justification_and_files_a_request(client, tenant):
    activate_policy(tenant, "rbac")
    client.force_login(tenant.policy_admin)
    url = reverse("tenant_admin:role_create")
    assert "Business justification" in client.get(url).content.decode()
    missing = client.post(url, {"name": "New role", "description": ""})
    assert "This field is required" in missing.content.decode()
    response = client.post(url, {"name": "New role", "description": "", "justification": "Need it"})
    request = ApprovalRequest.objects.get(operation_type="role.create")
    assert response.url == reverse("approvals:request_detail", args=[request.pk])
    assert not Role.objects.filter(name="New role").exists()


def test_group_membership_changes_are_logged(client, tenant):
    from audit.models import AuditEvent

    client.force_login(tenant.policy_admin)
    newcomer = f.user("newcomer")
    group = tenant.approvers
    members = [tenant.approver.pk, newcomer.pk]
    response = client.post(
        reverse("tenant_admin:group_edit", args=[group.pk]),
        {"name": group.name, "description": "", "group_type": "security", "members": members},
    )
    assert response.status_code == 302
    assert set(SecurityGroup.objects.get(pk=group.pk).members) == {tenant.approver, newcomer}
    notes = set(
        AuditEvent.objects.filter(target_type="rbac.securitygroup").values_list("action", "note")
    )
    assert ("group.member_add", "newcomer") in notes
    assert ("group.member_remove", "approver2") in notes


def test_emptying_an_active_policys_approver_group_is_refused(client, tenant, wipe_policy):
    client.force_login(tenant.policy_admin)
    group = tenant.approvers
    response = client.post(
        reverse("tenant_admin:group_edit", args=[group.pk]),
        {"name": group.name, "description": "kept", "group_type": "security", "members": []},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "unable to approve" in body and "kept" in body
    assert set(SecurityGroup.objects.get(pk=group.pk).members) == {
        tenant.approver,
        tenant.approver2,
    }


def test_granting_a_directory_role_in_the_admin_is_audited(client, tenant):
    from audit.models import AuditEvent
    from rbac.models import User

    root = f.global_admin("root")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    url = reverse("admin:rbac_user_change", args=[tenant.hazel.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "directory_role": "global_admin",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "muted_notifications": "[]",
            "groups": [g.pk for g in data.get("groups", [])],
            "user_permissions": [],
            "last_login_0": "",
            "last_login_1": "",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=tenant.hazel.pk).directory_role == "global_admin"
    event = AuditEvent.objects.get(action="user.update", target_id=str(tenant.hazel.pk))
    assert event.actor == root and "directory_role" in event.data["changed"]


def test_an_unprotected_assignment_is_created_directly_from_the_form(client, tenant):
    from rbac.models import RoleAssignment

    client.force_login(tenant.policy_admin)
    url = reverse("tenant_admin:assignment_create")
    data = {
        "name": "Readers",
        "description": "",
        "role": f.builtin("Read Only Operator").pk,
        "members": [tenant.helpdesk.pk],
    }
    refused = client.post(url, data)  # neither all devices nor scope groups
    assert "Choose scope groups" in refused.content.decode()
    assert 'value="Readers"' in refused.content.decode()
    response = client.post(url, {**data, "scope_all_devices": "on"})
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(name="Readers")
    assert list(assignment.members.all()) == [tenant.helpdesk]
