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
        first = (Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        # The outage: Hazel asks, an approver approves; both succeed, nothing is sent yet.
        request = request_wipe(tenant)
        request = request_approve(request_id=request.pk, approver=tenant.approver)
        assert request.status == RequestStatus.APPROVED
        notices = Notice.objects.filter(pk__gte=first)
        expected = notices.count()
        assert expected == 4  # two approvers asked; then Hazel told, approver2 released
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
        assert unsent.count() == 2  # each event's notices travel in one message
        assert sorted(pk for m in unsent for pk in m.args[0]) == sorted(n.pk for n in notices)
        # Each commit's fast path tried, failed and left the message to the relay.
        assert all(m.attempts >= 1 and m.last_error for m in unsent)
        time.sleep(2)
        broker.start()
        # Beat's relay publishes the backlog once the broker answers again.
        wait_until(
            lambda: notices.exclude(status=NoticeStatus.PENDING).count() == expected,
            timeout=90,
            what="every notice to be handled",
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
    late = notices.get(event="submitted", user=tenant.approver2)
    assert late.status == NoticeStatus.SKIPPED and "no longer applies" in late.detail
    assert tenant.hazel.email in {m["to"] for m in worker.mails()}
    broker.stop()
