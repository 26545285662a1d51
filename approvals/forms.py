from django import forms
from django.conf import settings

from rbac.models import SecurityGroup, User

from . import windows
from .models import MAX_STAGES, AccessPolicy
from .operations import registry
from .policy_services import exclusions_state, options_state
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
    run_at = forms.DateTimeField(
        label=f"Run at ({settings.TIME_ZONE})",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional: not before this time, once approved and completed. Empty: it runs "
        "when you Complete (or at the policy's next change window).",
    )

    def __init__(self, *args, protected: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.protected = protected
        self.fields["justification"].required = protected
        if not protected:
            del self.fields["justification"]
            del self.fields["run_at"]


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


class ReviewForm(forms.Form):
    note = CountedTextField(
        label="Review note",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT,
        required=True,
        help_text="Required. Why the emergency was, or was not, justified. A Not justified "
        "verdict is shown on the requestor's profile and in the audit log.",
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
    # Stages 2 and 3 (stage_2_groups, stage_2_required, ...) are added in __init__.
    break_glass_group = forms.ModelChoiceField(
        label="Break-glass group",
        queryset=SecurityGroup.objects.all(),
        required=False,
        empty_label="None: no break-glass path",
        help_text="Optional. Its members may run these operations at once in an emergency, with "
        "a justification and a fresh second factor. Every run is emailed to all approvers and "
        "must be reviewed by them afterwards.",
    )
    approval_hours = forms.IntegerField(
        label="Approval window (hours)",
        min_value=1,
        max_value=24 * 30,
        required=False,
        help_text="How long a request may wait for its approvals. Empty: the portal's default.",
    )
    execution_hours = forms.IntegerField(
        label="Execution window (hours)",
        min_value=1,
        max_value=24 * 30,
        required=False,
        help_text="How long an approved request may wait for Complete. Empty: the portal's "
        "default.",
    )
    bulk_threshold = forms.IntegerField(
        label="Bulk threshold (devices)",
        min_value=1,
        required=False,
        help_text="Optional: a bulk action on more devices than this needs the bulk approvals "
        "below at stage 1.",
    )
    bulk_approvals_required = forms.IntegerField(
        label="Approvals required above the threshold",
        min_value=1,
        max_value=10,
        required=False,
    )
    change_windows = forms.CharField(
        label="Change windows",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Mon-Fri 08:00-18:00"}),
        required=False,
        help_text="Optional, one per line: days and hours when completed operations may run, "
        "e.g. Mon-Fri 08:00-18:00. A Complete outside them runs at the next opening. Empty: any "
        "time.",
    )
    change_window_timezone = forms.CharField(
        label="Time zone of the change windows",
        initial="UTC",
        max_length=64,
        required=False,
        help_text="An IANA time zone, e.g. Europe/Rome; daylight saving time is followed.",
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
        # A policy change runs at Complete: its own windows are what it sets.
        del self.fields["run_at"]
        # The later stages go after stage 1's fields, the justification last.
        fields = dict(self.fields)
        justification = fields.pop("justification")
        ordered = {k: fields.pop(k) for k in ["name", "description", "policy_type"]}
        ordered["approver_groups"] = fields.pop("approver_groups")
        ordered["approvals_required"] = fields.pop("approvals_required")
        for position in range(2, MAX_STAGES + 1):
            ordered[f"stage_{position}_groups"] = forms.ModelMultipleChoiceField(
                label=f"Stage {position}: approver groups",
                queryset=SecurityGroup.objects.all(),
                # A list box, not checkboxes: each group's name then labels one control only.
                widget=forms.SelectMultiple(attrs={"size": 4}),
                required=False,
                help_text=f"Optional. Stage {position} opens when stage {position - 1} reaches "
                "its approvals; nobody approves at two stages of one request.",
            )
            ordered[f"stage_{position}_required"] = forms.IntegerField(
                label=f"Stage {position}: approvals required",
                min_value=1,
                max_value=10,
                initial=1,
                required=False,
            )
            ordered[f"stage_{position}_bulk_only"] = forms.BooleanField(
                label=f"Stage {position} only above the bulk threshold",
                required=False,
                help_text="The blast radius adds this stage to bulk actions past the threshold.",
            )
        self.fields = {**ordered, **fields, "justification": justification}

    def clean(self):
        data = super().clean()
        try:
            self.windows = windows.parse(
                data.get("change_windows", ""), data.get("change_window_timezone") or "UTC"
            )
        except windows.WindowError as exc:
            self.add_error("change_windows", str(exc))
        later = []
        for position in range(2, MAX_STAGES + 1):
            groups = data.get(f"stage_{position}_groups")
            required = data.get(f"stage_{position}_required")
            if groups and len(later) < position - 2:
                self.add_error(
                    f"stage_{position - 1}_groups",
                    f"Stage {position - 1} is empty: choose its approver groups, or leave "
                    f"stage {position} empty too.",
                )
            if not groups and required not in (None, 1):
                self.add_error(
                    f"stage_{position}_groups",
                    f"Stage {position} asks for {required} approvals but has no approver group.",
                )
            if groups:
                stage = {
                    "approver_groups": sorted(g.pk for g in groups),
                    "approvals_required": required or 1,
                }
                if data.get(f"stage_{position}_bulk_only"):
                    stage["bulk_only"] = True
                later.append(stage)
        self.later_stages = later
        threshold, above = data.get("bulk_threshold"), data.get("bulk_approvals_required")
        bulk_stage = any(stage.get("bulk_only") for stage in later)
        if threshold and not (above or bulk_stage):
            self.add_error(
                "bulk_approvals_required",
                "Say what the threshold requires: more approvals here, or a later stage only "
                "above it.",
            )
        if (above or bulk_stage) and not threshold:
            self.add_error("bulk_threshold", "Give the number of devices it applies above.")
        return data

    def state(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "policy_type": data["policy_type"],
            "approver_groups": sorted(g.pk for g in data["approver_groups"]),
            "approvals_required": data["approvals_required"],
            **({"later_stages": self.later_stages} if self.later_stages else {}),
            **options_state(
                break_glass_group=data["break_glass_group"] and data["break_glass_group"].pk,
                approval_hours=data["approval_hours"],
                execution_hours=data["execution_hours"],
                change_windows=self.windows,
                bulk_threshold=data["bulk_threshold"],
                bulk_approvals_required=data["bulk_approvals_required"],
            ),
            **exclusions_state(sorted(a.pk for a in data["excluded_applications"])),
        }

    @staticmethod
    def initial_for(policy: AccessPolicy) -> dict:
        later = {}
        for stage in policy.stages()[1:]:
            later[f"stage_{stage.position}_groups"] = list(stage.group_ids)
            later[f"stage_{stage.position}_required"] = stage.approvals_required
            later[f"stage_{stage.position}_bulk_only"] = stage.bulk_only
        return {
            **later,
            "name": policy.name,
            "description": policy.description,
            "policy_type": policy.policy_type,
            "approver_groups": list(policy.approver_groups.all()),
            "approvals_required": policy.approvals_required,
            "break_glass_group": policy.break_glass_group_id,
            "approval_hours": policy.approval_hours,
            "bulk_threshold": policy.bulk_threshold,
            "bulk_approvals_required": policy.bulk_approvals_required,
            "execution_hours": policy.execution_hours,
            "change_windows": windows.text_of(policy.change_windows),
            "change_window_timezone": policy.change_windows.get("timezone", "UTC"),
            "excluded_applications": list(policy.excluded_applications.all()),
        }
