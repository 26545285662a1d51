"""Execution by a real Celery worker on Redis, and races that must still run things once."""

import threading

import pytest

from approvals.models import (
    ApprovalRequest,
    ExecutionStatus,
    Notice,
    PolicyStatus,
    RequestStatus,
)
from approvals.services import (
    ApprovalError,
    request_approve,
    request_complete,
    request_execute,
)
from devices.models import Device, ManagementState
from devices.tasks import simulated_check_in
from tests import factories as f
from tests.concurrency import in_threads
from tests.conftest import activate_policy, build_tenant, policy_state, request_wipe, submit_policy
from tests.worker import celery_worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_double_complete_from_two_threads_wipes_once():
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)

    results = in_threads(lambda: request_complete(request_id=request.pk, actor=tenant.hazel))
    assert sum(isinstance(r, ApprovalRequest) for r in results) == 1
    assert sum(isinstance(r, ApprovalError) for r in results) == 1

    results = in_threads(lambda: request_execute(request_id=request.pk))
    assert all(isinstance(r, ApprovalRequest) for r in results), results
    request.refresh_from_db()
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    assert Device.objects.get(pk=tenant.device.pk).actions.filter(kind="wipe").count() == 1


def test_two_concurrent_approvals_reach_a_quorum_of_two_once():
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    from approvals.models import AccessPolicy

    AccessPolicy.objects.filter(policy_type="device.wipe").update(approvals_required=2)
    request = request_wipe(tenant)
    approvers = iter([tenant.approver, tenant.approver2])
    lock = threading.Lock()

    def approve():
        with lock:
            approver = next(approvers)
        return request_approve(request_id=request.pk, approver=approver)

    results = in_threads(approve)
    assert all(isinstance(r, ApprovalRequest) for r in results), results
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.decisions.count() == 2


def test_the_article_story_with_a_real_worker():
    """Policy admin protects wipe; Hazel asks; the approver approves; Hazel completes; wiped."""
    tenant = build_tenant()
    with celery_worker() as worker:
        policy_request = submit_policy(
            tenant.policy_admin,
            policy_state("device.wipe", [tenant.approvers], name="Protect wipe"),
            "Wipe is destructive: four eyes",
        )
        request_approve(request_id=policy_request.pk, approver=tenant.approver, note="Good idea")
        request_complete(request_id=policy_request.pk, actor=tenant.policy_admin)
        from approvals.models import AccessPolicy

        policy = AccessPolicy.objects.get(pk=policy_request.payload["object_id"])
        wait_until(
            lambda: AccessPolicy.objects.get(pk=policy.pk).status == PolicyStatus.ACTIVE,
            what="the worker to activate the policy",
        )

        wipe = request_wipe(tenant, justification="Reassigning the PC to a new hire")
        assert Device.objects.get(pk=tenant.device.pk).management_state == ManagementState.MANAGED
        request_approve(request_id=wipe.pk, approver=tenant.approver, note="Checked the device")
        assert Device.objects.get(pk=tenant.device.pk).management_state == ManagementState.MANAGED
        request_complete(request_id=wipe.pk, actor=tenant.hazel)
        wait_until(
            lambda: (
                ApprovalRequest.objects.get(pk=wipe.pk).execution_status
                == ExecutionStatus.SUCCEEDED
            ),
            what="the worker to run the wipe",
        )
        assert Device.objects.get(pk=tenant.device.pk).management_state == (
            ManagementState.WIPE_PENDING
        )

        def checked_in_to(state):
            simulated_check_in.delay()
            return Device.objects.get(pk=tenant.device.pk).management_state == state

        wait_until(
            lambda: checked_in_to(ManagementState.WIPED),
            interval=0.5,
            what="the device to report the wipe",
        )
    device = Device.objects.get(pk=tenant.device.pk)
    action = device.actions.get(kind="wipe")
    assert action.status == "done"
    assert action.origin == f"Approval request #{wipe.pk}"
    assert any("execute_request" in line for line in worker.log)
    # The worker told the approvers by email, and Hazel when her wipe ran.
    wait_until(lambda: any("completed" in m["subject"] for m in worker.mails()), what="mail")
    recipients = {m["to"] for m in worker.mails()}
    assert {tenant.approver2.email, tenant.hazel.email} <= recipients


def test_a_worker_serves_executions_before_the_emails_queued_ahead_of_them():
    """One worker on every queue (the demo's, a small site's) takes the wipes first."""
    from celery import current_app

    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    current_app.control.purge()
    requests = []
    for name in ("PC-1", "PC-2", "PC-3"):
        # Filing and approving each queue its emails (published at each commit) before its
        # execution is queued.
        request = request_wipe(tenant, device=f.device(name))
        request_approve(request_id=request.pk, approver=tenant.approver)
        requests.append(request_complete(request_id=request.pk, actor=tenant.hazel))
    with celery_worker(purge=False) as worker:

        def all_done() -> bool:
            wiped = ApprovalRequest.objects.filter(
                pk__in=[r.pk for r in requests], execution_status="succeeded"
            )
            notices = Notice.objects.filter(request__in=requests)
            told = notices.filter(event="completed").count() == len(requests)
            pending = notices.filter(status="pending").exists()
            return wiped.count() == len(requests) and told and not pending

        wait_until(all_done, what="the worker to run the wipes and send the emails")
    done = [
        "email" if "_notices" in line else "wipe"
        for line in worker.log
        if " succeeded in " in line
        and ("_executions" in line or "_request" in line or "_notices" in line)
    ]
    # Six events' emails were queued ahead of the wipes (submitted, approved), one send task
    # each; the wipes' tasks (drainers, one per Complete here, as each found a free slot) ran
    # first, and their "completed" emails came after.
    assert done[:3] == ["wipe", "wipe", "wipe"] and done.count("email") >= 7, done
