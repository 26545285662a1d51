"""django-guardian's object permissions on requests, in tables with a real foreign key.

Guardian's generic tables keep the object id as text and cast it on every lookup; at 100,000
requests the Received requests list spent most of its time there. These direct models (the
layout guardian documents for this case) are picked up by assign_perm and get_objects_for_user.
"""

from django.contrib.auth.models import Permission
from django.db import models
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

_permission_ids: dict[str, int] = {}


def request_permission_ids(codenames) -> list[int]:
    """The ids of these permissions on requests ("decide_approvalrequest", ...), read once per
    process: every request list and every filing asked for them. The rows change only by
    migrate, or a test's flush, and both send post_migrate, which forgets them."""
    missing = [codename for codename in codenames if codename not in _permission_ids]
    if missing:
        _permission_ids.update(
            Permission.objects.filter(
                content_type__app_label="approvals", codename__in=missing
            ).values_list("codename", "pk")
        )
    return [_permission_ids[codename] for codename in codenames]


@receiver(post_migrate)
def _forget_permission_ids(**kwargs) -> None:
    _permission_ids.clear()


# Guardian finds these through the request's reverse relations, so they need related names.
class RequestUserPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="user_grants"
    )


class RequestGroupPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="group_grants"
    )
