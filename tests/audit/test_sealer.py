"""Appends take no lock; one sealer links committed events into the chain, in order, once."""

import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.chain import GENESIS_HASH, audit_record, audit_seal, audit_verify
from audit.models import AuditEvent


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
def test_events_are_written_unsealed_and_verification_reports_them(capsys):
    for i in range(3):
        audit_record(actor=None, action="test.event", note=f"event {i}")
    report = audit_verify()
    assert report.ok and (report.checked, report.unsealed) == (0, 3)
    assert audit_seal() == 3
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH and events[1].prev_hash == events[0].hash
    report = audit_verify()
    assert report.ok and (report.checked, report.unsealed) == (3, 0)
    assert audit_seal() == 0  # nothing twice
    audit_record(actor=None, action="test.event", note="newer")
    call_command("verify_audit")  # seals what waits, then checks it all
    assert "intact: 4 events" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_database_lets_only_a_sealing_through():
    audit_record(actor=None, action="test.event", note="a")
    event = AuditEvent.objects.get()
    table = AuditEvent._meta.db_table
    # Sealing while changing the content: refused.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(
            f"UPDATE {table} SET seq = 1, hash = 'x', note = 'rewritten' WHERE id = %s", [event.pk]
        )
    audit_seal()
    # Sealing again (moving a sealed event): refused.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(f"UPDATE {table} SET seq = 7, hash = 'y' WHERE id = %s", [event.pk])
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_an_append_does_not_wait_for_another_open_transaction():
    """Before the sealer, each append held one global lock to its transaction's end."""
    inside, release, other_done = threading.Event(), threading.Event(), threading.Event()

    def slow_writer():
        with transaction.atomic():
            audit_record(actor=None, action="test.slow")
            inside.set()
            release.wait(10)
        connection.close()

    def quick_writer():
        with transaction.atomic():
            audit_record(actor=None, action="test.quick")
        other_done.set()
        connection.close()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert inside.wait(10)
    quick = threading.Thread(target=quick_writer)
    quick.start()
    finished_while_slow_open = other_done.wait(10)
    release.set()
    slow.join(10)
    quick.join(10)
    assert finished_while_slow_open
    # Both committed by now: sealed in the order they were written, with no gap.
    assert audit_seal() == 2
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "test.slow"),
        (2, "test.quick"),
    ]
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_event_leaves_no_gap_in_the_chain():
    audit_record(actor=None, action="test.kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="test.rolled_back")
        raise RuntimeError("the caller's transaction fails")
    audit_record(actor=None, action="test.kept_too")
    assert audit_seal() == 2
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "test.kept"),
        (2, "test.kept_too"),
    ]
    assert audit_verify().ok


@pytest.mark.django_db
def test_a_backlog_is_read_by_walking_the_unsealed_index_whatever_the_planner_prefers():
    """Statistics from before a backlog made PostgreSQL read a 1.8-million backlog with a
    bitmap scan and a sort for each batch of 1,000 (860 ms a batch). Here index scans are
    made to look dear, as a wrong estimate made them look there."""
    from audit.chain import _sealer_lock, _walk_the_unsealed_index, audit_event, audit_record_all

    audit_record_all([audit_event(actor=None, action="test.event") for _ in range(3000)])
    unsealed = AuditEvent.objects.filter(seq__isnull=True, id__gt=0).order_by("id")
    with transaction.atomic():
        _sql("SET LOCAL random_page_cost = 1000")
        assert _sealer_lock()
        _walk_the_unsealed_index()
        plan = unsealed[:1000].explain()
    assert "Index Scan using audit_unsealed" in plan, plan
    assert audit_seal() == 3000 and audit_verify().ok
