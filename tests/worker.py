"""A real Celery worker process on the test database and the Redis broker."""

import email
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _worker_env(var_dir: Path) -> dict:
    db = connection.settings_dict
    env = dict(os.environ)
    # The worker writes its emails to files the test (or a browser story) can read.
    env["MAA_VAR_DIR"] = str(var_dir)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env["DATABASE_URL"] = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    return env


@dataclass
class Worker:
    log: list[str]
    mail_dir: Path
    process: subprocess.Popen

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as a crashed host would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP the worker and its pool: it consumes nothing until resume()."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def pool_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def mails(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for raw in path.read_text().split("\n" + "-" * 79 + "\n"):
                if raw.strip():
                    found.append(email.message_from_string(raw.strip(), policy=policy.default))
        return found


# Two workers of one test need names of their own.
_names = itertools.count()


@contextmanager
def celery_worker(
    timeout: float = 60,
    *,
    beat: bool = False,
    env_extra: dict | None = None,
    prefork: bool = False,
    purge: bool = True,
    concurrency: int = 1,
):
    """Start `celery worker` on the test database; yield once it says it is ready.

    With beat, the periodic tasks run too: devices check in every second.
    """
    var_dir = Path(tempfile.mkdtemp(prefix="maa-worker-"))
    env = {**_worker_env(var_dir), "DEVICE_CHECK_IN_SECONDS": "1", **(env_extra or {})}
    celery = [sys.executable, "-m", "celery", "-A", "maa_portal"]
    queue = ",".join(settings.CELERY_QUEUE_NAMES)
    if purge:
        # Messages left by earlier tests refer to rows that no longer exist.
        subprocess.run(
            [*celery, "purge", "-f", "-Q", queue],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    command = [
        *celery,
        "worker",
        "-Q",
        queue,
        "--loglevel=INFO",
        "-n",
        f"test-{os.getpid()}-{next(_names)}@%h",
    ]
    # Beat runs inside the worker, which the solo pool does not allow.
    command += [f"--concurrency={concurrency}"] if beat or prefork else ["--pool=solo"]
    command += ["-B"] if beat else []
    process = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so a test can kill it whole
    )
    lines: list[str] = []
    ready = threading.Event()

    def read():
        for line in process.stdout:
            lines.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(timeout):
            raise RuntimeError("The Celery worker did not start:\n" + "".join(lines[-40:]))
        yield Worker(log=lines, mail_dir=var_dir / "mail", process=process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_until(predicate, *, timeout: float = 30, interval: float = 0.2, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"Timed out waiting for {what or predicate}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A Redis of the test's own, on its own port, that the test can stop and start."""

    def __init__(self):
        self.port, self.dir = _free_port(), tempfile.mkdtemp(prefix="maa-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what="redis to start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        assert not self._answers()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False


@contextmanager
def publishing_to(url: str):
    """Point this test process's Celery at another broker (the web tier, in production)."""
    conf = current_app.conf
    before = conf.broker_url, conf.broker_write_url
    conf.broker_url = conf.broker_write_url = url
    current_app._pool = None
    current_app.amqp._producer_pool = None
    try:
        yield
    finally:
        conf.broker_url, conf.broker_write_url = before
        current_app._pool = None
        current_app.amqp._producer_pool = None


class Postgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder, its own port), that
    the test can stop and start; the shared server is never touched."""

    def __init__(self):
        self.port, self.dir = _free_port(), tempfile.mkdtemp(prefix="maa-pg-")
        self.data = f"{self.dir}/data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/maa"
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: the cluster belongs to the postgres account.
            shutil.chown(self.dir, "postgres")
        self._run(["initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync"])

    @staticmethod
    def _run(command: list[str]) -> None:
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_owner, *command], check=True, capture_output=True)

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
        self._run(
            ["pg_ctl", "-D", self.data, "-o", options, "-l", f"{self.dir}/log", "-w", "start"]
        )

    def create_database(self):
        self._run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "maa"])

    def stop(self):
        self._run(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])

    def stop_if_running(self):
        """The clean-up's stop: a test that failed while its cluster was down has none to stop
        (pg_ctl would fail, hide the test's own error and leave the Redis beside it running)."""
        if os.path.exists(f"{self.data}/postmaster.pid"):
            self.stop()

    def query(self, sql: str, params=()):
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
            return conn.execute(sql, params).fetchall()
