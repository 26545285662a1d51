"""The rows are the queues (approvals.delivery): the outbox table and the relay's beat entry go;
an event's notices wait in a NoticeBatch row with a lease.

Upgrade with the workers drained: an event whose outbox message was still unsent when this
runs gets no emails (an execution still queued is safe: its request row is its queue).
"""

from django.db import migrations, models


def forget_the_relay(apps, schema_editor):
    # django-celery-beat keeps entries a schedule no longer names; beat would send the relay's
    # task, which no worker knows any more.
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name="relay-outbox"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0017_notice_lease"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.DeleteModel(name="OutboxMessage"),
        migrations.RemoveConstraint(model_name="notice", name="notice_once_per_event"),
        migrations.RemoveField(model_name="notice", name="event_key"),
        migrations.CreateModel(
            name="NoticeBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("events", models.JSONField()),
                ("lease_until", models.DateTimeField()),
            ],
            options={
                "indexes": [models.Index(fields=["lease_until"], name="notice_batch_lease")]
            },
        ),
        migrations.RunPython(forget_the_relay, migrations.RunPython.noop),
    ]
