"""Apps through the approval flow: add, edit, assign with intents, delete; installs at check-in."""

import pytest

from approvals.models import ApprovalRequest, ExecutionStatus, RequestStatus
from approvals.selectors import covering_policy
from approvals.services import ApprovalError, request_approve, request_complete
from devices.services import device_check_in
from mobile_apps.models import AppInstall, InstallStatus, MobileApp
from mobile_apps.services import app_state, app_update
from tests import factories as f
from tests.conftest import activate_policy

from .conftest import approve_and_run, row, start


@pytest.fixture
def apps_policy(wt):
    return activate_policy(wt.base, "apps")


def edit_payload(app, **changes) -> dict:
    state = {k: v for k, v in app_state(app).items() if k != "assignments"}
    return {"object_id": app.pk, "state": {**state, **changes}}


def test_an_apps_policy_covers_add_edit_delete_and_assign(wt, apps_policy):
    for action in ("create", "edit", "delete", "assign"):
        assert covering_policy(f"app.{action}") == apps_policy
    assert covering_policy("compliance.create") is None


@pytest.mark.parametrize(
    "app_type, fields",
    [
        (
            "win32",
            {
                "install_command": "setup.exe /S",
                "uninstall_command": "uninstall.exe /S",
                "detection_type": "registry",
                "detection_value": r"HKLM\Software\Zoom",
            },
        ),
        ("microsoft_store", {"package_identifier": "9WZDNCRFJ3PZ"}),
        (
            "ios_store",
            {
                "app_store_url": "https://apps.apple.com/app/id1113153706",
                "bundle_id": "com.microsoft.skype.teams",
            },
        ),
        ("android_play", {"package_name": "com.microsoft.teams"}),
        ("web_link", {"app_url": "https://myapps.microsoft.com"}),
    ],
)
def test_adding_each_type_of_app_waits_for_approval_then_creates_it(
    wt, apps_policy, app_type, fields
):
    state = {
        "app_type": app_type,
        "name": f"New {app_type}",
        "publisher": "Microsoft",
        "app_version": "1.2",
        "description": "",
        **fields,
    }
    request = start(wt.app_manager, "app.create", {"state": state})
    assert request.status == RequestStatus.NEEDS_APPROVAL
    assert not MobileApp.objects.filter(name=f"New {app_type}").exists()
    labels = {r["label"] for r in request.summary}
    assert "App type" in labels and "Publisher" in labels
    request = approve_and_run(wt, request)
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    app = MobileApp.objects.get(name=f"New {app_type}")
    assert app.app_type == app_type and all(getattr(app, k) == v for k, v in fields.items())


def test_a_type_field_left_empty_is_refused_on_submit(wt, apps_policy):
    from approvals.operations import OperationError

    state = {
        "app_type": "android_play",
        "name": "Teams",
        "publisher": "Microsoft",
        "app_version": "",
        "description": "",
        "package_name": " ",
    }
    with pytest.raises(OperationError, match="Package name is required"):
        start(wt.app_manager, "app.create", {"state": state})


def test_assign_shows_intents_gained_and_devices_reached_then_installs_at_check_in(wt, apps_policy):
    request = start(
        wt.base.hazel,  # Help Desk Operator may assign apps
        "app.assign",
        {"object_id": wt.app.pk, "groups": {"required": [wt.employees.pk], "exclude": []}},
    )
    required = row(request, "Required")
    assert (required["before"], required["after"]) == ("none", "Milan employees")
    assert row(request, "Required: groups added")["after"] == "Milan employees"
    reached = row(request, "Devices reached")
    assert (reached["before"], reached["after"]) == ("0", "2")  # the laptops, not the iPhone
    assert not AppInstall.objects.exists()
    approve_and_run(wt, request)
    installs = AppInstall.objects.filter(app=wt.app)
    assert set(installs.values_list("device_id", flat=True)) == {d.pk for d in wt.laptops}
    assert set(installs.values_list("status", flat=True)) == {InstallStatus.PENDING}
    device_check_in(device_id=wt.laptops[0].pk)
    install = installs.get(device=wt.laptops[0])
    assert install.status == InstallStatus.INSTALLED and install.reported_at
    assert installs.get(device=wt.laptops[1]).status == InstallStatus.PENDING


def test_exclusion_wins_and_uninstall_removes_the_app(wt):
    from mobile_apps.services import app_assign

    bob_only = f.group("Bob", [wt.laptops[1].primary_user])
    app_assign(
        actor=None,
        object_id=wt.app.pk,
        groups={"required": [wt.employees.pk], "exclude": [bob_only.pk]},
    )
    assert list(AppInstall.objects.values_list("device_id", flat=True)) == [wt.laptops[0].pk]
    app_assign(actor=None, object_id=wt.app.pk, groups={"uninstall": [wt.employees.pk]})
    device_check_in(device_id=wt.laptops[1].pk)
    install = AppInstall.objects.get(device=wt.laptops[1])
    assert (install.intent, install.status) == ("uninstall", InstallStatus.NOT_INSTALLED)


def test_a_group_with_two_intents_is_refused(wt, apps_policy):
    from approvals.operations import OperationError

    groups = {"required": [wt.employees.pk], "available": [wt.employees.pk]}
    with pytest.raises(OperationError, match="only one assignment"):
        start(wt.base.hazel, "app.assign", {"object_id": wt.app.pk, "groups": groups})


def test_edit_lists_changed_fields_and_a_failing_install_is_reported(wt, apps_policy):
    from mobile_apps.services import app_assign

    app_assign(actor=None, object_id=wt.app.pk, groups={"required": [wt.employees.pk]})
    for laptop in wt.laptops:
        device_check_in(device_id=laptop.pk)
    request = start(
        wt.app_manager,
        "app.edit",
        edit_payload(wt.app, app_version="25.01", install_command="setup.exe && exit 1"),
    )
    version = row(request, "Version")
    assert (version["before"], version["after"]) == ("24.09", "25.01")
    assert "Publisher" not in {r["label"] for r in request.summary}
    assert row(request, "Devices that receive the change")["after"] == "2"
    approve_and_run(wt, request)
    assert MobileApp.objects.get(pk=wt.app.pk).revision == 2
    device_check_in(device_id=wt.laptops[0].pk)
    install = AppInstall.objects.get(app=wt.app, device=wt.laptops[0])
    assert install.status == InstallStatus.FAILED and "0x87D1041C" in install.detail


def test_delete_shows_its_reach_and_removes_installs(wt, apps_policy):
    from mobile_apps.services import app_assign

    app_assign(actor=None, object_id=wt.app.pk, groups={"required": [wt.employees.pk]})
    request = start(wt.app_manager, "app.delete", {"object_id": wt.app.pk})
    assert row(request, "Required")["before"] == "Milan employees"
    assert row(request, "Devices reached")["before"] == "2"
    approve_and_run(wt, request)
    assert not MobileApp.objects.filter(pk=wt.app.pk).exists()
    assert not AppInstall.objects.exists()


def test_complete_refuses_when_the_app_changed_after_the_request(wt, apps_policy):
    request = start(wt.app_manager, "app.edit", edit_payload(wt.app, app_version="25.01"))
    request_approve(request_id=request.pk, approver=wt.base.approver)
    app_update(
        actor=None, object_id=wt.app.pk, state=edit_payload(wt.app, publisher="Igor")["state"]
    )
    with pytest.raises(ApprovalError, match="changed after the request was submitted"):
        request_complete(request_id=request.pk, actor=wt.app_manager)
    assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED


def test_complete_refuses_a_payload_that_no_longer_matches_its_digest(wt, apps_policy):
    request = start(wt.app_manager, "app.edit", edit_payload(wt.app, app_version="25.01"))
    request_approve(request_id=request.pk, approver=wt.base.approver)
    payload = dict(request.payload)
    payload["state"] = {**payload["state"], "install_command": "evil.exe"}
    ApprovalRequest.objects.filter(pk=request.pk).update(payload=payload)
    with pytest.raises(ApprovalError, match="does not match what was approved"):
        request_complete(request_id=request.pk, actor=wt.app_manager)
    assert MobileApp.objects.get(pk=wt.app.pk).install_command != "evil.exe"


def test_a_group_deleted_before_the_assignment_runs_is_refused_with_its_reason(wt):
    """The worker's write checks the groups again: one deleted after validation is refused by
    name, and the app's assignment is left as it was."""
    from approvals.operations import OperationError
    from mobile_apps.services import app_assign

    gone = f.group("Temporary testers", [])
    gone_id = gone.pk
    gone.delete()
    before = list(wt.app.assignments.values_list("group_id", "mode"))
    with pytest.raises(OperationError, match="no longer exists"):
        app_assign(actor=None, object_id=wt.app.pk, groups={"required": [gone_id]})
    assert list(wt.app.assignments.values_list("group_id", "mode")) == before
