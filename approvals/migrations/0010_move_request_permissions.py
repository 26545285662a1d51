"""Requests' object permissions move from guardian's generic tables to the direct ones."""

from django.db import migrations


def move(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    UserGeneric = apps.get_model("guardian", "UserObjectPermission")
    GroupGeneric = apps.get_model("guardian", "GroupObjectPermission")
    UserDirect = apps.get_model("approvals", "RequestUserPermission")
    GroupDirect = apps.get_model("approvals", "RequestGroupPermission")
    content_type = ContentType.objects.filter(app_label="approvals", model="approvalrequest").first()
    if content_type is None:
        return
    users = UserGeneric.objects.filter(content_type=content_type)
    UserDirect.objects.bulk_create(
        [
            UserDirect(user_id=row.user_id, permission_id=row.permission_id,
                       content_object_id=int(row.object_pk))
            for row in users.iterator()
        ],
        ignore_conflicts=True,
    )
    groups = GroupGeneric.objects.filter(content_type=content_type)
    GroupDirect.objects.bulk_create(
        [
            GroupDirect(group_id=row.group_id, permission_id=row.permission_id,
                        content_object_id=int(row.object_pk))
            for row in groups.iterator()
        ],
        ignore_conflicts=True,
    )
    users.delete()
    groups.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0009_request_object_permissions"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
