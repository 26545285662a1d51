"""The approval flow over the API, in-process (the live-server version is test_live.py)."""

from approvals.models import ApprovalRequest, ExecutionStatus, RequestStatus
from approvals.services import request_approve, request_execute
from audit.models import AuditEvent
from devices.models import ManagementState
from tests.conftest import activate_policy

from .conftest import as_app


def test_a_protected_write_needs_approval_headers(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    api = as_app(api_tenant.bot)
    url = f"/api/v1/managedDevices/{api_tenant.device.pk}/wipe"
    response = api.post(url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ApprovalRequired"
    assert not ApprovalRequest.objects.filter(operation_type="device.wipe").exists()

    response = api.post(url, HTTP_X_APPROVAL_JUSTIFICATION="Laptop stolen")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "needsApproval"
    req = ApprovalRequest.objects.get(pk=body["requestId"])
    assert req.requestor == api_tenant.bot.principal and req.justification == "Laptop stolen"
    assert req.status == RequestStatus.NEEDS_APPROVAL

    request_approve(request_id=req.pk, approver=api_tenant.approver)
    response = api.post(url, HTTP_X_APPROVAL_REQUEST_ID=str(req.pk))
    assert response.status_code == 202, response.content
    req = request_execute(request_id=req.pk)
    assert req.execution_status == ExecutionStatus.SUCCEEDED
    api_tenant.device.refresh_from_db()
    assert api_tenant.device.management_state == ManagementState.WIPE_PENDING


def test_an_excluded_application_bypasses_the_policy_and_is_audited(api_tenant):
    policy = activate_policy(api_tenant, "device.wipe")
    policy.excluded_applications.add(api_tenant.bot.principal)
    response = as_app(api_tenant.bot).post(f"/api/v1/managedDevices/{api_tenant.device.pk}/wipe")
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="policy.bypass")
    assert event.actor_id == api_tenant.bot.principal.pk
    assert event.note == f"excluded by policy {policy.name}"
