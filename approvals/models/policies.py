from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition


class PolicyStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    ACTIVE = "active", "Active"
    DISCARDED = "discarded", "Not created"
    DELETED = "deleted", "Deleted"


P = PolicyStatus
MAX_STAGES = 3
QUORUM = [MinValueValidator(1), MaxValueValidator(10)]


@dataclass(frozen=True)
class Stage:
    """One ordered stage of approval: its approver groups and how many of them must approve."""

    position: int
    group_ids: tuple[int, ...]
    approvals_required: int
    # Only for requests above the policy's bulk threshold (a stage the blast radius adds).
    bulk_only: bool = False

    def state(self) -> dict:
        state = {
            "approver_groups": list(self.group_ids),
            "approvals_required": self.approvals_required,
        }
        return {**state, "bulk_only": True} if self.bulk_only else state


def strictest(stages: list[Stage], bulk_approvals_required) -> list[Stage]:
    """The stages as the largest request meets them: what health and the rails must check can
    be reached (a bulk quorum no approvers can meet would block every bulk action)."""
    if not bulk_approvals_required or bulk_approvals_required <= stages[0].approvals_required:
        return stages
    first = Stage(stages[0].position, stages[0].group_ids, bulk_approvals_required, False)
    return [first, *stages[1:]]


def stages_of_state(state: dict) -> list[Stage]:
    """The stages a policy state (a request payload's, or policy_state's) describes."""
    first = {k: state[k] for k in ("approver_groups", "approvals_required")}
    return [
        Stage(
            position,
            tuple(sorted(stage["approver_groups"])),
            stage["approvals_required"],
            bool(stage.get("bulk_only")),
        )
        for position, stage in enumerate([first, *state.get("later_stages", [])], start=1)
    ]


class AccessPolicy(FSMModelMixin, models.Model):
    """Which operation needs approval, and who approves it.

    A policy protects nothing until the request that creates it is approved and completed;
    edits and deletion are requests too, so the row changes only when those complete.
    """

    # Set by approvals.apps at start-up, as on ApprovalRequest: models never import operations.
    registry = None

    name = models.CharField(max_length=128)
    description = models.TextField(max_length=1024, blank=True)
    # A workload ("scripts") or, for device actions, one action ("device.wipe"): see
    # Operation.policy_type. Graph calls it policyType.
    policy_type = models.CharField(max_length=40)
    approver_groups = models.ManyToManyField("rbac.SecurityGroup", related_name="access_policies")
    # API applications that bypass this policy (Intune's "Exclusions" tab); each bypass is
    # audited. Changing the list is a protected change to the policy like any other.
    excluded_applications = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="policy_exclusions",
        limit_choices_to={"is_application": True},
    )
    approvals_required = models.PositiveSmallIntegerField(default=1, validators=QUORUM)
    # Its members may run a protected operation at once in an emergency; every run is reviewed
    # by the approvers afterwards. None: the policy has no break-glass path.
    break_glass_group = models.ForeignKey(
        "rbac.SecurityGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="break_glass_policies",
    )
    # How long a request may wait for approval, and an approved one for Complete; empty: the
    # portal's defaults (MAA_NEEDS_APPROVAL_HOURS, MAA_APPROVED_HOURS).
    approval_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(24 * 30)]
    )
    execution_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(24 * 30)]
    )
    # Blast radius: a request acting on more than bulk_threshold objects (a bulk device
    # action) needs at least bulk_approvals_required approvals at stage 1.
    bulk_threshold = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    bulk_approvals_required = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=QUORUM
    )
    # When completed operations may run (approvals.windows); {}: any time.
    change_windows = models.JSONField(default=dict, blank=True)
    status = FSMField(
        max_length=16, choices=PolicyStatus.choices, default=P.PENDING, protected=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "access policies"
        constraints = [
            # One policy per protected operation: two would leave "which approvers?" ambiguous.
            models.UniqueConstraint(
                fields=["policy_type"],
                condition=models.Q(status__in=["pending", "active"]),
                name="one_live_policy_per_policy_type",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == P.ACTIVE

    @property
    def approval_ttl(self) -> timedelta:
        if self.approval_hours:
            return timedelta(hours=self.approval_hours)
        return settings.MAA_NEEDS_APPROVAL_TTL

    @property
    def execution_ttl(self) -> timedelta:
        if self.execution_hours:
            return timedelta(hours=self.execution_hours)
        return settings.MAA_APPROVED_TTL

    def stages(self) -> list[Stage]:
        """Every stage in order. Stage 1 is the policy's own approver groups and quorum (Graph's
        approverGroupIds), so a policy from before stages is one stage as it always was."""
        first = Stage(
            1, tuple(sorted(g.pk for g in self.approver_groups.all())), self.approvals_required
        )
        later = [
            Stage(
                s.position,
                tuple(sorted(g.pk for g in s.approver_groups.all())),
                s.approvals_required,
                s.bulk_only,
            )
            for s in self.later_stages.all()
        ]
        return [first, *later]

    def plan_for(self, size: int) -> list[dict]:
        """The stages (as a request pins them) for an operation on `size` objects: above the
        bulk threshold, stage 1 needs the bulk quorum and the bulk-only stages join."""
        above = bool(self.bulk_threshold) and size > self.bulk_threshold
        plan = [stage.state() for stage in self.stages() if above or not stage.bulk_only]
        if above and self.bulk_approvals_required:
            first = plan[0]
            first["approvals_required"] = max(
                first["approvals_required"], self.bulk_approvals_required
            )
        return plan

    @property
    def policy_type_label(self) -> str:
        return self.registry.policy_type_label(self.policy_type)

    @transition(field=status, source=P.PENDING, target=P.ACTIVE)
    def activate(self):
        """Its creation request was completed."""

    @transition(field=status, source=P.PENDING, target=P.DISCARDED)
    def discard(self):
        """Its creation request ended without completion."""

    @transition(field=status, source=P.ACTIVE, target=P.DELETED)
    def remove(self):
        """Its deletion request was completed; the row stays for the history."""


class PolicyStage(models.Model):
    """Stage 2 or 3 of a policy: it opens when the stage before reaches its quorum."""

    policy = models.ForeignKey(AccessPolicy, on_delete=models.CASCADE, related_name="later_stages")
    position = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2), MaxValueValidator(MAX_STAGES)]
    )
    approver_groups = models.ManyToManyField("rbac.SecurityGroup", related_name="policy_stages")
    approvals_required = models.PositiveSmallIntegerField(default=1, validators=QUORUM)
    # Only for requests above the policy's bulk threshold.
    bulk_only = models.BooleanField(default=False)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="one_stage_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.policy} stage {self.position}"
