"""A soak: the portal under mixed traffic for SOAK_MINUTES (30 by default), with a worker
SIGKILLed every minute and one Redis restart (empty) half-way (README, "Performance").

    .venv/bin/python bench/soak.py                  # 30 minutes
    SOAK_MINUTES=1 SOAK_KILL_SECONDS=25 .venv/bin/python bench/soak.py  # tests/test_soak.py

The portal runs as in production (gunicorn; a Celery worker with beat, and an execution worker
that is killed and started again every minute) on a scratch PostgreSQL database and a Redis of
its own. Traffic: people reading pages, and a help desk filing wipes that an approver approves
and the requestor completes. At the end it waits for the work to drain and prints lost,
duplicated and 5xx counts (each must be 0), the p99 of each page during the run, and the
resident memory of every process that lived through the run at its start (after a warm-up that
lasts until the memory settles) and end (growth at most 10 %). It exits 1 if any of those fails
and says which.
"""

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
DB = os.environ.get("SOAK_DB", "maa_soak")
PG = os.environ.get("SOAK_PG", "postgres://postgres@127.0.0.1:5432")
# Enough for the flow to file one wipe every 200 ms through the warm-up and the run (it files
# about one every 400 ms on 2 cores): a flow that runs out stops filing, and the run says when.
DEVICES = int(os.environ.get("SOAK_DEVICES", str(int(300 * MINUTES) + 600)))
# The warm-up goes on in rounds until the long-lived processes stop growing (at most 2 % in a
# round): on a busy machine a warm-up of fixed length has not yet loaded every page into both
# gunicorn workers, and the growth read afterwards is loading, not a leak.
WARM_ROUND_SECONDS, WARM_ROUNDS, WARM_SETTLED = 10.0, 8, 0.02
KILL_EVERY = float(os.environ.get("SOAK_KILL_SECONDS", "60"))
PAGES = {
    "admin tasks": "/tenant/admin-tasks/",
    "devices": "/devices/",
    "received requests": "/tenant/maa/received/",
    "audit log": "/tenant/audit/",
}
SEED = f"""
from tests import factories as f
from tests.conftest import activate_policy, build_tenant
activate_policy(build_tenant(), "device.wipe")
for i in range({DEVICES}):
    f.device(f"SOAK-{{i:05}}")
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def sql(query: str, params=()):
    with psycopg.connect(f"{PG.replace('postgres://', 'postgresql://')}/{DB}") as conn:
        return conn.execute(query, params).fetchall()


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


class Portal:
    def __init__(self, redis: Redis, var_dir: str):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "maa_portal.settings",
            "DATABASE_URL": f"{PG}/{DB}",
            "REDIS_URL": redis.url,
            "DEBUG": "0",
            "SECRET_KEY": "soak-only-not-secret",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "0",
            "STEPUP_REQUIRED": "0",
            "CELERY_QUEUE": f"maa-soak-{uuid.uuid4().hex[:6]}",
            "CACHE_KEY_PREFIX": f"maa-soak-{uuid.uuid4().hex[:6]}",
            "MAA_VAR_DIR": var_dir,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "DEVICE_CHECK_IN_SIMULATION": "0",
            "MAA_RECOVERY_SWEEP_SECONDS": "2",
            "MAA_EXECUTION_LEASE_SECONDS": "15",
            "MAA_NOTICE_LEASE_SECONDS": "15",
            "LOG_LEVEL": "WARNING",
        }
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.var_dir = var_dir
        self.web = self.beat_worker = self.worker = None

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(f"{self.var_dir}/{name}.log", "a")  # noqa: SIM115 - the process writes it
        return subprocess.Popen(
            [sys.executable, *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> None:
        self.web = self._start(
            "gunicorn",
            "-m",
            "gunicorn",
            "maa_portal.wsgi",
            "-w",
            "2",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{self.port}",
        )
        self.beat_worker = self._worker("beat", "-B")
        self.worker = self._worker("worker")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/health/live/", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def _worker(self, name: str, *extra: str) -> subprocess.Popen:
        prefix = self.env["CELERY_QUEUE"]
        queues = ",".join(
            f"{prefix}{r}" for r in (".periodic", ".executions", "", ".notifications")
        )
        return self._start(
            name,
            "-m",
            "celery",
            "-A",
            "maa_portal",
            "worker",
            "--concurrency=1",
            "-Q",
            queues,
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
            "--loglevel=WARNING",
            *extra,
        )

    def kill_worker(self) -> None:
        """SIGKILL the execution worker with its pool, as a crashed host; start another."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)
        self.worker = self._worker("worker")

    def long_lived(self) -> dict[str, list[int]]:
        return {
            "gunicorn": [self.web.pid, *children(self.web.pid)],
            "beat worker": [self.beat_worker.pid, *children(self.beat_worker.pid)],
        }

    def stop(self) -> None:
        for process in (self.web, self.beat_worker, self.worker):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.web, self.beat_worker, self.worker):
            if process is not None:
                process.wait(timeout=30)


class Person:
    def __init__(self, base: str, username: str, stats):
        self.base, self.stats = base, stats
        self.session = requests.Session()
        self.session.get(f"{base}/login/")
        self.post("/login/", username=username, password="pw")

    def _note(self, what: str, response) -> None:
        self.stats["status"][response.status_code // 100] += 1
        if response.status_code >= 500:
            self.stats["5xx"].append(f"{what} {response.status_code}")

    def get(self, name: str, path: str):
        started = time.monotonic()
        response = self.session.get(f"{self.base}{path}", timeout=60)
        self.stats["latency"][name].append(time.monotonic() - started)
        self._note(path, response)
        return response

    def post(self, path: str, **data):
        response = self.session.post(
            f"{self.base}{path}",
            data={"csrfmiddlewaretoken": self.session.cookies.get("csrftoken", ""), **data},
            allow_redirects=False,
            timeout=60,
        )
        self._note(f"POST {path}", response)
        return response


def traffic(portal: Portal, until: float, stats, devices, completed: list[int]) -> bool:
    """Pages read beside a help desk filing wipes that are approved and completed, one device
    each, from `devices` (shared by the calls so no device is filed twice). False if the
    devices ran out before `until`."""
    hazel = Person(portal.base, "hazel", stats)
    approver = Person(portal.base, "approver", stats)
    reader = Person(portal.base, "approver2", stats)

    def read():
        while time.monotonic() < until:
            for name, path in PAGES.items():
                reader.get(name, path)

    threading.Thread(target=read, daemon=True).start()
    while time.monotonic() < until:
        device = next(devices, None)
        if device is None:
            return False
        filed = hazel.post(f"/devices/{device}/wipe/", justification="Soak")
        found = re.search(r"/requests/(\d+)/", filed.headers.get("Location", ""))
        if not found:
            continue
        request_id = int(found.group(1))
        approver.post(f"/tenant/maa/requests/{request_id}/approve/", note="ok")
        hazel.get("request page", f"/tenant/maa/requests/{request_id}/")
        if hazel.post(f"/tenant/maa/requests/{request_id}/complete/").status_code == 302:
            completed.append(request_id)
    return True


def memory(portal: Portal) -> dict[str, int]:
    return {name: sum(rss_kb(p) for p in pids) for name, pids in portal.long_lived().items()}


def warm_up(portal: Portal, stats, devices, completed: list[int]) -> tuple[dict[str, int], int]:
    """Every page and the whole flow, in rounds until the memory settles; the memory read at
    the start is then that of processes that have loaded what they serve."""
    before, rounds, settled = memory(portal), 0, False
    while not settled and rounds < WARM_ROUNDS:
        traffic(portal, time.monotonic() + WARM_ROUND_SECONDS, stats, devices, completed)
        time.sleep(2)
        after, rounds = memory(portal), rounds + 1
        settled = all(after[name] <= before[name] * (1 + WARM_SETTLED) for name in after)
        before = after
    return after, rounds


def chaos(portal: Portal, redis: Redis, until: float, started: float, log: list[str]) -> None:
    restarted = False
    next_kill = started + KILL_EVERY
    while time.monotonic() < until:
        time.sleep(1)
        now = time.monotonic()
        if now >= next_kill:
            portal.kill_worker()
            log.append(f"{now - started:.0f} s: execution worker SIGKILLed, another started")
            next_kill += KILL_EVERY
        if not restarted and now >= started + (until - started) / 2:
            redis.stop()
            redis.start()
            restarted = True
            log.append(f"{now - started:.0f} s: Redis restarted empty")


def p99(values: list[float]) -> float:
    values = sorted(values)
    return values[max(0, int(len(values) * 0.99) - 1)] * 1000 if values else 0.0


def main() -> int:
    admin = f"{PG}/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {DB}"], check=True)
    redis, var_dir = Redis(), tempfile.mkdtemp(prefix="maa-soak-")
    redis.start()
    portal = Portal(redis, var_dir)
    portal.manage("migrate", "--noinput")
    portal.manage("shell", "-c", SEED)
    stats = {"status": Counter(), "5xx": [], "latency": defaultdict(list)}
    devices = iter(
        [pk for (pk,) in sql("SELECT id FROM devices_device WHERE name LIKE 'SOAK-%%' ORDER BY id")]
    )
    warm: list[int] = []
    completed: list[int] = []
    events: list[str] = []
    portal.start()
    try:
        rss_start, warm_rounds = warm_up(portal, stats, devices, warm)
        stats["latency"].clear()
        pids_start = portal.long_lived()
        started = time.monotonic()
        until = started + MINUTES * 60
        chaos_thread = threading.Thread(
            target=chaos, args=(portal, redis, until, started, events), daemon=True
        )
        chaos_thread.start()
        if not traffic(portal, until, stats, devices, completed):
            events.append(f"{time.monotonic() - started:.0f} s: the flow ran out of devices")
        chaos_thread.join()
        rss_end = memory(portal)
        survived = portal.long_lived() == pids_start
        drained = time.monotonic()
        while time.monotonic() - drained < 180:
            pending = sql(
                "SELECT count(*) FROM approvals_approvalrequest WHERE id = ANY(%s) "
                "AND execution_status <> 'succeeded'",
                (warm + completed,),
            )[0][0]
            if not pending:
                break
            time.sleep(2)
    finally:
        portal.stop()
        redis.stop()
    lost = pending
    duplicated = sql(
        "SELECT count(*) FROM (SELECT device_id FROM devices_deviceaction WHERE kind = 'wipe' "
        "GROUP BY device_id HAVING count(*) > 1) twice"
    )[0][0]
    mails = [
        email.message_from_string(block.strip(), policy=email.policy.default)
        for path in Path(var_dir, "mail").glob("*.log")
        for block in path.read_text().split("\n" + "-" * 79 + "\n")
        if block.strip()
    ]
    heads = Counter((m["to"], m["subject"]) for m in mails)
    mail_twice = sum(n - 1 for n in heads.values() if n > 1)
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB}"], check=True)
    print(f"Soak: {MINUTES:g} minutes, {len(completed)} requests filed, approved and completed")
    print(f"  warm-up: {warm_rounds} rounds of {WARM_ROUND_SECONDS:g} s, {len(warm)} requests")
    for line in events:
        print(f"  {line}")
    print(f"  lost executions: {lost}   duplicated executions: {duplicated}")
    print(f"  emails: {len(mails)}, sent twice: {mail_twice}")
    answers = dict(sorted(stats["status"].items()))
    print(f"  answers by hundreds: {answers}; 5xx: {len(stats['5xx'])}")
    for name, values in stats["latency"].items():
        print(f"  p99 {name}: {p99(values):.0f} ms over {len(values)} requests")
    growth_ok = True
    for name in rss_start:
        growth = (rss_end[name] - rss_start[name]) / rss_start[name] if rss_start[name] else 0
        growth_ok &= growth <= 0.10
        print(
            f"  RSS {name}: {rss_start[name] / 1024:.0f} MB at the start, "
            f"{rss_end[name] / 1024:.0f} MB at the end ({growth:+.1%})"
        )
    if not survived:
        print("  (a long-lived process was replaced during the run: its RSS is not comparable)")
    failed = [
        what
        for what, bad in (
            ("executions lost", lost),
            ("executions duplicated", duplicated),
            ("emails sent twice", mail_twice),
            (f"5xx answers {stats['5xx'][:5]}", stats["5xx"]),
            ("memory grew more than 10 %", not growth_ok),
        )
        if bad
    ]
    print(f"FAIL: {'; '.join(failed)}" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
