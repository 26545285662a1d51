"""Bulk device actions: one request for many devices, pinned, in scope, past a threshold, run
in batches once per device, a partial failure retried alone."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals.filings import filing_run, filing_start, filings_recover
from approvals.models import ApprovalRequest, ExecutionStatus, Filing, FilingStatus, RequestStatus
from approvals.operations import OperationError
from approvals.services import (
    ApprovalError,
    operation_break_glass,
    operation_start,
    request_approve,
    request_complete,
    request_execute,
    request_retry,
)
from devices import bulk
from devices.models import Device, DeviceAction, ManagementState
from tests import factories as f
from tests.conftest import activate_state, build_tenant, policy_state, request_wipe
from tests.worker import celery_worker, wait_until


def _wipe_policy(tenant, **options):
    return activate_state(tenant, {**policy_state("device.wipe", [tenant.approvers], 1), **options})


def _devices(n, prefix="KIOSK", **fields):
    return [f.device(f"{prefix}-{i:03d}", **fields) for i in range(n)]


def _file(tenant, devices, actor=None):
    return operation_start(
        actor=actor or tenant.hazel,
        operation_code="device.bulk_wipe",
        payload={"device_ids": [d.pk for d in devices]},
        justification="Kiosks leaving the fleet",
    ).request


def run_to_the_end(request):
    """What the workers do: each execution runs one batch and queues the next."""
    for _ in range(100):
        request = request_execute(request_id=request.pk)
        if request.execution_status not in (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING):
            return request
    raise AssertionError("the bulk run did not end")


def test_one_request_for_many_devices_with_the_breakdown_the_approver_reads(tenant):
    _wipe_policy(tenant)
    devices = _devices(20) + _devices(10, prefix="PHONE", operating_system="iOS")
    request = _file(tenant, devices)
    assert ApprovalRequest.objects.filter(operation_type="device.bulk_wipe").count() == 1
    assert request.target_label == "30 devices" and str(request).endswith(
        "Bulk device wipe of 30 devices"
    )
    rows = {row["label"]: row["after"] for row in request.summary}
    assert rows["Devices"] == "30"
    assert rows["By platform"] == "Windows 20, iOS 10"
    assert rows["By ownership"] == "Corporate 30"
    assert all(d.management_state == ManagementState.MANAGED for d in Device.objects.all())


def test_devices_outside_the_requestors_scope_are_refused_by_name_before_filing(tenant):
    _wipe_policy(tenant)
    alice = f.user("alice")
    desk = f.user("desk")
    f.assign(
        f.builtin("Help Desk Operator"),
        [f.group("Alice's desk", [desk])],
        scope_groups=[f.group("Alice's people", [alice])],
    )
    mine = _devices(3, prefix="ALICE", primary_user=alice)
    others = _devices(2, prefix="BOB")
    with pytest.raises(OperationError, match=r"2 of the selected devices \(outside your scope\)"):
        _file(tenant, mine + others, actor=desk)
    assert not ApprovalRequest.objects.filter(operation_type="device.bulk_wipe").exists()
    with pytest.raises(OperationError, match="BOB-000, BOB-001"):
        _file(tenant, mine + others, actor=desk)
    assert _file(tenant, mine, actor=desk).target_label == "3 devices"


def test_devices_that_cannot_take_the_action_now_are_refused_by_name_with_the_reason(tenant):
    _wipe_policy(tenant)
    fine = _devices(3)
    retiring = f.device("RETIRING-1", management_state=ManagementState.RETIRE_PENDING)
    busy = f.device("BUSY-1")
    DeviceAction.objects.create(device=busy, kind="wipe", requested_by=tenant.hazel)
    with pytest.raises(OperationError) as refused:
        _file(tenant, [*fine, retiring, busy])
    assert str(refused.value) == (
        "2 of the selected devices cannot be: BUSY-1 (A wipe of BUSY-1 is already in progress.), "
        "RETIRING-1 (RETIRING-1 cannot be wiped while it is Retire pending.)"
    )
    assert not ApprovalRequest.objects.filter(operation_type="device.bulk_wipe").exists()
    gone = [*fine, f.device("GONE-1")]
    Device.objects.filter(pk=gone[-1].pk).delete()
    with pytest.raises(OperationError, match="Some selected devices no longer exist"):
        _file(tenant, gone)
    # Deleting asks only that the device is still managed in some way.
    delete = operation_start(
        actor=tenant.hazel,
        operation_code="device.bulk_delete",
        payload={"device_ids": [d.pk for d in [*fine, retiring, busy]]},
        justification="Kiosks leaving the fleet",
    )
    assert delete.request.target_label == "5 devices"


def test_filing_and_complete_read_the_devices_in_queries_not_one_per_device(tenant):
    """A bulk request's hooks group and count in SQL: 10,000 devices read as models were most of
    filing's time. The same number of queries for 3 devices as for 30, and a baseline."""
    _wipe_policy(tenant)

    def queries(devices) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as filing:
            request = _file(tenant, devices)
        request_approve(request_id=request.pk, approver=tenant.approver)
        with CaptureQueriesContext(connection) as completing:
            request_complete(request_id=request.pk, actor=tenant.hazel)
        return len(filing), len(completing)

    queries(_devices(3, prefix="WARM"))  # the first filing reads what later ones find cached
    few = queries(_devices(3, prefix="FEW"))
    assert few == queries(_devices(30, prefix="MANY"))
    # The baseline: the request's five grants are two INSERTs (guardian's assign_perm took
    # four or five statements each, 49 in all).
    assert few[0] <= 23, few


def test_above_the_threshold_the_bulk_quorum_applies_at_filing_and_again_at_complete(tenant):
    _wipe_policy(tenant, bulk_threshold=10, bulk_approvals_required=2)
    small = _file(tenant, _devices(10, prefix="SMALL"))
    assert small.approvals_required == 1
    big = _file(tenant, _devices(11, prefix="BIG"))
    assert big.approvals_required == 2
    big = request_approve(request_id=big.pk, approver=tenant.approver)
    assert big.status == RequestStatus.NEEDS_APPROVAL
    assert request_approve(request_id=big.pk, approver=tenant.approver2).status == "approved"
    # The small one is approved with one; a policy now asking two above 5 stops its Complete.
    request_approve(request_id=small.pk, approver=tenant.approver)
    from approvals.models import AccessPolicy

    AccessPolicy.objects.filter(policy_type="device.wipe").update(bulk_threshold=5)
    with pytest.raises(ApprovalError, match="now needs 2 approval"):
        request_complete(request_id=small.pk, actor=tenant.hazel)


def test_the_run_goes_in_batches_each_device_once(tenant, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH", 7)
    _wipe_policy(tenant)
    devices = _devices(20)
    request = _file(tenant, devices)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.hazel)
    request = request_execute(request_id=request.pk)
    assert request.execution_status == ExecutionStatus.QUEUED
    assert request.execution_result == "Wipe sent to 7 of 20 devices; 13 to go"
    request = run_to_the_end(request)
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    assert request.execution_result == "Wipe sent to 20 of 20 devices"
    assert DeviceAction.objects.filter(origin=request.execution_origin).count() == 20
    pinned = Device.objects.filter(pk__in=[d.pk for d in devices])
    assert set(pinned.values_list("management_state", flat=True)) == {ManagementState.WIPE_PENDING}


def test_a_device_that_fails_is_named_and_retry_runs_only_it(tenant):
    _wipe_policy(tenant)
    devices = _devices(5)
    request = _file(tenant, devices)
    request_approve(request_id=request.pk, approver=tenant.approver)
    # KIOSK-002 is retired meanwhile by hand: its wipe cannot start.
    Device.objects.filter(pk=devices[2].pk).update(management_state=ManagementState.RETIRE_PENDING)
    request_complete(request_id=request.pk, actor=tenant.hazel)
    request = run_to_the_end(request)
    assert request.execution_status == ExecutionStatus.FAILED
    assert "Wipe sent to 4 of 5 devices. 1 failed: KIOSK-002" in request.execution_error
    Device.objects.filter(pk=devices[2].pk).update(management_state=ManagementState.MANAGED)
    request_retry(request_id=request.pk, actor=tenant.hazel)
    request = run_to_the_end(request)
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    sent = DeviceAction.objects.filter(origin=request.execution_origin).exclude(status="failed")
    assert sorted(sent.values_list("device__name", flat=True)) == [d.name for d in devices]
    failed = DeviceAction.objects.get(origin=request.execution_origin, status="failed")
    assert failed.device == devices[2]


def test_a_device_that_left_the_scope_before_the_run_is_skipped_and_named(tenant):
    _wipe_policy(tenant)
    alice = f.user("alice")
    desk = f.user("desk")
    people = f.group("Alice's people", [alice])
    f.assign(
        f.builtin("Help Desk Operator"), [f.group("Alice's desk", [desk])], scope_groups=[people]
    )
    devices = _devices(3, prefix="ALICE", primary_user=alice)
    request = _file(tenant, devices, actor=desk)
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=desk)
    Device.objects.filter(pk=devices[0].pk).update(primary_user=None)  # out of Alice's scope
    request = run_to_the_end(request)
    assert request.execution_status == ExecutionStatus.SUCCEEDED
    assert "skipped, no longer in your scope: ALICE-000" in request.execution_result
    assert Device.objects.get(pk=devices[0].pk).management_state == ManagementState.MANAGED


def test_the_list_files_the_selection_or_everything_matching_and_pins_it(client, tenant):
    _wipe_policy(tenant)
    kiosks = _devices(3)
    client.force_login(tenant.hazel)
    listing = client.get(reverse("devices:list"), {"q": "KIOSK"}).content.decode()
    assert 'id="bulk-form"' in listing and 'form="bulk-form"' in listing
    url = reverse("devices:bulk") + "?kind=wipe&all=1&q=KIOSK"
    page = client.get(url).content.decode()
    assert "Wipe 3 devices" in page and 'id="breakdown"' in page
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, {"justification": "Kiosks leaving the fleet"})
    # The page answers before any device is read: a worker resolves, checks and pins them.
    assert not [q for q in ctx.captured_queries if '"devices_device"' in q["sql"]]
    filing = Filing.objects.get()
    assert response["Location"] == reverse("approvals:filing_detail", args=[filing.pk])
    waiting = client.get(response["Location"]).content.decode()
    assert (
        'id="filing-status">Being prepared' in waiting
        and 'hx-trigger="load delay:300ms, every 1s"' in waiting
    )
    assert client.get(response["Location"], headers={"HX-Request": "true"}).status_code == 204
    assert not ApprovalRequest.objects.filter(operation_type="device.bulk_wipe").exists()

    filing_run(filing_id=filing.pk)  # what the worker does
    request = ApprovalRequest.objects.get(operation_type="device.bulk_wipe")
    followed = client.get(response["Location"])
    assert followed["Location"] == reverse("approvals:request_detail", args=[request.pk])
    polled = client.get(response["Location"], headers={"HX-Request": "true"})
    assert polled["HX-Redirect"] == followed["Location"]
    assert f"Request #{request.pk}</a> was sent to the approvers" in (
        client.get(followed["Location"]).content.decode()
    )
    f.device("KIOSK-LATE")  # joins the filter after filing: not in the request
    assert request.payload == {"device_ids": sorted(d.pk for d in kiosks)}
    assert filing_run(filing_id=filing.pk).request == request  # a redelivery files nothing
    assert ApprovalRequest.objects.filter(operation_type="device.bulk_wipe").count() == 1
    selected = reverse("devices:bulk") + f"?kind=retire&device={kiosks[0].pk}"
    assert "Retire 1 devices" in client.get(selected).content.decode()
    devices_page = client.get(request.target_url).content.decode()
    assert "KIOSK-000" in devices_page and "Not run yet" in devices_page


def test_a_filing_refused_by_the_worker_goes_back_to_the_form_with_what_was_typed(client, tenant):
    _wipe_policy(tenant)
    fine = _devices(2)
    retiring = f.device("RETIRING-1", management_state=ManagementState.RETIRE_PENDING)
    client.force_login(tenant.hazel)
    url = (
        reverse("devices:bulk")
        + "?kind=wipe"
        + "".join(f"&device={d.pk}" for d in [*fine, retiring])
    )
    typed = {"justification": "Kiosks leaving the fleet", "run_at": "2099-01-02T03:04"}
    filing_page = client.post(url, typed)["Location"]
    filing_run(filing_id=Filing.objects.get().pk)
    assert not ApprovalRequest.objects.filter(operation_type="device.bulk_wipe").exists()

    back = client.get(filing_page)["Location"]
    assert back.startswith(reverse("devices:bulk") + "?kind=wipe&device=")
    form = client.get(back).content.decode()
    assert "1 of the selected devices cannot be: RETIRING-1 (RETIRING-1 cannot be wiped" in form
    assert "\nKiosks leaving the fleet</textarea>" in form and 'value="2099-01-02T03:04"' in form
    # My requests keeps the refusal, should the waiting page have been closed.
    mine = client.get(reverse("approvals:mine")).content.decode()
    assert 'id="filings"' in mine and "cannot be: RETIRING-1" in mine
    assert f'href="{back.replace("&", "&amp;")}">Back to the form' in mine
    # Sent again from there, it files (the refusal's mark is not carried on).
    Device.objects.filter(pk=retiring.pk).update(management_state=ManagementState.MANAGED)
    again = client.post(back, typed)["Location"]
    filing_run(filing_id=Filing.objects.latest("pk").pk)
    assert client.get(again)["Location"] == reverse(
        "approvals:request_detail",
        args=[ApprovalRequest.objects.get(operation_type="device.bulk_wipe").pk],
    )
    # Nobody else follows, or reads, someone's filing.
    client.force_login(tenant.approver)
    assert client.get(filing_page).status_code == 404
    assert "cannot be: RETIRING-1" not in client.get(back).content.decode()


def test_what_is_typed_wrong_is_refused_at_once_not_by_the_worker(client, tenant):
    _wipe_policy(tenant)
    kiosks = _devices(2)
    client.force_login(tenant.hazel)
    url = reverse("devices:bulk") + f"?kind=wipe&device={kiosks[0].pk}"
    page = client.post(url, {"justification": "", "run_at": "2001-01-01T00:00"})
    assert page.status_code == 200 and not Filing.objects.exists()
    assert "This field is required" in page.content.decode()
    page = client.post(url, {"justification": "Kiosks", "run_at": "2001-01-01T00:00"})
    assert "is in the past" in page.content.decode() and not Filing.objects.exists()


def test_a_filing_whose_worker_never_came_is_published_again(
    tenant, monkeypatch, django_capture_on_commit_callbacks
):
    from celery import current_app

    _wipe_policy(tenant)
    kiosks = _devices(2)
    published = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args: published.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_start(
            actor=tenant.hazel,
            operation_code="device.bulk_wipe",
            payload={"selection": f"device={kiosks[0].pk}&device={kiosks[1].pk}"},
            justification="Kiosks leaving the fleet",
            form_url="/devices/bulk/?kind=wipe",
        )
    assert published == [("approvals.tasks.file_request", [filing.pk])]
    assert filings_recover() == 0  # within its lease
    with django_capture_on_commit_callbacks(execute=True):
        assert filings_recover(now=timezone.now() + timedelta(minutes=1)) == 1
    assert published[-1] == ("approvals.tasks.file_request", [filing.pk])
    assert filing_run(filing_id=filing.pk).status == FilingStatus.FILED
    assert filings_recover(now=timezone.now() + timedelta(minutes=5)) == 0  # filed: done


def test_the_requests_devices_page_pages_the_pinned_devices_without_counting_them(client, tenant):
    """The pinned set's size is known: a page of it counts nothing (a quarter of the page's
    time for 10,000 devices)."""
    from devices.views import PAGE_SIZE

    _wipe_policy(tenant)
    kiosks = _devices(PAGE_SIZE + 2)
    request = _file(tenant, kiosks)
    client.force_login(tenant.approver)
    with CaptureQueriesContext(connection) as ctx:
        first = client.get(request.target_url).content.decode()
    assert "KIOSK-000" in first and f"KIOSK-{PAGE_SIZE:03d}" not in first
    assert f"({PAGE_SIZE + 2} items)" in first
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"]], "counted again"
    second = client.get(request.target_url, {"page": 2}).content.decode()
    assert f"KIOSK-{PAGE_SIZE:03d}" in second and f"KIOSK-{PAGE_SIZE + 1:03d}" in second


def test_a_stage_only_above_the_threshold_joins_big_requests_only(tenant):
    officers = f.group("Security Officers", [f.user("officer1")])
    f.assign(f.approver_role(), [officers], name="Security officers")
    state = policy_state("device.wipe", [tenant.approvers], 1)
    state["later_stages"] = [
        {"approver_groups": [officers.pk], "approvals_required": 1, "bulk_only": True}
    ]
    _wipe_policy(tenant, **state, bulk_threshold=5)
    small = _file(tenant, _devices(5, prefix="SMALL"))
    assert small.stage_count == 1
    big = _file(tenant, _devices(6, prefix="BIG"))
    assert big.stage_count == 2 and big.approvals_required == 1
    big = request_approve(request_id=big.pk, approver=tenant.approver)
    assert (big.status, big.stage) == (RequestStatus.NEEDS_APPROVAL, 2)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"bulk_threshold": 0, "bulk_approvals_required": 2}, "greater than or equal to 1"),
        ({"bulk_threshold": -3, "bulk_approvals_required": 2}, "greater than or equal to 1"),
        ({"bulk_threshold": 10}, "Say what the threshold requires"),
        ({"bulk_approvals_required": 2}, "Give the number of devices it applies above"),
    ],
)
def test_a_bad_threshold_gets_a_clear_message_and_keeps_what_was_typed(
    client, tenant, fields, message
):
    client.force_login(tenant.policy_admin)
    response = client.post(
        reverse("approvals:policy_create"),
        {
            "name": "Kiosk wipes",
            "policy_type": "device.wipe",
            "approver_groups": [tenant.approvers.pk],
            "approvals_required": 1,
            "justification": "Bulk wipes need two",
            **fields,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "Kiosk wipes" in body
    assert not ApprovalRequest.objects.filter(operation_type="policy.create").exists()


def test_bulk_sync_runs_at_once_in_scope_and_passes_over_the_busy(client, tenant):
    kiosks = _devices(4)
    DeviceAction.objects.create(device=kiosks[1], kind="sync", origin="earlier")  # pending
    client.force_login(tenant.hazel)
    url = reverse("devices:bulk") + "?kind=sync&all=1&q=KIOSK"
    assert "Sync 4 devices" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    body = response.content.decode()
    assert "Sync sent to 3 of 4 devices; passed over: KIOSK-001" in body
    assert not ApprovalRequest.objects.filter(operation_type="device.bulk_wipe").exists()
    assert DeviceAction.objects.filter(kind="sync", origin="Bulk sync").count() == 3


@pytest.mark.django_db(transaction=True)
def test_workers_file_a_bulk_request_and_the_one_whose_publish_was_lost(client):
    tenant = build_tenant()
    _wipe_policy(tenant)
    kiosks = _devices(3)
    lobby = _devices(2, prefix="LOBBY")
    with celery_worker(beat=True, env_extra={"MAA_RECOVERY_SWEEP_SECONDS": "1"}):
        client.force_login(tenant.hazel)
        url = reverse("devices:bulk") + "?kind=wipe&all=1&q=KIOSK"
        filing_page = client.post(url, {"justification": "Kiosks leaving the fleet"})["Location"]
        # Another whose task never reached the broker, its lease run out: the sweeper's.
        lost = Filing.objects.create(
            operation_type="device.bulk_retire",
            payload={"selection": "all=1&q=LOBBY"},
            requestor=tenant.hazel,
            justification="Lobby screens replaced",
            form_url="/devices/bulk/?kind=retire&all=1&q=LOBBY",
            lease_until=timezone.now(),
        )
        wait_until(
            lambda: not Filing.objects.filter(status=FilingStatus.PREPARING).exists(),
            what="the workers to file both",
        )
    wipe = ApprovalRequest.objects.get(operation_type="device.bulk_wipe")
    assert wipe.payload == {"device_ids": sorted(d.pk for d in kiosks)}
    assert client.get(filing_page)["Location"] == reverse(
        "approvals:request_detail", args=[wipe.pk]
    )
    retire = Filing.objects.get(pk=lost.pk).request
    assert retire.payload == {"device_ids": sorted(d.pk for d in lobby)}


def test_break_glass_from_the_bulk_page_pins_the_selection_at_once(tenant):
    """An emergency is not filed by a worker: the selection is resolved and pinned in the call."""
    responders = f.group("Incident Responders", [tenant.hazel])
    f.assign(f.builtin("Help Desk Operator"), [responders], name="Responders")
    _wipe_policy(tenant, break_glass_group=responders.pk)
    kiosks = _devices(3)
    request = operation_break_glass(
        actor=tenant.hazel,
        operation_code="device.bulk_wipe",
        payload={"selection": "all=1&q=KIOSK"},
        justification="Kiosks compromised",
    )
    assert request.payload == {"device_ids": sorted(d.pk for d in kiosks)}
    assert request.break_glass and not Filing.objects.exists()


def test_the_request_page_reads_the_pinned_ids_only_for_the_progress(client, tenant):
    """The page's link to the devices comes from the pinned key: a bulk request's page leaves
    its 10,000 ids unread until the run's progress needs them; other requests read theirs."""
    from approvals.selectors import request_page

    _wipe_policy(tenant)
    kiosks = _devices(3)
    request = _file(tenant, kiosks)
    page = request_page(tenant.approver, request.pk)
    assert "payload" in page.get_deferred_fields()
    assert page.target_url == request.target_url
    client.force_login(tenant.approver)
    body = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert f'href="{request.target_url}">3 devices</a>' in body
    request_approve(request_id=request.pk, approver=tenant.approver)
    request_complete(request_id=request.pk, actor=tenant.hazel)
    run_to_the_end(request)
    page = request_page(tenant.hazel, request.pk)
    assert page.payload == {"device_ids": sorted(d.pk for d in kiosks)}
    assert [step.label for step in page.progress][0] == "Command sent to 3 of 3 devices"
    single = request_page(tenant.hazel, request_wipe(tenant).pk)
    assert "payload" not in single.get_deferred_fields()
    assert single.payload == {"device_id": tenant.device.pk}


def test_a_long_ticked_selection_is_kept_whole_and_refused_when_gone(client, tenant):
    """Hundreds of ticked devices make an address of thousands of characters (5,600 here):
    kept whole."""
    _wipe_policy(tenant)
    client.force_login(tenant.hazel)
    url = (
        reverse("devices:bulk")
        + "?kind=wipe"
        + "".join(f"&device={900000 + i}" for i in range(400))
    )
    response = client.post(url, {"justification": "Kiosks leaving the fleet"})
    assert response.status_code == 302 and Filing.objects.get().form_url == url
    assert filing_run(filing_id=Filing.objects.get().pk).refusal == (
        "Some selected devices no longer exist; select them again."
    )
