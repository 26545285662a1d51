"""Nothing lost in a broker outage: a real Redis is stopped, work goes on, Redis comes back,
and every email goes out exactly once."""

import shutil
import time

import pytest

from approvals.models import Notice, NoticeStatus, OutboxMessage, RequestStatus
from approvals.services import request_approve
from tests.conftest import activate_policy, build_tenant, request_wipe
from tests.worker import Broker, celery_worker, publishing_to, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


def test_every_email_is_delivered_once_after_the_broker_comes_back():
    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    broker = Broker()
    broker.start()
    with (
        publishing_to(broker.url),
        celery_worker(beat=True, env_extra={"REDIS_URL": broker.url}) as worker,
    ):
        broker.stop()
        # The outage: Hazel asks, an approver approves; both succeed, nothing is sent yet.
        request = request_wipe(tenant)
        request = request_approve(request_id=request.pk, approver=tenant.approver)
        assert request.status == RequestStatus.APPROVED
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
        # Each event's notices travel in one message, which a worker turns into notices.
        assert sorted((m.task, m.args[0][0][1]) for m in unsent) == [
            ("approvals.tasks.write_notices", "approved"),
            ("approvals.tasks.write_notices", "submitted"),
        ]
        notices = Notice.objects.filter(request=request)
        assert not notices.exists()
        # Each commit's fast path tried, failed and left the message to the relay.
        assert all(m.attempts >= 1 and m.last_error for m in unsent)
        time.sleep(2)
        broker.start()
        # Beat's relay publishes the backlog once the broker answers again. Approver2 is
        # asked and then released; the approver, who has decided, is not asked; Hazel is told.
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
