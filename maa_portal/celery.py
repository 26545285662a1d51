import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maa_portal.settings")

app = Celery("maa_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="maa_portal.noop", ignore_result=True)
def noop() -> None:
    """Does nothing: bench/run.py's yardstick for how fast a queue drains."""
