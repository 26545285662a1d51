from django import forms

from approvals.forms import JustificationMixin

from .models import MAX_SCRIPT_BYTES, Platform, RunAs, Schedule, ScriptKind
from .services import CONTENT_FIELDS


def _script_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,  # leading whitespace is part of a script
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "code"}),
        help_text=f"UTF-8 text, at most {MAX_SCRIPT_BYTES // 1024} KB. The portal never runs it.",
    )


class ScriptForm(JustificationMixin):
    name = forms.CharField(max_length=128)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=1024, required=False
    )
    platform = forms.ChoiceField(choices=Platform.choices)
    body = _script_field("Script")
    remediation_body = _script_field("Remediation script")
    run_as = forms.ChoiceField(label="Run this script using", choices=RunAs.choices)
    enforce_signature_check = forms.BooleanField(
        label="Enforce script signature check", required=False
    )
    run_64bit = forms.BooleanField(
        label="Run script in 64-bit PowerShell host (Windows)", required=False, initial=True
    )
    schedule = forms.ChoiceField(choices=Schedule.choices, initial=Schedule.DAILY)
    field_order = [*CONTENT_FIELDS, "justification"]

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == ScriptKind.PLATFORM:
            del self.fields["remediation_body"], self.fields["schedule"]
        else:
            self.fields["body"].label = "Detection script"
            self.fields["body"].help_text = (
                "Exit code 1 means the issue was detected and the remediation script runs. "
                + self.fields["body"].help_text
            )

    def _clean_text(self, name: str) -> str:
        # Browsers send CRLF; the approver's diff compares lines, not line endings.
        text = self.cleaned_data[name].replace("\r\n", "\n").replace("\r", "\n")
        if "\x00" in text:
            raise forms.ValidationError("The script contains a NUL character; remove it.")
        size = len(text.encode("utf-8"))
        if size > MAX_SCRIPT_BYTES:
            raise forms.ValidationError(
                f"The script is {size // 1024} KB; scripts are at most "
                f"{MAX_SCRIPT_BYTES // 1024} KB."
            )
        return text

    def clean_body(self) -> str:
        return self._clean_text("body")

    def clean_remediation_body(self) -> str:
        return self._clean_text("remediation_body")

    def state(self) -> dict:
        data = self.cleaned_data
        state = {field: data[field] for field in CONTENT_FIELDS if field in self.fields}
        state["name"] = state["name"].strip()
        state.setdefault("remediation_body", "")
        state.setdefault("schedule", "")
        return state

    @staticmethod
    def initial_for(script) -> dict:
        return {field: getattr(script, field) for field in CONTENT_FIELDS}

    @staticmethod
    def kwargs_for(script, url_kwargs: dict) -> dict:
        return {"kind": script.kind if script else url_kwargs["kind"]}
