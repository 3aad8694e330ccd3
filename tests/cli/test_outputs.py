"""The outputs change as one set, a machine that refuses a write gets a located message, and ZIP dates clamp.

A publish is killed (a BaseException from `os.replace`, as a kill would stop it) or fails (an OSError) at
every step; what is on disk is then checked by checksum, and after the next build or repair step it is always
all-old or all-new, never mixed.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from coopbook import edition
from coopbook.cli.commands import main
from coopbook.edition import MANIFEST, STAGING, finish_publishing
from coopbook.errors import ContentError, EnvironmentProblem
from coopbook.fsutil import atomic_write, environment_errors
from coopbook.pipeline import BuildOptions, build, write_outputs

from readers import epubcheck

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "books" / "mini"
NAMES = ("book.pdf", "book-print.pdf", "book.epub")
SLUG_NAMES = ("test-anthology.pdf", "test-anthology-print.pdf", "test-anthology.epub")


class Killed(BaseException):
    """Stands for a kill: no `except Exception` stops it, and nothing after it runs."""


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def products(out: Path, tag: str) -> list:
    return [(fmt, out / name, f"{name} {tag} ".encode() * 1000, None)
            for fmt, name in zip(("pdf", "print", "epub"), NAMES, strict=True)]


def sums(items: list) -> dict[str, str]:
    return {path.name: hashlib.sha256(data).hexdigest() for _, path, data, _ in items}


def which_set(out: Path, sets: dict[str, dict[str, str]], names: tuple[str, ...] = NAMES) -> str:
    """'old', 'new' (every file from that set, by checksum) or 'mixed'."""
    on_disk = {name: digest(out / name) for name in names}
    for label, expected in sets.items():
        if on_disk == expected:
            return label
    return "mixed"


def manifest_of(out: Path) -> dict[str, str]:
    data = json.loads((out / MANIFEST).read_text("utf-8"))
    return {item["name"]: item["sha256"] for item in data["files"]}


def kill_rename(monkeypatch: pytest.MonkeyPatch, out: Path, at: int,
                error: Callable[[], BaseException] = lambda: Killed()) -> None:
    """Make the at-th publishing rename (staging -> output folder) fail; the ones before it succeed."""
    real = os.replace
    seen = []

    def replace(src: str | Path, dst: str | Path) -> None:
        if Path(src).parent.name == STAGING and Path(dst).parent == out:
            seen.append(dst)
            if len(seen) == at:
                raise error()
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


# ---- the publishing protocol, in process ----------------------------------------------------------------


@pytest.mark.parametrize("at", [1, 2, 3, 4])  # 4: the manifest's own rename
def test_a_kill_between_renames_is_finished_by_the_next_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             at: int) -> None:
    out = tmp_path / "build"
    old, new = products(out, "old"), products(out, "new")
    write_outputs(old)
    sets = {"old": sums(old), "new": sums(new)}
    assert which_set(out, sets) == "old" and manifest_of(out) == sets["old"]
    kill_rename(monkeypatch, out, at)
    with pytest.raises(Killed):
        write_outputs(new)
    monkeypatch.undo()
    assert which_set(out, sets) == ("mixed" if at in (2, 3) else "old" if at == 1 else "new")  # the hazard
    assert finish_publishing(out) is True
    assert which_set(out, sets) == "new"
    assert manifest_of(out) == sets["new"]
    assert not (out / STAGING).exists()
    assert finish_publishing(out) is False and which_set(out, sets) == "new"  # idempotent


@pytest.mark.parametrize("at", [1, 2, 3, 4])  # 4: the manifest, the commit point
def test_a_kill_while_staging_leaves_the_old_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 at: int) -> None:
    out = tmp_path / "build"
    old, new = products(out, "old"), products(out, "new")
    write_outputs(old)
    sets = {"old": sums(old), "new": sums(new)}
    calls = []

    def staged_write(path: Path, data: bytes, shown: Path | None = None) -> None:
        calls.append(path)
        if len(calls) == at:
            path.with_name(f".{path.name}.half.tmp").write_bytes(data[: len(data) // 2])  # a torn temp file
            raise Killed()
        atomic_write(path, data, shown)

    monkeypatch.setattr(edition, "atomic_write", staged_write)
    with pytest.raises(Killed):
        write_outputs(new)
    monkeypatch.undo()
    assert which_set(out, sets) == "old"
    assert (out / STAGING).is_dir()
    assert finish_publishing(out) is False  # nothing was committed: the staging folder is thrown away
    assert which_set(out, sets) == "old" and manifest_of(out) == sets["old"]
    assert not (out / STAGING).exists()
    write_outputs(new)
    assert which_set(out, sets) == "new"


def test_write_outputs_finishes_an_interrupted_publish_before_its_own(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "build"
    first, second, third = (products(out, tag) for tag in ("first", "second", "third"))
    write_outputs(first)
    kill_rename(monkeypatch, out, 2)
    with pytest.raises(Killed):
        write_outputs(second)
    monkeypatch.undo()
    published = []
    real = finish_publishing

    def watched(folder: Path) -> bool:
        done = real(folder)
        published.append((done, which_set(out, {"second": sums(second)})))
        return done

    monkeypatch.setattr(edition, "finish_publishing", watched)
    write_outputs(third)
    assert published[0] == (True, "second"), "the committed second set was completed first"
    assert which_set(out, {"third": sums(third)}) == "third"


def test_a_failed_rename_is_reported_and_then_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "build"
    old, new = products(out, "old"), products(out, "new")
    write_outputs(old)
    kill_rename(monkeypatch, out, 2, lambda: OSError(errno.EIO, "Input/output error"))
    with pytest.raises(EnvironmentProblem) as caught:
        write_outputs(new)
    monkeypatch.undo()
    [problem] = caught.value.problems
    assert problem.location.path.endswith("book-print.pdf")
    assert problem.message == "cannot write: input/output error"
    assert which_set(out, {"old": sums(old), "new": sums(new)}) == "mixed"
    assert finish_publishing(out) is True
    assert which_set(out, {"new": sums(new)}) == "new"


def test_a_damaged_staged_file_is_never_published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "build"
    old, new = products(out, "old"), products(out, "new")
    write_outputs(old)
    kill_rename(monkeypatch, out, 2)
    with pytest.raises(Killed):
        write_outputs(new)
    monkeypatch.undo()
    staged = out / STAGING / NAMES[1]
    staged.write_bytes(staged.read_bytes()[:-1] + b"!")
    assert finish_publishing(out) is False
    assert "does not match its manifest" in caplog.text
    assert not (out / STAGING).exists() and digest(out / NAMES[1]) == sums(old)[NAMES[1]]
    write_outputs(new)
    assert which_set(out, {"new": sums(new)}) == "new"


def test_a_forged_manifest_cannot_move_files_elsewhere(tmp_path: Path) -> None:
    out = tmp_path / "build"
    staging = out / STAGING
    staging.mkdir(parents=True)
    (staging / "evil").write_bytes(b"x")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    (staging / MANIFEST).write_text(json.dumps({"format": 1, "files": [
        {"name": "../victim.txt", "size": 1, "sha256": hashlib.sha256(b"x").hexdigest()}]}), "utf-8")
    assert finish_publishing(out) is False
    assert victim.read_bytes() == b"keep me" and not staging.exists()


# ---- the publishing protocol through real builds -------------------------------------------------------


def correct(content: Path) -> None:
    path = content / "interviews" / "maria-perez.yaml"
    path.write_text(path.read_text("utf-8").replace("In Colombia", "In Bogotá, Colombia"), "utf-8")


def test_the_next_build_completes_a_killed_publish_before_anything_else(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content, out = tmp_path / "content", tmp_path / "build"
    shutil.copytree(MINI, content)
    options = BuildOptions(content, out, ("pdf", "print", "epub"), jobs=1)
    build(options)
    old = {name: digest(out / name) for name in SLUG_NAMES}
    correct(content)
    with pytest.MonkeyPatch.context() as patch, pytest.raises(Killed):
        kill_rename(patch, out, 2)
        build(options)
    new = {item["name"]: item["sha256"]
           for item in json.loads((out / STAGING / MANIFEST).read_text("utf-8"))["files"]}
    sets = {"old": old, "new": new}
    assert which_set(out, sets, SLUG_NAMES) == "mixed"  # screen PDF new, print PDF and EPUB old
    book_yaml = content / "book.yaml"
    good = book_yaml.read_text("utf-8")
    book_yaml.write_text(good.replace("title: Test Anthology", "title: [broken"), "utf-8")
    with pytest.raises(ContentError):
        build(options)  # a build that fails on its content still completes the set first
    assert which_set(out, sets, SLUG_NAMES) == "new"
    book_yaml.write_text(good, "utf-8")
    build(options)
    clean = build(BuildOptions(content, tmp_path / "clean", ("pdf", "print", "epub"), jobs=1))
    assert {o.path.name: digest(o.path) for o in clean} == new == manifest_of(out)


# ---- a machine that refuses a write --------------------------------------------------------------------


@pytest.fixture()
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The mini book in content/, the current folder its parent (paths print as build/...)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    shutil.copytree(MINI, tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


def test_out_below_a_regular_file_names_the_folder(editor: Path) -> None:
    (editor / "notes.txt").write_text("a file, not a folder\n", "utf-8")
    code, stderr = run_cli("--out", "notes.txt/build", "build", "--jobs", "1")
    assert code == 4
    assert stderr.splitlines() == ["notes.txt/build: error: cannot create the folder: not a directory"]


def test_a_full_disk_names_the_output_and_keeps_the_previous_set(editor: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = run_cli("build", "--format", "all", "--jobs", "1")
    assert code == 0
    before = {name: digest(editor / "build" / name) for name in SLUG_NAMES}
    real = os.fsync

    def full(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", full)
    code, stderr = run_cli("build", "--format", "all", "--jobs", "1")
    assert code == 4
    assert stderr.splitlines() == ["build/test-anthology.pdf: error: cannot write: no space left on device"]
    monkeypatch.undo()
    assert {name: digest(editor / "build" / name) for name in SLUG_NAMES} == before
    assert not [p for p in (editor / "build").rglob("*.tmp")], "no temporary file is left behind"


def test_help_lists_exit_code_4() -> None:
    result = CliRunner().invoke(main, ["build", "--help"])
    assert "4 the build could not write or read its files" in " ".join(result.stdout.split())


def test_atomic_write_on_a_full_disk_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "kept.bin"
    target.write_bytes(b"old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(EnvironmentProblem) as caught:
        atomic_write(target, b"new" * 1000)
    assert str(caught.value).endswith("kept.bin: error: cannot write: no space left on device")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["kept.bin"]


def test_environment_errors_name_the_file_and_leave_other_errors_alone() -> None:
    with pytest.raises(EnvironmentProblem) as caught, environment_errors():
        raise OSError(errno.EROFS, "Read-only file system", "build/.coopbook.lock")
    assert str(caught.value) == "build/.coopbook.lock: error: cannot read or write: read-only file system"
    with pytest.raises(OSError), environment_errors():
        raise OSError(errno.EIO, "no file named")


# ---- EPUB dates past what ZIP can store ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("when", ["epoch 2200", "book date 2150"])
def test_a_date_after_2107_is_clamped_in_the_epub_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      when: str) -> None:
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    if when.startswith("epoch"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2200, 1, 1, tzinfo=dt.UTC).timestamp())))
        modified = "2200-01-01T00:00:00Z"
    else:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
        book_yaml = content / "book.yaml"
        book_yaml.write_text(book_yaml.read_text("utf-8").replace("date: 2024-05-01", "date: 2150-06-30"), "utf-8")
        modified = "2150-06-30T00:00:00Z"
    [epub] = build(BuildOptions(content, tmp_path / "build", ("epub",), jobs=1))
    with zipfile.ZipFile(epub.path) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2107, 12, 31, 23, 59, 58)}
        opf = next(n for n in archive.namelist() if n.endswith(".opf"))
        assert f">{modified}</meta>" in archive.read(opf).decode("utf-8")
    assert epubcheck(epub.path) == []
