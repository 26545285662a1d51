"""utilities.queries: many ids as one array, and rows without Django's per-row conversion."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from devices.models import Device, DeviceAction
from tests import factories as f
from utilities.digests import digest
from utilities.queries import among, plain_rows


def test_among_selects_the_rows_of_these_ids_as_one_array(db):
    devices = [f.device() for _ in range(5)]
    chosen = [devices[0].pk, devices[3].pk, devices[4].pk]
    with CaptureQueriesContext(connection) as ctx:
        found = sorted(Device.objects.filter(among("pk", chosen)).values_list("pk", flat=True))
    assert found == chosen
    assert list(Device.objects.filter(among("pk", []))) == []
    assert Device.objects.exclude(among("pk", chosen)).count() == 2
    sql = ctx.captured_queries[0]["sql"]
    # One text PostgreSQL splits, compared with = ANY: not a placeholder per id, nor an
    # IN (SELECT unnest(...)) the planner takes for 10 rows.
    assert "= ANY(string_to_array(" in sql and "unnest" not in sql, sql


def test_among_works_on_a_foreign_key(db, tenant):
    device, other = f.device(), f.device()
    for target in (device, other):
        DeviceAction.objects.create(device=target, kind="sync", requested_by=tenant.hazel)
    actions = DeviceAction.objects.filter(among("device_id", [device.pk]))
    assert [a.device_id for a in actions] == [device.pk]


def test_plain_rows_are_the_rows_values_list_gives(db):
    for i in range(4):
        f.device(f"PLAIN-{i}", serial_number=f'SN "{i}" \\ é')
    qs = Device.objects.order_by("pk").values_list("pk", "serial_number")
    rows = plain_rows(qs)
    assert rows == list(qs)
    # What a bulk request's fingerprint digests: the same digest either way.
    assert digest(rows) == digest(list(qs))
