"""`coopbook new`: a valid interview file from the template, a free id, and an optional entry in book.yaml order."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from coopbook.editorial.scaffold import (
    ScaffoldError,
    add_to_order,
    new_interview,
    slugify,
    yaml_block,
    yaml_quoted,
    yaml_scalar,
)
from coopbook.errors import Problems
from coopbook.source.book import Interview, load_book
from coopbook.source.schema import validate
from coopbook.source.yamlreader import parse_yaml

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 29)


def load_interview(path: Path) -> Interview:
    problems = Problems()
    doc = parse_yaml(path.read_text(encoding="utf-8"), path.name, problems)
    assert doc is not None, [p.format() for p in problems.items]
    interview = validate(doc, Interview, problems)
    assert problems.items == [], [p.format() for p in problems.items]
    assert interview is not None
    return interview


@pytest.mark.parametrize(("name", "slug"), [
    ("Jane Doe", "jane-doe"),
    ("Jürgen von Muralt", "jurgen-von-muralt"),
    ("  Côte  d’Ivoire  ", "cote-d-ivoire"),
    ("Søren Åberg-Łukasz", "soren-aberg-lukasz"),
    ("Straße Æsir", "strasse-aesir"),
    ("Dr. J. R. R. Tolkien (ed.)", "dr-j-r-r-tolkien-ed"),
    ("李小龙", ""),
    ("x" * 100, "x" * 80),
])
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize(("title", "stem"), [
    ("Économie sociale: Coopératives", "economie-sociale-cooperatives"),
    ("Jürgen’s Straße", "jurgen-s-strasse"),
    ("李小龙", "book"),
])
def test_output_file_names_and_interview_ids_share_one_slugifier(repo: Path, tmp_path: Path, title: str,
                                                                  stem: str) -> None:
    content = tmp_path / "mini"
    shutil.copytree(repo / "tests" / "books" / "mini", content)
    book_yaml = content / "book.yaml"
    text = book_yaml.read_text(encoding="utf-8").replace("title: Test Anthology\n", f"title: '{title}'\n")
    book_yaml.write_text(text.replace("slug: test-anthology\n", ""), encoding="utf-8")
    config = load_book(content).config
    assert config.output_slug == stem  # accents dropped, as in an interview id, not the letters themselves
    assert config.output_slug == (slugify(title) or "book")


def test_new_interview_is_a_valid_interview(tmp_path: Path) -> None:
    path = new_interview(tmp_path, "Jane Doe", today=TODAY)
    assert path == tmp_path / "interviews" / "jane-doe.yaml"
    interview = load_interview(path)
    assert interview.id == "jane-doe"
    assert interview.interviewee.name == "Jane Doe"
    assert interview.date == TODAY
    assert len(interview.questions) == 1
    text = path.read_text(encoding="utf-8")
    assert "TODO" in interview.interviewee.role and "TODO" in interview.questions[0].q
    assert text.startswith("# Interview with Jane Doe, created by coopbook new on 2026-11-29.\n")


def test_ids_increment_and_nothing_is_overwritten(tmp_path: Path) -> None:
    first = new_interview(tmp_path, "Jane Doe", today=TODAY)
    first.write_text("hand edited\n", encoding="utf-8")
    second = new_interview(tmp_path, "Jane  Doe", today=TODAY)
    third = new_interview(tmp_path, "jane doe", today=TODAY)
    assert [first.name, second.name, third.name] == ["jane-doe.yaml", "jane-doe-2.yaml", "jane-doe-3.yaml"]
    assert first.read_text(encoding="utf-8") == "hand edited\n"
    assert load_interview(second).id == "jane-doe-2"
    assert load_interview(second).interviewee.name == "Jane Doe"
    assert load_interview(third).id == "jane-doe-3"
    assert sorted(p.name for p in (tmp_path / "interviews").iterdir()) == [
        "jane-doe-2.yaml", "jane-doe-3.yaml", "jane-doe.yaml"]


def test_accented_and_awkward_names(tmp_path: Path) -> None:
    path = new_interview(tmp_path, "Jürgen von Muralt", today=TODAY)
    assert path.name == "jurgen-von-muralt.yaml"
    assert load_interview(path).interviewee.name == "Jürgen von Muralt"
    awkward = new_interview(tmp_path, 'O\'Neil: "the #1" & *co*', today=TODAY)
    assert load_interview(awkward).interviewee.name == 'O\'Neil: "the #1" & *co*'


def test_a_name_without_latin_letters_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError) as caught:
        new_interview(tmp_path, "李小龙", today=TODAY)
    assert [p.format() for p in caught.value.problems] == [
        "<command line>: error: cannot make an id from this name (李小龙); use a name with Latin letters or digits"
    ]


def test_new_does_not_touch_book_yaml(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    before = (content / "book.yaml").read_bytes()
    new_interview(content, "Jane Doe", today=TODAY)
    assert (content / "book.yaml").read_bytes() == before


def test_add_to_order_keeps_comments_and_layout(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    book = content / "book.yaml"
    before = book.read_text(encoding="utf-8")
    new_interview(content, "Jane Doe", today=TODAY)
    assert add_to_order(book, "jane-doe") is True
    assert book.read_text(encoding="utf-8") == before.replace(
        "order:\n  - alexandre-soho\n", "order:\n  - alexandre-soho\n  - jane-doe\n")
    assert add_to_order(book, "jane-doe") is False  # already listed
    assert [i.id for i in load_book(content).interviews] == ["alexandre-soho", "jane-doe"]


def test_add_to_order_after_comments_and_to_a_flow_list(tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text("title: T\norder:  # reading order\n- a   # first\n# - b\n\n# print\nprint: {}\n", encoding="utf-8")
    assert add_to_order(book, "c") is True
    assert book.read_text(encoding="utf-8") == (
        "title: T\norder:  # reading order\n- a   # first\n- c\n# - b\n\n# print\nprint: {}\n")
    book.write_text("order: [a, b]  # comment\n", encoding="utf-8")
    assert add_to_order(book, "c") is True
    assert book.read_text(encoding="utf-8") == "order: [a, b, c]  # comment\n"
    book.write_text("order: []\n", encoding="utf-8")
    assert add_to_order(book, "c") is True
    assert yaml.safe_load(book.read_text(encoding="utf-8")) == {"order": ["c"]}


@pytest.mark.parametrize("text", ["title: T\n", "title: T\norder:\n", "title: T\n# order:\n#   - a\n", "[1, 2]\n"])
def test_add_to_order_without_an_order_list_does_nothing(tmp_path: Path, text: str) -> None:
    book = tmp_path / "book.yaml"
    book.write_text(text, encoding="utf-8")
    assert add_to_order(book, "c") is False
    assert book.read_text(encoding="utf-8") == text


@given(st.text())
def test_yaml_quoted_loads_back_unchanged(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_quoted(value)}\n") == {"k": value}


@given(st.text())
def test_yaml_scalar_loads_back_unchanged(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_scalar(value)}\n") == {"k": value}


@given(st.text())
def test_yaml_block_loads_back_unchanged(value: str) -> None:
    assert yaml.safe_load(f"k:\n  - a: {yaml_block(value, 6)}\n") == {"k": [{"a": value}]}


def test_yaml_block_is_a_literal_block_for_ordinary_text() -> None:
    assert yaml_block("One.\n\n- two\n- three\n", 4) == "|\n    One.\n\n    - two\n    - three"
    assert yaml_block("No newline", 2) == "|-\n  No newline"
    assert yaml_block(" leading space", 2) == '" leading space"'
    assert yaml_scalar("Alexandre Soho") == "Alexandre Soho"
    assert yaml_scalar("2020-07-22") == '"2020-07-22"'
    assert yaml_scalar("yes") == '"yes"'


def test_no_overwrite_also_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr("coopbook.editorial.scaffold.os.link", no_links)
    first = new_interview(tmp_path, "Jane Doe", today=TODAY)
    second = new_interview(tmp_path, "Jane Doe", today=TODAY)
    assert (first.name, second.name) == ("jane-doe.yaml", "jane-doe-2.yaml")
    assert load_interview(first).id == "jane-doe"
    assert sorted(p.name for p in first.parent.iterdir()) == ["jane-doe-2.yaml", "jane-doe.yaml"]
