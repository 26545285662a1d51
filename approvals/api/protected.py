"""Protected writes over the API, as Intune enforces Multi Admin Approval on Graph calls.

- No approval header: 403 ApprovalRequired, nothing changes.
- X-Approval-Justification: the request is filed; 202 with its id and needsApproval.
- X-Approval-Request-Id: N, once N is approved: the identical call completes it and queues the
  execution (202). A call that differs from the approved one gets 409; only the client that
  filed the request may complete it.
An unprotected write (or one by an application the policy excludes) runs at once: 200.
"""

from django.core.exceptions import PermissionDenied
from rest_framework import status
from rest_framework.response import Response

from utilities.api.errors import ApiError
from utilities.api.fields import camel_value
from utilities.digests import call_digest, digest

from ..models import ApprovalRequest
from ..operations import OperationError
from ..services import (
    ApprovalDenied,
    ApprovalError,
    OpenRequestExists,
    operation_is_protected,
    operation_start,
    request_complete,
)

JUSTIFICATION = "X-Approval-Justification"
REQUEST_ID = "X-Approval-Request-Id"


def request_body(req: ApprovalRequest) -> dict:
    return {
        "requestId": req.pk,
        "status": camel_value(req.status),
        "executionStatus": camel_value(req.execution_status),
        "operation": req.operation_type,
        "target": req.target_label,
    }


def protected_write(request, *, operation_code: str, payload: dict) -> Response:
    """Run, file or complete the operation the call asks for, by the headers it carries."""
    actor = request.user
    request_id = request.headers.get(REQUEST_ID, "").strip()
    if request_id:
        return _complete(request, request_id, operation_code, payload)
    justification = request.headers.get(JUSTIFICATION, "").strip()
    if operation_is_protected(operation_code, actor) and not justification:
        raise ApiError(
            status.HTTP_403_FORBIDDEN,
            "ApprovalRequired",
            "This operation is protected by multi admin approval. Repeat the call with an "
            f"{JUSTIFICATION} header to file a request; once it is approved, repeat it with "
            f"{REQUEST_ID} to complete it.",
            operation=operation_code,
        )
    try:
        outcome = operation_start(
            actor=actor,
            operation_code=operation_code,
            payload=payload,
            justification=justification,
            call_digest=call_digest(request),
        )
    except ApprovalDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except OpenRequestExists as exc:
        raise ApiError(
            status.HTTP_409_CONFLICT,
            "OpenRequestExists",
            str(exc),
            requestId=exc.existing.pk,
        ) from exc
    except (OperationError, ApprovalError) as exc:
        raise ApiError(status.HTTP_400_BAD_REQUEST, "InvalidOperation", str(exc)) from exc
    if outcome.needs_approval:
        return Response(request_body(outcome.request), status=status.HTTP_202_ACCEPTED)
    return Response({"status": "completed", "result": outcome.result}, status=status.HTTP_200_OK)


def _complete(request, request_id: str, operation_code: str, payload: dict) -> Response:
    try:
        req = ApprovalRequest.objects.get(pk=int(request_id))
    except (ValueError, ApprovalRequest.DoesNotExist):
        raise ApiError(
            status.HTTP_404_NOT_FOUND, "NotFound", f"No approval request {request_id!r}."
        ) from None
    if req.requestor_id != request.user.pk:
        raise ApiError(
            status.HTTP_403_FORBIDDEN,
            "Forbidden",
            f"Only the client that filed request #{req.pk} may complete it.",
        )
    same_call = (
        req.call_digest == call_digest(request)
        if req.call_digest
        else req.payload_digest == digest(payload)
    )
    if req.operation_type != operation_code or not same_call:
        raise ApiError(
            status.HTTP_409_CONFLICT,
            "DigestMismatch",
            f"This call differs from the one approved in request #{req.pk}: the approved "
            "call's digest does not match this call's. Repeat the identical call (method, "
            "path and body) or file a new request.",
            requestId=req.pk,
        )
    try:
        req = request_complete(request_id=req.pk, actor=request.user)
    except ApprovalError as exc:
        raise ApiError(
            status.HTTP_409_CONFLICT, "RequestNotCompletable", str(exc), requestId=req.pk
        ) from exc
    return Response(request_body(req), status=status.HTTP_202_ACCEPTED)
