from approvals.models import ExecutionStatus, PolicyStatus, RequestStatus
from approvals.services import request_approve, request_complete, request_execute
from devices.models import ManagementState
from tests.conftest import request_wipe


def test_article_flow_in_services(tenant, wipe_policy):
    assert wipe_policy.status == PolicyStatus.ACTIVE
    request = request_wipe(tenant)
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.MANAGED
    request = request_approve(request_id=request.pk, approver=tenant.approver)
    assert request.status == RequestStatus.APPROVED
    request = request_complete(request_id=request.pk, actor=tenant.hazel)
    request = request_execute(request_id=request.pk)
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.WIPE_PENDING
