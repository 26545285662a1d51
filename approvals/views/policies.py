from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.decorators import method_decorator

from rbac.catalogue import Perm
from rbac.decorators import permission_required
from rbac.selectors import user_has_perm
from rbac.stepup import fresh_factor_required

from ..access_policies import policy_target_key
from ..forms import AccessPolicyForm, JustificationForm
from ..models import AccessPolicy, PolicyStatus
from ..reviews import reviews_overdue
from ..selectors import policies_health, policy_list, policy_problems, requests_for_target
from .starting import StartOperationView


@permission_required(Perm.MAA_POLICY_READ)
def policy_index(request):
    status = request.GET.get("status", "")
    policies = list(policy_list(status))
    # The list holds every active policy unless it is filtered to another status: the health
    # check then reads them from it, not again.
    every_active = status in ("", PolicyStatus.ACTIVE)
    health = policies_health([p for p in policies if p.is_active] if every_active else None)
    return render(
        request,
        "approvals/policy_list.html",
        {
            "tab": "policies",
            "policies": policies,
            "status": status,
            "statuses": PolicyStatus.choices,
            "health": [(p, problems) for p, problems in health if problems],
            "overdue_reviews": reviews_overdue()[:50],
            "can_create": user_has_perm(request.user, Perm.MAA_POLICY_CREATE),
        },
    )


@permission_required(Perm.MAA_POLICY_READ)
def policy_detail(request, pk):
    policy = get_object_or_404(AccessPolicy.objects.prefetch_related("approver_groups"), pk=pk)
    return render(
        request,
        "approvals/policy_detail.html",
        {
            "tab": "policies",
            "policy": policy,
            "problems": policy_problems(policy) if policy.is_active else [],
            "requests": requests_for_target(policy_target_key(policy.pk))[:20],
            "protected_requests": policy.requests.select_related("requestor")[:20],
            "can_update": policy.is_active and user_has_perm(request.user, Perm.MAA_POLICY_UPDATE),
            "can_delete": policy.is_active and user_has_perm(request.user, Perm.MAA_POLICY_DELETE),
        },
    )


@method_decorator(fresh_factor_required("change an access policy"), name="dispatch")
class PolicyChangeView(StartOperationView):
    """Create, edit or delete an access policy: always a request (policies protect themselves)."""

    form_class = AccessPolicyForm
    submit = "Submit for approval"

    def get_success_url(self) -> str:
        return reverse("approvals:policies")


class PolicyCreateView(PolicyChangeView):
    permission = Perm.MAA_POLICY_CREATE
    operation_code = "policy.create"
    title = "Create access policy"
    intro = (
        "Access policies protect themselves: this change is a request that another "
        "administrator with Approval for Multi Admin Approval approves, and that you then "
        "complete. Until then it protects nothing."
    )

    def get_payload(self, form) -> dict:
        if self.object is None:
            return {"state": form.state()}
        return {"object_id": self.object.pk, "state": form.state()}


class PolicyEditView(PolicyCreateView):
    permission = Perm.MAA_POLICY_UPDATE
    operation_code = "policy.edit"

    def get_object(self):
        return get_object_or_404(AccessPolicy, pk=self.kwargs["pk"])

    def get_initial(self) -> dict:
        return AccessPolicyForm.initial_for(self.object)

    def get_context(self) -> dict:
        return {"title": f"Edit access policy {self.object.name}"}


class PolicyDeleteView(PolicyChangeView):
    permission = Perm.MAA_POLICY_DELETE
    operation_code = "policy.delete"
    form_class = JustificationForm
    danger = True
    intro = (
        "Once this deletion is approved and completed, the operations it protects run "
        "without approval."
    )

    def get_object(self):
        return get_object_or_404(AccessPolicy, pk=self.kwargs["pk"])

    def get_payload(self, form) -> dict:
        return {"object_id": self.object.pk}

    def get_cancel_url(self) -> str:
        return reverse("approvals:policy_detail", args=[self.object.pk])

    def get_context(self) -> dict:
        return {"title": f"Delete access policy {self.object.name}"}
