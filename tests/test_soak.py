"""The soak of bench/soak.py, for 60 seconds (the 30-minute one is a benchmark): mixed traffic,
an execution worker SIGKILLed every 25 seconds (twice), one Redis restart; nothing lost, nothing
run or mailed twice, no 5xx, and no process's memory growing by more than 10 %. Cut from 3
minutes, then from 90 seconds, to keep the clean-clone CI under 20 minutes on 2 cores; the
memory figure means more in the long run."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.worker import ROOT

pytestmark = [
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
    pytest.mark.long,
]


def test_a_short_soak_loses_nothing_and_repeats_nothing():
    db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
    env = {
        **os.environ,
        "SOAK_MINUTES": os.environ.get("SOAK_MINUTES", "1"),
        "SOAK_KILL_SECONDS": os.environ.get("SOAK_KILL_SECONDS", "25"),
        "SOAK_DB": f"maa_soak_{os.getpid()}",
        "SOAK_PG": db.rsplit("/", 1)[0],
    }
    run = subprocess.run(
        [sys.executable, "bench/soak.py"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    print(run.stdout, run.stderr[-3000:])
    assert run.returncode == 0, run.stdout
