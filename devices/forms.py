from django import forms

from approvals.forms import JustificationMixin
from rbac.models import ScopeTag
from utilities.fields import ModelChoiceField
from utilities.widgets import QuickSelect

from .models import Compliance, DeviceCategory, ManagementState, OperatingSystem, Ownership


def _with_all(label, choices):
    return [("", label), *choices]


class DeviceFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    operating_system = forms.ChoiceField(
        required=False,
        label="OS",
        choices=_with_all("All OS", OperatingSystem.choices),
        widget=QuickSelect,
    )
    compliance_state = forms.ChoiceField(
        required=False,
        label="Compliance",
        choices=_with_all("Any compliance", Compliance.choices),
        widget=QuickSelect,
    )
    ownership = forms.ChoiceField(
        required=False, choices=_with_all("Any ownership", Ownership.choices), widget=QuickSelect
    )
    management_state = forms.ChoiceField(
        required=False,
        label="State",
        choices=_with_all("Any state", ManagementState.choices),
        widget=QuickSelect,
    )
    tag = ModelChoiceField(
        required=False,
        queryset=ScopeTag.objects.all(),
        empty_label="Any tag",
        label="Scope tag",
        widget=QuickSelect,
    )


class CategoryForm(JustificationMixin):
    name = forms.CharField(max_length=128)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=1024, required=False
    )

    def state(self) -> dict:
        return {
            "name": self.cleaned_data["name"].strip(),
            "description": self.cleaned_data["description"],
        }


class DeviceCategoryForm(forms.Form):
    category = ModelChoiceField(
        queryset=DeviceCategory.objects.all(),
        required=False,
        empty_label="No category",
        widget=QuickSelect,
    )
