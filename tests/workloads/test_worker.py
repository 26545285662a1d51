"""Each new workload end to end with a real Celery worker and beat: the executed assignment
reaches devices, which report at their simulated check-in."""

import pytest

from approvals.models import ApprovalRequest, ExecutionStatus
from approvals.services import request_approve, request_complete
from device_policies.models import DeviceStatus, PolicyDeviceState
from devices.models import Compliance, Device
from mobile_apps.models import AppInstall, InstallStatus
from tests.conftest import activate_policy
from tests.worker import celery_worker, wait_until

from .conftest import build_workload_tenant, start

pytestmark = pytest.mark.django_db(transaction=True)


def _reported(family, wt):
    if family == "apps":
        return AppInstall.objects.filter(app=wt.app, status=InstallStatus.INSTALLED).count() == 2
    policy = wt.compliance if family == "compliance" else wt.configuration
    done = PolicyDeviceState.objects.filter(policy=policy).exclude(status=DeviceStatus.PENDING)
    return done.count() == 2


@pytest.mark.parametrize(
    "family, code, intent",
    [
        ("apps", "app.assign", "required"),
        ("compliance", "compliance.assign", "include"),
        ("configuration", "configuration.assign", "include"),
    ],
)
def test_an_approved_assignment_reaches_devices_through_the_worker(family, code, intent):
    wt = build_workload_tenant()
    activate_policy(wt.base, family)
    target = {"apps": wt.app, "compliance": wt.compliance, "configuration": wt.configuration}
    with celery_worker(beat=True):
        request = start(
            wt.base.hazel,
            code,
            {"object_id": target[family].pk, "groups": {intent: [wt.employees.pk]}},
        )
        request_approve(request_id=request.pk, approver=wt.base.approver, note="OK")
        request_complete(request_id=request.pk, actor=wt.base.hazel)
        wait_until(
            lambda: (
                ApprovalRequest.objects.get(pk=request.pk).execution_status
                == ExecutionStatus.SUCCEEDED
            ),
            what="the worker to run the assignment",
        )
        wait_until(lambda: _reported(family, wt), timeout=45, what="both laptops to report")
    if family == "compliance":
        # Bob's laptop is not encrypted: the computed state says so.
        assert Device.objects.get(pk=wt.laptops[1].pk).compliance_state == Compliance.NONCOMPLIANT
        assert Device.objects.get(pk=wt.laptops[0].pk).compliance_state == Compliance.COMPLIANT
