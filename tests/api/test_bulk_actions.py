"""Bulk device actions over the API: Graph's managedDevices/executeAction. Wipe, retire and
delete are one protected request through the approval handshake; syncDevice runs at once."""

from approvals.models import ApprovalRequest
from approvals.services import request_approve
from devices.models import DeviceAction, ManagementState
from tests import factories as f
from tests.conftest import activate_policy
from tests.devices.test_bulk import run_to_the_end

from .conftest import approval, as_app, filed, justification

URL = "/beta/deviceManagement/managedDevices/executeAction"


def _kiosks(n: int) -> list:
    return [f.device(f"KIOSK-{i:03d}") for i in range(n)]


def test_a_bulk_wipe_is_one_request_through_the_approval_handshake(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    kiosks = _kiosks(3)
    api = as_app(api_tenant.bot)
    # Graph sends ids as strings; the same devices in another order are the same call.
    body = {"actionName": "wipe", "deviceIds": [str(d.pk) for d in reversed(kiosks)]}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert "x-msft-approval-justification header is required" in response.json()["error"]["message"]

    req = filed(api.post(URL, body, format="json", **justification("Kiosks leave the fleet")))
    assert req.operation_type == "device.bulk_wipe"
    assert req.payload == {"device_ids": sorted(d.pk for d in kiosks)}
    assert req.target_label == "3 devices"
    assert not DeviceAction.objects.exists()

    request_approve(request_id=req.pk, approver=api_tenant.approver)
    response = api.post(URL, body, format="json", **approval(req))
    assert response.status_code == 202, response.content
    run_to_the_end(ApprovalRequest.objects.get(pk=req.pk))
    for kiosk in kiosks:
        kiosk.refresh_from_db()
        assert kiosk.management_state == ManagementState.WIPE_PENDING
    assert DeviceAction.objects.filter(kind="wipe").count() == 3


def test_unknown_or_unseen_devices_are_named_and_nothing_is_filed(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    kiosk = f.device("KIOSK-1")
    response = as_app(api_tenant.bot).post(
        URL,
        {"actionName": "retire", "deviceIds": [str(kiosk.pk), "999999"]},
        format="json",
        **justification("Retire"),
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No managed device with id 999999."
    assert not ApprovalRequest.objects.filter(operation_type="device.bulk_retire").exists()


def test_a_bad_call_gets_a_clear_message(api_tenant):
    api = as_app(api_tenant.bot)
    for body, words in [
        ({"actionName": "rebootNow", "deviceIds": ["1"]}, "actionName must be one of wipe"),
        ({"actionName": "wipe", "deviceIds": []}, "deviceIds must be a non-empty list"),
        ({"actionName": "wipe", "deviceIds": ["1", "x"]}, "Not a device id: 'x'"),
    ]:
        response = api.post(URL, body, format="json", **justification("x"))
        assert response.status_code == 400, body
        assert words in response.json()["error"]["message"], response.json()


def test_sync_runs_at_once_and_answers_graphs_bulk_result(api_tenant):
    kiosks = _kiosks(2)
    gone = f.device("KIOSK-GONE", management_state=ManagementState.DELETED)
    response = as_app(api_tenant.bot).post(
        URL,
        {"actionName": "syncDevice", "deviceIds": [str(d.pk) for d in kiosks] + ["999999"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "successfulDeviceIds": [str(d.pk) for d in kiosks],
        "failedDeviceIds": [],
        "notFoundDeviceIds": ["999999"],
        "notSupportedDeviceIds": [],
    }
    assert DeviceAction.objects.filter(kind="sync").count() == 2
    # A deleted device is not listed to the API: not found, as Graph answers.
    response = as_app(api_tenant.bot).post(
        URL, {"actionName": "syncDevice", "deviceIds": [str(gone.pk)]}, format="json"
    )
    assert response.json()["notFoundDeviceIds"] == [str(gone.pk)]
    # The engine is not involved: no request for a sync.
    assert not ApprovalRequest.objects.filter(operation_type__startswith="device.").exists()
