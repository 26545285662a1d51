from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from approvals.selectors import open_request_for, requests_for_target
from approvals.views.starting import StartOperationView
from audit.models import AuditEvent
from rbac.catalogue import Perm
from rbac.decorators import permission_required
from rbac.selectors import user_has_perm

from .forms import DeviceFilterForm
from .models import ActionKind
from .operations import DEVICE_ACTION_BY_KIND, DEVICE_ACTIONS, device_target_key
from .selectors import device_actions, device_list, devices_visible_to
from .services import DeviceActionError, device_action_possible, device_action_run

PAGE_SIZE = 50


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
    key = device_target_key(device.pk)
    buttons = [
        (op.kind, op.verb)
        for op in DEVICE_ACTIONS
        if user_has_perm(request.user, op.permission, device)
        and device_action_possible(device, op.kind)
    ]
    can_sync = user_has_perm(request.user, Perm.SYNC, device) and device_action_possible(
        device, ActionKind.SYNC
    )
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "actions": device_actions(device)[:50],
            "buttons": [] if device.is_deleted else buttons,
            "can_sync": can_sync and not device.is_deleted,
            "open_request": open_request_for(key),
            "history": requests_for_target(key)[:20],
            "events": AuditEvent.objects.filter(
                target_type="devices.device", target_id=str(device.pk)
            ).order_by("-seq")[:50],
        },
    )


class DeviceActionView(StartOperationView):
    """Wipe, retire or delete one device (protected when a policy covers the action)."""

    permission = Perm.DEVICES_READ
    danger = True

    def get_object(self):
        self.operation = DEVICE_ACTION_BY_KIND.get(self.kwargs["kind"])
        if self.operation is None:
            raise Http404
        device = _visible_device(self.request, self.kwargs["pk"])
        if not user_has_perm(self.request.user, self.operation.permission, device):
            raise PermissionDenied(
                f"You need the permission {self.operation.permission} on {device.name}."
            )
        return device

    def get_operation_code(self) -> str:
        return self.operation.code

    def get_payload(self, form) -> dict:
        return self.operation.payload_for(self.object)

    def get_success_url(self) -> str:
        return reverse("devices:detail", args=[self.object.pk])

    def get_context(self) -> dict:
        return {
            "title": f"{self.operation.verb} {self.object.name}",
            "intro": self.operation.intro,
            "submit": self.operation.verb,
        }


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
