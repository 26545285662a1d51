"""Device list speed on 100,000 devices: prints query counts and response times.

Run against a scratch PostgreSQL database (it is migrated and filled on first use):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/maa_bench .venv/bin/python bench/device_list.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maa_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from devices.models import Device  # noqa: E402
from rbac.models import RoleAssignment, ScopeTag, SecurityGroup, User  # noqa: E402

TARGET = int(os.environ.get("BENCH_DEVICES", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "15"))


def fill() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", devices=60, verbosity=0)
    have = Device.objects.count()
    if have >= TARGET:
        return
    users = list(User.objects.filter(username__contains="."))
    tags = list(ScopeTag.objects.all())
    template = Device.objects.first()
    batch = []
    for i in range(have, TARGET):
        batch.append(
            Device(
                name=f"BENCH-{i:06d}",
                serial_number=f"BENCH{i:09d}",
                operating_system=["Windows", "macOS", "iOS", "Android"][i % 4],
                os_version=template.os_version,
                model=template.model,
                manufacturer=template.manufacturer,
                ownership="corporate" if i % 5 else "personal",
                compliance_state=["compliant", "noncompliant", "in_grace"][i % 3],
                primary_user=users[i % len(users)],
            )
        )
        if len(batch) == 5000:
            Device.objects.bulk_create(batch)
            batch = []
    Device.objects.bulk_create(batch)
    links = Device.scope_tags.through
    links.objects.bulk_create(
        [
            links(device_id=pk, scopetag_id=tags[pk % len(tags)].pk)
            for pk in Device.objects.filter(name__startswith="BENCH-").values_list("pk", flat=True)
        ],
        batch_size=10000,
        ignore_conflicts=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(username: str, query: str) -> tuple[int, float, float]:
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get(f"/devices/{query}")  # warm caches and connections
    timings, queries = [], 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(f"/devices/{query}")
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        queries = len(ctx.captured_queries)
    return queries, statistics.median(timings), max(timings)


def main() -> None:
    fill()
    assert SecurityGroup.objects.exists() and RoleAssignment.objects.exists()
    print(f"devices: {Device.objects.count()}  database: {connection.vendor}  runs: {RUNS}")
    print(f"{'who':<12} {'query':<56} {'SQL':>4} {'median ms':>10} {'max ms':>8}")
    cases = [
        ("hazel", ""),
        ("hazel", "?page=1500"),
        ("hazel", "?operating_system=macOS&compliance_state=noncompliant"),
        ("hazel", "?q=BENCH-0999"),
        ("helpdesk2", ""),
        ("helpdesk2", "?ownership=personal&page=20"),
    ]
    for username, query in cases:
        queries, median, worst = measure(username, query)
        label = query or "(first page)"
        print(f"{username:<12} {label:<56} {queries:>4} {median:>10.1f} {worst:>8.1f}")


if __name__ == "__main__":
    main()
