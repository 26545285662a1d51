"""What every client can rely on: refusals, errors, paging, idempotency, throttling, sessions."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from approvals.models import ApprovalRequest, RequestStatus
from approvals.services import request_approve, request_execute
from audit.models import AuditEvent
from devices.models import Device
from rbac.applications import application_set_enabled, application_tokens_revoke
from tests import factories as f
from tests.conftest import activate_policy

from .conftest import approval, as_app, filed, justification, new_application, token_for

J = justification("Laptop stolen")


def _wipe_url(device) -> str:
    return f"/beta/deviceManagement/managedDevices/{device.pk}/wipe"


def _filed(api, device) -> ApprovalRequest:
    return filed(api.post(_wipe_url(device), **J))


def test_only_the_client_that_filed_may_complete(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    req = _filed(as_app(api_tenant.bot), api_tenant.device)
    request_approve(request_id=req.pk, approver=api_tenant.approver)
    other = new_application("Other bot", [api_tenant.bots])
    response = as_app(other).post(_wipe_url(api_tenant.device), **approval(req))
    assert response.status_code == 403
    assert "Only the client that filed request" in response.json()["error"]["message"]
    assert ApprovalRequest.objects.get(pk=req.pk).status == RequestStatus.APPROVED


def test_a_call_that_differs_from_the_approved_one_gets_409(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    api = as_app(api_tenant.bot)
    req = _filed(api, api_tenant.device)
    request_approve(request_id=req.pk, approver=api_tenant.approver)
    other_device = f.device("DESKTOP-OTHER")
    response = api.post(_wipe_url(other_device), **approval(req))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DigestMismatch"
    # Same path, different body: also not the approved call.
    response = api.post(
        _wipe_url(api_tenant.device),
        {"keepUserData": True},
        format="json",
        **approval(req),
    )
    assert response.status_code == 409
    assert ApprovalRequest.objects.get(pk=req.pk).status == RequestStatus.APPROVED


def test_completing_before_approval_is_refused_with_a_reason(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    api = as_app(api_tenant.bot)
    req = _filed(api, api_tenant.device)
    response = api.post(_wipe_url(api_tenant.device), **approval(req))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "RequestNotCompletable"


def test_a_second_request_for_the_same_device_answers_like_a_duplicate(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    api = as_app(api_tenant.bot)
    first = _filed(api, api_tenant.device)
    response = api.post(_wipe_url(api_tenant.device), **J)
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["requestId"]) == ("OpenRequestExists", str(first.approval_code))


def test_expired_revoked_and_disabled_credentials_get_401(api_tenant):
    token = token_for(api_tenant.bot)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/beta/deviceManagement/managedDevices").status_code == 200
    AccessToken.objects.filter(token_checksum__isnull=False).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    response = api.get("/beta/deviceManagement/managedDevices")
    error = response.json()["error"]
    assert response.status_code == 401 and (error["code"], error["message"]) == (
        "Unauthorized",
        "The access token is invalid, expired or revoked.",
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(api_tenant.bot)}")
    application_tokens_revoke(actor=None, principal_id=api_tenant.bot.principal.pk)
    assert api.get("/beta/deviceManagement/managedDevices").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(api_tenant.bot)}")
    application_set_enabled(actor=None, principal_id=api_tenant.bot.principal.pk, enabled=False)
    assert api.get("/beta/deviceManagement/managedDevices").status_code == 401
    assert APIClient().get("/beta/deviceManagement/managedDevices").status_code == 401


def test_tokens_last_an_hour_by_default(api_tenant):
    response = APIClient().post(
        "/oauth2/token/",
        {
            "grant_type": "client_credentials",
            "client_id": api_tenant.bot.client_id,
            "client_secret": api_tenant.bot.secret,
        },
    )
    assert response.status_code == 200 and response.json()["expires_in"] == 3600
    bad = APIClient().post(
        "/oauth2/token/",
        {
            "grant_type": "client_credentials",
            "client_id": api_tenant.bot.client_id,
            "client_secret": "wrong",
        },
    )
    assert bad.status_code == 401


def test_the_secret_is_stored_hashed(api_tenant):
    from oauth2_provider.models import Application

    stored = Application.objects.get(client_id=api_tenant.bot.client_id).client_secret
    assert stored != api_tenant.bot.secret and api_tenant.bot.secret not in stored


def test_permissions_come_from_the_application_groups(api_tenant):
    nobody = new_application("No groups", [])
    response = as_app(nobody).get("/beta/deviceManagement/managedDevices")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Forbidden"
    # Help Desk Operator may wipe; a Read Only Operator group may not.
    readers = f.group("Readers", [])
    f.assign(f.builtin("Read Only Operator"), [readers], name="Readers")
    reader = new_application("Reader", [readers])
    assert as_app(reader).get("/beta/deviceManagement/managedDevices").status_code == 200
    response = as_app(reader).post(_wipe_url(api_tenant.device))
    assert (
        response.status_code == 403 and "remote_tasks.wipe" in response.json()["error"]["message"]
    )


def test_lists_page_with_a_next_link_and_filter(api_tenant):
    for i in range(3):
        f.device(f"IPHONE-{i}", operating_system="iOS", os_version="18.2")
    api = as_app(api_tenant.bot)
    url = "/beta/deviceManagement/managedDevices"
    first = api.get(url, {"$filter": "operatingSystem eq 'iOS'", "$top": 2}).json()
    assert first["@odata.context"] == (
        "http://testserver/beta/$metadata#deviceManagement/managedDevices"
    )
    assert [d["operatingSystem"] for d in first["value"]] == ["iOS", "iOS"]
    assert first["@odata.nextLink"].startswith("http://testserver/beta/") and (
        "%24skiptoken=" in first["@odata.nextLink"]
    )
    second = api.get(first["@odata.nextLink"]).json()
    assert len(second["value"]) == 1 and "@odata.nextLink" not in second
    names = {d["deviceName"] for d in first["value"] + second["value"]}
    assert names == {"IPHONE-0", "IPHONE-1", "IPHONE-2"}
    device = first["value"][0]
    assert isinstance(device["id"], str) and device["enrolledDateTime"].endswith("Z")
    assert "serialNumber" in device and device["complianceState"] == "compliant"
    f.device("LAPTOP-7", primary_user=f.user("zoe.keller"))
    upn = "userPrincipalName eq 'zoe.keller@example.test' or startswith(deviceName, 'IPHONE-2')"
    found = api.get(url, {"$filter": upn, "$orderby": "deviceName desc"}).json()["value"]
    assert [d["deviceName"] for d in found] == ["LAPTOP-7", "IPHONE-2"]
    both = "operatingSystem eq 'iOS' and not (deviceName eq 'IPHONE-0') and deviceName ne 'x'"
    counted = api.get(url, {"$filter": both, "$count": "true", "$select": "deviceName"}).json()
    assert counted["@odata.count"] == 2
    assert counted["value"][0].keys() == {"id", "deviceName"}
    owned = api.get(url, {"$filter": "managedDeviceOwnerType eq 'company'"}).json()["value"]
    assert {d["managedDeviceOwnerType"] for d in owned} == {"company"}
    one = api.get(f"{url}/{device['id']}").json()
    assert one["@odata.context"].endswith("#deviceManagement/managedDevices/$entity")


@pytest.mark.parametrize(
    "params, words",
    [
        ({"$filter": "operatingSystem eq 'Plan9'"}, "operatingSystem has no value 'Plan9'"),
        ({"$filter": "osVersion eq '18'"}, "Filtering on osVersion is not supported"),
        ({"$filter": "operatingSystem gt 'A'"}, "this is not supported: Compare"),
        ({"$filter": "endswith(deviceName, 'X')"}, "this is not supported: Call"),
        ({"$filter": "deviceName eq"}, "$filter could not be read"),
        ({"$expand": "users"}, "The query option $expand is not supported"),
        ({"$orderby": "osVersion"}, "$orderby=osVersion is not supported"),
        ({"$select": "deviceName,wifiMacAddress"}, "no property wifiMacAddress"),
        ({"$count": "yes"}, "$count is true or false"),
        ({"$top": "many"}, "$top is a whole number"),
    ],
)
def test_an_unsupported_query_answers_400_saying_what(api_tenant, params, words):
    response = as_app(api_tenant.bot).get("/beta/deviceManagement/managedDevices", params)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "BadRequest" and words in error["message"], error["message"]


def test_unknown_objects_and_bad_bodies_get_the_same_error_shape(api_tenant):
    api = as_app(api_tenant.bot)
    response = api.get("/beta/deviceManagement/managedDevices/999999")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NotFound"
    activate_policy(api_tenant, "tenant_configuration")
    response = api.post(
        "/beta/deviceManagement/deviceCategories",
        {"description": 5},
        format="json",
        headers={"client-request-id": "my-script-42"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    # Graph's shape: a flat details list naming the field, and the ids a support desk asks for.
    assert error["code"] == "BadRequest"
    assert [(d["code"], d["target"]) for d in error["details"]] == [("required", "displayName")]
    inner = error["innerError"]
    assert inner["request-id"] == response["request-id"] and len(inner["request-id"]) == 36
    assert inner["client-request-id"] == response["client-request-id"] == "my-script-42"
    assert inner["date"].startswith(str(timezone.now().year))


def test_an_idempotency_key_returns_the_first_answer(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    api = as_app(api_tenant.bot)
    headers = {**J, "HTTP_IDEMPOTENCY_KEY": "wipe-hazel-1"}
    first = api.post(_wipe_url(api_tenant.device), **headers)
    again = api.post(_wipe_url(api_tenant.device), **headers)
    assert first.status_code == again.status_code == 412
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert first["x-msft-approval-code"] == again["x-msft-approval-code"]
    assert ApprovalRequest.objects.filter(operation_type="device.wipe").count() == 1
    # The same key for another call is refused rather than answered wrongly.
    other = api.post(_wipe_url(f.device("DESKTOP-2")), **headers)
    assert other.status_code == 422 and other.json()["error"]["code"] == "IdempotencyKeyReused"


def test_each_client_is_rate_limited(api_tenant, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "client": "3/min"}
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        from django.core.cache import cache

        cache.clear()
        api = as_app(api_tenant.bot)
        codes = [api.get("/beta/deviceManagement/managedDevices").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = api.get("/beta/deviceManagement/managedDevices")
        assert limited.json()["error"]["code"] == "TooManyRequests" and limited["Retry-After"]
        # Another client has its own budget.
        other = new_application("Other bot", [api_tenant.bots])
        assert as_app(other).get("/beta/deviceManagement/managedDevices").status_code == 200
    finally:
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_signed_in_users_call_the_api_with_their_session_and_csrf(api_tenant):
    activate_policy(api_tenant, "device.wipe")
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(api_tenant.hazel)
    assert api.get("/beta/deviceManagement/managedDevices").status_code == 200
    response = api.post(_wipe_url(api_tenant.device), **J)
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]
    assert (
        not ApprovalRequest.objects.exists()
        or not ApprovalRequest.objects.filter(operation_type="device.wipe").exists()
    )


def test_approve_and_reject_follow_the_page_rules(api_tenant):
    activate_policy(api_tenant, "device.wipe", approvals_required=2)
    req = _filed(as_app(api_tenant.bot), api_tenant.device)
    approver = APIClient()
    approver.force_login(api_tenant.approver)
    received = approver.get("/beta/deviceManagement/operationApprovalRequests").json()["value"]
    assert received[0]["id"] == str(req.approval_code) and received[0]["status"] == "needsApproval"
    assert received[0]["requestJustification"] == "Laptop stolen"
    assert received[0]["requestor"] == {
        "application": {"id": str(api_tenant.bot.principal.pk), "displayName": "Patch bot"}
    }
    detail = approver.get(
        f"/beta/deviceManagement/operationApprovalRequests/{req.approval_code}"
    ).json()
    assert detail["payload"] == {"device_id": api_tenant.device.pk}
    assert detail["payloadDigest"] == req.payload_digest and detail["summary"]
    # The client cannot approve its own request: refused as the page refuses it.
    response = as_app(api_tenant.bot).post(
        f"/beta/deviceManagement/operationApprovalRequests/{req.approval_code}/approve"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "Forbidden"
    assert "your own request" in response.json()["error"]["message"]
    # Quorum: one approval leaves it waiting.
    response = approver.post(
        f"/beta/deviceManagement/operationApprovalRequests/{req.approval_code}/approve",
        {"justification": "ok"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "needsApproval"
    second = APIClient()
    second.force_login(api_tenant.approver2)
    response = second.post(
        f"/beta/deviceManagement/operationApprovalRequests/{req.approval_code}/reject",
        {},
        format="json",
    )
    assert response.status_code == 400 and "note" in response.json()["error"]["message"].lower()
    response = second.post(
        f"/beta/deviceManagement/operationApprovalRequests/{req.approval_code}/approve"
    )
    assert response.json()["status"] == "approved"
    status = as_app(api_tenant.bot).get(
        f"/beta/deviceManagement/operationApprovalRequests/{req.approval_code}/retrieveRequestStatus"
    )
    assert status.json()["status"] == "approved"
    mine = as_app(api_tenant.bot).get(
        "/beta/deviceManagement/operationApprovalRequests", {"view": "mine"}
    )
    assert [r["id"] for r in mine.json()["value"]] == [str(req.approval_code)]
    graph_mine = as_app(api_tenant.bot).post(
        "/beta/deviceManagement/operationApprovalRequests/retrieveMyRequests"
    )
    assert graph_mine.json()["value"] == mine.json()["value"]


def test_access_policies_protect_themselves_over_the_api(api_tenant):
    admin = APIClient()
    admin.force_login(api_tenant.policy_admin)
    body = {
        "displayName": "Protect scripts",
        "policyType": "scripts",
        "approverGroupIds": [str(api_tenant.approvers.pk)],
        "approvalsRequired": 1,
    }
    response = admin.post("/beta/deviceManagement/operationApprovalPolicies", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "BadRequest"
    assert "x-msft-approval-justification header is required" in response.json()["error"]["message"]
    response = admin.post(
        "/beta/deviceManagement/operationApprovalPolicies",
        body,
        format="json",
        **justification("Protect scripts"),
    )
    assert filed(response).operation_type == "policy.create"


def test_adding_an_exclusion_is_a_protected_change_of_the_policy(api_tenant):
    policy = activate_policy(api_tenant, "device.wipe")
    admin = APIClient()
    admin.force_login(api_tenant.policy_admin)
    response = admin.patch(
        f"/beta/deviceManagement/operationApprovalPolicies/{policy.pk}",
        {"excludedApplicationIds": [str(api_tenant.bot.principal.pk)]},
        format="json",
        **justification("Patch bot cannot change yet"),
    )
    req = filed(response)
    row = next(r for r in req.summary if r["label"] == "Exclusions (API applications)")
    assert (row["before"], row["after"]) == ("none", "Patch bot")
    assert not policy.excluded_applications.exists()
    request_approve(request_id=req.pk, approver=api_tenant.approver)
    response = admin.patch(
        f"/beta/deviceManagement/operationApprovalPolicies/{policy.pk}",
        {"excludedApplicationIds": [str(api_tenant.bot.principal.pk)]},
        format="json",
        **approval(req),
    )
    assert response.status_code == 202, response.content
    request_execute(request_id=req.pk)
    assert list(policy.excluded_applications.all()) == [api_tenant.bot.principal]
    assert as_app(api_tenant.bot).post(_wipe_url(api_tenant.device)).status_code == 200
    assert AuditEvent.objects.filter(action="policy.bypass").count() == 1
    assert Device.objects.get(pk=api_tenant.device.pk).management_state == "wipe_pending"


@pytest.mark.parametrize(
    "path, body, code",
    [
        ("/beta/deviceManagement/deviceCategories", {"displayName": "Kiosks"}, "category.create"),
        (
            "/beta/deviceManagement/deviceManagementScripts",
            {
                "@odata.type": "#microsoft.graph.deviceManagementScript",
                "displayName": "Hello",
                "scriptContent": base64.b64encode(b"Write-Output 'hi'\n").decode(),
                "runAsAccount": "system",
                "fileName": "hello.ps1",
            },
            "script.create",
        ),
        (
            "/beta/deviceManagement/deviceHealthScripts",
            {
                "displayName": "Fix spooler",
                "detectionScriptContent": base64.b64encode(b"exit 1\n").decode(),
                "remediationScriptContent": base64.b64encode(b"Write-Output 'fixed'\n").decode(),
            },
            "remediation.create",
        ),
        (
            "/beta/deviceAppManagement/mobileApps",
            {
                "@odata.type": "#microsoft.graph.webApp",
                "displayName": "Intranet",
                "publisher": "IT",
                "appUrl": "https://intranet.example",
            },
            "app.create",
        ),
        (
            "/beta/deviceManagement/deviceCompliancePolicies",
            {
                "displayName": "Baseline",
                "platform": "windows",
                "settings": {"encryption.required": True},
            },
            "compliance.create",
        ),
        (
            "/beta/deviceManagement/configurationPolicies",
            {"name": "Camera", "platform": "windows", "settings": {"camera.allow_camera": False}},
            "configuration.create",
        ),
        (
            "/beta/deviceManagement/roleDefinitions",
            {
                "displayName": "Custom",
                "rolePermissions": [
                    {"resourceActions": [{"allowedResourceActions": ["managed_devices.read"]}]}
                ],
            },
            "role.create",
        ),
    ],
)
def test_every_workload_creates_through_the_approval_flow(api_tenant, path, body, code):
    from approvals.operations import registry

    admin = new_application("Admin bot", [api_tenant.bots])
    f.assign(f.builtin("Policy and Profile Manager"), [api_tenant.bots], name="PPM")
    f.assign(f.builtin("Application Manager"), [api_tenant.bots], name="AM")
    f.assign(f.builtin("Intune Role Administrator"), [api_tenant.bots], name="IRA")
    f.assign(f.role("Org admin", ["organization.read", "organization.update"]), [api_tenant.bots])
    activate_policy(api_tenant, registry.get(code).policy_type)
    api = as_app(admin)
    assert api.post(path, body, format="json").status_code == 400
    response = api.post(path, body, format="json", **justification("New"))
    req = filed(response)
    assert req.operation_type == code
    request_approve(request_id=req.pk, approver=api_tenant.approver)
    response = api.post(path, body, format="json", **approval(req))
    assert response.status_code == 202, response.content
    assert request_execute(request_id=req.pk).execution_status == "succeeded"
    listed = api.get(path).json()["value"]
    name = body.get("name") or body["displayName"]
    assert name in {item.get("name") or item.get("displayName") for item in listed}


def test_answers_are_kept_a_day_then_purged(api_tenant):
    from utilities.api.idempotency import idempotency_purge
    from utilities.models import IdempotencyRecord

    api = as_app(api_tenant.bot)
    api.post(
        f"/beta/deviceManagement/managedDevices/{api_tenant.device.pk}/syncDevice",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert idempotency_purge() == 0
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge() == 1 and not IdempotencyRecord.objects.exists()


def test_unknown_paths_and_server_errors_answer_in_the_same_shape(api_tenant, monkeypatch, caplog):
    api = as_app(api_tenant.bot)
    response = api.get("/beta/noSuchThing")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NotFound"

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("devices.api.devices_visible_to", broken)
    api.raise_request_exception = False
    with caplog.at_level("ERROR", logger="django.request"):
        response = api.get("/beta/deviceManagement/managedDevices")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "InternalServerError"
    # The operator finds the traceback by the id the caller was given.
    assert response["request-id"] in caplog.text and "boom" in caplog.text


def test_an_app_reads_with_its_assignments_and_settings_keep_their_catalog_keys(api_tenant):
    from mobile_apps.services import app_assign

    app = f.app("7-Zip")
    app_assign(actor=None, object_id=app.pk, groups={"required": [api_tenant.helpdesk.pk]})
    policy = f.device_policy(
        "Camera", family="configuration", settings={"camera.allow_camera": False}
    )
    readers = f.group("Readers", [])
    f.assign(f.builtin("Read Only Operator"), [readers], name="Readers")
    api = as_app(new_application("Reader", [readers]))
    body = api.get(f"/beta/deviceAppManagement/mobileApps/{app.pk}").json()
    assert body["@odata.type"] == "#microsoft.graph.win32LobApp" and body["installCommandLine"]
    assert "appUrl" not in body and body["displayName"] == "7-Zip"
    assert body["assignments"] == [{"groupId": api_tenant.helpdesk.pk, "mode": "required"}]
    body = api.get(f"/beta/deviceManagement/configurationPolicies/{policy.pk}").json()
    assert body["settings"] == {"camera.allow_camera": False}


def test_scripts_speak_graph_base64_odata_type_and_assign(api_tenant):
    script = f.script("Hello", body="Write-Output 'hi'\n")
    remediation = f.script(
        "Spooler", kind="remediation", remediation_body="Restart\n", schedule="daily"
    )
    admin = new_application("Script bot", [api_tenant.bots])
    f.assign(f.builtin("Policy and Profile Manager"), [api_tenant.bots], name="PPM")
    api = as_app(admin)
    body = api.get(f"/beta/deviceManagement/deviceManagementScripts/{script.pk}").json()
    assert body["@odata.type"] == "#microsoft.graph.deviceManagementScript"
    assert (body["id"], body["displayName"]) == (str(script.pk), "Hello")
    assert base64.b64decode(body["scriptContent"]) == b"Write-Output 'hi'\n"
    assert (body["runAsAccount"], body["runAs32Bit"]) == ("system", False)
    # Each kind lists only its own.
    names = [
        s["displayName"]
        for s in api.get("/beta/deviceManagement/deviceHealthScripts").json()["value"]
    ]
    assert names == ["Spooler"]
    health = api.get(f"/beta/deviceManagement/deviceHealthScripts/{remediation.pk}").json()
    assert base64.b64decode(health["remediationScriptContent"]) == b"Restart\n"
    assert api.get(f"/beta/deviceManagement/deviceHealthScripts/{script.pk}").status_code == 404
    # Content that is not Base64 is refused by name.
    response = api.patch(
        f"/beta/deviceManagement/deviceManagementScripts/{script.pk}",
        {"scriptContent": "Write-Output"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["target"] == "scriptContent"
    # Graph's assign body: the whole assignment, exclusions by their target type.
    activate_policy(api_tenant, "scripts")
    assignments = {
        "deviceManagementScriptAssignments": [
            {
                "target": {
                    "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                    "groupId": str(api_tenant.helpdesk.pk),
                }
            },
            {
                "target": {
                    "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                    "groupId": str(api_tenant.bots.pk),
                }
            },
        ]
    }
    url = f"/beta/deviceManagement/deviceManagementScripts/{script.pk}/assign"
    req = filed(api.post(url, assignments, format="json", **justification("Roll out")))
    assert req.payload["groups"] == {
        "include": [api_tenant.helpdesk.pk],
        "exclude": [api_tenant.bots.pk],
    }
    response = api.post(url, {"deviceManagementScriptAssignments": [{"target": {}}]}, format="json")
    assert response.status_code == 400


def test_roles_and_role_assignments_speak_graph(api_tenant):
    f.assign(f.builtin("Intune Role Administrator"), [api_tenant.bots], name="IRA")
    api = as_app(api_tenant.bot)
    helpdesk = f.builtin("Help Desk Operator")
    role = api.get(f"/beta/deviceManagement/roleDefinitions/{helpdesk.pk}").json()
    assert role["@odata.type"] == "#microsoft.graph.deviceAndAppManagementRoleDefinition"
    assert (role["displayName"], role["isBuiltIn"]) == ("Help Desk Operator", True)
    [permission] = role["rolePermissions"]
    assert "remote_tasks.wipe" in permission["resourceActions"][0]["allowedResourceActions"]
    listed = api.get("/beta/deviceManagement/roleAssignments", {"$select": "displayName"})
    row = listed.json()["value"][0]
    assert set(row) == {"@odata.type", "id", "displayName"}
    one = api.get(f"/beta/deviceManagement/roleAssignments/{row['id']}").json()
    assert one["roleDefinition"]["id"].isdigit() and one["scopeType"] in {
        "allDevices",
        "resourceScope",
    }
    assert all(isinstance(member, str) for member in one["members"])
    # A create names the role by reference, as Graph clients bind it.
    activate_policy(api_tenant, "rbac")
    body = {
        "displayName": "Kiosk desk",
        "members": [str(api_tenant.helpdesk.pk)],
        "roleDefinition@odata.bind": f"https://graph.microsoft.com/beta/deviceManagement/roleDefinitions/{helpdesk.pk}",
        "scopeType": "resourceScope",
        "resourceScopes": [str(api_tenant.bots.pk)],
    }
    req = filed(
        api.post(
            "/beta/deviceManagement/roleAssignments", body, format="json", **justification("Kiosks")
        )
    )
    state = req.payload["state"]
    assert (state["role"], state["members"], state["scope_groups"], state["scope_all_devices"]) == (
        helpdesk.pk,
        [api_tenant.helpdesk.pk],
        [api_tenant.bots.pk],
        False,
    )
    bad = api.post(
        "/beta/deviceManagement/roleAssignments",
        {**body, "scopeType": "allLicensedUsers"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["target"] == "scopeType"


def test_apps_assign_with_graphs_intents_and_refuse_an_unknown_type(api_tenant):
    app = f.app("7-Zip")
    f.assign(f.builtin("Application Manager"), [api_tenant.bots], name="AM")
    activate_policy(api_tenant, "apps")
    api = as_app(api_tenant.bot)
    target = {"@odata.type": "#microsoft.graph.groupAssignmentTarget"}
    body = {
        "mobileAppAssignments": [
            {"intent": "required", "target": {**target, "groupId": str(api_tenant.helpdesk.pk)}},
            {"intent": "uninstall", "target": {**target, "groupId": str(api_tenant.bots.pk)}},
        ]
    }
    url = f"/beta/deviceAppManagement/mobileApps/{app.pk}/assign"
    req = filed(api.post(url, body, format="json", **justification("Roll out 7-Zip")))
    assert req.payload["groups"]["required"] == [api_tenant.helpdesk.pk]
    assert req.payload["groups"]["uninstall"] == [api_tenant.bots.pk]
    wrong = {
        "mobileAppAssignments": [
            {"intent": "sideload", "target": body["mobileAppAssignments"][0]["target"]}
        ]
    }
    response = api.post(url, wrong, format="json")
    assert response.status_code == 400 and "intent is one of" in response.content.decode()
    response = api.post(
        "/beta/deviceAppManagement/mobileApps",
        {"@odata.type": "#microsoft.graph.macOSDmgApp", "displayName": "X", "publisher": "Y"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["target"] == "@odata.type"


def test_v1_0_serves_what_graph_serves_there_the_same_way(api_tenant):
    api = as_app(api_tenant.bot)
    beta = api.get("/beta/deviceManagement/managedDevices").json()
    v1 = api.get("/v1.0/deviceManagement/managedDevices").json()
    assert v1["value"] == beta["value"]
    assert (
        v1["@odata.context"] == "http://testserver/v1.0/$metadata#deviceManagement/managedDevices"
    )
    # Graph has approval requests in beta only; so does the portal.
    response = api.get("/v1.0/deviceManagement/operationApprovalRequests")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NotFound"
    # The former paths are gone, answered like any unknown path.
    assert api.get("/api/v1/managedDevices").status_code == 404


def test_groups_categories_and_policies_carry_graphs_names_and_types(api_tenant):
    f.device_policy("Baseline", family="compliance", settings={"encryption.required": True})
    readers = f.group("Readers", [])
    f.assign(f.builtin("Read Only Operator"), [readers], name="Readers")
    f.assign(f.role("Org reader", ["organization.read"]), [readers], name="Org")
    api = as_app(new_application("Reader", [readers]))
    groups = api.get("/beta/groups", {"$select": "displayName,securityEnabled"}).json()["value"]
    named = {"$filter": f"displayName eq '{api_tenant.approvers.name}'"}
    assert [g["id"] for g in api.get("/beta/groups", named).json()["value"]] == [
        str(api_tenant.approvers.pk)
    ]
    approvers = next(g for g in groups if g["displayName"] == api_tenant.approvers.name)
    assert approvers == {
        "id": str(api_tenant.approvers.pk),
        "displayName": api_tenant.approvers.name,
        "securityEnabled": True,
    }
    [policy] = api.get("/beta/deviceManagement/deviceCompliancePolicies").json()["value"]
    assert policy["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"
    assert policy["displayName"] == "Baseline" and policy["createdDateTime"]


def test_every_answer_carries_a_request_id_and_echoes_the_client_request_id(api_tenant):
    api = as_app(api_tenant.bot)
    ok = api.get("/beta/deviceManagement/managedDevices", headers={"client-request-id": "run-7"})
    assert len(ok["request-id"]) == 36 and ok["client-request-id"] == "run-7"
    again = api.get("/beta/deviceManagement/managedDevices")
    assert again["request-id"] != ok["request-id"] and "client-request-id" not in again
