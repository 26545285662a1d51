"""Story: a protected script edit, read line by line by the approver, run by the devices."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import activate_policy
from tests.device_scripts.conftest import build_script_tenant
from tests.e2e.test_stories import complete_from_my_requests, reload_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_story_script_edit_with_a_diff_for_the_approver(person, worker, shot):
    st = build_script_tenant()
    activate_policy(st.base, "scripts")
    page = person.page

    # Sam (Policy and Profile Manager) edits the script; it needs approval.
    person.sign_in("sam")
    page.get_by_role("link", name="Scripts and remediations").click()
    page.get_by_role("link", name="Set time zone").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label(re.compile(r"^Script")).fill(
        'Set-TimeZone -Id "W. Europe Standard Time"\nWrite-Output "Time zone is Europe"\n'
    )
    page.get_by_label("Business justification").fill("The Milan office is on CET")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This operation requires approval")).to_be_visible()
    expect(page.locator("#request-status")).to_have_text("Needs approval")

    # The approver reads exactly what will run: the removed and the added lines.
    person.sign_in("approver")
    page.get_by_role("link", name="Admin tasks").click()
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.locator(".diff .del").first).to_contain_text('Set-TimeZone -Id "UTC"')
    expect(page.locator(".diff .add").first).to_contain_text("W. Europe Standard Time")
    shot("script-diff")
    page.get_by_label("Approver notes").fill("Diff checked")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-status")).to_have_text("Approved")

    # Sam completes; the worker applies the edit and the laptops run the new version.
    complete_from_my_requests(person, "sam")
    page.get_by_role("link", name="Platform script Set time zone").click()
    reload_until(page, page.locator("#run-counts"), "Succeeded: 2")
    page.get_by_role("link", name="DESKTOP-ALICE").click()
    expect(page.locator("#device-scripts")).to_contain_text("Time zone is Europe")
    expect(page.locator("#device-scripts")).to_contain_text("Succeeded")
    shot("device-script-result")
