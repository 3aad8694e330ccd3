"""Bad input gets one clear line per problem, `path:line:col: error: message (value)`, exit status 1, no traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from coopbook.cli.commands import main
from coopbook.errors import ContentError
from coopbook.source.book import load_book

INTERVIEW = "interviews/alexandre-soho.yaml"
Edit = Callable[[Path], None]


def replace(name: str, old: str, new: str) -> Edit:
    def edit(content: Path) -> None:
        path = content / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"test setup: {old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def write(name: str, data: bytes) -> Edit:
    def edit(content: Path) -> None:
        (content / name).write_bytes(data)

    return edit


def copy_interview(new_name: str, old_id: str | None = None, new_id: str | None = None) -> Edit:
    def edit(content: Path) -> None:
        text = (content / INTERVIEW).read_text(encoding="utf-8")
        if old_id and new_id:
            text = text.replace(f"id: {old_id}", f"id: {new_id}", 1)
        (content / "interviews" / new_name).write_text(text, encoding="utf-8")

    return edit


def drop_line(name: str, start: str) -> Edit:
    def edit(content: Path) -> None:
        path = content / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith(start)]
        assert len(kept) == len(lines) - 1, f"test setup: {start!r}"
        path.write_text("".join(kept), encoding="utf-8")

    return edit


def remove(name: str) -> Edit:
    def edit(content: Path) -> None:
        (content / name).unlink()

    return edit


IV = f"content/{INTERVIEW}"
B = "content/book.yaml"

CASES: list[tuple[str, Edit, str]] = [
    ("yaml-syntax", replace(INTERVIEW, "  name: Alexandre Soho", "  name: [Alexandre Soho"),
     f"{IV}:6:12: error: YAML syntax error: expected ',' or ']', but got ':'"),
    ("missing-field", replace(INTERVIEW, "date: 2020-07-22\n", ""),
     f"{IV}:3:1: error: missing required field 'date'"),
    ("unknown-field", replace(INTERVIEW, "questions:", "questons:"),
     f"{IV}:12:1: error: unknown field 'questons'; did you mean 'questions'?"),
    ("wrong-type", replace("book.yaml", "edition: 1", "edition: first"),
     f"{B}:9:10: error: edition: expected a whole number (first)"),
    ("empty-answer", drop_line(INTERVIEW, "      With the experience mentioned above"),
     f"{IV}:19:8: error: questions[2].a: must not be empty"),
    ("bad-date", replace(INTERVIEW, "date: 2020-07-22", "date: 2020-13-45"),
     f"{IV}:8:7: error: date: not a valid date, month value is outside expected range of 1-12 (write YYYY-MM-DD) "
     "(2020-13-45)"),
    ("date-as-text", replace(INTERVIEW, "date: 2020-07-22", "date: 22 July 2020"),
     f"{IV}:8:7: error: date: not a valid date, invalid character in year (write YYYY-MM-DD) (22 July 2020)"),
    ("duplicate-id", copy_interview("alexandre-soho-2.yaml"),
     "content/interviews/alexandre-soho-2.yaml:3:5: error: duplicate interview id (alexandre-soho); "
     f"already used by {IV}"),
    ("order-without-file", replace("book.yaml", "  - alexandre-soho\n", "  - alexandre-soho\n  - jane-doe\n"),
     f"{B}:27:5: error: no interview file for this id (jane-doe); expected interviews/jane-doe.yaml"),
    ("file-not-in-order", copy_interview("jane-doe.yaml", "alexandre-soho", "jane-doe"),
     "content/interviews/jane-doe.yaml:3:5: error: interview is not listed in book.yaml order (jane-doe); "
     "add it to order in book.yaml"),
    ("not-utf8", write("interviews/alexandre-soho.yaml", b"id: alexandre-soho\nname: Jos\xe9\n"),
     f"{IV}:2:10: error: file is not valid UTF-8 (bytes e9); save the file as UTF-8"),
    ("yaml-anchor", replace(INTERVIEW, "  name: Alexandre Soho\n  honorific: Mr",
                            "  name: &n Alexandre Soho\n  honorific: *n"),
     f"{IV}:5:9: error: YAML anchors are not allowed (&n); write the value out in full"),
    ("control-char", replace(INTERVIEW, "honorific: Mr", "honorific: M\x07r"),
     f"{IV}:6:15: error: control characters are not allowed (U+0007)"),
    ("bad-language", replace("book.yaml", "language: en-GB", "language: English (UK)"),
     f"{B}:5:11: error: language: expected a BCP 47 language tag such as en-GB, es or fr-CA (English (UK))"),
    ("unregistered-language", replace("book.yaml", "language: en-GB", "language: xx-GB"),
     f"{B}:5:11: error: language: expected a BCP 47 language tag such as en-GB, es or fr-CA (xx-GB)"),
    ("interview-language", replace(INTERVIEW, "id: alexandre-soho\n", "id: alexandre-soho\nlanguage: en_GB\n"),
     f"{IV}:4:11: error: language: expected a BCP 47 language tag such as en-GB, es or fr-CA (en_GB)"),
    ("id-not-file-name", replace(INTERVIEW, "id: alexandre-soho", "id: alexander-soho"),
     f"{IV}:3:5: error: interview id must match the file name (alexander-soho); "
     "rename the file to alexander-soho.yaml or set id: alexandre-soho"),
    ("no-book-yaml", remove("book.yaml"), "content/book.yaml: error: book.yaml is missing"),
    ("huge-file", write("interviews/alexandre-soho.yaml", b"id: x\n" + b"#" * (3 * 1024 * 1024)),
     f"{IV}: error: file is too large (3145734 bytes; the limit is 2097152)"),
    ("list-for-text", replace(INTERVIEW, "honorific: Mr", "honorific: [Mr, Dr]"),
     f"{IV}:6:14: error: interviewee.honorific: expected text"),
]


@pytest.mark.parametrize(("edit", "expected"), [(e, x) for _, e, x in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_reported_at_its_place(content_copy: Path, monkeypatch: pytest.MonkeyPatch, edit: Edit,
                                            expected: str) -> None:
    edit(content_copy)
    monkeypatch.chdir(content_copy.parent)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert expected in lines, "\n".join(lines)
    assert "Traceback" not in result.output + result.stderr


def test_every_problem_of_a_phase_is_reported_at_once(content_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replace(INTERVIEW, "questions:", "questons:")(content_copy)
    replace("book.yaml", "edition: 1", "edition: first")(content_copy)
    replace("book.yaml", "language: en-GB", "language: x")(content_copy)
    monkeypatch.chdir(content_copy.parent)
    with pytest.raises(ContentError) as caught:
        load_book(Path("content"))
    messages = [p.format() for p in caught.value.problems]
    assert len(messages) >= 4, messages  # unknown field, missing questions, edition, language
    assert any("missing required field 'questions'" in m for m in messages)


def test_the_real_process_prints_no_traceback(content_copy: Path) -> None:
    replace(INTERVIEW, "date: 2020-07-22", "date: 2020-02-30")(content_copy)
    proc = subprocess.run([sys.executable, "-m", "coopbook", "--content", str(content_copy), "build", "--format",
                           "pdf", "--format", "epub"], capture_output=True, text=True, cwd=content_copy.parent,
                          check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert ("alexandre-soho.yaml:8:7: error: date: not a valid date, day value is outside expected range "
            "(write YYYY-MM-DD) (2020-02-30)") in proc.stderr
    assert "nothing was written" in proc.stderr


def test_an_unclosed_quote_is_reported_where_it_opens(content_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replace(INTERVIEW, "  role: ILO Senior", '  role: "ILO Senior')(content_copy)
    monkeypatch.chdir(content_copy.parent)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    assert f"{IV}:7:9: error: YAML syntax error: this quoted text has no closing quote" in result.stderr.splitlines()
