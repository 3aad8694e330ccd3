"""The command line as an editor uses it: check, import, new, index, build, watch; exit codes; no tracebacks."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from coopbook.cli import reporting
from coopbook.cli.commands import main
from coopbook.cli.status import ExitStatus
from coopbook.editorial.watch import Rebuild, watch
from coopbook.errors import Location, Problem
from coopbook.pipeline import BuildOptions
from coopbook.source.book import load_book

from readers import pdf_pages, squash

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "books" / "mini"
INTERVIEW = "interviews/alexandre-soho.yaml"
IV = f"content/{INTERVIEW}"
SECOND_ANSWER = "With the experience mentioned above, I joined"
REGISTRY_HINT = "add it to content/registry/*.yaml, or to registry/ignore.yaml if it is not indexed"


def invoke(content: Path, *args: str, out: Path | None = None) -> Result:
    """Run the command line in content's parent folder, as an editor would; never a traceback."""
    result = CliRunner().invoke(main, ["--out", str(out or content.parent / "build"), *args],
                                catch_exceptions=True)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture()
def book(content_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of content/, with the current folder set to its parent (paths print as content/...)."""
    monkeypatch.chdir(content_copy.parent)
    return content_copy


def edit(content: Path, name: str, old: str, new: str) -> None:
    path = content / name
    text = path.read_text("utf-8")
    assert old in text, f"test setup: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def line_of(content: Path, name: str, needle: str) -> int:
    lines = (content / name).read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


# ---- check -------------------------------------------------------------------------------------------


def test_check_a_clean_book(book: Path) -> None:
    result = invoke(book, "check")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == "content: 1 interview; 0 errors, 0 warnings"


def test_check_reports_a_warning_and_strict_fails_on_it(book: Path) -> None:
    edit(book, INTERVIEW, SECOND_ANSWER, "With the experience mentioned above and the ZANACO bank, I joined")
    line = line_of(book, INTERVIEW, "ZANACO")
    expected = f"{IV}:{line}:51: warning: acronym not in the registry (ZANACO); {REGISTRY_HINT}"
    result = invoke(book, "check")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [expected]
    assert result.stdout.splitlines()[-1] == "content: 1 interview; 0 errors, 1 warning"
    strict = invoke(book, "check", "--strict")
    assert strict.exit_code == 1
    assert strict.stderr.splitlines() == [expected]
    assert strict.stdout.splitlines()[-1] == (
        "content: 1 interview; 0 errors, 1 warning (--strict: warnings fail the check)")


def test_check_reports_every_error_with_its_place(book: Path) -> None:
    edit(book, INTERVIEW, SECOND_ANSWER,
         "With the experience mentioned above[^nope], I joined [the programme]{.programme ref=nope}, "
         "see [this](javascript:alert(1)) and ![map](../../etc/map.png). <b>Bold</b> I joined")
    line = line_of(book, INTERVIEW, "[^nope]")
    result = invoke(book, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{IV}:{line}:42: error: footnote referenced but not defined ([^nope]); add a line '[^nope]: ...' to the "
        "same text",
        f"{IV}:{line}:87: error: unknown programme in span ref (nope); add it to the registry or use the id of a "
        "registered programme",
        f"{IV}:{line}:109: error: link is dropped as unsafe (javascript:alert(1)); only http(s), mailto and #id "
        "links are kept",
        f"{IV}:{line}:141: error: image must be a file in images/ (../../etc/map.png)",
        f"{IV}:{line}:161: warning: raw HTML is not allowed; it is printed as text (<b>)",
        f"{IV}:{line}:168: warning: raw HTML is not allowed; it is printed as text (</b>)",
    ]
    assert result.stdout.splitlines()[-1] == "content: 1 interview; 4 errors, 2 warnings"


def test_check_reports_schema_errors_and_a_summary(book: Path) -> None:
    edit(book, INTERVIEW, "questions:", "questons:")
    edit(book, "book.yaml", "edition: 1", "edition: first")
    result = invoke(book, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "content/book.yaml:9:10: error: edition: expected a whole number (first)",
        f"{IV}:3:1: error: missing required field 'questions'",
        f"{IV}:12:1: error: unknown field 'questons'; did you mean 'questions'?",
    ]
    assert result.stdout.splitlines() == ["content: 3 errors, 0 warnings"]


def test_check_with_a_wrong_content_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(tmp_path / "content", "--content", "nowhere", "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["nowhere/book.yaml: error: book.yaml is missing",
                                          "nowhere/interviews: error: no interviews found (expected interviews/*.yaml)"]


# ---- import ------------------------------------------------------------------------------------------


@pytest.fixture()
def seed(seed_path: Path) -> Path:
    return seed_path  # conftest: skips without the seed, fails under CI


def test_import_the_seed_round_trip(book: Path, seed: Path) -> None:
    original = load_book(book).interviews[0]
    (book / INTERVIEW).unlink()
    result = invoke(book, "import", str(seed))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"wrote {IV}: check every field against the article, then run coopbook check",
        "alexandre-soho is already in order in content/book.yaml",
    ]
    imported = load_book(book).interviews[0]
    assert imported.interviewee == original.interviewee
    assert imported.date == original.date
    assert [q.q for q in imported.questions] == [q.q for q in original.questions]
    # the one recorded editorial change: the closing message stands before the second answer in the source
    assert original.closing is not None
    assert imported.questions[1].a == original.closing + "\n" + original.questions[1].a
    assert invoke(book, "check").exit_code == 0


def test_import_never_overwrites_without_force(book: Path, seed: Path) -> None:
    before = (book / INTERVIEW).read_bytes()
    refused = invoke(book, "import", str(seed))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0].startswith(f"{IV}: error: the file exists already")
    assert "--force" in refused.stderr
    assert refused.stderr.splitlines()[-1] == "1 error; nothing was written."
    assert (book / INTERVIEW).read_bytes() == before
    forced = invoke(book, "import", "--force", str(seed))
    assert forced.exit_code == 0
    assert (book / INTERVIEW).read_bytes() != before
    assert load_book(book).interviews[0].id == "alexandre-soho"


ARTICLE = """ILO COOP 100 Interview

Ms Jane Doe, Director of the Example Cooperative

Article | sometime in 2020

Photo: someone

Why cooperatives?

Because they work.
"""


def test_import_warns_about_what_it_could_not_place_and_adds_to_order(book: Path, tmp_path: Path) -> None:
    (tmp_path / "jane.txt").write_text(ARTICLE, "utf-8")
    result = invoke(book, "import", "--add", str(tmp_path / "jane.txt"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "jane.txt:1: warning: no date line found; expected a line such as 'Article | 22 July 2020'; set date: by hand",
        "jane.txt:5: warning: cannot read the date of the date line (Article | sometime in 2020); expected a date "
        "such as 22 July 2020",
        "jane.txt:7: warning: line not placed in the draft (Photo: someone); copy it into the interview by hand "
        "if it belongs there",
    ]
    assert result.stdout.splitlines() == [
        "wrote content/interviews/jane-doe.yaml: check every field against the article, then run coopbook check",
        "added jane-doe to the end of order in content/book.yaml",
    ]
    check = invoke(book, "check")
    assert check.exit_code == 1
    assert check.stderr.startswith("content/interviews/jane-doe.yaml:8:7: error: date: expected a date (YYYY-MM-DD)")


def test_import_bad_utf8_gives_a_located_error(book: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"Title\nMr Jos\xe9 Doe, Boss\n")
    result = invoke(book, "import", str(tmp_path / "bad.txt"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["bad.txt:2:7: error: file is not valid UTF-8 (bytes e9); save the file as "
                                          "UTF-8", "1 error; nothing was written."]


def test_import_an_article_without_questions(book: Path, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("Just a note.\n", "utf-8")
    result = invoke(book, "import", str(tmp_path / "note.txt"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("note.txt:1: error: no questions found in the article; a question is "
                                             "a paragraph of its own that ends with '?'")


def test_import_a_missing_file_is_a_usage_error(book: Path) -> None:
    result = invoke(book, "import", "missing.txt")
    assert result.exit_code == 2
    assert "missing.txt" in result.stderr


# ---- new ---------------------------------------------------------------------------------------------


def test_new_creates_a_valid_interview_and_reminds_about_order(book: Path) -> None:
    result = invoke(book, "new", "Jürgen von Muralt")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "wrote content/interviews/jurgen-von-muralt.yaml: replace every TODO, then run coopbook check",
        "next: add jurgen-von-muralt to order in content/book.yaml (or rerun with --add)",
    ]
    text = (book / "interviews" / "jurgen-von-muralt.yaml").read_text("utf-8")
    assert f"date: {dt.date.today().isoformat()}" in text
    check = invoke(book, "check")
    assert check.exit_code == 1
    assert check.stderr.splitlines() == [
        "content/interviews/jurgen-von-muralt.yaml:3:5: error: interview is not listed in book.yaml order "
        "(jurgen-von-muralt); add it to order in book.yaml"]


def test_new_with_add_validates_and_check_points_at_the_placeholders(book: Path) -> None:
    result = invoke(book, "new", "--add", "Jane Doe")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "added jane-doe to the end of order in content/book.yaml"
    assert [i.id for i in load_book(book).interviews] == ["alexandre-soho", "jane-doe"]
    check = invoke(book, "check")
    assert check.exit_code == 0
    new = "content/interviews/jane-doe.yaml"
    assert check.stderr.splitlines() == [
        f"{new}:6:9: warning: TODO placeholder not replaced yet (TODO: the role of Jane Doe)",
        f"{new}:12:8: warning: TODO placeholder not replaced yet (TODO: the first question?)",
        f"{new}:14: warning: TODO placeholder not replaced yet (TODO: the answer, in Markdown.)",
    ]
    assert invoke(book, "check", "--strict").exit_code == 1
    again = invoke(book, "new", "--add", "Jane Doe")
    assert again.stdout.splitlines()[0] == ("wrote content/interviews/jane-doe-2.yaml: replace every TODO, then run "
                                            "coopbook check")


def test_new_with_a_name_that_gives_no_id(book: Path) -> None:
    result = invoke(book, "new", "!!!")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("<command line>: error: cannot make an id from this name (!!!); use a "
                                             "name with Latin letters or digits")


def test_new_outside_a_book_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(tmp_path / "content", "new", "Jane Doe")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("content/book.yaml: error: book.yaml is missing; run from the book's "
                                             "folder or pass --content DIR")
    assert list(tmp_path.iterdir()) == []


# ---- index and build ---------------------------------------------------------------------------------


def test_index_prints_every_section(book: Path) -> None:
    result = invoke(book, "index")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    for title in ("People", "Countries", "ILO programmes", "Organisations"):
        assert title in lines and "=" * len(title) in lines
    assert "Soho, Alexandre  Alexandre Soho" in lines
    assert "Cameroon  Alexandre Soho" in lines
    assert lines.index("People") < lines.index("Soho, Alexandre  Alexandre Soho") < lines.index("Countries")


def test_index_with_print_pages(book: Path) -> None:
    result = invoke(book, "index", "--pages")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    people = next(line for line in lines if line.startswith("Soho, Alexandre  "))
    cameroon = next(line for line in lines if line.startswith("Cameroon  "))
    assert people.removeprefix("Soho, Alexandre  ")[0].isdigit()
    assert cameroon.removeprefix("Cameroon  ")[0].isdigit()


def test_index_of_a_broken_book_reports_and_fails(book: Path) -> None:
    edit(book, INTERVIEW, SECOND_ANSWER, "[x]{.programme ref=nope} " + SECOND_ANSWER)
    result = invoke(book, "index")
    assert result.exit_code == 1
    assert "error: unknown programme in span ref (nope)" in result.stderr
    assert result.stdout == ""


def test_build_epub_writes_only_the_epub(book: Path) -> None:
    out = book.parent / "out"
    result = invoke(book, "build", "--format", "epub", out=out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["ilo-coop-100.epub"]
    lines = result.stdout.splitlines()
    assert lines[0] == "parts: 3 laid out, 0 from the cache"
    assert lines[1].startswith(f"wrote {out / 'ilo-coop-100.epub'} (")
    again = invoke(book, "build", "--format", "epub", out=out)
    assert again.stdout.splitlines()[0] == "parts: 0 laid out, 3 from the cache"


# ---- help, exit codes, messages ----------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["build", "--help"]])
def test_help_lists_the_exit_codes(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Exit codes: 0 success; 1 the content has errors (or warnings with --strict); 2 wrong usage; " \
           "3 internal error" in text


def test_help_lists_every_exit_status() -> None:
    text = " ".join(CliRunner().invoke(main, ["--help"]).stdout.split())
    for status in ExitStatus:
        assert f"{status.value} {status.meaning}" in text


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for command in ("build", "check", "import", "index", "new", "watch"):
        assert f"  {command} " in result.stdout


def test_wrong_usage_exits_2(book: Path) -> None:
    assert invoke(book, "frobnicate").exit_code == 2
    assert invoke(book, "build", "--format", "docx").exit_code == 2
    assert invoke(book, "new").exit_code == 2


def test_an_internal_error_exits_3_without_a_traceback(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(content: Path) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("coopbook.editorial.check.check_content", boom)  # the command imports it when it runs
    result = invoke(book, "check")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == ["internal error: RuntimeError: boom (run with --debug for the traceback)"]
    debug = CliRunner().invoke(main, ["--debug", "check"])
    assert isinstance(debug.exception, RuntimeError)


PROBLEMS = [Problem(Location("content/a.yaml", 3, 5), "bad thing [x]{.programme}", "[b]v[/b]"),
            Problem(Location("content/a.yaml", 4, 1), "odd thing", None, "a hint", "warning")]
PLAIN = ["content/a.yaml:3:5: error: bad thing [x]{.programme} ([b]v[/b])",
         "content/a.yaml:4:1: warning: odd thing; a hint"]


def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    buffer = io.StringIO()
    monkeypatch.setattr(reporting, "err_console", Console(file=buffer, force_terminal=True, color_system="standard",
                                                    highlight=False, soft_wrap=True))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("CI", raising=False)
    return buffer


def test_problems_are_coloured_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = terminal(monkeypatch)
    reporting.report(PROBLEMS)
    text = buffer.getvalue()
    assert "\x1b[" in text
    assert [line.split("\x1b")[0] for line in text.splitlines()] == ["content/a.yaml:3:5: ", "content/a.yaml:4:1: "]
    stripped = [_strip_ansi(line) for line in text.splitlines()]
    assert stripped == PLAIN  # markup-like text in messages is printed as written


@pytest.mark.parametrize("variable", ["NO_COLOR", "CI"])
def test_no_colour_when_asked(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                              variable: str) -> None:
    buffer = terminal(monkeypatch)
    monkeypatch.setenv(variable, "1")
    reporting.report(PROBLEMS)
    assert buffer.getvalue() == ""
    assert capsys.readouterr().err.splitlines() == PLAIN


def test_plain_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    reporting.report(PROBLEMS)
    assert capsys.readouterr().err.splitlines() == PLAIN


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# ---- watch -------------------------------------------------------------------------------------------


def wait_for(events: list[Rebuild], count: int, timeout: float, nudge: Callable[[], None] | None = None) -> None:
    """Wait until `count` builds were reported; call nudge every second meanwhile (a change the watcher may miss
    while it is still starting is made again)."""
    deadline = time.monotonic() + timeout
    while len(events) < count:
        assert time.monotonic() < deadline, f"only {len(events)} builds after {timeout} s: {events}"
        if nudge is not None:
            nudge()
        time.sleep(1)


@pytest.mark.slow
def test_watch_rebuilds_on_change_and_reports_errors_without_stopping(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    options = BuildOptions(content, tmp_path / "out", ("pdf",))
    pdf = options.out / "test-anthology.pdf"
    interview = content / "interviews" / "maria-perez.yaml"
    original = interview.read_text("utf-8")
    events: list[Rebuild] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(options, events.append), daemon=True,
                              kwargs={"stop_event": stop, "debounce_ms": 100})
    thread.start()
    try:
        wait_for(events, 1, 60)
        assert events[0].ok and events[0].changed == ()
        first = pdf.read_bytes()

        corrected = original.replace("In Colombia and in Niger", "In Colombia, in Peru and in Niger")
        wait_for(events, 2, 60, lambda: interview.write_text(corrected, "utf-8"))
        wait_for(events, len(events), 0)
        second = events[1]
        assert second.ok, second
        assert any(name.endswith("maria-perez.yaml") for name in second.changed)
        assert pdf.read_bytes() != first
        assert "inPeruand" in squash("".join(pdf_pages(pdf)))
        time.sleep(0.5)  # let any straggling event of the same edit be built before breaking the file
        good = pdf.read_bytes()

        count = len(events)
        broken = corrected.replace("date: 2020-10-12", "date: 2020-02-30")
        wait_for(events, count + 1, 60, lambda: interview.write_text(broken, "utf-8"))
        failed = events[count]
        assert not failed.ok
        assert [p.format() for p in failed.problems] == [
            f"{interview}:6:7: error: date: not a valid date, day value is outside expected range (write YYYY-MM-DD) "
            "(2020-02-30)"]
        assert pdf.read_bytes() == good
        assert thread.is_alive()

        count = len(events)
        wait_for(events, count + 1, 60, lambda: interview.write_text(corrected, "utf-8"))
        assert events[count].ok
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_watch_stops_after_max_builds(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    (content / "book.yaml").write_text("title: [unclosed\n", "utf-8")
    events: list[Rebuild] = []
    count = watch(BuildOptions(content, tmp_path / "out", ("pdf",)), events.append, max_builds=1)
    assert count == 1
    assert [p.message for p in events[0].problems][0].startswith("YAML syntax error")


@pytest.mark.slow
def test_watch_command_prints_one_line_per_build_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    interview = content / "interviews" / "maria-perez.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "coopbook", "--content", "content", "--out", "out", "watch"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert lines[0].startswith("watching content and "), lines
        assert " build 1: wrote out/test-anthology.pdf in " in lines[1], lines
        stamp, _, rest = lines[1].partition(" ")
        assert time.strptime(stamp, "%H:%M:%S") and rest.rstrip().endswith(" s")
        broken = interview.read_text("utf-8").replace("date: 2020-10-12", "date: 2020-02-30")
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)  # type: ignore
        reader.start()
        deadline = time.monotonic() + 60
        while reader.is_alive():
            assert time.monotonic() < deadline, lines
            interview.write_text(broken, "utf-8")
            reader.join(timeout=1)
        assert " build 2 after changes to content/interviews/maria-perez.yaml: 1 error in " in lines[2], lines
        assert lines[2].rstrip().endswith("s; previous outputs kept")
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert stdout.splitlines()[-1] == "stopped watching"
    assert ("content/interviews/maria-perez.yaml:6:7: error: date: not a valid date, day value is outside expected "
            "range (write YYYY-MM-DD) (2020-02-30)") in stderr.splitlines()
    assert "Traceback" not in stderr


def test_a_problem_is_always_one_line() -> None:
    problem = Problem(Location("content/odd\nname.yaml", 2, 3), "unknown field 'x\ny'", "v\x07", "hint\r" + "h" * 400)
    line = problem.format()
    assert "\n" not in line and "\r" not in line and "\x07" not in line
    assert line.startswith("content/odd\\nname.yaml:2:3: error: unknown field 'x\\ny' (v\\x07); hint\\rhhh")
    assert len(line) < 450
