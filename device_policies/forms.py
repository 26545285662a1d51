from django import forms
from django.http import Http404

from approvals.forms import JustificationMixin

from .models import DevicePolicy, Family
from .services import CATALOGS, MAX_GRACE_DAYS
from .settings import PolicyPlatform

PREFIX = "setting__"


def field_name(key: str) -> str:
    return PREFIX + key.replace(".", "__")


class PolicyForm(JustificationMixin):
    """Create or edit a policy: its basics, then every setting of its platform, each
    "Not configured" unless given a value."""

    name = forms.CharField(max_length=128)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=1024, required=False
    )
    noncompliant_after_days = forms.IntegerField(
        label="Mark device noncompliant after (days)",
        min_value=0,
        max_value=MAX_GRACE_DAYS,
        initial=0,
        help_text="0 marks it noncompliant as soon as a rule fails; more gives a grace period.",
    )
    notify_user = forms.BooleanField(
        label="Send email to end user when the device becomes noncompliant", required=False
    )

    def __init__(self, *args, family: str, platform: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.family, self.platform = family, platform
        justification = self.fields.pop("justification", None)
        if family != Family.COMPLIANCE:
            del self.fields["noncompliant_after_days"], self.fields["notify_user"]
        self.settings = [s for s in CATALOGS[family].values() if platform in s.platforms]
        for setting in self.settings:
            field = setting.form_field()
            field.help_text = f"{setting.category}. {setting.description}"
            self.fields[field_name(setting.key)] = field
        if justification:
            self.fields["justification"] = justification

    def clean(self):
        data = super().clean()
        if not self.errors and not self.chosen_settings():
            raise forms.ValidationError("Configure at least one setting.")
        return data

    def chosen_settings(self) -> dict:
        values = {}
        for setting in self.settings:
            value = self.cleaned_data.get(field_name(setting.key))
            if value is not None:
                values[setting.key] = value.strip() if isinstance(value, str) else value
        return values

    def state(self) -> dict:
        data = self.cleaned_data
        state = {
            "family": self.family,
            "name": data["name"].strip(),
            "description": data["description"],
            "platform": self.platform,
            "settings": self.chosen_settings(),
        }
        if self.family == Family.COMPLIANCE:
            state["noncompliant_after_days"] = data["noncompliant_after_days"]
            state["notify_user"] = data["notify_user"]
        return state

    @staticmethod
    def kwargs_for(policy: DevicePolicy | None, url_kwargs: dict) -> dict:
        if policy:
            return {"family": policy.family, "platform": policy.platform}
        if url_kwargs["platform"] not in PolicyPlatform.OPERATING_SYSTEM:
            raise Http404("No such platform.")
        return {"family": url_kwargs["family"], "platform": url_kwargs["platform"]}

    @staticmethod
    def initial_for(policy: DevicePolicy) -> dict:
        catalog = CATALOGS[policy.family]
        initial = {
            "name": policy.name,
            "description": policy.description,
            "noncompliant_after_days": policy.noncompliant_after_days,
            "notify_user": policy.notify_user,
        }
        for key, value in policy.settings.items():
            initial[field_name(key)] = catalog[key].form_initial(value)
        return initial
