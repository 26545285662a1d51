"""The approval stories, each as a person does it: by visible labels and buttons."""

import re

import pytest
from playwright.sync_api import expect

from approvals.models import Decision
from tests.conftest import activate_policy, build_tenant
from tests.identity import totp
from tests.worker import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def reload_until(page, locator, text: str, timeout: float = 30):
    def shows():
        page.wait_for_load_state()
        page.reload()
        return text in locator.inner_text()

    wait_until(shows, timeout=timeout, interval=0.5, what=f"{text!r} on {page.url}")


def complete_from_my_requests(person, username: str) -> None:
    """The requestor opens their newest request from My requests, completes it, and waits for
    the worker to report the execution Succeeded."""
    page = person.page
    person.sign_in(username)
    page.get_by_role("link", name="Multi Admin Approval").click()
    page.get_by_role("link", name="My requests").click()
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#request-status")).to_have_text("Completed")
    reload_until(page, page.locator("#execution-status"), "Succeeded")


def hazel_asks_for_a_wipe(person, device, justification: str) -> str:
    """Hazel opens the device's Wipe page and files the request; returns the request's URL."""
    person.sign_in("hazel")
    person.open(f"/devices/{device.pk}/wipe/")
    person.page.get_by_label("Business justification").fill(justification)
    person.page.get_by_role("button", name="Wipe").click()
    expect(person.page.get_by_text("This operation requires approval")).to_be_visible()
    return person.page.url


def test_story_1_the_article(person, worker, shot):
    tenant = build_tenant()
    page = person.page

    # The policy admin protects device wipe; the policy waits for a second admin.
    person.sign_in("policyadmin")
    page.get_by_role("link", name="Multi Admin Approval").click()
    page.get_by_role("link", name="Create access policy").click()
    page.get_by_label("Name").fill("Protect device wipe")
    page.get_by_label("Protected operations").select_option(label="Device actions: Wipe")
    page.get_by_label("Intune MAA Approvers").check()
    page.get_by_label("Business justification").fill("Wipe destroys data: four eyes")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("This operation requires approval")).to_be_visible()
    policy_request_url = page.url

    # The approver finds it in Received requests and approves with a note.
    person.sign_in("approver")
    page.get_by_role("link", name="Multi Admin Approval").click()
    page.get_by_role("link", name="Received requests").click()
    shot("received-requests")
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    page.get_by_label("Approver notes").fill("Agreed, protect it")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-status")).to_have_text("Approved")

    # The admin completes; the worker activates the policy.
    person.sign_in("policyadmin")
    page.goto(policy_request_url)
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#request-status")).to_have_text("Completed")
    page.get_by_role("link", name="Access policy Protect device wipe").click()
    reload_until(page, page.locator("#policy-status"), "Active")

    # Hazel presses Wipe: nothing happens to the device, a request is filed.
    person.sign_in("hazel")
    page.get_by_role("link", name="Devices").click()
    page.get_by_role("link", name=tenant.device.name).click()
    device_url = page.url
    page.get_by_role("link", name="Wipe").click()
    page.get_by_label("Business justification").fill("Reassigning the PC to a new hire")
    page.get_by_role("button", name="Wipe").click()
    expect(page.get_by_text("This operation requires approval")).to_be_visible()
    shot("request-page")
    page.goto(device_url)
    expect(page.locator("#device-state")).to_have_text("Managed")

    # The approver approves.
    person.sign_in("approver")
    page.get_by_role("link", name="Admin tasks").click()
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.locator("#justification")).to_have_text("Reassigning the PC to a new hire")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-status")).to_have_text("Approved")

    # Hazel completes from My requests; the worker wipes, the device checks in.
    complete_from_my_requests(person, "hazel")
    page.goto(device_url)
    reload_until(page, page.locator("#device-state"), "Wiped")
    expect(page.locator("#device-actions")).to_contain_text("Done")
    shot("device-wiped")


def test_story_2_rejection_with_notes(person, shot):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    page = person.page
    request_url = hazel_asks_for_a_wipe(person, tenant.device, "User left")

    person.sign_in("approver")
    page.goto(request_url)
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("Approver notes is required")).to_be_visible()
    page.get_by_label("Approver notes").fill("Wrong device: this one belongs to sales")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator("#request-status")).to_have_text("Rejected")

    person.sign_in("hazel")
    page.goto(request_url)
    expect(page.locator("#decisions")).to_contain_text("this one belongs to sales")
    expect(page.get_by_role("button", name="Complete")).to_have_count(0)
    shot("rejected")
    person.open(f"/devices/{tenant.device.pk}/")
    expect(page.locator("#device-state")).to_have_text("Managed")


def test_story_3_cancel_then_nothing_to_decide(person, worker, shot):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    page = person.page
    request_url = hazel_asks_for_a_wipe(person, tenant.device, "Lost laptop")
    page.get_by_role("button", name="Cancel request").click()
    expect(page.locator("#request-status")).to_have_text("Cancelled")

    link = _link_mailed_to(worker, tenant.approver.email, request_url)
    person.sign_in("approver")
    page.goto(link)
    expect(page.get_by_text("nothing left to decide")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    shot("nothing-to-decide")


def _link_mailed_to(worker, address: str, request_url: str) -> str:
    """The decision link from the email about that request (the policy's own request mails the
    same approver first)."""
    ref = "Request #" + request_url.rstrip("/").rsplit("/", 1)[1] + ":"

    def mailed():
        return [
            m
            for m in worker.mails()
            if m["to"] == address and ref in m["subject"] and "needs approval" in m["subject"]
        ]

    wait_until(lambda: mailed(), what=f"the email about {ref} to {address}")
    body = mailed()[-1].get_body(preferencelist=("plain",)).get_content()
    return re.search(r"Review and decide: (\S+)", body).group(1)


def test_story_4_approver_email_link_through_login(person, worker, shot):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    totp.enrol(tenant.approver)
    page = person.page
    request_url = hazel_asks_for_a_wipe(person, tenant.device, "Stolen phone")

    link = _link_mailed_to(worker, tenant.approver.email, request_url)
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("approver")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#justification")).to_have_text("Stolen phone")
    shot("decision-page")
    page.get_by_label("Approver notes").fill("Confirmed with the user")
    page.get_by_role("button", name="Approve").click()
    # No second factor yet in this session: the approval waits for one, note and all.
    expect(page.get_by_text("To approve this request, confirm it is you")).to_be_visible()
    request_id = int(request_url.rstrip("/").split("/")[-1])
    assert not Decision.objects.filter(request__pk=request_id).exists()
    page.locator("input[name=code]").fill(person._fresh_code("approver"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#request-status")).to_have_text("Approved")
    assert Decision.objects.get(request__pk=request_id).note == "Confirmed with the user"


def test_story_5_refusals(person, shot):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    tenant.approvers.auth_group.user_set.add(tenant.hazel)
    page = person.page
    request_url = hazel_asks_for_a_wipe(person, tenant.device, "Refurbish")
    request_id = request_url.rstrip("/").split("/")[-1]

    # Hazel sees no Approve button on her own request, and a forged POST is refused.
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forged = page.request.post(
        f"{person.base}/tenant/maa/requests/{request_id}/approve/",
        form={"csrfmiddlewaretoken": token, "note": "self"},
        headers={"Referer": request_url},
    )
    assert forged.status == 403
    assert "your own request" in forged.text()
    page.reload()
    expect(page.locator("#request-status")).to_have_text("Needs approval")

    # A second Wipe on the same device says why not, and links the open request, before typing.
    person.open(f"/devices/{tenant.device.pk}/wipe/")
    expect(page.locator("#blocked")).to_contain_text("one open request at a time")
    expect(page.get_by_role("link", name=f"request #{request_id}")).to_be_visible()
    expect(page.get_by_role("button", name="Wipe")).to_be_disabled()
    expect(page.get_by_label("Business justification")).to_be_disabled()
    shot("second-wipe-refused")


def test_the_approver_follows_the_requests_target_to_its_device(person):
    """The request page's Target link (from the key pinned at filing) opens the device's page."""
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request_url = hazel_asks_for_a_wipe(person, tenant.device, "Lost on the train")
    person.sign_in("approver")
    person.open(request_url.split(person.base, 1)[1])
    person.page.get_by_role("link", name=tenant.device.name).click()
    expect(person.page.get_by_role("heading", level=1)).to_contain_text(tenant.device.name)
    expect(person.page.locator("#device-state")).to_have_text("Managed")
    assert person.page.url.endswith(f"/devices/{tenant.device.pk}/")
