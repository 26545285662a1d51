"""Approvals that fit the risk, as people do them in the browser: stages, break-glass and its
review, change windows, a bulk wipe."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from approvals.filings import filing_run
from approvals.models import ApprovalRequest, Filing
from approvals.services import (
    executions_release_due,
    operation_start,
    request_approve,
    request_complete,
    request_execute,
)
from devices.models import Device
from tests import factories as f
from tests.conftest import activate_state, build_tenant, policy_state
from tests.devices.test_bulk import run_to_the_end
from tests.e2e.test_stories import hazel_asks_for_a_wipe

pytestmark = pytest.mark.django_db(transaction=True)


def test_story_two_stage_approval(person, shot):
    tenant = build_tenant()
    officers = f.group("Security Officers", [f.user("officer1")])
    f.assign(f.approver_role(), [officers], name="Security officers")
    page = person.page

    # The policy admin protects wipes in two stages: the MAA approvers, then security.
    person.sign_in("policyadmin")
    person.open("/tenant/maa/policies/new/")
    page.get_by_label("Name").fill("Two-step wipe")
    page.get_by_label("Protected operations").select_option(label="Device actions: Wipe")
    page.get_by_label("Intune MAA Approvers").check()
    page.get_by_label("Stage 2: approver groups").select_option(label="Security Officers")
    page.get_by_label("Business justification").fill("Wipes need security's eye too")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("#summary")).to_contain_text("Security Officers (1 approval(s))")
    policy_request = ApprovalRequest.objects.get(operation_type="policy.create")
    request_approve(request_id=policy_request.pk, approver=tenant.approver)
    request_complete(request_id=policy_request.pk, actor=tenant.policy_admin)
    request_execute(request_id=policy_request.pk)

    # Hazel asks for a wipe; stage 1 approves; the request waits for stage 2.
    request_url = hazel_asks_for_a_wipe(person, tenant.device, "Laptop stolen at the airport")
    person.sign_in("approver")
    page.get_by_role("link", name="Admin tasks").click()
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-status")).to_have_text("Needs approval")
    expect(page.locator("#approvals")).to_have_text("0 of 1 at stage 2 of 2")
    expect(page.locator("#stage-2")).to_contain_text("Waiting for approvals")

    # Security finds it in Admin tasks, sees stage 1's approval, and approves stage 2.
    person.sign_in("officer1")
    page.get_by_role("link", name="Admin tasks").click()
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.locator("#stage-1")).to_contain_text("Approver")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-status")).to_have_text("Approved")
    shot("two-stages-approved")

    # Hazel sees who approved at each stage, and Complete.
    person.sign_in("hazel")
    page.goto(request_url)
    expect(page.locator("#stage-1")).to_contain_text("Approved")
    expect(page.locator("#stage-2")).to_contain_text("Officer1")
    expect(page.get_by_role("button", name="Complete")).to_be_visible()


def test_story_break_glass_and_its_review(person, shot):
    tenant = build_tenant()
    responders = f.group("Incident Responders", [tenant.hazel])
    f.assign(f.builtin("Help Desk Operator"), [responders], name="Responders")
    state = policy_state("device.wipe", [tenant.approvers], 1)
    state["break_glass_group"] = responders.pk
    activate_state(tenant, state)
    page = person.page

    # Hazel, on call, sees the emergency path on the Wipe page and breaks the glass.
    person.sign_in("hazel")
    person.open(f"/devices/{tenant.device.pk}/wipe/")
    expect(page.locator("#break-glass")).to_contain_text("Emergency path")
    page.get_by_label("Business justification").fill("Ransomware spreading from this laptop")
    page.get_by_role("button", name="Break glass: run now").click()
    expect(page.locator("#request-status")).to_have_text("Completed")
    expect(page.locator("#review-status")).to_have_text("Waiting for review")
    request_url = page.url

    # An approver reviews it: not justified, with a note.
    person.sign_in("approver")
    page.goto(request_url)
    page.get_by_label("Review note").fill("A remote lock would have done")
    page.get_by_role("button", name="Not justified").click()
    expect(page.locator("#review-status")).to_have_text("Not justified")
    shot("break-glass-reviewed")

    # Hazel's profile shows the verdict.
    person.sign_in("hazel")
    person.open("/tenant/profile/")
    expect(page.locator("#not-justified")).to_contain_text("A remote lock would have done")


def test_story_complete_outside_the_change_window_runs_at_its_opening(person, shot):
    tenant = build_tenant()
    tomorrow = (timezone.now() + timedelta(days=1)).weekday()
    state = policy_state("device.wipe", [tenant.approvers], 1)
    state["change_windows"] = {
        "timezone": "UTC",
        "windows": [{"days": [tomorrow], "start": "00:00", "end": "24:00"}],
    }
    activate_state(tenant, state)
    request = operation_start(
        actor=tenant.hazel,
        operation_code="device.wipe",
        payload={"device_id": tenant.device.pk},
        justification="Reassigning the PC",
    ).request
    request_approve(request_id=request.pk, approver=tenant.approver)
    page = person.page

    # Hazel completes today: it waits for tomorrow's window, and she sees when.
    person.sign_in("hazel")
    person.open(f"/tenant/maa/requests/{request.pk}/")
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#execution-status")).to_have_text("Scheduled")
    expect(page.locator("#scheduled-for")).to_contain_text("change windows")
    expect(page.get_by_role("button", name="Cancel scheduled run")).to_be_visible()
    shot("scheduled")

    # The clock reaches the opening: the scheduler queues it and a worker runs it.
    opening = ApprovalRequest.objects.get(pk=request.pk).scheduled_for
    assert opening.weekday() == tomorrow and (opening.hour, opening.minute) == (0, 0)
    assert executions_release_due(now=opening) == 1
    request_execute(request_id=request.pk)
    page.reload()
    expect(page.locator("#execution-status")).to_have_text("Succeeded")
    person.open(f"/devices/{tenant.device.pk}/")
    expect(page.locator("#device-state")).to_have_text("Wipe pending")


def test_story_bulk_wipe_of_200_devices_past_the_threshold_one_fails_then_retried(person, shot):
    tenant = build_tenant()
    state = policy_state("device.wipe", [tenant.approvers], 1)
    activate_state(tenant, {**state, "bulk_threshold": 100, "bulk_approvals_required": 2})
    kiosks = [f.device(f"KIOSK-{i:03d}") for i in range(200)]
    page = person.page

    # Hazel filters the list to the kiosks and wipes all 200 in one request.
    person.sign_in("hazel")
    person.open("/devices/?q=KIOSK")
    page.get_by_role("button", name="All devices matching the filter").click()
    expect(page.locator("#breakdown")).to_contain_text("200")
    page.get_by_label("Business justification").fill("Kiosk fleet decommissioned")
    page.get_by_role("button", name="Wipe 200 devices").click()
    # A worker resolves, checks and pins the 200 devices; the page follows it to the request.
    expect(page.locator("#filing-status")).to_have_text("Being prepared")
    shot("bulk-being-filed")
    filing_run(filing_id=Filing.objects.get().pk)  # what the worker does
    expect(page.locator("#approvals")).to_have_text("0 of 2")
    request_url = page.url

    # Two approvers approve: past the threshold one is not enough.
    for approver in ("approver", "approver2"):
        person.sign_in(approver)
        page.goto(request_url)
        page.get_by_role("link", name="200 devices").click()
        expect(page.locator("#bulk-devices")).to_contain_text("KIOSK-000")
        page.goto(request_url)
        page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-status")).to_have_text("Approved")

    # One kiosk is retired by hand meanwhile; Hazel completes; that one fails, named.
    Device.objects.filter(pk=kiosks[7].pk).update(management_state="retire_pending")
    person.sign_in("hazel")
    page.goto(request_url)
    page.get_by_role("button", name="Complete").click()
    request = ApprovalRequest.objects.get(operation_type="device.bulk_wipe")
    run_to_the_end(request)
    page.reload()
    expect(page.locator("#execution-status")).to_have_text("Failed")
    expect(page.locator("#execution-error")).to_contain_text("1 failed: KIOSK-007")
    shot("bulk-partly-failed")

    # It is put back; Retry runs that one alone.
    Device.objects.filter(pk=kiosks[7].pk).update(management_state="managed")
    page.get_by_role("button", name="Retry").click()
    run_to_the_end(request)
    page.reload()
    expect(page.locator("#execution-status")).to_have_text("Succeeded")
    expect(page.locator("#execution-result")).to_have_text("Wipe sent to 200 of 200 devices")
