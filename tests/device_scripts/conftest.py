from dataclasses import dataclass

import pytest

from approvals.services import operation_start
from device_scripts.services import script_assign, script_state
from tests import factories as f
from tests.conftest import Tenant, activate_policy, build_tenant


@dataclass
class ScriptTenant:
    base: Tenant
    manager: object  # Policy and Profile Manager: manages scripts
    employees: object  # the group the script is assigned to
    laptops: list
    script: object


def build_script_tenant() -> ScriptTenant:
    base = build_tenant()
    manager = f.user("sam")
    f.assign(f.builtin("Policy and Profile Manager"), [f.group("Endpoint Admins", [manager])])
    alice, bob = f.user("alice"), f.user("bob")
    employees = f.group("Milan employees", [alice, bob])
    laptops = [
        f.device("DESKTOP-ALICE", primary_user=alice),
        f.device("DESKTOP-BOB", primary_user=bob),
    ]
    f.device("MAC-ALICE", primary_user=alice, operating_system="macOS")
    script = f.script("Set time zone", body='Set-TimeZone -Id "UTC"\nWrite-Output "done"\n')
    script_assign(actor=None, object_id=script.pk, groups={"include": [employees.pk]})
    return ScriptTenant(base, manager, employees, laptops, script)


@pytest.fixture
def st(db) -> ScriptTenant:
    return build_script_tenant()


@pytest.fixture
def scripts_policy(st):
    return activate_policy(st.base, "scripts")


def edit_payload(script, **changes) -> dict:
    state = {k: v for k, v in script_state(script).items() if k not in ("kind", "assignments")}
    return {"object_id": script.pk, "state": {**state, **changes}}


def request_edit(st: ScriptTenant, **changes):
    return operation_start(
        actor=st.manager,
        operation_code="script.edit",
        payload=edit_payload(st.script, **changes),
        justification="Milan moved to UTC",
    ).request
