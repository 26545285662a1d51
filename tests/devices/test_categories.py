"""Device categories: Intune's "Tenant configuration" workload behind approval."""

import pytest
from django.urls import reverse

from approvals.models import ApprovalRequest, RequestStatus
from approvals.services import (
    operation_start,
    request_approve,
    request_complete,
    request_execute,
)
from audit.models import AuditEvent
from devices.models import DeviceCategory
from devices.services import category_create
from tests import factories as f
from tests.conftest import activate_policy


@pytest.fixture
def laptops(db):
    return category_create(actor=None, name="Corporate laptops", description="Windows")


def test_without_a_policy_an_admin_creates_a_category_directly(client, tenant):
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("devices:category_create"), {"name": "Kiosks", "description": "Lobby"}
    )
    assert response.status_code == 302
    assert DeviceCategory.objects.filter(name="Kiosks").exists()


def test_with_a_tenant_configuration_policy_create_edit_and_delete_are_requests(
    client, tenant, laptops
):
    activate_policy(tenant, "tenant_configuration")
    client.force_login(tenant.policy_admin)
    client.post(
        reverse("devices:category_edit", args=[laptops.pk]),
        {"name": "Company laptops", "description": "Windows", "justification": "Rename"},
    )
    request = ApprovalRequest.objects.get(operation_type="category.edit")
    assert request.status == RequestStatus.NEEDS_APPROVAL
    assert DeviceCategory.objects.get(pk=laptops.pk).name == "Corporate laptops"
    name = next(r for r in request.summary if r["label"] == "Name")
    assert (name["before"], name["after"]) == ("Corporate laptops", "Company laptops")
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.policy_admin)
    request_execute(request_id=request.pk)
    assert DeviceCategory.objects.get(pk=laptops.pk).name == "Company laptops"
    # The list shows the open request of a category.
    operation_start(
        actor=tenant.policy_admin,
        operation_code="category.delete",
        payload={"object_id": laptops.pk},
        justification="Merge categories",
    )
    body = client.get(reverse("devices:categories")).content.decode()
    assert "Delete device category — Needs approval" in body


def test_deleting_a_category_in_use_is_refused_with_the_number_of_devices(client, tenant, laptops):
    for _ in range(3):
        f.device(category=laptops)
    activate_policy(tenant, "tenant_configuration")
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("devices:category_delete", args=[laptops.pk]), {"justification": "Clean up"}
    )
    assert response.status_code == 200
    assert "used by 3 device(s)" in response.content.decode()
    assert not ApprovalRequest.objects.filter(operation_type="category.delete").exists()
    assert DeviceCategory.objects.filter(pk=laptops.pk).exists()


def test_setting_a_device_category_on_the_device_page_is_audited(client, tenant, laptops):
    client.force_login(tenant.hazel)  # Help Desk Operator: Managed devices: Update
    page = client.get(reverse("devices:detail", args=[tenant.device.pk])).content.decode()
    assert "Set category" in page
    client.post(reverse("devices:set_category", args=[tenant.device.pk]), {"category": laptops.pk})
    tenant.device.refresh_from_db()
    assert tenant.device.category == laptops
    event = AuditEvent.objects.get(action="device.category")
    assert event.actor == tenant.hazel and "Corporate laptops" in event.note


def test_a_read_only_user_sees_the_category_but_cannot_set_it(client, tenant, laptops):
    client.force_login(tenant.approver)
    page = client.get(reverse("devices:detail", args=[tenant.device.pk])).content.decode()
    assert "Set category" not in page
    response = client.post(
        reverse("devices:set_category", args=[tenant.device.pk]), {"category": laptops.pk}
    )
    assert response.status_code == 403


def test_approvers_of_tenant_configuration_need_organization_read(tenant, laptops):
    from approvals.models import Stage
    from approvals.selectors import approver_setup_problems

    no_read = f.role("Approve only", ["maa.approval_for_multi_admin_approval"])
    group = f.group("Bare approvers", [f.user("bare1")])
    f.assign(no_read, [group])
    problems = approver_setup_problems(
        policy_type="tenant_configuration", stages=[Stage(1, (group.pk,), 1)]
    )
    assert any("organization.read" in p for p in problems)
