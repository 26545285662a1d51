from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from approvals.forms import JustificationForm
from approvals.models import ApprovalRequest, AuditEvent
from approvals.models.requests import OPEN_STATUSES
from approvals.services import operation_is_protected
from approvals.starting import start_from_form
from rbac.catalogue import Perm
from rbac.decorators import permission_required
from rbac.selectors import user_has_perm

from .forms import DeviceFilterForm
from .models import ActionKind
from .selectors import device_actions, device_list, devices_visible_to
from .services import DeviceActionError, device_action_possible, device_action_run

PAGE_SIZE = 50
PROTECTABLE = {
    ActionKind.WIPE: Perm.WIPE,
    ActionKind.RETIRE: Perm.RETIRE,
    ActionKind.DELETE: Perm.DEVICES_DELETE,
}


@permission_required(Perm.DEVICES_READ)
def device_index(request):
    form = DeviceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    devices = device_list(
        request.user,
        search=filters.get("q", ""),
        filters={**filters, "tag": filters["tag"].pk if filters.get("tag") else None},
    )
    page = Paginator(devices, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "devices/device_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _visible_device(request, pk):
    return get_object_or_404(devices_visible_to(request.user), pk=pk)


@permission_required(Perm.DEVICES_READ)
def device_detail(request, pk):
    device = _visible_device(request, pk)
    open_request = ApprovalRequest.objects.filter(
        target_key=f"device:{device.pk}", status__in=OPEN_STATUSES
    ).first()
    buttons = [
        (kind, label)
        for kind, label in [
            ("sync", "Sync"),
            ("wipe", "Wipe"),
            ("retire", "Retire"),
            ("delete", "Delete"),
        ]
        if user_has_perm(request.user, PROTECTABLE.get(kind, Perm.SYNC), device)
        and device_action_possible(device, kind)
    ]
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "actions": device_actions(device)[:50],
            "buttons": [] if device.is_deleted else buttons,
            "open_request": open_request,
            "history": ApprovalRequest.objects.filter(target_key=f"device:{device.pk}")[:20],
            "events": AuditEvent.objects.filter(
                target_type="devices.device", target_id=str(device.pk)
            ).order_by("-seq")[:50],
        },
    )


@permission_required(Perm.DEVICES_READ)
def device_action(request, pk, kind):
    if kind not in PROTECTABLE:
        raise Http404
    device = _visible_device(request, pk)
    if not user_has_perm(request.user, PROTECTABLE[kind], device):
        raise PermissionDenied(f"You need the permission {PROTECTABLE[kind]} on {device.name}.")
    code = f"device.{kind}"
    protected = operation_is_protected(code)
    form = JustificationForm(request.POST or None, protected=protected)
    if request.method == "POST" and form.is_valid():
        response = start_from_form(
            request,
            form,
            operation_code=code,
            payload={"device_id": device.pk},
            success_url=reverse("devices:detail", args=[device.pk]),
        )
        if response:
            return response
    label = ActionKind(kind).label
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": f"{label} {device.name}",
            "intro": {
                "wipe": "Wipe restores the device to its factory settings and removes all data.",
                "retire": "Retire removes company data and apps and takes the device out of "
                "management.",
                "delete": "Delete removes the device from management; its history is kept.",
            }[kind],
            "submit": label,
            "danger": True,
            "protected": protected,
            "cancel_url": reverse("devices:detail", args=[device.pk]),
        },
    )


@require_POST
@permission_required(Perm.SYNC)
def device_sync(request, pk):
    device = _visible_device(request, pk)
    if not user_has_perm(request.user, Perm.SYNC, device):
        raise PermissionDenied(f"You need the permission {Perm.SYNC} on {device.name}.")
    try:
        device_action_run(actor=request.user, device_id=device.pk, kind=ActionKind.SYNC)
    except DeviceActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Sync sent to {device.name}.")
    return redirect("devices:detail", device.pk)
