"""The whole performance measurement, in one command (README, "Performance").

    .venv/bin/python bench/run.py              # N = 100,000 devices and requests
    BENCH_N=2000 .venv/bin/python bench/run.py --queries-only
    .venv/bin/python bench/run.py --workers-only   # the decisions and the worker figures
    .venv/bin/python bench/run.py --growth 10000,100000,1000000   # issue 25's growth table
    BENCH_KEEP=1 BENCH_N=1000000 .venv/bin/python bench/run.py --pages-only   # pages again
    BENCH_KEEP=1 BENCH_N=1000000 .venv/bin/python bench/run.py --versus 10000  # turn about

It creates a scratch PostgreSQL database (maa_bench), fills it (bench/fill.py), starts gunicorn
with the production settings (DEBUG off) and measures, against a trivial view served by the same
settings and middleware in the same run (/health/live/): req/s under 16 connections (wrk),
p50 and p99 under load, one request alone (p50 of sequential requests) and the SQL count.
Then 100 approvers deciding 100 requests at the same moment (the wait for the answer, and
the server's own time per decision from gunicorn's access log), and the worker: a no-op
task's drain rate, a burst of 10,000 Completes through the web tier drained by real workers
(both drains timed from a full queue), and the time from a Complete to its execution, for
Completes sent one at a time. It prints one table. Figures are ratios to the
trivial view; no test asserts a timing. --queries-only prints the SQL counts and fails if a
page runs more than 10 queries (CI runs it at N = 2,000).
"""

import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
N = int(os.environ.get("BENCH_N", "100000"))
DB = os.environ.get("BENCH_DB", "maa_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/9")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DURATION = os.environ.get("BENCH_SECONDS", "10")
BURST = int(os.environ.get("BENCH_BURST", "10000"))
# Completes sent one at a time, at LATENCY_RATE a second, for the complete-to-executed latency.
LATENCY_COMPLETES = int(os.environ.get("BENCH_LATENCY_COMPLETES", "300"))
LATENCY_RATE = 20
APPROVERS = int(os.environ.get("BENCH_APPROVERS", "100"))
FILINGS = int(os.environ.get("BENCH_FILINGS", "1000"))
# Issue 25: the sealer keeps up with 200 audited writes a second.
SEAL_RATE, SEAL_SECONDS = 200, 30
QUERY_LIMIT = 10
ENV = {
    **os.environ,
    # The production settings and the floor views beside the pages (bench/floor.py).
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DATABASE_URL": f"{PG}/{DB}",
    "REDIS_URL": REDIS,
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-not-secret",
    "ALLOWED_HOSTS": "127.0.0.1,testserver",
    "SECURE_COOKIES": "0",
    "CELERY_QUEUE": "maa-bench",
    "DEVICE_CHECK_IN_SIMULATION": "0",
    # The flow is measured, not the second factor: a decision with step-up on is a redirect.
    "STEPUP_REQUIRED": "0",
    "LOG_LEVEL": "WARNING",
    # Notices are written to files under MAA_VAR_DIR, not sent: no SMTP server here, and
    # refused connections would fill the workers with retries.
    "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    "MAA_VAR_DIR": str(ROOT / "var" / "bench"),
}
os.environ.update(ENV)


def scratch_database() -> None:
    admin = f"{PG}/postgres"
    if os.environ.get("BENCH_KEEP") != "1":
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB}"], check=True)
    exists = subprocess.run(
        ["psql", admin, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DB}'"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {DB}"], check=True)


import django  # noqa: E402

scratch_database()
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from approvals.models import ApprovalRequest  # noqa: E402
from approvals.selectors import requests_received_by  # noqa: E402
from audit.chain import audit_record, audit_seal  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from bench.fill import ADMIN, OLD_REQUESTS, fill, requests_create  # noqa: E402
from devices.filtersets import DeviceFilterSet  # noqa: E402
from devices.models import Device  # noqa: E402
from devices.operations import DEVICE_TARGET_PREFIX, device_target_key  # noqa: E402
from devices.selectors import device_list  # noqa: E402
from rbac.models import SecurityGroup, User  # noqa: E402
from utilities.paginator import cursor_for  # noqa: E402

NOOP = "Signed in, does nothing (/session/)"
FLOOR = "Floor: signed in, 50 audit rows, one SELECT, bare table"
ADMIN_ROWS = {
    "devices": "Django admin: devices changelist",
    "requests": "Django admin: requests changelist",
    "audit": "Django admin: audit changelist",
}


def peer(label: str) -> str | None:
    """The Django admin row of the table a portal page lists, if any."""
    if label.startswith(("Devices", "Device page")):
        return ADMIN_ROWS["devices"]
    if label.startswith(("Received", "Admin tasks", "My requests", "Request page")):
        return ADMIN_ROWS["requests"]
    if label.startswith("Audit"):
        return ADMIN_ROWS["audit"]
    return None


# How deep the deep pages are: a depth every N of the growth table has (2,500 devices of one
# platform at 10,000), so each row is the same page at each N. Past the count cap, by cursor,
# the depth costs nothing.
DEEP = 2_000


def deep_cursor(queryset, depth: int) -> str:
    """The Next link's cursor after `depth` rows (or after the last row of a shorter list)."""
    count = queryset.count()
    return cursor_for(queryset, queryset[min(depth, count - 1)])


def pages() -> list[tuple[str, str, str]]:
    """(label, user, path): every list page, filters and deep pages, and the detail pages."""
    request = ApprovalRequest.objects.filter(status="needs_approval").order_by("pk").first()
    device = Device.objects.order_by("pk").first()
    # Deep pages as people reach them past the count cap: by the Next link's cursor.
    received = requests_received_by(User.objects.get(username="approver"))
    deep_received = deep_cursor(received, DEEP)
    hazels = device_list(User.objects.get(username="hazel"))
    macs = DeviceFilterSet({"operating_system": "macOS"}, queryset=hazels).qs
    deep_macs = deep_cursor(macs, DEEP)
    iphones = DeviceFilterSet({"operating_system": "iOS"}, queryset=hazels).qs
    deep_iphones = deep_cursor(iphones, DEEP)
    return [
        ("Trivial view (/health/live/)", "", "/health/live/"),
        # The yardstick of issue 25: a signed-in request that does nothing (session, user,
        # middleware). The portal's pages aim at half its rate.
        (NOOP, "hazel", "/session/"),
        # The most a list page could reach here: signed in, the audit page's 50 rows by one
        # SELECT, a bare table (bench/floor.py). What the no-op's half asks, beside it.
        (FLOOR, "auditor", "/bench/floor/"),
        (f"{FLOOR}, in the layout", "auditor", "/bench/floor/layout/"),
        # A reference, not a goal: a template and a form, no session, no user, no SQL. What
        # the same server and middleware give a page with nothing to look up.
        ("Sign-in page (anonymous)", "", "/login/"),
        # The peers: Django's own admin lists of the same tables (utilities.admin).
        (ADMIN_ROWS["devices"], ADMIN, "/admin/devices/device/"),
        (ADMIN_ROWS["requests"], ADMIN, "/admin/approvals/approvalrequest/"),
        (ADMIN_ROWS["audit"], ADMIN, "/admin/audit/auditevent/"),
        ("Django admin: devices, search ?q=iphone", ADMIN, "/admin/devices/device/?q=iphone"),
        ("Received requests, page 1", "approver", "/tenant/maa/received/?status="),
        (
            f"Received requests, {DEEP:,} deep",
            "approver",
            f"/tenant/maa/received/?status=&after={deep_received}",
        ),
        ("Received requests, Needs my decision", "approver", "/tenant/maa/received/"),
        ("Admin tasks (approver)", "approver", "/tenant/admin-tasks/"),
        ("My requests (requestor of N/2)", "hazel", "/tenant/maa/mine/"),
        (f"My requests (requestor of the oldest {OLD_REQUESTS})", "roleadmin", "/tenant/maa/mine/"),
        ("Devices, page 1", "hazel", "/devices/"),
        ("Devices, search ?q= (7 match)", "hazel", "/devices/?q=BENCH-00999"),
        ("Devices, search ?q=iphone (N/4 match)", "hazel", "/devices/?q=iphone"),
        (
            f"Devices, filtered, {DEEP:,} deep",
            "hazel",
            f"/devices/?operating_system=macOS&after={deep_macs}",
        ),
        (
            f"Devices, N/4 named iPhone, {DEEP:,} deep",
            "hazel",
            f"/devices/?operating_system=iOS&after={deep_iphones}",
        ),
        ("Devices, scoped help desk", "helpdesk2", "/devices/"),
        ("Audit logs, page 1", "auditor", "/tenant/audit/"),
        # A device's name, in the labels of its requests' events: every N has BENCH-000999 (the
        # fill names devices from the demo's last one on). Until 2026-12-06 this row searched
        # BENCH-000017, which no fill makes: a search that found nothing.
        ("Audit logs, Target filter (a device)", "auditor", "/tenant/audit/?target=BENCH-000999"),
        # Riley (roleadmin) filed the oldest requests and nothing since.
        ("Audit logs, Actor filter (all old)", "auditor", "/tenant/audit/?actor=riley"),
        ("Access policies", "policyadmin", "/tenant/maa/"),
        ("Request page", "approver", f"/tenant/maa/requests/{request.pk}/"),
        ("Device page", "hazel", f"/devices/{device.pk}/"),
    ]


def session_cookie(username: str) -> str:
    if not username:
        return ""
    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend that loads users (the first one, django-axes's, only refuses sign-ins).
    session[BACKEND_SESSION_KEY] = "rbac.identity.PasswordBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"sessionid={session.session_key}"


def machine() -> str:
    """What the figures ran on, for the README: cores, CPU model, PostgreSQL and Python."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            cpu,
        )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    return f"{os.cpu_count()} cores ({cpu}), PostgreSQL {postgres}, Python {sys.version.split()[0]}"


def sql_count(username: str, path: str) -> int:
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    client.get(path)
    # The most a page runs: a count past the cap is counted, not remembered from the last visit.
    with (
        override_settings(MAA_CAPPED_COUNT_SECONDS=0),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries.captured_queries)


def alone_ms(path: str, cookie: str, runs: int = 20) -> float:
    return statistics.median(alone_timings(path, cookie, runs))


def alone_timings(path: str, cookie: str, runs: int, port: int = PORT) -> list[float]:
    timings = []
    for _ in range(runs):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        response.read()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, (path, response.status)
        conn.close()
    return timings


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def under_load(path: str, cookie: str, port: int = PORT) -> tuple[float, float, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c16",
            f"-d{DURATION}s",
            "--latency",
            "-H",
            f"Cookie: {cookie}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    try:
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        # The latency distribution's own lines ("     50%  138.28ms"), not a "47.50%" column.
        p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))
        p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))
    except (AttributeError, ValueError) as exc:
        raise RuntimeError(f"Could not read wrk's output for {path}:\n{out}") from exc
    if "Non-2xx" in out:
        raise RuntimeError(f"{path} answered errors under load:\n{out}")
    return rate, p50, p99


def gunicorn(
    access_log: Path | None = None, *, env: dict = ENV, port: int = PORT
) -> subprocess.Popen:
    """The production server; with `access_log`, it logs each request's path, status and
    server time in ms (from reading the request to the response: the wait for a free worker
    is not in it). `env` and `port` serve another database (--versus)."""
    call_command("collectstatic", "--noinput", verbosity=0)
    log_args = ["--access-logfile", str(access_log), "--access-logformat", "%(U)s %(s)s %(M)s"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "maa_portal.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *(log_args if access_log else []),
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/health/live/")
            return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def workers(*, beat: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "maa_portal",
            "worker",
            "--concurrency=2",
            "--loglevel=WARNING",
            "-n",
            "bench@%h",
            *(["--beat", "--schedule", str(ROOT / "var" / "bench" / "beat")] if beat else []),
        ],
        cwd=ROOT,
        env=ENV,
    )


def fresh_devices(count: int) -> list:
    """Devices with no action and no open request, newest first."""
    keys = ApprovalRequest.objects.filter(status__in=["needs_approval", "approved"]).values_list(
        "target_key", flat=True
    )
    busy = [
        int(key.removeprefix(DEVICE_TARGET_PREFIX))
        for key in keys
        if key.startswith(DEVICE_TARGET_PREFIX)
    ]
    candidates = Device.objects.filter(actions__isnull=True, management_state="managed")
    return list(candidates.exclude(pk__in=busy).order_by("-pk")[:count])


def concurrent_decisions(access_log: Path, count: int = APPROVERS) -> str:
    """`count` approvers, each deciding a different request, all at the same moment.

    Each approver has opened the request's page first, as one does before deciding (so their
    access is in the cache, as it is for anyone who has loaded a page). Reported: the time each
    waited for its answer, and the server's own time per decision from gunicorn's access log
    (`access_log`), which leaves out the wait for one of the 2 workers."""
    group = SecurityGroup.objects.get(name="Intune MAA Approvers").auth_group
    approvers = []
    for i in range(count):
        user, _ = User.objects.get_or_create(username=f"bench-approver-{i:03d}")
        approvers.append(user)
    group.user_set.add(*approvers)
    hazel = User.objects.get(username="hazel")
    created = requests_create(
        [
            {"device": d, "requestor": hazel, "status": "needs_approval"}
            for d in fresh_devices(count)
        ]
    )
    token = "c" * 32
    calls = []
    for request, user in zip(created, approvers, strict=True):
        cookie = session_cookie(user.username)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        conn.request("GET", f"/tenant/maa/requests/{request.pk}/", headers={"Cookie": cookie})
        assert conn.getresponse().status == 200
        conn.close()
        calls.append(
            (f"/tenant/maa/requests/{request.pk}/approve/", cookie + f"; csrftoken={token}")
        )
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def decide(path: str, cookie: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        barrier.wait()
        started = time.perf_counter()
        conn.request(
            "POST",
            path,
            body="note=Checked",
            headers=form_headers(cookie, token),
        )
        response = conn.getresponse()
        response.read()
        with lock:
            results.append((response.status, (time.perf_counter() - started) * 1000))

    threads = [threading.Thread(target=decide, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(ms for _, ms in results)
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
    server = _server_times(access_log, {path for path, _ in calls})
    errors = [code for code, _ in results if code != 302]
    approved = ApprovalRequest.objects.filter(pk__in=[r.pk for r in created], status="approved")
    return (
        f"{len(calls)} approvers deciding {len(calls)} requests at once: server time per "
        f"decision p50 {statistics.median(server):.0f} ms, max {max(server):.0f} ms; answered "
        f"after p50 {p50:.0f} ms, p99 {p99:.0f} ms (waiting for one of 2 sync workers); "
        f"{approved.count()} approved, {len(errors)} errors {sorted(set(errors)) or ''}"
    )


def eight_clients(items: list, send) -> list[int]:
    """send(connection, item) for every item, by 8 clients at once, each on its own share and
    connection; the HTTP statuses."""
    codes: list[int] = []
    lock = threading.Lock()

    def client(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        for item in chunk:
            status = send(conn, item)
            with lock:
                codes.append(status)

    threads = [threading.Thread(target=client, args=(items[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def filing_rate(count: int = FILINGS) -> str:
    """`count` wipes filed through the device's Wipe form by 8 clients at once, each a request
    for approval (the policy covers wipes): filings a second through the web tier."""
    token = "f" * 32
    cookie = session_cookie("hazel") + f"; csrftoken={token}"
    devices = fresh_devices(count)

    def file(conn, device) -> int:
        conn.request(
            "POST",
            f"/devices/{device.pk}/wipe/",
            body="justification=Reported+stolen",
            headers=form_headers(cookie, token),
        )
        response = conn.getresponse()
        response.read()
        return response.status

    started = time.perf_counter()
    codes = eight_clients(devices, file)
    seconds = time.perf_counter() - started
    filed = ApprovalRequest.objects.filter(
        target_key__in=[device_target_key(d.pk) for d in devices], status="needs_approval"
    ).count()
    return (
        f"Filing wipes through gunicorn, 8 clients: {len(devices) / seconds:,.0f}/s "
        f"({filed:,} of {len(devices):,} filed; answers {sorted(set(codes))})"
    )


def form_headers(cookie: str, token: str) -> dict:
    """A signed-in form POST: the session, the CSRF token as cookie and header, a Referer."""
    return {
        "Cookie": cookie,
        "X-CSRFToken": token,
        "Referer": f"http://127.0.0.1:{PORT}/",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _server_times(access_log: Path, paths: set[str]) -> list[float]:
    """gunicorn's time in ms for each logged request to one of `paths`."""
    # A worker logs a request after it has answered it: the last lines may still be coming.
    for _ in range(50):
        times = []
        for line in access_log.read_text().splitlines():
            path, _, ms = line.split()
            if path in paths:
                times.append(float(ms))
        if len(times) == len(paths):
            break
        time.sleep(0.1)
    assert len(times) == len(paths), f"{len(times)} of {len(paths)} decisions in the access log"
    return times


def _paused(app, paused: bool) -> None:
    """Stop or restart the workers' consuming (tasks wait in Redis meanwhile).

    Every queue, restarted in the configured order: a worker serves its queues in the order
    it consumes them, and a queue added back alone would come last, behind the emails."""
    control = app.control.cancel_consumer if paused else app.control.add_consumer
    for queue in settings.CELERY_QUEUE_NAMES:
        control(queue, reply=True, timeout=5, limit=1)  # one worker: answer as soon as it has


def _drained(app, queue: str) -> None:
    with app.connection_for_write() as conn:
        while conn.default_channel.client.llen(queue):
            time.sleep(0.05)


def complete_post(conn: http.client.HTTPConnection, pk: int, cookie: str, token: str) -> int:
    """Press Complete on request `pk` through the page; returns the HTTP status."""
    conn.request(
        "POST",
        f"/tenant/maa/requests/{pk}/complete/",
        headers={"Cookie": cookie, "X-CSRFToken": token, "Referer": f"http://127.0.0.1:{PORT}/"},
    )
    response = conn.getresponse()
    response.read()
    return response.status


def complete_latency(hazel, cookie: str, token: str, fresh: list) -> str:
    """Completes one at a time, at LATENCY_RATE a second, with the workers running: the time
    from each Complete to its execution's success, read from their two audit events (written
    in each transaction, so no poll adds load)."""
    created = requests_create(
        [{"device": d, "requestor": hazel, "status": "approved"} for d in fresh]
    )
    ids = [r.pk for r in created]
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    codes = []
    for pk in ids:
        started = time.perf_counter()
        codes.append(complete_post(conn, pk, cookie, token))
        time.sleep(max(0.0, 1 / LATENCY_RATE - (time.perf_counter() - started)))
    if codes.count(302) != len(ids):
        raise RuntimeError(f"Complete answered {sorted(set(codes))}, not only 302")
    done = ApprovalRequest.objects.filter(pk__in=ids, execution_status="succeeded")
    deadline = time.perf_counter() + 120
    while done.count() < len(ids) and time.perf_counter() < deadline:
        time.sleep(0.5)
    at: dict[tuple[int, str], object] = {}
    events = AuditEvent.objects.filter(
        request_id__in=ids, action__in=["request.complete", "execution.succeeded"]
    )
    for request_id, action, created_at in events.values_list("request_id", "action", "created_at"):
        at[request_id, action] = created_at
    waits = sorted(
        (at[pk, "execution.succeeded"] - at[pk, "request.complete"]).total_seconds() * 1000
        for pk in ids
        if (pk, "execution.succeeded") in at
    )
    p99 = statistics.quantiles(waits, n=100)[98]
    return (
        f"Complete to executed, {len(ids)} Completes at {LATENCY_RATE}/s: p50 "
        f"{statistics.median(waits):.0f} ms, p99 {p99:.0f} ms, max {waits[-1]:.0f} ms "
        f"({len(waits)} of {len(ids)} executed)"
    )


def noop_drains(app) -> list[float]:
    """The yardstick: BURST no-op tasks queued while the workers do not consume, drained from
    resuming to the last one, three times (one drain of the same no-op read 349/s in one run
    and 700/s in the next, on the same code: take the median)."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    rates = []
    for _ in range(3):
        _paused(app, True)
        for _ in range(BURST):
            app.send_task("maa_portal.noop", queue=queue)
        started = time.perf_counter()
        _paused(app, False)
        _drained(app, queue)
        rates.append(BURST / (time.perf_counter() - started))
    return rates


def worker_burst() -> list[str]:
    """A no-op task's drain rate, then BURST Completes through the web tier and their drain.

    Both drains are measured alike: tasks queue while the warm workers do not consume, then
    the clock runs from resuming to the last one done. The Complete burst is also timed end
    to end (first POST to last execution).
    """
    from maa_portal.celery import app

    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "maa_portal", "purge", "-f"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
    )
    # The fill and the decisions leave autovacuum work that would otherwise land on one drain
    # and not the other (the no-op yardstick read 371 to 668/s between runs without this).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    worker = workers()
    time.sleep(6)
    executions = settings.CELERY_QUEUES_BY_ROLE["executions"]
    try:
        noop_rates = noop_drains(app)
        noop_rate = statistics.median(noop_rates)

        hazel = User.objects.get(username="hazel")
        # Devices with no action and no open request: each gets one approved wipe to Complete.
        fresh = fresh_devices(BURST + LATENCY_COMPLETES)
        if len(fresh) < BURST + LATENCY_COMPLETES:
            raise RuntimeError(
                f"Only {len(fresh):,} devices are free for the burst: raise BENCH_N."
            )
        fresh, for_latency = fresh[LATENCY_COMPLETES:], fresh[:LATENCY_COMPLETES]
        created = requests_create(
            [{"device": d, "requestor": hazel, "status": "approved"} for d in fresh]
        )
        token = "b" * 32  # any well-formed CSRF token, sent as cookie and header alike
        cookie = session_cookie("hazel") + f"; csrftoken={token}"
        ids = [r.pk for r in created]

        # Polled every half second: a filter on 10,000 listed ids cost the shared cores more
        # than the query, so the burst's ids are read as the range bulk_create gave them.
        assert max(ids) - min(ids) + 1 == len(ids), "the burst's requests are not contiguous"
        burst = ApprovalRequest.objects.filter(pk__range=(min(ids), max(ids)))

        def succeeded() -> int:
            return burst.filter(execution_status="succeeded").count()

        _paused(app, True)
        started = time.perf_counter()
        codes = eight_clients(ids, lambda conn, pk: complete_post(conn, pk, cookie, token))
        post_seconds = time.perf_counter() - started
        post_rate = len(ids) / post_seconds
        if codes.count(302) != len(ids):
            raise RuntimeError(f"Complete answered {sorted(set(codes))}, not only 302")
        ran_while_paused = succeeded()
        with app.connection_for_write() as conn:
            tasks_published = conn.default_channel.client.llen(executions)
        resumed = time.perf_counter()
        _paused(app, False)
        while succeeded() < len(ids) and time.perf_counter() - resumed < 1800:
            time.sleep(0.5)
        drain_rate = len(ids) / (time.perf_counter() - resumed)
        end_to_end = len(ids) / (time.perf_counter() - started)
        done = succeeded()
        twice = (
            Device.objects.filter(pk__in=[d.pk for d in fresh], actions__kind="wipe")
            .values("pk")
            .annotate(n=django.db.models.Count("actions"))
            .filter(n__gt=1)
            .count()
        )
        return [
            f"No-op task drain: {noop_rate:,.0f}/s, the median of "
            f"{', '.join(f'{r:,.0f}' for r in noop_rates)} (2 prefork processes, {BURST:,} "
            "queued each time)",
            f"Complete POSTs through gunicorn: {post_rate:,.0f}/s "
            f"({codes.count(302):,} of {len(ids):,} answered 302)",
            f"Executions drained: {drain_rate:,.0f}/s = {drain_rate / noop_rate:.2f} of the no-op "
            f"rate ({len(ids):,} queued as {tasks_published:,} tasks; {ran_while_paused} ran "
            "before the workers resumed)",
            f"End to end, first POST to last execution: {end_to_end:,.0f}/s; "
            f"{done:,} of {len(ids):,} succeeded, {twice} ran twice",
            complete_latency(hazel, cookie, token, for_latency),
        ]
    finally:
        # Warm shutdown waits for the tasks in hand; a worker still busy after a minute is
        # killed rather than losing the figures measured above.
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def sealer_lag(rate: int = SEAL_RATE, seconds: int = SEAL_SECONDS) -> str:
    """Audited writes at `rate` a second, each its own transaction as a service writes one,
    with the real sealer (the beat's seal task, every AUDIT_SEAL_SECONDS) running: how old the
    oldest unsealed event gets, sampled ten times a second, and how long the last one waits."""
    hazel = User.objects.get(username="hazel")
    audit_seal()  # the burst's events, left by a worker without beat: not this measurement's
    worker = workers(beat=True)
    ages: list[float] = []
    try:
        time.sleep(8)  # the worker and its beat start
        started = time.perf_counter()
        written = 0
        while (elapsed := time.perf_counter() - started) < seconds:
            due = int(elapsed * rate)
            for _ in range(due - written):
                audit_record(actor=hazel, action="bench.write", target=hazel)
            written = due
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM audit_auditevent "
                    "WHERE seq IS NULL"
                )
                ages.append(float(cursor.fetchone()[0] or 0))
            time.sleep(0.1)
        stopped = time.perf_counter()
        while AuditEvent.objects.filter(seq__isnull=True).exists():
            time.sleep(0.05)
        last_wait = time.perf_counter() - stopped
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return (
        f"Audit sealer, {written:,} audited writes at {rate}/s for {seconds} s: the oldest "
        f"unsealed event's age p50 {statistics.median(ages):.2f} s, max {max(ages):.2f} s; "
        f"the last sealed {last_wait:.2f} s after the writes stopped "
        f"(the beat runs the sealer every {os.environ.get('AUDIT_SEAL_SECONDS', '1')} s)"
    )


def measure(rows) -> list[tuple]:
    """(label, req/s, p50, p99, alone p50, SQL) of each page, against a running server."""
    table = []
    for label, user, path, count in rows:
        cookie = session_cookie(user)
        rate, p50, p99 = under_load(path, cookie)
        table.append((label, rate, p50, p99, alone_ms(path, cookie), count))
    return table


def print_pages(table: list[tuple]) -> None:
    rates = {label: rate for label, rate, *_ in table}
    print(
        "| page | req/s | share of trivial | share of signed-in no-op | × Django admin "
        "| p50 ms | p99 ms | alone p50 ms | SQL |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for label, rate, p50, p99, alone, count in table:
        admin = rates.get(peer(label) or "")
        versus = f"{rate / admin:.1f}" if admin else ""
        print(
            f"| {label} | {rate:,.0f} | {rate / table[0][1]:.2f} | {rate / rates[NOOP]:.2f} "
            f"| {versus} | {p50:.0f} | {p99:.0f} | {alone:.1f} | {count} |"
        )
    print()


def small_tenant(size: int) -> tuple[dict, list]:
    """The same pages on a tenant of `size` devices beside this one (--versus): its own database
    and Redis database, filled by this script in a subprocess (kept for the next run), which
    prints its pages' [label, session cookie, path, SQL] as JSON; and its server's settings."""
    base, number = REDIS.rsplit("/", 1)
    redis = f"{base}/{int(number) + 1}"  # the users' cached access is keyed by their pk
    child = {**os.environ, "BENCH_DB": f"{DB}_{size}", "BENCH_N": str(size), "BENCH_KEEP": "1"}
    child["BENCH_REDIS"] = redis
    out = subprocess.run(
        [sys.executable, __file__, "--paths"], env=child, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(f"The {size:,}-device tenant failed:\n{out.stderr}")
    lines = out.stdout.splitlines()
    print(next(line for line in lines if line.startswith("Filled")), flush=True)
    return {**ENV, "DATABASE_URL": f"{PG}/{DB}_{size}", "REDIS_URL": redis}, json.loads(lines[-1])


def versus(size: int, rows, rounds: int = 8) -> None:
    """Each page at `size` devices and at this N on two servers at once, timed turn about (five
    requests on one, five on the other, `rounds` times), then each under load: the machine's
    drift over an hour (the trivial view went 0.6 to 1.4 ms) moves both alike, so their ratio
    is the growth (issue 25: within 1.3)."""
    small_env, small_rows = small_tenant(size)
    servers = [gunicorn(), gunicorn(env=small_env, port=PORT + 1)]
    table = []
    try:
        for (label, user, path, _), (_, small_cookie, small_path, _) in zip(
            rows, small_rows, strict=True
        ):
            cookie = session_cookie(user)
            big, small = [], []
            for _ in range(rounds):
                small += alone_timings(small_path, small_cookie, 5, PORT + 1)
                big += alone_timings(path, cookie, 5)
            small_rate = under_load(small_path, small_cookie, PORT + 1)[0]
            rate = under_load(path, cookie)[0]
            median = statistics.median
            table.append((label, median(small), median(big), small_rate, rate))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    rates = {label: rate for label, _, _, _, rate in table}
    print(f"\nN = {size:,} against N = {N:,}, two servers turn about; {machine()}\n")
    print(
        f"| page | alone ms {size:,} | alone ms {N:,} | {N:,} / {size:,} | req/s {size:,} "
        f"| req/s {N:,} | share of signed-in no-op, {N:,} | × Django admin, {N:,} |"
    )
    print("|---" * 8 + "|")
    for label, small, big, small_rate, rate in table:
        admin = rates.get(peer(label) or "")
        ratio = big / small
        print(
            f"| {label} | {small:.1f} | {big:.1f} | {ratio:.2f}{' ✗' if ratio > 1.3 else ''} "
            f"| {small_rate:,.0f} | {rate:,.0f} | {rate / rates[NOOP]:.2f} "
            f"| {f'{rate / admin:.1f}' if admin else ''} |"
        )
    print()


def print_growth(runs: dict[int, list[tuple]]) -> None:
    """Each page at each N: alone p50 and req/s, and the largest N's alone p50 against the
    smallest's (issue 25's goal: within 1.3)."""
    sizes = sorted(runs)
    head = (
        " | ".join(f"alone ms {n:,}" for n in sizes)
        + " | "
        + " | ".join(f"req/s {n:,}" for n in sizes)
    )
    print(f"| page | {head} | alone {sizes[-1]:,} / {sizes[0]:,} |")
    print("|---" * (2 * len(sizes) + 2) + "|")
    for i, (label, *_rest) in enumerate(runs[sizes[0]]):
        alone = [runs[n][i][4] for n in sizes]
        rates = [runs[n][i][1] for n in sizes]
        cells = (
            " | ".join(f"{a:.1f}" for a in alone) + " | " + " | ".join(f"{r:,.0f}" for r in rates)
        )
        print(f"| {label} | {cells} | {alone[-1] / alone[0]:.2f} |")
    print()


def page_rows() -> list[tuple]:
    rows = [(label, user, path, sql_count(user, path)) for label, user, path in pages()]
    # The guard is the portal's; the Django admin's rows are peers, not held to it.
    too_many = [
        (label, count)
        for label, _, _, count in rows
        if count > QUERY_LIMIT and not label.startswith("Django admin")
    ]
    if too_many:
        sys.exit(f"More than {QUERY_LIMIT} queries: {too_many}")
    return rows


def filled(size: int) -> None:
    started = time.perf_counter()
    fill(devices=size, requests=size)
    # The bench's Redis database is its own, and what a smaller step or another database left in
    # it would be read as this tenant's: the users' access is cached by their pk, the search's
    # piece shares by table (a run at N = 2,000 an hour before made a million-device run ask the
    # index for the pieces common at 2,000: the audit Target filter 6 to 25 ms alone).
    cache.clear()
    print(
        f"Filled {Device.objects.count():,} devices, {ApprovalRequest.objects.count():,} "
        f"requests and {AuditEvent.objects.count():,} audit events in "
        f"{time.perf_counter() - started:.0f} s.",
        flush=True,
    )


def main() -> None:
    queries_only = "--queries-only" in sys.argv
    workers_only = "--workers-only" in sys.argv
    pages_only = "--pages-only" in sys.argv  # no decisions, workers or sealer
    # --growth 10000,100000,1000000: the pages at each N (the fill grows between them), then
    # the decisions and the workers at the largest.
    paths_only = "--paths" in sys.argv  # for --versus: this tenant's pages as JSON
    growth = []
    if "--growth" in sys.argv:
        growth = [int(n) for n in sys.argv[sys.argv.index("--growth") + 1].split(",")]
    if not (queries_only or paths_only) and shutil.which("wrk") is None:
        sys.exit("The load generator wrk is missing: apt-get install wrk (Debian).")
    call_command("migrate", verbosity=0)
    runs: dict[int, list[tuple]] = {}
    for size in growth[:-1]:
        filled(size)
        server = gunicorn()
        try:
            runs[size] = measure(page_rows())
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(f"\nN = {size:,}\n")
        print_pages(runs[size])
    size = growth[-1] if growth else N
    filled(size)
    if queries_only:
        rows = [(label, user, path, sql_count(user, path)) for label, user, path in pages()]
        for label, _, _, count in rows:
            print(f"{label:<46} {count:>4} SQL")
        page_rows()
        return
    rows = page_rows()
    if paths_only:
        print(json.dumps([(lb, session_cookie(user), path, n) for lb, user, path, n in rows]))
        return
    if "--versus" in sys.argv:
        versus(int(sys.argv[sys.argv.index("--versus") + 1]), rows)
        return
    server = gunicorn()
    try:
        if not workers_only:
            runs[size] = measure(rows)
        print(f"\nN = {size:,}; gunicorn 2 sync workers, wrk -t2 -c16 -d{DURATION}s; {machine()}\n")
        if not workers_only:
            print_pages(runs[size])
        if len(runs) > 1:
            print_growth(runs)
        if pages_only:
            return
        # The decisions are timed by the server too: a server that logs each request.
        server.terminate()
        server.wait(timeout=30)
        access_log = ROOT / "var" / "bench" / "access.log"
        access_log.parent.mkdir(parents=True, exist_ok=True)
        access_log.unlink(missing_ok=True)
        server = gunicorn(access_log)
        print(concurrent_decisions(access_log))
        print(filing_rate())
        for line in worker_burst():
            print(line)
        print(sealer_lag())
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
