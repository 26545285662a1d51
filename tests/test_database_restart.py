"""PostgreSQL restarted in the middle of a burst, on a cluster of the test's own: pages answer
503 with a clear page while it is down, never a traceback; the web tier and the workers
reconnect by themselves; nothing is lost or run twice.

The portal runs as it does in production, in processes of its own: gunicorn and a Celery worker
with beat, on a private PostgreSQL (initdb) and a private Redis. The test drives it over HTTP.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.worker import ROOT, Broker, Postgres, _free_port, wait_until

pytestmark = [
    pytest.mark.long,
    pytest.mark.skipif(
        not (shutil.which("initdb") and shutil.which("redis-server")),
        reason="needs initdb and redis-server",
    ),
]
N = 40
PASSWORD = "pw"


def _env(pg: Postgres, broker: Broker, var_dir: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        # As in production: with DEBUG on, Django answers any error with its debug page (a 500).
        "DEBUG": "0",
        "DATABASE_URL": pg.url,
        "REDIS_URL": broker.url,
        "CELERY_QUEUE": f"maa-pg-{uuid.uuid4().hex[:8]}",
        "CACHE_KEY_PREFIX": f"maa-pg-{uuid.uuid4().hex[:8]}",
        "MAA_VAR_DIR": var_dir,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DATABASE_POOL_TIMEOUT": "3",
        "MAA_RECOVERY_SWEEP_SECONDS": "1",
        "MAA_EXECUTION_LEASE_SECONDS": "10",
        "ALLOWED_HOSTS": "127.0.0.1",
    }


def _manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=ROOT, check=True, capture_output=True
    )


SEED = f"""
from tests import factories as f
from tests.conftest import activate_policy, build_tenant
activate_policy(build_tenant(), "device.wipe")
for i in range({N}):
    f.device(f"PG-{{i:03}}")
"""


class Person:
    def __init__(self, base: str, username: str):
        self.base, self.session = base, requests.Session()
        self.session.get(f"{base}/login/")
        self.post("/login/", username=username, password=PASSWORD)

    def post(self, path: str, **data):
        return self.session.post(
            f"{self.base}{path}",
            data={"csrfmiddlewaretoken": self.session.cookies["csrftoken"], **data},
            allow_redirects=False,
        )


def test_a_database_restart_mid_burst_is_a_503_then_nothing_is_lost_or_run_twice():
    pg, broker, var_dir = Postgres(), Broker(), tempfile.mkdtemp(prefix="maa-pg-portal-")
    processes: list[subprocess.Popen] = []
    pg.start()
    broker.start()
    try:
        pg.create_database()
        env = _env(pg, broker, var_dir)
        _manage(env, "migrate", "--noinput")
        _manage(env, "shell", "-c", SEED)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        processes.append(
            _start(
                env,
                "-m",
                "gunicorn",
                "maa_portal.wsgi",
                "-w",
                "2",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "2",
            )
        )
        processes.append(
            _start(
                env,
                "-m",
                "celery",
                "-A",
                "maa_portal",
                "worker",
                "-B",
                "--concurrency=2",
                "-Q",
                _queues(env),
                "--loglevel=WARNING",
            )
        )
        wait_until(lambda: _answers(base), timeout=30, what="gunicorn")
        _burst(pg, base)
    except Exception:
        # What the worker said, for whoever reads a failure.
        print(Path(var_dir, "celery.log").read_text()[-6000:])
        raise
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
        broker.stop()
        pg.stop_if_running()


def _start(env: dict, *args: str) -> subprocess.Popen:
    log = open(f"{env['MAA_VAR_DIR']}/{args[1]}.log", "a")  # noqa: SIM115 - the process writes it
    return subprocess.Popen(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped whole, workers included
    )


def _queues(env: dict) -> str:
    prefix = env["CELERY_QUEUE"]
    return ",".join(
        [f"{prefix}.periodic", f"{prefix}.executions", prefix, f"{prefix}.notifications"]
    )


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/health/live/", timeout=1).ok
    except requests.RequestException:
        return False


def _burst(pg: Postgres, base: str) -> None:
    devices = [
        pk
        for (pk,) in pg.query("SELECT id FROM devices_device WHERE name LIKE 'PG-%%' ORDER BY id")
    ]
    assert len(devices) == N
    hazel, approver = Person(base, "hazel"), Person(base, "approver")
    ids = []
    for pk in devices:
        filed = hazel.post(f"/devices/{pk}/wipe/", justification="Stolen laptop")
        ids.append(int(re.search(r"/requests/(\d+)/", filed.headers["Location"]).group(1)))
    for request_id in ids:
        assert approver.post(f"/tenant/maa/requests/{request_id}/approve/", note="ok").ok
    half = N // 2
    for request_id in ids[:half]:
        assert hazel.post(f"/tenant/maa/requests/{request_id}/complete/").status_code == 302

    pg.stop()
    page = hazel.session.get(f"{base}/devices/")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "database is not answering" in page.text and "Traceback" not in page.text
    lost = hazel.post(f"/tenant/maa/requests/{ids[half]}/complete/")
    assert lost.status_code == 503
    api = hazel.session.get(f"{base}/beta/deviceManagement/managedDevices")
    assert api.status_code == 503 and api.json()["error"]["code"] == "ServiceUnavailable"
    pg.start()

    # The web tier reconnects by itself (its pool retries with a backoff): the person presses
    # Complete again, as the 503 page says, and the Complete refused while it was down goes in.
    restarted = time.monotonic()
    wait_until(
        lambda: hazel.post(f"/tenant/maa/requests/{ids[half]}/complete/").status_code == 302,
        timeout=60,
        interval=1,
        what="the web tier to reconnect",
    )
    print(f"The web tier answered again {time.monotonic() - restarted:.0f} s after the restart")
    for request_id in ids[half + 1 :]:
        assert hazel.post(f"/tenant/maa/requests/{request_id}/complete/").status_code == 302
    wait_until(
        lambda: (
            pg.query(
                "SELECT count(*) FROM approvals_approvalrequest WHERE id = ANY(%s) "
                "AND execution_status = 'succeeded'",
                (ids,),
            )[0][0]
            == N
        ),
        timeout=120,
        what="every execution, by workers that reconnected by themselves",
    )
    wipes = pg.query(
        "SELECT device_id, count(*) FROM devices_deviceaction WHERE kind = 'wipe' "
        "AND device_id = ANY(%s) GROUP BY device_id",
        (devices,),
    )
    assert len(wipes) == N and all(count == 1 for _, count in wipes), "a wipe ran twice"
