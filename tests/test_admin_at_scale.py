"""The Django admin at a million rows (utilities.admin): no whole-table count, sorts an index
holds, and searches that need no join. Checked on the SQL the changelist runs."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devices.models import Device
from rbac.models import User
from tests import factories as f
from utilities.paginator import COUNT_CAP

CHANGELIST = "/admin/devices/device/"


@pytest.fixture
def staff(client, tenant):
    client.force_login(User.objects.create_superuser("root", "root@example.test", "pw"))
    return client


def _sql(client, path: str, params: dict) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def _device_selects(sql: list[str]) -> list[str]:
    return [q for q in sql if 'FROM "devices_device"' in q]


def test_past_the_count_cap_the_changelist_says_the_planners_estimate_without_counting(staff):
    template = Device.objects.first()
    Device.objects.bulk_create(
        Device(name=f"BULK-{i:05d}", serial_number=f"BULK{i:07d}", model=template.model)
        for i in range(COUNT_CAP + 100)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE devices_device")
    body, sql = _sql(staff, CHANGELIST, {})
    counts = [q for q in _device_selects(sql) if "COUNT(" in q]
    # Every count is bounded by the cap; nothing counts the whole table.
    assert counts and all(f"LIMIT {COUNT_CAP + 1}" in q for q in counts), counts
    shown = int(re.search(r"([\d,]+) devices", body).group(1).replace(",", ""))
    assert shown > COUNT_CAP
    assert abs(shown - Device.objects.count()) < 0.2 * Device.objects.count()


def test_a_small_list_is_counted_exactly(staff):
    f.device("PC-1"), f.device("PC-2")
    body, _ = _sql(staff, CHANGELIST, {})
    assert f"{Device.objects.count()} devices" in body


def test_only_columns_an_index_holds_are_sortable_and_ties_follow_the_sort(staff):
    body, sql = _sql(staff, CHANGELIST, {"o": "1"})  # the first column, name, ascending
    listing = [q for q in _device_selects(sql) if "ORDER BY" in q][-1]
    assert re.search(r'ORDER BY "devices_device"."name" ASC, "devices_device"."id" ASC', listing)
    # Name and serial number (unique) sort; OS, compliance and ownership have no (column, id)
    # index, and sorting a million rows by them would read them all.
    assert 'class="sortable column-name' in body
    assert 'class="sortable column-serial_number' in body
    assert 'class="sortable column-operating_system' not in body
    assert "column-operating_system" in body


def test_a_search_reads_the_user_table_first_and_lists_newest_first(staff, tenant):
    f.device("AARDVARK-1")
    f.device("ZEBRA-2", primary_user=f.user("aardvark.fan"))
    body, sql = _sql(staff, CHANGELIST, {"q": "aardvark"})
    assert body.index("ZEBRA-2") < body.index("AARDVARK-1")  # newest first, both found
    listing = [q for q in _device_selects(sql) if "ORDER BY" in q][-1]
    assert "JOIN" not in listing.split("ORDER BY")[0].split("WHERE")[1]
    assert 'ORDER BY "devices_device"."id" DESC' in listing


def test_the_scope_tag_filter_needs_no_distinct(staff, tenant):
    milan = f.tag("Milan")
    f.device("PC-MILAN", tags=[milan])
    f.device("PC-ROME")
    body, sql = _sql(staff, CHANGELIST, {"tag": milan.pk})
    assert "PC-MILAN" in body and "PC-ROME" not in body
    assert not [q for q in _device_selects(sql) if "DISTINCT" in q]


@pytest.mark.parametrize(
    "path", ["/admin/approvals/approvalrequest/", "/admin/audit/auditevent/", CHANGELIST]
)
def test_no_changelist_lists_a_columns_values_with_distinct(staff, path):
    _, sql = _sql(staff, path, {})
    assert not [q for q in sql if "DISTINCT" in q]


def test_the_operation_filter_lists_the_registered_operations(staff, tenant):
    from tests.conftest import request_wipe

    request_wipe(tenant)
    body, _ = _sql(staff, "/admin/approvals/approvalrequest/", {"operation_type": "device.wipe"})
    assert "Device wipe" in body and "?operation_type=device.retire" in body


def test_every_portal_admin_stands_on_the_large_table_admin():
    from django.contrib import admin
    from django.contrib.auth.admin import UserAdmin

    from utilities.admin import LargeTableAdmin

    plain = [
        type(model_admin).__name__
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label
        in {"devices", "approvals", "audit", "rbac", "device_scripts", "mobile_apps"}
        and not isinstance(model_admin, LargeTableAdmin | UserAdmin)
    ]
    assert plain == []
