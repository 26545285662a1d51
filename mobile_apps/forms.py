from django import forms
from django.http import Http404

from approvals.forms import JustificationMixin

from .models import AppType, DetectionType, MobileApp
from .services import CONTENT_FIELDS, app_fields


class AppForm(JustificationMixin):
    """Add or edit an app: the common fields and those of its type."""

    name = forms.CharField(max_length=128)
    publisher = forms.CharField(max_length=128)
    app_version = forms.CharField(label="Version", max_length=64, required=False)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2048, required=False
    )
    install_command = forms.CharField(
        max_length=1024, help_text='For example: msiexec /i "7z2409-x64.msi" /qn'
    )
    uninstall_command = forms.CharField(max_length=1024)
    detection_type = forms.ChoiceField(label="Detection rule type", choices=DetectionType.choices)
    detection_value = forms.CharField(
        label="Detection rule",
        max_length=1024,
        help_text="The product code, path or registry key whose presence means installed.",
    )
    package_identifier = forms.CharField(
        max_length=64, help_text="The Microsoft Store package identifier, e.g. 9WZDNCRFJ3PZ."
    )
    app_store_url = forms.URLField(label="App Store URL", max_length=512, assume_scheme="https")
    bundle_id = forms.CharField(label="Bundle ID", max_length=255)
    package_name = forms.CharField(
        max_length=255, help_text="The Google Play package name, e.g. com.microsoft.teams."
    )
    app_url = forms.URLField(label="App URL", max_length=512, assume_scheme="https")
    field_order = [*CONTENT_FIELDS, "justification"]

    def __init__(self, *args, app_type: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.app_type = app_type
        keep = set(app_fields(app_type)) | {"justification"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    @staticmethod
    def kwargs_for(app: MobileApp | None, url_kwargs: dict) -> dict:
        app_type = app.app_type if app else url_kwargs["app_type"]
        if app_type not in AppType.values:
            raise Http404("No such app type.")
        return {"app_type": app_type}

    def state(self) -> dict:
        data = self.cleaned_data
        state = {"app_type": self.app_type}
        for field in app_fields(self.app_type):
            value = data[field]
            state[field] = value.strip() if isinstance(value, str) else value
        return state

    @staticmethod
    def initial_for(app: MobileApp) -> dict:
        return {field: getattr(app, field) for field in app_fields(app.app_type)}
