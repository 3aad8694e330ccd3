"""The authority registry: loading, validation with located problems, countries, interviewees, terms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from coopbook.errors import Problems
from coopbook.source.book import Interview, Interviewee, Question, Source, load_book
from coopbook.source.registry import Entry, Registry, apostrophe_variants, countries, invert_name
from coopbook.source.registryfiles import load_registry

from makers import load_registry_files as load

REPO = Path(__file__).resolve().parents[2]


def interview(ident: str, name: str, person: str | None = None) -> Interview:
    """A minimal valid interview."""
    return Interview(id=ident, interviewee=Interviewee(name=name, role="Officer", person=person),
                     date=dt.date(2020, 7, 22), source=Source(publisher="ILO"),
                     questions=(Question(q="Why?", a="Because."),))


def test_entries_load_with_keys_and_index_terms(here: Path) -> None:
    registry, problems = load(here, people="""
        - id: jurgen-von-muralt
          name: Jürgen von Muralt
          sort_as: Muralt, Jürgen von
        - id: ana-perez
          name: Ana Pérez Muñoz
        """, programmes="""
        - id: acopam
          name: ACOPAM
          aliases: [ILO/ACOPAM]
          description: A programme.
          see_also: [coopnet]
        - id: coopnet
          name: COOPNET
        """)
    assert problems == []
    muralt = registry.get("person:jurgen-von-muralt")
    assert muralt is not None and muralt.key == "person:jurgen-von-muralt"
    assert muralt.index_term == "Muralt, Jürgen von"
    assert registry.get("person:ana-perez").index_term == "Muñoz, Ana Pérez"  # type: ignore[union-attr]
    acopam = registry.get("programme:acopam")
    assert acopam == Entry("programme", "acopam", "ACOPAM", None, ("ILO/ACOPAM",), "A programme.",
                           (), ("programme:coopnet",), None)
    assert acopam.index_term == "ACOPAM"
    assert ("ILO/ACOPAM", "programme:acopam") in registry.terms()


def test_invert_name() -> None:
    assert invert_name("Alexandre Soho") == "Soho, Alexandre"
    assert invert_name("Ana María Pérez") == "Pérez, Ana María"
    assert invert_name("Madonna") == "Madonna"


def test_missing_registry_files_give_countries_and_interviewees_only(here: Path) -> None:
    registry, problems = load(here, (interview("ana", "Ana Pérez"), interview("bo", "Bo Li", person="bo-li")))
    assert problems == []
    assert registry.get("person:ana").name == "Ana Pérez"  # type: ignore[union-attr]
    assert registry.get("person:bo-li").index_term == "Li, Bo"  # type: ignore[union-attr]
    assert registry.get("country:cm").name == "Cameroon"  # type: ignore[union-attr]


def test_people_yaml_wins_over_the_interviewee(here: Path) -> None:
    registry, problems = load(here, (interview("ana", "Ana Pérez"),), people="""
        - id: ana
          name: Ana Pérez
          sort_as: Pérez, Ana
          description: Cooperative leader.
        """)
    assert problems == []
    assert registry.get("person:ana").description == "Cooperative leader."  # type: ignore[union-attr]


def test_validation_problems_are_all_reported_with_exact_locations(here: Path) -> None:
    _, problems = load(here, people="""
        - id: ana-perez
          name: Ana Pérez
        - id: ana-perez
          name: Another Ana
        - id: blank
          name: "  "
        - id: carl-doe
          name: Carl Doe
          colour: red
        - id: dora-diaz
          name: Dora Díaz
          aliases: [Ana Pérez, Niger]
          see: [nobody, "programme:coop"]
          see_also: [ana-perez, "country:zz"]
        - id: eve
          name: ""
        """, places="""
        - country: XX
          aliases: [Nowhere]
        - country: NO
          aliases: [Norge]
        - id: dakar
          name: Dakar
          country: sn
        - id: thies
          country: SN
        """, programmes="""
        - id: coop
          name: COOP
          aliases: [Dakar]
        """)
    assert problems == [
        "content/registry/places.yaml:1:12: error: unknown country code (expected ISO 3166 alpha-2, e.g. SN) (XX)",
        "content/registry/places.yaml:3:12: error: country: YAML read this code as true/false (False); "
        'put the code in quotes, e.g. country: "NO"',
        "content/registry/places.yaml:8:3: error: a place needs a 'name' (thies)",
        "content/registry/people.yaml:3:7: error: duplicate id (ana-perez); "
        "first defined at content/registry/people.yaml:1:3",
        "content/registry/people.yaml:6:9: error: name: must not be empty (  )",
        "content/registry/people.yaml:9:3: error: unknown field 'colour'",
        "content/registry/people.yaml:12:13: error: alias already used by person:ana-perez (Ana Pérez); "
        "person:ana-perez is defined at content/registry/people.yaml:1:3",
        "content/registry/people.yaml:12:24: error: alias already used by country:ne (Niger); "
        "country:ne is built in",
        "content/registry/people.yaml:16:9: error: name: must not be empty",
        "content/registry/programmes.yaml:3:13: error: alias already used by place:dakar (Dakar); "
        "place:dakar is defined at content/registry/places.yaml:5:3",
        "content/registry/people.yaml:13:9: error: see names an unknown entry (nobody); write kind:id "
        "(person, country, place, programme, organisation) or an id of the same kind",
        "content/registry/people.yaml:14:25: error: see_also names an unknown entry (country:zz); write kind:id "
        "(person, country, place, programme, organisation) or an id of the same kind",
    ]


def test_a_name_claimed_twice_is_an_error(here: Path) -> None:
    _, problems = load(here, organisations="""
        - id: undp
          name: UNDP
        - id: undp-2
          name: UNDP
        """)
    assert problems == ["content/registry/organisations.yaml:4:9: error: name already used by organisation:undp "
                        "(UNDP); organisation:undp is defined at content/registry/organisations.yaml:1:3"]


def test_apostrophe_spellings_count_as_the_same_string(here: Path) -> None:
    _, problems = load(here, organisations="""
        - id: union
          name: Farmers' Union
        - id: union-2
          name: Farmers’ Union
        """)
    assert len(problems) == 1 and "name already used by organisation:union" in problems[0]


def test_registry_file_must_be_a_list(here: Path) -> None:
    _, problems = load(here, people="id: ana\nname: Ana\n")
    assert problems == ["content/registry/people.yaml:1:1: error: expected a list of entries "
                        "(each line starting with '- ')"]


def test_places_add_aliases_to_countries_and_define_sub_entries(here: Path) -> None:
    registry, problems = load(here, places="""
        - country: PH
          aliases: [the Philippines]
        - id: yaounde
          name: Yaoundé
          country: CM
          aliases: [Yaounde]
        """)
    assert problems == []
    assert "the Philippines" in registry.get("country:ph").aliases  # type: ignore[union-attr]
    yaounde = registry.get("place:yaounde")
    assert yaounde is not None and yaounde.kind == "place" and yaounde.parent == "country:cm"
    assert registry.children("country:cm") == (yaounde,)


def test_country_listed_twice_in_places(here: Path) -> None:
    _, problems = load(here, places="""
        - country: PH
          aliases: [the Philippines]
        - country: ph
          aliases: [Pilipinas]
        """)
    assert problems == ["content/registry/places.yaml:3:12: error: country listed twice in places.yaml (ph); "
                        "first listed at content/registry/places.yaml:1:12"]


def test_interviewee_name_claimed_by_another_entry(here: Path) -> None:
    _, problems = load(here, (interview("chad-x", "Chad"),))
    assert problems == ["content/interviews/chad-x.yaml: error: interviewee name already used by country:td "
                        "(Chad); add 'chad-x' to registry/people.yaml, or mark the other entry"]


def test_countries_have_readable_names_and_aliases() -> None:
    by_key = {c.key: c for c in countries()}
    assert len(by_key) == 249
    assert by_key["country:kr"].name == "Republic of Korea"
    assert "South Korea" in by_key["country:kr"].surfaces_in("en")
    assert by_key["country:ps"].name == "Palestine"
    assert by_key["country:cd"].name == "Democratic Republic of the Congo"
    assert by_key["country:ci"].name == "Côte d’Ivoire"
    assert by_key["country:bo"].name == "Bolivia"
    assert by_key["country:ir"].name == "Iran"
    assert by_key["country:tz"].name == "Tanzania"
    assert by_key["country:tr"].name == "Türkiye"
    assert "Republic of Cameroon" in by_key["country:cm"].surfaces_in("en")
    assert not [c for c in countries() for s in c.surfaces if ", " in s and c.id not in ("bq", "sh")]


def test_no_two_countries_share_a_term() -> None:
    owners: dict[str, str] = {}
    for country in countries():
        for surface in country.surfaces:
            assert owners.setdefault(surface.replace("’", "'"), country.key) == country.key, surface


def test_terms_cover_both_apostrophes_and_skip_noindex() -> None:
    registry = Registry.build([
        Entry("country", "ci", "Côte d’Ivoire", aliases=("Ivory Coast",)),
        Entry("organisation", "x", "Farmers' Union"),
        Entry("organisation", "y", "Hidden", noindex=True),
    ])
    terms = set(registry.terms())
    assert {("Côte d’Ivoire", "country:ci"), ("Côte d'Ivoire", "country:ci"), ("Ivory Coast", "country:ci"),
            ("Farmers' Union", "organisation:x"), ("Farmers’ Union", "organisation:x")} == terms
    assert ("Hidden", "organisation:y") in registry.known_terms()
    assert apostrophe_variants("plain") == ("plain",)


def test_resolve_and_canonical() -> None:
    registry = Registry.build([
        Entry("country", "cm", "Cameroon"),
        Entry("programme", "unit", "Cooperatives Unit", see=("programme:coop",)),
        Entry("programme", "coop", "ILO COOP"),
    ])
    assert registry.resolve("CM", "country") is registry.get("country:cm")
    assert registry.resolve("country:CM") is registry.get("country:cm")
    assert registry.resolve("coop", "programme") is registry.get("programme:coop")
    assert registry.resolve("coop", "person") is None
    assert registry.resolve("nokind:coop") is None
    assert registry.canonical("programme:unit") == "programme:coop"
    assert registry.canonical("country:cm") == "country:cm"


def test_real_registry_is_valid_and_has_the_book_s_entries() -> None:
    book = load_book(REPO / "content")
    problems = Problems()
    registry = load_registry(REPO / "content", book.interviews, problems)
    assert [p.format() for p in problems.items] == []
    for key in ("programme:acopam", "programme:coopreform", "programme:coopnet", "programme:curor",
                "programme:ilo-coop", "programme:ilo-coop-100", "programme:cooperative-promotion-project",
                "programme:recommendation-193", "programme:declaration-future-of-work",
                "organisation:sowefcu", "organisation:gtz", "organisation:usaid", "organisation:undp",
                "organisation:european-development-fund", "organisation:coop-mut",
                "place:dakar", "place:yaounde", "person:alexandre-soho"):
        assert registry.get(key) is not None, key
    assert registry.get("place:dakar").parent == "country:sn"  # type: ignore[union-attr]
    assert {"ILO", "SSE", "CTA", "IEC", "COVID-19"} <= registry.ignore
    assert "Turkey" in registry.get("country:tr").aliases  # type: ignore[union-attr]
    assert "Ivory Coast" in registry.get("country:ci").aliases  # type: ignore[union-attr]
    assert "Occupied Palestinian Territory" in registry.get("country:ps").aliases  # type: ignore[union-attr]
    for entry in registry:
        if entry.kind != "country":
            assert entry.description or entry.see or entry.kind == "person", entry.key
