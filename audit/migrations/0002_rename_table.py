from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial"), ("approvals", "0004_auditevent_moved_to_audit")]

    operations = [migrations.AlterModelTable(name="auditevent", table=None)]
