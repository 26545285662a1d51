"""Nothing lost in a broker outage: a real Redis is stopped, work goes on, Redis comes back,
and every email goes out exactly once."""

import shutil
import time
from datetime import timedelta

import pytest
import redis

from approvals.models import Notice, NoticeBatch, NoticeStatus, RequestStatus
from approvals.services import request_approve
from tests.conftest import activate_policy, build_tenant, request_wipe
from tests.worker import Broker, celery_worker, publishing_to, wait_until

pytestmark = [
    pytest.mark.long,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


def test_every_email_is_delivered_once_after_the_broker_comes_back(settings):
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    settings.MAA_NOTICE_LEASE = timedelta(seconds=3)
    sweeps = {"MAA_RECOVERY_SWEEP_SECONDS": "1", "MAA_NOTICE_LEASE_SECONDS": "3"}
    broker = Broker()
    broker.start()
    with (
        publishing_to(broker.url),
        celery_worker(beat=True, env_extra={**sweeps, "REDIS_URL": broker.url}) as worker,
    ):
        broker.stop()
        # The outage: Hazel asks, an approver approves; both succeed, and their events wait in
        # their notice batches (each commit's publish failed).
        request = request_wipe(tenant)
        request = request_approve(request_id=request.pk, approver=tenant.approver)
        assert request.status == RequestStatus.APPROVED
        assert [e for b in NoticeBatch.objects.all() for _, e in b.events][-2:] == [
            "submitted",
            "approved",
        ]
        notices = Notice.objects.filter(request=request)
        assert not notices.exists()
        time.sleep(2)
        broker.start()
        # The sweeper publishes them once their lease ran out and the broker answers. Approver2
        # is asked and then released; the approver, who has decided, is not asked; Hazel is told.
        expected = 3
        wait_until(
            lambda: (
                notices.count() == expected
                and not notices.filter(status=NoticeStatus.PENDING).exists()
            ),
            timeout=90,
            what="every notice to be written and handled",
        )
        wait_until(
            lambda: len(worker.mails()) == Notice.objects.filter(status="sent").count(),
            timeout=30,
            what="the mails on disk",
        )
    sent = [(m["to"], m["subject"]) for m in worker.mails()]
    assert len(sent) == len(set(sent)), "an email went out twice"
    assert notices.filter(status=NoticeStatus.SENT).count() == len(sent)
    # Sent late, a "needs approval" email would mislead: the request is approved by now.
    assert not notices.filter(user=tenant.approver).exists()
    late = notices.get(event="submitted", user=tenant.approver2)
    assert late.status == NoticeStatus.SKIPPED and "no longer applies" in late.detail
    assert tenant.hazel.email in {m["to"] for m in worker.mails()}
    broker.stop()


BURST = 500


def test_redis_restarted_empty_in_a_burst_of_completes_loses_and_repeats_nothing(settings):
    """500 Completes, and the emails they cause; halfway through, Redis (which keeps nothing on
    disk) is stopped and started empty, dropping every queued message. The leases and sweepers
    bring everything back: each execution runs once, each email goes out once, within two
    minutes of Redis answering again."""
    from approvals.models import ApprovalRequest, ExecutionStatus
    from approvals.services import request_complete
    from devices.models import DeviceAction
    from tests import factories as f

    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    devices = [f.device(f"BURST-{i:03}") for i in range(BURST)]
    broker = Broker()
    broker.start()
    with publishing_to(broker.url):
        requests = [request_wipe(tenant, device) for device in devices]
        for request in requests:
            request_approve(request_id=request.pk, approver=tenant.approver)
    # The emails of the burst are the ones its Completes cause; the filings' and approvals'
    # are not this test's subject (the test above covers them), and the worker's start purges
    # their messages.
    NoticeBatch.objects.all().delete()
    fast = {
        "MAA_RECOVERY_SWEEP_SECONDS": "1",
        "MAA_NOTICE_LEASE_SECONDS": "5",
        "MAA_EXECUTION_LEASE_SECONDS": "10",
        # Devices stay quiet: the test counts the commands the portal sends, not their answers.
        "DEVICE_CHECK_IN_SIMULATION": "0",
    }
    settings.MAA_NOTICE_LEASE = timedelta(seconds=5)
    settings.MAA_EXECUTION_LEASE = timedelta(seconds=10)
    with (
        publishing_to(broker.url),
        celery_worker(beat=True, concurrency=2, env_extra={**fast, "REDIS_URL": broker.url}) as w,
    ):
        # The worker falls behind (paused), so the first half's messages are still queued when
        # Redis goes; the second half comes after it is back.
        w.pause()
        for i, request in enumerate(requests):
            if i == BURST // 2:
                queued = sum(
                    redis.Redis.from_url(broker.url).llen(q) for q in settings.CELERY_QUEUE_NAMES
                )
                broker.stop()  # every queued message is gone with it
                broker.start()  # empty
                back = time.monotonic()
                w.resume()
            request_complete(request_id=request.pk, actor=tenant.hazel)
        done = ApprovalRequest.objects.filter(
            pk__in=[r.pk for r in requests], execution_status=ExecutionStatus.SUCCEEDED
        )
        completes_done = time.monotonic() - back
        wait_until(lambda: done.count() == BURST, timeout=120, what="every execution")
        executions_done = time.monotonic() - back
        notices = Notice.objects.filter(request__in=requests)
        wait_until(
            lambda: (
                not NoticeBatch.objects.exists()
                and not notices.filter(status=NoticeStatus.PENDING).exists()
            ),
            timeout=120,
            what="every email handled",
        )
        wait_until(
            lambda: len(w.mails()) == Notice.objects.filter(status=NoticeStatus.SENT).count(),
            timeout=30,
            what="the mails on disk",
        )
        took = time.monotonic() - back
    broker.stop()
    print(
        f"Redis restarted empty at Complete {BURST // 2} of {BURST} ({queued} messages "
        "dropped): the rest filed in "
        f"{completes_done:.0f} s, every execution done at {executions_done:.0f} s, every email "
        f"at {took:.0f} s after Redis answered again"
    )
    assert queued > 0, "nothing was queued when Redis restarted: the test tested nothing"
    assert took < 120, f"recovered in {took:.0f} s"
    wipes = DeviceAction.objects.filter(device__in=devices, kind="wipe")
    assert wipes.count() == BURST and wipes.values("device").distinct().count() == BURST
    sent = [(m["to"], m["subject"]) for m in w.mails()]
    assert len(sent) == len(set(sent)), "an email went out twice"
    completed = notices.filter(event="completed", user=tenant.hazel)
    assert completed.count() == BURST and not completed.exclude(status=NoticeStatus.SENT)
