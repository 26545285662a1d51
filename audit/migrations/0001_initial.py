"""AuditEvent moves here from approvals; the rows stay where they are.

The state is created here and removed from approvals (approvals 0004) without touching the
table; 0002 then renames the table, which keeps its rows, indexes and append-only trigger.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("approvals", "0003_audit_append_only_trigger"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("seq", models.BigIntegerField(editable=False, unique=True)),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ("actor_label", models.CharField(blank=True, max_length=200)),
                        ("action", models.CharField(db_index=True, max_length=64)),
                        ("target_type", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("target_id", models.CharField(blank=True, max_length=64)),
                        ("target_label", models.CharField(blank=True, max_length=300)),
                        ("from_state", models.CharField(blank=True, max_length=32)),
                        ("to_state", models.CharField(blank=True, max_length=32)),
                        ("note", models.TextField(blank=True)),
                        ("client_ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("request_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ("data", models.JSONField(blank=True, default=dict)),
                        ("prev_hash", models.CharField(editable=False, max_length=64)),
                        ("hash", models.CharField(editable=False, max_length=64, unique=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"ordering": ["-seq"], "db_table": "approvals_auditevent"},
                ),
            ],
            database_operations=[],
        ),
    ]
