"""A fresh second factor for every decision (rbac.stepup): approve, reject, Complete and access-
policy changes; refused without one, with an audit event, and nothing done."""

import time

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.urls import reverse

from approvals.models import Decision, RequestStatus
from approvals.selectors import decision_refusal
from approvals.services import request_approve
from audit.models import AuditEvent
from tests import factories as f
from tests.conftest import request_wipe
from tests.identity import totp


@pytest.fixture(autouse=True)
def _stepup_on(settings):
    settings.STEPUP_REQUIRED = True
    settings.STEPUP_SECONDS = 600


def _approve(client, request_id, note="Checked with the user"):
    return client.post(
        reverse("approvals:request_action", args=[request_id, "approve"]), {"note": note}
    )


def _step_up(client, next_url, code=None):
    """The step-up page, as a person types their authenticator's code."""
    return client.post(
        f"{reverse('mfa_reauthenticate')}?next={next_url}",
        {"code": code or totp.code(), "next": next_url},
    )


def test_an_approval_without_any_factor_enrolled_sends_to_enrolment_and_records_nothing(
    client, tenant, wipe_policy
):
    request = request_wipe(tenant)
    client.force_login(tenant.approver)
    response = _approve(client, request.pk)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")
    assert not Decision.objects.filter(request=request).exists()
    refusal = AuditEvent.objects.get(action="stepup.refused")
    assert refusal.actor_id == tenant.approver.pk and "enrolled" in refusal.note
    page = client.get(reverse("mfa_index")).content.decode()
    assert "you need a second factor" in page and "Authenticator App" in page


def test_a_hand_made_post_without_a_fresh_factor_decides_nothing_until_the_code_is_given(
    client, tenant, wipe_policy
):
    request = request_wipe(tenant)
    totp.enrol(tenant.approver)
    client.force_login(tenant.approver)
    action_url = reverse("approvals:request_action", args=[request.pk, "approve"])
    response = _approve(client, request.pk, note="Typed before the step-up")
    assert response.status_code == 302 and response["Location"].startswith(reverse("stepup"))
    assert not Decision.objects.filter(request=request).exists()
    assert AuditEvent.objects.filter(action="stepup.refused", actor=tenant.approver).exists()
    # The step-up page is the factor's own page, and the POST waits, note and all.
    assert client.get(response["Location"])["Location"].startswith(reverse("mfa_reauthenticate"))
    wrong = _step_up(client, action_url, code="000000" if totp.code() != "000000" else "111111")
    assert wrong.status_code == 200 and not Decision.objects.filter(request=request).exists()
    assert AuditEvent.objects.filter(action="stepup.refused", note__contains="wrong").exists()
    replayed = _step_up(client, action_url)
    assert replayed.status_code == 302
    decision = Decision.objects.get(request=request)
    assert decision.approver == tenant.approver and decision.note == "Typed before the step-up"
    assert AuditEvent.objects.filter(action="stepup.verified", actor=tenant.approver).exists()


def test_a_stale_factor_is_refused_and_a_fresh_one_lets_the_decision_through(
    client, settings, tenant, wipe_policy
):
    settings.MFA_TOTP_TOLERANCE = 1  # the next period's code: a used code cannot be replayed
    request = request_wipe(tenant)
    totp.enrol(tenant.approver)
    client.force_login(tenant.approver)
    assert _step_up(client, "/").status_code == 302
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    records[-1]["at"] = time.time() - 601  # eleven minutes ago
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()
    response = _approve(client, request.pk)
    assert response["Location"].startswith(reverse("stepup"))
    assert not Decision.objects.filter(request=request).exists()
    assert AuditEvent.objects.filter(action="stepup.refused", note__contains="stale").exists()
    action_url = reverse("approvals:request_action", args=[request.pk, "approve"])
    assert _step_up(client, action_url, code=totp.code(offset=1)).status_code == 302
    assert Decision.objects.get(request=request).approver == tenant.approver


def test_complete_and_reject_ask_for_a_fresh_factor_too(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    client.force_login(tenant.approver2)
    reject = client.post(
        reverse("approvals:request_action", args=[request.pk, "reject"]), {"note": "No"}
    )
    assert reject.status_code == 302 and reject["Location"] == reverse("mfa_index")
    request_approve(request_id=request.pk, approver=tenant.approver)
    client.force_login(tenant.hazel)
    complete = client.post(reverse("approvals:request_action", args=[request.pk, "complete"]))
    assert complete.status_code == 302 and complete["Location"] == reverse("mfa_index")
    assert request.__class__.objects.get(pk=request.pk).status == RequestStatus.APPROVED
    # Cancel changes nothing that was decided: no step-up.
    cancel = client.post(reverse("approvals:request_action", args=[request.pk, "cancel"]))
    assert cancel["Location"] == reverse("approvals:request_detail", args=[request.pk])


def test_an_access_policy_change_asks_for_a_fresh_factor(client, tenant):
    client.force_login(tenant.policy_admin)
    url = reverse("approvals:policy_create")
    form = {
        "name": "Protect wipes",
        "policy_type": "device.wipe",
        "approver_groups": [tenant.approvers.pk],
        "approvals_required": 1,
        "justification": "Four eyes on wipes",
    }
    response = client.post(url, form)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")
    assert not tenant.policy_admin.approval_requests.exists()
    totp.enrol(tenant.policy_admin)
    response = client.post(url, form)
    assert response["Location"].startswith(reverse("stepup"))
    assert _step_up(client, url).status_code == 302
    assert tenant.policy_admin.approval_requests.count() == 1


def test_nobody_is_exempt_global_administrators_included(client, tenant, wipe_policy):
    admin = f.global_admin("ga")
    request = request_wipe(tenant)
    client.force_login(admin)
    assert _approve(client, request.pk)["Location"] == reverse("mfa_index")
    assert not Decision.objects.filter(request=request).exists()


def test_an_api_application_can_never_approve(tenant, wipe_policy):
    app = f.user("automation")
    app.is_application = True
    app.save(update_fields=["is_application"])
    tenant.approvers.auth_group.user_set.add(app)
    request = request_wipe(tenant)
    assert "Applications never approve" in decision_refusal(request, app)


def test_an_administrators_reset_of_second_factors_needs_another_admins_approval(tenant):
    from allauth.mfa.models import Authenticator

    from approvals.services import operation_start, request_complete, request_execute

    totp.enrol(tenant.hazel)
    admin, other = f.global_admin("ga1"), f.global_admin("ga2")
    outcome = operation_start(
        actor=admin,
        operation_code="user.mfa_reset",
        payload={"user_id": tenant.hazel.pk},
        justification="Lost her phone",
    )
    # Always protected, with no access policy: nobody resets a factor alone.
    assert outcome.needs_approval
    assert Authenticator.objects.filter(user=tenant.hazel).exists()
    request_approve(request_id=outcome.request.pk, approver=other)
    request_complete(request_id=outcome.request.pk, actor=admin)
    request_execute(request_id=outcome.request.pk)
    assert not Authenticator.objects.filter(user=tenant.hazel).exists()
    assert AuditEvent.objects.filter(action="mfa.reset", target_id=str(tenant.hazel.pk)).exists()


def test_adding_a_factor_when_one_exists_asks_for_a_fresh_one(client, tenant):
    """Otherwise a stolen session could enrol its own authenticator and pass every step-up."""
    client.force_login(tenant.approver)
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200  # the first one
    totp.enrol(tenant.approver)
    response = client.get(reverse("mfa_add_webauthn"))
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert _step_up(client, reverse("mfa_add_webauthn")).status_code == 302
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200


def test_an_authenticator_app_enrolled_on_its_page_and_a_recovery_code_step_up(
    client, tenant, django_capture_on_commit_callbacks
):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

    client.force_login(tenant.approver)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()  # shown for typing into the app, with a QR code
    with django_capture_on_commit_callbacks(execute=True):
        activated = client.post(reverse("mfa_activate_totp"), {"code": totp.code(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=tenant.approver, type="totp").exists()
    assert AuditEvent.objects.filter(action="mfa.enrol", actor=tenant.approver).exists()
    # Recovery codes came with it; one of them is a factor for a step-up, once.
    codes = RecoveryCodes(
        Authenticator.objects.get(user=tenant.approver, type="recovery_codes")
    ).get_unused_codes()
    client.force_login(tenant.approver)  # a new session: no factor in it yet
    assert not client.session.get(AUTHENTICATION_METHODS_SESSION_KEY)
    assert _step_up(client, "/", code=codes[0]).status_code == 302
    assert AuditEvent.objects.get(action="stepup.verified").data["factor"] == "recovery_codes"
    client.force_login(tenant.approver)
    assert _step_up(client, "/", code=codes[0]).status_code == 200  # used up


def test_a_person_deciding_through_the_api_with_their_session_steps_up_too(
    client, tenant, wipe_policy
):
    """The Graph approve action is another door to the same decision: a person's session call
    without a fresh factor is refused (403 StepUpRequired); with one it goes through."""
    request = request_wipe(tenant)
    totp.enrol(tenant.approver)
    client.force_login(tenant.approver)
    url = f"/beta/deviceManagement/operationApprovalRequests/{request.approval_code}/approve"
    refused = client.post(url, {"justification": "ok"}, content_type="application/json")
    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["code"] == "StepUpRequired"
    assert not Decision.objects.filter(request=request).exists()
    assert _step_up(client, "/").status_code == 302
    approved = client.post(url, {"justification": "ok"}, content_type="application/json")
    assert approved.status_code == 200, approved.content
    assert Decision.objects.get(request=request).approver == tenant.approver
