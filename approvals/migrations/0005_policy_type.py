from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("approvals", "0004_auditevent_moved_to_audit")]

    operations = [
        migrations.RemoveConstraint(
            model_name="accesspolicy", name="one_live_policy_per_operation_type"
        ),
        migrations.RenameField(
            model_name="accesspolicy", old_name="operation_type", new_name="policy_type"
        ),
    ]
