"""What each actor sees (issue: findings from a walk through the portal), in Chromium."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from approvals.services import operation_start, request_approve
from tests import factories as f
from tests.conftest import activate_policy, build_tenant, policy_state, request_wipe, submit_policy

pytestmark = pytest.mark.django_db(transaction=True)


def test_received_requests_open_on_what_needs_my_decision(person, shot):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    decided = request_wipe(tenant, device=f.device("DECIDED-PC"))
    request_approve(request_id=decided.pk, approver=tenant.approver)
    waiting = request_wipe(tenant, device=f.device("WAITING-PC"))
    page = person.page
    person.sign_in("approver")
    page.get_by_role("link", name="Multi Admin Approval").click()
    page.get_by_role("link", name="Received requests").click()
    expect(page.get_by_label("Status")).to_have_value("to_decide")
    rows = page.locator("table.requests tbody")
    expect(rows).to_contain_text("WAITING-PC")
    expect(rows).not_to_contain_text("DECIDED-PC")
    shot("received-to-decide")
    # The history is one click away; the target itself opens the request.
    page.get_by_role("link", name="Show all statuses (history)").click()
    expect(rows).to_contain_text("DECIDED-PC")
    page.get_by_role("link", name=re.compile("WAITING-PC")).click()
    expect(page).to_have_url(re.compile(f"/requests/{waiting.pk}/$"))


def test_policy_requests_say_create_or_delete(person):
    tenant = build_tenant()
    policy = activate_policy(tenant, "device.wipe")
    operation_start(
        actor=tenant.policy_admin,
        operation_code="policy.delete",
        payload={"object_id": policy.pk},
        justification="No longer needed",
    )
    submit_policy(tenant.policy_admin, policy_state("device.retire", [tenant.approvers]))
    person.sign_in("approver")
    person.open("/tenant/maa/received/?status=")
    rows = person.page.locator("table.requests tbody")
    expect(rows).to_contain_text("Delete access policy")
    expect(rows).to_contain_text("Create access policy")


def test_a_device_with_an_open_request_shows_a_badge_and_blocked_buttons(person, shot):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant)
    page = person.page
    person.sign_in("hazel")
    page.get_by_role("link", name="Devices").click()
    badge = f"Device wipe requested — Needs approval, #{request.pk}"
    expect(page.get_by_role("link", name=badge)).to_be_visible()
    page.get_by_role("link", name=tenant.device.name, exact=True).click()
    expect(page.locator("#open-request")).to_contain_text(badge)
    for label in ("Wipe", "Retire", "Delete"):
        expect(page.get_by_role("button", name=label)).to_be_disabled()
    expect(page.locator("#actions-blocked")).to_contain_text("one open request at a time")
    # Destructive actions are styled as such and set apart from Sync.
    group = page.get_by_role("group", name="Destructive:")
    expect(group.get_by_role("button", name="Wipe")).to_have_class(re.compile("danger"))
    expect(group.get_by_role("button", name="Sync")).to_have_count(0)
    expect(page.get_by_role("button", name="Sync")).not_to_have_class(re.compile("danger"))
    shot("device-blocked")


def test_destructive_buttons_look_dangerous_when_available(person):
    tenant = build_tenant()
    person.sign_in("hazel")
    person.open(f"/devices/{tenant.device.pk}/")
    group = person.page.get_by_role("group", name="Destructive:")
    for label in ("Wipe", "Retire", "Delete"):
        expect(group.get_by_role("link", name=label)).to_have_class(re.compile("danger"))


def test_the_request_page_follows_the_execution_live(person, worker, shot):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    page = person.page
    person.sign_in("hazel")
    person.open(f"/tenant/maa/requests/{request.pk}/")
    page.get_by_role("button", name="Complete").click()
    # No reload from here on: the page updates itself.
    expect(page.locator("#execution-status")).to_have_text("Succeeded", timeout=30000)
    steps = page.locator("#execution-steps")
    expect(steps).to_contain_text("✓ Command sent to the device", timeout=30000)
    expect(steps).to_contain_text("✓ Acknowledged by the device", timeout=30000)
    expect(steps).to_contain_text("✓ Done: wipe finished", timeout=30000)
    expect(page.locator("#execution")).not_to_have_attribute("hx-trigger", re.compile("."))
    shot("execution-live")
    # The device history reads as sentences.
    page.get_by_role("link", name=re.compile(tenant.device.name)).click()
    history = page.locator("#device-history")
    expect(history).to_contain_text("The device finished its reset: it is wiped")
    expect(history).to_contain_text("Hazel sent a wipe command")
    expect(history).not_to_contain_text("device.wipe")


def test_a_long_unbroken_justification_wraps(person):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant, justification="x" * 1024)
    person.sign_in("approver")
    person.open(f"/tenant/maa/requests/{request.pk}/")
    width = person.page.evaluate("document.documentElement.scrollWidth")
    viewport = person.page.evaluate("window.innerWidth")
    assert width <= viewport, (width, viewport)


def test_justification_counts_characters_and_the_server_explains_an_overflow(person):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    page = person.page
    person.sign_in("hazel")
    person.open(f"/devices/{tenant.device.pk}/wipe/")
    box = page.get_by_label("Business justification")
    box.fill("Lost")
    expect(page.locator("#id_justification-counter")).to_have_text("4 / 1024 characters")
    box.fill("y" * 1030)  # pasted: nothing is cut
    expect(box).to_have_value("y" * 1030)
    expect(page.locator("#id_justification-counter")).to_contain_text("6 too many")
    page.get_by_role("button", name="Wipe").click()
    expect(page.get_by_text("at most 1024 characters")).to_be_visible()
    expect(page.get_by_label("Business justification")).to_have_value("y" * 1030)


def test_signing_in_from_an_approver_link_names_the_request(person):
    from approvals.links import decision_url

    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant)
    path = decision_url(request, tenant.approver).split("/", 3)[3]
    person.page.context.clear_cookies()
    person.open(f"/{path}")
    expect(person.page.locator("#link-context")).to_contain_text(
        f"Sign in to review approval request #{request.pk}"
    )


def test_a_help_desk_user_is_told_why_received_requests_is_empty(person):
    build_tenant()
    person.sign_in("hazel")
    person.page.get_by_role("link", name="Multi Admin Approval").click()
    person.page.get_by_role("link", name="Received requests").click()
    expect(person.page.locator("table.requests")).to_contain_text(
        "you are not in the approver group of any access policy"
    )


def test_the_demo_mailbox_shows_utf8(person, settings, tmp_path):
    from django.core.mail import send_mail

    tenant = build_tenant()
    settings.DEBUG = True
    settings.EMAIL_FILE_PATH = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    send_mail("Naïve café ✓", "naïve café ✓ — déjà vu", None, [tenant.hazel.email])
    person.sign_in("hazel")
    person.open("/tenant/dev/mail/")
    expect(person.page.get_by_role("heading", name="Naïve café ✓")).to_be_visible()
    expect(person.page.get_by_text("naïve café ✓ — déjà vu")).to_be_visible()


def test_demo_ipads_are_named_as_ipads(person):
    call_command("seed_demo", devices=60)
    f.intune_admin("viewer")
    page = person.page
    person.sign_in("viewer")
    for prefix, model in (("IPAD", "iPad"), ("IPHONE", "iPhone")):
        person.open(f"/devices/?operating_system=iOS&q={prefix}-")
        page.locator("table tbody tr a").first.click()
        expect(page.locator("dl.props")).to_contain_text(f"Apple {model}")


def test_the_audit_log_filters_on_a_device_by_name_and_keeps_what_was_typed(person):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request_wipe(tenant, device=f.device("LAB-000999"))
    request_wipe(tenant, device=f.device("LAB-001999"))
    page = person.page
    person.sign_in("policyadmin")
    person.open("/tenant/audit/")
    # Every filter says its name (the day bounds printed "[invalid name]").
    expect(page.get_by_label("Since")).to_be_visible()
    expect(page.get_by_label("Until")).to_be_visible()
    expect(page.locator("form.filters")).not_to_contain_text("invalid name")
    page.get_by_label("Target contains").fill("LAB-000999")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_label("Target contains")).to_have_value("LAB-000999")
    table = page.locator("table").first
    expect(table).to_contain_text("LAB-000999")
    expect(table).not_to_contain_text("LAB-001999")
