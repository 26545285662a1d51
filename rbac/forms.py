from django import forms

from .models import NotificationKind, User
from .models.users import ALWAYS_SENT


class PreferencesForm(forms.Form):
    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            if kind in ALWAYS_SENT:
                continue
            self.fields[kind] = forms.BooleanField(
                label=label, required=False, initial=user.wants_notification(kind)
            )

    def muted(self) -> list[str]:
        return sorted(kind for kind, on in self.cleaned_data.items() if not on)
