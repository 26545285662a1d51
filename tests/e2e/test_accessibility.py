"""The main flow works with the keyboard, every field has a label, narrow screens hold up."""

import pytest
from playwright.sync_api import expect

from tests.conftest import activate_policy, build_tenant, request_wipe

pytestmark = pytest.mark.django_db(transaction=True)

UNLABELLED_FIELDS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)
"""


def test_an_approver_decides_with_the_keyboard_only(person):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant)
    page = person.page
    person.open("/login/")
    page.keyboard.press("Tab")  # skip link
    for _ in range(10):
        if page.evaluate("document.activeElement.name") == "username":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("approver")
    page.keyboard.press("Tab")
    page.keyboard.type("pw")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tenant/admin-tasks/")
    person.open(f"/tenant/maa/requests/{request.pk}/")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "note":
            break
    page.keyboard.type("Checked by keyboard")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Approve"
    page.keyboard.press("Enter")
    expect(page.locator("#request-status")).to_have_text("Approved")


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
        person.sign_in(username)
        person.open(path)
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
