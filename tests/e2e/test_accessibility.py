"""The main flow works with the keyboard, every field has a label, narrow screens hold up."""

import pytest
from playwright.sync_api import expect

from tests.conftest import activate_policy, build_tenant, request_wipe
from tests.identity import totp

pytestmark = pytest.mark.django_db(transaction=True)

UNLABELLED_FIELDS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)
"""


def _tab_to(page, script: str, expected: str, limit: int = 80):
    """Press Tab until `script` (run on the focused element) gives `expected`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {script})(document.activeElement)") == expected:
            return
    raise AssertionError(f"Tab never reached {expected!r} on {page.url}")


def _enter(page):
    """Press Enter on a link or submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _keyboard_sign_in(person, username: str):
    page = person.page
    page.context.clear_cookies()
    person.open("/login/")
    _tab_to(page, "el.name", "username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type("pw")
    _enter(page)


def _keyboard_step_up(person, username: str):
    """The step-up page by keyboard: the code field, then Enter; the decision goes through."""
    page = person.page
    _tab_to(page, "el.name", "code")
    page.keyboard.type(person._fresh_code(username))
    _enter(page)


def test_the_main_flow_with_the_keyboard_only(person):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    totp.enrol(tenant.approver)
    totp.enrol(tenant.hazel)
    page = person.page

    _keyboard_sign_in(person, "hazel")
    _tab_to(page, "el.textContent", "Devices")
    _enter(page)
    _tab_to(page, "el.textContent", tenant.device.name)
    _enter(page)
    _tab_to(page, "el.textContent", "Wipe")
    _enter(page)
    _tab_to(page, "el.name", "justification")
    page.keyboard.type("Typed without a mouse")
    _tab_to(page, "el.textContent", "Wipe")
    _enter(page)
    expect(page.locator("#request-status")).to_have_text("Needs approval")
    request_url = page.url

    _keyboard_sign_in(person, "approver")
    person.open(request_url.split(person.base, 1)[1])
    _tab_to(page, "el.name", "note")
    page.keyboard.type("Checked by keyboard")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Approve"
    _enter(page)
    _keyboard_step_up(person, "approver")
    expect(page.locator("#request-status")).to_have_text("Approved")

    _keyboard_sign_in(person, "hazel")
    person.open(request_url.split(person.base, 1)[1])
    _tab_to(page, "el.textContent", "Complete")
    _enter(page)
    _keyboard_step_up(person, "hazel")
    expect(page.locator("#request-status")).to_have_text("Completed")


def test_every_form_field_has_a_label(person):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant)
    page = person.page
    for username, path in [
        ("policyadmin", "/tenant/maa/policies/new/"),
        ("policyadmin", "/tenant/roles/new/"),
        ("policyadmin", "/tenant/role-assignments/new/"),
        ("policyadmin", "/tenant/groups/new/"),
        ("hazel", f"/devices/{tenant.device.pk}/wipe/"),
        ("hazel", "/devices/"),
        ("approver", f"/tenant/maa/requests/{request.pk}/"),
        ("approver", "/tenant/maa/received/"),
        ("approver", "/tenant/profile/"),
    ]:
        person.open_as(username, path)
        assert page.evaluate(UNLABELLED_FIELDS) == [], path


def test_pages_hold_up_at_a_phone_width(person, shot):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant)
    page = person.page
    page.set_viewport_size({"width": 375, "height": 800})
    person.sign_in("approver")
    for path in [
        "/tenant/maa/received/",
        f"/tenant/maa/requests/{request.pk}/",
        f"/devices/{tenant.device.pk}/",
        "/devices/",
    ]:
        person.open(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    expect(page.get_by_role("link", name="Admin tasks")).to_be_visible()
    shot("phone")


def test_the_new_workload_and_api_pages_label_every_field_and_fit_a_phone(person):
    from tests.workloads.conftest import build_workload_tenant

    wt = build_workload_tenant()
    page = person.page
    labelled = [
        ("appie", "/apps/new/win32/"),
        ("appie", f"/apps/{wt.app.pk}/edit/"),
        ("hazel", f"/apps/{wt.app.pk}/assign/"),
        ("sam", "/devices/compliance/new/ios/"),
        ("sam", "/devices/configuration/new/windows/"),
        ("sam", f"/devices/configuration/{wt.configuration.pk}/edit/"),
        ("policyadmin", "/tenant/applications/new/"),
        ("policyadmin", "/tenant/maa/policies/new/"),
    ]
    for username, path in labelled:
        person.open_as(username, path)
        assert page.evaluate(UNLABELLED_FIELDS) == [], path
    page.set_viewport_size({"width": 375, "height": 800})
    person.sign_in("approver")  # Read Only Operator: reads all three workloads
    for path in [
        "/apps/",
        f"/apps/{wt.app.pk}/",
        "/devices/compliance/",
        f"/devices/configuration/{wt.configuration.pk}/",
        f"/devices/{wt.laptops[0].pk}/",
    ]:
        person.open(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
