from django.contrib.auth.models import Group
from django.db import models

# One limit for a group name everywhere (form, service, model). The backing auth group's name
# ("sg:" + name) must fit Django's 150 characters.
GROUP_NAME_MAX = 128


class GroupType(models.TextChoices):
    SECURITY = "security", "Security"
    MICROSOFT_365 = "m365", "Microsoft 365"
    DISTRIBUTION = "distribution", "Distribution list"


class SecurityGroup(models.Model):
    """An Entra-style group of users.

    Membership lives on the backing auth Group, so django-guardian can grant object permissions
    to the group and there is one source of truth for who is in it.
    """

    name = models.CharField(max_length=GROUP_NAME_MAX, unique=True)
    description = models.TextField(blank=True, max_length=1024)
    group_type = models.CharField(
        max_length=20, choices=GroupType.choices, default=GroupType.SECURITY
    )
    auth_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="security_group"
    )
    # The identity provider's id of a group it provisions (Entra's object id, SCIM's id or
    # externalId): membership then follows the provider, and the portal does not edit it.
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Made by the identity provider over SCIM, even without an externalId.
    scim_provisioned = models.BooleanField(default=False)
    scim_document = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def provisioned(self) -> bool:
        return self.scim_provisioned or bool(self.external_id)

    @property
    def members(self):
        return self.auth_group.user_set.all()
