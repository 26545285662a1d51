"""Stories for apps, compliance and configuration: request, approve, complete, and the devices
show the result. Visible labels only."""

import re

import pytest
from playwright.sync_api import expect

from device_policies.services import policy_assign
from devices.services import device_check_in
from tests import factories as f
from tests.conftest import activate_policy
from tests.e2e.test_stories import complete_from_my_requests, reload_until
from tests.workloads.conftest import build_workload_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def field(page, label: str):
    """A form field by its visible label, which ends in " *" when required."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def hazel_assigns(person, *, menu: str, name: str, intent: str, why: str) -> None:
    """Hazel (help desk) opens the object from its menu and assigns Milan employees."""
    page = person.page
    person.sign_in("hazel")
    page.get_by_role("link", name=menu).click()
    page.get_by_role("link", name=name).click()
    page.get_by_role("link", name="Assign").click()
    page.get_by_role("group", name=intent).get_by_label("Milan employees").check()
    page.get_by_label("Business justification").fill(why)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This operation requires approval")).to_be_visible()


def approve_newest(person, note: str, *, expect_text: list[str]) -> None:
    page = person.page
    person.sign_in("approver")
    page.get_by_role("link", name="Admin tasks").click()
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    for text in expect_text:
        expect(page.locator("main")).to_contain_text(text)
    page.get_by_label("Approver notes").fill(note)
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-status")).to_have_text("Approved")


def test_story_an_app_is_added_then_required_and_installs_on_the_laptops(person, worker, shot):
    wt = build_workload_tenant()
    activate_policy(wt.base, "apps")
    page = person.page

    # The Application Manager adds a Win32 app; it needs approval.
    person.sign_in("appie")
    page.get_by_role("link", name="Apps").click()
    page.get_by_text("Add app").click()
    page.get_by_role("link", name="Windows app (Win32)").click()
    field(page, "Name").fill("Notepad++")
    field(page, "Publisher").fill("Notepad++ Team")
    field(page, "Version").fill("8.7.4")
    field(page, "Install command").fill("npp.8.7.4.Installer.x64.exe /S")
    field(page, "Uninstall command").fill('"%ProgramFiles%\\Notepad++\\uninstall.exe" /S')
    field(page, "Detection rule type").select_option(label="File or folder exists")
    field(page, "Detection rule").fill(r"C:\Program Files\Notepad++\notepad++.exe")
    page.get_by_label("Business justification").fill("Developers asked for it")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This operation requires approval")).to_be_visible()

    approve_newest(person, "Known publisher", expect_text=["Notepad++ Team", "npp.8.7.4"])
    complete_from_my_requests(person, "appie")

    # Hazel (help desk) makes it Required for the Milan employees.
    hazel_assigns(person, menu="Apps", name="Notepad++", intent="Required", why="Developers")

    approve_newest(person, "Two laptops", expect_text=["Required: groups added", "Devices reached"])
    shot("app-assign-approved")
    complete_from_my_requests(person, "hazel")

    # The worker assigns it; at check-in both laptops install it.
    person.sign_in("approver")
    page.get_by_role("link", name="Apps").click()
    page.get_by_role("link", name="Notepad++").click()
    reload_until(page, page.locator("#install-counts"), "Installed: 2")
    page.get_by_role("link", name="DESKTOP-ALICE").click()
    expect(page.locator("#device-apps")).to_contain_text("Notepad++")
    expect(page.locator("#device-apps")).to_contain_text("Installed")
    shot("device-apps")


def test_story_a_compliance_rule_added_by_edit_marks_an_old_laptop_noncompliant(
    person, worker, shot
):
    wt = build_workload_tenant()
    activate_policy(wt.base, "compliance")
    old = f.device(
        "DESKTOP-OLD", primary_user=wt.laptops[0].primary_user, os_version="10.0.19045.5247"
    )
    include = {"include": [wt.employees.pk], "exclude": []}
    policy_assign(actor=None, object_id=wt.compliance.pk, groups=include)
    for device in [*wt.laptops, old]:
        device_check_in(device_id=device.pk)
    page = person.page

    # Sam raises the minimum OS version to Windows 11 24H2.
    person.sign_in("sam")
    page.get_by_role("link", name="Compliance policies").click()
    page.get_by_role("link", name="Windows baseline").click()
    page.get_by_role("link", name="Edit").click()
    field(page, "Minimum OS version").fill("10.0.26100")
    field(page, "Firewall").select_option(label="Require")
    page.get_by_label("Business justification").fill("Windows 10 is out of support")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This operation requires approval")).to_be_visible()

    approve_newest(person, "Agreed", expect_text=["10.0.22631", "10.0.26100", "Firewall"])
    complete_from_my_requests(person, "sam")

    # The devices evaluate the new rules; the old laptop is noncompliant, naming the rule.
    page.get_by_role("link", name="Compliance policy Windows baseline").click()
    reload_until(page, page.locator("#status-counts"), "Not compliant: 2")
    page.get_by_role("link", name="DESKTOP-OLD").click()
    panel = page.locator("#device-compliance")
    expect(panel).to_contain_text("Not compliant")
    expect(panel).to_contain_text("Minimum OS version: requires 10.0.26100, device has 10.0.19045")
    shot("device-noncompliant")


def test_story_assigning_a_second_policy_shows_a_settings_conflict(person, worker, shot):
    wt = build_workload_tenant()
    activate_policy(wt.base, "configuration")
    include = {"include": [wt.employees.pk], "exclude": []}
    policy_assign(actor=None, object_id=wt.configuration.pk, groups=include)
    f.device_policy(
        "Camera off",
        family="configuration",
        settings={"camera.allow_camera": False, "firewall.public_enable": True},
    )
    page = person.page

    # Hazel assigns the existing "Camera off" policy to Milan.
    hazel_assigns(
        person,
        menu="Configuration policies",
        name="Camera off",
        intent="Included groups",
        why="Lab rules",
    )

    approve_newest(person, "OK", expect_text=["Included groups: groups added"])
    complete_from_my_requests(person, "hazel")

    # Both policies set Allow Camera, differently: a conflict on the devices and the policy.
    page.get_by_role("link", name="Configuration policy Camera off").click()
    reload_until(page, page.locator("#status-counts"), "Conflict: 2")
    expect(page.locator("#policy-devices")).to_contain_text("also set by Defender on")
    page.get_by_role("link", name="DESKTOP-BOB").click()
    panel = page.locator("#device-configuration")
    expect(panel).to_contain_text("Conflict with Defender on")
    expect(
        panel.get_by_role("row", name=re.compile("Enable Public Network Firewall"))
    ).to_contain_text("Succeeded")
    shot("device-conflict")
