from django.http import Http404
from django.shortcuts import get_object_or_404, render

from approvals.selectors import open_request_for, requests_for_target
from assignments.models import AssignmentMode
from assignments.views import (
    AssignableAssignView,
    AssignableCreateView,
    AssignableDeleteView,
    AssignableEditView,
)
from rbac.decorators import permission_required
from rbac.selectors import user_has_perm
from utilities.paginator import CappedPaginator, list_name, paginate

from .filtersets import ScriptFilterSet
from .forms import ScriptForm
from .models import Script
from .operations import SPECS
from .selectors import run_counts, script_list, script_runs
from .workload import ScriptPerm

PAGE_SIZE = 50


@permission_required(ScriptPerm.READ)
def script_index(request):
    filterset = ScriptFilterSet(request.GET or None, queryset=script_list())
    user = request.user
    return render(
        request,
        "device_scripts/script_list.html",
        {
            "form": filterset.form,
            **paginate(request, filterset.qs, PAGE_SIZE),
            "can_create": user_has_perm(user, ScriptPerm.CREATE),
        },
    )


@permission_required(ScriptPerm.READ)
def script_detail(request, pk):
    script = get_object_or_404(Script, pk=pk)
    user = request.user
    key = SPECS[script.kind].target_key(script.pk)
    runs = CappedPaginator(script_runs(script), PAGE_SIZE, name=list_name(request))
    runs = runs.get_page(request.GET.get("page"))
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


class ScriptSpecMixin:
    """The Assignable of the script's kind (a platform script or a remediation): from the
    script, or from the URL for a new one. Both kinds need the same permissions, so the view is
    built with either."""

    def get_object(self):
        if "pk" not in self.kwargs:
            if self.kwargs["kind"] not in SPECS:
                raise Http404("No such kind of script.")
            self.spec = SPECS[self.kwargs["kind"]]
            return None
        script = get_object_or_404(Script, pk=self.kwargs["pk"])
        self.spec = SPECS[script.kind]
        return script


class ScriptCreateView(ScriptSpecMixin, AssignableCreateView):
    form_class = ScriptForm

    def get_context(self) -> dict:
        return {"title": f"Add {self.spec.noun}"}


class ScriptEditView(ScriptSpecMixin, AssignableEditView):
    form_class = ScriptForm


class ScriptAssignView(ScriptSpecMixin, AssignableAssignView):
    pass


class ScriptDeleteView(ScriptSpecMixin, AssignableDeleteView):
    intro = "Its assignments and device results are removed with it; devices no longer receive it."
