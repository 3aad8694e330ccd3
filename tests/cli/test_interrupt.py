"""Ctrl-C during a build with layout workers: one clean line, no worker traceback, no worker left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from makers import make_book
from processes import children, is_running

pytestmark = pytest.mark.slow  # builds with subprocesses, several times


def test_ctrl_c_in_a_terminal_stops_a_two_worker_build_with_one_line(tmp_path: Path) -> None:
    content = make_book(tmp_path, [3 + (n * 7) % 30 for n in range(30)])
    out = tmp_path / "out"
    for _ in range(5):  # until the signal lands while workers are laying out
        proc = subprocess.Popen([sys.executable, "-m", "coopbook", "--content", str(content), "--out", str(out),
                                 "build", "--format", "pdf", "--jobs", "2"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "NO_COLOR": "1", "CI": "1"})
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            workers = children(proc.pid)
            time.sleep(0.02)
        if len(workers) < 2:
            proc.kill()
            proc.communicate()
            continue
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does: the whole foreground group gets it
        _, stderr = proc.communicate(timeout=60)
        if proc.returncode == 0:
            continue  # finished before the signal: try again
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr, stderr
        assert stderr.strip().splitlines() == ["interrupted; the previous outputs are untouched."], stderr
        deadline = time.monotonic() + 10
        while any(is_running(pid) for pid in workers):
            assert time.monotonic() < deadline, "layout workers outlived the interrupted build"
            time.sleep(0.05)
        assert not (out / "ilo-coop-100.pdf").exists()
        return
    pytest.fail("could not interrupt the build while its workers were running")
