"""The approval rules, proved through the services every entry point calls."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import (
    AccessPolicy,
    ApprovalRequest,
    ExecutionStatus,
    PolicyStatus,
    RequestStatus,
)
from approvals.operations import OperationError
from approvals.services import (
    ApprovalDenied,
    ApprovalError,
    OpenRequestExists,
    operation_start,
    request_approve,
    request_cancel,
    request_complete,
    request_execute,
    request_reject,
    request_retry,
    requests_expire_due,
)
from devices.models import ManagementState
from devices.services import device_action_run
from devices.workload import DevicePerm
from rbac.catalogue import Perm
from rbac.models import DirectoryRole
from tests import factories as f
from tests.conftest import activate_policy, policy_state, request_wipe, submit_policy


def test_without_a_policy_a_wipe_runs_directly(tenant):
    outcome = operation_start(
        actor=tenant.hazel, operation_code="device.wipe", payload={"device_id": tenant.device.pk}
    )
    assert not outcome.needs_approval
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.WIPE_PENDING


def test_with_a_policy_a_wipe_files_a_request_and_leaves_the_device_alone(tenant, wipe_policy):
    request = request_wipe(tenant)
    assert request.status == RequestStatus.NEEDS_APPROVAL
    assert request.policy == wipe_policy
    assert len(request.payload_digest) == 64
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.MANAGED
    assert not tenant.device.actions.exists()


def test_business_justification_is_required_and_bounded(tenant, wipe_policy):
    for justification in ("", "   ", "x" * 1025):
        with pytest.raises(ApprovalError):
            request_wipe(tenant, justification=justification)
    assert not ApprovalRequest.objects.filter(operation_type="device.wipe").exists()


def test_requestor_needs_the_ordinary_permission(tenant, wipe_policy):
    with pytest.raises(ApprovalDenied):
        operation_start(
            actor=tenant.approver,
            operation_code="device.wipe",
            payload={"device_id": tenant.device.pk},
            justification="I am only an approver",
        )


@pytest.mark.parametrize(
    "directory_role", ["", DirectoryRole.GLOBAL_ADMINISTRATOR, DirectoryRole.INTUNE_ADMINISTRATOR]
)
def test_nobody_approves_their_own_request(tenant, directory_role):
    activate_policy(tenant, "device.wipe")
    requestor = f.user("selfish", directory_role=directory_role)
    tenant.approvers.auth_group.user_set.add(requestor)
    if not directory_role:
        tenant.helpdesk.auth_group.user_set.add(requestor)
    request = operation_start(
        actor=requestor,
        operation_code="device.wipe",
        payload={"device_id": tenant.device.pk},
        justification="Mine",
    ).request
    with pytest.raises(ApprovalDenied, match="your own request"):
        request_approve(request_id=request.pk, approver=requestor)
    request.refresh_from_db()
    assert request.status == RequestStatus.NEEDS_APPROVAL


def test_a_global_administrator_cannot_approve_their_own_policy(tenant):
    admin = f.global_admin()
    request = submit_policy(admin, policy_state("device.wipe", [tenant.approvers]), "First policy")
    with pytest.raises(ApprovalDenied, match="your own request"):
        request_approve(request_id=request.pk, approver=admin)


def test_a_non_member_cannot_approve(tenant, wipe_policy):
    request = request_wipe(tenant)
    reader = f.user("reader")
    f.assign(f.approver_role(), [f.group("Other readers", [reader])])
    with pytest.raises(ApprovalDenied, match="not a member"):
        request_approve(request_id=request.pk, approver=reader)


def test_a_member_without_read_cannot_approve(tenant, wipe_policy):
    no_read = f.user("noread")
    thin = f.group("Thin approvers", [no_read])
    # The group's only role grants the approval permission but not Managed devices: Read.
    f.assign(f.role("Approve only", [Perm.MAA_APPROVE]), [thin])
    wipe_policy.approver_groups.add(thin)
    request = request_wipe(tenant)
    with pytest.raises(ApprovalDenied, match=DevicePerm.READ):
        request_approve(request_id=request.pk, approver=no_read)


def test_a_member_of_a_group_without_role_assignment_cannot_approve(tenant):
    orphan_group = f.group("Orphan approvers", [tenant.approver])
    policy = activate_policy(tenant, "device.wipe")
    policy.approver_groups.add(orphan_group)
    policy.approver_groups.remove(tenant.approvers)
    request = request_wipe(tenant)
    with pytest.raises(ApprovalDenied, match="no role assignment"):
        request_approve(request_id=request.pk, approver=tenant.approver)


def test_quorum_of_two_needs_two_distinct_approvers(tenant):
    activate_policy(tenant, "device.wipe", approvals_required=2)
    request = request_wipe(tenant)
    request = request_approve(request_id=request.pk, approver=tenant.approver)
    assert request.status == RequestStatus.NEEDS_APPROVAL
    with pytest.raises(ApprovalDenied, match="already decided"):
        request_approve(request_id=request.pk, approver=tenant.approver)
    request = request_approve(request_id=request.pk, approver=tenant.approver2, note="Agreed")
    assert request.status == RequestStatus.APPROVED


def test_reject_needs_notes_and_is_final(tenant, wipe_policy):
    request = request_wipe(tenant)
    with pytest.raises(ApprovalError, match="Approver notes"):
        request_reject(request_id=request.pk, approver=tenant.approver, note="")
    request = request_reject(request_id=request.pk, approver=tenant.approver, note="Wrong PC")
    assert request.status == RequestStatus.REJECTED
    assert request.decisions.get().note == "Wrong PC"
    # Deciding a closed request is a conflict with its state, not a question of who decides.
    with pytest.raises(ApprovalError, match="nothing to decide") as refused:
        request_approve(request_id=request.pk, approver=tenant.approver2)
    assert not isinstance(refused.value, ApprovalDenied)
    with pytest.raises(ApprovalError):
        request_complete(request_id=request.pk, actor=tenant.hazel)
    with pytest.raises(ApprovalError):
        request_cancel(request_id=request.pk, actor=tenant.hazel)


def test_only_the_requestor_completes(tenant, wipe_policy):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    for other in (tenant.approver, tenant.policy_admin, f.global_admin()):
        with pytest.raises(ApprovalDenied, match="Only the requestor"):
            request_complete(request_id=request.pk, actor=other)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_complete_before_approval_is_refused(tenant, wipe_policy):
    request = request_wipe(tenant)
    with pytest.raises(ApprovalError, match="only an approved request"):
        request_complete(request_id=request.pk, actor=tenant.hazel)


def test_only_the_requestor_cancels_and_approved_can_still_be_cancelled(tenant, wipe_policy):
    request = request_wipe(tenant)
    with pytest.raises(ApprovalDenied):
        request_cancel(request_id=request.pk, actor=tenant.approver)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request = request_cancel(request_id=request.pk, actor=tenant.hazel)
    assert request.status == RequestStatus.CANCELLED
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.MANAGED


def test_a_second_request_for_the_same_device_is_refused(tenant, wipe_policy):
    activate_policy(tenant, "device.retire")
    first = request_wipe(tenant)
    with pytest.raises(OpenRequestExists) as refused:
        operation_start(
            actor=tenant.hazel,
            operation_code="device.retire",
            payload={"device_id": tenant.device.pk},
            justification="Retire it too",
        )
    assert refused.value.existing == first
    assert f"#{first.pk}" in str(refused.value)


def test_a_closed_request_frees_the_device_for_a_new_one(tenant, wipe_policy):
    first = request_wipe(tenant)
    request_cancel(request_id=first.pk, actor=tenant.hazel)
    assert request_wipe(tenant).pk != first.pk


def test_open_requests_expire_after_three_days(tenant, wipe_policy, settings):
    waiting = request_wipe(tenant)
    approved = request_wipe(tenant, device=f.device())
    request_approve(request_id=approved.pk, approver=tenant.approver)
    assert requests_expire_due() == 0
    later = timezone.now() + settings.MAA_NEEDS_APPROVAL_TTL + timedelta(minutes=1)
    assert requests_expire_due(now=later) == 2
    for request in (waiting, approved):
        request.refresh_from_db()
        assert request.status == RequestStatus.EXPIRED
    with pytest.raises(ApprovalError):
        request_complete(request_id=approved.pk, actor=tenant.hazel)


def test_completion_refuses_when_the_policy_was_deleted(tenant, wipe_policy):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    deletion = operation_start(
        actor=tenant.policy_admin,
        operation_code="policy.delete",
        payload={"object_id": wipe_policy.pk},
        justification="No longer needed",
    ).request
    request_approve(request_id=deletion.pk, approver=tenant.approver2)
    request_complete(request_id=deletion.pk, actor=tenant.policy_admin)
    request_execute(request_id=deletion.pk)
    with pytest.raises(ApprovalError, match="no longer active"):
        request_complete(request_id=request.pk, actor=tenant.hazel)


def test_completion_refuses_when_the_target_changed(tenant, wipe_policy):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    tenant.device.primary_user = tenant.approver
    tenant.device.save()
    with pytest.raises(ApprovalError, match="changed after the request"):
        request_complete(request_id=request.pk, actor=tenant.hazel)


def test_completion_refuses_a_tampered_payload(tenant, wipe_policy):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    other = f.device()
    ApprovalRequest.objects.filter(pk=request.pk).update(payload={"device_id": other.pk})
    with pytest.raises(ApprovalError, match="does not match"):
        request_complete(request_id=request.pk, actor=tenant.hazel)


@pytest.mark.parametrize(
    "drainers, task",
    [
        (0, ("approvals.tasks.execute_request", "request")),
        (2, ("approvals.tasks.drain_executions", 0)),
    ],
)
def test_completion_queues_the_execution_only_after_commit(
    tenant, wipe_policy, django_capture_on_commit_callbacks, monkeypatch, settings, drainers, task
):
    """Its own task, or with drainers (approvals.delivery) a drainer on the first slot."""
    from celery import current_app

    settings.MAA_EXECUTION_DRAINERS = drainers
    published = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args: published.append((name, args)))
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = request_complete(request_id=request.pk, actor=tenant.hazel)
        assert published == []
    assert request.status == RequestStatus.COMPLETED
    assert request.execution_status == ExecutionStatus.QUEUED
    for callback in callbacks:
        callback()
    name, argument = task
    assert (name, [request.pk if argument == "request" else argument]) in published
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.MANAGED


def test_a_redelivered_execution_runs_the_wipe_once(tenant, wipe_policy):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.hazel)
    request_execute(request_id=request.pk)
    request = request_execute(request_id=request.pk)
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    assert tenant.device.actions.filter(kind="wipe").count() == 1


def test_a_failed_execution_shows_its_error_and_can_be_retried(tenant, wipe_policy, monkeypatch):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.hazel)
    # The device was wiped by other means after completion: the execution must fail visibly.
    device_action_run(actor=None, device_id=tenant.device.pk, kind="wipe")
    request = request_execute(request_id=request.pk)
    assert request.execution_status == ExecutionStatus.FAILED
    assert "cannot be wiped" in request.execution_error or "in progress" in request.execution_error
    with pytest.raises(ApprovalDenied):
        request_retry(request_id=request.pk, actor=tenant.approver)
    # Make the next attempt possible and retry.
    tenant.device.actions.update(status="failed")
    from devices.models import Device

    Device.objects.filter(pk=tenant.device.pk).update(management_state=ManagementState.MANAGED)
    request = request_retry(request_id=request.pk, actor=tenant.hazel)
    assert request.execution_status == ExecutionStatus.QUEUED
    request = request_execute(request_id=request.pk)
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    assert request.execution_attempts == 2


def test_access_policies_protect_themselves(tenant):
    request = submit_policy(
        tenant.policy_admin, policy_state("device.wipe", [tenant.approvers]), "Protect wipes"
    )
    assert request.status == RequestStatus.NEEDS_APPROVAL
    policy = AccessPolicy.objects.get(pk=request.payload["object_id"])
    assert policy.status == PolicyStatus.PENDING
    # Pending protects nothing: a wipe still runs directly.
    direct = operation_start(
        actor=tenant.hazel, operation_code="device.wipe", payload={"device_id": tenant.device.pk}
    )
    assert not direct.needs_approval
    request_approve(request_id=request.pk, approver=tenant.approver)
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.PENDING
    request_complete(request_id=request.pk, actor=tenant.policy_admin)
    request_execute(request_id=request.pk)
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.ACTIVE


def test_a_rejected_policy_creation_leaves_no_policy(tenant):
    request = submit_policy(
        tenant.policy_admin, policy_state("device.wipe", [tenant.approvers]), "Protect wipes"
    )
    request_reject(request_id=request.pk, approver=tenant.approver, note="Use a quorum")
    assert AccessPolicy.objects.get().status == PolicyStatus.DISCARDED


def test_approving_a_policy_change_needs_the_maa_approval_permission(tenant):
    reader = f.user("plainreader")
    f.assign(f.builtin("Read Only Operator"), [f.group("Readers", [reader])])
    request = submit_policy(
        tenant.policy_admin, policy_state("device.wipe", [tenant.approvers]), "Protect wipes"
    )
    with pytest.raises(ApprovalDenied):
        request_approve(request_id=request.pk, approver=reader)


@pytest.mark.parametrize(
    "trap, expected",
    [
        ("no_assignment", "no role assignment"),
        ("no_members", "no members"),
        ("quorum", "eligible approver"),
        ("m365", "only security groups"),
    ],
)
def test_safety_rails_refuse_each_trap(tenant, trap, expected):
    approvals_required = 1
    if trap == "no_assignment":
        groups = [f.group("Unassigned approvers", [tenant.approver])]
    elif trap == "no_members":
        empty = f.group("Empty approvers")
        f.assign(f.approver_role(), [empty])
        groups = [empty]
    elif trap == "quorum":
        groups, approvals_required = [tenant.approvers], 3
    else:
        m365 = f.group("M365 approvers", [tenant.approver], group_type="m365")
        f.assign(f.approver_role(), [m365])
        groups = [m365]
    with pytest.raises(OperationError, match=expected):
        submit_policy(
            tenant.policy_admin, policy_state("device.wipe", groups, approvals_required), "Trap"
        )
    assert not AccessPolicy.objects.exists()


def _update_role(actor, role, permissions, justification: str = ""):
    return operation_start(
        actor=actor,
        operation_code="role.edit",
        payload={
            "object_id": role.pk,
            "state": {"name": role.name, "description": "", "permissions": permissions},
        },
        justification=justification,
    )


def test_role_change_that_would_disarm_a_policy_is_refused(tenant, wipe_policy):
    role = f.approver_role()
    with pytest.raises(OperationError, match="deadlock"):
        _update_role(tenant.policy_admin, role, [Perm.ORGANIZATION_READ])
    assert DevicePerm.READ in role.permissions.values_list("code", flat=True)


def test_removing_the_approver_groups_assignment_is_refused(tenant, wipe_policy):
    assignment = f.approver_role().assignments.get()
    with pytest.raises(OperationError, match="unable to approve"):
        operation_start(
            actor=tenant.policy_admin,
            operation_code="assignment.delete",
            payload={"object_id": assignment.pk},
        )
    assert type(assignment).objects.filter(pk=assignment.pk).exists()


def test_a_harmless_role_change_runs_directly_without_a_policy(tenant):
    role = f.role("Custom", [DevicePerm.READ])
    outcome = _update_role(tenant.policy_admin, role, [DevicePerm.READ, DevicePerm.SYNC])
    assert not outcome.needs_approval
    assert sorted(role.permissions.values_list("code", flat=True)) == [
        DevicePerm.READ,
        DevicePerm.SYNC,
    ]


def test_a_protected_role_change_waits_and_shows_before_and_after(tenant):
    activate_policy(tenant, "rbac")
    role = f.role("Custom", [DevicePerm.READ])
    request = _update_role(
        tenant.policy_admin, role, [DevicePerm.READ, DevicePerm.WIPE], "Let them wipe"
    ).request
    added = next(row for row in request.summary if row["label"] == "Permissions added")
    assert added["after"] == DevicePerm.WIPE
    assert DevicePerm.WIPE not in role.permissions.values_list("code", flat=True)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.policy_admin)
    request_execute(request_id=request.pk)
    assert DevicePerm.WIPE in role.permissions.values_list("code", flat=True)


def _update_policy(tenant, policy, state: dict, justification: str):
    return operation_start(
        actor=tenant.policy_admin,
        operation_code="policy.edit",
        payload={"object_id": policy.pk, "state": state},
        justification=justification,
    ).request


def test_a_policy_edit_takes_effect_only_when_completed(tenant, wipe_policy):
    state = {**policy_state("device.wipe", [tenant.approvers], 2), "name": wipe_policy.name}
    request = _update_policy(tenant, wipe_policy, state, "Two approvers from now on")
    rows = {row["label"]: row for row in request.summary}
    assert (rows["Approvals required"]["before"], rows["Approvals required"]["after"]) == ("1", "2")
    request_approve(request_id=request.pk, approver=tenant.approver)
    wipe_policy.refresh_from_db()
    assert wipe_policy.approvals_required == 1
    request_complete(request_id=request.pk, actor=tenant.policy_admin)
    request_execute(request_id=request.pk)
    wipe_policy.refresh_from_db()
    assert wipe_policy.approvals_required == 2 and wipe_policy.status == PolicyStatus.ACTIVE
    assert request_wipe(tenant).approvals_required == 2


def test_a_second_policy_for_the_same_operation_is_refused(tenant, wipe_policy):
    with pytest.raises(OperationError, match="already protects"):
        submit_policy(tenant.policy_admin, policy_state("device.wipe", [tenant.approvers]))


def test_open_requests_follow_a_change_of_approver_groups(tenant, wipe_policy):
    from approvals.selectors import requests_received_by

    waiting = request_wipe(tenant)
    newcomer = f.user("newcomer")
    night_shift = f.group("Night shift approvers", [newcomer])
    f.assign(f.approver_role(), [night_shift])
    assert waiting not in requests_received_by(newcomer)
    state = {**policy_state("device.wipe", [night_shift]), "name": wipe_policy.name}
    change = _update_policy(tenant, wipe_policy, state, "Night shift takes over")
    request_approve(request_id=change.pk, approver=tenant.approver)
    request_complete(request_id=change.pk, actor=tenant.policy_admin)
    request_execute(request_id=change.pk)
    assert waiting in requests_received_by(newcomer)
    assert waiting not in requests_received_by(tenant.approver)
    request_approve(request_id=waiting.pk, approver=newcomer)


def test_the_first_policy_reaches_the_directory_administrators_directly(tenant):
    """No policy protects access policies yet: the directory's administrators are granted the
    request one by one (not through a group), and the lists find it through that grant while
    they hold their directory role."""
    from approvals.selectors import admin_tasks_for, requests_received_by

    other_admin = f.global_admin("gale")
    first = submit_policy(tenant.policy_admin, policy_state("device.wipe", [tenant.approvers]))
    assert first in requests_received_by(other_admin) and first in admin_tasks_for(other_admin)
    assert first in admin_tasks_for(tenant.approver)  # through the approvers' group
    assert first not in admin_tasks_for(tenant.policy_admin)  # their own
    outsider = f.user("outsider")
    assert first not in requests_received_by(outsider)
    # No longer an administrator: the grant stays, but nothing they could decide is listed.
    other_admin.directory_role = ""
    other_admin.save()
    assert first not in admin_tasks_for(other_admin)
