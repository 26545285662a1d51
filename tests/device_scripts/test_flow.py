"""Scripts and remediations through the approval flow: what approvers see, what devices report."""

import pytest

from approvals.models import ApprovalRequest, ExecutionStatus, RequestStatus
from approvals.operations import registry
from approvals.services import (
    ApprovalError,
    operation_start,
    request_approve,
    request_complete,
    request_execute,
)
from device_scripts.models import RunStatus, Script, ScriptAssignment, ScriptRun
from devices.services import device_check_in, devices_with_open_commands
from tests import factories as f

from .conftest import edit_payload, request_edit


def _approve_and_complete(st, request):
    request_approve(request_id=request.pk, approver=st.base.approver)
    request_complete(request_id=request.pk, actor=request.requestor)
    return request_execute(request_id=request.pk)


def _row(request, label):
    return next(row for row in request.summary if row["label"] == label)


def test_the_registry_lists_every_script_remediation_and_category_operation():
    codes = set(dict(registry.choices()))
    for kind in ("script", "remediation"):
        assert {f"{kind}.{a}" for a in ("create", "edit", "delete", "assign")} <= codes
    assert {"category.create", "category.edit", "category.delete"} <= codes
    assert {
        "device.wipe",
        "device.retire",
        "device.delete",
        "role.create",
        "role.edit",
        "role.delete",
        "assignment.create",
        "assignment.edit",
        "assignment.delete",
    } <= codes
    assert {"policy.create", "policy.edit", "policy.delete"} <= codes


def test_a_scripts_policy_covers_create_edit_delete_and_assign(st, scripts_policy):
    from approvals.selectors import covering_policy

    for kind in ("script", "remediation"):
        for action in ("create", "edit", "delete", "assign"):
            assert covering_policy(f"{kind}.{action}") == scripts_policy
    assert covering_policy("category.create") is None
    assert covering_policy("device.wipe") is None


def test_edit_shows_a_line_diff_and_every_changed_setting(st, scripts_policy):
    request = request_edit(
        st,
        body='Set-TimeZone -Id "W. Europe Standard Time"\nWrite-Output "done"\n',
        run_as="user",
    )
    assert request.status == RequestStatus.NEEDS_APPROVAL
    diff = _row(request, "Script")["diff"]
    assert ["-", 'Set-TimeZone -Id "UTC"'] in diff
    assert ["+", 'Set-TimeZone -Id "W. Europe Standard Time"'] in diff
    assert [" ", 'Write-Output "done"'] in diff
    run_as = _row(request, "Run this script using")
    assert (run_as["before"], run_as["after"]) == ("System", "Signed-in user")
    labels = [row["label"] for row in request.summary]
    assert "Name" not in labels  # unchanged settings are not listed as changes
    assert _row(request, "Devices that receive the change")["after"] == "2"
    # Nothing changed yet: the edit waits for approval and Complete.
    assert (
        Script.objects.get(pk=st.script.pk).body == 'Set-TimeZone -Id "UTC"\nWrite-Output "done"\n'
    )


def test_completed_edit_reaches_devices_which_report_results(st, scripts_policy):
    for laptop in st.laptops:
        device_check_in(device_id=laptop.pk)
    assert ScriptRun.objects.filter(script=st.script, status=RunStatus.SUCCEEDED).count() == 2

    request = request_edit(st, body='Write-Output "failing on purpose"\nexit 1\n')
    request = _approve_and_complete(st, request)
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    script = Script.objects.get(pk=st.script.pk)
    assert script.version == 2
    # The new version waits for each device's next check-in.
    pending = ScriptRun.objects.filter(script=script, status=RunStatus.PENDING)
    assert set(pending.values_list("device_id", flat=True)) == {d.pk for d in st.laptops}
    assert set(devices_with_open_commands()) >= {d.pk for d in st.laptops}
    device_check_in(device_id=st.laptops[0].pk)
    run = ScriptRun.objects.get(script=script, device=st.laptops[0])
    assert run.status == RunStatus.FAILED and run.script_version == 2
    assert "failing on purpose" in run.output and "exited with code 1" in run.output
    assert run.reported_at is not None


def test_the_mac_of_an_included_user_does_not_get_a_windows_script(st):
    device_ids = set(ScriptRun.objects.filter(script=st.script).values_list("device_id", flat=True))
    assert device_ids == {d.pk for d in st.laptops}


def test_complete_refuses_when_the_script_changed_after_the_request(st, scripts_policy):
    from device_scripts.services import script_update

    request = request_edit(st, body="Write-Output 'v2'\n")
    request_approve(request_id=request.pk, approver=st.base.approver)
    # Someone with direct access changes the script behind the request's back.
    script_update(
        actor=None,
        object_id=st.script.pk,
        state=edit_payload(st.script, body="Write-Output 'sneaky'\n")["state"],
    )
    with pytest.raises(ApprovalError, match="changed after the request was submitted"):
        request_complete(request_id=request.pk, actor=st.manager)
    assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED


def test_complete_refuses_a_payload_that_no_longer_matches_its_digest(st, scripts_policy):
    request = request_edit(st, body="Write-Output 'approved text'\n")
    request_approve(request_id=request.pk, approver=st.base.approver)
    payload = dict(request.payload)
    payload["state"] = {**payload["state"], "body": "Remove-Item C:\\ -Recurse\n"}
    ApprovalRequest.objects.filter(pk=request.pk).update(payload=payload)
    with pytest.raises(ApprovalError, match="does not match what was approved"):
        request_complete(request_id=request.pk, actor=st.manager)
    assert "approved text" not in Script.objects.get(pk=st.script.pk).body
    assert "Remove-Item" not in Script.objects.get(pk=st.script.pk).body


def test_deleting_an_assigned_script_shows_its_reach_and_removes_it_from_devices(
    st, scripts_policy
):
    request = operation_start(
        actor=st.manager,
        operation_code="script.delete",
        payload={"object_id": st.script.pk},
        justification="No longer needed",
    ).request
    assigned = _row(request, "Included groups")
    assert (assigned["before"], assigned["after"]) == ("Milan employees", "none")
    assert _row(request, "Devices reached")["before"] == "2"
    assert ["-", 'Set-TimeZone -Id "UTC"'] in _row(request, "Script")["diff"]
    request = _approve_and_complete(st, request)
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    assert not Script.objects.filter(pk=st.script.pk).exists()
    assert not ScriptAssignment.objects.exists() and not ScriptRun.objects.exists()
    assert not set(devices_with_open_commands()) & {d.pk for d in st.laptops}


def test_assign_shows_groups_added_and_removed_and_the_devices_reached(st, scripts_policy):
    london = f.group("London employees", [f.user("carol")])
    f.device("DESKTOP-CAROL", primary_user=london.members.get())
    request = operation_start(
        actor=st.base.hazel,  # Help Desk Operator may assign scripts
        operation_code="script.assign",
        payload={"object_id": st.script.pk, "groups": {"include": [london.pk], "exclude": []}},
        justification="Roll out to London",
    ).request
    assert _row(request, "Included groups: groups added")["after"] == "London employees"
    assert _row(request, "Included groups: groups removed")["after"] == "Milan employees"
    reached = _row(request, "Devices reached")
    assert (reached["before"], reached["after"]) == ("2", "1")
    _approve_and_complete(st, request)
    runs = ScriptRun.objects.filter(script=st.script)
    assert list(runs.values_list("device__name", flat=True)) == ["DESKTOP-CAROL"]


def test_remediation_runs_the_fix_when_detection_finds_the_issue(st):
    remediation = f.script(
        "Restart spooler",
        kind="remediation",
        body='Write-Output "Spooler stopped"\nexit 1\n',
        remediation_body='Start-Service Spooler\nWrite-Output "Spooler started"\n',
        schedule="daily",
    )
    from device_scripts.services import script_assign

    script_assign(actor=None, object_id=remediation.pk, groups={"include": [st.employees.pk]})
    device_check_in(device_id=st.laptops[0].pk)
    run = ScriptRun.objects.get(script=remediation, device=st.laptops[0])
    assert run.status == RunStatus.SUCCEEDED
    assert "Spooler started" in run.output and "Issue fixed" in run.output


def test_a_remediation_needs_its_remediation_script_and_a_schedule(st):
    state = edit_payload(st.script)["state"]
    with pytest.raises(Exception, match="Remediation script is empty"):
        operation_start(
            actor=st.manager,
            operation_code="remediation.create",
            payload={"state": {**state, "name": "Fix it", "schedule": "daily"}},
        )


def test_without_a_policy_a_script_change_runs_at_once(st):
    outcome = operation_start(
        actor=st.manager,
        operation_code="script.edit",
        payload=edit_payload(st.script, description="Now documented"),
    )
    assert not outcome.needs_approval and "updated" in outcome.result
    assert Script.objects.get(pk=st.script.pk).description == "Now documented"
