"""Typed settings, the shape shared by configuration settings and compliance rules.

A policy stores {key: value}; a setting it does not hold is "Not configured". The catalogs are
data in the project (settings_catalog.py, compliance_rules.py), never in templates.
"""

from dataclasses import dataclass

from django import forms

BOOLEAN, INTEGER, CHOICE, STRING = "boolean", "integer", "choice", "string"
NOT_CONFIGURED = "Not configured"


class PolicyPlatform:
    """Intune's policy platforms and the device systems each reaches."""

    WINDOWS, MACOS, IOS, ANDROID = "windows", "macos", "ios", "android"
    CHOICES = [
        (WINDOWS, "Windows 10 and later"),
        (MACOS, "macOS"),
        (IOS, "iOS/iPadOS"),
        (ANDROID, "Android Enterprise"),
    ]
    OPERATING_SYSTEM = {WINDOWS: "Windows", MACOS: "macOS", IOS: "iOS", ANDROID: "Android"}

    @classmethod
    def label(cls, value: str) -> str:
        return dict(cls.CHOICES).get(value, value)


@dataclass(frozen=True)
class Setting:
    key: str
    name: str
    category: str
    description: str
    kind: str
    platforms: tuple[str, ...]
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    # Booleans read differently per setting: ("Allowed", "Blocked"), ("Enabled", "Disabled").
    yes_no: tuple[str, str] = ("Yes", "No")
    unit: str = ""

    def shown(self, value) -> str:
        """The value as people read it."""
        if value is None:
            return NOT_CONFIGURED
        if self.kind == BOOLEAN:
            return self.yes_no[0] if value else self.yes_no[1]
        if self.kind == CHOICE:
            return dict(self.choices).get(value, str(value))
        if self.kind == INTEGER and self.unit:
            return f"{value} {self.unit}"
        return str(value)

    def check(self, value) -> str:
        """Why the value is not valid for this setting, or ""."""
        if self.kind == BOOLEAN and not isinstance(value, bool):
            return f"{self.name}: choose yes or no."
        if self.kind == INTEGER:
            if not isinstance(value, int) or isinstance(value, bool):
                return f"{self.name}: a whole number is needed."
            if self.minimum is not None and value < self.minimum:
                return f"{self.name}: at least {self.minimum}."
            if self.maximum is not None and value > self.maximum:
                return f"{self.name}: at most {self.maximum}."
        if self.kind == CHOICE and value not in dict(self.choices):
            return f"{self.name}: not one of the choices."
        if self.kind == STRING and (not isinstance(value, str) or not value.strip()):
            return f"{self.name}: enter a value or leave it not configured."
        return ""

    def form_field(self) -> forms.Field:
        """A form field whose empty value means "Not configured"."""
        common = {"label": self.name, "required": False, "help_text": self.description}
        if self.kind == BOOLEAN:
            return forms.TypedChoiceField(
                choices=[("", NOT_CONFIGURED), ("true", self.yes_no[0]), ("false", self.yes_no[1])],
                coerce=lambda v: v == "true",
                empty_value=None,
                **common,
            )
        if self.kind == INTEGER:
            unit = f" ({self.unit})" if self.unit else ""
            common["label"] = f"{self.name}{unit}"
            return forms.IntegerField(min_value=self.minimum, max_value=self.maximum, **common)
        if self.kind == CHOICE:
            return forms.TypedChoiceField(
                choices=[("", NOT_CONFIGURED), *self.choices], empty_value=None, **common
            )
        return forms.CharField(max_length=512, empty_value=None, **common)

    def form_initial(self, value):
        if self.kind == BOOLEAN and value is not None:
            return "true" if value else "false"
        return value


def settings_check(catalog: dict[str, Setting], platform: str, values: dict) -> str:
    """Why `values` is not a valid set of settings for the platform, or ""."""
    for key, value in values.items():
        setting = catalog.get(key)
        if setting is None:
            return f"Unknown setting {key!r}."
        if platform not in setting.platforms:
            return f"{setting.name} does not apply to {PolicyPlatform.label(platform)}."
        problem = setting.check(value)
        if problem:
            return problem
    return ""
