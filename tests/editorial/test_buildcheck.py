"""`build` tells the editor everything `check` knows: the same located lines, errors stop the build with the
previous outputs untouched, warnings are printed and the build goes on, `--strict` fails both; `watch` reports
the same problems; a build waiting for another build's lock says so; WeasyPrint's warnings about our own
templates are shown, located in templates/, and the real books have none."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import Result
from filelock import FileLock

from coopbook.editorial.check import check_content
from coopbook.editorial.watch import Rebuild, watch
from coopbook.errors import Problem
from coopbook.layout.csswarnings import TemplateWarnings
from coopbook.pipeline import BuildOptions, build
from coopbook.templating import TEMPLATES

from clirunner import invoke

REPO = Path(__file__).resolve().parents[2]
INTERVIEW = "interviews/alexandre-soho.yaml"
SECOND_ANSWER = "With the experience mentioned above, I joined"
PDF = "ilo-coop-100.pdf"



@pytest.fixture()
def book(content_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of content/, the current folder set to its parent, built once (build/ilo-coop-100.pdf)."""
    monkeypatch.chdir(content_copy.parent)
    first = invoke("build", "--format", "pdf", "--jobs", "1")
    assert first.exit_code == 0, first.output
    assert first.stderr == ""
    return content_copy


def edit(content: Path, old: str, new: str) -> None:
    path = content / INTERVIEW
    text = path.read_text("utf-8")
    assert old in text, f"test setup: {old!r} not in {INTERVIEW}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def problem_lines(result: Result) -> list[str]:
    """The located problem lines a command printed (its summary line left out)."""
    return [line for line in result.stderr.splitlines() if ": error: " in line or ": warning: " in line]


def test_build_stops_on_the_error_check_reports_and_leaves_the_outputs(book: Path) -> None:
    before = (book.parent / "build" / PDF).read_bytes()
    edit(book, SECOND_ANSWER, "With the experience ![x](../../../../etc/passwd) mentioned above, I joined")
    check = invoke("check")
    built = invoke("build", "--format", "pdf", "--jobs", "1")
    expected = [f"content/{INTERVIEW}:20:32: error: image must be a file in images/ (../../../../etc/passwd)"]
    assert check.exit_code == 1
    assert problem_lines(check) == expected
    assert built.exit_code == 1
    assert problem_lines(built) == expected
    assert built.stderr.splitlines()[-1] == "1 error; nothing was written."
    assert built.stdout == ""
    assert (book.parent / "build" / PDF).read_bytes() == before


def test_build_prints_warnings_and_goes_on_and_strict_fails_both(book: Path) -> None:
    before = (book.parent / "build" / PDF).read_bytes()
    edit(book, SECOND_ANSWER, "With the experience mentioned above and the ZANACO bank, I joined")
    expected = [f"content/{INTERVIEW}:20:51: warning: acronym not in the registry (ZANACO); add it to "
                "content/registry/*.yaml, or to registry/ignore.yaml if it is not indexed"]
    check = invoke("check")
    assert check.exit_code == 0
    assert problem_lines(check) == expected

    strict_check = invoke("check", "--strict")
    strict_build = invoke("build", "--format", "pdf", "--jobs", "1", "--strict")
    assert strict_check.exit_code == 1 and strict_build.exit_code == 1
    assert problem_lines(strict_check) == problem_lines(strict_build) == expected
    assert strict_build.stderr.splitlines()[-1] == (
        "0 errors, 1 warning (--strict: warnings fail the build); nothing was written.")
    assert (book.parent / "build" / PDF).read_bytes() == before

    built = invoke("build", "--format", "pdf", "--jobs", "1")
    assert built.exit_code == 0, built.output
    assert problem_lines(built) == expected
    assert built.stdout.splitlines()[-2].startswith(f"wrote build/{PDF} (")
    assert (book.parent / "build" / PDF).read_bytes() != before


def test_watch_reports_what_check_reports(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "books" / "mini", content)
    report = check_content(content)
    assert report.warnings and not report.errors  # the mini book has warnings: the build goes on
    events: list[Rebuild] = []
    watch(BuildOptions(content, tmp_path / "out", ("epub",), jobs=1), events.append, max_builds=1)
    assert events[0].ok
    assert events[0].problems == report.warnings
    assert (tmp_path / "out" / "test-anthology.epub").is_file()


@pytest.mark.slow
def test_a_build_waiting_for_the_lock_says_so(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "books" / "mini", content)
    (tmp_path / "out").mkdir()
    lock = FileLock(str(tmp_path / "out" / ".coopbook.lock"))
    with lock:
        proc = subprocess.Popen([sys.executable, "-m", "coopbook", "--content", "content", "--out", "out", "build",
                                 "--format", "epub", "--jobs", "1"],
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        first = proc.stderr.readline()  # blocks until the build has tried the lock
        assert first == "waiting for the build running in out …\n"
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting while the lock is held
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "wrote out/test-anthology.epub (" in stdout


# ---- WeasyPrint's warnings about our own templates ---------------------------------------------------------


def build_capturing(content: Path, out: Path, templates: Path = TEMPLATES) -> list[Problem]:
    """Build the screen PDF in-process (--jobs 1, no cache: every part laid out) with WeasyPrint's log captured."""
    found: list[Problem] = []
    handler = TemplateWarnings(templates, found.append)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        build(BuildOptions(content, out, ("pdf",), templates=templates, jobs=1, cache=False))
    finally:
        logger.removeHandler(handler)
    return found


@pytest.mark.parametrize("name", ["content", *sorted(p.name for p in (REPO / "tests" / "books").iterdir()
                                                      if (p / "book.yaml").is_file())])
def test_no_weasyprint_warning_about_our_templates(name: str, tmp_path: Path) -> None:
    source = REPO / "content" if name == "content" else REPO / "tests" / "books" / name
    shutil.copytree(source, tmp_path / "content")
    found = build_capturing(tmp_path / "content", tmp_path / "out")
    assert [p.format() for p in found] == []


def test_a_template_warning_names_the_stylesheet_line(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    pdf_css = templates / "css" / "pdf.css"
    lines = pdf_css.read_text("utf-8").splitlines()
    lines.insert(2, "@page front:blank, @page body:blank { }")
    pdf_css.write_text("\n".join(lines) + "\n", "utf-8")
    shutil.copytree(REPO / "tests" / "books" / "mini", tmp_path / "content")
    found = build_capturing(tmp_path / "content", tmp_path / "out", templates)
    assert [p.format() for p in found] == [
        f"{pdf_css}:3:1: warning: WeasyPrint: Unsupported @page selector ' front:blank, @page body:blank ', "
        "the whole @page rule was ignored"]


def test_the_validate_cache_follows_the_interview_and_the_registry(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "books" / "mini", content)
    warned: list[Problem] = []
    options = BuildOptions(content, tmp_path / "out", ("epub",), jobs=1, on_warnings=warned.extend)

    def build_warnings() -> list[str]:
        warned.clear()
        build(options)
        lines = [p.format() for p in warned]
        assert lines == [p.format() for p in check_content(content).warnings]  # cached or not, what check says
        return lines

    first = build_warnings()
    assert build_warnings() == first  # from the cache
    assert list((tmp_path / "out" / ".cache" / "interviews" / "validate").glob("*/*.json"))
    interview = content / "interviews" / "maria-perez.yaml"
    interview.write_text(interview.read_text("utf-8").replace("In Colombia", "In ZANACO Colombia", 1), "utf-8")
    changed = build_warnings()
    assert [line for line in changed if "(ZANACO)" in line]
    (content / "registry").mkdir(exist_ok=True)
    (content / "registry" / "ignore.yaml").write_text("- ZANACO\n", "utf-8")
    assert build_warnings() == first
