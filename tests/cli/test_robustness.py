"""Hardening: concurrent builds wait on the lock, a killed build leaves the last good outputs, limits hold."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from filelock import FileLock

from coopbook.cli.commands import main
from coopbook.source.yamlreader import MAX_FILE_BYTES

from processes import children, is_running
from readers import pdf_pages, squash

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "books" / "mini"
INTERVIEW = "interviews/alexandre-soho.yaml"


def coopbook(content: Path, out: Path, *args: str, debug: bool = False) -> list[str]:
    """The command line of a real coopbook process."""
    return [sys.executable, "-m", "coopbook", *(["--debug"] if debug else []), "--content", str(content),
            "--out", str(out), *args]


def assert_valid_pdf(path: Path, pages: int | None = None) -> pypdf.PdfReader:
    """The file is a complete PDF that pypdf reads (optionally with this many pages)."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:], path
    reader = pypdf.PdfReader(str(path), strict=True)
    if pages is not None:
        assert len(reader.pages) == pages
    return reader


@pytest.fixture()
def mini_copy(tmp_path: Path) -> Path:
    """A private copy of tests/books/mini."""
    shutil.copytree(MINI, tmp_path / "content")
    return tmp_path / "content"


@pytest.mark.slow
def test_a_second_build_waits_for_the_lock(mini_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    lock = FileLock(str(out / ".coopbook.lock"))
    with lock:
        proc = subprocess.Popen(coopbook(mini_copy, out, "build", "--format", "pdf"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        said = proc.stderr.readline()  # the build tells why it does not start (EOF if it ran or failed instead)
        assert said.startswith("waiting for the build running in"), said + proc.communicate()[1]
        assert proc.poll() is None, proc.communicate()
        assert not (out / "test-anthology.pdf").exists()
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert_valid_pdf(out / "test-anthology.pdf")


@pytest.mark.slow
def test_two_concurrent_builds_both_succeed_with_a_valid_pdf(mini_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    procs = [subprocess.Popen(coopbook(mini_copy, out, "build", "--format", "pdf"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=180) for p in procs]
    for proc, (_, stderr) in zip(procs, results, strict=True):
        assert proc.returncode == 0, stderr
        assert "Traceback" not in stderr
    reader = assert_valid_pdf(out / "test-anthology.pdf")
    assert "María Pérez Muñoz" in "".join(page.extract_text() for page in reader.pages)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["test-anthology.pdf"]
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def kill_during_layout(content: Path, out: Path, delay: float) -> tuple[int | None, str, set[int]]:
    """Start a build, SIGKILL it `delay` seconds after WeasyPrint starts laying out pages.

    Returns the exit status, the end of its log and the worker processes it had when it was killed."""
    proc = subprocess.Popen(coopbook(content, out, "build", "--format", "pdf", "--format", "epub", debug=True),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen: list[str] = []
    workers: set[int] = set()
    for line in proc.stderr:
        seen.append(line)
        if "Creating layout" in line:
            time.sleep(delay)
            workers = children(proc.pid)
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.stderr.close()
    return proc.wait(timeout=60), "".join(seen[-5:]), workers


@pytest.mark.slow
def test_a_build_killed_during_layout_leaves_the_previous_outputs_intact(content_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = subprocess.run(coopbook(content_copy, out, "build", "--format", "pdf", "--format", "epub"),
                           capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    interview = content_copy / INTERVIEW
    original = interview.read_text("utf-8")
    killed = False
    workers: set[int] = set()
    for attempt, delay in enumerate((0.0, 0.05, 0.2, 0.5)):  # retry with other timings until one lands mid-build
        before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".pdf", ".epub")}
        assert set(before) == {"ilo-coop-100.pdf", "ilo-coop-100.epub"}
        # a new correction each time, so that the interview must be laid out again and the outputs would change
        marker = f"My very first ({attempt}) contact with cooperatives"
        interview.write_text(original.replace("My first contact with cooperatives", marker), "utf-8")
        rc, tail, workers = kill_during_layout(content_copy, out, delay)
        if rc == -signal.SIGKILL:
            killed = True
            break
        assert rc == 0, tail  # the build finished before the kill: try again, sooner
    assert killed, "could not kill the build while it was laying out pages"
    deadline = time.monotonic() + 5  # the kernel signals them as the build ends (scheduler._end_with_parent)
    while any(is_running(pid) for pid in workers):  # layout workers end with the build that started them
        assert time.monotonic() < deadline, f"orphan workers: {[p for p in workers if is_running(p)]}"
        time.sleep(0.1)

    after = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".pdf", ".epub")}
    assert after == before, "a killed build changed the previous outputs"
    names = {p.name for p in out.iterdir()}
    assert names >= {"ilo-coop-100.pdf", "ilo-coop-100.epub"}
    assert not [n for n in names if n.endswith(".tmp") and not n.startswith(".")], names  # temp files are hidden
    assert_valid_pdf(out / "ilo-coop-100.pdf")

    again = subprocess.run(coopbook(content_copy, out, "build", "--format", "pdf", "--format", "epub"),
                           capture_output=True, text=True, timeout=120, check=False)  # the lock was released
    assert again.returncode == 0, again.stderr
    assert_valid_pdf(out / "ilo-coop-100.pdf")
    text = squash("".join(pdf_pages(out / "ilo-coop-100.pdf")))
    assert squash(marker) in text
    assert (out / "ilo-coop-100.epub").read_bytes() != before["ilo-coop-100.epub"]
    clean = tmp_path / "clean"  # whatever the killed build left in the cache, the result equals a clean build
    fresh = subprocess.run(coopbook(content_copy, clean, "build", "--format", "pdf", "--format", "epub"),
                           capture_output=True, text=True, timeout=120, check=False)
    assert fresh.returncode == 0, fresh.stderr
    for name in ("ilo-coop-100.pdf", "ilo-coop-100.epub"):
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def run_check(content: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str], str]:
    monkeypatch.chdir(content.parent)
    result = CliRunner().invoke(main, ["check"])
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr.splitlines(), result.stdout


def test_an_interview_over_the_size_limit_is_refused(content_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = content_copy / INTERVIEW
    text = path.read_text("utf-8")
    path.write_text(text + "# padding\n" * (MAX_FILE_BYTES // 10 + 1), "utf-8")
    size = path.stat().st_size
    code, lines, _ = run_check(content_copy, monkeypatch)
    assert code == 1
    assert lines[0] == (f"content/{INTERVIEW}: error: file is too large ({size} bytes; "
                        f"the limit is {MAX_FILE_BYTES})")


def test_a_registry_file_over_the_size_limit_is_refused(content_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = content_copy / "registry" / "people.yaml"
    path.write_bytes(path.read_bytes() + b"\n" + b"# x\n" * (MAX_FILE_BYTES // 4))
    code, lines, _ = run_check(content_copy, monkeypatch)
    assert code == 1
    assert any(line.startswith("content/registry/people.yaml: error: file is too large") for line in lines), lines


def test_an_article_over_the_size_limit_is_refused(content_copy: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    article = tmp_path / "huge.txt"
    article.write_text("Is this a question?\n" + "An answer.\n" * (MAX_FILE_BYTES // 10), "utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["import", "huge.txt"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("huge.txt: error: file is too large")
    assert sorted(p.name for p in (content_copy / "interviews").iterdir()) == ["alexandre-soho.yaml"]


BOMB = "\n".join([
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    *(f"{chr(ord('b') + i)}: &{chr(ord('b') + i)} [{','.join(['*' + chr(ord('a') + i)] * 9)}]" for i in range(8)),
])


@pytest.mark.parametrize("name", [INTERVIEW, "book.yaml", "registry/programmes.yaml"])
def test_a_yaml_alias_bomb_is_refused(content_copy: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    (content_copy / name).write_text(BOMB + "\n", "utf-8")
    code, lines, _ = run_check(content_copy, monkeypatch)  # refused at the anchor, before any expansion
    assert code == 1
    assert f"content/{name}:1:4: error: YAML anchors are not allowed (&a); write the value out in full" in lines
    assert f"content/{name}:2:8: error: YAML aliases are not allowed (*a); write the value out in full" in lines


def test_deep_nesting_is_refused(content_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (content_copy / INTERVIEW).write_text("id: " + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    code, lines, _ = run_check(content_copy, monkeypatch)
    assert code == 1
    assert f"content/{INTERVIEW}:1:44: error: nesting is deeper than 40 levels" in lines


def test_a_closed_pipe_ends_the_command_quietly_with_its_own_status(mini_copy: Path, tmp_path: Path) -> None:
    """`coopbook build | head -1`: the reader goes away; the build's outputs stay written and no internal error
    or traceback is said (exit 141, as a program stopped by SIGPIPE)."""
    out = tmp_path / "out"
    for args in (["build", "--format", "pdf"], ["check"]):
        read, write = os.pipe()
        os.close(read)  # nobody reads: the first line written fails
        with os.fdopen(write, "wb") as stdout:
            done = subprocess.run(coopbook(mini_copy, out, *args), stdout=stdout, stderr=subprocess.PIPE, text=True,
                                  timeout=300)
        assert done.returncode == 141, done.stderr
        assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert_valid_pdf(out / "test-anthology.pdf")
