"""Microsoft's own Graph client (msgraph-beta-sdk's GraphServiceClient, with its default
middleware: retry, redirect, telemetry) pointed at the live portal, with a real
client-credentials token from the Entra-shaped token endpoint and a real Celery worker."""

import asyncio
import base64
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph_beta import GraphServiceClient
from msgraph_beta.generated.device_management.device_management_scripts.item.assign.assign_post_request_body import (  # noqa: E501
    AssignPostRequestBody,
)
from msgraph_beta.generated.device_management.managed_devices.execute_action.execute_action_post_request_body import (  # noqa: E501
    ExecuteActionPostRequestBody,
)
from msgraph_beta.generated.device_management.managed_devices.item.wipe.wipe_post_request_body import (  # noqa: E501
    WipePostRequestBody,
)
from msgraph_beta.generated.device_management.managed_devices.managed_devices_request_builder import (  # noqa: E501
    ManagedDevicesRequestBuilder,
)
from msgraph_beta.generated.device_management.operation_approval_requests.item.approve.approve_post_request_body import (  # noqa: E501
    ApprovePostRequestBody,
)
from msgraph_beta.generated.device_management.operation_approval_requests.operation_approval_requests_request_builder import (  # noqa: E501
    OperationApprovalRequestsRequestBuilder,
)
from msgraph_beta.generated.models.device_and_app_management_role_assignment import (
    DeviceAndAppManagementRoleAssignment,
)
from msgraph_beta.generated.models.device_management_script import DeviceManagementScript
from msgraph_beta.generated.models.device_management_script_assignment import (
    DeviceManagementScriptAssignment,
)
from msgraph_beta.generated.models.group_assignment_target import GroupAssignmentTarget
from msgraph_beta.generated.models.managed_device_remote_action import ManagedDeviceRemoteAction
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.operation_approval_request_status import (
    OperationApprovalRequestStatus,
)
from msgraph_beta.generated.models.role_assignment_scope_type import RoleAssignmentScopeType
from msgraph_beta.generated.models.role_definition import RoleDefinition
from msgraph_beta.generated.models.run_as_account_type import RunAsAccountType

from approvals.models import ApprovalRequest, ExecutionStatus
from device_scripts.models import Script
from devices.models import DeviceAction
from rbac.models import RoleAssignment
from tests import factories as f
from tests.conftest import activate_policy, build_tenant
from tests.worker import celery_worker, wait_until

from .conftest import new_application
from .graph_client import ClientCredentials, graph_client
from .test_live import approve_in_portal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run():
    """One event loop per test, on a thread of its own: the SDK's HTTP client belongs to the
    loop it first ran on, and a browser story run earlier in the same process leaves
    Playwright's loop running on the main thread, where no second loop may run (pytest-xdist
    runs the suite in any order)."""
    loop = asyncio.new_event_loop()
    with ThreadPoolExecutor(max_workers=1) as thread:
        yield lambda coroutine: thread.submit(loop.run_until_complete, coroutine).result()
        thread.submit(loop.close).result()


def _client(live_server, app) -> GraphServiceClient:
    return graph_client(ClientCredentials(live_server.url, "contoso", app.client_id, app.secret))


def _headers(**values) -> RequestConfiguration:
    config = RequestConfiguration()
    for name, value in values.items():
        config.headers.add(name.replace("_", "-"), value)
    return config


def test_the_sdk_lists_devices_with_a_filter_and_follows_next_links(live_server, run):
    build_tenant()
    for i in range(5):
        f.device(f"IPAD-{i}", operating_system="iOS", os_version="18.1")
    bots = f.group("Readers", [])
    f.assign(f.builtin("Read Only Operator"), [bots], name="Readers")
    client = _client(live_server, new_application("Inventory", [bots]))
    devices = client.device_management.managed_devices
    query = ManagedDevicesRequestBuilder.ManagedDevicesRequestBuilderGetQueryParameters(
        filter="operatingSystem eq 'iOS' and startswith(deviceName, 'IPAD-')",
        top=2,
        select=["deviceName", "operatingSystem", "complianceState"],
    )

    async def every_page():
        page = await devices.get(RequestConfiguration(query_parameters=query))
        names, pages = [], 0
        while True:
            pages += 1
            names += [(d.device_name, d.operating_system, d.id) for d in page.value]
            if not page.odata_next_link:
                return names, pages
            page = await devices.with_url(page.odata_next_link).get()

    names, pages = run(every_page())
    assert pages == 3
    assert sorted(name for name, _, _ in names) == [f"IPAD-{i}" for i in range(5)]
    assert {os for _, os, _ in names} == {"iOS"}


def test_the_sdk_wipes_through_the_approval_handshake_exactly_once(live_server, run):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    bots = f.group("Automation", [])
    f.assign(f.builtin("Help Desk Operator"), [bots], name="Automation")
    client = _client(live_server, new_application("Patch bot", [bots]))
    reviewer = _client(live_server, new_application("Review bot", [tenant.approvers]))
    wipe = client.device_management.managed_devices.by_managed_device_id(str(tenant.device.pk)).wipe
    body = WipePostRequestBody(keep_enrollment_data=False, keep_user_data=False)
    justification = base64.b64encode(b"Stolen laptop, ticket 4711").decode()
    requests = client.device_management.operation_approval_requests

    async def file() -> str:
        with pytest.raises(ODataError) as raised:
            await wipe.post(body)
        assert raised.value.response_status_code == 400
        assert "x-msft-approval-justification" in raised.value.error.message
        with pytest.raises(ODataError) as raised:
            await wipe.post(body, _headers(x_msft_approval_justification=justification))
        error = raised.value
        assert error.response_status_code == 412 and error.error.code == "BadRequest"
        assert "Approval Required" in error.error.message
        return error.response_headers["x-msft-approval-code"]

    async def poll(code: str):
        query = OperationApprovalRequestsRequestBuilder.OperationApprovalRequestsRequestBuilderGetQueryParameters(  # noqa: E501
            filter=f"requestId eq '{code}'"
        )
        page = await requests.get(RequestConfiguration(query_parameters=query))
        [found] = page.value
        return found

    async def app_approves(code: str):
        item = reviewer.device_management.operation_approval_requests
        with pytest.raises(ODataError) as raised:
            await item.by_operation_approval_request_id(code).approve.post(
                ApprovePostRequestBody(justification="I am a script")
            )
        return raised.value

    with celery_worker():
        code = run(file())
        found = run(poll(code))
        assert found.id == code and found.status == OperationApprovalRequestStatus.NeedsApproval
        assert found.request_justification == "Stolen laptop, ticket 4711"
        assert found.requestor.application.display_name == "Patch bot"
        refused = run(app_approves(code))
        assert refused.response_status_code == 403 and refused.error.code == "Forbidden"
        assert "Applications never approve" in refused.error.message
        approve_in_portal(ApprovalRequest.objects.get(approval_code=code), tenant.approver)
        assert run(poll(code)).status == OperationApprovalRequestStatus.Approved
        # The identical call, with the code instead of the justification.
        run(wipe.post(body, _headers(x_msft_approval_code=code)))
        _executed(code)
        # Resending it again is refused: the approval was spent.
        with pytest.raises(ODataError) as raised:
            run(wipe.post(body, _headers(x_msft_approval_code=code)))
        assert raised.value.response_status_code == 409
    assert DeviceAction.objects.filter(device=tenant.device, kind="wipe").count() == 1


def test_the_sdk_files_a_bulk_wipe_with_execute_action_and_syncs_at_once(live_server, run):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    kiosks = [f.device(f"KIOSK-{i}") for i in range(3)]
    bots = f.group("Automation", [])
    f.assign(f.builtin("Help Desk Operator"), [bots], name="Automation")
    client = _client(live_server, new_application("Patch bot", [bots]))
    execute = client.device_management.managed_devices.execute_action
    ids = [str(d.pk) for d in kiosks]
    wipe = ExecuteActionPostRequestBody(action_name=ManagedDeviceRemoteAction.Wipe, device_ids=ids)
    justification = base64.b64encode(b"Kiosks leave the fleet").decode()

    async def file() -> str:
        with pytest.raises(ODataError) as raised:
            await execute.post(wipe, _headers(x_msft_approval_justification=justification))
        assert raised.value.response_status_code == 412
        return raised.value.response_headers["x-msft-approval-code"]

    with celery_worker():
        code = run(file())
        request = ApprovalRequest.objects.get(approval_code=code)
        assert request.operation_type == "device.bulk_wipe" and request.target_label == "3 devices"
        approve_in_portal(request, tenant.approver)
        run(execute.post(wipe, _headers(x_msft_approval_code=code)))
        _executed(code)
    assert DeviceAction.objects.filter(kind="wipe", device__in=kiosks).count() == 3
    sync = ExecuteActionPostRequestBody(
        action_name=ManagedDeviceRemoteAction.SyncDevice, device_ids=[ids[0], "999999"]
    )
    result = run(execute.post(sync))
    assert result.successful_device_ids == [ids[0]]
    assert result.not_found_device_ids == ["999999"] and result.failed_device_ids == []


def test_the_token_endpoint_answers_where_entras_does(live_server):
    app = new_application("Patch bot", [])
    response = httpx.post(
        f"{live_server.url}/contoso.onmicrosoft.com/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


def _executed(code: str) -> None:
    wait_until(
        lambda: (
            ApprovalRequest.objects.get(approval_code=code).execution_status
            == ExecutionStatus.SUCCEEDED
        ),
        what="the worker to run the approved operation",
    )


def _through_approval(run, send, approver) -> None:
    """Graph's handshake with the SDK: the write with a justification raises on the 412, a
    person approves in the portal, the identical write with the code completes it, and the
    worker runs it."""
    justification = base64.b64encode(b"Change ticket 815").decode()
    with pytest.raises(ODataError) as raised:
        run(send(_headers(x_msft_approval_justification=justification)))
    assert raised.value.response_status_code == 412
    code = raised.value.response_headers["x-msft-approval-code"]
    approve_in_portal(ApprovalRequest.objects.get(approval_code=code), approver)
    run(send(_headers(x_msft_approval_code=code)))
    _executed(code)


def test_the_sdk_creates_a_script_with_base64_content_and_assigns_it(live_server, run):
    tenant = build_tenant()
    activate_policy(tenant, "scripts")
    admins = f.group("Script admins", [])
    f.assign(f.builtin("Policy and Profile Manager"), [admins], name="Script admins")
    client = _client(live_server, new_application("Script bot", [admins]))
    scripts = client.device_management.device_management_scripts
    script = DeviceManagementScript(
        odata_type="#microsoft.graph.deviceManagementScript",
        display_name="Clear print queue",
        description="Ticket 815",
        script_content=b"Write-Output 'queue cleared'\n",
        run_as_account=RunAsAccountType.System,
        enforce_signature_check=False,
        run_as32_bit=False,
        file_name="clear-queue.ps1",
    )
    with celery_worker():
        _through_approval(run, lambda config: scripts.post(script, config), tenant.approver)
        saved = Script.objects.get(name="Clear print queue")
        assert saved.body == "Write-Output 'queue cleared'\n" and saved.run_64bit
        # Read back through the SDK: the content decodes to the same bytes.
        read = run(scripts.by_device_management_script_id(str(saved.pk)).get())
        assert read.script_content == b"Write-Output 'queue cleared'\n"
        assert read.odata_type == "#microsoft.graph.deviceManagementScript"
        assign = AssignPostRequestBody(
            device_management_script_assignments=[
                DeviceManagementScriptAssignment(
                    target=GroupAssignmentTarget(group_id=str(tenant.helpdesk.pk))
                )
            ]
        )
        item = scripts.by_device_management_script_id(str(saved.pk))
        _through_approval(run, lambda config: item.assign.post(assign, config), tenant.approver)
    assert [a.group_id for a in saved.assignments.all()] == [tenant.helpdesk.pk]


def test_the_sdk_creates_a_role_assignment_through_the_handshake(live_server, run):
    tenant = build_tenant()
    activate_policy(tenant, "rbac")
    admins = f.group("Role admins", [])
    f.assign(f.builtin("Intune Role Administrator"), [admins], name="Role admins")
    client = _client(live_server, new_application("Role bot", [admins]))
    role = f.builtin("Read Only Operator")
    assignment = DeviceAndAppManagementRoleAssignment(
        odata_type="#microsoft.graph.deviceAndAppManagementRoleAssignment",
        display_name="Auditors read",
        description="Ticket 816",
        members=[str(tenant.helpdesk.pk)],
        role_definition=RoleDefinition(id=str(role.pk)),
        scope_type=RoleAssignmentScopeType.AllDevices,
    )
    assignments = client.device_management.role_assignments
    with celery_worker():
        _through_approval(run, lambda config: assignments.post(assignment, config), tenant.approver)
    saved = RoleAssignment.objects.get(name="Auditors read")
    assert saved.role == role and saved.scope_all_devices
    assert list(saved.members.all()) == [tenant.helpdesk]


def test_the_sdk_honours_retry_after_on_a_429(live_server, run, monkeypatch):
    from django.core.cache import cache
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    from utilities.api.throttling import ClientRateThrottle

    build_tenant()
    readers = f.group("Readers", [])
    f.assign(f.builtin("Read Only Operator"), [readers], name="Readers")
    devices = _client(live_server, new_application("Inventory", [readers]))
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "client": "2/sec"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    allowed = []
    original = ClientRateThrottle.allow_request

    def counted(self, request, view):
        allowed.append(original(self, request, view))
        return allowed[-1]

    monkeypatch.setattr(ClientRateThrottle, "allow_request", counted)

    async def four_lists():
        return [await devices.device_management.managed_devices.get() for _ in range(4)]

    pages = run(four_lists())
    # Every call succeeded for the caller; the server refused some first, and the SDK's retry
    # handler waited out their Retry-After and sent them again.
    assert all(page.value for page in pages)
    assert allowed.count(True) == 4 and allowed.count(False) >= 1
