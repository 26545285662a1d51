"""The whole automation flow against the live server, with a real client-credentials token and
a real Celery worker: 403, then 202 and a request, a second identity approves, the repeated
call completes it, and the worker runs the wipe exactly once."""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from approvals.models import ApprovalRequest, ExecutionStatus
from devices.models import DeviceAction
from tests import factories as f
from tests.conftest import activate_policy, build_tenant
from tests.worker import celery_worker, wait_until

from .conftest import new_application

pytestmark = pytest.mark.django_db(transaction=True)


def call(base: str, method: str, path: str, *, token="", headers=None, body=None, form=None):
    data = None
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def token(base: str, client) -> str:
    basic = base64.b64encode(f"{client.client_id}:{client.secret}".encode()).decode()
    status, body = call(
        base,
        "POST",
        "/oauth2/token/",
        headers={"Authorization": f"Basic {basic}"},
        form={"grant_type": "client_credentials"},
    )
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    return body["access_token"]


def test_the_automation_flow_runs_the_operation_exactly_once(live_server):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    bots = f.group("Automation", [])
    f.assign(f.builtin("Help Desk Operator"), [bots], name="Automation")
    patcher = new_application("Patch bot", [bots])
    # The second identity: an application in the approver group (its role grants the approval).
    reviewer = new_application("Review bot", [tenant.approvers])
    base, path = live_server.url, f"/api/v1/managedDevices/{tenant.device.pk}/wipe"

    with celery_worker():
        bot_token = token(base, patcher)
        # 1. No approval header: 403, nothing filed.
        status, body = call(base, "POST", path, token=bot_token)
        assert (status, body["error"]["code"]) == (403, "ApprovalRequired")
        assert not ApprovalRequest.objects.filter(operation_type="device.wipe").exists()
        # 2. With a justification: 202 and a request.
        status, body = call(
            base,
            "POST",
            path,
            token=bot_token,
            headers={"X-Approval-Justification": "Stolen laptop, ticket 4711"},
        )
        assert status == 202 and body["status"] == "needsApproval"
        request_id = body["requestId"]
        # 3. A second identity approves.
        status, body = call(
            base,
            "POST",
            f"/api/v1/operationApprovalRequests/{request_id}/approve",
            token=token(base, reviewer),
            body={"note": "Ticket checked"},
        )
        assert (status, body["status"]) == (200, "approved"), body
        # 4. The identical call, with the approval: completed and queued.
        status, body = call(
            base, "POST", path, token=bot_token, headers={"X-Approval-Request-Id": str(request_id)}
        )
        assert status == 202 and body["status"] == "completed", body
        wait_until(
            lambda: (
                ApprovalRequest.objects.get(pk=request_id).execution_status
                == ExecutionStatus.SUCCEEDED
            ),
            what="the worker to run the wipe",
        )
        # Repeating it changes nothing: the request is spent.
        status, body = call(
            base, "POST", path, token=bot_token, headers={"X-Approval-Request-Id": str(request_id)}
        )
        assert status == 409, body
        status, body = call(
            base, "GET", f"/api/v1/operationApprovalRequests/{request_id}/status", token=bot_token
        )
        assert body["executionStatus"] == "succeeded"
    wipes = DeviceAction.objects.filter(device=tenant.device, kind="wipe")
    assert wipes.count() == 1
