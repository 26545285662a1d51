"""Writing, sealing and checking the audit chain. Every app records its events through here.

Appending holds no lock: an event is inserted unsealed in the caller's transaction, so audited
writes never wait for each other. One sealer at a time (audit_seal, run every second by the
worker's beat and by `verify_audit`) takes the committed unsealed events in insertion order and
links them into the chain. Verification covers the sealed events and reports the unsealed ones.
"""

import contextvars
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works; it names the lock that keeps a second sealer out.
_SEALER_LOCK_KEY = 0x4D4141
SEAL_BATCH = 1000

client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "maa_client_ip", default=None
)


def audit_event(
    *,
    actor,
    action: str,
    target=None,
    target_label: str = "",
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    request_id: int | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """One event, not saved yet: audit_record saves one, audit_record_all a batch."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        created_at=timezone.now(),
        actor=user,
        actor_label=str(user) if user else (actor or "system"),
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label or (str(target) if target is not None else ""),
        from_state=from_state,
        to_state=to_state,
        note=note,
        client_ip=client_ip_var.get(),
        request_id=request_id,
        data=data or {},
    )


def audit_record(**fields) -> AuditEvent:
    """Append one event, unsealed, inside the caller's transaction (fields: audit_event's)."""
    event = audit_event(**fields)
    event.save()
    return event


def audit_record_all(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append events built by audit_event in one INSERT, in their order (the sealer chains
    them by id)."""
    return AuditEvent.objects.bulk_create(events)


def _sealer_lock() -> bool:
    """Inside a transaction: whether this process is the sealer now (PostgreSQL). SQLite
    serialises writing transactions itself."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEALER_LOCK_KEY])
        return cursor.fetchone()[0]


def _walk_the_unsealed_index() -> None:
    """Inside the sealer's transaction: read the next batch by walking the unsealed index in
    id order to the batch's end. With statistics from before a backlog (a sealer down for a
    while, a bulk load) PostgreSQL took the backlog for a few hundred rows and read all of it,
    with a bitmap scan and a sort, for each batch: 860 ms a batch behind 1.8 million unsealed
    events, against 0.7 ms walking the index. Neither a bitmap scan nor a sort, then: the one
    plan left that gives id order is the walk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off")


def _seal_rows(rows: list[tuple]) -> None:
    """Write (seq, prev_hash, hash, id) to unsealed events. On PostgreSQL one UPDATE from
    arrays: a statement per event made sealing 2.7 million events take 7 minutes."""
    if not rows:
        return
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s AND seq IS NULL",
                rows,
            )
            return
        seqs, prevs, hashes, ids = (list(column) for column in zip(*rows, strict=True))
        cursor.execute(
            f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[]) "
            "AS v(seq, prev_hash, hash, id) WHERE e.id = v.id AND e.seq IS NULL",
            [seqs, prevs, hashes, ids],
        )


def audit_seal() -> int:
    """Link the committed unsealed events into the chain, oldest first; returns how many.

    Runs in its own transactions of at most SEAL_BATCH events; another sealer at work makes it
    return at once. Sealing is the one UPDATE the database lets through (audit migration 0004).
    """
    sealed, after = 0, 0
    while True:
        with transaction.atomic():
            if not _sealer_lock():
                return sealed
            _walk_the_unsealed_index()
            head = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq")
            last = head.only("seq", "hash").first()
            seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS_HASH)
            # Past the batch just sealed: the partial index still holds the sealed rows until
            # a vacuum, and reading from its start again made each batch of a 2-million
            # backlog slower than the last. An earlier event committed meanwhile waits for the
            # next call (a second later, the beat's), still in id order.
            unsealed = AuditEvent.objects.filter(seq__isnull=True, id__gt=after).order_by("id")
            pending = list(unsealed[:SEAL_BATCH])
            rows = []
            for event in pending:
                seq += 1
                event.seq, event.prev_hash = seq, prev_hash
                event.hash = prev_hash = event.compute_hash()
                rows.append((event.seq, event.prev_hash, event.hash, event.pk))
            _seal_rows(rows)
        sealed += len(pending)
        after = pending[-1].pk if pending else after
        if len(pending) < SEAL_BATCH:
            return sealed


@dataclass
class ChainReport:
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    # Events written but not linked into the chain yet (the sealer had not run).
    unsealed: int = 0

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def audit_verify(checkpoint=None) -> ChainReport:
    """Walk the sealed chain in order; report the first event whose hash, link or number is
    wrong, and how many events wait to be sealed.

    With a checkpoint (audit.checkpoints), also report a chain cut short of it or whose event
    at the checkpoint is not the one recorded then.
    """
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    at_checkpoint = ""
    sealed = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    for event in sealed.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(
                checked, event.seq, f"event #{expected_seq} is missing (next found is #{event.seq})"
            )
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.seq, "its link to the previous event does not match")
        if event.compute_hash() != event.hash:
            return ChainReport(checked, event.seq, "its content does not match its hash")
        if checkpoint and event.seq == checkpoint.seq:
            at_checkpoint = event.hash
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if checkpoint and checkpoint.seq:
        if checked < checkpoint.seq:
            return ChainReport(
                checked,
                checked + 1,
                f"the chain ends at event #{checked}, but the checkpoint of {checkpoint.at} "
                f"recorded #{checkpoint.seq}: events were removed from the end",
            )
        if at_checkpoint != checkpoint.hash:
            return ChainReport(
                checked,
                checkpoint.seq,
                f"it is not the event the checkpoint of {checkpoint.at} recorded",
            )
    return ChainReport(checked, unsealed=AuditEvent.objects.filter(seq__isnull=True).count())
