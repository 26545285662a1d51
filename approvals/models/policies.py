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
    approvals_required = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
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
