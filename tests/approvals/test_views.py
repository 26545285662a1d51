import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.approvers import ApproverRule
from approvals.models import AccessPolicy, ApprovalRequest, RequestStatus, Stage
from approvals.operations import registry
from approvals.selectors import approver_setup_problems
from approvals.services import request_approve
from tests import factories as f
from tests.conftest import activate_policy, request_wipe


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_request_lists_keep_a_constant_query_count(client, tenant, wipe_policy):
    request_wipe(tenant)
    urls = {
        "received": (tenant.approver, reverse("approvals:received")),
        "mine": (tenant.hazel, reverse("approvals:mine")),
        "tasks": (tenant.approver, reverse("approvals:admin_tasks")),
        "tasks of a requestor": (tenant.hazel, reverse("approvals:admin_tasks")),
    }
    before = {}
    for name, (user, url) in urls.items():
        client.force_login(user)
        _queries(client, url)  # warms the content-type cache
        before[name] = _queries(client, url)
    for i in range(15):
        request = request_wipe(tenant, device=f.device())
        if i % 2:  # Hazel's approved requests wait for her in Admin tasks
            request_approve(request_id=request.pk, approver=tenant.approver)
    for name, (user, url) in urls.items():
        client.force_login(user)
        assert _queries(client, url) == before[name], name


def test_request_lists_take_the_approvers_groups_from_the_cached_access(
    client, tenant, wipe_policy
):
    """The lists match grants against the user's groups as cached with their access (no query
    of their own), and a membership change shows at once."""
    request = request_wipe(tenant)
    url = reverse("approvals:received")
    client.force_login(tenant.approver)
    client.get(url)  # resolves and caches the access
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).content.decode()
    assert f">#{request.pk}<" in body
    assert not [q for q in ctx.captured_queries if '"rbac_user_groups"' in q["sql"]]

    def listed() -> bool:
        response = client.get(url)
        assert response.status_code == 200
        return f">#{request.pk}<" in response.content.decode()

    # Still signed in without the approvers group: the help desk's role keeps them a user.
    tenant.helpdesk.auth_group.user_set.add(tenant.approver)
    membership = tenant.approvers.auth_group.user_set
    membership.remove(tenant.approver)
    assert not listed()
    membership.add(tenant.approver)
    assert listed()


def test_admin_tasks_lists_what_to_decide_apart_from_ones_own_requests_to_complete(
    client, tenant, wipe_policy
):
    to_decide = request_wipe(tenant)
    approved = request_wipe(tenant, device=f.device())
    request_approve(request_id=approved.pk, approver=tenant.approver)
    url = reverse("approvals:admin_tasks")

    def section(body: str, anchor: str) -> str:
        start = body.index(f'id="{anchor}"')
        following = body.find("<h2", start + 1)
        return body[start : following if following != -1 else None]

    def link(request) -> str:
        return f">#{request.pk}<"

    client.force_login(tenant.approver)
    body = client.get(url).content.decode()
    assert link(to_decide) in section(body, "to-decide")
    assert link(approved) not in body  # decided already, and not the approver's to complete
    assert "None of your requests is waiting for you." in section(body, "awaiting-you")

    client.force_login(tenant.hazel)
    body = client.get(url).content.decode()
    assert link(approved) in section(body, "awaiting-you")
    assert link(to_decide) not in body  # her own request is not hers to decide
    assert "No request is waiting for your decision." in section(body, "to-decide")


def test_request_lists_leave_the_payloads_unread(client, tenant, wipe_policy):
    """A bulk request pins its devices in the payload (10,000 ids, 60 kB of JSON): a list of
    50 requests reads none of it, nor the summaries."""
    from approvals.services import operation_start

    devices = [f.device(f"KIOSK-{i}") for i in range(3)]
    operation_start(
        actor=tenant.hazel,
        operation_code="device.bulk_wipe",
        payload={"device_ids": [d.pk for d in devices]},
        justification="Kiosks leaving the fleet",
    )
    request_wipe(tenant)
    pages = [
        (tenant.approver, reverse("approvals:received")),
        (tenant.hazel, reverse("approvals:mine")),
        (tenant.approver, reverse("approvals:admin_tasks")),
        (tenant.hazel, reverse("devices:list")),
    ]
    for user, url in pages:
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        assert b"Bulk device wipe" in response.content or url == reverse("devices:list")
        read = [q["sql"] for q in ctx.captured_queries if '"approvals_approvalrequest"' in q["sql"]]
        assert read, url
        for sql in read:
            assert '"approvals_approvalrequest"."payload"' not in sql, (url, sql)
            assert '"approvals_approvalrequest"."summary"' not in sql, (url, sql)


def test_the_permission_ids_the_lists_use_are_read_again_after_a_migrate(db):
    """Read once per process; a migrate or a test's flush (post_migrate) may give the rows new
    ids, and the next read takes them."""
    from django.contrib.auth.models import Permission
    from django.core.management.sql import emit_post_migrate_signal

    from approvals.models import request_permission_ids
    from approvals.models.permissions import _forget_permission_ids

    (cached,) = request_permission_ids(["decide_approvalrequest"])
    permission = Permission.objects.get(pk=cached)
    permission.delete()
    permission.pk = None
    permission.save()  # the same permission under a new id, as a flush leaves it
    try:
        assert request_permission_ids(["decide_approvalrequest"]) == [cached]
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
        assert request_permission_ids(["decide_approvalrequest"]) == [permission.pk] != [cached]
    finally:
        # The test's rollback brings the old id back: the tests after this one must not keep
        # the new one (they did, and every grant they wrote failed its foreign key).
        _forget_permission_ids()


def test_a_decision_reads_the_payload_only_to_close_a_rejected_request(client, tenant, wipe_policy):
    """A decision moves the request's state: approving reads none of the pinned devices (a bulk
    request's 10,000 ids, read twice, were a sixth of an approval); rejecting reads them once,
    for the operation's closing hook. The request page links to its devices by the key pinned
    at filing."""
    from approvals.services import operation_start
    from devices.bulk import bulk_key

    devices = [f.device(f"KIOSK-{i}") for i in range(3)]
    client.force_login(tenant.approver)
    for verdict, pinned in (("approve", devices[:2]), ("reject", devices[1:])):
        ids = [d.pk for d in pinned]
        request = operation_start(
            actor=tenant.hazel,
            operation_code="device.bulk_wipe",
            payload={"device_ids": ids},
            justification="Kiosks leaving the fleet",
        ).request
        page = client.get(reverse("approvals:request_detail", args=[request.pk]))
        assert reverse("devices:bulk_detail", args=[bulk_key(ids)]) in page.content.decode()
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                reverse("approvals:request_action", args=[request.pk, verdict]), {"note": "No"}
            )
        assert response.status_code == 302
        reads = [
            q["sql"]
            for q in ctx.captured_queries
            if '"approvals_approvalrequest"."payload"' in q["sql"] and q["sql"].startswith("SELECT")
        ]
        assert len(reads) == (verdict == "reject"), (verdict, reads)
        status = {"approve": RequestStatus.APPROVED, "reject": RequestStatus.REJECTED}[verdict]
        assert ApprovalRequest.objects.get(pk=request.pk).status == status


def test_access_policies_page_checks_every_policy_in_a_constant_number_of_queries(client, tenant):
    activate_policy(tenant, "device.wipe")
    client.force_login(tenant.policy_admin)
    url = reverse("approvals:policies")
    _queries(client, url)
    one_policy = _queries(client, url)
    for policy_type in ("device.retire", "scripts", "apps", "rbac"):
        activate_policy(tenant, policy_type)
    client.force_login(tenant.policy_admin)
    assert _queries(client, url) == one_policy


@pytest.mark.parametrize("policy_type", ["device.wipe", "access_policies"])
def test_policy_health_counts_the_approvers_requests_are_sent_to(tenant, policy_type):
    """The health check counts in bulk; it must agree with the rule's users, who are actually
    asked to decide."""
    reader = f.user("devicereader")
    helpers = f.group("Help desk approvers", [reader, f.user("devicereader2")])
    f.assign(f.builtin("Help Desk Operator"), [helpers])  # reads devices, cannot approve MAA
    unassigned = f.group("Unassigned approvers", [f.user("unassigned")])
    groups = [tenant.approvers, helpers, unassigned]
    operation = registry.of_policy_type(policy_type)[0]
    expected = ApproverRule(operation, [g.pk for g in groups]).users().count()
    # Both readers count for a wipe; only the MAA approvers for an access-policy change.
    assert expected == {"device.wipe": 4, "access_policies": 2}[policy_type]
    problems = " ".join(
        approver_setup_problems(
            policy_type=policy_type, stages=[Stage(1, tuple(g.pk for g in groups), expected + 1)]
        )
    )
    assert f"Only {expected} eligible approver(s)" in problems
    assert "Unassigned approvers has no role assignment" in problems


def test_wipe_button_asks_for_justification_and_says_approval_is_needed(
    client, tenant, wipe_policy
):
    client.force_login(tenant.hazel)
    url = reverse("devices:action", args=[tenant.device.pk, "wipe"])
    assert "Business justification" in client.get(url).content.decode()
    response = client.post(url, {"justification": "Reassigning the PC"}, follow=True)
    body = response.content.decode()
    request = ApprovalRequest.objects.get(operation_type="device.wipe")
    assert "This operation requires approval" in body
    assert f"Request #{request.pk}" in body
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == "managed"


def test_second_wipe_shows_a_link_to_the_open_request(client, tenant, wipe_policy):
    first = request_wipe(tenant)
    client.force_login(tenant.hazel)
    url = reverse("devices:action", args=[tenant.device.pk, "wipe"])
    body = client.post(url, {"justification": "Again, typed text"}).content.decode()
    assert reverse("approvals:request_detail", args=[first.pk]) in body
    assert "Again, typed text" in body
    assert ApprovalRequest.objects.filter(operation_type="device.wipe").count() == 1


def test_approver_sees_decision_buttons_and_requestor_does_not(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    url = reverse("approvals:request_detail", args=[request.pk])
    client.force_login(tenant.approver)
    assert "formaction" in client.get(url).content.decode()
    client.force_login(tenant.hazel)
    body = client.get(url).content.decode()
    assert ">Approve<" not in body and "Cancel request" in body


def test_a_forged_approve_by_the_requestor_is_refused(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    client.force_login(tenant.hazel)
    response = client.post(reverse("approvals:request_action", args=[request.pk, "approve"]))
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.NEEDS_APPROVAL


def test_reject_without_notes_keeps_the_page_and_what_was_typed(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    client.force_login(tenant.approver)
    response = client.post(
        reverse("approvals:request_action", args=[request.pk, "reject"]), {"note": "   "}
    )
    assert response.status_code == 400
    assert "Approver notes is required" in response.content.decode()
    response = client.post(
        reverse("approvals:request_action", args=[request.pk, "reject"]),
        {"note": "x" * 1100},
    )
    assert "at most 1024" in response.content.decode()
    assert "x" * 1100 in response.content.decode()


def test_approve_then_complete_through_the_pages(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    client.force_login(tenant.approver)
    client.post(
        reverse("approvals:request_action", args=[request.pk, "approve"]), {"note": "Checked"}
    )
    client.force_login(tenant.hazel)
    body = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert "Checked" in body and ">Complete<" in body
    client.post(reverse("approvals:request_action", args=[request.pk, "complete"]))
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


def test_an_outsider_cannot_open_a_request(client, tenant, wipe_policy):
    request = request_wipe(tenant)
    client.force_login(f.user("outsider"))
    assert client.get(reverse("approvals:request_detail", args=[request.pk])).status_code == 404


def test_policy_form_refuses_a_trap_and_keeps_the_input(client, tenant):
    lonely = f.group("Unassigned approvers", [tenant.approver])
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("approvals:policy_create"),
        {
            "name": "Protect wipe",
            "description": "kept description",
            "policy_type": "device.wipe",
            "approver_groups": [lonely.pk],
            "approvals_required": 1,
            "justification": "Four eyes",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "no role assignment" in body and "kept description" in body
    assert not AccessPolicy.objects.exists()


def test_health_panel_flags_a_policy_whose_group_lost_its_members(client, tenant, wipe_policy):
    tenant.approvers.auth_group.user_set.clear()
    client.force_login(tenant.policy_admin)
    body = client.get(reverse("approvals:policies")).content.decode()
    assert "has no members" in body
    assert wipe_policy.name in body


def test_admin_shows_requests_read_only_and_starts_wipes_through_the_flow(
    client, tenant, wipe_policy
):
    admin = f.global_admin("rootadmin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    request = request_wipe(tenant)
    client.force_login(admin)
    change_url = reverse("admin:approvals_approvalrequest_change", args=[request.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    other = f.device("ADMIN-WIPE-1")
    response = client.post(
        reverse("admin:devices_device_changelist"),
        {
            "action": "wipe_devices",
            "_selected_action": [other.pk],
            "confirm": "1",
            "justification": "From the admin",
        },
    )
    assert response.status_code == 302
    filed = ApprovalRequest.objects.get(target_key=f"device:{other.pk}")
    assert filed.status == RequestStatus.NEEDS_APPROVAL
    other.refresh_from_db()
    assert other.management_state == "managed"


def test_a_failed_execution_shows_its_error_and_a_retry_button(client, tenant, wipe_policy):
    from approvals.services import (
        request_approve,
        request_complete,
        request_execution_failed,
    )

    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.hazel)
    request_execution_failed(request_id=request.pk, error="Device channel unreachable")
    client.force_login(tenant.hazel)
    url = reverse("approvals:request_detail", args=[request.pk])
    body = client.get(url).content.decode()
    assert "Device channel unreachable" in body and ">Retry<" in body
    client.post(reverse("approvals:request_action", args=[request.pk, "retry"]))
    request.refresh_from_db()
    assert request.execution_status == "queued"
    client.force_login(tenant.approver)
    assert ">Retry<" not in client.get(url).content.decode()


def test_the_request_page_reads_the_decisions_once_and_says_who_has_decided(client, tenant):
    activate_policy(tenant, "device.wipe")
    AccessPolicy.objects.filter(policy_type="device.wipe").update(approvals_required=2)
    request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    url = reverse("approvals:request_detail", args=[request.pk])
    client.force_login(tenant.approver)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    assert "You have already decided on this request." in page
    assert len([q for q in ctx.captured_queries if 'FROM "approvals_decision"' in q["sql"]]) == 1
    client.force_login(tenant.approver2)
    page = client.get(url).content.decode()
    assert "already decided" not in page and ">Approve</button>" in page


def test_a_device_requests_page_links_its_device_without_reading_it(client, tenant, wipe_policy):
    """The link comes from the target key pinned at filing (devices are marked deleted, never
    removed); reading the device for it was a tenth of the page."""
    request = request_wipe(tenant)
    url = reverse("approvals:request_detail", args=[request.pk])
    client.force_login(tenant.approver)
    client.get(url)  # warms the content-type cache
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).content.decode()
    device_url = reverse("devices:detail", args=[request.payload["device_id"]])
    assert f'<a href="{device_url}">{request.target_label}</a>' in body
    assert not [q for q in ctx.captured_queries if '"devices_device"' in q["sql"]]
