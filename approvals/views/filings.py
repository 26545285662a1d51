"""The page a requestor waits on while a worker files their request (approvals.filings)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ..models import FilingStatus
from ..operations import registry
from ..selectors import filing_of
from .starting import requires_approval_message


@login_required
def filing_detail(request, pk):
    """Being prepared: a page that asks after 0.3 s (a filing of 10,000 devices takes about
    0.2), then every second (htmx; a link without script).
    Filed: on to the request. Refused: back to the form, with the refusal and what was typed."""
    filing = filing_of(request.user, pk)
    if filing.status == FilingStatus.PREPARING:
        if request.htmx:
            return HttpResponse(status=204)  # nothing to swap: asked again in a second
        label = registry.get(filing.operation_type).label
        return render(request, "approvals/filing.html", {"filing": filing, "label": label})
    if filing.status == FilingStatus.FILED and filing.request_id:
        messages.warning(request, requires_approval_message(filing.request_id))
        url = reverse("approvals:request_detail", args=[filing.request_id])
    else:
        url = filing.refused_url
    if request.htmx:
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)
