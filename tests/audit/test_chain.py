import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from audit.chain import audit_event, audit_record, audit_record_all, audit_seal, audit_verify
from audit.models import AppendOnlyError, AuditEvent
from tests import factories as f
from tests.conftest import request_wipe


@pytest.fixture
def chain(db):
    actor = f.user("auditee")
    for i in range(5):
        audit_record(actor=actor, action="test.event", note=f"event {i}", data={"i": i})
    audit_seal()
    return list(AuditEvent.objects.order_by("seq"))


def _sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def owner_tampering(chain):
    """Someone with the table owner's rights switches the database's guard off."""
    _sql("ALTER TABLE audit_auditevent DISABLE TRIGGER maa_audit_append_only", [])
    return chain


def test_the_database_refuses_edits_and_deletes(chain):
    from django.db import DatabaseError, transaction

    for statement in (
        "UPDATE audit_auditevent SET note = 'x' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 1",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql(statement, [])
    assert audit_verify().ok


def test_a_clean_chain_verifies(chain, capsys):
    assert audit_verify().ok
    call_command("verify_audit")
    assert "intact: 5 events" in capsys.readouterr().out


def test_an_edited_event_is_caught(owner_tampering):
    _sql("UPDATE audit_auditevent SET note = %s WHERE seq = %s", ["rewritten", 3])
    report = audit_verify()
    assert report.broken_seq == 3 and "content" in report.reason
    with pytest.raises(CommandError, match="#3"):
        call_command("verify_audit")


def test_a_deleted_event_is_caught(owner_tampering):
    _sql("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    report = audit_verify()
    assert report.broken_seq == 3 and "missing" in report.reason


def test_reordered_events_are_caught(owner_tampering):
    _sql("UPDATE audit_auditevent SET seq = -1 WHERE seq = 2", [])
    _sql("UPDATE audit_auditevent SET seq = 2 WHERE seq = 4", [])
    _sql("UPDATE audit_auditevent SET seq = 4 WHERE seq = -1", [])
    assert audit_verify().broken_seq == 2


def test_events_cannot_be_changed_or_deleted_through_the_orm(chain):
    event = chain[0]
    event.note = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=1).update(note="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_admin_cannot_change_or_delete_events(client, chain):
    admin = f.global_admin("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    change = client.get(reverse("admin:audit_auditevent_change", args=[chain[0].pk]))
    assert change.status_code == 200 and "Save" not in change.content.decode()
    assert (
        client.get(reverse("admin:audit_auditevent_delete", args=[chain[0].pk])).status_code == 403
    )


def test_the_flow_records_who_what_and_the_client_address(client, tenant, wipe_policy):
    client.force_login(tenant.hazel)
    client.post(
        reverse("devices:action", args=[tenant.device.pk, "wipe"]),
        {"justification": "Reassign"},
        REMOTE_ADDR="10.1.2.3",
    )
    event = AuditEvent.objects.get(action="request.submit", actor=tenant.hazel)
    assert event.client_ip == "10.1.2.3"
    assert event.to_state == "needs_approval" and event.note == "Reassign"
    assert audit_verify().ok


def test_logins_and_failed_logins_are_audited(client, tenant):
    client.post(reverse("login"), {"username": "hazel", "password": "wrong"})
    client.post(reverse("login"), {"username": "hazel", "password": "pw"})
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", "note"))
    assert ("auth.login_failed", "hazel") in actions
    assert any(a == "auth.login" for a, _ in actions)


def test_exports_hold_the_filtered_events_with_their_hashes(client, tenant, wipe_policy):
    request_wipe(tenant)
    client.force_login(tenant.policy_admin)
    audit_seal()
    url = reverse("audit:export", args=["csv"])
    text = b"".join(client.get(url, {"action": "request."}).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(r["action"].startswith("request.") for r in rows)
    assert {"hash", "prev_hash", "seq"} <= set(rows[0])
    url = reverse("audit:export", args=["jsonl"])
    lines = b"".join(client.get(url).streaming_content).decode().splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == AuditEvent.objects.count()
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[1]["prev_hash"] == events[0]["hash"]


def test_audit_pages_need_audit_data_read(client, tenant):
    client.force_login(f.user("nobody"))
    assert client.get(reverse("audit:index")).status_code == 403
    assert client.get(reverse("audit:export", args=["csv"])).status_code == 403
    client.force_login(tenant.policy_admin)
    assert client.get(reverse("audit:index")).status_code == 200


def test_the_audit_logs_filters_pick_days_in_the_portals_time_zone_and_text_anywhere(
    client, tenant, settings
):
    """The day filters compare times with the day's bounds (so the created_at index serves
    them), in the portal's time zone, as created_at__date did."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.urls import reverse

    settings.TIME_ZONE = "Europe/Rome"
    rome = ZoneInfo("Europe/Rome")
    for label, at in [
        ("before", datetime(2026, 3, 9, 23, 59, 59, tzinfo=rome)),
        ("first", datetime(2026, 3, 10, 0, 0, 0, tzinfo=rome)),  # 23:00 UTC the day before
        ("last", datetime(2026, 3, 10, 23, 59, 59, tzinfo=rome)),
        ("after", datetime(2026, 3, 11, 0, 0, 0, tzinfo=rome)),
    ]:
        event = audit_event(actor=None, action="test.day", target_label=f"PC-{label}-X")
        event.created_at = at
        audit_record_all([event])
    client.force_login(tenant.policy_admin)
    url = reverse("audit:index")
    body = client.get(url, {"since": "2026-03-10", "until": "2026-03-10"}).content.decode()
    assert "PC-first-X" in body and "PC-last-X" in body
    assert "PC-before-X" not in body and "PC-after-X" not in body
    body = client.get(url, {"target": "c-LAST-x"}).content.decode()
    assert "PC-last-X" in body and "PC-first-X" not in body


def test_the_actor_filter_finds_a_person_by_name_or_username_and_other_actors_by_label(
    client, tenant
):
    other = f.user("zoe.keller")  # shown as "Zoe.keller"
    for actor, label in [(tenant.hazel, "PC-HAZEL"), (other, "PC-ZOE"), (None, "PC-WORKER")]:
        audit_record_all([audit_event(actor=actor, action="test.actor", target_label=label)])
    client.force_login(tenant.policy_admin)
    url = reverse("audit:index")
    body = client.get(url, {"actor": "KELLER", "action": "test."}).content.decode()
    assert "PC-ZOE" in body and "PC-HAZEL" not in body and "PC-WORKER" not in body
    body = client.get(url, {"actor": "zoe.k", "action": "test."}).content.decode()
    assert "PC-ZOE" in body and "PC-HAZEL" not in body
    # Nobody is called "system": the actors that are not people, by their label.
    body = client.get(url, {"actor": "syst", "action": "test."}).content.decode()
    assert "PC-WORKER" in body and "PC-ZOE" not in body and "PC-HAZEL" not in body
