"""Writing and checking the audit chain. Every app records its events through here."""

import contextvars
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works; it names the one lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 0x4D4141

client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "maa_client_ip", default=None
)


def audit_record(
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
    """Append one event to the chain, inside the caller's transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
        user = actor if getattr(actor, "is_authenticated", False) else None
        event = AuditEvent(
            seq=(last.seq + 1) if last else 1,
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
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        event.hash = event.compute_hash()
        event.save()
    return event


@dataclass
class ChainReport:
    checked: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def audit_verify(checkpoint=None) -> ChainReport:
    """Walk the chain in order; report the first event whose hash, link or number is wrong.

    With a checkpoint (audit.checkpoints), also report a chain cut short of it or whose event
    at the checkpoint is not the one recorded then.
    """
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    at_checkpoint = ""
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
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
    return ChainReport(checked)
