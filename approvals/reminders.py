"""Reminders: approvers of an undecided request, and a requestor who has not pressed Complete."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.chain import audit_record

from .models import ApprovalRequest, ExecutionStatus, RequestStatus
from .notifications import notices_queue


def requests_due_reminder(*, now=None) -> list[tuple[int, str]]:
    """Remind about requests at half their time to expiry (once each); returns which."""
    now = now or timezone.now()
    due = []
    rules = [
        (RequestStatus.NEEDS_APPROVAL, settings.MAA_NEEDS_APPROVAL_TTL, "remind_approvers"),
        (RequestStatus.APPROVED, settings.MAA_APPROVED_TTL, "remind_requestor"),
    ]
    for status, ttl, event in rules:
        candidates = ApprovalRequest.objects.filter(
            status=status,
            reminded_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + ttl * (1 - settings.MAA_REMINDER_AT),
        )
        if status == RequestStatus.APPROVED:
            candidates = candidates.filter(execution_status=ExecutionStatus.NOT_STARTED)
        for request_id in candidates.values_list("pk", flat=True):
            with transaction.atomic():
                request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
                if request.status != status or request.reminded_at:
                    continue
                ApprovalRequest.objects.filter(pk=request_id).update(reminded_at=now)
                audit_record(
                    actor="scheduler",
                    action=f"request.{event}",
                    target=request,
                    request_id=request_id,
                )
                notices_queue(request, event)
                due.append((request_id, event))
    return due
