from django.contrib import admin, messages
from django.shortcuts import render

from approvals.forms import JustificationForm
from approvals.operations import OperationError
from approvals.services import ApprovalError, operation_is_protected, operation_start
from rbac.admin import ReadOnlyAdmin

from .models import Device, DeviceAction


def _protected_action(kind: str, label: str):
    """An admin action that starts the same protected operation as the portal's button."""

    def action(modeladmin, request, queryset):
        code = f"device.{kind}"
        protected = operation_is_protected(code)
        form = JustificationForm(
            request.POST if "confirm" in request.POST else None, protected=protected
        )
        if "confirm" in request.POST and form.is_valid():
            for device in queryset:
                try:
                    outcome = operation_start(
                        actor=request.user,
                        operation_code=code,
                        payload={"device_id": device.pk},
                        justification=form.cleaned_data.get("justification", ""),
                    )
                except (ApprovalError, OperationError) as exc:
                    modeladmin.message_user(request, f"{device}: {exc}", messages.ERROR)
                    continue
                if outcome.needs_approval:
                    modeladmin.message_user(
                        request,
                        f"{device}: {label} requires approval; request #{outcome.request.pk} "
                        "was sent to the approvers.",
                        messages.WARNING,
                    )
                else:
                    modeladmin.message_user(request, f"{device}: {outcome.result}")
            return None
        return render(
            request,
            "admin/devices/confirm_action.html",
            {
                "title": f"{label} {queryset.count()} device(s)",
                "devices": queryset,
                "form": form,
                "action": f"{kind}_devices",
                "protected": protected,
                "opts": modeladmin.model._meta,
            },
        )

    action.__name__ = f"{kind}_devices"
    action.short_description = f"{label} selected devices"
    return action


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "serial_number",
        "operating_system",
        "compliance_state",
        "ownership",
        "primary_user",
        "management_state",
    ]
    list_filter = [
        "operating_system",
        "compliance_state",
        "ownership",
        "management_state",
        "scope_tags",
    ]
    search_fields = ["name", "serial_number", "primary_user__username"]
    list_select_related = ["primary_user"]
    actions = [
        _protected_action("wipe", "Wipe"),
        _protected_action("retire", "Retire"),
        _protected_action("delete", "Delete"),
    ]


@admin.register(DeviceAction)
class DeviceActionAdmin(ReadOnlyAdmin):
    list_display = ["device", "kind", "status", "requested_by", "requested_at", "origin"]
    list_filter = ["kind", "status"]
    search_fields = ["device__name", "origin"]
    list_select_related = ["device", "requested_by"]
