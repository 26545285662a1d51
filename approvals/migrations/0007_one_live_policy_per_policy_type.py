# Its own migration: PostgreSQL refuses to build an index in the transaction that updated rows.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("approvals", "0006_rbac_workload")]

    operations = [
        migrations.AddConstraint(
            model_name="accesspolicy",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["pending", "active"])),
                fields=("policy_type",),
                name="one_live_policy_per_policy_type",
            ),
        ),
    ]
