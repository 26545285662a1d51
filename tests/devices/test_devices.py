from django.urls import reverse

from devices.models import ActionStatus, ManagementState, OperatingSystem
from devices.services import DeviceActionError, device_action_run, device_check_in
from devices.views import PAGE_SIZE
from tests import factories as f


def test_device_list_filters_and_searches(client, tenant):
    f.device("MAC-LON-1", operating_system=OperatingSystem.MACOS, compliance_state="noncompliant")
    f.device("IPHONE-1", operating_system=OperatingSystem.IOS)
    client.force_login(tenant.hazel)
    url = reverse("devices:list")
    body = client.get(url, {"operating_system": "macOS"}).content.decode()
    assert "MAC-LON-1" in body and "IPHONE-1" not in body
    body = client.get(url, {"compliance_state": "noncompliant"}).content.decode()
    assert "MAC-LON-1" in body and "DESKTOP-HAZEL-01" not in body
    body = client.get(url, {"q": "iphone"}).content.decode()
    assert "IPHONE-1" in body and "MAC-LON-1" not in body
    # The search reaches the primary user's name too.
    f.device("LAPTOP-7", primary_user=f.user("zoe.keller"))
    body = client.get(url, {"q": "keller"}).content.decode()
    assert "LAPTOP-7" in body and "IPHONE-1" not in body


def test_search_results_come_newest_enrolled_first_not_by_name(client, tenant):
    """A search does not walk the name order (bench: a common word took 75,000 rows' walk)."""
    older, newer = f.device("AARDVARK-PHONE-1"), f.device("ZEBRA-PHONE-2")
    assert older.pk < newer.pk
    client.force_login(tenant.hazel)
    url = reverse("devices:list")
    body = client.get(url, {"q": "phone"}).content.decode()
    assert body.index("ZEBRA-PHONE-2") < body.index("AARDVARK-PHONE-1")
    assert "newest enrolled first" in body
    # Without a search the list stays in name order.
    body = client.get(url).content.decode()
    assert body.index("AARDVARK-PHONE-1") < body.index("ZEBRA-PHONE-2")
    assert "newest enrolled first" not in body


def test_a_bad_filter_value_is_named_and_the_others_still_apply(client, tenant):
    f.device("MAC-LON-1", operating_system=OperatingSystem.MACOS)
    f.device("IPHONE-1", operating_system=OperatingSystem.IOS)
    client.force_login(tenant.hazel)
    response = client.get(reverse("devices:list"), {"operating_system": "macOS", "tag": "999"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in body
    assert "MAC-LON-1" in body and "IPHONE-1" not in body
    # What was chosen stays chosen.
    assert '<option value="macOS" selected>' in body


def test_device_list_rows_escape_names_and_show_what_django_templates_showed(client, tenant):
    """The rows are rendered by Jinja2 ({% rows %}): escaped, datetimes as Django prints them."""
    from django.utils import timezone
    from django.utils.formats import localize

    seen = timezone.now()
    f.device('<script>alert("x")</script>', tags=[f.tag("Milan & Rome")], last_check_in=seen)
    client.force_login(tenant.hazel)
    body = client.get(reverse("devices:list")).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</a>" in body
    assert "Milan &amp; Rome" in body
    assert f'<td data-label="Last check-in">{localize(timezone.localtime(seen))}</td>' in body
    assert '<td data-label="Primary user">—</td>' in body


def test_device_list_filters_by_scope_tag(client, tenant):
    milan = f.tag("Milan")
    f.device("TAGGED-1", tags=[milan])
    client.force_login(tenant.hazel)
    body = client.get(reverse("devices:list"), {"tag": milan.pk}).content.decode()
    assert "TAGGED-1" in body and "DESKTOP-HAZEL-01" not in body


def _list_queries(client, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(reverse("devices:list"))
    assert response.status_code == 200


def test_device_list_query_count_does_not_grow_with_rows(
    client, tenant, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scoped = f.user("scoped")
    people = f.group("People", [tenant.hazel])
    f.assign(
        f.builtin("Help Desk Operator"),
        [f.group("Scoped desk", [scoped])],
        scope_groups=[people],
        tags=[f.tag("Milan")],
    )
    client.force_login(scoped)
    # More than a page: a page that holds all its rows needs no count (utilities.paginator).
    for _ in range(PAGE_SIZE + 1):
        f.device(primary_user=tenant.hazel, tags=[f.tag("Milan")])
    client.get(reverse("devices:list"))  # resolves and caches the user's access
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("devices:list"))
    for _ in range(60):
        f.device(primary_user=tenant.hazel, tags=[f.tag("Milan")])
    _list_queries(client, django_assert_max_num_queries, len(few.captured_queries))


def test_sync_runs_directly_and_completes_at_check_in(client, tenant):
    client.force_login(tenant.hazel)
    client.post(reverse("devices:sync", args=[tenant.device.pk]))
    action = tenant.device.actions.get()
    assert action.kind == "sync" and action.status == ActionStatus.SENT
    device_check_in(device_id=tenant.device.pk)
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_a_wipe_moves_the_device_through_its_states_at_check_ins(tenant):
    action = device_action_run(actor=tenant.hazel, device_id=tenant.device.pk, kind="wipe")
    states = []
    for _ in range(2):
        device = device_check_in(device_id=tenant.device.pk)
        states.append(device.management_state)
    assert states == [ManagementState.WIPING, ManagementState.WIPED]
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_a_deleted_device_keeps_its_history_and_refuses_actions(tenant):
    device_action_run(actor=tenant.hazel, device_id=tenant.device.pk, kind="sync")
    device_action_run(actor=tenant.hazel, device_id=tenant.device.pk, kind="delete")
    tenant.device.refresh_from_db()
    assert tenant.device.management_state == ManagementState.DELETED
    assert tenant.device.actions.count() == 2
    try:
        device_action_run(actor=tenant.hazel, device_id=tenant.device.pk, kind="wipe")
    except DeviceActionError as exc:
        assert "deleted" in str(exc)
    else:
        raise AssertionError("a deleted device accepted a wipe")


def test_the_device_state_cannot_be_assigned(tenant):
    try:
        tenant.device.management_state = ManagementState.WIPED
    except AttributeError:
        pass
    else:
        raise AssertionError("management_state accepted a direct assignment")


def test_an_out_of_scope_device_page_is_not_found(client, tenant):
    scoped = f.user("scoped2")
    f.assign(
        f.builtin("Help Desk Operator"),
        [f.group("Nobody's desk", [scoped])],
        scope_groups=[f.group("Empty scope")],
    )
    client.force_login(scoped)
    assert client.get(reverse("devices:detail", args=[tenant.device.pk])).status_code == 404


def test_device_page_offers_only_actions_the_device_can_take(client, tenant):
    device_action_run(actor=tenant.hazel, device_id=tenant.device.pk, kind="wipe")
    client.force_login(tenant.hazel)
    body = client.get(reverse("devices:detail", args=[tenant.device.pk])).content.decode()
    assert reverse("devices:action", args=[tenant.device.pk, "wipe"]) not in body
    assert reverse("devices:action", args=[tenant.device.pk, "delete"]) in body


def test_device_page_shows_the_device_receiving_and_performing_the_wipe(client, tenant):
    device_action_run(actor=tenant.hazel, device_id=tenant.device.pk, kind="wipe")
    device_check_in(device_id=tenant.device.pk)
    device_check_in(device_id=tenant.device.pk)
    client.force_login(tenant.hazel)
    body = client.get(reverse("devices:detail", args=[tenant.device.pk])).content.decode()
    assert (
        "The device received the wipe command and started its reset (Wipe pending → Wiping)" in body
    )
    assert "The device finished its reset: it is wiped (Wiping → Wiped)" in body
    assert "Hazel sent a wipe command (Managed → Wipe pending)" in body
    assert "device.wipe" not in body


def test_filing_and_completing_a_wipe_read_the_device_once_each(tenant, wipe_policy):
    """The operation's hooks share one read per service call (approvals.operations.reads_shared):
    filing read the device five times, Complete three."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals.services import request_approve, request_complete
    from tests.conftest import request_wipe

    def device_reads(queries) -> int:
        return sum(
            q["sql"].startswith('SELECT "devices_device"') and "FOR UPDATE" not in q["sql"]
            for q in queries
        )

    with CaptureQueriesContext(connection) as filing:
        request = request_wipe(tenant)
    request_approve(request_id=request.pk, approver=tenant.approver)
    with CaptureQueriesContext(connection) as completing:
        request = request_complete(request_id=request.pk, actor=tenant.hazel)
    assert request.execution_status == "queued"
    assert device_reads(filing.captured_queries) == 1
    assert device_reads(completing.captured_queries) == 1
