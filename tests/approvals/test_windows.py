"""Approval and execution windows, "run at", and change windows, through the services and pages."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import windows
from approvals.forms import AccessPolicyForm
from approvals.models import AccessPolicy, ApprovalRequest, ExecutionStatus, RequestStatus
from approvals.services import (
    ApprovalError,
    ApprovalInputError,
    executions_release_due,
    operation_start,
    request_approve,
    request_cancel,
    request_complete,
    request_execute,
)
from audit.models import AuditEvent
from devices.models import ManagementState
from tests.conftest import activate_state, policy_state, request_wipe

ROME_WORKDAYS = {
    "timezone": "Europe/Rome",
    "windows": [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}],
}


def _policy(tenant, **timing):
    return activate_state(tenant, {**policy_state("device.wipe", [tenant.approvers], 1), **timing})


def _approved_wipe(tenant, **kwargs):
    request = operation_start(
        actor=tenant.hazel,
        operation_code="device.wipe",
        payload={"device_id": tenant.device.pk},
        justification="Reassigning the PC",
        **kwargs,
    ).request
    return request_approve(request_id=request.pk, approver=tenant.approver)


@pytest.mark.parametrize(
    "moment, expected",
    [
        # Friday 19:30 in Rome: the next opening is Monday 08:00.
        (datetime(2026, 12, 4, 18, 30, tzinfo=UTC), datetime(2026, 12, 7, 7, 0, tzinfo=UTC)),
        # Inside the window: now.
        (datetime(2026, 12, 4, 10, 0, tzinfo=UTC), datetime(2026, 12, 4, 10, 0, tzinfo=UTC)),
        # The night summer time starts: Monday 08:00 is 06:00 UTC.
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), datetime(2026, 3, 30, 6, 0, tzinfo=UTC)),
    ],
)
def test_next_opening_follows_the_wall_clock_of_the_zone(moment, expected):
    assert windows.next_opening(ROME_WORKDAYS, moment) == expected


@pytest.mark.parametrize(
    "text, zone, message",
    [
        ("Mon-Fri 18:00-08:00", "UTC", "ends before it starts"),
        ("Mon 08:00-12:00\nMon-Tue 11:00-13:00", "UTC", "overlap on Mon"),
        ("Fri-Mon 08:00-10:00", "UTC", "runs backwards"),
        ("weekdays 8-18", "UTC", "is not a window"),
        ("Mon 08:00-10:00", "Mars/Olympus", "is not a time zone"),
        ("Mon 08:00-25:00", "UTC", "is not a time of day"),
    ],
)
def test_bad_windows_get_a_clear_message_and_the_form_keeps_what_was_typed(
    client, tenant, text, zone, message
):
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("approvals:policy_create"),
        {
            "name": "Office hours wipes",
            "policy_type": "device.wipe",
            "approver_groups": [tenant.approvers.pk],
            "approvals_required": 1,
            "change_windows": text,
            "change_window_timezone": zone,
            "justification": "Wipes during office hours only",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "Office hours wipes" in body
    assert text.splitlines()[0] in body
    assert not ApprovalRequest.objects.exists()


def test_the_policy_form_files_windows_and_hours_and_the_edit_shows_them(client, tenant):
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("approvals:policy_create"),
        {
            "name": "Office hours wipes",
            "policy_type": "device.wipe",
            "approver_groups": [tenant.approvers.pk],
            "approvals_required": 1,
            "approval_hours": 8,
            "execution_hours": 4,
            "change_windows": "Mon-Fri 08:00-18:00",
            "change_window_timezone": "Europe/Rome",
            "justification": "Wipes during office hours only",
        },
    )
    assert response.status_code == 302
    request = ApprovalRequest.objects.get(operation_type="policy.create")
    assert request.payload["state"]["change_windows"] == ROME_WORKDAYS
    rows = {row["label"]: row["after"] for row in request.summary}
    assert rows["Change windows"] == "Mon-Fri 08:00-18:00 (Europe/Rome)"
    assert rows["Approval window"] == "8 hours"
    policy = AccessPolicy.objects.get(pk=request.payload["object_id"])
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.policy_admin)
    request_execute(request_id=request.pk)
    initial = AccessPolicyForm.initial_for(AccessPolicy.objects.get(pk=policy.pk))
    assert initial["change_windows"] == "Mon-Fri 08:00-18:00"
    assert initial["change_window_timezone"] == "Europe/Rome"


def test_the_policy_sets_how_long_approval_and_complete_may_wait(tenant):
    _policy(tenant, approval_hours=2, execution_hours=1)
    request = request_wipe(tenant)
    assert timedelta(hours=1.9) < request.expires_at - request.created_at <= timedelta(hours=2)
    request = request_approve(request_id=request.pk, approver=tenant.approver)
    assert request.expires_at - request.decided_at == timedelta(hours=1)


def test_a_complete_outside_the_change_window_waits_for_its_opening(tenant, monkeypatch):
    _policy(tenant, change_windows=ROME_WORKDAYS)
    request = _approved_wipe(tenant)
    friday_evening = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: friday_evening)
    request = request_complete(request_id=request.pk, actor=tenant.hazel)
    assert request.execution_status == ExecutionStatus.SCHEDULED
    monday = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert request.scheduled_for == monday
    assert (
        "Scheduled for 2026-12-07 07:00"
        in AuditEvent.objects.get(action="request.complete", request_id=request.pk).note
    )
    assert executions_release_due(now=monday - timedelta(seconds=1)) == 0
    assert executions_release_due(now=monday) == 1
    assert executions_release_due(now=monday) == 0  # released once
    request_execute(request_id=request.pk)
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.WIPE_PENDING


def test_without_a_window_complete_runs_now(tenant):
    _policy(tenant)
    request = request_complete(request_id=_approved_wipe(tenant).pk, actor=tenant.hazel)
    assert request.execution_status == ExecutionStatus.QUEUED and request.scheduled_for is None


def test_run_at_holds_the_execution_and_a_past_one_is_refused(tenant):
    _policy(tenant)
    with pytest.raises(ApprovalInputError, match="is in the past"):
        _approved_wipe(tenant, run_at=timezone.now() - timedelta(minutes=1))
    later = timezone.now() + timedelta(hours=3)
    request = request_complete(
        request_id=_approved_wipe(tenant, run_at=later).pk, actor=tenant.hazel
    )
    assert (request.execution_status, request.scheduled_for) == (ExecutionStatus.SCHEDULED, later)


def test_a_scheduled_execution_can_be_cancelled_until_it_starts(client, tenant):
    _policy(tenant)
    request = _approved_wipe(tenant, run_at=timezone.now() + timedelta(hours=3))
    request_complete(request_id=request.pk, actor=tenant.hazel)
    client.force_login(tenant.hazel)
    page = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert "Scheduled for" in page and "Cancel scheduled run" in page
    client.post(reverse("approvals:request_action", args=[request.pk, "cancel"]))
    request = ApprovalRequest.objects.get(pk=request.pk)
    assert (request.status, request.execution_status) == (RequestStatus.CANCELLED, "not_started")
    assert executions_release_due(now=timezone.now() + timedelta(days=1)) == 0
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.MANAGED
    # Once it started, it cannot be called off.
    other = _approved_wipe(tenant)
    request_complete(request_id=other.pk, actor=tenant.hazel)
    with pytest.raises(ApprovalError, match="can no longer be cancelled"):
        request_cancel(request_id=other.pk, actor=tenant.hazel)


def test_the_start_page_takes_a_run_at_and_refuses_one_in_the_past(client, tenant):
    _policy(tenant)
    client.force_login(tenant.hazel)
    url = reverse("devices:action", args=[tenant.device.pk, "wipe"])
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"justification": "Reassigning the PC", "run_at": past})
    assert response.status_code == 200
    assert "is in the past" in response.content.decode()
    assert "Reassigning the PC" in response.content.decode()
    future = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(url, {"justification": "Reassigning the PC", "run_at": future})
    assert ApprovalRequest.objects.get(operation_type="device.wipe").run_at is not None
