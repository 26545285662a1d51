from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST

from approvals.forms import JustificationForm
from approvals.models import ApprovalRequest
from approvals.selectors import (
    open_request_for,
    open_requests_by_key,
    request_visible_to,
    requests_for_target,
)
from approvals.views.starting import StartOperationView
from audit.models import AuditEvent
from rbac.catalogue import Perm
from rbac.decorators import permission_required
from rbac.selectors import user_has_perm
from utilities.paginator import paginate

from . import bulk
from .extensions import device_panels
from .filtersets import DeviceFilterSet
from .forms import CategoryForm, DeviceCategoryForm
from .history import history_lines
from .models import ActionKind, DeviceCategory
from .operations import (
    BULK_ACTION_BY_KIND,
    DEVICE_ACTION_BY_KIND,
    DEVICE_ACTIONS,
    bulk_target_key_of,
    category_target_key,
    device_target_key,
)
from .selectors import (
    categories_with_counts,
    device_list,
    device_page_actions,
    device_table,
    devices_visible_to,
)
from .services import (
    DeviceActionError,
    device_action_possible,
    device_action_run,
    device_set_category,
)
from .workload import DevicePerm

PAGE_SIZE = 50


@permission_required(DevicePerm.READ)
def device_index(request):
    filterset = DeviceFilterSet(request.GET or None, queryset=device_list(request.user))
    listing = paginate(request, device_table(filterset.qs), PAGE_SIZE)
    # One query for the badges of the whole page.
    open_requests = open_requests_by_key(device_target_key(d.pk) for d in listing["page"])
    for device in listing["page"]:
        device.open_request = open_requests.get(device_target_key(device.pk))
    return render(request, "devices/device_list.html", {"form": filterset.form, **listing})


def _visible_device(request, pk):
    return get_object_or_404(devices_visible_to(request.user), pk=pk)


@permission_required(DevicePerm.READ)
def device_detail(request, pk):
    device = _visible_device(request, pk)
    actions, busy = device_page_actions(device, newest=50)
    buttons = [
        (op.kind, op.verb)
        for op in DEVICE_ACTIONS
        if user_has_perm(request.user, op.permission, device)
        and device_action_possible(device, op.kind, in_progress=busy)
    ]
    can_sync = user_has_perm(request.user, DevicePerm.SYNC, device) and device_action_possible(
        device, ActionKind.SYNC, in_progress=busy
    )
    # The open request, if any, is the newest of the device's requests.
    history = list(requests_for_target(device_target_key(device.pk))[:20])
    open_request = next((r for r in history if r.is_open), None)
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "actions": actions,
            "buttons": [] if device.is_deleted else buttons,
            "can_sync": can_sync and not device.is_deleted,
            "panels": device_panels(device, request.user),
            "category_form": DeviceCategoryForm(initial={"category": device.category_id})
            if user_has_perm(request.user, DevicePerm.UPDATE, device) and not device.is_deleted
            else None,
            "open_request": open_request,
            "history": history,
            "timeline": history_lines(
                AuditEvent.objects.filter(
                    target_type="devices.device", target_id=str(device.pk)
                ).order_by("-id")[:50]
            ),
        },
    )


class DeviceActionView(StartOperationView):
    """Wipe, retire or delete one device (protected when a policy covers the action)."""

    permission = DevicePerm.READ
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

    def get_blocking_request(self):
        return open_request_for(device_target_key(self.object.pk))

    def get_context(self) -> dict:
        return {
            "title": f"{self.operation.verb} {self.object.name}",
            "intro": self.operation.intro,
            "submit": self.operation.verb,
        }


class BulkActionView(StartOperationView):
    """Wipe, retire or delete the devices selected in the list, or all those matching its
    filter: one request. The set is read from the query string and pinned when filed."""

    permission = DevicePerm.READ
    danger = True
    # Resolving, checking and pinning 10,000 devices takes a worker 120 ms, a page's budget 25.
    files_in_background = True

    def dispatch(self, request, *args, **kwargs):
        if request.GET.get("kind") == "sync":
            return bulk_sync(request)
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        self.operation = BULK_ACTION_BY_KIND.get(self.request.GET.get("kind", ""))
        if self.operation is None:
            raise Http404("Choose wipe, retire, delete or sync.")
        self.selection = bulk.selection_of(self.request.GET)
        return None

    @cached_property
    def device_ids(self) -> list[int]:
        # Read for the page only: a filing resolves the selection in the worker.
        return bulk.selected_ids(self.request.user, self.selection)

    def get_operation_code(self) -> str:
        return self.operation.code

    def get_payload(self, form) -> dict:
        return {"selection": self.selection}

    def get_success_url(self) -> str:
        return reverse("devices:list")

    def get_context(self) -> dict:
        count = len(self.device_ids)
        return {
            "title": f"{self.operation.single.verb} {count} devices",
            "intro": f"{self.operation.single.intro} One request for all of them; each device is "
            "acted on once.",
            "submit": f"{self.operation.single.verb} {count} devices",
            "breakdown": bulk.breakdown(self.device_ids) if self.device_ids else {},
        }


@permission_required(DevicePerm.SYNC)
def bulk_sync(request):
    """Sync the selected devices, or all matching the filter, at once (not protected)."""
    ids = bulk.selected_ids(request.user, bulk.selection_of(request.GET))
    if request.method == "POST":
        try:
            result = bulk.devices_sync(
                actor=request.user, permission=DevicePerm.SYNC, device_ids=ids
            )
        except DeviceActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, result.message)
            return redirect("devices:list")
    return render(
        request,
        "form.html",
        {
            "form": JustificationForm(),
            "title": f"Sync {len(ids)} devices",
            "intro": "Each device is asked to check in now. Sync is not protected: it runs at "
            "once.",
            "submit": f"Sync {len(ids)} devices",
            "cancel_url": reverse("devices:list"),
            "breakdown": bulk.breakdown(ids) if ids else {},
        },
    )


@permission_required(DevicePerm.READ)
def bulk_detail(request, key):
    """The devices of a bulk request, paged, each with its action's status under it."""
    newest = (
        ApprovalRequest.objects.filter(target_key=bulk_target_key_of(key))
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if newest is None:
        raise Http404("No such bulk request.")
    approval_request = request_visible_to(request.user, newest)
    ids = approval_request.payload["device_ids"]
    # Pinned, so counted already: counting 10,000 ids again was a quarter of the page.
    listing = paginate(request, bulk.pinned_devices(ids), PAGE_SIZE, count=len(ids))
    actions = bulk.bulk_devices([d.pk for d in listing["page"]], approval_request.execution_origin)
    for device in listing["page"]:
        device.bulk_action = actions.get(device.pk)
    return render(
        request,
        "devices/bulk_detail.html",
        {
            "req": approval_request,
            # As filed: the summary the approvers read, not counted again over every device.
            "breakdown": {
                row["label"]: row["after"]
                for row in approval_request.summary
                if row["label"] != "Action"
            },
            **listing,
        },
    )


@require_POST
@permission_required(DevicePerm.SYNC)
def device_sync(request, pk):
    device = _visible_device(request, pk)
    if not user_has_perm(request.user, DevicePerm.SYNC, device):
        raise PermissionDenied(f"You need the permission {DevicePerm.SYNC} on {device.name}.")
    try:
        device_action_run(actor=request.user, device_id=device.pk, kind=ActionKind.SYNC)
    except DeviceActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Sync sent to {device.name}.")
    return redirect("devices:detail", device.pk)


@require_POST
@permission_required(DevicePerm.UPDATE)
def device_category(request, pk):
    device = _visible_device(request, pk)
    if not user_has_perm(request.user, DevicePerm.UPDATE, device):
        raise PermissionDenied(f"You need the permission {DevicePerm.UPDATE} on {device.name}.")
    form = DeviceCategoryForm(request.POST)
    if form.is_valid():
        category = form.cleaned_data["category"]
        device_set_category(
            actor=request.user, device_id=device.pk, category_id=category.pk if category else None
        )
        messages.success(request, f"Category of {device.name} set to {category or 'none'}.")
    else:
        messages.error(request, "Choose one of the listed categories.")
    return redirect("devices:detail", device.pk)


@permission_required(Perm.ORGANIZATION_READ)
def category_index(request):
    categories = list(categories_with_counts())
    open_requests = open_requests_by_key(category_target_key(c.pk) for c in categories)
    for category in categories:
        category.open_request = open_requests.get(category_target_key(category.pk))
    return render(
        request,
        "devices/category_list.html",
        {
            "categories": categories,
            "can_edit": user_has_perm(request.user, Perm.ORGANIZATION_UPDATE),
        },
    )


class CategoryChangeView(StartOperationView):
    """Create, edit or delete a device category ("Tenant configuration")."""

    permission = Perm.ORGANIZATION_UPDATE
    form_class = CategoryForm

    def get_object(self):
        pk = self.kwargs.get("pk")
        return get_object_or_404(DeviceCategory, pk=pk) if pk else None

    def get_success_url(self) -> str:
        return reverse("devices:categories")


class CategoryCreateView(CategoryChangeView):
    operation_code = "category.create"
    title = "New device category"

    def get_payload(self, form) -> dict:
        return {"state": form.state()}


class CategoryEditView(CategoryChangeView):
    operation_code = "category.edit"

    def get_initial(self) -> dict:
        return {"name": self.object.name, "description": self.object.description}

    def get_payload(self, form) -> dict:
        return {"object_id": self.object.pk, "state": form.state()}

    def get_context(self) -> dict:
        return {"title": f"Edit device category {self.object.name}"}


class CategoryDeleteView(CategoryChangeView):
    operation_code = "category.delete"
    form_class = JustificationForm
    submit = "Delete"
    danger = True

    def get_payload(self, form) -> dict:
        return {"object_id": self.object.pk}

    def get_context(self) -> dict:
        return {
            "title": f"Delete device category {self.object.name}",
            "intro": "A category still used by devices cannot be deleted.",
        }
