from django import forms

from rbac.models import ScopeTag

from .models import Compliance, ManagementState, OperatingSystem, Ownership


def _with_all(label, choices):
    return [("", label), *choices]


class DeviceFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    operating_system = forms.ChoiceField(
        required=False, label="OS", choices=_with_all("All OS", OperatingSystem.choices)
    )
    compliance_state = forms.ChoiceField(
        required=False, label="Compliance", choices=_with_all("Any compliance", Compliance.choices)
    )
    ownership = forms.ChoiceField(
        required=False, choices=_with_all("Any ownership", Ownership.choices)
    )
    management_state = forms.ChoiceField(
        required=False, label="State", choices=_with_all("Any state", ManagementState.choices)
    )
    tag = forms.ModelChoiceField(
        required=False, queryset=ScopeTag.objects.all(), empty_label="Any tag", label="Scope tag"
    )
