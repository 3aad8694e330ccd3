"""Ctrl-C or SIGTERM during a build with layout workers: one clean line, no worker traceback, no worker left behind,
nothing left in the temporary folder (the assembly's, the fonts' of the parent and of each worker)."""

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


STOPS = {  # how the build is stopped -> (signal, to the whole process group, exit status, what it says)
    "ctrl-c in a terminal": (signal.SIGINT, True, 130, "interrupted; the previous outputs are untouched."),
    "kill of the process group": (signal.SIGTERM, True, 143, "stopped by SIGTERM; the previous outputs are untouched."),
    "kill of the build alone": (signal.SIGTERM, False, 143, "stopped by SIGTERM; the previous outputs are untouched."),
}


@pytest.mark.parametrize("how", sorted(STOPS))
def test_a_stopped_two_worker_build_says_one_line_and_leaves_nothing_behind(tmp_path: Path, how: str) -> None:
    sent, to_group, status, said = STOPS[how]
    content = make_book(tmp_path, [3 + (n * 7) % 30 for n in range(30)])
    out = tmp_path / "out"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    for _ in range(5):  # until the signal lands while workers are laying out
        proc = subprocess.Popen([sys.executable, "-m", "coopbook", "--content", str(content), "--out", str(out),
                                 "build", "--format", "all", "--jobs", "2"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "NO_COLOR": "1", "CI": "1", "TMPDIR": str(temporary)})
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        fonts: list[Path] = []  # each worker's, once it lays a part out
        while (len(workers) < 2 or len(fonts) < 2) and proc.poll() is None and time.monotonic() < deadline:
            workers = children(proc.pid)
            fonts = list(temporary.glob("weasyprint-*"))
            time.sleep(0.02)
        if len(workers) < 2 or len(fonts) < 2:
            proc.kill()
            proc.communicate()
            continue
        time.sleep(0.1)
        if to_group:
            os.killpg(proc.pid, sent)  # what a terminal does with Ctrl-C: the whole foreground group gets it
        else:
            proc.send_signal(sent)  # what `kill PID` and `timeout` do
        _, stderr = proc.communicate(timeout=60)
        if proc.returncode == 0:
            continue  # finished before the signal: try again
        assert proc.returncode == status, stderr
        assert "Traceback" not in stderr, stderr
        assert stderr.strip().splitlines() == [said], stderr
        deadline = time.monotonic() + 10
        while any(is_running(pid) for pid in workers):
            assert time.monotonic() < deadline, "layout workers outlived the stopped build"
            time.sleep(0.05)
        assert sorted(path.name for path in temporary.iterdir()) == []  # weasyprint-*, coopbook-assemble-*
        assert not (out / "ilo-coop-100.pdf").exists()
        return
    pytest.fail("could not stop the build while its workers were running")


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_build_stopped_as_it_starts_says_the_same_line(tmp_path: Path, sent: signal.Signals) -> None:
    """Stopped at any moment of its start (Python's own start-up aside, before coopbook runs: killed by the
    signal), a build ends with the same one line and status as later, never click's "Aborted!" and status 1
    (which means errors in the content) nor a traceback."""
    content = make_book(tmp_path, [5, 5])
    expected = STOPS["ctrl-c in a terminal" if sent == signal.SIGINT else "kill of the process group"]
    seen = set()
    for delay in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.6, 0.8):
        proc = subprocess.Popen([sys.executable, "-m", "coopbook", "--content", str(content), "--out",
                                 str(tmp_path / "out"), "build", "--format", "pdf", "--jobs", "2"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "NO_COLOR": "1", "CI": "1"},
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(delay)
        os.killpg(proc.pid, sent)
        _, stderr = proc.communicate(timeout=60)
        seen.add(proc.returncode)
        if proc.returncode in (0, -sent):  # done already, or stopped in Python's start-up
            continue
        assert proc.returncode == expected[2], (delay, stderr)
        assert stderr.strip().splitlines() == [expected[3]], (delay, stderr)
    assert expected[2] in seen, seen
