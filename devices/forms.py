from django import forms

from approvals.forms import JustificationMixin
from utilities.fields import ModelChoiceField
from utilities.widgets import QuickSelect

from .models import DeviceCategory


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
