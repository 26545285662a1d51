"""Django-admin actions that start a protected operation, one request per selected object."""

from django.contrib import messages
from django.shortcuts import render
from django.utils.html import format_html

from .forms import JustificationForm
from .operations import OperationError, registry
from .services import ApprovalError, operation_is_protected, operation_start


def protected_admin_action(operation_code, *, payload_for, name: str, label: str):
    """An admin action that starts the same protected operation as the portal's page.

    `operation_code` is a code, or a function of the selected object giving its code (a script
    and a remediation are deleted by different operations); `payload_for(obj)` builds the
    operation's payload for one selected object.
    """
    code_for = operation_code if callable(operation_code) else lambda obj: operation_code

    def action(modeladmin, request, queryset):
        protected = any(operation_is_protected(code_for(obj)) for obj in queryset)
        confirmed = "confirm" in request.POST
        form = JustificationForm(request.POST if confirmed else None, protected=protected)
        if confirmed and form.is_valid():
            for obj in queryset:
                operation = registry.get(code_for(obj))
                try:
                    outcome = operation_start(
                        actor=request.user,
                        operation_code=operation.code,
                        payload=payload_for(obj),
                        justification=form.cleaned_data.get("justification", ""),
                        run_at=form.cleaned_data.get("run_at"),
                    )
                except (ApprovalError, OperationError) as exc:
                    modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
                    continue
                if outcome.needs_approval:
                    modeladmin.message_user(
                        request,
                        format_html(
                            "{}: {} requires approval; request #{} was sent to the approvers.",
                            obj,
                            operation.label,
                            outcome.request.pk,
                        ),
                        messages.WARNING,
                    )
                else:
                    modeladmin.message_user(request, f"{obj}: {outcome.result}")
            return None
        return render(
            request,
            "admin/approvals/confirm_operation.html",
            {
                "title": f"{label} {queryset.count()} selected",
                "objects": queryset,
                "form": form,
                "action": name,
                "protected": protected,
                "opts": modeladmin.model._meta,
            },
        )

    action.__name__ = name
    action.short_description = f"{label} selected"
    return action
