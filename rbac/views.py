from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from approvals.audit import audit_record
from approvals.forms import JustificationForm
from approvals.operations import OperationError, change_payload
from approvals.rails import rails_guard
from approvals.services import operation_is_protected
from approvals.starting import start_from_form

from .catalogue import Perm
from .decorators import permission_required
from .forms import AssignmentForm, GroupForm, PreferencesForm, RoleForm
from .models import Permission, Role, RoleAssignment, SecurityGroup, User
from .selectors import assignment_list, group_list, role_list, user_has_perm
from .services import RbacError, group_create, group_update

ROLE_OP = "rbac.role"
ASSIGNMENT_OP = "rbac.assignment"


@permission_required(Perm.ORGANIZATION_READ)
def group_index(request):
    return render(request, "rbac/group_list.html", {"groups": group_list()})


@permission_required(Perm.ORGANIZATION_READ)
def group_detail(request, pk):
    group = get_object_or_404(group_list(), pk=pk)
    return render(
        request,
        "rbac/group_detail.html",
        {
            "group": group,
            "members": group.members.order_by("username"),
            "assignments": group.role_assignments.select_related("role"),
            "policies": group.access_policies.all(),
            "can_edit": user_has_perm(request.user, Perm.ROLES_ASSIGN),
        },
    )


@permission_required(Perm.ROLES_ASSIGN)
def group_edit(request, pk=None):
    group = get_object_or_404(SecurityGroup, pk=pk) if pk else None
    initial = (
        {
            "name": group.name,
            "description": group.description,
            "group_type": group.group_type,
            "members": list(group.members),
        }
        if group
        else None
    )
    form = GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # Membership is what approvers stand on: a change may not disarm an active policy.
            with rails_guard():
                if group:
                    group = group_update(actor=request.user, group=group, **data)
                else:
                    group = group_create(actor=request.user, **data)
        except (RbacError, OperationError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Group {group.name} saved.")
            return redirect("rbac:group_detail", group.pk)
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": f"Edit group {group.name}" if group else "New group",
            "submit": "Save",
            "cancel_url": reverse("rbac:group_detail", args=[group.pk])
            if group
            else reverse("rbac:groups"),
        },
    )


@permission_required(Perm.ROLES_READ)
def role_index(request):
    return render(request, "rbac/role_list.html", {"roles": role_list()})


@permission_required(Perm.ROLES_READ)
def role_detail(request, pk):
    role = get_object_or_404(role_list(), pk=pk)
    by_category: dict[str, list] = {}
    for permission in role.permissions.all():
        by_category.setdefault(permission.category, []).append(permission.name)
    return render(
        request,
        "rbac/role_detail.html",
        {
            "role": role,
            "by_category": by_category,
            "assignments": role.assignments.all(),
            "can_create": user_has_perm(request.user, Perm.ROLES_CREATE),
            "can_update": user_has_perm(request.user, Perm.ROLES_UPDATE) and not role.is_builtin,
            "can_delete": user_has_perm(request.user, Perm.ROLES_DELETE) and not role.is_builtin,
        },
    )


def _form_page(request, form, *, title, submit, cancel_url, operation_code):
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": title,
            "submit": submit,
            "cancel_url": cancel_url,
            "protected": operation_is_protected(operation_code),
        },
    )


def _role_form(request, *, role=None, source=None, action="create"):
    protected = operation_is_protected(ROLE_OP)
    if request.method == "POST":
        form = RoleForm(request.POST, instance=role, protected=protected)
    else:
        base = role or source
        initial = (
            {
                "name": f"{source.name} (copy)" if source else base.name,
                "description": base.description,
                "permissions": list(base.permissions.all()),
            }
            if base
            else None
        )
        form = RoleForm(initial=initial, instance=role, protected=protected)
    if request.method == "POST" and form.is_valid():
        extra = {"duplicated_from_id": source.pk} if source else {}
        response = start_from_form(
            request,
            form,
            operation_code=ROLE_OP,
            payload=form.payload(action, **extra),
            success_url=reverse("rbac:roles"),
        )
        if response:
            return response
    title = {
        "create": f"Duplicate {source.name}" if source else "New custom role",
        "update": f"Edit role {role.name if role else ''}",
    }[action]
    return _form_page(
        request,
        form,
        title=title,
        submit="Save",
        cancel_url=reverse("rbac:roles"),
        operation_code=ROLE_OP,
    )


@permission_required(Perm.ROLES_CREATE)
def role_create_view(request):
    return _role_form(request)


@permission_required(Perm.ROLES_CREATE)
def role_duplicate_view(request, pk):
    return _role_form(request, source=get_object_or_404(Role, pk=pk))


@permission_required(Perm.ROLES_UPDATE)
def role_edit_view(request, pk):
    role = get_object_or_404(Role, pk=pk)
    if role.is_builtin:
        raise PermissionDenied(
            f"{role.name} is a built-in role and cannot be edited; duplicate it."
        )
    return _role_form(request, role=role, action="update")


def _delete_page(request, *, obj, operation_code, payload, success_url, cancel_url):
    protected = operation_is_protected(operation_code)
    form = JustificationForm(request.POST or None, protected=protected)
    if request.method == "POST" and form.is_valid():
        response = start_from_form(
            request, form, operation_code=operation_code, payload=payload, success_url=success_url
        )
        if response:
            return response
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": f"Delete {obj}",
            "intro": f"{obj} will be deleted.",
            "submit": "Delete",
            "danger": True,
            "cancel_url": cancel_url,
            "protected": protected,
        },
    )


@permission_required(Perm.ROLES_DELETE)
def role_delete_view(request, pk):
    role = get_object_or_404(Role, pk=pk)
    if role.is_builtin:
        raise PermissionDenied(f"{role.name} is a built-in role and cannot be deleted.")
    return _delete_page(
        request,
        obj=role,
        operation_code=ROLE_OP,
        payload={"action": "delete", "object_id": role.pk},
        success_url=reverse("rbac:roles"),
        cancel_url=reverse("rbac:role_detail", args=[role.pk]),
    )


@permission_required(Perm.ROLES_READ)
def assignment_index(request):
    return render(request, "rbac/assignment_list.html", {"assignments": assignment_list()})


@permission_required(Perm.ROLES_READ)
def assignment_detail(request, pk):
    assignment = get_object_or_404(assignment_list(), pk=pk)
    return render(
        request,
        "rbac/assignment_detail.html",
        {"assignment": assignment, "can_edit": user_has_perm(request.user, Perm.ROLES_ASSIGN)},
    )


@permission_required(Perm.ROLES_ASSIGN)
def assignment_edit_view(request, pk=None):
    assignment = get_object_or_404(RoleAssignment, pk=pk) if pk else None
    protected = operation_is_protected(ASSIGNMENT_OP)
    initial = AssignmentForm.initial_for(assignment) if assignment else None
    form = AssignmentForm(request.POST or None, initial=initial, protected=protected)
    if request.method == "POST" and form.is_valid():
        response = start_from_form(
            request,
            form,
            operation_code=ASSIGNMENT_OP,
            payload=change_payload(assignment, form.state()),
            success_url=reverse("rbac:assignments"),
        )
        if response:
            return response
    return _form_page(
        request,
        form,
        title=f"Edit assignment {assignment.name}" if assignment else "New role assignment",
        submit="Save",
        cancel_url=reverse("rbac:assignments"),
        operation_code=ASSIGNMENT_OP,
    )


@permission_required(Perm.ROLES_ASSIGN)
def assignment_delete_view(request, pk):
    assignment = get_object_or_404(RoleAssignment, pk=pk)
    return _delete_page(
        request,
        obj=assignment,
        operation_code=ASSIGNMENT_OP,
        payload={"action": "delete", "object_id": assignment.pk},
        success_url=reverse("rbac:assignments"),
        cancel_url=reverse("rbac:assignment_detail", args=[assignment.pk]),
    )


@login_required
def profile(request):
    form = PreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            User.objects.filter(pk=request.user.pk).update(muted_notifications=form.muted())
            audit_record(
                actor=request.user,
                action="user.preferences",
                target=request.user,
                data={"muted": form.muted()},
            )
        messages.success(request, "Notification preferences saved.")
        return redirect("rbac:profile")
    return render(
        request,
        "rbac/profile.html",
        {"form": form, "permissions": Permission.objects.all()},
    )
