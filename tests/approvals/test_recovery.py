"""Nothing stuck: executions whose worker died are recovered and run exactly once."""

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import ApprovalRequest, ExecutionStatus
from approvals.services import (
    executions_recover,
    operation_start,
    request_approve,
    request_complete,
)
from audit.models import AuditEvent
from tests.conftest import build_tenant
from tests.worker import Broker, celery_worker, publishing_to, wait_until


def _slow_request(tenant, seconds: float, name: str = "one"):
    request = operation_start(
        actor=tenant.hazel,
        operation_code="test.slow",
        payload={"name": name, "seconds": seconds},
        justification="Exercise the worker",
    ).request
    request_approve(request_id=request.pk, approver=tenant.approver)
    return request


def _status(request) -> str:
    return ApprovalRequest.objects.get(pk=request.pk).execution_status


def _runs(name: str = "one") -> int:
    return AuditEvent.objects.filter(action="test.slow_ran", note=name).count()


@pytest.mark.django_db
def test_a_stuck_queued_execution_is_queued_again(
    tenant, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from celery import current_app

    settings.MAA_EXECUTION_DRAINERS = 0
    published = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args: published.append(args))
    request = _slow_request(tenant, 0)
    with django_capture_on_commit_callbacks(execute=True):
        request_complete(request_id=request.pk, actor=tenant.hazel)
    assert executions_recover() == 0  # within its lease: not stuck
    later = timezone.now() + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert executions_recover(now=later) == 1
    request = ApprovalRequest.objects.get(pk=request.pk)
    assert request.execution_status == ExecutionStatus.QUEUED
    assert request.execution_lease_until > timezone.now()
    assert published == [[request.pk], [request.pk]]  # Complete's, and the recovery's
    assert AuditEvent.objects.filter(action="execution.recovered", request_id=request.pk).exists()


@pytest.mark.django_db
def test_a_run_that_keeps_stopping_fails_with_the_reason_after_n_recoveries(tenant, settings):
    request = _slow_request(tenant, 0)
    request_complete(request_id=request.pk, actor=tenant.hazel)
    ApprovalRequest.objects.filter(pk=request.pk).update(execution_status="running")
    now = timezone.now()
    for attempt in range(1, settings.MAA_EXECUTION_RECOVERIES + 1):
        now += timedelta(minutes=5)
        assert executions_recover(now=now) == 1
        assert ApprovalRequest.objects.get(pk=request.pk).execution_recoveries == attempt
    executions_recover(now=now + timedelta(minutes=5))
    request = ApprovalRequest.objects.get(pk=request.pk)
    assert request.execution_status == ExecutionStatus.FAILED
    assert "stopped making progress" in request.execution_error
    assert "Retry" in request.execution_error


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_is_recovered_and_the_operation_runs_once():
    tenant = build_tenant()
    fast = {"MAA_EXECUTION_LEASE_SECONDS": "3", "MAA_RECOVERY_SWEEP_SECONDS": "1"}
    request = _slow_request(tenant, 4)
    # Brokers of the test's own: the dead worker's unacknowledged message stays with the first,
    # so only the sweeper can bring the run back.
    first, second = Broker(), Broker()
    first.start()
    second.start()
    with (
        publishing_to(first.url),
        celery_worker(prefork=True, env_extra={**fast, "REDIS_URL": first.url}) as worker,
    ):
        request_complete(request_id=request.pk, actor=tenant.hazel)  # published at commit
        wait_until(lambda: _status(request) == ExecutionStatus.RUNNING, what="the run to start")
        time.sleep(1)
        worker.kill()  # the whole worker, pool included, mid-run
    first.stop()
    assert _status(request) == ExecutionStatus.RUNNING and _runs() == 0
    started = time.monotonic()
    with (
        publishing_to(second.url),
        celery_worker(beat=True, env_extra={**fast, "REDIS_URL": second.url}),
    ):
        wait_until(
            lambda: _status(request) == ExecutionStatus.SUCCEEDED,
            timeout=120,
            what="the sweeper to recover the run",
        )
    second.stop()
    assert time.monotonic() - started < 120
    assert _runs() == 1
    assert AuditEvent.objects.filter(action="execution.recovered", request_id=request.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_killed_pool_process_gives_its_task_back_and_it_runs_once():
    tenant = build_tenant()
    request = _slow_request(tenant, 3)
    # The default lease (60 s): within this test only the broker's redelivery can recover it.
    with celery_worker(prefork=True) as worker:
        request_complete(request_id=request.pk, actor=tenant.hazel)  # published at commit
        wait_until(lambda: _status(request) == ExecutionStatus.RUNNING, what="the run to start")
        time.sleep(1)
        for pid in worker.pool_pids():
            os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda: _status(request) == ExecutionStatus.SUCCEEDED,
            timeout=30,
            what="the redelivered task to run",
        )
    assert _runs() == 1
