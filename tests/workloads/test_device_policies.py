"""Compliance and configuration policies through the approval flow, and what devices do with
them at check-in: rules evaluated against their properties, settings applied or in conflict."""

from datetime import timedelta

import pytest
from django.core import mail

from approvals.models import ApprovalRequest, ExecutionStatus, RequestStatus
from approvals.operations import OperationError
from approvals.selectors import covering_policy
from approvals.services import ApprovalError, request_approve, request_complete
from device_policies.models import DevicePolicy, DeviceStatus, PolicyDeviceState
from device_policies.services import policy_assign, policy_state, policy_update
from devices.models import Compliance, Device
from devices.services import device_check_in
from tests import factories as f
from tests.conftest import activate_policy

from .conftest import approve_and_run, row, start

FAMILIES = ["compliance", "configuration"]


def _policy(wt, family):
    return wt.compliance if family == "compliance" else wt.configuration


def edit_payload(policy, **changes) -> dict:
    state = {k: v for k, v in policy_state(policy).items() if k != "assignments"}
    return {"object_id": policy.pk, "state": {**state, **changes}}


def _include(policy, group):
    policy_assign(actor=None, object_id=policy.pk, groups={"include": [group.pk], "exclude": []})


def _state(policy, device) -> PolicyDeviceState:
    return PolicyDeviceState.objects.get(policy=policy, device=device)


@pytest.mark.parametrize("family", FAMILIES)
def test_each_workload_policy_covers_its_own_four_operations(wt, family):
    access_policy = activate_policy(wt.base, family)
    for action in ("create", "edit", "delete", "assign"):
        assert covering_policy(f"{family}.{action}") == access_policy
    other = {"compliance": "configuration", "configuration": "compliance"}[family]
    assert covering_policy(f"{other}.create") is None


@pytest.mark.parametrize(
    "family, values",
    [
        ("compliance", {"password.required": True, "password.minimum_length": 8}),
        (
            "configuration",
            {
                "update.defer_quality_updates_days": 7,
                "edge.homepage_location": "https://contoso.example",
            },
        ),
    ],
)
def test_create_waits_for_approval_and_lists_every_setting(wt, family, values):
    activate_policy(wt.base, family)
    state = {
        "family": family,
        "name": "New policy",
        "description": "",
        "platform": "windows",
        "settings": values,
    }
    if family == "compliance":
        state |= {"noncompliant_after_days": 3, "notify_user": True}
    request = start(wt.policy_manager, f"{family}.create", {"state": state})
    assert request.status == RequestStatus.NEEDS_APPROVAL
    assert not DevicePolicy.objects.filter(name="New policy").exists()
    if family == "compliance":
        assert row(request, "Minimum password length")["after"] == "8"
        assert row(request, "Mark device noncompliant after (days)")["after"] == "3"
    else:
        assert row(request, "Defer Quality Updates Period (Days)")["after"] == "7 days"
        assert row(request, "Configure the home page URL")["after"] == "https://contoso.example"
    approve_and_run(wt, request)
    assert DevicePolicy.objects.get(name="New policy", family=family).settings == values


def test_a_setting_of_another_platform_or_out_of_range_is_refused(wt):
    base = {"family": "configuration", "name": "Bad", "description": "", "platform": "windows"}
    with pytest.raises(OperationError, match="does not apply to Windows"):
        start(
            wt.policy_manager,
            "configuration.create",
            {"state": {**base, "settings": {"ios.allow_screen_shot": False}}},
        )
    with pytest.raises(OperationError, match="at most 30"):
        start(
            wt.policy_manager,
            "configuration.create",
            {"state": {**base, "settings": {"update.defer_quality_updates_days": 90}}},
        )


def test_configuration_edit_shows_a_diff_setting_by_setting(wt):
    activate_policy(wt.base, "configuration")
    _include(wt.configuration, wt.employees)
    settings = {
        "defender.allow_realtime_monitoring": True,  # unchanged
        "camera.allow_camera": False,  # changed
        "storage.removable_deny_all": True,  # added
    }
    request = start(
        wt.policy_manager, "configuration.edit", edit_payload(wt.configuration, settings=settings)
    )
    camera = row(request, "Allow Camera")
    assert (camera["before"], camera["after"]) == ("Allowed", "Blocked")
    usb = row(request, "All Removable Storage classes: Deny all access")
    assert (usb["before"], usb["after"]) == ("Not configured", "Enabled")
    assert "Allow Realtime Monitoring" not in {r["label"] for r in request.summary}
    assert row(request, "Devices that receive the change")["after"] == "2"
    approve_and_run(wt, request)
    policy = DevicePolicy.objects.get(pk=wt.configuration.pk)
    assert policy.settings == settings and policy.version == 2
    assert set(policy.states.values_list("status", flat=True)) == {DeviceStatus.PENDING}


def test_removing_a_setting_shows_not_configured(wt):
    activate_policy(wt.base, "configuration")
    request = start(
        wt.policy_manager,
        "configuration.edit",
        edit_payload(wt.configuration, settings={"camera.allow_camera": True}),
    )
    removed = row(request, "Allow Realtime Monitoring")
    assert (removed["before"], removed["after"]) == ("Allowed", "Not configured")


@pytest.mark.parametrize("family", FAMILIES)
def test_assign_and_delete_through_the_flow(wt, family):
    activate_policy(wt.base, family)
    policy = _policy(wt, family)
    request = start(
        wt.base.hazel,
        f"{family}.assign",  # Help Desk Operator may assign
        {"object_id": policy.pk, "groups": {"include": [wt.employees.pk], "exclude": []}},
    )
    assert row(request, "Included groups: groups added")["after"] == "Milan employees"
    assert (
        row(request, "Devices reached")["before"],
        row(request, "Devices reached")["after"],
    ) == ("0", "2")
    approve_and_run(wt, request)
    assert policy.states.count() == 2
    request = start(wt.policy_manager, f"{family}.delete", {"object_id": policy.pk})
    assert row(request, "Included groups")["before"] == "Milan employees"
    assert approve_and_run(wt, request).execution_status == ExecutionStatus.SUCCEEDED
    assert not DevicePolicy.objects.filter(pk=policy.pk).exists()
    assert not PolicyDeviceState.objects.filter(policy_id=policy.pk).exists()


@pytest.mark.parametrize("family", FAMILIES)
def test_complete_refuses_when_the_policy_changed_or_the_digest_differs(wt, family):
    activate_policy(wt.base, family)
    policy = _policy(wt, family)
    changed = edit_payload(policy, description="approved text")
    request = start(wt.policy_manager, f"{family}.edit", changed)
    request_approve(request_id=request.pk, approver=wt.base.approver)
    tampered = {**request.payload, "state": {**request.payload["state"], "description": "evil"}}
    ApprovalRequest.objects.filter(pk=request.pk).update(payload=tampered)
    with pytest.raises(ApprovalError, match="does not match what was approved"):
        request_complete(request_id=request.pk, actor=wt.policy_manager)
    ApprovalRequest.objects.filter(pk=request.pk).update(payload=request.payload)
    policy_update(
        actor=None,
        object_id=policy.pk,
        state=edit_payload(policy, description="behind its back")["state"],
    )
    with pytest.raises(ApprovalError, match="changed after the request was submitted"):
        request_complete(request_id=request.pk, actor=wt.policy_manager)
    assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
    assert DevicePolicy.objects.get(pk=policy.pk).description == "behind its back"


# Compliance: devices evaluate the rules against their own properties.


def test_compliance_rules_are_evaluated_against_device_properties(wt):
    _include(wt.compliance, wt.employees)
    alice_pc, bob_pc = wt.laptops
    assert (
        Device.objects.get(pk=alice_pc.pk).compliance_state == Compliance.COMPLIANT
    )  # factory default
    for laptop in wt.laptops:
        device_check_in(device_id=laptop.pk)
    assert _state(wt.compliance, alice_pc).status == DeviceStatus.COMPLIANT
    bob_state = _state(wt.compliance, bob_pc)
    assert bob_state.status == DeviceStatus.NONCOMPLIANT  # 0 days: noncompliant at once
    assert bob_state.details["failed"] == [
        {
            "key": "encryption.required",
            "rule": "Require encryption (BitLocker on Windows, FileVault on macOS)",
            "required": "Require",
            "actual": "Not encrypted",
        }
    ]
    assert Device.objects.get(pk=bob_pc.pk).compliance_state == Compliance.NONCOMPLIANT
    assert Device.objects.get(pk=alice_pc.pk).compliance_state == Compliance.COMPLIANT


@pytest.mark.parametrize(
    "properties, rules, failing",
    [
        (
            {"os_version": "10.0.19045.5247"},
            {"os.minimum_version": "10.0.22631"},
            "Minimum OS version",
        ),
        (
            {"os_version": "10.0.26200.1"},
            {"os.maximum_version": "10.0.26100.9999"},
            "Maximum OS version",
        ),
        (
            {"password_length": 0},
            {"password.required": True},
            "Require a password to unlock devices",
        ),
        ({"password_length": 6}, {"password.minimum_length": 8}, "Minimum password length"),
        ({"firewall_enabled": False}, {"windows.firewall_required": True}, "Firewall"),
        ({"antivirus_enabled": False}, {"windows.antivirus_required": True}, "Antivirus"),
    ],
)
def test_each_windows_rule_fails_the_device_that_breaks_it(wt, properties, rules, failing):
    user = f.user("carol")
    device = f.device("DESKTOP-CAROL", primary_user=user, **properties)
    healthy = f.device("DESKTOP-DAVE", primary_user=f.user("dave"))
    group = f.group("Test devices", [user, healthy.primary_user])
    policy = f.device_policy("Rule", family="compliance", settings=rules)
    _include(policy, group)
    device_check_in(device_id=device.pk)
    device_check_in(device_id=healthy.pk)
    assert [x["rule"] for x in _state(policy, device).details["failed"]] == [failing]
    assert _state(policy, healthy).status == DeviceStatus.COMPLIANT


def test_a_jailbroken_iphone_fails_and_a_grace_period_delays_noncompliance(
    wt, django_capture_on_commit_callbacks
):
    alice = wt.iphone.primary_user
    Device.objects.filter(pk=wt.iphone.pk).update(jailbroken=True)
    policy = f.device_policy(
        "iOS baseline",
        family="compliance",
        platform="ios",
        settings={"device.block_jailbroken": True},
        noncompliant_after_days=3,
        notify_user=True,
    )
    _include(policy, f.group("Alice", [alice]))
    with django_capture_on_commit_callbacks(execute=True):
        device_check_in(device_id=wt.iphone.pk)
    state = _state(policy, wt.iphone)
    assert state.status == DeviceStatus.IN_GRACE
    assert Device.objects.get(pk=wt.iphone.pk).compliance_state == Compliance.IN_GRACE
    assert mail.outbox == []  # in grace: nobody is told yet
    PolicyDeviceState.objects.filter(pk=state.pk).update(
        failing_since=state.failing_since - timedelta(days=3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        device_check_in(device_id=wt.iphone.pk)
    assert _state(policy, wt.iphone).status == DeviceStatus.NONCOMPLIANT
    assert Device.objects.get(pk=wt.iphone.pk).compliance_state == Compliance.NONCOMPLIANT
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "Jailbroken or rooted devices" in mail.outbox[0].body


def test_a_device_left_without_compliance_policy_is_compliant_again(wt):
    _include(wt.compliance, wt.employees)
    device_check_in(device_id=wt.laptops[1].pk)
    assert Device.objects.get(pk=wt.laptops[1].pk).compliance_state == Compliance.NONCOMPLIANT
    policy_assign(actor=None, object_id=wt.compliance.pk, groups={"include": [], "exclude": []})
    assert Device.objects.get(pk=wt.laptops[1].pk).compliance_state == Compliance.COMPLIANT


# Configuration: devices apply the settings; two policies disagreeing on one is a conflict.


def test_two_policies_setting_one_setting_differently_conflict_on_the_device(wt):
    _include(wt.configuration, wt.employees)
    other = f.device_policy(
        "Camera off for Bob",
        family="configuration",
        settings={"camera.allow_camera": False, "firewall.public_enable": True},
    )
    _include(other, f.group("Bob", [wt.laptops[1].primary_user]))
    for laptop in wt.laptops:
        device_check_in(device_id=laptop.pk)
    alice_pc, bob_pc = wt.laptops
    assert _state(wt.configuration, alice_pc).status == DeviceStatus.SUCCEEDED
    mine = _state(wt.configuration, bob_pc)
    assert mine.status == DeviceStatus.CONFLICT
    by_key = {r["key"]: r for r in mine.details["settings"]}
    assert by_key["camera.allow_camera"]["conflicts_with"] == ["Camera off for Bob"]
    assert by_key["defender.allow_realtime_monitoring"]["status"] == DeviceStatus.SUCCEEDED
    theirs = {r["key"]: r for r in _state(other, bob_pc).details["settings"]}
    assert theirs["camera.allow_camera"]["conflicts_with"] == ["Defender on"]
    assert theirs["firewall.public_enable"]["status"] == DeviceStatus.SUCCEEDED
    # Removing the conflicting assignment makes both devices' settings succeed again.
    policy_assign(actor=None, object_id=other.pk, groups={"include": [], "exclude": []})
    device_check_in(device_id=bob_pc.pk)
    assert _state(wt.configuration, bob_pc).status == DeviceStatus.SUCCEEDED


def test_the_same_value_from_two_policies_is_no_conflict(wt):
    _include(wt.configuration, wt.employees)
    same = f.device_policy(
        "Camera allowed too", family="configuration", settings={"camera.allow_camera": True}
    )
    _include(same, wt.employees)
    device_check_in(device_id=wt.laptops[0].pk)
    assert _state(same, wt.laptops[0]).status == DeviceStatus.SUCCEEDED
    assert _state(wt.configuration, wt.laptops[0]).status == DeviceStatus.SUCCEEDED


def test_the_catalog_holds_at_least_40_typed_settings_across_platforms():
    from device_policies.settings_catalog import SETTINGS

    assert len(SETTINGS) >= 40
    assert {p for s in SETTINGS for p in s.platforms} == {"windows", "macos", "ios", "android"}
    assert {s.kind for s in SETTINGS} == {"boolean", "integer", "choice", "string"}
    for s in SETTINGS:
        assert s.description and s.name
        if s.kind == "integer":
            assert s.minimum is not None and s.maximum is not None
