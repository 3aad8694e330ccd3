"""The watch measure: one-word corrections saved while `coopbook watch` is already running.

The watch is started once per size and left to make its first build; then, `reps` times, one word is corrected
and the time from the file's save to the new PDF's rename is taken (the PDF's inode and mtime change when the
edition is published, and the watch's printed line for that build confirms it). The watcher's debounce (300 ms)
is part of what the editor waits for, so it is part of the figure.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from .corpus import Corpus, correct_one_word

POLL_S = 0.01
SETTLE_S = 1.0  # the watch prints build 1's line before its file watcher starts: a save in that gap is missed


class Sampler(Protocol):
    """A thread that samples a process tree's resident memory until `done` is set (run.TreeSampler)."""

    done: threading.Event
    peak_kib: int

    def start(self) -> None: ...
    def join(self, timeout: float | None = None) -> None: ...


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _hwm_kib(pid: int) -> int:
    """The peak resident memory of one process so far (VmHWM), 0 when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class WatchProcess:
    """`coopbook watch` running in a child process, its printed lines collected as they come."""

    def __init__(self, cmd: Sequence[str], cwd: Path, log: Path) -> None:
        self.log = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            self.lines.put(line.rstrip("\n"))

    def wait_for_build(self, number: int, timeout: float) -> str:
        """The line the watch prints for build `number` (raises TimeoutError, or RuntimeError if it exits)."""
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no line for build {number} within {timeout:.0f} s")
            try:
                line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"watch exited with {self.proc.returncode}") from None
                continue
            if f" build {number}" in line and (": wrote " in line or "previous outputs kept" in line):
                return line

    @property
    def peak_kib(self) -> int:
        """The watch process's own peak resident memory so far."""
        return _hwm_kib(self.proc.pid)

    def stop(self) -> int:
        """Ctrl-C the watch, as an editor would; kill it if it does not stop; return its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def save_to_pdf(corpus: Corpus, index: int, pdf: Path, watch: WatchProcess, number: int,
                timeout: float) -> tuple[float, str]:
    """Correct one word, then wait until the watch has published a new PDF; return (seconds, the watch's line)."""
    before = _stamp(pdf)
    correct_one_word(corpus, index)
    saved = time.perf_counter()
    deadline = saved + timeout
    while _stamp(pdf) == before:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{pdf.name} not rewritten within {timeout:.0f} s")
        if watch.proc.poll() is not None:
            raise RuntimeError(f"watch exited with {watch.proc.returncode}")
        time.sleep(POLL_S)
    seconds = time.perf_counter() - saved
    line = watch.wait_for_build(number, timeout)
    if ": wrote " not in line:
        raise RuntimeError(f"rebuild failed: {line}")
    return seconds, line


def watch_rebuilds(cmd: Sequence[str], cwd: Path, corpus: Corpus, index: int, out: Path, reps: int, log: Path,
                   timeout: float, tree_sampler: Callable[[int], Sampler]
                   ) -> tuple[list[dict[str, object]], str | None]:
    """Run the watch (writing into out), let it build once, then time reps one-word corrections in interview index;
    return one dict per rebuild, and the error that stopped them, if any."""
    results: list[dict[str, object]] = []
    watch = WatchProcess(cmd, cwd, log)
    error = None
    try:
        first = watch.wait_for_build(1, timeout)
        pdfs = sorted(p for p in out.glob("*.pdf") if not p.name.endswith("-print.pdf"))
        if ": wrote " not in first or not pdfs:
            raise RuntimeError(f"the first build wrote no PDF: {first}")
        pdf = pdfs[0]
        time.sleep(SETTLE_S)
        for rep in range(reps):
            load = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
            sampler = tree_sampler(watch.proc.pid)
            sampler.start()
            try:
                seconds, line = save_to_pdf(corpus, index, pdf, watch, rep + 2, timeout)
            finally:
                sampler.done.set()
                sampler.join()
            results.append({"wall_s": round(seconds, 3), "line": line, "load_1min": load,
                            "maxrss_kib": watch.peak_kib, "tree_peak_kib": sampler.peak_kib})
    except (TimeoutError, RuntimeError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        code = watch.stop()
        if error is None and code not in (0, -signal.SIGINT, 130):
            error = f"watch exited with {code}"
    print(f"  watch: {len(results)} rebuild(s), {error or 'ok'}", file=sys.stderr, flush=True)
    return results, error
