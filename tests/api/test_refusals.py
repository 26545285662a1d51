"""One refusal, one answer: the Received-requests page and the API refuse the same thing with
the same status (and the API with a Graph error code): who may not act 403, what was typed
400, the request's state 409, a request one may not see 404."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from approvals.services import request_approve
from tests import factories as f
from tests.conftest import activate_policy, request_wipe

CODES = {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 409: "RequestNotActionable"}


def _self(tenant):
    return tenant.hazel, request_wipe(tenant), "approve", {}


def _twice(tenant):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    return tenant.approver, request, "approve", {}


def _closed(tenant):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_approve(request_id=request.pk, approver=tenant.approver2)
    third = f.user("third")
    third.groups.add(tenant.approvers.auth_group)
    return third, request, "approve", {}


def _no_note(tenant):
    return tenant.approver, request_wipe(tenant), "reject", {"note": " ", "justification": " "}


def _stranger(tenant):
    return f.user("stranger"), request_wipe(tenant), "approve", {}


@pytest.mark.parametrize(
    "case, status",
    [(_self, 403), (_twice, 403), (_closed, 409), (_no_note, 400), (_stranger, 404)],
    ids=["own request", "decided already", "no longer open", "reject without a note", "unseen"],
)
def test_the_page_and_the_api_refuse_alike(tenant, case, status):
    activate_policy(tenant, "device.wipe", approvals_required=2)
    person, request, action, data = case(tenant)
    page = APIClient()
    page.force_login(person)
    response = page.post(reverse("approvals:request_action", args=[request.pk, action]), data)
    assert response.status_code == status, response.content[:300]
    api = APIClient()
    api.force_login(person)
    url = f"/beta/deviceManagement/operationApprovalRequests/{request.approval_code}/{action}"
    response = api.post(url, data, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, CODES[status])
