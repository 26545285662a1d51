"""The demo seed and the settings a fresh deployment starts with."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from devices.models import Device
from devices.workload import DevicePerm
from rbac.catalogue import Perm
from rbac.models import SecurityGroup, User
from rbac.selectors import user_has_perm

ROOT = Path(__file__).resolve().parent.parent


def test_seed_demo_builds_the_article_tenant_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "policyadmin" in out and "hazel" in out and "maa-demo-2026" in out
    counts = (User.objects.count(), SecurityGroup.objects.count(), Device.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), SecurityGroup.objects.count(), Device.objects.count()) == counts
    assert Device.objects.count() >= 50
    approvers = SecurityGroup.objects.get(name="Intune MAA Approvers")
    assert approvers.role_assignments.exists()
    approver = User.objects.get(username="approver")
    assert user_has_perm(approver, Perm.MAA_APPROVE)
    hazel = User.objects.get(username="hazel")
    assert user_has_perm(hazel, DevicePerm.WIPE) and not user_has_perm(hazel, Perm.MAA_APPROVE)
    assert User.objects.get(username="policyadmin").directory_role == "intune_admin"


def _django_setup(env_overrides: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "maa_portal.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_settings_refuse_to_start_with_debug_off_and_no_secret_key(tmp_path):
    result = _django_setup({"DEBUG": "0", "MAA_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_settings_start_with_a_secret_key_and_keep_production_defaults(tmp_path):
    result = _django_setup({"DEBUG": "0", "SECRET_KEY": "x" * 50, "MAA_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s;"
            "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)",
        ],
        env={
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "x" * 50,
            "SECURE_COOKIES": "",
            "MAA_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "maa_portal.settings",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert check.stdout.split() == ["False", "True", "True"], check.stderr


def test_a_local_debug_run_keeps_a_generated_secret_key(tmp_path):
    first = _django_setup({"DEBUG": "1", "MAA_VAR_DIR": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text()
    _django_setup({"DEBUG": "1", "MAA_VAR_DIR": str(tmp_path)})
    assert (tmp_path / "secret_key").read_text() == key and len(key) > 40


def test_the_models_need_no_new_migration(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)  # the scheduler closes the connection it is given
def test_beat_writes_the_periodic_tasks_into_the_database_schedule():
    """django-celery-beat's DatabaseScheduler writes settings.CELERY_BEAT_SCHEDULE when it
    starts: no migration of ours copies it."""
    from celery import current_app
    from django.conf import settings
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    assert not PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).exists()
    DatabaseScheduler(app=current_app)
    tasks = dict(
        PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).values_list(
            "name", "task"
        )
    )
    assert tasks == {name: entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
    assert "approvals.tasks.recover_executions" in tasks.values()


def test_every_scheduled_and_routed_task_exists():
    """A task moved to another app keeps its schedule entry and its queue."""
    from celery import current_app
    from django.conf import settings

    current_app.loader.import_default_modules()
    named = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    named |= set(settings.CELERY_TASK_ROUTES)
    assert named - set(current_app.tasks) == set()


def test_the_demo_broker_keeps_its_runtime_files_under_the_data_directory(tmp_path):
    """Kombu's filesystem transport defaults to ./control in the working directory."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s;"
            "print(s.CELERY_BROKER_TRANSPORT_OPTIONS['control_folder'])",
        ],
        env={
            **os.environ,
            "DEBUG": "1",
            "REDIS_URL": "",
            "DATABASE_URL": "",
            "MAA_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "maa_portal.settings",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == str(tmp_path / "celery" / "control"), result.stderr


def test_drainers_need_the_shared_cache_of_redis(tmp_path):
    """Drainer slots live in the cache: the demo's is per process, so it publishes a task per
    Complete (approvals.delivery)."""

    def drainers(redis_url: str) -> str:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from django.conf import settings as s;"
                "print(s.MAA_EXECUTION_DRAINERS, s.CACHES['default']['BACKEND'])",
            ],
            env={
                **os.environ,
                "DEBUG": "1",
                "REDIS_URL": redis_url,
                "MAA_VAR_DIR": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "maa_portal.settings",
            },
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.split()

    assert drainers("") == ["0", "django.core.cache.backends.locmem.LocMemCache"]
    assert drainers("redis://127.0.0.1:6379/0") == [
        "4",
        "utilities.cache.TolerantRedisCache",
    ]
