"""django-guardian's object permissions on requests, in tables with a real foreign key.

Guardian's generic tables keep the object id as text and cast it on every lookup; at 100,000
requests the Received requests list spent most of its time there. These direct models (the
layout guardian documents for this case) are picked up by assign_perm and get_objects_for_user.
"""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


# Guardian finds these through the request's reverse relations, so they need related names.
class RequestUserPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="user_grants"
    )


class RequestGroupPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="group_grants"
    )
