"""The approval flow over the API, in-process (the live-server version is test_live.py)."""

import base64
import uuid

import pytest

from approvals.models import ApprovalRequest, ExecutionStatus, RequestStatus
from approvals.services import request_approve, request_execute
from audit.models import AuditEvent
from devices.models import ManagementState
from tests.conftest import activate_policy

from .conftest import approval, as_app, filed, justification


def test_a_protected_write_follows_graphs_approval_handshake(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    api = as_app(api_tenant.bot)
    url = f"/beta/deviceManagement/managedDevices/{api_tenant.device.pk}/wipe"
    response = api.post(url)
    assert response.status_code == 400
    assert "x-msft-approval-justification header is required" in response.json()["error"]["message"]
    assert not ApprovalRequest.objects.filter(operation_type="device.wipe").exists()

    req = filed(api.post(url, **justification("Laptop stolen, ticket 4711")))
    assert req.requestor == api_tenant.bot.principal
    assert req.justification == "Laptop stolen, ticket 4711"
    assert req.status == RequestStatus.NEEDS_APPROVAL
    # The caller polls by the code, as Microsoft documents it.
    polled = api.get(
        "/beta/deviceManagement/operationApprovalRequests",
        {"$filter": f"requestId eq '{req.approval_code}'"},
    ).json()["value"]
    assert [(r["requestId"], r["status"]) for r in polled] == [
        (str(req.approval_code), "needsApproval")
    ]

    request_approve(request_id=req.pk, approver=api_tenant.approver)
    response = api.post(url, **approval(req))
    assert response.status_code == 202, response.content
    req = request_execute(request_id=req.pk)
    assert req.execution_status == ExecutionStatus.SUCCEEDED
    api_tenant.device.refresh_from_db()
    assert api_tenant.device.management_state == ManagementState.WIPE_PENDING


@pytest.mark.parametrize(
    "header, words",
    [
        ("not base64!", "must be the justification encoded in Base64"),
        (base64.b64encode(b"\xff\xfe").decode(), "must be the justification encoded in Base64"),
        (base64.b64encode(b"x" * 1025).decode(), "1025 characters long once decoded"),
    ],
)
def test_a_justification_that_is_not_base64_or_too_long_is_refused(api_tenant, header, words):
    activate_policy(api_tenant, "device.wipe")
    response = as_app(api_tenant.bot).post(
        f"/beta/deviceManagement/managedDevices/{api_tenant.device.pk}/wipe",
        HTTP_X_MSFT_APPROVAL_JUSTIFICATION=header,
    )
    assert response.status_code == 400 and words in response.json()["error"]["message"]
    assert not ApprovalRequest.objects.filter(operation_type="device.wipe").exists()


def test_an_approval_code_that_is_no_guid_or_unknown_is_refused(api_tenant):
    url = f"/beta/deviceManagement/managedDevices/{api_tenant.device.pk}/wipe"
    api = as_app(api_tenant.bot)
    response = api.post(url, HTTP_X_MSFT_APPROVAL_CODE="42")
    assert response.status_code == 400 and "must be a GUID" in response.json()["error"]["message"]
    response = api.post(url, HTTP_X_MSFT_APPROVAL_CODE=str(uuid.uuid4()))
    assert response.status_code == 404


def test_an_excluded_application_bypasses_the_policy_and_is_audited(api_tenant):
    policy = activate_policy(api_tenant, "device.wipe")
    policy.excluded_applications.add(api_tenant.bot.principal)
    response = as_app(api_tenant.bot).post(
        f"/beta/deviceManagement/managedDevices/{api_tenant.device.pk}/wipe"
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="policy.bypass")
    assert event.actor_id == api_tenant.bot.principal.pk
    assert event.note == f"excluded by policy {policy.name}"
