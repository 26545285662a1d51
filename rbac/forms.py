from django import forms

from .models import NotificationKind, User


class PreferencesForm(forms.Form):
    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.BooleanField(
                label=label, required=False, initial=user.wants_notification(kind)
            )

    def muted(self) -> list[str]:
        return sorted(kind for kind, on in self.cleaned_data.items() if not on)
