from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("approvals", "0003_audit_append_only_trigger"), ("audit", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        )
    ]
