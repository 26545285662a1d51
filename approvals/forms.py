from django import forms

from rbac.models import SecurityGroup, User

from .models import AccessPolicy
from .operations import registry
from .policy_services import exclusions_state
from .services import MAX_TEXT


class CountedTextField(forms.CharField):
    """A text box with a live counter (static/js/portal.js) instead of the browser's maxlength,
    which silently cuts pasted text; the server's max_length check explains an overflow."""

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if "maxlength" in attrs:
            attrs["data-maxlength"] = attrs.pop("maxlength")
        return attrs


class JustificationMixin(forms.Form):
    """Adds the Business justification a protected operation asks for."""

    justification = CountedTextField(
        label="Business justification",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT,
        required=False,
        help_text="Why this change is needed. Approvers read it before they decide.",
    )

    def __init__(self, *args, protected: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.protected = protected
        self.fields["justification"].required = protected
        if not protected:
            del self.fields["justification"]


class JustificationForm(JustificationMixin):
    pass


class DecisionForm(forms.Form):
    note = CountedTextField(
        label="Approver notes",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT,
        required=False,
        help_text="Optional when approving, required when rejecting. The requestor sees them.",
    )


class AccessPolicyForm(JustificationMixin):
    name = forms.CharField(max_length=128)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=1024, required=False
    )
    policy_type = forms.ChoiceField(
        label="Protected operations",
        help_text="A workload protects all of its create, edit, delete and assign operations; "
        "device actions are protected one by one.",
    )
    approver_groups = forms.ModelMultipleChoiceField(
        queryset=SecurityGroup.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Security groups with a role assignment; members need Read on the objects.",
    )
    approvals_required = forms.IntegerField(
        min_value=1,
        max_value=10,
        initial=1,
        help_text="How many distinct approvers must approve (Intune stops at one).",
    )
    excluded_applications = forms.ModelMultipleChoiceField(
        label="Exclusions (API applications)",
        queryset=User.objects.filter(is_application=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="These applications' API calls bypass the policy; every bypass is audited.",
    )

    def __init__(self, *args, **kwargs):
        kwargs["protected"] = True
        super().__init__(*args, **kwargs)
        self.fields["policy_type"].choices = registry.policy_types()

    def state(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "policy_type": data["policy_type"],
            "approver_groups": sorted(g.pk for g in data["approver_groups"]),
            "approvals_required": data["approvals_required"],
            **exclusions_state(sorted(a.pk for a in data["excluded_applications"])),
        }

    @staticmethod
    def initial_for(policy: AccessPolicy) -> dict:
        return {
            "name": policy.name,
            "description": policy.description,
            "policy_type": policy.policy_type,
            "approver_groups": list(policy.approver_groups.all()),
            "approvals_required": policy.approvals_required,
            "excluded_applications": list(policy.excluded_applications.all()),
        }
