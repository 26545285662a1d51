from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from rbac.catalogue import Perm
from rbac.decorators import permission_required
from rbac.selectors import user_has_perm

from ..forms import AccessPolicyForm, JustificationForm
from ..models import AccessPolicy, ApprovalRequest, PolicyStatus
from ..operations import change_payload
from ..selectors import policies_health, policy_list, policy_problems
from ..starting import start_from_form

POLICY_OP = "maa.policy"


@permission_required(Perm.MAA_POLICY_READ)
def policy_index(request):
    status = request.GET.get("status", "")
    return render(
        request,
        "approvals/policy_list.html",
        {
            "tab": "policies",
            "policies": policy_list(status),
            "status": status,
            "statuses": PolicyStatus.choices,
            "health": [(p, problems) for p, problems in policies_health() if problems],
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
            "requests": ApprovalRequest.objects.filter(
                target_key=f"policy:{policy.pk}"
            ).select_related("requestor")[:20],
            "protected_requests": policy.requests.select_related("requestor")[:20],
            "can_update": policy.is_active and user_has_perm(request.user, Perm.MAA_POLICY_UPDATE),
            "can_delete": policy.is_active and user_has_perm(request.user, Perm.MAA_POLICY_DELETE),
        },
    )


def _policy_form(request, policy=None):
    initial = AccessPolicyForm.initial_for(policy) if policy else None
    form = AccessPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = start_from_form(
            request,
            form,
            operation_code=POLICY_OP,
            payload=change_payload(policy, form.state()),
            success_url=reverse("approvals:policies"),
        )
        if response:
            return response
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": f"Edit access policy {policy.name}" if policy else "Create access policy",
            "intro": "Access policies protect themselves: this change is a request that another "
            "administrator with Approval for Multi Admin Approval approves, and that you then "
            "complete. Until then it protects nothing.",
            "submit": "Submit for approval",
            "protected": True,
            "cancel_url": reverse("approvals:policies"),
        },
    )


@permission_required(Perm.MAA_POLICY_CREATE)
def policy_create(request):
    return _policy_form(request)


@permission_required(Perm.MAA_POLICY_UPDATE)
def policy_edit(request, pk):
    return _policy_form(request, get_object_or_404(AccessPolicy, pk=pk))


@permission_required(Perm.MAA_POLICY_DELETE)
def policy_delete(request, pk):
    policy = get_object_or_404(AccessPolicy, pk=pk)
    form = JustificationForm(request.POST or None, protected=True)
    if request.method == "POST" and form.is_valid():
        response = start_from_form(
            request,
            form,
            operation_code=POLICY_OP,
            payload={"action": "delete", "object_id": policy.pk},
            success_url=reverse("approvals:policies"),
        )
        if response:
            return response
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": f"Delete access policy {policy.name}",
            "intro": "Once this deletion is approved and completed, the operation it protects "
            "runs without approval.",
            "submit": "Submit for approval",
            "danger": True,
            "protected": True,
            "cancel_url": reverse("approvals:policy_detail", args=[policy.pk]),
        },
    )
