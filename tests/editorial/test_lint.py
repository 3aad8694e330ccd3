"""Content checks beyond the schema, each located at the exact file:line:col of the offending text."""

from __future__ import annotations

import base64
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopbook.editorial.lint import anchor_ids, lint_book
from coopbook.editorial.scaffold import yaml_block
from coopbook.errors import display_path
from coopbook.markdown.fragments import interview_fragments
from coopbook.source.book import load_book

REPO = Path(__file__).resolve().parents[2]

BOOK_YAML = """\
title: T
language: en-GB
publisher: P
date: 2020-01-01
identifiers: {uid: "urn:x"}
rights: R
series: {name: S, description: D}
"""

HEAD = """\
id: jane-doe
interviewee: {name: Jane Doe, role: Director}
date: 2020-07-22
source: {publisher: ILO}
questions:
"""  # the first question is on line 6
FILE = "content/interviews/jane-doe.yaml"


@pytest.fixture
def book_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    content = tmp_path / "content"
    (content / "interviews").mkdir(parents=True)
    (content / "images").mkdir()
    (content / "book.yaml").write_text(BOOK_YAML, encoding="utf-8")
    return content


def lint(content: Path, body: str, *, extra: dict[str, str] | None = None) -> list[str]:
    (content / "interviews" / "jane-doe.yaml").write_text(HEAD + body, encoding="utf-8")
    for name, text in (extra or {}).items():
        (content / "interviews" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return [p.format() for p in lint_book(load_book(Path("content")))]


def test_the_real_book_has_no_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    problems = lint_book(load_book(Path("content")))
    assert [p.format() for p in problems if p.severity == "error"] == []


def test_clean_text_has_no_problems(book_dir: Path) -> None:
    assert lint(book_dir, '  - q: "Why?"\n    a: |\n      It’s “fine”.  Really.\n') == []


def test_lines_inside_block_scalars_are_exact(book_dir: Path) -> None:
    body = (
        '  - q: "First?"\n'  # 6
        "    a: |\n"  # 7
        "      One.\n"  # 8
        "\n"  # 9
        "      - a list item\n"  # 10
        "        continued with  two spaces\n"  # 11
        "  - q: Second  question?\n"  # 12
        "    a: |-\n"  # 13
        "\n"  # 14
        "      Text.\n"  # 15
        "\n"  # 16
        "          Indented  code is not checked.\n"  # 17
        "\n"  # 18
        "      > quoted  text\n"  # 19
        "closing: |\n"  # 20
        "  Bye.\n"  # 21
        "  Last  words.\n"  # 22
    )
    assert lint(book_dir, body) == [
        f"{FILE}:11:23: warning: double space inside a sentence (ntinued with  two spaces)",
        f"{FILE}:12:14: warning: double space inside a sentence (Second  question?)",
        f"{FILE}:19:15: warning: double space inside a sentence (> quoted  text)",
        f"{FILE}:22:7: warning: double space inside a sentence (Last  words.)",
    ]


def test_folded_and_quoted_values_are_located_by_their_text(book_dir: Path) -> None:
    body = (
        '  - q: "Is it  so?"\n'  # 6
        "    a: >\n"  # 7
        "      Folded text,\n"  # 8
        "      and  more.\n"  # 9
    )
    assert lint(book_dir, body) == [
        f"{FILE}:6:14: warning: double space inside a sentence (Is it  so?)",
        f"{FILE}:9:10: warning: double space inside a sentence (ed text, and  more.)",
    ]


def test_straight_quotes_only_when_curly_quotes_are_used(book_dir: Path) -> None:
    curly = '  - q: "Why?"\n    a: |\n      It’s fine, but it\'s not "quite".\n'
    assert lint(book_dir, curly) == [
        f"{FILE}:8:24: warning: straight quote in text that uses curly quotes (fine, but it's not \"quite); "
        "use ’ for an apostrophe and “ ” for a quotation",
        f"{FILE}:8:31: warning: straight quote in text that uses curly quotes (ut it's not \"quite\".); "
        "use ’ for an apostrophe and “ ” for a quotation",
        f"{FILE}:8:37: warning: straight quote in text that uses curly quotes (s not \"quite\".); "
        "use ’ for an apostrophe and “ ” for a quotation",
    ]
    straight_only = '  - q: "Why?"\n    a: |\n      It\'s "fine" and `code’s` fine.\n'
    assert lint(book_dir, straight_only) == []


def test_straight_quotes_in_code_links_and_attributes_are_ignored(book_dir: Path) -> None:
    body = ("  - q: \"Why?\"\n    a: |\n      It’s `it's` and [ILO's]{.programme ref=x} "
            "[x](https://e.org/?a='b')\n")
    assert lint(book_dir, body) == [
        f"{FILE}:8:27: warning: straight quote in text that uses curly quotes ('s` and [ILO's]{{.programm); "
        "use ’ for an apostrophe and “ ” for a quotation",
    ]


def test_double_space_between_sentences_is_not_reported(book_dir: Path) -> None:
    body = '  - q: "Why?"\n    a: |\n      One.  Two!  “Three.”  (Four?)  Five  six.\n'
    assert lint(book_dir, body) == [f"{FILE}:8:42: warning: double space inside a sentence (Four?)  Five  six.)"]


def test_footnotes(book_dir: Path) -> None:
    body = (
        '  - q: "Why?"\n'  # 6
        "    a: |\n"  # 7
        "      Defined[^1], twice[^1] and missing[^gone].\n"  # 8
        "\n"  # 9
        "      [^1]: A note.\n"  # 10
        "      [^spare]: Never used.\n"  # 11
        "closing: |\n"  # 12
        "  Notes are per text[^1].\n"  # 13
    )
    assert lint(book_dir, body) == [
        f"{FILE}:8:41: error: footnote referenced but not defined ([^gone]); "
        "add a line '[^gone]: ...' to the same text",
        f"{FILE}:11:7: error: footnote defined but never referenced ([^spare]); refer to it with [^spare] or delete it",
        f"{FILE}:13:21: error: footnote referenced but not defined ([^1]); add a line '[^1]: ...' to the same text",
    ]


def test_internal_links(book_dir: Path) -> None:
    other = HEAD.replace("jane-doe", "john-roe").replace("Jane Doe", "John Roe") + '  - q: "Q?"\n    a: "A."\n'
    (book_dir / "book.yaml").write_text(BOOK_YAML + "order: [jane-doe, john-roe]\n", encoding="utf-8")
    body = (
        '  - q: "Why?"\n'  # 6
        "    a: |\n"  # 7
        "      See [him](#interview-john-roe), [his answer](#q-john-roe-1), [note](#fn-jane-doe-a1-1)[^n] "  # 8
        "and [intro](#introduction).\n"
        "      Not [this](#q-john-roe-2), [that](#nobody), [him](#john-roe) or [ref][r].\n"  # 9
        "\n"  # 10
        "      [^n]: Note.\n"  # 11
        "\n"  # 12
        "      [r]: #missing\n"  # 13
    )
    assert lint(book_dir, body, extra={"john-roe": other}) == [
        f"{FILE}:9:18: error: link target is not an id in the book (#q-john-roe-2); "
        "link to #interview-<id>, #q-<id>-<n> (from 1) or a footnote",
        f"{FILE}:9:41: error: link target is not an id in the book (#nobody); "
        "link to #interview-<id>, #q-<id>-<n> (from 1) or a footnote",
        f"{FILE}:9:57: error: link target is not an id in the book (#john-roe); did you mean #interview-john-roe?",
        f"{FILE}:13:12: error: link target is not an id in the book (#missing); "
        "link to #interview-<id>, #q-<id>-<n> (from 1) or a footnote",
    ]


def test_anchor_ids(book_dir: Path) -> None:
    lint(book_dir, '  - q: "Why?"\n    a: "A[^x] b[^x]\\n\\n[^x]: N"\n  - q: "Again?"\n    a: "B"\n')
    assert anchor_ids(load_book(Path("content"))) == {
        "contents", "introduction", "copyright", "interview-jane-doe", "q-jane-doe-1", "q-jane-doe-2",
        "fn-jane-doe-a1-1", "fnref-jane-doe-a1-1", "fnref-jane-doe-a1-1-1",
    }


def test_images(book_dir: Path) -> None:
    (book_dir / "images" / "here.png").write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg=="))
    body = (
        '  - q: "Why?"\n'  # 6
        "    a: |\n"  # 7
        "      ![A map](images/here.png) ![](images/here.png)\n"  # 8
        "      ![Gone](images/gone.png) ![Remote](https://e.org/x.png) ![Up](../x.png)\n"  # 9
    )
    assert lint(book_dir, body) == [
        f"{FILE}:8:37: warning: image has no alt text (images/here.png); "
        "describe the image for readers who cannot see it: ![description](...)",
        f"{FILE}:9:15: error: image file not found (images/gone.png); expected content/images/gone.png",
        f"{FILE}:9:42: error: remote images are not allowed; nothing is downloaded (https://e.org/x.png); "
        "save the image in images/ and refer to it as images/<file>",
        f"{FILE}:9:69: error: image must be a file in images/ (../x.png)",
    ]


def test_unsafe_links(book_dir: Path) -> None:
    body = (
        '  - q: "Why?"\n'  # 6
        "    a: |\n"  # 7
        "      [a](javascript:alert(1)) [b](data:text/html,x) <file:///etc/passwd>\n"  # 8
        "      [ok](https://ilo.org) [mail](mailto:a@b.org) [c](JAVASCRIPT:x)\n"  # 9
    )
    assert lint(book_dir, body) == [
        f"{FILE}:8:11: error: link is dropped as unsafe (javascript:alert(1)); "
        "only http(s), mailto and #id links are kept",
        f"{FILE}:8:36: error: link is dropped as unsafe (data:text/html,x); "
        "only http(s), mailto and #id links are kept",
        f"{FILE}:8:55: error: link is dropped as unsafe (file:///etc/passwd); "
        "only http(s), mailto and #id links are kept",
        f"{FILE}:9:56: error: link is dropped as unsafe (JAVASCRIPT:x); only http(s), mailto and #id links are kept",
    ]


def test_raw_html(book_dir: Path) -> None:
    body = (
        '  - q: "Why <em>me</em>?"\n'  # 6
        "    a: |\n"  # 7
        "      Some <b>bold</b> and `<code>` and 3 < 4 > 2.\n"  # 8
        "\n"  # 9
        "      <div class=\"x\">\n"  # 10
        "      block\n"  # 11
        "      </div>\n"  # 12
        "\n"  # 13
        "      <!-- a comment -->\n"  # 14
    )
    assert lint(book_dir, body) == [
        f"{FILE}:6:13: warning: raw HTML is not allowed; it is printed as text (<em>)",
        f"{FILE}:6:19: warning: raw HTML is not allowed; it is printed as text (</em>)",
        f"{FILE}:8:12: warning: raw HTML is not allowed; it is printed as text (<b>)",
        f"{FILE}:8:19: warning: raw HTML is not allowed; it is printed as text (</b>)",
        f"{FILE}:10:7: warning: raw HTML is not allowed; it is printed as text (<div class=\"x\">)",
        f"{FILE}:14:7: warning: raw HTML is not allowed; it is printed as text (<!-- a comment -->)",
    ]


def test_problems_are_sorted_and_cover_every_interview(book_dir: Path) -> None:
    other = HEAD.replace("jane-doe", "john-roe").replace("Jane Doe", "John Roe") + (
        '  - q: "Q?"\n    a: |\n      A  b.\n')
    (book_dir / "book.yaml").write_text(BOOK_YAML + "order: [john-roe, jane-doe]\n", encoding="utf-8")
    found = lint(book_dir, '  - q: "Why?"\n    a: |\n      C  d.\n', extra={"john-roe": other})
    assert found == [
        f"{FILE}:8:8: warning: double space inside a sentence (C  d.)",
        "content/interviews/john-roe.yaml:8:8: warning: double space inside a sentence (A  b.)",
    ]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=" \n\t'\"’“*_[]()#!<>^:-./abc`{}=\\", min_size=1).filter(lambda t: t.strip()))
def test_any_markdown_is_linted_without_crashing_and_located_in_the_file(answer: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        (content / "interviews").mkdir(parents=True)
        (content / "book.yaml").write_text(BOOK_YAML, encoding="utf-8")
        text = HEAD + f'  - q: "Why?"\n    a: {yaml_block(answer, 6)}\n'
        path = content / "interviews" / "jane-doe.yaml"
        path.write_text(text, encoding="utf-8")
        lines = text.split("\n")
        for problem in lint_book(load_book(content)):
            assert problem.location.path == display_path(path)
            assert 6 <= problem.location.line <= len(lines)
            assert 1 <= problem.location.col <= len(lines[problem.location.line - 1]) + 1


@pytest.mark.parametrize("target", ["pdf", "epub"])
def test_anchor_ids_are_the_ids_the_renderer_writes(book_dir: Path, target: str) -> None:
    lint(book_dir, '  - q: "Why[^q]?\\n\\n[^q]: Q."\n    a: "A[^x] b[^x] c[^y]\\n\\n[^x]: N\\n\\n[^y]: M"\n'
                   '  - q: "Again?"\n    a: "B[^z]\\n\\n[^z]: O"\nclosing: "C[^w]\\n\\n[^w]: P"\n')
    book = load_book(Path("content"))
    rendered = interview_fragments(book.interviews[0])[target]  # type: ignore[index]
    html = " ".join(str(part) for q in rendered.questions for part in (q.question_html, q.answer_html))
    html += str(rendered.closing_html)
    written = {rendered.anchor, *(q.anchor for q in rendered.questions), *re.findall(r'\bid="([^"]+)"', html)}
    assert written <= anchor_ids(book)
    assert {i for i in written if i.startswith("fn-")} == {i for i in anchor_ids(book) if i.startswith("fn-")}
    assert lint_book(book)[0].format() == (
        f"{FILE}:6:12: error: footnotes are not supported in questions ([^q]); move the note into the answer")
