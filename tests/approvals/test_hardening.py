"""Bad input, lost races and lost permissions get a clear answer, never a 500."""

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from approvals.models import AccessPolicy, ApprovalRequest, ExecutionStatus, Notice, RequestStatus
from approvals.notifications import notice_deliver
from approvals.operations import OperationError
from approvals.services import (
    ApprovalDenied,
    OpenRequestExists,
    request_approve,
    request_complete,
    request_execute,
)
from rbac.models import SecurityGroup
from rbac.services import RbacError, group_create
from tests import factories as f
from tests.concurrency import in_threads
from tests.conftest import (
    build_tenant,
    policy_state,
    request_wipe,
    submit_policy,
    write_notices,
)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_completes_through_the_page_run_once_without_a_500():
    tenant = build_tenant()
    from tests.conftest import activate_policy

    activate_policy(tenant, "device.wipe")
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    url = reverse("approvals:request_action", args=[request.pk, "complete"])

    def complete():
        client = Client()
        client.force_login(tenant.hazel)
        return client.post(url).status_code

    codes = in_threads(complete, 20)
    assert all(isinstance(code, int) for code in codes), codes
    assert 500 not in codes
    # The lost races answer like a duplicate: the request's state, 409.
    assert codes.count(302) == 1 and codes.count(409) == 19
    request = ApprovalRequest.objects.get(pk=request.pk)
    assert request.status == RequestStatus.COMPLETED
    request_execute(request_id=request.pk)
    assert tenant.device.actions.filter(kind="wipe").count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_policies_for_one_type_one_wins_the_rest_hear_why():
    tenant = build_tenant()

    def submit():
        return submit_policy(tenant.policy_admin, policy_state("device.wipe", [tenant.approvers]))

    results = in_threads(submit, 10)
    winners = [r for r in results if isinstance(r, ApprovalRequest)]
    losers = [r for r in results if not isinstance(r, ApprovalRequest)]
    assert len(winners) == 1, results
    assert all(isinstance(r, (OperationError, OpenRequestExists)) for r in losers), losers
    assert all("already protects" in str(r) or "already" in str(r) for r in losers)
    assert AccessPolicy.objects.filter(policy_type="device.wipe").count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_groups_with_one_name_one_is_created():
    results = in_threads(lambda: group_create(actor=None, name="Race group"), 10)
    assert sum(isinstance(r, SecurityGroup) for r in results) == 1
    losers = [r for r in results if not isinstance(r, SecurityGroup)]
    assert all(isinstance(r, RbacError) and "already exists" in str(r) for r in losers), losers


def test_a_nul_byte_in_notes_is_refused_with_a_message_not_a_500(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    client.force_login(tenant.approver)
    url = reverse("approvals:request_action", args=[request.pk, "approve"])
    response = client.post(url, {"note": "fine\x00then"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    client.force_login(tenant.hazel)
    url = reverse("approvals:request_action", args=[request.pk, "cancel"])
    response = client.post(url, {"note": "\x00"})
    assert response.status_code == 400 and "NUL character" in response.content.decode()
    assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.NEEDS_APPROVAL


@pytest.mark.parametrize("length", [129, 151, 256])
def test_a_group_name_over_the_limit_is_refused_by_the_form(client, tenant, length):
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("tenant_admin:group_create"),
        {"name": "G" * length, "description": "", "group_type": "security"},
    )
    assert response.status_code == 200
    assert "at most 128 characters" in response.content.decode()
    with pytest.raises(RbacError, match="at most 128"):
        group_create(actor=None, name="G" * length)


def test_a_requestor_who_lost_the_permission_cannot_complete(tenant, wipe_policy):
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    tenant.helpdesk.auth_group.user_set.remove(tenant.hazel)
    with pytest.raises(ApprovalDenied, match="no longer has the permission remote_tasks.wipe"):
        request_complete(request_id=request.pk, actor=tenant.hazel)
    assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED


def test_a_device_that_left_the_requestors_scope_is_not_wiped(tenant, wipe_policy):
    scoped = f.user("scopedesk")
    people = f.group("People", [tenant.hazel])
    f.assign(
        f.builtin("Help Desk Operator"), [f.group("Scoped desk", [scoped])], scope_groups=[people]
    )
    device = f.device("IN-SCOPE", primary_user=tenant.hazel)
    from approvals.services import operation_start

    request = operation_start(
        actor=scoped,
        operation_code="device.wipe",
        payload={"device_id": device.pk},
        justification="Lost",
    ).request
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=scoped)
    # After Complete, before the run, the device's user leaves the scope group.
    people.auth_group.user_set.remove(tenant.hazel)
    request = request_execute(request_id=request.pk)
    assert request.execution_status == ExecutionStatus.FAILED
    assert "no longer has the permission" in request.execution_error
    assert not device.actions.exists()


def test_a_line_break_in_a_policy_name_does_not_lose_the_approvers_email(tenant, client):
    request = submit_policy(
        tenant.policy_admin,
        policy_state("device.wipe", [tenant.approvers], name="Wipe\r\nBcc: evil@example.test"),
    )
    write_notices()
    for notice in Notice.objects.filter(request=request):
        assert notice_deliver(notice_id=notice.pk).status == "sent"
    assert len(mail.outbox) == 2
    assert all("\n" not in m.subject and "\r" not in m.subject for m in mail.outbox)
    assert all(m.bcc == [] and "evil" not in "".join(m.recipients()) for m in mail.outbox)


def test_a_notice_for_a_request_cancelled_meanwhile_is_not_sent(tenant, wipe_policy):
    from approvals.services import request_cancel

    request = request_wipe(tenant)
    request_cancel(request_id=request.pk, actor=tenant.hazel)
    write_notices()
    asked = Notice.objects.filter(request=request, event="submitted")
    for notice in asked:
        delivered = notice_deliver(notice_id=notice.pk)
        assert delivered.status == "skipped" and "cancelled" in delivered.detail
    assert not [m for m in mail.outbox if "needs approval" in m.subject]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_cannot_exhaust_database_connections(live_server):
    """20 concurrent page loads on a threaded server leave at most the pool's connections."""
    import urllib.request

    tenant = build_tenant()
    client = Client()
    client.force_login(tenant.approver)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    def count():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    before = count()

    def page():
        request = urllib.request.Request(
            live_server.url + reverse("approvals:received"), headers={"Cookie": cookie}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status

    assert set(in_threads(page, 20, close=False)) == {200}
    pool_max = connection.settings_dict["OPTIONS"]["pool"]["max_size"]
    assert count() <= before + pool_max


def test_health_endpoints(client, db, settings):
    assert client.get("/health/live/").status_code == 200
    ready = client.get("/health/ready/", HTTP_ACCEPT="application/json")
    assert ready.status_code == 200, ready.content
    assert set(ready.json()) == {"Database(alias='default')", "Broker"}
    assert "password" not in ready.content.decode().lower()

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    down = client.get("/health/ready/", HTTP_ACCEPT="application/json")
    assert down.status_code == 500
    assert "Unable to connect to Redis" in down.json()["Broker"]
    assert "127.0.0.1" not in down.content.decode()


def test_the_admin_cannot_delete_users_or_edit_scope_tags(client, tenant):
    root = f.global_admin("root")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    tag = f.tag("Milan")
    assert client.get(reverse("admin:rbac_user_delete", args=[tenant.hazel.pk])).status_code == 403
    assert client.get(reverse("admin:rbac_scopetag_delete", args=[tag.pk])).status_code == 403
    page = client.get(reverse("admin:rbac_scopetag_change", args=[tag.pk])).content.decode()
    assert 'name="name"' not in page


def test_the_admin_refuses_to_deactivate_the_last_eligible_approver(client, tenant, wipe_policy):
    root = f.global_admin("root")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    tenant.approvers.auth_group.user_set.remove(tenant.approver2)
    response = client.post(
        reverse("admin:rbac_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [tenant.approver.pk]},
        follow=True,
    )
    assert "unable to approve" in response.content.decode()
    tenant.approver.refresh_from_db()
    assert tenant.approver.is_active
    client.post(
        reverse("admin:rbac_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [tenant.hazel.pk]},
    )
    tenant.hazel.refresh_from_db()
    assert not tenant.hazel.is_active
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="user.deactivate", target_id=str(tenant.hazel.pk))


@pytest.mark.django_db(transaction=True)
def test_many_approvers_deciding_different_requests_at_once_all_succeed():
    """Issue 10's 100 approvers, at the 40 this suite's connection budget allows: no error, no
    deadlock, every decision recorded and sealed into an intact chain (the bench measures 100
    over HTTP)."""
    import threading

    from audit.chain import audit_seal, audit_verify
    from audit.models import AuditEvent
    from tests.conftest import activate_policy

    tenant = build_tenant()
    activate_policy(tenant, "device.wipe")
    count = 40
    approvers = [f.user(f"approver-{i}") for i in range(count)]
    tenant.approvers.auth_group.user_set.add(*approvers)
    requests = [request_wipe(tenant, f.device(f"DESKTOP-{i:03d}")) for i in range(count)]
    pairs = iter(zip(approvers, requests, strict=True))
    lock = threading.Lock()

    def decide():
        with lock:
            approver, request = next(pairs)
        return request_approve(request_id=request.pk, approver=approver, note="ok")

    results = in_threads(decide, count)
    errors = [r for r in results if not isinstance(r, ApprovalRequest)]
    assert errors == []
    statuses = ApprovalRequest.objects.filter(pk__in=[r.pk for r in requests])
    assert set(statuses.values_list("status", flat=True)) == {RequestStatus.APPROVED}
    audit_seal()
    decided = AuditEvent.objects.filter(
        action="request.approve", request_id__in=[r.pk for r in requests]
    )
    assert decided.count() == count
    report = audit_verify()
    assert report.ok and report.unsealed == 0
