from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from approvals.operations import OperationError
from approvals.rails import rails_guard
from approvals.views.starting import StartOperationView
from rbac.catalogue import Perm
from rbac.decorators import permission_required
from rbac.models import Role, RoleAssignment, SecurityGroup
from rbac.selectors import assignment_list, group_list, role_list, user_has_perm
from rbac.services import RbacError, group_create, group_update

from .forms import AssignmentForm, GroupForm, RoleForm


@permission_required(Perm.ORGANIZATION_READ)
def group_index(request):
    return render(request, "tenant_admin/group_list.html", {"groups": group_list()})


@permission_required(Perm.ORGANIZATION_READ)
def group_detail(request, pk):
    group = get_object_or_404(group_list(), pk=pk)
    return render(
        request,
        "tenant_admin/group_detail.html",
        {
            "group": group,
            "members": group.members.order_by("username"),
            "assignments": group.role_assignments.select_related("role"),
            "policies": group.access_policies.all(),
            "can_edit": user_has_perm(request.user, Perm.ROLES_ASSIGN) and not group.provisioned,
        },
    )


@permission_required(Perm.ROLES_ASSIGN)
def group_edit(request, pk=None):
    group = get_object_or_404(SecurityGroup, pk=pk) if pk else None
    if group is not None and group.provisioned:
        messages.error(request, f"{group.name} comes from your identity provider; change it there.")
        return redirect("tenant_admin:group_detail", group.pk)
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
            return redirect("tenant_admin:group_detail", group.pk)
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": f"Edit group {group.name}" if group else "New group",
            "submit": "Save",
            "cancel_url": reverse("tenant_admin:group_detail", args=[group.pk])
            if group
            else reverse("tenant_admin:groups"),
        },
    )


@permission_required(Perm.ROLES_READ)
def role_index(request):
    return render(request, "tenant_admin/role_list.html", {"roles": role_list()})


@permission_required(Perm.ROLES_READ)
def role_detail(request, pk):
    role = get_object_or_404(role_list(), pk=pk)
    by_category: dict[str, list] = {}
    for permission in role.permissions.all():
        by_category.setdefault(permission.category, []).append(permission.name)
    return render(
        request,
        "tenant_admin/role_detail.html",
        {
            "role": role,
            "by_category": by_category,
            "assignments": role.assignments.all(),
            "can_create": user_has_perm(request.user, Perm.ROLES_CREATE),
            "can_update": user_has_perm(request.user, Perm.ROLES_UPDATE) and not role.is_builtin,
            "can_delete": user_has_perm(request.user, Perm.ROLES_DELETE) and not role.is_builtin,
        },
    )


def _custom_role(pk: int, verb: str) -> Role:
    role = get_object_or_404(Role, pk=pk)
    if role.is_builtin:
        raise PermissionDenied(
            f"{role.name} is a built-in role and cannot be {verb}; duplicate it."
        )
    return role


class RoleCreateView(StartOperationView):
    permission = Perm.ROLES_CREATE
    operation_code = "role.create"
    form_class = RoleForm
    title = "New custom role"

    def get_form_kwargs(self) -> dict:
        return {"instance": None}

    def get_payload(self, form) -> dict:
        return {"state": form.state()}

    def get_success_url(self) -> str:
        return reverse("tenant_admin:roles")


class RoleDuplicateView(RoleCreateView):
    def get_object(self):
        return get_object_or_404(Role, pk=self.kwargs["pk"])

    def get_initial(self) -> dict:
        return RoleForm.initial_for(self.object, name=f"{self.object.name} (copy)")

    def get_payload(self, form) -> dict:
        return {"state": {**form.state(), "duplicated_from_id": self.object.pk}}

    def get_context(self) -> dict:
        return {"title": f"Duplicate {self.object.name}"}


class RoleEditView(RoleCreateView):
    permission = Perm.ROLES_UPDATE
    operation_code = "role.edit"

    def get_object(self):
        return _custom_role(self.kwargs["pk"], "edited")

    def get_form_kwargs(self) -> dict:
        return {"instance": self.object}

    def get_initial(self) -> dict:
        return RoleForm.initial_for(self.object)

    def get_payload(self, form) -> dict:
        return {"object_id": self.object.pk, "state": form.state()}

    def get_context(self) -> dict:
        return {"title": f"Edit role {self.object.name}"}


class DeleteView(StartOperationView):
    """Delete one role or role assignment (a request when the RBAC workload is protected)."""

    submit = "Delete"
    danger = True

    def get_payload(self, form) -> dict:
        return {"object_id": self.object.pk}

    def get_context(self) -> dict:
        return {"title": f"Delete {self.object}", "intro": f"{self.object} will be deleted."}


class RoleDeleteView(DeleteView):
    permission = Perm.ROLES_DELETE
    operation_code = "role.delete"

    def get_object(self):
        return _custom_role(self.kwargs["pk"], "deleted")

    def get_success_url(self) -> str:
        return reverse("tenant_admin:roles")

    def get_cancel_url(self) -> str:
        return reverse("tenant_admin:role_detail", args=[self.object.pk])


@permission_required(Perm.ROLES_READ)
def assignment_index(request):
    return render(request, "tenant_admin/assignment_list.html", {"assignments": assignment_list()})


@permission_required(Perm.ROLES_READ)
def assignment_detail(request, pk):
    assignment = get_object_or_404(assignment_list(), pk=pk)
    return render(
        request,
        "tenant_admin/assignment_detail.html",
        {"assignment": assignment, "can_edit": user_has_perm(request.user, Perm.ROLES_ASSIGN)},
    )


class AssignmentEditView(StartOperationView):
    permission = Perm.ROLES_ASSIGN
    form_class = AssignmentForm

    def get_operation_code(self) -> str:
        return "assignment.edit" if self.object else "assignment.create"

    def get_object(self):
        pk = self.kwargs.get("pk")
        return get_object_or_404(RoleAssignment, pk=pk) if pk else None

    def get_initial(self) -> dict | None:
        return AssignmentForm.initial_for(self.object) if self.object else None

    def get_payload(self, form) -> dict:
        if self.object is None:
            return {"state": form.state()}
        return {"object_id": self.object.pk, "state": form.state()}

    def get_success_url(self) -> str:
        return reverse("tenant_admin:assignments")

    def get_context(self) -> dict:
        title = f"Edit assignment {self.object.name}" if self.object else "New role assignment"
        return {"title": title}


class AssignmentDeleteView(DeleteView):
    permission = Perm.ROLES_ASSIGN
    operation_code = "assignment.delete"

    def get_object(self):
        return get_object_or_404(RoleAssignment, pk=self.kwargs["pk"])

    def get_success_url(self) -> str:
        return reverse("tenant_admin:assignments")

    def get_cancel_url(self) -> str:
        return reverse("tenant_admin:assignment_detail", args=[self.object.pk])
