from django.shortcuts import get_object_or_404, render

from approvals.selectors import open_request_for, requests_for_target
from assignments.views import AssignableCreateView, AssignableEditView
from rbac.decorators import permission_required
from rbac.selectors import user_has_perm
from utilities.paginator import CappedPaginator, list_name, paginate

from .filtersets import AppFilterSet
from .forms import AppForm
from .models import AppType, Intent, MobileApp
from .operations import APPS
from .selectors import app_installs, app_list, install_counts
from .services import FIELD_LABELS, app_fields, field_shown
from .workload import AppPerm

PAGE_SIZE = 50


@permission_required(AppPerm.READ)
def app_index(request):
    filterset = AppFilterSet(request.GET or None, queryset=app_list())
    return render(
        request,
        "mobile_apps/app_list.html",
        {
            "form": filterset.form,
            **paginate(request, filterset.qs, PAGE_SIZE),
            "app_types": AppType.choices,
            "can_create": user_has_perm(request.user, AppPerm.CREATE),
        },
    )


@permission_required(AppPerm.READ)
def app_detail(request, pk):
    app = get_object_or_404(MobileApp, pk=pk)
    user = request.user
    key = APPS.target_key(app.pk)
    installs = CappedPaginator(app_installs(app), PAGE_SIZE, name=list_name(request))
    installs = installs.get_page(request.GET.get("page"))
    assignments = list(app.assignments.select_related("group"))
    return render(
        request,
        "mobile_apps/app_detail.html",
        {
            "app": app,
            "fields": [
                (FIELD_LABELS[field], field_shown(field, getattr(app, field)))
                for field in app_fields(app.app_type)
                if field not in ("name", "description")
            ],
            "counts": install_counts(app),
            "page": installs,
            "query": "",
            "intents": [
                (intent.label, [a.group for a in assignments if a.mode == intent])
                for intent in Intent
            ],
            "open_request": open_request_for(key),
            "history": requests_for_target(key)[:20],
            "can_update": user_has_perm(user, AppPerm.UPDATE),
            "can_assign": user_has_perm(user, AppPerm.ASSIGN),
            "can_delete": user_has_perm(user, AppPerm.DELETE),
        },
    )


class AppCreateView(AssignableCreateView):
    form_class = AppForm

    def get_context(self) -> dict:
        return {"title": f"Add {AppType(self.kwargs['app_type']).label}"}


class AppEditView(AssignableEditView):
    form_class = AppForm
