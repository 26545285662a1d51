from django.shortcuts import get_object_or_404, render

from approvals.selectors import open_request_for, requests_for_target
from assignments.models import AssignmentMode
from assignments.views import AssignableCreateView, AssignableEditView
from rbac.selectors import user_has_perm
from utilities.paginator import CappedPaginator, list_name, paginate

from .filtersets import PolicyFilterSet
from .forms import PolicyForm
from .models import DeviceStatus
from .operations import SPECS
from .selectors import STATUSES, policy_device_states, policy_list, status_counts
from .services import CATALOGS
from .settings import PolicyPlatform

PAGE_SIZE = 50


def policy_index(request, family):
    """Compliance policies or Configuration policies (read permission checked in urls)."""
    spec = SPECS[family]
    filterset = PolicyFilterSet(request.GET or None, queryset=policy_list(family=family))
    listing = paginate(request, filterset.qs, PAGE_SIZE)
    for policy in listing["page"]:
        policy.counts = [getattr(policy, status.value) for status in STATUSES[family]]
    return render(
        request,
        "device_policies/policy_list.html",
        {
            "form": filterset.form,
            **listing,
            "spec": spec,
            "platforms": PolicyPlatform.CHOICES,
            "statuses": STATUSES[family],
            "can_create": user_has_perm(request.user, spec.permissions["create"]),
        },
    )


def policy_detail(request, family, pk):
    spec = SPECS[family]
    policy = get_object_or_404(spec.objects(), pk=pk)
    status = request.GET.get("status", "")
    if status not in DeviceStatus.values:
        status = ""
    states = CappedPaginator(
        policy_device_states(policy, status=status), PAGE_SIZE, name=list_name(request)
    )
    page = states.get_page(request.GET.get("page"))
    catalog = CATALOGS[family]
    key = spec.target_key(policy.pk)
    user = request.user
    assignments = list(policy.assignments.select_related("group"))
    return render(
        request,
        "device_policies/policy_detail.html",
        {
            "policy": policy,
            "spec": spec,
            "url_prefix": f"device_policies:{spec.prefix}_",
            "platform": PolicyPlatform.label(policy.platform),
            "settings": [
                (catalog[k].category, catalog[k].name, catalog[k].shown(v))
                for k, v in sorted(
                    policy.settings.items(), key=lambda kv: list(catalog).index(kv[0])
                )
            ],
            "included": [a.group for a in assignments if a.mode == AssignmentMode.INCLUDE],
            "excluded": [a.group for a in assignments if a.mode == AssignmentMode.EXCLUDE],
            "counts": status_counts(policy),
            "status": status,
            "page": page,
            "query": f"status={status}" if status else "",
            "open_request": open_request_for(key),
            "history": requests_for_target(key)[:20],
            "can_update": user_has_perm(user, spec.permissions["update"]),
            "can_assign": user_has_perm(user, spec.permissions["assign"]),
            "can_delete": user_has_perm(user, spec.permissions["delete"]),
        },
    )


class PolicyCreateView(AssignableCreateView):
    form_class = PolicyForm

    def get_context(self) -> dict:
        platform = PolicyPlatform.label(self.kwargs["platform"])
        return {"title": f"Create {self.spec.noun} for {platform}"}


class PolicyEditView(AssignableEditView):
    form_class = PolicyForm
