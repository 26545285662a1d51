"""Every write of the approval flow.

Pages, the Django admin, email-link pages and Celery tasks call these functions and nothing
else: each one takes its row locks, checks the rules, makes its FSM transition, records the
audit event and schedules its follow-up work after commit, so no entry point can skip a step.
"""

import logging
from dataclasses import dataclass
from datetime import UTC
from itertools import groupby

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from audit.chain import audit_event, audit_record, audit_record_all
from rbac.selectors import access_for, user_has_perm
from utilities.digests import digest

from .delivery import execution_requeue, execution_wake
from .models import (
    ApprovalRequest,
    BreakGlassReview,
    Decision,
    ExecutionStatus,
    RequestStatus,
    Verdict,
)
from .models.requests import OPEN_STATUSES
from .notifications import notices_queue, notices_queue_each
from .object_permissions import (
    request_permissions_grant,
    request_reviewers_grant,
    request_stage_regrant,
)
from .operations import Continues, OperationError, PartlyDone, reads_shared, registry
from .selectors import approvals_count, chat_listens, covering_policy, decision_refusal
from .windows import next_opening

MAX_TEXT = 1024
log = logging.getLogger(__name__)


class ApprovalError(Exception):
    """A refusal of the approval flow, with a message for people."""


class ApprovalDenied(ApprovalError):
    """The user may not do this (pages, links and the API answer 403)."""


class ApprovalInputError(ApprovalError):
    """What was typed cannot be used (400); any other ApprovalError is a conflict with the
    request's state (409)."""


class OpenRequestExists(ApprovalError):
    def __init__(self, existing: ApprovalRequest):
        self.existing = existing
        super().__init__(
            f"Request #{existing.pk} for {existing.target_label} is already "
            f"{existing.get_status_display().lower()}; only one open request per object is "
            "allowed."
        )


@dataclass
class StartResult:
    request: ApprovalRequest | None = None
    result: str = ""

    @property
    def needs_approval(self) -> bool:
        return self.request is not None


def _notify(request: ApprovalRequest, event: str) -> None:
    """The event's emails are queued in the event's transaction; workers write and send them."""
    notices_queue(request, event)


def check_text(value: str, label: str, *, required: bool) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; a pasted control character must not become a 500.
        raise ApprovalInputError(f"{label} contains a NUL character; remove it and try again.")
    if required and not value:
        raise ApprovalInputError(f"{label} is required.")
    if len(value) > MAX_TEXT:
        raise ApprovalInputError(f"{label} is at most {MAX_TEXT} characters (it has {len(value)}).")
    return value


def check_filing_input(justification: str, run_at, now) -> str:
    """What the requestor typed, checked before anything is read: the justification, cleaned."""
    justification = check_text(justification, "Business justification", required=True)
    if run_at is not None and run_at <= now:
        raise ApprovalInputError(
            f"Run at {run_at:%Y-%m-%d %H:%M} UTC is in the past: choose a later time, or leave it "
            "empty to run at Complete."
        )
    return justification


def operation_is_protected(operation_code: str, actor=None) -> bool:
    """Whether starting the operation files a request (for `actor`, who may be excluded)."""
    operation = registry.get(operation_code)
    policy = covering_policy(operation_code)
    if policy is not None and actor is not None and _excludes(policy, actor):
        return False
    return operation.always_protected or policy is not None


def _excludes(policy, actor) -> bool:
    """The policy lists this API application among its exclusions."""
    if not getattr(actor, "is_application", False):
        return False
    return policy.excluded_applications.filter(pk=actor.pk).exists()


def ensure_may_start(operation, payload: dict, actor) -> None:
    permission = operation.start_permission(payload)
    if not user_has_perm(actor, permission, operation.permission_object(payload)):
        raise ApprovalDenied(f"You need the permission {permission} to do this.")


def _requestor_refusal(request: ApprovalRequest) -> str:
    """Approval is not a blank cheque: the requestor must still hold the permission, in scope."""
    operation = request.operation
    permission = operation.start_permission(request.payload)
    if access_for(request.requestor).is_unscoped(permission):
        return ""  # held on every object: the object need not be read
    try:
        obj = operation.permission_object(request.payload)
    except OperationError as exc:
        return str(exc)
    if not user_has_perm(request.requestor, permission, obj):
        return (
            f"{request.requestor} no longer has the permission {permission} for "
            f"{request.target_label}; the operation cannot run."
        )
    return ""


def operation_start(
    *,
    actor,
    operation_code: str,
    payload: dict,
    justification: str = "",
    call_digest: str = "",
    run_at=None,
) -> StartResult:
    """Start a protected operation: run it now, or file a request when a policy covers it.

    `call_digest`: filed through the API, the digest of the call that must be repeated to
    complete it. `run_at`: when the requestor wants it to run (not before), if approved and
    completed by then.
    """
    operation = registry.get(operation_code)
    with transaction.atomic(), reads_shared():
        ensure_may_start(operation, payload, actor)
        operation.validate(payload, actor)
        policy = covering_policy(operation_code)
        if policy is None and not operation.always_protected:
            result = operation.execute(payload, actor, origin="Run directly (no access policy)")
            return StartResult(result=result)
        if policy is not None and _excludes(policy, actor):
            note = f"excluded by policy {policy.name}"
            audit_record(
                actor=actor,
                action="policy.bypass",
                target=policy,
                note=note,
                data={"operation": operation_code, "payload_digest": digest(payload)},
            )
            return StartResult(result=operation.execute(payload, actor, origin=f"Run: {note}"))
        request = _file(
            operation,
            operation_code,
            policy,
            payload,
            actor,
            justification,
            call_digest,
            run_at=run_at,
        )
        _record_filed(request, "request.submit")
        _notify(request, "submitted")
    return StartResult(request=request)


def _file(
    operation,
    operation_code: str,
    policy,
    payload: dict,
    actor,
    justification: str,
    call_digest: str = "",
    *,
    break_glass: bool = False,
    run_at=None,
) -> ApprovalRequest:
    """The request row of a protected operation, pinned to what will run, with its grants; in
    the caller's transaction. One open request per target, always."""
    now = timezone.now()
    justification = check_filing_input(justification, run_at, now)
    # A refusal below rolls back whatever prepare() created.
    payload = operation.prepare(payload, actor)
    target = operation.target(payload)
    _refuse_second_open_request(target.key)
    plan = policy.plan_for(operation.size(payload)) if policy else []
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                operation_type=operation_code,
                policy=policy,
                target_key=target.key,
                target_label=target.label,
                payload=payload,
                payload_digest=digest(payload),
                call_digest=call_digest,
                target_fingerprint=operation.fingerprint(payload),
                summary=[vars(change) for change in operation.changes(payload)],
                requestor=actor,
                justification=justification,
                stage_plan=plan,
                approvals_required=plan[0]["approvals_required"] if plan else 1,
                break_glass=break_glass,
                run_at=run_at,
                created_at=now,
                expires_at=now
                + (policy.approval_ttl if policy else settings.MAA_NEEDS_APPROVAL_TTL),
            )
    except IntegrityError:
        # Two submissions raced past the check; the constraint kept one of them.
        _refuse_second_open_request(target.key)
        raise
    request_permissions_grant(request)
    return request


def _record_filed(request: ApprovalRequest, action: str, before: str = "") -> None:
    audit_record(
        actor=request.requestor,
        action=action,
        target=request,
        from_state=before,
        to_state=request.status,
        note=request.justification,
        request_id=request.pk,
        data={"operation": request.operation_type, "payload_digest": request.payload_digest},
    )


def break_glass_policy(operation_code: str, actor):
    """The policy covering the operation when it gives `actor` a break-glass path: it names a
    break-glass group and `actor` is a member. None otherwise."""
    policy = covering_policy(operation_code)
    if policy is None or policy.break_glass_group_id is None:
        return None
    if not actor.groups.filter(security_group=policy.break_glass_group_id).exists():
        return None
    return policy


def operation_break_glass(
    *, actor, operation_code: str, payload: dict, justification: str
) -> ApprovalRequest:
    """An emergency: run a protected operation at once, without approval.

    It is still a request, filed as any other (one open request per target), completed as it is
    filed and run by the same exactly-once execution. Every approver of the policy is emailed
    at once, and a review is opened that they must close within MAA_BREAK_GLASS_REVIEW.
    """
    operation = registry.get(operation_code)
    with transaction.atomic(), reads_shared():
        ensure_may_start(operation, payload, actor)
        operation.validate(payload, actor)
        policy = break_glass_policy(operation_code, actor)
        if policy is None:
            raise ApprovalDenied(
                "No break-glass path: the access policy names no break-glass group, or you "
                "are not a member of it."
            )
        request = _file(
            operation, operation_code, policy, payload, actor, justification, break_glass=True
        )
        before = request.status
        request.complete_break_glass()
        request.queue_execution()
        request.save_state()
        _record_filed(request, "request.break_glass", before)
        BreakGlassReview.objects.create(
            request=request, due_at=timezone.now() + settings.MAA_BREAK_GLASS_REVIEW
        )
        request_reviewers_grant(request)
        _notify(request, "break_glass")
        execution_wake(request.pk)
    return request


def _refuse_second_open_request(target_key: str) -> None:
    existing = ApprovalRequest.objects.filter(
        target_key=target_key, status__in=OPEN_STATUSES
    ).first()
    if existing:
        raise OpenRequestExists(existing)


def _locked(request_id: int, *, payload: bool = True) -> ApprovalRequest:
    """The request, its row locked. Without `payload` for a service that only moves its state:
    a bulk request's payload is 10,000 device ids (then read `_payload_of`, never the deferred
    field: loading one calls refresh_from_db, not thread-safe on django-fsm-2 models)."""
    # The requestor and the policy come in the same query (every service reads them); only
    # the request's row is locked.
    requests = ApprovalRequest.objects.select_related("requestor", "policy")
    if not payload:
        requests = requests.defer("payload")
    try:
        return requests.select_for_update(of=("self",)).get(pk=request_id)
    except ApprovalRequest.DoesNotExist:
        raise ApprovalError(f"Request #{request_id} does not exist.") from None


def _payload_of(request: ApprovalRequest) -> dict:
    return ApprovalRequest.objects.values_list("payload", flat=True).get(pk=request.pk)


def _record(request: ApprovalRequest, actor, action: str, before: str, note: str = "", **data):
    audit_record(
        actor=actor,
        action=action,
        target=request,
        from_state=before,
        to_state=request.status,
        note=note,
        request_id=request.pk,
        data=data,
    )


def _decide(*, request_id: int, approver, verdict: str, note: str) -> ApprovalRequest:
    with transaction.atomic():
        request = _locked(request_id, payload=False)
        refusal = decision_refusal(request, approver)
        if refusal:
            audit_record(
                actor=approver,
                action="request.decision_refused",
                target=request,
                note=refusal,
                request_id=request.pk,
            )
            closed = request.status != RequestStatus.NEEDS_APPROVAL
            if closed and request.requestor_id != approver.pk:
                raise ApprovalError(refusal)  # a conflict (409), as on the link page
            raise ApprovalDenied(refusal)  # who may not decide (403)
        Decision.objects.create(
            request=request, approver=approver, verdict=verdict, note=note, stage=request.stage
        )
        before, stage = request.status, request.stage
        if verdict == Verdict.REJECT:
            request.reject()  # one rejection at any stage rejects
        elif approvals_count(request) >= request.approvals_required:
            if request.stage < request.stage_count:
                request.open_next_stage()
            else:
                request.approve()
        request.save_state()
        _record(request, approver, f"request.{verdict}", before, note, stage=stage)
        if request.stage != stage:
            _stage_opened(request)
        if request.status == RequestStatus.REJECTED:
            request.operation.closed_without_completion(_payload_of(request))
        if request.status != before:
            _notify(request, request.status)
        elif request.stage == stage and chat_listens(request.policy_id):
            # The chats hear of each decision; without a webhook there is nothing to write.
            _notify(request, "approval_recorded")
    return request


def _stage_opened(request: ApprovalRequest) -> None:
    """The next stage's approvers receive the request (and only they may decide it now)."""
    request_stage_regrant(request)
    audit_record(
        actor=None,
        action="request.stage_open",
        target=request,
        from_state=request.status,
        to_state=request.status,
        note=f"Stage {request.stage - 1} reached its quorum; stage {request.stage} of "
        f"{request.stage_count} opened",
        request_id=request.pk,
        data={"stage": request.stage, "approvals_required": request.approvals_required},
    )
    _notify(request, "stage_opened")


def request_approve(*, request_id: int, approver, note: str = "") -> ApprovalRequest:
    """Record one approval; the request becomes Approved at the policy's quorum."""
    note = check_text(note, "Approver notes", required=False)
    return _decide(request_id=request_id, approver=approver, verdict=Verdict.APPROVE, note=note)


def request_reject(*, request_id: int, approver, note: str) -> ApprovalRequest:
    """Reject the request; final. The requestor sees the approver notes, so they are required."""
    note = check_text(note, "Approver notes", required=True)
    return _decide(request_id=request_id, approver=approver, verdict=Verdict.REJECT, note=note)


def requests_cancel_of_deprovisioned(user, reason: str) -> int:
    """rbac.directory's deprovisioning: the person's open requests are cancelled, each with an
    audit event naming the reason; nobody can complete them any more."""
    cancelled = 0
    for request_id in ApprovalRequest.objects.filter(
        requestor=user, status__in=OPEN_STATUSES
    ).values_list("pk", flat=True):
        request = _locked(request_id)
        if request.status not in OPEN_STATUSES:
            continue
        before = request.status
        request.cancel()
        request.save_state()
        _record(request, None, "request.cancel", before, f"Requestor deprovisioned: {reason}")
        request.operation.closed_without_completion(request.payload)
        _notify(request, "cancelled")
        cancelled += 1
    return cancelled


def request_cancel(*, request_id: int, actor, note: str = "") -> ApprovalRequest:
    note = check_text(note, "Note", required=False)
    with transaction.atomic():
        request = _locked(request_id)
        if actor.pk != request.requestor_id:
            raise ApprovalDenied("Only the requestor can cancel a request.")
        scheduled = request.execution_status == ExecutionStatus.SCHEDULED
        if request.status not in OPEN_STATUSES and not scheduled:
            raise ApprovalError(
                f"This request is {request.get_status_display()}; it can no longer be cancelled."
            )
        before = request.status
        if scheduled:
            # Completed, but its execution has not started: it never runs.
            request.cancel_scheduled()
            request.unschedule_execution()
        else:
            request.cancel()
        request.save_state()
        _record(request, actor, "request.cancel", before, note)
        request.operation.closed_without_completion(request.payload)
        _notify(request, "cancelled")
    return request


def _ensure_still_valid(request: ApprovalRequest) -> None:
    """What was approved is exactly what will run: policy, target and payload unchanged."""
    # The request comes from _locked, which read its policy in this transaction.
    policy = request.policy
    if policy is not None and not policy.is_active:
        raise ApprovalError(
            f"The access policy {policy.name} is no longer active; this request can "
            "no longer be completed. Cancel it and start the operation again."
        )
    refusal = _requestor_refusal(request)
    if refusal:
        raise ApprovalDenied(refusal)
    if policy is not None and not request.break_glass:
        _ensure_plan_still_met(request, policy)
    if digest(request.payload) != request.payload_digest:
        raise ApprovalError("The request's content does not match what was approved.")
    operation = request.operation
    try:
        fingerprint = operation.fingerprint(request.payload)
    except OperationError as exc:
        raise ApprovalError(f"{exc} The request cannot be completed.") from exc
    if fingerprint != request.target_fingerprint:
        raise ApprovalError(
            f"{request.target_label} changed after the request was submitted; what was approved "
            "no longer matches it. Cancel this request and submit a new one."
        )
    try:
        operation.validate(request.payload, request.requestor)
    except OperationError as exc:
        raise ApprovalError(str(exc)) from exc


def _ensure_plan_still_met(request: ApprovalRequest, policy) -> None:
    """The policy's rule applied again at Complete, to the objects as they are now: the
    approvals given must still be enough (a policy edit may have raised them)."""
    size = request.operation.size(request.payload)
    needed = policy.plan_for(size)
    pinned = request.stage_plan
    short = len(needed) > len(pinned) or any(
        stage["approvals_required"] > given["approvals_required"]
        for stage, given in zip(needed, pinned, strict=False)
    )
    if short:
        raise ApprovalError(
            f"For {size} object(s), the policy {policy.name} now needs "
            + ", then ".join(str(stage["approvals_required"]) for stage in needed)
            + " approval(s); this request was approved with fewer. Cancel it and submit it again."
        )


def request_complete(*, request_id: int, actor) -> ApprovalRequest:
    """The requestor's Complete: the operation is queued to run, exactly once."""
    with transaction.atomic(), reads_shared():
        request = _locked(request_id)
        if actor.pk != request.requestor_id:
            raise ApprovalDenied("Only the requestor can complete a request.")
        if request.status != RequestStatus.APPROVED:
            raise ApprovalError(
                f"This request is {request.get_status_display()}; only an approved request can "
                "be completed."
            )
        _ensure_still_valid(request)
        before = request.status
        request.complete()
        now = timezone.now()
        due = execution_due(request, now)
        if due > now:
            request.schedule_execution(due)
            request.save_state()
            _record(
                request,
                actor,
                "request.complete",
                before,
                f"Scheduled for {due.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
            )
            return request
        request.queue_execution()
        request.save_state()
        _record(request, actor, "request.complete", before)
        execution_wake(request.pk)
    return request


def execution_due(request: ApprovalRequest, now):
    """When a completed request may run: not before its "run at", and inside one of its policy's
    change windows (approvals.windows); `now` when nothing holds it back."""
    earliest = max(now, request.run_at or now)
    windows = request.policy.change_windows if request.policy_id else {}
    return next_opening(windows, earliest)


def executions_release_due(*, now=None) -> int:
    """Queue every scheduled execution whose time has come; returns how many."""
    now = now or timezone.now()
    due = ApprovalRequest.objects.filter(
        execution_status=ExecutionStatus.SCHEDULED, scheduled_for__lte=now
    ).order_by("scheduled_for", "pk")
    released = 0
    for request_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            request = (
                ApprovalRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=request_id, execution_status=ExecutionStatus.SCHEDULED)
                .first()
            )
            if request is None:
                continue  # cancelled, or released by another sweep
            request.queue_execution()
            request.save_state()
            _execution_event(
                request, ExecutionStatus.SCHEDULED, "execution.released", "Its scheduled time came"
            ).save()
            execution_wake(request.pk)
            released += 1
    return released


def request_retry(*, request_id: int, actor) -> ApprovalRequest:
    with transaction.atomic():
        request = _locked(request_id)
        if actor.pk != request.requestor_id:
            raise ApprovalDenied("Only the requestor can retry the execution.")
        if request.execution_status != ExecutionStatus.FAILED:
            raise ApprovalError("Only a failed execution can be retried.")
        before = request.execution_status
        request.queue_execution()
        request.save_state()
        audit_record(
            actor=actor,
            action="execution.retry",
            target=request,
            from_state=before,
            to_state=request.execution_status,
            request_id=request.pk,
        )
        execution_wake(request.pk)
    return request


def _execution_event(request: ApprovalRequest, before: str, action: str, note: str = ""):
    return audit_event(
        actor="worker",
        action=action,
        target=request,
        from_state=before,
        to_state=request.execution_status,
        note=note,
        request_id=request.pk,
    )


IN_FLIGHT = (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING)


def executions_claim(*, request_ids, fill: int = 0) -> list[int]:
    """Mark the given queued executions Running, with up to `fill` other queued ones; returns
    the ids to pass to executions_run.

    Committed on its own, so that a worker dying in executions_run leaves them Running for the
    sweeper to count (executions_recover). Rows another worker holds are skipped (SKIP LOCKED),
    the given ones too: that worker is claiming or running them, and waiting for its batch
    left this worker idle behind it. If it dies, the lease brings them back. The others are
    taken oldest first. A given one already Running and free is passed on untouched: its run
    died (a redelivered or recovered task), and executions_run runs it again. Only Queued ones
    are taken as fill: a Running one may be a recovered run that kills its worker, so it runs
    alone.
    """
    with transaction.atomic():
        claimed = list(
            ApprovalRequest.objects.select_for_update(skip_locked=True)
            .filter(pk__in=request_ids, execution_status__in=IN_FLIGHT)
            .order_by("pk")
        )
        if fill:
            claimed += (
                ApprovalRequest.objects.select_for_update(skip_locked=True)
                .filter(execution_status=ExecutionStatus.QUEUED)
                .exclude(pk__in=request_ids)
                .order_by("execution_lease_until")[:fill]
            )
        starting = [r for r in claimed if r.execution_status == ExecutionStatus.QUEUED]
        for request in starting:
            request.start_execution()
        ApprovalRequest.save_states(starting)
        audit_record_all(
            [_execution_event(r, ExecutionStatus.QUEUED, "execution.running") for r in starting]
        )
    return [request.pk for request in claimed]


class _IsolateBatch(Exception):
    """An operation failed in a batch run without savepoints: the batch runs again with them."""


def _ensure_requestor_may(request: ApprovalRequest) -> None:
    refusal = _requestor_refusal(request)
    if refusal:
        raise ApprovalError(refusal)


def _run_isolated(request: ApprovalRequest) -> str:
    """Run one operation in a savepoint, so that its failure undoes its own writes only."""
    with transaction.atomic():
        _ensure_requestor_may(request)
        return request.operation.execute(
            request.payload, request.requestor, origin=request.execution_origin
        )


def _run_together(requests: list[ApprovalRequest]) -> dict[int, str]:
    """Run a batch without savepoints: each run of consecutive requests of one type in one
    execute_many call (50 wipes: a few statements instead of four each), in the batch's order.
    Any failure raises _IsolateBatch, and the batch runs again one request at a time."""
    results = {}
    try:
        for _, group in groupby(requests, key=lambda request: request.operation_type):
            group = list(group)
            for request in group:
                _ensure_requestor_may(request)
            runs = [(r.payload, r.requestor, r.execution_origin) for r in group]
            lines = group[0].operation.execute_many(runs)
            results.update(zip([r.pk for r in group], lines, strict=True))
    except (OperationalError, InterfaceError):
        raise  # the connection, or a deadlock: the batch rolls back and is tried again
    except Exception as exc:
        raise _IsolateBatch from exc
    return results


def executions_run(*, request_ids) -> list[ApprovalRequest]:
    """Run claimed executions; safe to call twice or concurrently for the same ids.

    Each operation and its Succeeded mark commit together under the request's row lock, so a
    redelivered task or a racing worker finds Succeeded and does nothing. One transaction for
    the batch: a refused or failing operation is rolled back to its savepoint and marked
    Failed; a database error rolls back the batch, which the task tries again.

    The savepoints are paid only when needed: a batch first runs without them, the requests of
    one type together (Operation.execute_many), and if an operation fails, it rolls back whole
    and runs again with them, one request at a time. A savepoint costs two round trips, which
    were two of a wipe's nine statements (measured on a batch of 50).
    """
    try:
        return _executions_run(request_ids, isolated=False)
    except _IsolateBatch:
        return _executions_run(request_ids, isolated=True)


def _executions_run(request_ids, *, isolated: bool) -> list[ApprovalRequest]:
    with transaction.atomic():
        requests = list(
            ApprovalRequest.objects.select_related("requestor", "policy")
            .select_for_update(of=("self",))
            .filter(pk__in=request_ids, execution_status=ExecutionStatus.RUNNING)
            .order_by("pk")
        )
        # One user object per requestor: their access is resolved once for the batch.
        requestors = {}
        for request in requests:
            request.requestor = requestors.setdefault(request.requestor_id, request.requestor)
        together = {} if isolated else _run_together(requests)
        events, notices, continuing = [], [], []
        for request in requests:
            try:
                result = _run_isolated(request) if isolated else together[request.pk]
            except (OperationalError, InterfaceError):
                raise  # the connection, or a deadlock: the batch rolls back and is tried again
            except Exception as exc:
                if isinstance(exc, OperationError | ApprovalError):
                    request.fail_execution(str(exc))
                else:
                    log.exception("Execution of request %s failed", request.pk)
                    request.fail_execution(f"Unexpected error: {exc}")
            else:
                if isinstance(result, Continues):
                    request.continue_execution(result)
                    continuing.append(request)
                    continue
                if isinstance(result, PartlyDone):
                    request.fail_execution(result)
                else:
                    request.succeed_execution(result)
            succeeded = request.execution_status == ExecutionStatus.SUCCEEDED
            events.append(
                _execution_event(
                    request,
                    ExecutionStatus.RUNNING,
                    "execution.succeeded" if succeeded else "execution.failed",
                    request.execution_result if succeeded else request.execution_error,
                )
            )
            notices.append((request, "completed" if succeeded else "execution_failed"))
        ApprovalRequest.save_states(requests)
        audit_record_all(events)
        notices_queue_each(notices)
        for request in continuing:
            execution_wake(request.pk)  # its next batch
    return requests


def request_execute(*, request_id: int) -> ApprovalRequest:
    """Run one completed request's operation (executions_claim, then executions_run)."""
    executions_run(request_ids=executions_claim(request_ids=[request_id]))
    return ApprovalRequest.objects.get(pk=request_id)


def request_execution_failed(*, request_id: int, error: str) -> ApprovalRequest:
    with transaction.atomic():
        request = _locked(request_id)
        if request.execution_status not in (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING):
            return request
        before = request.execution_status
        request.fail_execution(error)
        request.save_state()
        _execution_event(request, before, "execution.failed", error).save()
        _notify(request, "execution_failed")
    return request


def requests_expire_due(*, now=None) -> int:
    """Expire every open request past its time; returns how many."""
    now = now or timezone.now()
    due = ApprovalRequest.objects.filter(status__in=OPEN_STATUSES, expires_at__lte=now)
    count = 0
    for request_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            request = _locked(request_id)
            if request.status not in OPEN_STATUSES or request.expires_at > now:
                continue
            before = request.status
            request.expire()
            request.save_state()
            _record(request, "scheduler", "request.expire", before)
            request.operation.closed_without_completion(request.payload)
            _notify(request, "expired")
            count += 1
    return count


def executions_recover(*, now=None) -> int:
    """Queue again every execution that stopped making progress (its worker died).

    A queued one never started, so it is simply queued again. A running one whose worker died
    mid-run (its transaction rolled back, so nothing ran) is tried again up to
    MAA_EXECUTION_RECOVERIES times, then fails with the reason and a Retry: it may be what kills
    the worker. Safe because executions_run is idempotent under the request's row lock.
    """
    now = now or timezone.now()
    in_flight = [ExecutionStatus.QUEUED, ExecutionStatus.RUNNING]
    stuck = ApprovalRequest.objects.filter(
        execution_status__in=in_flight, execution_lease_until__lt=now
    )
    recovered = 0
    for request_id in stuck.values_list("pk", flat=True):
        with transaction.atomic():
            # skip_locked: an execution in progress holds its row lock; it is not stuck.
            request = (
                ApprovalRequest.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=request_id, execution_status__in=in_flight, execution_lease_until__lt=now
                )
                .first()
            )
            if request is None:
                continue
            before = request.execution_status
            running = before == ExecutionStatus.RUNNING
            if running and request.execution_recoveries >= settings.MAA_EXECUTION_RECOVERIES:
                request.fail_execution(
                    f"The execution stopped making progress {request.execution_recoveries + 1} "
                    "times (its worker stopped) and was not tried again. Press Retry to run it."
                )
                request.save_state()
                _execution_event(
                    request, before, "execution.failed", request.execution_error
                ).save()
                _notify(request, "execution_failed")
                continue
            request.recover_execution()
            request.save_state()
            _execution_event(
                request,
                before,
                "execution.recovered",
                "No progress within its lease (the worker stopped); queued again",
            ).save()
            execution_requeue(request.pk)
            recovered += 1
    return recovered
