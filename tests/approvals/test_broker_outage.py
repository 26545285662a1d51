"""Nothing lost in a broker outage: a real Redis is stopped, work goes on, Redis comes back,
and every email goes out exactly once."""

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager

import pytest
from celery import current_app

from approvals.models import Notice, NoticeStatus, OutboxMessage, RequestStatus
from approvals.services import request_approve
from tests.conftest import activate_policy, build_tenant, request_wipe
from tests.worker import celery_worker, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A Redis of the test's own, on its own port, that the test can stop and start."""

    def __init__(self):
        self.port, self.dir = _free_port(), tempfile.mkdtemp(prefix="maa-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what="redis to start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        assert not self._answers()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False


@contextmanager
def publishing_to(url: str):
    """Point this test process's Celery at another broker (the web tier, in production)."""
    conf = current_app.conf
    before = conf.broker_url, conf.broker_write_url
    conf.broker_url = conf.broker_write_url = url
    current_app._pool = None
    current_app.amqp._producer_pool = None
    try:
        yield
    finally:
        conf.broker_url, conf.broker_write_url = before
        current_app._pool = None
        current_app.amqp._producer_pool = None


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
        from approvals.outbox import outbox_relay

        assert outbox_relay() == 0  # as the commit hook: the broker does not answer
        request = request_approve(request_id=request.pk, approver=tenant.approver)
        outbox_relay()
        assert request.status == RequestStatus.APPROVED
        notices = Notice.objects.filter(pk__gte=first)
        expected = notices.count()
        assert expected == 4  # two approvers asked; then Hazel told, approver2 released
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == expected
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
