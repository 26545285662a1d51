"""Multi-stage approval: ordered stages, each with its groups and quorum, proved through the
services, the pages and the API."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from approvals.forms import AccessPolicyForm
from approvals.models import AccessPolicy, Notice, RequestStatus
from approvals.operations import OperationError
from approvals.policy_services import policy_state as read_policy_state
from approvals.selectors import admin_tasks_for, policies_health
from approvals.services import (
    ApprovalDenied,
    ApprovalError,
    operation_start,
    request_approve,
    request_complete,
    request_execute,
    request_reject,
)
from audit.models import AuditEvent
from rbac.models import User
from tests import factories as f
from tests.api.conftest import filed, justification
from tests.conftest import (
    activate_policy,
    activate_state,
    policy_state,
    request_wipe,
    submit_policy,
    write_notices,
)


def _officers(*names):
    officers = f.group("Security Officers", [f.user(n) for n in names])
    f.assign(f.approver_role(), [officers], name="Security officers")
    return officers


def _staged(tenant, groups_and_quorums, policy_type="device.wipe"):
    """Create an active policy with these stages, through the flow."""
    (first, quorum), *later = groups_and_quorums
    state = policy_state(policy_type, [first], quorum)
    state["later_stages"] = [{"approver_groups": [g.pk], "approvals_required": n} for g, n in later]
    return activate_state(tenant, state)


@pytest.fixture
def officers(tenant):
    return _officers("officer1", "officer2")


@pytest.fixture
def two_stages(tenant, officers):
    return _staged(tenant, [(tenant.approvers, 1), (officers, 1)])


def _user(name):
    return User.objects.get(username=name)


def test_stage_two_opens_only_at_stage_ones_quorum_and_then_only_it_decides(
    tenant, officers, two_stages
):
    request = request_wipe(tenant)
    assert request.stage_count == 2 and request.stage == 1
    officer = _user("officer1")
    with pytest.raises(ApprovalDenied, match="not a member of the approver groups"):
        request_approve(request_id=request.pk, approver=officer)
    request = request_approve(request_id=request.pk, approver=tenant.approver)
    assert (request.status, request.stage) == (RequestStatus.NEEDS_APPROVAL, 2)
    # Stage 1's other approver is not asked any more: stage 2 decides now.
    with pytest.raises(ApprovalDenied, match="not a member of the approver groups"):
        request_approve(request_id=request.pk, approver=tenant.approver2)
    with pytest.raises(ApprovalError, match="only an approved request can be completed"):
        request_complete(request_id=request.pk, actor=tenant.hazel)
    request = request_approve(request_id=request.pk, approver=officer)
    assert request.status == RequestStatus.APPROVED
    assert [(d.approver.username, d.stage) for d in request.decisions.all()] == [
        ("approver", 1),
        ("officer1", 2),
    ]
    opened = AuditEvent.objects.get(action="request.stage_open", request_id=request.pk)
    assert "stage 2 of 2 opened" in opened.note


def test_nobody_approves_at_two_stages_of_one_request(tenant, officers):
    both = _user("approver")
    officers.auth_group.user_set.add(both)  # in stage 1's group and stage 2's
    _staged(tenant, [(tenant.approvers, 1), (officers, 1)])
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=both)
    with pytest.raises(ApprovalDenied, match="already decided"):
        request_approve(request_id=request.pk, approver=both)
    assert request_approve(request_id=request.pk, approver=_user("officer2")).status == "approved"


def test_one_rejection_at_a_later_stage_rejects(tenant, two_stages):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request = request_reject(request_id=request.pk, approver=_user("officer2"), note="Not today")
    assert request.status == RequestStatus.REJECTED


def test_each_stage_has_its_own_quorum(tenant, officers):
    _staged(tenant, [(tenant.approvers, 2), (officers, 2)])
    request = request_wipe(tenant)
    request = request_approve(request_id=request.pk, approver=tenant.approver)
    assert (request.stage, request.approvals_required) == (1, 2)
    request = request_approve(request_id=request.pk, approver=tenant.approver2)
    assert (request.stage, request.approvals_required) == (2, 2)
    request = request_approve(request_id=request.pk, approver=_user("officer1"))
    assert request.status == RequestStatus.NEEDS_APPROVAL
    request = request_approve(request_id=request.pk, approver=_user("officer2"))
    assert request.status == RequestStatus.APPROVED


def test_each_stages_approvers_are_told_when_it_opens_and_see_it_in_admin_tasks(tenant, two_stages):
    officer = _user("officer1")
    request = request_wipe(tenant)
    write_notices()
    asked = set(Notice.objects.filter(request=request).values_list("user__username", flat=True))
    assert asked == {"approver", "approver2"}
    assert not admin_tasks_for(officer).exists()
    request_approve(request_id=request.pk, approver=tenant.approver)
    write_notices()
    stage_two = Notice.objects.filter(request=request, event="stage_opened")
    assert set(stage_two.values_list("user__username", flat=True)) == {"officer1", "officer2"}
    assert "stage 2 of 2" in stage_two.first().headline
    assert list(admin_tasks_for(officer)) == [request]
    assert not admin_tasks_for(tenant.approver2).exists()


def test_request_page_shows_every_stage_who_approved_and_what_is_missing(
    client, tenant, two_stages
):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver, note="Fine by me")
    client.force_login(_user("officer1"))
    body = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert "0 of 1 at stage 2 of 2" in body
    stage_one = body.split('id="stage-1"')[1].split("</tr>")[0]
    stage_two = body.split('id="stage-2"')[1].split("</tr>")[0]
    assert "Intune MAA Approvers" in stage_one and "Approver" in stage_one
    assert "Approved" in stage_one and "none" in stage_one
    assert "Security Officers" in stage_two and "1 of 1" in stage_two
    assert "Waiting for approvals" in stage_two
    assert 'id="decision-form"' in body


def test_health_checks_every_stage(tenant, two_stages):
    lonely = f.group("Unassigned officers", [f.user("nobody")])
    two_stages.later_stages.get().approver_groups.set([lonely])
    problems = dict(policies_health())[two_stages]
    assert any(
        p.startswith("Stage 2: Unassigned officers has no role assignment") for p in problems
    )


def test_stages_need_as_many_different_approvers_as_their_quorums_add_up_to(tenant):
    solo = _officers("solo")
    state = policy_state("device.wipe", [solo], 1)
    state["later_stages"] = [{"approver_groups": [solo.pk], "approvals_required": 1}]
    with pytest.raises(OperationError, match="need 2 different approvers in all"):
        submit_policy(tenant.policy_admin, state)


def test_an_empty_stage_is_refused_with_a_clear_message(tenant):
    state = policy_state("device.wipe", [tenant.approvers], 1)
    state["later_stages"] = [{"approver_groups": [], "approvals_required": 1}]
    with pytest.raises(OperationError, match="Stage 2 has no approver group"):
        submit_policy(tenant.policy_admin, state)
    assert not AccessPolicy.objects.exists()


def test_policy_form_refuses_a_gap_or_a_quorum_without_groups_and_keeps_what_was_typed(
    client, tenant, officers
):
    client.force_login(tenant.policy_admin)
    url = reverse("approvals:policy_create")
    data = {
        "name": "Two-step wipe",
        "policy_type": "device.wipe",
        "approver_groups": [tenant.approvers.pk],
        "approvals_required": 1,
        "stage_3_groups": [officers.pk],
        "stage_3_required": 1,
        "stage_2_required": 1,
        "justification": "Wipes need security's eye too",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Stage 2 is empty" in body and "Two-step wipe" in body
    assert "Wipes need security&#x27;s eye too" in body
    form = AccessPolicyForm({**data, "stage_3_groups": [], "stage_2_required": 3})
    assert not form.is_valid()
    assert "Stage 2 asks for 3 approvals but has no approver group." in str(form.errors)


def test_policy_form_files_a_two_stage_policy_and_its_edit_shows_the_stages(
    client, tenant, officers
):
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("approvals:policy_create"),
        {
            "name": "Two-step wipe",
            "policy_type": "device.wipe",
            "approver_groups": [tenant.approvers.pk],
            "approvals_required": 1,
            "stage_2_groups": [officers.pk],
            "stage_2_required": 2,
            "stage_3_required": 1,
            "justification": "Wipes need security's eye too",
        },
    )
    assert response.status_code == 302
    policy = AccessPolicy.objects.get(name="Two-step wipe")
    stage = policy.later_stages.get()
    assert (stage.position, stage.approvals_required) == (2, 2)
    assert list(stage.approver_groups.all()) == [officers]
    initial = AccessPolicyForm.initial_for(policy)
    assert (initial["stage_2_groups"], initial["stage_2_required"]) == ([officers.pk], 2)


def test_a_single_stage_policy_keeps_its_state_and_a_policy_edit_re_pins_open_requests(
    tenant, officers
):
    policy = activate_policy(tenant, "device.wipe")
    assert "later_stages" not in read_policy_state(policy)  # open requests' fingerprints hold
    request = request_wipe(tenant)
    assert request.stage_plan == [
        {"approver_groups": [tenant.approvers.pk], "approvals_required": 1}
    ]
    state = {**read_policy_state(policy)}
    state.pop("status")
    state["later_stages"] = [{"approver_groups": [officers.pk], "approvals_required": 1}]
    edit = operation_start(
        actor=tenant.policy_admin,
        operation_code="policy.edit",
        payload={"object_id": policy.pk, "state": state},
        justification="Add a security stage",
    ).request
    request_approve(request_id=edit.pk, approver=tenant.approver2)
    request_complete(request_id=edit.pk, actor=tenant.policy_admin)
    request_execute(request_id=edit.pk)
    request = type(request).objects.get(pk=request.pk)
    assert request.stage_count == 2
    request = request_approve(request_id=request.pk, approver=tenant.approver)
    assert request.stage == 2 and request.status == RequestStatus.NEEDS_APPROVAL


def test_later_stages_over_the_api(tenant, officers):
    admin = APIClient()
    admin.force_login(tenant.policy_admin)
    body = {
        "displayName": "Protect scripts",
        "policyType": "scripts",
        "approverGroupIds": [str(tenant.approvers.pk)],
        "laterStages": [{"approverGroupIds": [str(officers.pk)], "approvalsRequired": 2}],
    }
    response = admin.post(
        "/beta/deviceManagement/operationApprovalPolicies",
        body,
        format="json",
        **justification("Protect scripts in two stages"),
    )
    request = filed(response)
    assert request.payload["state"]["later_stages"] == [
        {"approver_groups": [officers.pk], "approvals_required": 2}
    ]
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.policy_admin)
    request_execute(request_id=request.pk)
    listed = admin.get("/beta/deviceManagement/operationApprovalPolicies").json()["value"]
    assert listed[0]["laterStages"] == [
        {"approverGroupIds": [str(officers.pk)], "approvalsRequired": 2, "bulkOnly": False}
    ]
