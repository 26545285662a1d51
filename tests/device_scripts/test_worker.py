"""A script edit end to end with a real Celery worker and beat: devices report at check-in."""

import pytest

from approvals.models import ApprovalRequest, ExecutionStatus
from approvals.services import request_approve, request_complete
from device_scripts.models import RunStatus, ScriptRun
from tests.conftest import activate_policy
from tests.worker import celery_worker, wait_until

from .conftest import build_script_tenant, request_edit

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_protected_script_edit_runs_on_devices_through_the_worker():
    st = build_script_tenant()
    activate_policy(st.base, "scripts")
    with celery_worker(beat=True):
        request = request_edit(st, body='Write-Output "new"\nexit 1\n')
        assert any(row.get("diff") for row in request.summary)
        request_approve(request_id=request.pk, approver=st.base.approver, note="Read the diff")
        request_complete(request_id=request.pk, actor=st.manager)
        wait_until(
            lambda: (
                ApprovalRequest.objects.get(pk=request.pk).execution_status
                == ExecutionStatus.SUCCEEDED
            ),
            what="the worker to apply the edit",
        )
        # Beat's simulated check-in delivers version 2; the script exits 1, so both fail.
        wait_until(
            lambda: (
                ScriptRun.objects.filter(
                    script=st.script, script_version=2, status=RunStatus.FAILED
                ).count()
                == 2
            ),
            timeout=45,
            what="both laptops to report the new version",
        )
    run = ScriptRun.objects.filter(script=st.script).first()
    assert "new" in run.output and run.reported_at
