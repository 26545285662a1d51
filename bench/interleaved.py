"""The bulk request's page and approval against the Devices list, interleaved (issue 23):

    .venv/bin/python bench/bulk.py           # first: fills maa_bench_bulk
    .venv/bin/python bench/interleaved.py    # then: BENCH_ROUNDS=30 rounds, about a minute

On the scratch database bench/bulk.py left (its kiosks are put back in management first, their
device actions removed), with the production server and no workers: each round files a bulk
wipe of the 10,000 kiosks through the service (not timed), then times one Devices list page,
the approver's request page and the approval (POST), and cancels the request. The figures are
medians over the rounds, as ratios to the list's: timed side by side, the machine's drift
within a run (as large as the differences measured) falls on all three alike.
"""

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DB", "maa_bench_bulk")
os.environ.setdefault("BENCH_N", "20000")
os.environ["BENCH_KEEP"] = "1"

from bench import run  # noqa: E402  (sets Django up on the kept database)
from bench.bulk import post_ms  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


def main() -> None:
    from approvals.models import ApprovalRequest
    from approvals.services import operation_start, request_cancel
    from devices.models import Device, DeviceAction
    from rbac.models import User

    kiosks = Device.objects.filter(name__startswith="KIOSK-")
    DeviceAction.objects.filter(device__in=kiosks).delete()
    kiosks.update(management_state="managed")
    for open_request in ApprovalRequest.objects.filter(
        operation_type="device.bulk_wipe", status__in=["needs_approval", "approved"]
    ):
        request_cancel(request_id=open_request.pk, actor=open_request.requestor, note="bench")
    ids = list(kiosks.values_list("pk", flat=True))
    hazel = User.objects.get(username="hazel")
    token = "b" * 32
    cookies = {
        name: run.session_cookie(name) + f"; csrftoken={token}" for name in ("hazel", "approver")
    }
    server = run.gunicorn()
    try:
        run.alone_ms("/devices/", cookies["hazel"], runs=5)
        times = {"list": [], "page": [], "approve": []}
        for _ in range(ROUNDS):
            request = operation_start(
                actor=hazel,
                operation_code="device.bulk_wipe",
                payload={"device_ids": ids},
                justification="Kiosk fleet decommissioned",
            ).request
            detail = f"/tenant/maa/requests/{request.pk}/"
            times["list"].append(run.alone_ms("/devices/", cookies["hazel"], runs=1))
            times["page"].append(run.alone_ms(detail, cookies["approver"], runs=1))
            approve = f"{detail}approve/"
            approved, status, _ = post_ms(approve, cookies["approver"], token, "note=ok")
            assert status == 302, status
            times["approve"].append(approved)
            request_cancel(request_id=request.pk, actor=hazel, note="bench")
        listing = statistics.median(times["list"])
        print(f"\n{len(ids):,} devices, {ROUNDS} rounds; {run.machine()}\n")
        print("| step | ms (median) | share of the Devices list |")
        print("|---|---|---|")
        for label, key in [
            ("Devices list, page 1", "list"),
            ("Request page (approver)", "page"),
            ("Approve (POST)", "approve"),
        ]:
            ms = statistics.median(times[key])
            print(f"| {label} | {ms:.1f} | {ms / listing:.2f}x |")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
