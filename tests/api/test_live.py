"""The whole automation flow against the live server, with a real client-credentials token and
a real Celery worker, over raw HTTP: 400, then 412 and a code, a second identity approves, the
repeated call with the code completes it, and the worker runs the wipe exactly once."""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client
from django.urls import reverse

from approvals.api.protected import APPROVAL_CODE, JUSTIFICATION
from approvals.models import ApprovalRequest, ExecutionStatus, RequestStatus
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
    url = base + urllib.parse.quote(path, safe="/?=&$'")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers


def token(base: str, client) -> str:
    basic = base64.b64encode(f"{client.client_id}:{client.secret}".encode()).decode()
    status, body, _ = call(
        base,
        "POST",
        "/oauth2/token/",
        headers={"Authorization": f"Basic {basic}"},
        form={"grant_type": "client_credentials"},
    )
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    return body["access_token"]


def approve_in_portal(req, approver) -> None:
    page = Client()
    page.force_login(approver)
    url = reverse("approvals:request_action", args=[req.pk, "approve"])
    assert page.post(url, {"note": "Ticket checked"}).status_code == 302
    assert ApprovalRequest.objects.get(pk=req.pk).status == RequestStatus.APPROVED


def test_the_automation_flow_runs_the_operation_exactly_once(live_server):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    bots = f.group("Automation", [])
    f.assign(f.builtin("Help Desk Operator"), [bots], name="Automation")
    patcher = new_application("Patch bot", [bots])
    # An application in the approver group (its role would grant the approval).
    reviewer = new_application("Review bot", [tenant.approvers])
    base, path = live_server.url, f"/beta/deviceManagement/managedDevices/{tenant.device.pk}/wipe"

    with celery_worker():
        bot_token = token(base, patcher)
        # 1. No justification header: 400, nothing filed.
        status, body, _ = call(base, "POST", path, token=bot_token)
        assert (status, body["error"]["code"]) == (400, "BadRequest")
        assert not ApprovalRequest.objects.filter(operation_type="device.wipe").exists()
        # 2. With a Base64 justification: 412 and the request's code.
        justification = base64.b64encode(b"Stolen laptop, ticket 4711").decode()
        status, body, headers = call(
            base, "POST", path, token=bot_token, headers={JUSTIFICATION: justification}
        )
        assert status == 412 and "Approval Required" in body["error"]["message"], body
        code = headers[APPROVAL_CODE]
        # 3. An application never approves, even one in the approver group; a person does, in
        # the portal.
        status, body, _ = call(
            base,
            "POST",
            f"/beta/deviceManagement/operationApprovalRequests/{code}/approve",
            token=token(base, reviewer),
            body={"justification": "Ticket checked"},
        )
        assert status == 403 and "Applications never approve" in body["error"]["message"], body
        approve_in_portal(ApprovalRequest.objects.get(approval_code=code), tenant.approver)
        # 4. The identical call, with the code: completed and queued.
        status, body, _ = call(base, "POST", path, token=bot_token, headers={APPROVAL_CODE: code})
        assert status == 202 and body["status"] == "completed", body
        wait_until(
            lambda: (
                ApprovalRequest.objects.get(approval_code=code).execution_status
                == ExecutionStatus.SUCCEEDED
            ),
            what="the worker to run the wipe",
        )
        # Repeating it changes nothing: the request is spent.
        status, body, _ = call(base, "POST", path, token=bot_token, headers={APPROVAL_CODE: code})
        assert status == 409, body
        status, body, _ = call(
            base,
            "GET",
            f"/beta/deviceManagement/operationApprovalRequests?$filter=requestId eq '{code}'",
            token=bot_token,
        )
        assert [r["executionStatus"] for r in body["value"]] == ["succeeded"]
    wipes = DeviceAction.objects.filter(device=tenant.device, kind="wipe")
    assert wipes.count() == 1
