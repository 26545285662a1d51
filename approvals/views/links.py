from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audit.chain import audit_record

from ..links import LinkExpired, LinkInvalid, channel_token_read, decision_token_read
from ..models import ApprovalRequest, RequestStatus
from ..selectors import request_page
from .requests import request_context


def _refused(request, *, reason: str, approval_request=None, status=400, claim_data=None):
    audit_record(
        actor=request.user,
        action="link.refused",
        target=approval_request,
        note=reason,
        request_id=approval_request.pk if approval_request else None,
        data=claim_data or {},
    )
    return render(
        request,
        "approvals/link_refused.html",
        {"reason": reason, "req": approval_request},
        status=status,
    )


@login_required
def decision_link(request, token):
    """An approver's email link: shows the request and a decision form, never decides by GET."""
    try:
        claim = decision_token_read(token)
    except LinkInvalid:
        return _refused(request, reason="This approval link is not valid: it was altered or cut.")
    except LinkExpired as expired:
        approval_request = ApprovalRequest.objects.filter(pk=expired.request_id).first()
        return _refused(
            request,
            reason="This approval link has expired. Open the request from Received requests.",
            approval_request=approval_request,
        )
    approval_request = ApprovalRequest.objects.filter(pk=claim.request_id).first()
    if approval_request is None:
        return _refused(request, reason="The request of this link no longer exists.", status=404)
    if request.user.pk != claim.approver_id:
        return _refused(
            request,
            reason="This approval link was sent to another approver. Sign in as that approver, "
            "or open the request from your own Received requests.",
            approval_request=None,
            status=403,
            claim_data={"request": claim.request_id, "sent_to": claim.approver_id},
        )
    if (
        approval_request.status != RequestStatus.NEEDS_APPROVAL
        or approval_request.version != claim.version
    ):
        return _refused(
            request,
            reason=f"This request is {approval_request.get_status_display()}; there is nothing "
            "left to decide.",
            approval_request=approval_request,
            status=409,
        )
    audit_record(
        actor=request.user,
        action="link.open",
        target=approval_request,
        request_id=approval_request.pk,
    )
    return render(
        request,
        "approvals/request_detail.html",
        request_context(request, approval_request, link_claim=claim),
    )


@login_required
def channel_link(request, token):
    """A chat post's button: the request's page for whoever may see it (else 404)."""
    try:
        request_id, webhook_id = channel_token_read(token)
    except LinkInvalid:
        return _refused(request, reason="This link is not valid: it was altered or cut.")
    except LinkExpired:
        return _refused(
            request, reason="This link has expired. Open the request from Received requests."
        )
    approval_request = request_page(request.user, request_id)
    audit_record(
        actor=request.user,
        action="link.open",
        target=approval_request,
        request_id=approval_request.pk,
        data={"channel": webhook_id},
    )
    return render(
        request, "approvals/request_detail.html", request_context(request, approval_request)
    )
