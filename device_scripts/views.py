from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from approvals.forms import JustificationForm
from approvals.selectors import open_request_for, requests_for_target
from approvals.views.starting import StartOperationView
from assignments.models import AssignmentMode
from rbac.decorators import permission_required
from rbac.selectors import user_has_perm
from utilities.paginator import CappedPaginator, paginate

from .forms import AssignForm, ScriptFilterForm, ScriptForm
from .models import Script, ScriptKind
from .operations import ScriptAssign, ScriptCreate, ScriptDelete, ScriptEdit, script_target_key
from .selectors import run_counts, script_list, script_runs
from .workload import ScriptPerm

PAGE_SIZE = 50


@permission_required(ScriptPerm.READ)
def script_index(request):
    form = ScriptFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    scripts = script_list(
        search=filters.get("q", ""),
        kind=filters.get("kind", ""),
        platform=filters.get("platform", ""),
    )
    user = request.user
    return render(
        request,
        "device_scripts/script_list.html",
        {
            "form": form,
            **paginate(request, scripts, PAGE_SIZE),
            "can_create": user_has_perm(user, ScriptPerm.CREATE),
        },
    )


@permission_required(ScriptPerm.READ)
def script_detail(request, pk):
    script = get_object_or_404(Script, pk=pk)
    user = request.user
    key = script_target_key(script.pk)
    runs = CappedPaginator(script_runs(script), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "device_scripts/script_detail.html",
        {
            "script": script,
            "counts": run_counts(script),
            "runs": runs,
            "page": runs,
            "query": "",
            "included": script.assignments.filter(mode=AssignmentMode.INCLUDE).select_related(
                "group"
            ),
            "excluded": script.assignments.filter(mode=AssignmentMode.EXCLUDE).select_related(
                "group"
            ),
            "open_request": open_request_for(key),
            "history": requests_for_target(key)[:20],
            "can_update": user_has_perm(user, ScriptPerm.UPDATE),
            "can_assign": user_has_perm(user, ScriptPerm.ASSIGN),
            "can_delete": user_has_perm(user, ScriptPerm.DELETE),
        },
    )


class ScriptChangeView(StartOperationView):
    """Create, edit, assign or delete a script or remediation (protected: "Scripts")."""

    operation_class: type

    def get_object(self):
        script = get_object_or_404(Script, pk=self.kwargs["pk"])
        self.kind = script.kind
        return script

    def get_operation_code(self) -> str:
        return self.operation_class.code_for(self.kind)

    def noun(self) -> str:
        return ScriptKind(self.kind).label.lower()

    def get_success_url(self) -> str:
        if self.object is None or self.operation_class is ScriptDelete:
            return reverse("device_scripts:list")
        return reverse("device_scripts:detail", args=[self.object.pk])


class ScriptCreateView(ScriptChangeView):
    permission = ScriptPerm.CREATE
    form_class = ScriptForm
    operation_class = ScriptCreate

    def get_object(self):
        self.kind = self.kwargs["kind"]
        if self.kind not in ScriptKind.values:
            raise Http404
        return None

    def get_form_kwargs(self) -> dict:
        return {"kind": self.kind}

    def get_payload(self, form) -> dict:
        return {"state": form.state()}

    def get_context(self) -> dict:
        return {"title": f"Add {self.noun()}"}


class ScriptEditView(ScriptChangeView):
    permission = ScriptPerm.UPDATE
    form_class = ScriptForm
    operation_class = ScriptEdit

    def get_form_kwargs(self) -> dict:
        return {"kind": self.kind}

    def get_initial(self) -> dict:
        return ScriptForm.initial_for(self.object)

    def get_payload(self, form) -> dict:
        return {"script_id": self.object.pk, "state": form.state()}

    def get_context(self) -> dict:
        return {"title": f"Edit {self.noun()} {self.object.name}"}


class ScriptAssignView(ScriptChangeView):
    permission = ScriptPerm.ASSIGN
    form_class = AssignForm
    operation_class = ScriptAssign

    def get_initial(self) -> dict:
        return AssignForm.initial_for(self.object)

    def get_payload(self, form) -> dict:
        return form.payload(self.object)

    def get_context(self) -> dict:
        return {"title": f"Assign {self.noun()} {self.object.name}"}


class ScriptDeleteView(ScriptChangeView):
    permission = ScriptPerm.DELETE
    form_class = JustificationForm
    operation_class = ScriptDelete
    submit = "Delete"
    danger = True

    def get_payload(self, form) -> dict:
        return {"script_id": self.object.pk}

    def get_cancel_url(self) -> str:
        return reverse("device_scripts:detail", args=[self.object.pk])

    def get_context(self) -> dict:
        return {
            "title": f"Delete {self.noun()} {self.object.name}",
            "intro": "Its assignments and device results are removed with it; devices no "
            "longer receive it.",
        }
