"""Messages an editor meets, each with the input that produced a confusing one: the located line or the right
outcome now."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import watchfiles

from coopbook.editorial.watch import change_filter
from coopbook.pipeline import BuildOptions

from clirunner import invoke

REPO = Path(__file__).resolve().parents[2]
INTERVIEW = "interviews/alexandre-soho.yaml"
IV = f"content/{INTERVIEW}"
SECOND_ANSWER = "With the experience mentioned above, I joined"
REGISTRY_HINT = "add it to content/registry/*.yaml, or to registry/ignore.yaml if it is not indexed"



@pytest.fixture()
def book(content_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of content/, with the current folder set to its parent (paths print as content/...)."""
    monkeypatch.chdir(content_copy.parent)
    return content_copy


def edit(content: Path, old: str, new: str, name: str = INTERVIEW) -> None:
    path = content / name
    text = path.read_text("utf-8")
    assert old in text, f"test setup: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def line_of(content: Path, needle: str) -> int:
    lines = (content / INTERVIEW).read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def test_editor_and_system_droppings_are_not_content(book: Path) -> None:
    interviews = book / "interviews"
    (interviews / ".#alexandre-soho.yaml").symlink_to("editor@host.4242:1700000000")  # Emacs lock: dangling
    (interviews / "._alexandre-soho.yaml").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    (interviews / ".hidden.yaml").write_text("id: [broken\n", "utf-8")
    (interviews / "alexandre-soho.yaml~").write_text("id: old\n", "utf-8")
    (interviews / "#alexandre-soho.yaml#").write_text("id: [autosave\n", "utf-8")
    (book / "images").mkdir(exist_ok=True)
    (book / "images" / ".#map.svg").symlink_to("editor@host.4242:1700000000")
    check = invoke("check")
    assert check.exit_code == 0, check.output
    assert check.stderr == ""
    assert check.stdout.splitlines()[-1] == "content: 1 interview; 0 errors, 0 warnings"
    built = invoke("build", "--format", "epub", "--jobs", "1")
    assert built.exit_code == 0, built.output
    assert built.stderr == ""
    keep = change_filter(BuildOptions(book, book.parent / "build"))
    for name in (".#alexandre-soho.yaml", "._alexandre-soho.yaml", "alexandre-soho.yaml~", "#alexandre-soho.yaml#"):
        assert not keep(watchfiles.Change.added, str(interviews / name)), name
    assert keep(watchfiles.Change.modified, str(interviews / "alexandre-soho.yaml"))


def test_span_refs_and_acronyms_in_multi_line_answers_have_a_column(book: Path) -> None:
    edit(book, "      " + SECOND_ANSWER,
         "      With the experience mentioned\n      above [the thing]{.programme\n      ref=nope} and ZANACO, in\n"
         "      FOOBANK I joined")
    ref = line_of(book, "ref=nope}")
    result = invoke("check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{IV}:{ref}:7: error: unknown programme in span ref (nope); add it to the registry or use the id of a "
        "registered programme",
        f"{IV}:{ref}:21: warning: acronym not in the registry (ZANACO); {REGISTRY_HINT}",
        f"{IV}:{ref + 1}:7: warning: acronym not in the registry (FOOBANK); {REGISTRY_HINT}",
    ]


def test_a_data_url_is_not_an_unknown_acronym(book: Path) -> None:
    edit(book, SECOND_ANSWER, "With the experience (data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"
                              "AAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==) mentioned above, I joined")
    result = invoke("check")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_a_key_that_is_a_mapping_or_a_list_is_quoted_as_written(book: Path) -> None:
    edit(book, "questions:", "? {name: x, role: [a, b]}\n: oops\n? [x, y]\n: oops\nquestions:")
    line = line_of(book, "? {name")
    result = invoke("check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{IV}:{line}:3: error: keys must be plain words ({{name: x, role: [a, b]}})",
        f"{IV}:{line + 2}:3: error: keys must be plain words ([x, y])",
    ]
    assert "Node(" not in result.stderr


def test_a_flood_of_yaml_aliases_prints_a_few_lines(book: Path) -> None:
    count = 300_000
    (book / INTERVIEW).write_text("a: &x 1\nb: [" + ", ".join(["*x"] * count) + "]\n", "utf-8")
    result = invoke("check")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{IV}:1:4: error: YAML anchors are not allowed (&x); write the value out in full"
    assert lines[1] == f"{IV}:2:5: error: YAML aliases are not allowed (*x); write the value out in full"
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == f"{IV}: error: … and {count - 20:,} more like this (YAML aliases are not allowed)"
    assert result.stdout.splitlines()[-1] == f"content: {count + 1} errors, 0 warnings"


def test_import_of_a_device_or_an_empty_file(book: Path, tmp_path: Path) -> None:
    device = invoke("import", "/dev/null")
    assert device.exit_code == 1
    assert device.stderr.splitlines() == [
        "/dev/null: error: not a regular file (a device, a pipe or a socket); give the path of a text file",
        "1 error; nothing was written."]
    (tmp_path / "empty.txt").write_text("\n\n", "utf-8")
    empty = invoke("import", str(tmp_path / "empty.txt"))
    assert empty.exit_code == 1
    assert empty.stderr.splitlines()[0] == (
        "empty.txt: error: the article is empty; give the plain-text file of an interview article")


def test_a_folder_named_like_an_interview(book: Path) -> None:
    (book / "interviews" / "folder.yaml").mkdir()
    result = invoke("check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["content/interviews/folder.yaml: error: this is a folder, not a file"]


def test_new_writes_files_readable_by_everyone_like_every_other_write(book: Path) -> None:
    old = os.umask(0o022)
    try:
        book_yaml = book / "book.yaml"
        before = book_yaml.stat().st_mode & 0o777
        result = invoke("new", "Jane Doe", "--add")
        assert result.exit_code == 0, result.output
    finally:
        os.umask(old)
    assert (book / "interviews" / "jane-doe.yaml").stat().st_mode & 0o777 == 0o644
    assert book_yaml.stat().st_mode & 0o777 == before  # the edited book.yaml keeps its mode

