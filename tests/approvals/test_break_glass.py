"""Break-glass: an emergency run without approval, told to every approver at once and reviewed
by them afterwards; proved through the services and the pages."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import AccessPolicy, ApprovalRequest, BreakGlassReview, Notice
from approvals.policy_services import policy_state as read_policy_state
from approvals.reviews import break_glass_review, reviews_escalate_due
from approvals.services import (
    ApprovalDenied,
    ApprovalError,
    ApprovalInputError,
    OpenRequestExists,
    operation_break_glass,
    operation_start,
    request_execute,
)
from audit.chain import audit_seal
from audit.models import AuditEvent
from devices.models import ManagementState
from rbac.models import User
from tests import factories as f
from tests.conftest import activate_state, policy_state, request_wipe, write_notices
from tests.identity import totp


@pytest.fixture
def responders(tenant):
    """Hazel is on call: a member of the incident responders."""
    group = f.group("Incident Responders", [tenant.hazel])
    f.assign(f.builtin("Help Desk Operator"), [group], name="Responders")
    return group


@pytest.fixture
def officers(tenant):
    group = f.group("Security Officers", [f.user("officer1")])
    f.assign(f.approver_role(), [group], name="Security officers")
    return group


@pytest.fixture
def glass_policy(tenant, responders, officers):
    state = policy_state("device.wipe", [tenant.approvers], 1)
    state["later_stages"] = [{"approver_groups": [officers.pk], "approvals_required": 1}]
    state["break_glass_group"] = responders.pk
    return activate_state(tenant, state)


def _break_glass(tenant, device=None, justification="Ransomware spreading from this laptop"):
    return operation_break_glass(
        actor=tenant.hazel,
        operation_code="device.wipe",
        payload={"device_id": (device or tenant.device).pk},
        justification=justification,
    )


def test_a_member_runs_at_once_exactly_once_and_a_review_opens(tenant, glass_policy):
    request = _break_glass(tenant)
    assert (request.status, request.execution_status) == ("completed", "queued")
    assert request.break_glass and not request.decisions.exists()
    review = BreakGlassReview.objects.get(request=request)
    assert review.status == "open"
    assert timedelta(hours=23) < review.due_at - timezone.now() <= timedelta(hours=24)
    request_execute(request_id=request.pk)
    request_execute(request_id=request.pk)  # a redelivery runs nothing twice
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.WIPE_PENDING
    assert tenant.device.actions.count() == 1
    event = AuditEvent.objects.get(action="request.break_glass")
    assert (event.from_state, event.to_state) == ("needs_approval", "completed")
    assert event.note == "Ransomware spreading from this laptop"


def test_break_glass_is_refused_to_non_members_and_where_the_policy_has_none(
    tenant, glass_policy, responders
):
    outsider = f.user("outsider")
    tenant.helpdesk.auth_group.user_set.add(outsider)
    with pytest.raises(ApprovalDenied, match="No break-glass path"):
        operation_break_glass(
            actor=outsider,
            operation_code="device.wipe",
            payload={"device_id": tenant.device.pk},
            justification="I want it gone",
        )
    AccessPolicy.objects.filter(pk=glass_policy.pk).update(break_glass_group=None)
    with pytest.raises(ApprovalDenied, match="No break-glass path"):
        _break_glass(tenant)
    assert not ApprovalRequest.objects.filter(operation_type="device.wipe").exists()


def test_break_glass_keeps_one_open_request_per_target_and_needs_a_justification(
    tenant, glass_policy
):
    with pytest.raises(ApprovalInputError, match="Business justification is required"):
        _break_glass(tenant, justification="  ")
    open_request = request_wipe(tenant)
    with pytest.raises(OpenRequestExists) as refused:
        _break_glass(tenant)
    assert refused.value.existing == open_request


def test_every_approver_of_every_stage_is_emailed_at_once_even_if_muted(tenant, glass_policy):
    User.objects.filter(username="officer1").update(
        muted_notifications=["new_request", "break_glass"]
    )
    request = _break_glass(tenant)
    write_notices()
    notices = Notice.objects.filter(request=request, event="break_glass")
    assert set(notices.values_list("user__username", flat=True)) == {
        "approver",
        "approver2",
        "officer1",
    }
    assert User.objects.get(username="officer1").wants_notification(notices.first().kind)


def test_the_approvers_review_it_once_with_a_note_and_never_the_requestor(tenant, glass_policy):
    request = _break_glass(tenant)
    with pytest.raises(ApprovalDenied, match="your own break-glass run"):
        break_glass_review(request_id=request.pk, reviewer=tenant.hazel, justified=True, note="ok")
    with pytest.raises(ApprovalDenied, match="not a member"):
        break_glass_review(
            request_id=request.pk, reviewer=f.user("stranger"), justified=True, note="ok"
        )
    with pytest.raises(ApprovalInputError, match="Review note is required"):
        break_glass_review(request_id=request.pk, reviewer=tenant.approver, justified=True, note="")
    # A later stage's approver reviews as well as stage 1's.
    officer = User.objects.get(username="officer1")
    review = break_glass_review(
        request_id=request.pk, reviewer=officer, justified=True, note="Confirmed by the SOC"
    )
    assert (review.status, review.reviewer) == ("justified", officer)
    with pytest.raises(ApprovalError, match="already reviewed: justified"):
        break_glass_review(
            request_id=request.pk, reviewer=tenant.approver, justified=False, note="No"
        )
    assert AuditEvent.objects.get(action="break_glass.review").data["verdict"] == "justified"


def test_not_justified_shows_on_the_requestors_profile_and_in_the_audit_export(
    client, tenant, glass_policy
):
    request = _break_glass(tenant)
    break_glass_review(
        request_id=request.pk,
        reviewer=tenant.approver,
        justified=False,
        note="A sync would have done; no emergency",
    )
    client.force_login(tenant.hazel)
    profile = client.get(reverse("rbac:profile")).content.decode()
    assert "Break-glass runs judged not justified" in profile
    assert "A sync would have done; no emergency" in profile
    client.force_login(tenant.policy_admin)
    audit_seal()
    text = b"".join(client.get(reverse("audit:export", args=["csv"])).streaming_content).decode()
    rows = [
        r for r in csv.DictReader(io.StringIO(text)) if r["action"] == "break_glass.not_justified"
    ]
    assert len(rows) == 1 and rows[0]["target_label"] == str(tenant.hazel)
    write_notices()
    told = Notice.objects.get(request=request, event="reviewed")
    assert told.user == tenant.hazel and "not justified" in told.headline


def test_an_unreviewed_run_turns_health_red_and_escalates_to_the_policy_admins_once(
    client, tenant, glass_policy
):
    request = _break_glass(tenant)
    client.force_login(tenant.policy_admin)
    page = client.get(reverse("approvals:policies")).content.decode()
    assert "overdue-review" not in page
    later = timezone.now() + timedelta(hours=25)
    BreakGlassReview.objects.filter(request=request).update(due_at=timezone.now())
    assert reviews_escalate_due(now=later) == 1
    assert reviews_escalate_due(now=later) == 0
    write_notices()
    escalated = Notice.objects.filter(request=request, event="break_glass_overdue")
    assert "policyadmin" in set(escalated.values_list("user__username", flat=True))
    assert AuditEvent.objects.filter(action="break_glass.overdue").count() == 1
    page = client.get(reverse("approvals:policies")).content.decode()
    assert "overdue-review" in page and f"#{request.pk}" in page


def test_the_policy_page_offers_break_glass_to_members_only_and_it_runs(
    client, tenant, glass_policy
):
    url = reverse("devices:action", args=[tenant.device.pk, "wipe"])
    client.force_login(tenant.approver2)
    tenant.helpdesk.auth_group.user_set.add(tenant.approver2)
    assert "Break glass: run now" not in client.get(url).content.decode()
    client.force_login(tenant.hazel)
    page = client.get(url).content.decode()
    assert "Break glass: run now" in page and "Emergency path" in page
    response = client.post(url, {"justification": "", "break_glass": "1"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    response = client.post(url, {"justification": "Stolen laptop", "break_glass": "1"})
    request = ApprovalRequest.objects.get(operation_type="device.wipe")
    assert response["Location"] == reverse("approvals:request_detail", args=[request.pk])
    assert request.break_glass and request.status == "completed"


def test_break_glass_asks_for_a_fresh_second_factor(client, settings, tenant, glass_policy):
    settings.STEPUP_REQUIRED = True
    totp.enrol(tenant.hazel)
    client.force_login(tenant.hazel)
    url = reverse("devices:action", args=[tenant.device.pk, "wipe"])
    response = client.post(url, {"justification": "Stolen laptop", "break_glass": "1"})
    assert response.status_code == 302 and "stepup" in response["Location"]
    assert (
        not ApprovalRequest.objects.exists()
        or not ApprovalRequest.objects.filter(operation_type="device.wipe").exists()
    )
    assert AuditEvent.objects.filter(action="stepup.refused").exists()


def test_the_break_glass_group_is_part_of_the_policy_and_its_changes(
    tenant, glass_policy, responders
):
    assert read_policy_state(glass_policy)["break_glass_group"] == responders.pk
    state = read_policy_state(glass_policy)
    state.pop("status")
    state.pop("break_glass_group")
    edit = operation_start(
        actor=tenant.policy_admin,
        operation_code="policy.edit",
        payload={"object_id": glass_policy.pk, "state": state},
        justification="No more break-glass",
    ).request
    row = next(r for r in edit.summary if r["label"] == "Break-glass group")
    assert (row["before"], row["after"]) == ("Incident Responders", "none")
