"""Nothing lost in a broker outage: a real Redis is stopped, work goes on, Redis comes back,
and every email goes out exactly once."""

import shutil
import time
from datetime import timedelta

import pytest

from approvals.models import Notice, NoticeBatch, NoticeStatus, RequestStatus
from approvals.services import request_approve
from tests.conftest import activate_policy, build_tenant, request_wipe
from tests.worker import Broker, celery_worker, publishing_to, wait_until

pytestmark = [
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
