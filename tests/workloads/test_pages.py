"""The Apps, Compliance policies and Configuration policies pages: who may open what, forms
that file requests and keep what was typed, device panels, and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import ApprovalRequest, RequestStatus
from device_policies.forms import field_name
from device_policies.models import DevicePolicy
from device_policies.services import policy_assign
from devices.services import device_check_in
from mobile_apps.models import MobileApp
from mobile_apps.services import app_assign
from rbac.models import User
from tests import factories as f
from tests.conftest import activate_policy
from tests.pages import assert_permission_matrix


@pytest.fixture
def pages(wt):
    app, comp, conf = wt.app.pk, wt.compliance.pk, wt.configuration.pk
    # url: who gets 200 (Read Only Operator reads, managers write, Help Desk assigns); a user
    # without the permission gets 403.
    pages = {
        reverse("mobile_apps:list"): "approver",
        reverse("mobile_apps:detail", args=[app]): "approver",
        reverse("mobile_apps:create", args=["win32"]): "appie",
        reverse("mobile_apps:create", args=["web_link"]): "appie",
        reverse("mobile_apps:edit", args=[app]): "appie",
        reverse("mobile_apps:delete", args=[app]): "appie",
        reverse("mobile_apps:assign", args=[app]): "hazel",
    }
    for prefix, pk in [("compliance", comp), ("configuration", conf)]:
        pages |= {
            reverse(f"device_policies:{prefix}_list"): "approver",
            reverse(f"device_policies:{prefix}_detail", args=[pk]): "approver",
            reverse(f"device_policies:{prefix}_create", args=["windows"]): "sam",
            reverse(f"device_policies:{prefix}_create", args=["android"]): "sam",
            reverse(f"device_policies:{prefix}_edit", args=[pk]): "sam",
            reverse(f"device_policies:{prefix}_delete", args=[pk]): "sam",
            reverse(f"device_policies:{prefix}_assign", args=[pk]): "hazel",
        }
    return pages


def test_permission_matrix_of_the_new_pages(client, pages):
    assert_permission_matrix(client, pages)


def test_managers_cannot_cross_workloads_and_help_desk_only_assigns(client, wt):
    client.force_login(User.objects.get(username="appie"))  # Application Manager
    assert client.get(reverse("device_policies:compliance_list")).status_code == 403
    client.force_login(User.objects.get(username="sam"))  # Policy and Profile Manager
    assert client.get(reverse("mobile_apps:list")).status_code == 403
    client.force_login(wt.base.hazel)
    assert client.get(reverse("mobile_apps:edit", args=[wt.app.pk])).status_code == 403
    body = client.get(reverse("mobile_apps:detail", args=[wt.app.pk])).content.decode()
    assert ">Assign<" in body and ">Edit<" not in body and ">Delete<" not in body


def test_unknown_app_type_or_platform_is_404(client, wt):
    client.force_login(User.objects.get(username="appie"))
    assert client.get("/apps/new/floppy/").status_code == 404
    client.force_login(User.objects.get(username="sam"))
    assert client.get("/devices/compliance/new/os2/").status_code == 404
    # A configuration policy is not reachable under the compliance pages.
    assert client.get(f"/devices/compliance/{wt.configuration.pk}/").status_code == 404


def test_the_access_policy_form_offers_all_seven_workloads(client, wt):
    client.force_login(wt.base.policy_admin)
    body = client.get(reverse("approvals:policy_create")).content.decode()
    for label in [
        "Apps",
        "Compliance policies",
        "Configuration policies",
        "Device actions",
        "Role-based access control",
        "Scripts",
        "Tenant configuration",
    ]:
        assert f">{label}" in body, label


def test_add_app_form_files_a_request_and_a_refusal_keeps_what_was_typed(client, wt):
    activate_policy(wt.base, "apps")
    client.force_login(User.objects.get(username="appie"))
    url = reverse("mobile_apps:create", args=["android_play"])
    data = {
        "name": "Teams",
        "publisher": "Microsoft",
        "package_name": "com.microsoft.teams",
        "justification": "Needed by sales",
    }
    response = client.post(url, data)
    request = ApprovalRequest.objects.get(operation_type="app.create")
    assert response.url == reverse("approvals:request_detail", args=[request.pk])
    assert request.payload["state"]["package_name"] == "com.microsoft.teams"
    assert not MobileApp.objects.filter(name="Teams").exists()
    # The same app again: one open request per object; the form keeps the typing.
    response = client.post(url, {**data, "publisher": "Kept publisher"})
    body = response.content.decode()
    assert response.status_code == 200 and "Open request #" in body
    assert "Kept publisher" in body


def test_policy_form_turns_choices_into_typed_settings(client, wt):
    activate_policy(wt.base, "configuration")
    client.force_login(User.objects.get(username="sam"))
    url = reverse("device_policies:configuration_create", args=["windows"])
    data = {
        "name": "Updates",
        field_name("update.defer_quality_updates_days"): "14",
        field_name("camera.allow_camera"): "false",
        field_name("system.allow_telemetry"): "1",
        "justification": "Patch ring 2",
    }
    client.post(url, data)
    request = ApprovalRequest.objects.get(operation_type="configuration.create")
    assert request.payload["state"]["settings"] == {
        "update.defer_quality_updates_days": 14,
        "camera.allow_camera": False,
        "system.allow_telemetry": "1",
    }
    # Out of range: refused on the field, the rest kept.
    response = client.post(
        url, {**data, field_name("update.defer_quality_updates_days"): "99", "name": "Kept name"}
    )
    body = response.content.decode()
    assert "less than or equal to 30" in body and "Kept name" in body
    # Nothing configured: refused.
    response = client.post(url, {"name": "Empty", "justification": "x"})
    assert "Configure at least one setting." in response.content.decode()


def test_edit_form_starts_from_the_policy_and_shows_the_diff_to_the_approver(client, wt):
    activate_policy(wt.base, "configuration")
    client.force_login(User.objects.get(username="sam"))
    url = reverse("device_policies:configuration_edit", args=[wt.configuration.pk])
    form = client.get(url).context["form"]
    assert form.initial[field_name("camera.allow_camera")] == "true"
    data = {
        "name": wt.configuration.name,
        field_name("defender.allow_realtime_monitoring"): "true",
        field_name("camera.allow_camera"): "false",
        "justification": "Camera off",
    }
    client.post(url, data)
    request = ApprovalRequest.objects.get(operation_type="configuration.edit")
    client.force_login(wt.base.approver)
    page = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert "Allow Camera" in page and "Allowed" in page and "Blocked" in page
    assert request.status == RequestStatus.NEEDS_APPROVAL


def test_device_page_shows_apps_compliance_and_configuration_and_policy_page_conflicts(client, wt):
    app_assign(actor=None, object_id=wt.app.pk, groups={"required": [wt.employees.pk]})
    include = {"include": [wt.employees.pk], "exclude": []}
    policy_assign(actor=None, object_id=wt.compliance.pk, groups=include)
    policy_assign(actor=None, object_id=wt.configuration.pk, groups=include)
    other = f.device_policy(
        "Camera off", family="configuration", settings={"camera.allow_camera": False}
    )
    policy_assign(actor=None, object_id=other.pk, groups=include)
    bob_pc = wt.laptops[1]
    device_check_in(device_id=bob_pc.pk)
    client.force_login(wt.base.approver)  # Read Only Operator: reads all three
    page = client.get(reverse("devices:detail", args=[bob_pc.pk])).content.decode()
    assert "7-Zip" in page and "Installed" in page
    assert "Windows baseline" in page and "Not encrypted" in page and "Not compliant" in page
    # The properties the rules measured are on the page too.
    assert "Not encrypted · Password of 8 characters · Firewall on · Antivirus on" in page
    assert "Conflict with Camera off" in page
    # The device history says it in words.
    assert "The device installed 7-Zip (Required)" in page
    assert "The device is not compliant with Windows baseline" in page
    assert "The device reports a settings conflict in Defender on" in page
    page = client.get(reverse("device_policies:configuration_detail", args=[other.pk]))
    body = page.content.decode()
    assert "Conflict: 1" in body and "also set by Defender on" in body
    page = client.get(reverse("mobile_apps:detail", args=[wt.app.pk])).content.decode()
    assert "Installed: 1" in page and "Pending: 1" in page


@pytest.mark.parametrize(
    "url_name, make",
    [
        ("mobile_apps:list", lambda: f.app()),
        (
            "device_policies:compliance_list",
            lambda: f.device_policy(family="compliance", settings={"password.required": True}),
        ),
        (
            "device_policies:configuration_list",
            lambda: f.device_policy(family="configuration", settings={"camera.allow_camera": True}),
        ),
    ],
)
def test_list_query_count_does_not_grow_with_rows(client, wt, url_name, make):
    client.force_login(wt.base.approver)
    url = reverse(url_name)
    client.get(url)  # resolves and caches the user's access
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(20):
        make()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 10


def test_detail_query_count_does_not_grow_with_devices(client, wt):
    include = {"include": [wt.employees.pk], "exclude": []}
    policy_assign(actor=None, object_id=wt.configuration.pk, groups=include)
    client.force_login(wt.base.approver)
    url = reverse("device_policies:configuration_detail", args=[wt.configuration.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(15):
        f.device(f"EXTRA-{i}", primary_user=wt.laptops[0].primary_user)
    policy_assign(actor=None, object_id=wt.configuration.pk, groups=include)
    assert DevicePolicy.objects.get(pk=wt.configuration.pk).states.count() == 17
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_workload_lists_search_and_filter(client, wt):
    f.app("Notepad Plus", app_type="web_link", publisher="Notepad Team")
    f.script("Clear temp", platform="macos")
    f.device_policy(
        "Mac baseline",
        family="compliance",
        platform="macos",
        settings={"encryption.required": True},
    )
    client.force_login(User.objects.get(username="approver"))

    def names(url, **query):
        return client.get(reverse(url), query).content.decode()

    apps = names("mobile_apps:list", q="notepad team")
    assert "Notepad Plus" in apps and wt.app.name not in apps
    apps = names("mobile_apps:list", app_type="web_link")
    assert "Notepad Plus" in apps and wt.app.name not in apps
    scripts = names("device_scripts:list", q="clear", platform="macos")
    assert "Clear temp" in scripts
    assert "Clear temp" not in names("device_scripts:list", kind="remediation")
    policies = names("device_policies:compliance_list", platform="macos")
    assert "Mac baseline" in policies and wt.compliance.name not in policies
    # A platform that does not exist is named, not silently ignored.
    assert "Select a valid choice" in names("device_policies:compliance_list", platform="beos")
