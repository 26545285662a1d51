"""How a page starts a protected operation and tells the user what happened."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from .operations import OperationError
from .services import ApprovalDenied, ApprovalError, OpenRequestExists, operation_start


def start_from_form(request, form, *, operation_code: str, payload: dict, success_url: str):
    """Run operation_start; on refusal put the reason on the form (nothing typed is lost).

    Returns a redirect on success, or None when the caller should render the form again.
    """
    justification = form.cleaned_data.get("justification", "")
    try:
        outcome = operation_start(
            actor=request.user,
            operation_code=operation_code,
            payload=payload,
            justification=justification,
        )
    except ApprovalDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except OpenRequestExists as exc:
        url = reverse("approvals:request_detail", args=[exc.existing.pk])
        form.add_error(
            None, format_html('{} <a href="{}">Open request #{}</a>', exc, url, exc.existing.pk)
        )
        return None
    except (OperationError, ApprovalError) as exc:
        form.add_error(None, str(exc))
        return None
    if outcome.needs_approval:
        req = outcome.request
        messages.warning(
            request,
            format_html(
                'This operation requires approval. <a href="{}">Request #{}</a> was sent to the '
                "approvers; nothing runs until it is approved and you complete it.",
                reverse("approvals:request_detail", args=[req.pk]),
                req.pk,
            ),
        )
        return redirect("approvals:request_detail", req.pk)
    messages.success(request, outcome.result)
    return redirect(success_url)
