"""A layout worker ends with its parent: killed mid-build (SIGKILL: no chance to stop its workers), the parent leaves
no worker laying out a part nobody will read, and each worker still removes its fonts' folders as it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from processes import is_running

BUSY = """
import os, sys, time
from pathlib import Path
from coopbook.layout.part import PartSpec, Style
from coopbook.layout.scheduler import ProcessPool

def busy(style, spec):
    (Path(sys.argv[1]) / f"started-{os.getpid()}").touch()
    try:
        time.sleep(120)  # a part that takes long to lay out
    finally:
        (Path(sys.argv[1]) / f"ended-{os.getpid()}").touch()  # its `finally` ran (where it removes its fonts' folders)

pool = ProcessPool(2, work=busy)
pool.start()
style = Style(Path("templates"), "", "model")
for task in range(2):
    pool.submit(task, style, PartSpec(f"p{task}", "interview", "<p>x</p>"))
print(*(process.pid for process, _ in pool.workers), flush=True)
time.sleep(120)
"""


def test_workers_end_with_a_killed_parent(repo: Path, tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", BUSY, str(tmp_path)], cwd=repo, stdout=subprocess.PIPE,
                              text=True)
    assert parent.stdout is not None
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("started-*"))) < 2:  # both busy with their part (one imports WeasyPrint first)
        assert time.monotonic() < deadline, "the workers did not start their parts"
        time.sleep(0.05)
    assert all(is_running(pid) for pid in workers)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 5  # without the parent-death signal: the part's 120 s
    while any(is_running(pid) for pid in workers):
        assert time.monotonic() < deadline, f"orphan workers: {[pid for pid in workers if is_running(pid)]}"
        time.sleep(0.05)
    assert sorted(int(marker.name.split("-")[1]) for marker in tmp_path.glob("ended-*")) == sorted(workers)
