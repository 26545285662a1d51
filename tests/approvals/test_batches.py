"""A burst of Completes runs in batches: one task runs several queued executions, each once."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalRequest, ExecutionStatus, Notice
from approvals.services import (
    executions_claim,
    executions_run,
    request_approve,
    request_complete,
    request_execute,
)
from audit.models import AuditEvent
from devices.models import Device, DeviceAction
from tests import factories as f
from tests.conftest import request_wipe, write_notices
from tests.worker import celery_worker, wait_until


def _completed_wipes(tenant, count: int) -> list[ApprovalRequest]:
    requests = []
    for i in range(count):
        request = request_wipe(tenant, device=f.device(f"BATCH-{i:02d}"))
        request_approve(request_id=request.pk, approver=tenant.approver)
        requests.append(request_complete(request_id=request.pk, actor=tenant.hazel))
    return requests


def _status(request) -> str:
    return ApprovalRequest.objects.get(pk=request.pk).execution_status


pytestmark = pytest.mark.usefixtures("wipe_policy")


def test_one_claim_takes_its_request_and_the_oldest_queued_ones(tenant):
    first, second, third, fourth = _completed_wipes(tenant, 4)
    claimed = executions_claim(request_ids=[third.pk], fill=2)
    assert claimed == [third.pk, first.pk, second.pk]
    assert [_status(r) for r in (first, second, third, fourth)] == [
        "running",
        "running",
        "running",
        "queued",
    ]
    with CaptureQueriesContext(connection) as queries:
        done = executions_run(request_ids=claimed)
    assert {r.pk: r.execution_status for r in done} == dict.fromkeys(claimed, "succeeded")
    assert _status(fourth) == ExecutionStatus.QUEUED
    # A batch where nothing fails pays no savepoint per operation: only the batch's
    # transaction is one, here inside the test's.
    savepoints = [q for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 1
    # The tasks of the batch's other requests find them done: nothing runs twice.
    assert executions_claim(request_ids=[first.pk], fill=0) == []
    assert executions_run(request_ids=[first.pk, second.pk]) == []
    assert DeviceAction.objects.filter(kind="wipe").count() == 3
    write_notices()
    for request in (first, second, third):
        request = ApprovalRequest.objects.get(pk=request.pk)
        assert request.execution_attempts == 1
        assert request.execution_result.startswith("Wipe sent to BATCH-")
        actions = AuditEvent.objects.filter(request_id=request.pk).values_list("action", flat=True)
        assert {"execution.running", "execution.succeeded"} <= set(actions)
        assert Notice.objects.filter(request=request, event="completed").count() == 1


def test_a_failing_operation_fails_alone_and_the_rest_of_its_batch_runs(tenant):
    first, second, third = _completed_wipes(tenant, 3)
    Device.objects.filter(pk=second.payload["device_id"]).delete()

    done = executions_run(request_ids=executions_claim(request_ids=[first.pk], fill=2))

    assert [r.execution_status for r in done] == ["succeeded", "failed", "succeeded"]
    failed = ApprovalRequest.objects.get(pk=second.pk)
    assert failed.execution_status == ExecutionStatus.FAILED
    assert failed.execution_error == "The device no longer exists."
    assert AuditEvent.objects.filter(request_id=second.pk, action="execution.failed").exists()
    write_notices()
    assert Notice.objects.filter(request=second, event="execution_failed").count() == 1
    wiped = DeviceAction.objects.filter(kind="wipe").values_list("device_id", flat=True)
    assert sorted(wiped) == sorted(r.payload["device_id"] for r in (first, third))
    # The batch ran again with savepoints after the failure: nothing of its first run is left.
    assert AuditEvent.objects.filter(action="device.wipe").count() == 2
    batch = [first.pk, second.pk, third.pk]
    succeeded = AuditEvent.objects.filter(request_id__in=batch, action="execution.succeeded")
    assert succeeded.count() == 2


def test_a_batch_of_wipes_writes_them_together_not_one_device_at_a_time(tenant):
    """Operation.execute_many: a batch's wipes lock, move and record their devices in a few
    statements whatever their number (four a wipe before)."""

    def statements(count: int) -> int:
        requests = _completed_wipes(tenant, count)
        claimed = executions_claim(request_ids=[r.pk for r in requests])
        with CaptureQueriesContext(connection) as queries:
            done = executions_run(request_ids=claimed)
        assert [r.execution_status for r in done] == ["succeeded"] * count
        return len(queries.captured_queries)

    assert statements(3) == statements(9)
    assert DeviceAction.objects.filter(kind="wipe").count() == 12
    assert AuditEvent.objects.filter(action="device.wipe").count() == 12
    wipes = ApprovalRequest.objects.filter(operation_type="device.wipe")
    results = wipes.values_list("execution_result", flat=True)
    assert all(line.startswith("Wipe sent to BATCH-") for line in results)


def test_two_wipes_of_one_device_in_a_batch_run_the_first_and_fail_the_second(tenant):
    device = f.device("TWICE")
    requests = []
    for _ in range(2):  # the first is completed, not executed, when the second is filed
        request = request_wipe(tenant, device=device)
        request_approve(request_id=request.pk, approver=tenant.approver)
        requests.append(request_complete(request_id=request.pk, actor=tenant.hazel))

    done = executions_run(request_ids=executions_claim(request_ids=[r.pk for r in requests]))

    assert [r.execution_status for r in done] == ["succeeded", "failed"]
    assert DeviceAction.objects.filter(device=device, kind="wipe").count() == 1


def test_a_recovered_run_is_never_taken_into_a_batch(tenant):
    """A run that may have killed its worker runs on its own, so it cannot take others down."""
    stuck, queued = _completed_wipes(tenant, 2)
    ApprovalRequest.objects.filter(pk=stuck.pk).update(
        execution_status="running", execution_recoveries=1
    )
    assert executions_claim(request_ids=[queued.pk], fill=5) == [queued.pk]
    assert executions_claim(request_ids=[stuck.pk], fill=5) == [stuck.pk]
    assert request_execute(request_id=stuck.pk).execution_status == ExecutionStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("drainers", [0, 4])
def test_a_burst_run_by_two_real_workers_runs_each_operation_once(tenant, settings, drainers):
    """Completed while no worker runs: with drainers, the 30 Completes publish one task per
    drainer slot; without, one each. Either way each operation runs once."""
    from celery import current_app
    from django.core.cache import cache

    from approvals.delivery import drainer_keys

    settings.MAA_EXECUTION_DRAINERS = drainers
    batch = {"MAA_EXECUTION_BATCH": "8", "MAA_EXECUTION_DRAINERS": str(drainers)}
    current_app.control.purge()
    # The policy's own Complete woke a drainer, purged with the rest: its slot is free again.
    cache.delete_many(drainer_keys())
    with transaction.atomic():  # all are published at once, when this commits
        burst = _completed_wipes(tenant, 30)
    with (
        celery_worker(prefork=True, env_extra=batch, purge=False) as one,
        celery_worker(prefork=True, env_extra=batch, purge=False) as two,
    ):

        def ran(task: str) -> int:
            return len([line for line in one.log + two.log if task in line and "succeeded" in line])

        published = drainers or len(burst)  # without drainers, every Complete's own task
        wait_until(
            lambda: (
                all(_status(r) == ExecutionStatus.SUCCEEDED for r in burst)
                and ran("drain_executions") + ran("execute_request") == published
            ),
            timeout=60,
            what="the workers to run the burst and every task",
        )
    # Those that found their requests run by another's batch did nothing.
    if drainers:
        assert ran("drain_executions") == drainers and ran("execute_request") == 0
    else:
        assert ran("execute_request") == len(burst) and ran("drain_executions") == 0
    per_device = DeviceAction.objects.values("device_id").annotate(n=Count("pk"))
    assert per_device.count() == 30 and {row["n"] for row in per_device} == {1}
    requests = ApprovalRequest.objects.filter(pk__in=[r.pk for r in burst])
    assert set(requests.values_list("execution_attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_a_task_passes_over_its_request_while_another_worker_holds_it(tenant):
    """Its request is in another worker's batch: it takes the next ones instead of waiting."""
    held, other = _completed_wipes(tenant, 2)
    holding, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            ApprovalRequest.objects.select_for_update().get(pk=held.pk)
            holding.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert holding.wait(10)
    try:
        started = time.monotonic()
        assert executions_claim(request_ids=[held.pk], fill=5) == [other.pk]
        assert time.monotonic() - started < 2
    finally:
        release.set()
        thread.join()
    assert _status(held) == ExecutionStatus.QUEUED


def test_a_complete_that_finds_every_drainer_at_work_is_run_by_their_last_look(
    tenant, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """No wake-up is lost. The Complete commits while the drainer, having found nothing, still
    holds its slot: it publishes nothing, and the drainer's last look after freeing the slot
    runs it."""
    from celery import current_app
    from django.core.cache import cache

    from approvals import tasks
    from approvals.delivery import drainer_keys

    settings.MAA_EXECUTION_DRAINERS = 2
    published = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args: published.append(name))
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    assert cache.add(drainer_keys()[0], 1)  # another drainer is at work
    release = tasks.drainer_release

    def complete_then_release(slot):
        if not published and _status(request) == ExecutionStatus.NOT_STARTED:
            with django_capture_on_commit_callbacks(execute=True):
                request_complete(request_id=request.pk, actor=tenant.hazel)
        release(slot)

    monkeypatch.setattr(tasks, "drainer_release", complete_then_release)
    tasks.drain_executions.apply(args=[1])

    assert published == []
    assert _status(request) == ExecutionStatus.SUCCEEDED
    assert DeviceAction.objects.filter(device=tenant.device, kind="wipe").count() == 1
    assert cache.get(drainer_keys()[1]) is None and cache.get(drainer_keys()[0]) == 1

    cache.delete(drainer_keys()[0])  # slot 0's drainer is done too: the next Complete wakes one
    second = request_wipe(tenant, device=f.device("PC-2"))
    request_approve(request_id=second.pk, approver=tenant.approver)
    with django_capture_on_commit_callbacks(execute=True):
        request_complete(request_id=second.pk, actor=tenant.hazel)
    assert published == ["approvals.tasks.drain_executions"]


def test_a_drainer_fails_a_batch_that_breaks_outside_its_operations_and_goes_on(
    tenant, monkeypatch, settings
):
    """Not an operation's own failure: the batch is marked Failed with the error (and Retry),
    not left Running for the sweeper; the drainer then takes the next batch."""
    from approvals import tasks

    first, second = _completed_wipes(tenant, 2)
    run = tasks.executions_run
    calls = []

    def breaks_once(*, request_ids):
        calls.append(list(request_ids))
        if len(calls) == 1:
            raise RuntimeError("worker bug")
        return run(request_ids=request_ids)

    monkeypatch.setattr(tasks, "executions_run", breaks_once)
    settings.MAA_EXECUTION_BATCH = 1
    tasks.drain_executions.apply(args=[0])

    failed = ApprovalRequest.objects.get(pk=first.pk)
    assert failed.execution_status == ExecutionStatus.FAILED
    assert failed.execution_error == "Unexpected error: worker bug"
    assert _status(second) == ExecutionStatus.SUCCEEDED
    assert calls == [[first.pk], [second.pk]]


def test_an_execution_task_retries_its_own_batch_and_fails_it_when_it_gives_up(tenant, monkeypatch):
    """The retries are declared on the task; a retry runs the batch its try had claimed (kept
    under the task's id), and the give-up fails that batch with the reason and a Retry."""
    from django.db import OperationalError

    from approvals import tasks

    first, second = _completed_wipes(tenant, 2)
    run = tasks.executions_run
    calls = []

    def fails(times):
        def run_or_fail(*, request_ids):
            calls.append(list(request_ids))
            if len(calls) <= times:
                raise OperationalError("the server closed the connection")
            return run(request_ids=request_ids)

        return run_or_fail

    monkeypatch.setattr(tasks, "executions_run", fails(1))
    tasks.execute_request.apply(args=[first.pk])  # eagerly: the retry follows at once
    assert calls == [[first.pk, second.pk]] * 2
    assert {_status(first), _status(second)} == {ExecutionStatus.SUCCEEDED}

    third, fourth = _completed_wipes(tenant, 2)
    calls.clear()
    monkeypatch.setattr(tasks, "executions_run", fails(100))
    tasks.execute_request.apply(args=[third.pk])
    assert calls == [[third.pk, fourth.pk]] * (tasks.execute_request.max_retries + 1)
    for request in (third, fourth):
        request = ApprovalRequest.objects.get(pk=request.pk)
        assert request.execution_status == ExecutionStatus.FAILED
        assert request.execution_error.startswith("Gave up after 8 retries: the server closed")
    assert DeviceAction.objects.filter(kind="wipe").count() == 2
