import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """Audit events are never edited or deleted, by anyone."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")

    def for_request(self, request_id: int):
        return self.filter(request_id=request_id).order_by("id")


class AuditEvent(models.Model):
    """One immutable event, chained to the previous one by `prev_hash`.

    An event is written unsealed (no seq, no hash) inside the caller's transaction, without any
    lock; the sealer (audit.chain.audit_seal) then gives committed events, in order, their
    place in the chain: `seq`, `prev_hash` and `hash`, once. The hash covers the event's content
    and its predecessor's hash, so editing, deleting or reordering any sealed event breaks the
    chain where it happened (`manage.py verify_audit`).
    """

    # Null until sealed; then the event's place in the chain (1, 2, 3, ... without gaps).
    seq = models.BigIntegerField(unique=True, null=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint: the event must outlive the user and keep the id it recorded.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        # Indexed with id (Meta.indexes, audit_by_actor), which serves a lookup by actor too.
        db_index=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True, db_index=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    # NULL, not "", until sealed: unique must allow many unsealed events.
    hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # What the sealer reads: the unsealed events, oldest first.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed"
            ),
            # A target's history (the device page, a script's page), newest first: filtered on
            # target alone, PostgreSQL walked every event backwards.
            models.Index(fields=["target_type", "target_id", "id"], name="audit_by_target"),
            # One person's events, newest first (the audit page's Actor filter).
            models.Index(fields=["actor", "id"], name="audit_by_actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq or 'unsealed'} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")

    def content(self) -> dict:
        return {
            "seq": self.seq,
            "created_at": self.created_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_label": self.target_label,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "note": self.note,
            "client_ip": self.client_ip,
            "request_id": self.request_id,
            "data": self.data,
        }

    def compute_hash(self) -> str:
        body = json.dumps(
            {"prev_hash": self.prev_hash, **self.content()},
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()
