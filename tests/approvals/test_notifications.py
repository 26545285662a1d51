from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.delivery import (
    EXECUTE_TASK,
    NOTICES_PER_TASK,
    SEND_NOTICES_TASK,
    WRITE_NOTICES_TASK,
)
from approvals.models import ApprovalRequest, Notice, NoticeBatch, NoticeStatus, RequestStatus
from approvals.notifications import (
    notice_deliver,
    notices_for,
    notices_lease,
    notices_recover,
    notices_write,
)
from approvals.reminders import requests_due_reminder
from approvals.services import request_approve, request_reject, requests_expire_due
from approvals.tasks import send_notices
from rbac.models import NotificationKind
from tests import factories as f
from tests.conftest import activate_policy, request_wipe, write_notices


def _recipients(request, event):
    return {n.user_id: n for n in notices_for(request, event)}


def _send_all(request, event):
    """Write and deliver what the event queued (the worker's job), once each."""
    write_notices()
    for notice in Notice.objects.filter(request=request, event=event):
        notice_deliver(notice_id=notice.pk)


def test_a_new_request_mails_exactly_the_eligible_approvers(tenant, wipe_policy):
    outsider = f.user("outsider")
    no_assignment = f.group("Unassigned", [outsider])
    wipe_policy.approver_groups.add(no_assignment)
    tenant.approvers.auth_group.user_set.add(tenant.hazel)  # the requestor, also an approver
    request = request_wipe(tenant)
    assert set(_recipients(request, "submitted")) == {tenant.approver.pk, tenant.approver2.pk}
    _send_all(request, "submitted")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [tenant.approver.email, tenant.approver2.email]
    )
    message = mail.outbox[0]
    body = message.body
    assert "Reassigning the PC" in body and tenant.device.name in body
    assert "/tenant/maa/link/" in body
    assert "Expires" in body
    assert message.alternatives and "Review and decide" in message.alternatives[0][0]


def test_quorum_requests_mail_approvers_until_decided(tenant):
    activate_policy(tenant, "device.wipe", approvals_required=2)
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    assert set(_recipients(request, "remind_approvers")) == {tenant.approver2.pk}
    request = request_approve(request_id=request.pk, approver=tenant.approver2)
    assert request.status == RequestStatus.APPROVED
    assert set(_recipients(request, "approved")) == {tenant.hazel.pk}


def test_decisions_tell_the_requestor_with_the_notes_and_the_others_they_are_not_needed(
    tenant, wipe_policy
):
    request = request_wipe(tenant)
    request = request_reject(request_id=request.pk, approver=tenant.approver, note="Wrong PC")
    notices = _recipients(request, "rejected")
    assert notices[tenant.hazel.pk].kind == NotificationKind.DECIDED
    assert notices[tenant.approver2.pk].kind == NotificationKind.NO_LONGER_NEEDED
    assert tenant.approver.pk not in notices
    _send_all(request, "rejected")
    to_hazel = next(m for m in mail.outbox if m.to == [tenant.hazel.email])
    assert "rejected" in to_hazel.subject and "Wrong PC" in to_hazel.body


def test_an_email_sent_after_the_request_moved_on_states_the_events_status(tenant, wipe_policy):
    """The "approved" email can leave after the requestor has already completed: it must not
    tell them to Complete a request whose status line says Completed, unexplained."""
    from approvals.services import request_complete

    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    _send_all(request, "submitted")  # before the approval: nothing for the approvers to send
    request_complete(request_id=request.pk, actor=tenant.hazel)
    mail.outbox.clear()
    _send_all(request, "approved")
    to_hazel = next(m for m in mail.outbox if m.to == [tenant.hazel.email])
    assert "Status: Approved (now Completed)" in to_hazel.body
    assert "<td>Approved (now Completed)</td>" in to_hazel.alternatives[0][0]
    # Unchanged since the event: the status alone.
    request = request_reject(
        request_id=request_wipe(tenant).pk, approver=tenant.approver, note="No"
    )
    mail.outbox.clear()
    _send_all(request, "rejected")
    assert "Status: Rejected\n" in mail.outbox[0].body


def test_an_opted_out_user_gets_no_mail(tenant, wipe_policy):
    tenant.approver.muted_notifications = [NotificationKind.NEW_REQUEST]
    tenant.approver.save()
    request = request_wipe(tenant)
    _send_all(request, "submitted")
    assert [m.to for m in mail.outbox] == [[tenant.approver2.email]]


def test_reminders_go_out_once_at_half_the_time_to_expiry(tenant, wipe_policy, settings):
    request = request_wipe(tenant)
    approved = request_wipe(tenant, device=f.device())
    request_approve(request_id=approved.pk, approver=tenant.approver)
    assert requests_due_reminder() == []
    half_way = timezone.now() + settings.MAA_NEEDS_APPROVAL_TTL / 2 + timedelta(minutes=1)
    due = requests_due_reminder(now=half_way)
    assert set(due) == {(request.pk, "remind_approvers"), (approved.pk, "remind_requestor")}
    assert requests_due_reminder(now=half_way) == []
    assert set(_recipients(approved, "remind_requestor")) == {tenant.hazel.pk}


def test_expiry_tells_the_requestor_and_the_approvers(tenant, wipe_policy, settings):
    request = request_wipe(tenant)
    requests_expire_due(now=timezone.now() + settings.MAA_NEEDS_APPROVAL_TTL * 2)
    request.refresh_from_db()
    notices = _recipients(request, "expired")
    assert notices[tenant.hazel.pk].kind == NotificationKind.EXPIRED
    assert notices[tenant.approver.pk].kind == NotificationKind.NO_LONGER_NEEDED


def test_a_failing_mail_server_is_retried_then_shown_failed_to_the_requestor(
    client, tenant, wipe_policy, settings
):
    from tests.failing_mail import FailingBackend

    settings.EMAIL_BACKEND = "tests.failing_mail.FailingBackend"
    FailingBackend.attempts = 0
    request = request_wipe(tenant)
    write_notices()
    notice = Notice.objects.filter(request=request).first()
    # Eagerly applied, the task's retries run in a row instead of after their backoff.
    send_notices.apply(args=[[notice.pk]])
    assert FailingBackend.attempts == send_notices.max_retries + 1
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED and "mail server unavailable" in notice.detail
    assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.NEEDS_APPROVAL
    client.force_login(tenant.hazel)
    page = client.get(f"/tenant/maa/requests/{request.pk}/").content.decode()
    assert "could not be sent" in page and "mail server unavailable" in page


def test_a_retried_send_holds_its_notices_until_the_retry_and_sends_each_once(
    tenant, wipe_policy, settings
):
    """The retry is declared on the task; its wait extends the notices' lease, so the sweeper
    leaves them to it, and the second try sends each notice once."""
    from tests.failing_mail import FlakyBackend

    settings.EMAIL_BACKEND = "tests.failing_mail.FlakyBackend"
    FlakyBackend.attempts, FlakyBackend.leases = 0, []
    request = request_wipe(tenant)
    write_notices()
    ids = list(Notice.objects.filter(request=request).values_list("pk", flat=True))
    started = timezone.now()
    send_notices.apply(args=[ids])
    # The first try failed on the first notice; its retry (2 s later) holds every notice past
    # the lease the sweeper allows.
    held = min(FlakyBackend.leases[1][pk] for pk in ids)
    assert held >= started + settings.MAA_NOTICE_LEASE + timedelta(seconds=2)
    assert set(Notice.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        NoticeStatus.SENT
    }
    assert FlakyBackend.attempts == len(ids) + 1


def test_a_broker_outage_loses_no_notice_and_no_execution(
    tenant, wipe_policy, monkeypatch, django_capture_on_commit_callbacks, settings
):
    """The rows are the queues: with the broker down every publish fails and every change
    still commits; once the leases run out, the sweepers publish what waits, once."""
    from celery import current_app

    from approvals.services import executions_recover, request_complete

    settings.MAA_EXECUTION_DRAINERS = 0

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unavailable")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        request = request_wipe(tenant)
        request_approve(request_id=request.pk, approver=tenant.approver)
        request_complete(request_id=request.pk, actor=tenant.hazel)
    request = ApprovalRequest.objects.get(pk=request.pk)
    assert request.status == RequestStatus.COMPLETED and request.execution_status == "queued"
    batches = list(NoticeBatch.objects.values_list("pk", flat=True))
    assert [event for b in NoticeBatch.objects.all() for _, event in b.events][-2:] == [
        "submitted",
        "approved",
    ]

    published = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args: published.append((name, args)))
    later = timezone.now() + max(settings.MAA_NOTICE_LEASE, settings.MAA_EXECUTION_LEASE) * 2
    with django_capture_on_commit_callbacks(execute=True):
        assert executions_recover(now=later) == 1
        assert notices_recover(now=later) == len(batches)
    assert (EXECUTE_TASK, [request.pk]) in published
    woken = sorted(args[0] for name, args in published if name == WRITE_NOTICES_TASK)
    assert woken == sorted(batches)
    with django_capture_on_commit_callbacks(execute=True):
        for batch_id in woken:
            notices_write(batch_id=batch_id)
            assert notices_write(batch_id=batch_id) == []  # a redelivery writes nothing
    waiting = Notice.objects.filter(request=request, status=NoticeStatus.PENDING)
    assert set(waiting.values_list("event", flat=True)) == {"submitted", "approved"}
    sent = {pk for name, args in published if name == SEND_NOTICES_TASK for pk in args[0]}
    assert set(waiting.values_list("pk", flat=True)) <= sent


def test_a_decisions_queries_do_not_grow_with_the_approver_group(tenant, wipe_policy):
    def approve_counting_queries():
        request = request_wipe(tenant, device=f.device())
        with CaptureQueriesContext(connection) as queries:
            request_approve(request_id=request.pk, approver=tenant.approver)
        return request, len(queries)

    _, with_two = approve_counting_queries()
    tenant.approvers.auth_group.user_set.add(*(f.user(f"extra-{i}") for i in range(20)))
    request, with_twenty_two = approve_counting_queries()
    assert with_twenty_two == with_two
    write_notices()
    released = Notice.objects.filter(request=request, kind=NotificationKind.NO_LONGER_NEEDED)
    assert released.count() == 21  # approver2 and the 20 new members


def test_an_events_emails_are_sent_a_few_per_task(
    tenant, wipe_policy, monkeypatch, django_capture_on_commit_callbacks
):
    """A worker process sending mail runs no execution meanwhile: each task sends a few, so a
    Complete never waits long behind one."""
    from celery import current_app

    tenant.approvers.auth_group.user_set.add(*(f.user(f"extra-{i}") for i in range(20)))
    published = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args: published.append((name, args)))
    request = request_wipe(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        write_notices()
    ours = set(Notice.objects.filter(request=request).values_list("pk", flat=True))
    sends = [
        args[0] for name, args in published if name == SEND_NOTICES_TASK and args[0][0] in ours
    ]
    assert len(ours) == 22  # approver, approver2 and the 20 new members
    assert sorted(len(ids) for ids in sends) == [2, NOTICES_PER_TASK, NOTICES_PER_TASK]
    assert {pk for ids in sends for pk in ids} == ours


def test_a_notice_whose_task_was_lost_is_published_again_and_sent_once(
    tenant, wipe_policy, monkeypatch, django_capture_on_commit_callbacks
):
    """The broker forgot the send tasks after they were published: the lease brings them back."""
    from celery import current_app

    mail.outbox.clear()
    published = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args: published.append(args[0]))
    request = request_wipe(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        write_notices()
    pending = Notice.objects.filter(status=NoticeStatus.PENDING)
    ours = sorted(pending.filter(request=request).values_list("pk", flat=True))
    assert ours and all(n.lease_until > timezone.now() for n in pending.all())
    assert ours in published  # published, then lost with the broker's memory
    published.clear()

    assert notices_recover() == 0  # within the lease, the tasks may still come
    later = timezone.now() + settings.MAA_NOTICE_LEASE + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert notices_recover(now=later) == pending.all().count()
        assert notices_recover(now=later) == 0  # leased again: published once per lease
    (again,) = published
    assert set(ours) <= set(again)

    send_notices.run(again)
    send_notices.run(again)  # the lost task turns up after all: nothing twice
    ours_sent = [m.to[0] for m in mail.outbox if f"Request #{request.pk}:" in m.subject]
    assert sorted(ours_sent) == sorted([tenant.approver.email, tenant.approver2.email])
    assert not pending.all().exists()
    far_later = later + settings.MAA_NOTICE_LEASE * 10
    assert notices_recover(now=far_later) == 0  # handled notices are never published again


def test_a_notice_waiting_for_its_retry_is_left_to_it(tenant, wipe_policy):
    request_wipe(tenant)
    write_notices()
    ids = list(Notice.objects.filter(status=NoticeStatus.PENDING).values_list("pk", flat=True))
    notices_lease(notice_ids=ids, seconds=600)  # what send_notices does before a retry
    within_retry = timezone.now() + settings.MAA_NOTICE_LEASE + timedelta(seconds=300)
    assert notices_recover(now=within_retry) == 0
    assert notices_recover(now=within_retry + timedelta(seconds=600)) == len(ids)


def test_a_task_for_a_notice_that_is_gone_sends_nothing_and_does_not_fail(db):
    """A broker message can outlive its row (a restored database, a purge): it finds nothing
    to send, and its give-up has nothing to mark."""
    from approvals.chat import post_failed
    from approvals.notifications import notice_failed

    send_notices.apply(args=[[987654]]).get()
    assert mail.outbox == []
    assert notice_failed(notice_id=987654, error="gave up") is None
    assert post_failed(post_id=987654, error="gave up") is None
