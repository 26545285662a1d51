"""Protected writes over the API, as Microsoft documents Multi Admin Approval on Graph calls.

- No `x-msft-approval-justification` header: 400, the header is required; nothing changes.
- With it (the justification, Base64): the request is filed; 412 Precondition Failed with the
  request's GUID in `x-msft-approval-code` and Graph's "Approval Required" error body.
- The identical call with `x-msft-approval-code`, once approved: completes it and queues the
  execution (202). A call that differs from the approved one gets 409 naming what differs; only
  the client that filed the request may complete it.
An unprotected write (or one by an application the policy excludes) runs at once: 200.
"""

import base64
import binascii
import uuid

from django.core.exceptions import PermissionDenied
from rest_framework import status
from rest_framework.response import Response

from rbac.stepup import stepup_refusal
from utilities.api.errors import ApiError, error_response
from utilities.api.fields import camel_value
from utilities.digests import call_digest, digest

from ..models import ApprovalRequest
from ..operations import OperationError, registry
from ..services import (
    ApprovalDenied,
    ApprovalError,
    OpenRequestExists,
    operation_is_protected,
    operation_start,
    request_complete,
)
from ..workload import ACCESS_POLICIES

JUSTIFICATION = "x-msft-approval-justification"
APPROVAL_CODE = "x-msft-approval-code"
MAX_JUSTIFICATION = 1024


def _policy_change(operation_code: str) -> str:
    return (
        "change an access policy"
        if registry.get(operation_code).workload == ACCESS_POLICIES
        else ""
    )


def request_body(req: ApprovalRequest) -> dict:
    return {
        "requestId": str(req.approval_code),
        "status": camel_value(req.status),
        "executionStatus": camel_value(req.execution_status),
        "operation": req.operation_type,
        "target": req.target_label,
    }


def justification_of(request) -> str:
    """The header's Base64, decoded; "" without it. Anything else is the caller's mistake."""
    raw = request.headers.get(JUSTIFICATION, "").strip()
    if not raw:
        return ""
    try:
        text = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, ValueError):
        raise ApiError(
            status.HTTP_400_BAD_REQUEST,
            "BadRequest",
            f"The {JUSTIFICATION} header must be the justification encoded in Base64 (UTF-8 text).",
        ) from None
    if len(text) > MAX_JUSTIFICATION:
        raise ApiError(
            status.HTTP_400_BAD_REQUEST,
            "BadRequest",
            f"The justification is {len(text)} characters long once decoded; at most "
            f"{MAX_JUSTIFICATION} are allowed.",
        )
    return text.strip()


def protected_write(request, *, operation_code: str, payload: dict) -> Response:
    """Run, file or complete the operation the call asks for, by the headers it carries."""
    actor = request.user
    code = request.headers.get(APPROVAL_CODE, "").strip()
    # A person's call completes, or changes an access policy, only with a fresh second factor,
    # as on the pages; an application's follows the approval headers alone.
    what = "complete this request" if code else _policy_change(operation_code)
    if what and (refusal := stepup_refusal(request, what)):
        raise ApiError(status.HTTP_403_FORBIDDEN, "StepUpRequired", refusal)
    if code:
        return _complete(request, code, operation_code, payload)
    justification = justification_of(request)
    if operation_is_protected(operation_code, actor) and not justification:
        raise ApiError(
            status.HTTP_400_BAD_REQUEST,
            "BadRequest",
            f"The {JUSTIFICATION} header is required: this operation is protected by multi "
            "admin approval. Send the business justification in it, Base64-encoded, to file an "
            f"approval request; once approved, repeat the call with {APPROVAL_CODE}.",
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
            requestId=str(exc.existing.approval_code),
        ) from exc
    except (OperationError, ApprovalError) as exc:
        raise ApiError(status.HTTP_400_BAD_REQUEST, "InvalidOperation", str(exc)) from exc
    if not outcome.needs_approval:
        return Response({"status": "completed", "result": outcome.result}, status=200)
    # Answered, not raised: an error raised here would roll back the request just filed.
    req_code = str(outcome.request.approval_code)
    response = error_response(
        status.HTTP_412_PRECONDITION_FAILED,
        "BadRequest",
        f"Approval Required. This operation is protected by multi admin approval; request "
        f"{req_code} was filed. Once it is approved, repeat this call unchanged with the "
        f"header {APPROVAL_CODE}: {req_code}.",
        request,
    )
    response[APPROVAL_CODE] = req_code
    return response


def _request_by_code(code: str) -> ApprovalRequest:
    try:
        return ApprovalRequest.objects.get(approval_code=uuid.UUID(code))
    except ValueError:
        raise ApiError(
            status.HTTP_400_BAD_REQUEST, "BadRequest", f"{APPROVAL_CODE} must be a GUID."
        ) from None
    except ApprovalRequest.DoesNotExist:
        raise ApiError(
            status.HTTP_404_NOT_FOUND, "NotFound", f"No approval request {code}."
        ) from None


def _mismatch(request, req: ApprovalRequest, operation_code: str, payload: dict) -> str:
    """What differs between this call and the approved one, in words; "" when nothing does."""
    if req.operation_type != operation_code:
        return f"this call is {operation_code}, the approved request is {req.operation_type}"
    same_payload = req.payload_digest == digest(payload)
    if req.call_digest == call_digest(request) or (not req.call_digest and same_payload):
        return ""
    if not same_payload:
        return f"this call's target or content differs from the approved one ({req.target_label})"
    return "this call's method, path or body differs from the approved call"


def _complete(request, code: str, operation_code: str, payload: dict) -> Response:
    req = _request_by_code(code)
    if req.requestor_id != request.user.pk:
        raise ApiError(
            status.HTTP_403_FORBIDDEN,
            "Forbidden",
            f"Only the client that filed request {code} may complete it.",
        )
    mismatch = _mismatch(request, req, operation_code, payload)
    if mismatch:
        raise ApiError(
            status.HTTP_409_CONFLICT,
            "DigestMismatch",
            f"This call is not the one approved in request {code}: {mismatch}. Repeat the "
            "identical call (method, path and body) or file a new request.",
            requestId=code,
        )
    try:
        req = request_complete(request_id=req.pk, actor=request.user)
    except ApprovalDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except ApprovalError as exc:
        raise ApiError(
            status.HTTP_409_CONFLICT, "RequestNotCompletable", str(exc), requestId=code
        ) from exc
    return Response(request_body(req), status=status.HTTP_202_ACCEPTED)
