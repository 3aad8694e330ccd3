"""The `coopbook` program's quick exit (coopbook.cli.entry): the same statuses, streams and exit handlers as a
normal exit, run as editors run it (a process of its own)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clirunner import invoke

QUICK_EXIT = """
import atexit, sys, threading, time
from coopbook.cli.entry import quick_exit
atexit.register(lambda: print("handler ran", flush=True))
print("before", end="")  # unflushed when quick_exit is called
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.5), print(" thread done", end=""))).start()
quick_exit({"int": 3, "none": None, "text": "a message", "big": 257, "thread": 0}[sys.argv[1]])
"""


def program(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m coopbook` run as a process of its own."""
    return subprocess.run([sys.executable, "-m", "coopbook", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_statuses_and_output_are_those_of_the_command_line(repo: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # where the in-process command line runs
    shutil.copytree(repo / "tests" / "books" / "mini", tmp_path / "content")
    index = program("--content", "content", "index", cwd=tmp_path)
    assert index.returncode == 0, index.stderr
    assert index.stdout == invoke("--content", "content", "index").stdout
    assert len(index.stdout.splitlines()) > 10  # every line of a long output reaches the pipe
    (tmp_path / "content" / "book.yaml").write_text("title: [unclosed\n", "utf-8")
    broken = program("--content", "content", "check", cwd=tmp_path)
    in_process = invoke("--content", "content", "check")
    assert broken.returncode == in_process.exit_code != 0
    assert "book.yaml:1" in broken.stderr
    usage = program("--no-such-option", cwd=tmp_path)
    assert usage.returncode == 2 and "No such option" in usage.stderr


def test_quick_exit_runs_the_exit_handlers_and_flushes(tmp_path: Path) -> None:
    def quick(case: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", QUICK_EXIT, case], capture_output=True, text=True, timeout=60)

    found = {case: quick(case) for case in ("int", "none", "text", "big", "thread")}
    assert [found[case].returncode for case in ("int", "none", "text", "big")] == [3, 0, 1, 1]
    for case in ("int", "none", "text", "big"):
        assert found[case].stdout == "beforehandler ran\n", case
    assert found["text"].stderr == "a message\n"
    assert found["thread"].returncode == 0  # a running thread: the interpreter's own exit, which waits for it
    assert found["thread"].stdout == "before thread donehandler ran\n"
