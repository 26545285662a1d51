import uuid

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.functional import cached_property
from django_fsm import FSMField, FSMModelMixin, transition


class RequestStatus(models.TextChoices):
    NEEDS_APPROVAL = "needs_approval", "Needs approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"


class ExecutionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


R = RequestStatus
E = ExecutionStatus
OPEN_STATUSES = [R.NEEDS_APPROVAL, R.APPROVED]
# The requestor's move: an approved request to Complete, a failed execution to retry.
AWAITING_REQUESTOR = models.Q(status=R.APPROVED, execution_status=E.NOT_STARTED) | models.Q(
    status=R.COMPLETED, execution_status=E.FAILED
)


class Verdict(models.TextChoices):
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"


class ApprovalRequest(FSMModelMixin, models.Model):
    """A protected operation waiting for approvers, pinned to exactly what will run."""

    # The operation registry, set by approvals.apps at start-up: the operations stand above
    # the models they read, so the models never import them.
    registry = None

    operation_type = models.CharField(max_length=40, db_index=True)
    policy = models.ForeignKey(
        "approvals.AccessPolicy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    target_key = models.CharField(max_length=200)
    target_label = models.CharField(max_length=300)
    payload = models.JSONField()
    payload_digest = models.CharField(max_length=64)
    # Filed through the API: the digest of the HTTP call (method, path, body) that must be
    # repeated, identical, to complete the request.
    call_digest = models.CharField(max_length=64, blank=True)
    # Graph's requestId: the x-msft-approval-code a client resends to complete the request.
    approval_code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    target_fingerprint = models.CharField(max_length=64)
    summary = models.JSONField(default=list)
    requestor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approval_requests",
        db_index=False,  # requestor_history leads with it
    )
    justification = models.TextField(max_length=1024)
    # Run at once by a member of the policy's break-glass group, and reviewed afterwards
    # (approvals.models.reviews).
    break_glass = models.BooleanField(default=False)
    # The stage waiting for approvals, and every stage's approver groups and quorum as the
    # policy had them at filing ([{"approver_groups": [...], "approvals_required": n}, ...]);
    # a policy edit re-pins its open requests (object_permissions.policy_requests_regrant).
    # Empty without a policy, and on requests closed before stages existed.
    stage = models.PositiveSmallIntegerField(default=1)
    stage_plan = models.JSONField(default=list, blank=True)
    # The open stage's quorum (the lists' "1 of 2").
    approvals_required = models.PositiveSmallIntegerField(default=1)
    status = FSMField(
        max_length=20, choices=RequestStatus.choices, default=R.NEEDS_APPROVAL, protected=True
    )
    execution_status = FSMField(
        max_length=16, choices=ExecutionStatus.choices, default=E.NOT_STARTED, protected=True
    )
    # The requestor's "run at" (asked when filing), and when a completed request's execution
    # is due: the later of that and the policy's next change window (approvals.windows).
    run_at = models.DateTimeField(null=True, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    execution_error = models.TextField(blank=True)
    execution_result = models.TextField(blank=True)
    execution_attempts = models.PositiveIntegerField(default=0)
    # A queued or running execution must finish by then; past it the sweeper queues it again.
    execution_lease_until = models.DateTimeField(null=True, blank=True)
    execution_recoveries = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)  # indexed with the id (Meta)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["target_key"],
                condition=models.Q(status__in=["needs_approval", "approved"]),
                name="one_open_request_per_target",
            )
        ]
        indexes = [
            # Admin tasks and expiry walk a status by due time; the id settles ties.
            models.Index(fields=["status", "expires_at", "id"], name="status_due"),
            # Every request list's order, newest first, ties included: requests imported or
            # written together can share a time, and with created_at alone PostgreSQL sorted
            # all of them to draw a page (10,000 alike: 56 ms instead of 25).
            models.Index(fields=["created_at", "id"], name="request_newest"),
            # A list of one status, newest first ("Needs my decision" above all): by
            # request_newest, PostgreSQL walked every newer closed request to fill a page.
            models.Index(fields=["status", "created_at", "id"], name="status_newest"),
            # The count of "Needs my decision" and Admin tasks (up to the cap) merges the open
            # requests' ids with the approver's grants and decisions, all in id order: by the
            # primary key PostgreSQL also walked every closed request between them.
            models.Index(
                fields=["id"],
                condition=models.Q(status="needs_approval"),
                name="open_request_ids",
            ),
            # A target's history (the device page), newest first.
            models.Index(fields=["target_key", "created_at", "id"], name="target_history"),
            # My requests, newest first. With only created_at, a requestor whose requests are
            # all old had PostgreSQL walk every newer request: 71 ms at 100,000 for one who
            # filed 2,000 two years ago, 0.1 ms with this.
            models.Index(fields=["requestor", "created_at", "id"], name="requestor_history"),
            models.Index(
                fields=["requestor", "expires_at", "id"],
                condition=AWAITING_REQUESTOR,
                name="awaiting_requestor",
            ),
            # The scheduler's walk: scheduled executions by due time.
            models.Index(
                fields=["scheduled_for", "id"],
                condition=models.Q(execution_status="scheduled"),
                name="execution_scheduled",
            ),
            models.Index(
                fields=["execution_lease_until"],
                condition=models.Q(execution_status__in=["queued", "running"]),
                name="execution_in_flight",
            ),
        ]
        permissions = [
            ("decide_approvalrequest", "Can approve or reject the request"),
            ("cancel_approvalrequest", "Can cancel the request"),
            ("complete_approvalrequest", "Can complete the request"),
        ]

    def __str__(self) -> str:
        return f"Request #{self.pk}: {self.title} of {self.target_label}"

    @property
    def operation(self):
        return self.registry.get(self.operation_type)

    @property
    def title(self) -> str:
        """What is asked for, e.g. "Device wipe" or "Delete access policy"."""
        return self.operation.label

    @property
    def execution_origin(self) -> str:
        """What the run is recorded as on the target (a device action's origin)."""
        return f"Approval request #{self.pk}"

    @property
    def progress(self) -> list:
        """The target's steps since the run (device: sent, acknowledged, done)."""
        if self.execution_status != E.SUCCEEDED:
            return []
        return self.operation.progress(self.payload, self.execution_origin)

    @cached_property
    def target_url(self) -> str:
        try:
            # A payload the request page left unread is not loaded for a link (selectors.
            # request_page; loading a deferred field calls refresh_from_db, not thread-safe on
            # django-fsm-2 models).
            unread = "payload" in self.get_deferred_fields()
            return self.operation.filed_target_url(
                None if unread else self.payload, self.target_key
            )
        except self.registry.error:
            return ""

    def stage_group_ids(self) -> list[int] | None:
        """The approver groups of the open stage, or None when no policy names approvers."""
        if self.policy_id is None:
            return None
        if self.stage_plan:
            return self.stage_plan[self.stage - 1]["approver_groups"]
        return list(self.policy.approver_groups.values_list("pk", flat=True))

    @property
    def stage_count(self) -> int:
        return len(self.stage_plan) or 1

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # What the transitions below change. A transition saves only these: a full save rewrote
    # the payload and summary too (a script edit's are up to 200 KB) on every step.
    STATE_FIELDS = [
        "status",
        "stage",
        "stage_plan",
        "approvals_required",
        "execution_status",
        "scheduled_for",
        "execution_error",
        "execution_result",
        "execution_attempts",
        "execution_lease_until",
        "execution_recoveries",
        "version",
        "updated_at",
        "expires_at",
        "decided_at",
        "completed_at",
        "reminded_at",
    ]

    def save_state(self):
        self.save(update_fields=self.STATE_FIELDS)

    @classmethod
    def save_states(cls, requests: list["ApprovalRequest"]) -> None:
        """save_state for a batch (executions), in one round trip: the rows' values differ
        (results, attempts), and bulk_update's CASE expressions cost more to build than the
        executions they save."""
        if not requests:
            return
        now = timezone.now()
        fields = [cls._meta.get_field(name) for name in cls.STATE_FIELDS]
        rows = []
        for request in requests:
            request.updated_at = now  # auto_now, as save() would
            rows.append(
                [
                    field.get_db_prep_save(getattr(request, field.attname), connection)
                    for field in fields
                ]
                + [request.pk]
            )
        assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {cls._meta.db_table} SET {assignments} WHERE id = %s", rows)

    def _changed(self):
        self.version += 1

    @transition(field=status, source=R.NEEDS_APPROVAL, target=R.APPROVED)
    def approve(self):
        self._changed()
        self.decided_at = timezone.now()
        ttl = self.policy.execution_ttl if self.policy_id else settings.MAA_APPROVED_TTL
        self.expires_at = self.decided_at + ttl
        # The requestor's reminder to Complete counts from approval.
        self.reminded_at = None

    @transition(
        field=status,
        source=R.NEEDS_APPROVAL,
        target=R.NEEDS_APPROVAL,
        conditions=[lambda self: self.stage < self.stage_count],
    )
    def open_next_stage(self):
        """The open stage reached its quorum and another follows: it waits for that one."""
        self._changed()
        self.stage += 1
        self.approvals_required = self.stage_plan[self.stage - 1]["approvals_required"]
        # The approvers' reminder counts from the stage's opening.
        self.reminded_at = None

    @transition(field=status, source=R.NEEDS_APPROVAL, target=R.COMPLETED)
    def complete_break_glass(self):
        """Break-glass: completed as it is filed, without approvals; reviewed afterwards."""
        self._changed()
        self.completed_at = timezone.now()

    @transition(field=status, source=R.NEEDS_APPROVAL, target=R.REJECTED)
    def reject(self):
        self._changed()
        self.decided_at = timezone.now()

    @transition(field=status, source=OPEN_STATUSES, target=R.CANCELLED)
    def cancel(self):
        self._changed()

    @transition(
        field=status,
        source=R.COMPLETED,
        target=R.CANCELLED,
        conditions=[lambda self: self.execution_status == E.SCHEDULED],
    )
    def cancel_scheduled(self):
        """The requestor calls off a scheduled execution before it starts."""
        self._changed()

    @transition(field=execution_status, source=E.SCHEDULED, target=E.NOT_STARTED)
    def unschedule_execution(self):
        self.scheduled_for = None

    @transition(field=status, source=R.APPROVED, target=R.COMPLETED)
    def complete(self):
        self._changed()
        self.completed_at = timezone.now()

    @transition(field=status, source=OPEN_STATUSES, target=R.EXPIRED)
    def expire(self):
        self._changed()

    def _lease(self):
        self.execution_lease_until = timezone.now() + settings.MAA_EXECUTION_LEASE

    @transition(field=execution_status, source=E.NOT_STARTED, target=E.SCHEDULED)
    def schedule_execution(self, at):
        """Completed before the time it may run: it waits for `at` (executions_release_due)."""
        self.scheduled_for = at

    @transition(
        field=execution_status, source=[E.NOT_STARTED, E.SCHEDULED, E.FAILED], target=E.QUEUED
    )
    def queue_execution(self):
        self.execution_error = ""
        self.execution_recoveries = 0
        self._lease()

    @transition(field=execution_status, source=E.QUEUED, target=E.RUNNING)
    def start_execution(self):
        self.execution_attempts += 1
        self._lease()

    def recover_execution(self):
        """The execution stopped making progress (its worker died): it is queued again.

        Only a run that started counts towards giving up; a queued one never ran.
        """
        if self.execution_status == E.RUNNING:
            self.execution_recoveries += 1
        self._lease()

    @transition(field=execution_status, source=E.RUNNING, target=E.QUEUED)
    def continue_execution(self, progress: str):
        """One batch done (committed with this); the next runs as a fresh execution."""
        self.execution_result = progress
        self._lease()

    @transition(field=execution_status, source=E.RUNNING, target=E.SUCCEEDED)
    def succeed_execution(self, result: str):
        self.execution_result = result
        self.execution_lease_until = None

    @transition(field=execution_status, source=[E.QUEUED, E.RUNNING], target=E.FAILED)
    def fail_execution(self, error: str):
        self.execution_error = error
        self.execution_lease_until = None


class Decision(models.Model):
    """One approver's verdict on one request."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="decisions")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    # The stage it was given at (one per approver per request: nobody decides at two stages).
    stage = models.PositiveSmallIntegerField(default=1)
    note = models.TextField(max_length=1024, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "approver"], name="one_decision_per_approver"
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver} {self.get_verdict_display().lower()} #{self.request_id}"
