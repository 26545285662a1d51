"""Graph's approval code for every request: added empty, filled one random GUID per row (one
UPDATE on PostgreSQL, where a million rows take seconds), then made unique."""

import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    ApprovalRequest = apps.get_model("approvals", "ApprovalRequest")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE approvals_approvalrequest SET approval_code = gen_random_uuid()"
        )
        return
    for pk in ApprovalRequest.objects.values_list("pk", flat=True).iterator():
        ApprovalRequest.objects.filter(pk=pk).update(approval_code=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("approvals", "0019_policy_requests_in_the_model_shape")]

    operations = [
        migrations.AddField(
            model_name="approvalrequest",
            name="approval_code",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="approvalrequest",
            name="approval_code",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
    ]
