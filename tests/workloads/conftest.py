"""A tenant with the three newer workloads: an app, a compliance and a configuration policy."""

from dataclasses import dataclass

import pytest

from approvals.models import ApprovalRequest
from approvals.services import (
    operation_start,
    request_approve,
    request_complete,
    request_execute,
)
from tests import factories as f
from tests.conftest import Tenant, build_tenant


@dataclass
class WorkloadTenant:
    base: Tenant
    app_manager: object  # Application Manager
    policy_manager: object  # Policy and Profile Manager
    employees: object  # alice and bob
    laptops: list  # their Windows laptops
    iphone: object  # alice's iPhone
    app: object
    compliance: object
    configuration: object


def build_workload_tenant() -> WorkloadTenant:
    base = build_tenant()
    app_manager, policy_manager = f.user("appie"), f.user("sam")
    f.assign(f.builtin("Application Manager"), [f.group("App Admins", [app_manager])])
    f.assign(
        f.builtin("Policy and Profile Manager"), [f.group("Endpoint Admins", [policy_manager])]
    )
    alice, bob = f.user("alice"), f.user("bob")
    employees = f.group("Milan employees", [alice, bob])
    laptops = [
        f.device("DESKTOP-ALICE", primary_user=alice),
        f.device("DESKTOP-BOB", primary_user=bob, encrypted=False),
    ]
    iphone = f.device("IPHONE-ALICE", primary_user=alice, operating_system="iOS", os_version="18.2")
    return WorkloadTenant(
        base=base,
        app_manager=app_manager,
        policy_manager=policy_manager,
        employees=employees,
        laptops=laptops,
        iphone=iphone,
        app=f.app("7-Zip", app_version="24.09"),
        compliance=f.device_policy(
            "Windows baseline",
            family="compliance",
            settings={"encryption.required": True, "os.minimum_version": "10.0.22631"},
        ),
        configuration=f.device_policy(
            "Defender on",
            family="configuration",
            settings={"defender.allow_realtime_monitoring": True, "camera.allow_camera": True},
        ),
    )


@pytest.fixture
def wt(db) -> WorkloadTenant:
    return build_workload_tenant()


def start(actor, code: str, payload: dict) -> ApprovalRequest:
    return operation_start(
        actor=actor, operation_code=code, payload=payload, justification="Needed for Milan"
    ).request


def approve_and_run(wt: WorkloadTenant, request: ApprovalRequest) -> ApprovalRequest:
    request_approve(request_id=request.pk, approver=wt.base.approver)
    request_complete(request_id=request.pk, actor=request.requestor)
    return request_execute(request_id=request.pk)


def row(request: ApprovalRequest, label: str) -> dict:
    return next(r for r in request.summary if r["label"] == label)
