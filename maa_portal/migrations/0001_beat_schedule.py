"""The periodic tasks, in django-celery-beat's database schedule (settings.CELERY_BEAT_SCHEDULE).

Beat writes the same entries again when it starts, so an interval changed in the environment
(e.g. DEVICE_CHECK_IN_SECONDS) takes effect at the next start.
"""

from django.conf import settings
from django.db import migrations


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=max(1, int(entry["schedule"])), period="seconds"
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": entry["task"], "interval": interval, "enabled": True}
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=list(settings.CELERY_BEAT_SCHEDULE)).delete()


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
