"""The index model: sections, collation, letters, page ranges, interview locators, cross-references."""

from __future__ import annotations

from pathlib import Path

import pytest

from coopbook.errors import Location, Problems
from coopbook.index.model import (
    CrossRef,
    Index,
    IndexEntry,
    Locator,
    build_index,
    index_as_text,
    letter_of,
    page_locators,
)
from coopbook.markdown.mentions import InterviewTagger, Matcher, Mention
from coopbook.source.book import load_book
from coopbook.source.registry import Registry
from coopbook.source.registryfiles import load_registry

from markdown_oracle import to_html

REPO = Path(__file__).resolve().parents[2]
ALL = ("people", "countries", "programmes", "organisations")

PEOPLE = """
- id: jurgen-von-muralt
  name: Jürgen von Muralt
  sort_as: Muralt, Jürgen von
- id: hagen-henry
  name: Hagen Henrÿ
- id: ana-ornek
  name: Ana Örnek
- id: colombia-perez
  name: Colombia Pérez Muñoz
  sort_as: Pérez Muñoz, Colombia
- id: mary-oz
  name: Mary Oz
- id: pat-henry
  name: Pat Henry
- id: zed-adams
  name: Zed Adams
"""
PROGRAMMES = """
- id: coop
  name: ILO COOP
  see_also: [acopam]
- id: unit
  name: Cooperatives Unit
  see: [coop]
- id: acopam
  name: ACOPAM
- id: r193
  name: 2002 Recommendation
"""
PLACES = """
- country: PH
  aliases: [the Philippines]
- id: dakar
  name: Dakar
  country: SN
- id: thies
  name: Thiès
  country: SN
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A small registry written to a temporary content folder."""
    root = tmp_path_factory.mktemp("content")
    (root / "registry").mkdir()
    for name, text in (("people", PEOPLE), ("programmes", PROGRAMMES), ("places", PLACES)):
        (root / "registry" / f"{name}.yaml").write_text(text, encoding="utf-8")
    problems = Problems()
    loaded = load_registry(root, (), problems)
    assert problems.items == []
    return loaded


def mentions(*items: tuple[str, str]) -> list[Mention]:
    """Mentions (interview, key) in book order, numbered per interview."""
    result = []
    counts: dict[str, int] = {}
    for interview, key in items:
        counts[interview] = counts.get(interview, 0) + 1
        result.append(Mention(f"m-{interview}-{counts[interview]}", key, interview, key, False, Location("x")))
    return result


def terms(index: Index, section: str) -> list[tuple[str, str]]:
    """(letter, term) of every top-level entry of a section."""
    [found] = [s for s in index.sections if s.name == section]
    return [(g.letter, e.term) for g in found.groups for e in g.entries]


def test_collation_ignores_accents_and_case_and_uses_sort_as(registry: Registry) -> None:
    keys = ["person:jurgen-von-muralt", "person:hagen-henry", "person:ana-ornek", "person:colombia-perez",
            "person:mary-oz", "person:pat-henry", "person:zed-adams"]
    index = build_index(registry, mentions(*[("a", k) for k in keys]), ["people"], short_titles={"a": "A"})
    assert terms(index, "people") == [
        ("A", "Adams, Zed"), ("H", "Henrÿ, Hagen"), ("H", "Henry, Pat"), ("M", "Muralt, Jürgen von"),
        ("O", "Örnek, Ana"), ("O", "Oz, Mary"), ("P", "Pérez Muñoz, Colombia"),
    ]
    assert [s.title for s in index.sections] == ["People"]


def test_countries_file_under_their_name_and_places_under_their_country(registry: Registry) -> None:
    found = mentions(("a", "country:ph"), ("a", "country:ci"), ("a", "place:dakar"), ("a", "country:cm"),
                     ("b", "place:thies"), ("b", "country:ph"), ("b", "country:tr"))
    index = build_index(registry, found, ["countries"], short_titles={"a": "Soho", "b": "Kamdem"})
    assert terms(index, "countries") == [("C", "Cameroon"), ("C", "Côte d’Ivoire"), ("P", "Philippines"),
                                         ("S", "Senegal"), ("T", "Türkiye")]
    senegal = index.sections[0].groups[2].entries[0]
    assert senegal.locators == ()
    assert [(s.term, [loc.label for loc in s.locators]) for s in senegal.subentries] == [
        ("Dakar", ["Soho"]), ("Thiès", ["Kamdem"])]
    philippines = index.sections[0].groups[1].entries[0]
    assert philippines.locators == (Locator(None, None, "m-a-1", None, "Soho"),
                                    Locator(None, None, "m-b-2", None, "Kamdem"))


def test_only_mentioned_entries_are_listed_with_see_references(registry: Registry) -> None:
    index = build_index(registry, mentions(("a", "programme:coop"), ("a", "programme:unit")), ALL,
                        short_titles={"a": "Soho"})
    assert [s.name for s in index.sections] == list(ALL)
    assert [s.title for s in index.sections] == ["People", "Countries", "ILO programmes", "Organisations"]
    assert index.sections[0].is_empty and not index.sections[2].is_empty
    [c_group, i_group] = index.sections[2].groups
    assert c_group.entries == (IndexEntry("programme:unit", "Cooperatives Unit",
                                          see=(CrossRef("programme:coop", "ILO COOP"),)),)
    coop = i_group.entries[0]
    assert coop.term == "ILO COOP" and coop.see_also == ()  # ACOPAM is not listed, so no "see also"
    assert [loc.first_target for loc in coop.locators] == ["m-a-1"]  # the see entry's mention counts here


def test_see_also_when_the_target_is_listed(registry: Registry) -> None:
    index = build_index(registry, mentions(("a", "programme:coop"), ("a", "programme:acopam")), ["programmes"],
                        pages={"m-a-1": 3, "m-a-2": 4})
    assert index_as_text(index) == (
        "ILO programmes\n==============\n\nA\nACOPAM  4\n\n"
        "C\nCooperatives Unit, see ILO COOP\n\nI\nILO COOP  3. See also ACOPAM\n")


def test_page_ranges_collapse_and_link_both_ends() -> None:
    found = mentions(("a", "k"), ("a", "k"), ("a", "k"), ("a", "k"), ("a", "k"), ("b", "k"), ("b", "k"))
    pages = {"m-a-1": 1, "m-a-2": 2, "m-a-3": 2, "m-a-4": 3, "m-a-5": 5, "m-b-1": 5, "m-b-2": 12}
    assert page_locators(found, pages) == (
        Locator(1, 3, "m-a-1", "m-a-4", "1–3"),
        Locator(5, None, "m-a-5", None, "5"),
        Locator(12, None, "m-b-2", None, "12"),
    )
    assert page_locators(found, {}) == ()
    assert Locator(1, 3, "m-a-1", "m-a-4", "1–3").is_range


def test_pages_in_the_index_and_text_rendering(registry: Registry) -> None:
    found = mentions(("a", "country:cm"), ("a", "country:cm"), ("a", "place:dakar"), ("b", "country:cm"),
                     ("b", "person:zed-adams"), ("b", "country:cm"))
    pages = {"m-a-1": 12, "m-a-2": 15, "m-a-3": 15, "m-b-1": 16, "m-b-2": 16, "m-b-3": 17}
    index = build_index(registry, found, ["people", "countries"], pages=pages)
    cameroon = index.sections[1].groups[0].entries[0]
    assert [(loc.label, loc.first_target, loc.last_target) for loc in cameroon.locators] == [
        ("12", "m-a-1", None), ("15–17", "m-a-2", "m-b-3")]
    assert index_as_text(index) == (
        "People\n======\n\nA\nAdams, Zed  16\n\n"
        "Countries\n=========\n\nC\nCameroon  12, 15–17\n\nS\nSenegal\n    Dakar  15\n")


def test_letters_of_terms() -> None:
    assert [letter_of(t) for t in ("Côte d’Ivoire", "Örnek", "éclair", "Łódź", "Øresund", "2002 Recommendation",
                                   "(No. 193)", "")] == ["C", "O", "E", "L", "O", "#", "#", "#"]


def test_digits_group_under_hash(registry: Registry) -> None:
    index = build_index(registry, mentions(("a", "programme:r193"), ("a", "programme:acopam")), ["programmes"],
                        short_titles={"a": "Soho"})
    assert terms(index, "programmes") == [("#", "2002 Recommendation"), ("A", "ACOPAM")]


def test_unprinted_sections_and_unknown_keys_are_left_out(registry: Registry) -> None:
    index = build_index(registry, mentions(("a", "country:cm"), ("a", "person:nobody")), ["programmes"])
    assert index.sections[0].groups == ()
    with pytest.raises(ValueError):
        build_index(registry, [], ["places"])


def test_real_book_index() -> None:
    book = load_book(REPO / "content")
    problems = Problems()
    registry = load_registry(REPO / "content", book.interviews, problems)
    matcher = Matcher.from_registry(registry)
    found: list[Mention] = []
    for interview in book.interviews:
        tagger = InterviewTagger(matcher, registry, interview.id, problems)
        for question in interview.questions:
            to_html(question.a, interview.id, tagger)
        found += tagger.mentions
    titles = {i.id: i.short_title for i in book.interviews}
    index = build_index(registry, found, book.config.print.indexes, short_titles=titles)
    text = index_as_text(index)
    assert "Senegal\n    Dakar  Alexandre Soho\n" in text
    assert "Cameroon  Alexandre Soho\n    Yaoundé  Alexandre Soho\n" in text
    assert "\nP\nPhilippines  Alexandre Soho\n" in text
    assert "Côte d’Ivoire  Alexandre Soho" in text
    assert "CUROR  Alexandre Soho" in text
    assert "South West Farmers’ Cooperative Union  Alexandre Soho" in text
    pages = {m.id: 1 + n // 4 for n, m in enumerate(found)}
    paged = build_index(registry, found, book.config.print.indexes, pages=pages)
    for section in paged.sections:
        for group in section.groups:
            for entry in group.entries:
                for loc in entry.locators:
                    assert loc.first_target in pages and loc.first == pages[loc.first_target]
