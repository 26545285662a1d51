"""A bulk wipe of 10,000 devices (issue 23), in one command:

    .venv/bin/python bench/bulk.py                 # BENCH_BULK=10000 of BENCH_N=20000 devices

On a scratch database (maa_bench_bulk) and the production server and workers of bench/run.py:
the Devices list alone (the yardstick of the pages: the mean of its p50 at the start and
beside the pages, as the machine drifts within a run), then filing the bulk wipe (the POST of
"all devices matching the filter", which a worker files: the POST's answer, and from the POST
to the request filed) and an approval, each the median of BENCH_BULK_ROUNDS rounds (5; each
round but the last cancelled), the bulk page, the request page and its devices page, timed
alone as the list is (p50 of 20 sequential requests), and the Complete (once); then the no-op
task's drain rate and the bulk run's drain (Complete to the last device reached), timed alike
from a full queue. Ratios in the same run; no test asserts a timing.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DB", "maa_bench_bulk")
os.environ.setdefault("BENCH_N", "20000")

from bench import run  # noqa: E402  (creates the scratch database, sets Django up)

BULK = int(os.environ.get("BENCH_BULK", "10000"))
ROUNDS = int(os.environ.get("BENCH_BULK_ROUNDS", "5"))


def post_ms(path: str, cookie: str, token: str, body: str = "") -> tuple[float, int, str]:
    conn = run.http.client.HTTPConnection("127.0.0.1", run.PORT, timeout=600)
    started = time.perf_counter()
    conn.request(
        "POST",
        path,
        body=body,
        headers=run.form_headers(cookie, token),
    )
    response = conn.getresponse()
    response.read()
    return (time.perf_counter() - started) * 1000, response.status, response.getheader("Location")


def main() -> None:
    from django.core.management import call_command
    from django.db.models import Value
    from django.db.models.functions import Concat

    from approvals.models import AccessPolicy, ApprovalRequest, Filing, Notice, NoticeBatch
    from approvals.services import request_cancel
    from devices.models import Device, DeviceAction
    from maa_portal.celery import app

    call_command("migrate", verbosity=0)
    run.fill(devices=run.N, requests=100)
    # The bulk target: BULK devices named alike, as a fleet to decommission.
    ids = list(Device.objects.order_by("pk").values_list("pk", flat=True)[:BULK])
    Device.objects.filter(pk__in=ids).update(name=Concat(Value("KIOSK-"), "serial_number"))
    AccessPolicy.objects.filter(policy_type="device.wipe").update(
        bulk_threshold=100, bulk_approvals_required=1
    )
    token = "b" * 32
    hazel = run.session_cookie("hazel") + f"; csrftoken={token}"
    approver = run.session_cookie("approver") + f"; csrftoken={token}"
    server = run.gunicorn()
    worker = run.workers()  # they file the bulk requests
    try:
        time.sleep(6)
        listing = run.alone_ms("/devices/", hazel)
        filing_path = "/devices/bulk/?kind=wipe&all=1&q=KIOSK-"
        page = run.alone_ms(filing_path, hazel)
        # Filed and approved ROUNDS times (each but the last cancelled by its requestor, so
        # the same devices can be filed again): one POST moves by tens of ms on these cores.
        posts, filings, approvals = [], [], []
        for round_ in range(ROUNDS):
            posted_at = time.perf_counter()
            post, status, location = post_ms(
                filing_path, hazel, token, "justification=Kiosk+fleet+decommissioned"
            )
            assert status == 302 and "/filings/" in location, (status, location)
            filing = Filing.objects.filter(pk=location.rstrip("/").rsplit("/", 1)[1])
            while (ended := filing.values_list("status", "refusal").get())[0] == "preparing":
                time.sleep(0.01)  # a poll costs the database little at this pace
            filed_ms = (time.perf_counter() - posted_at) * 1000
            assert ended[0] == "filed", ended
            # The pages and the approval are timed with the workers idle, as before filing moved
            # to them: the approvers' emails wait in the broker meanwhile.
            time.sleep(0.5)
            run._paused(app, True)
            request = ApprovalRequest.objects.get(
                operation_type="device.bulk_wipe", status__in=["needs_approval"]
            )
            assert len(request.payload["device_ids"]) == BULK, len(request.payload["device_ids"])
            detail = f"/tenant/maa/requests/{request.pk}/"
            if round_ == ROUNDS - 1:
                # The yardstick again, beside the pages: the machine drifts within a run.
                listing = statistics.mean([listing, run.alone_ms("/devices/", hazel)])
                approver_page = run.alone_ms(detail, approver)
                devices_page = run.alone_ms(request.target_url, approver)
            approved_ms, status, _ = post_ms(f"{detail}approve/", approver, token, "note=ok")
            assert status == 302, status
            posts.append(post)
            filings.append(filed_ms)
            approvals.append(approved_ms)
            if round_ < ROUNDS - 1:
                request_cancel(request_id=request.pk, actor=request.requestor, note="bench")
            run._paused(app, False)
            # The emails queued meanwhile are sent before the next round is timed.
            while NoticeBatch.objects.exists() or Notice.objects.filter(status="pending").exists():
                time.sleep(0.05)
            time.sleep(0.5)
        post = statistics.median(posts)
        filed_ms, approved_ms = statistics.median(filings), statistics.median(approvals)

        time.sleep(2)
        noop = statistics.median(run.noop_drains(app))
        run._paused(app, True)
        completed_ms, status, _ = post_ms(f"{detail}complete/", hazel, token)
        assert status == 302, status
        started = time.perf_counter()
        run._paused(app, False)
        reached = DeviceAction.objects.filter(origin=f"Approval request #{request.pk}")
        while reached.count() < BULK and time.perf_counter() - started < 1800:
            time.sleep(0.5)
        drain = reached.count() / (time.perf_counter() - started)
        twice = BULK - reached.values("device").distinct().count()
        request = ApprovalRequest.objects.get(pk=request.pk)
        print(f"\nBulk wipe of {BULK:,} devices (N = {run.N:,}); {run.machine()}\n")
        print("| step | ms | share of the Devices list alone |")
        print("|---|---|---|")
        for label, ms in [
            ("Devices list, page 1 (the yardstick: at the start and beside the pages)", listing),
            ("Bulk page: count and breakdown of all matching", page),
            (f"Filing the bulk wipe: the POST's answer (median of {ROUNDS})", post),
            (f"From that POST to the request filed by a worker (median of {ROUNDS})", filed_ms),
            ("Request page (approver)", approver_page),
            ("The request's devices, page 1", devices_page),
            (f"Approve (POST, median of {ROUNDS})", approved_ms),
            ("Complete (POST, once)", completed_ms),
        ]:
            print(f"| {label} | {ms:,.0f} | {ms / listing:.1f}x |")
        print(
            f"\nNo-op task drain: {noop:,.0f}/s. Bulk run: {drain:,.0f} devices/s = "
            f"{drain / noop:.2f} of the no-op rate; {twice} devices reached twice; execution "
            f"{request.execution_status}: {request.execution_result or request.execution_error}"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
