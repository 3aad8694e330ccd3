"""Countries, programmes and organisations in every language: matching per interview language, headings in the
book's language, per-language aliases and names in the registry files, and the collision report."""

from __future__ import annotations

from pathlib import Path

import pytest

from coopbook.errors import Problems
from coopbook.markdown.mentions import Matcher
from coopbook.source.book import load_book
from coopbook.source.collisions import collisions, fold
from coopbook.source.countrynames import country_names
from coopbook.source.registry import Registry, countries
from coopbook.source.registryfiles import load_registry

from makers import load_registry_files as load

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "es", "fr", "it")


@pytest.fixture(scope="module")
def real() -> Registry:
    """The real registry (content/registry), with the book's interviewees."""
    problems = Problems()
    registry = load_registry(REPO / "content", load_book(REPO / "content").interviews, problems)
    assert [p.format() for p in problems.items] == []
    return registry


def found(registry: Registry, language: str, text: str) -> list[tuple[str, str]]:
    """(text as written, entry key) of every mention the language's matcher finds."""
    return [(m.text, registry.canonical(m.key)) for m in Matcher.for_language(registry, language).find(text)]


def keys(registry: Registry, language: str, text: str) -> list[str]:
    return [key for _, key in found(registry, language, text)]


def test_spanish_traps(real: Registry) -> None:
    text = ("Trabajamos en Níger, no en Nigeria; en la República Democrática del Congo y en el Congo; en Guinea "
            "Ecuatorial y en Guinea; en Nueva Zelanda y en Costa de Marfil.")
    assert found(real, "es", text) == [
        ("Níger", "country:ne"), ("Nigeria", "country:ng"), ("República Democrática del Congo", "country:cd"),
        ("Congo", "country:cg"), ("Guinea Ecuatorial", "country:gq"), ("Guinea", "country:gn"),
        ("Nueva Zelanda", "country:nz"), ("Costa de Marfil", "country:ci")]
    assert keys(real, "es", "Niger") == ["country:ne"]  # pycountry's Spanish spelling, without the accent


def test_french_and_italian_names(real: Registry) -> None:
    assert keys(real, "fr", "Au Cameroun, au Niger, en République démocratique du Congo, en Guinée équatoriale, "
                "en Nouvelle-Zélande et en Côte d’Ivoire.") == [
        "country:cm", "country:ne", "country:cd", "country:gq", "country:nz", "country:ci"]
    assert keys(real, "it", "In Camerun, in Niger, nella Repubblica democratica del Congo, in Nuova Zelanda e in "
                "Costa d'Avorio.") == ["country:cm", "country:ne", "country:cd", "country:nz", "country:ci"]


def test_a_name_matches_only_in_its_own_language(real: Registry) -> None:
    assert keys(real, "es", "Camerún") == ["country:cm"]
    assert keys(real, "fr", "Cameroun") == ["country:cm"]
    assert keys(real, "it", "Camerun") == ["country:cm"]
    assert keys(real, "en", "Cameroon") == ["country:cm"]
    for language, other in (("en", "Camerún"), ("es", "Cameroun"), ("fr", "Camerun"), ("it", "Cameroon"),
                            ("es", "Cameroon"), ("en", "Nueva Zelanda")):
        assert keys(real, language, other) == [], (language, other)


def test_case_and_accents(real: Registry) -> None:
    assert keys(real, "es", "CAMERÚN y NÍGER") == ["country:cm", "country:ne"]  # capitals match
    assert keys(real, "es", "camerún") == []  # a name with a capital initial needs one in the text
    assert keys(real, "es", "Camerun") == []  # accents are not folded: that is the Italian name
    assert keys(real, "fr", "Guinée Équatoriale et Guinée équatoriale") == ["country:gq", "country:gq"]


def test_aliases_without_a_language_match_in_every_language(real: Registry) -> None:
    for language in LANGUAGES:
        assert keys(real, language, "Ivory Coast") == ["country:ci"], language
    assert keys(real, "es", "Holanda y EE. UU.") == ["country:nl", "country:us"]  # places.yaml's es aliases
    assert keys(real, "fr", "Holanda") == []


def test_programme_names_per_language(real: Registry) -> None:
    target = "programme:recommendation-193"
    assert keys(real, "es", "la Recomendación núm. 193 de la OIT") == [target]
    assert keys(real, "fr", "la Recommandation n° 193 de l’OIT") == [target]
    assert keys(real, "it", "la Raccomandazione n. 193 dell'OIL") == [target]
    assert keys(real, "en", "Recomendación núm. 193 de la OIT") == []
    assert keys(real, "es", "Recommendation No. 193") == [target]  # the entry's own name: every language


def test_headings_in_the_book_s_language(real: Registry) -> None:
    def heading(tag: str, key: str) -> str:
        entry = real.in_language(tag).get(key)
        assert entry is not None
        return entry.index_term

    assert heading("es", "country:cm") == "Camerún"
    assert heading("es-419", "country:ci") == "Costa de Marfil"  # countrynames.yaml mends pycountry's "Marfíl"
    assert heading("es", "country:cd") == "República Democrática del Congo"  # not "Congo, República ..."
    assert heading("es", "country:ne") == "Níger"
    assert heading("fr", "country:ci") == "Côte d’Ivoire"
    assert heading("it", "country:cm") == "Camerun"
    assert heading("es", "programme:recommendation-193").startswith("Recomendación sobre la promoción")
    assert heading("fr", "programme:acopam") == "ACOPAM"  # no French name: the entry's name
    assert heading("es", "person:alexandre-soho") == "Soho, Alexandre"
    assert real.in_language("en-GB") is real  # an English book: the registry as it is


def test_no_heading_is_an_inverted_form() -> None:
    for language in LANGUAGES:
        bad = [(code, names.heading) for code, names in country_names(language).items()
               if ", " in names.heading and code not in ("bq", "sh")]
        assert bad == [], language


def test_english_countries_are_what_they_were() -> None:
    by_key = {c.key: c for c in countries()}
    assert by_key["country:kr"].surfaces_in("en") == ("Republic of Korea", "South Korea")
    assert by_key["country:kr"].surfaces_in("es") == ()  # pycountry's Spanish comes with the registry's terms
    assert by_key["country:ci"].name == "Côte d’Ivoire"


def test_aliases_and_names_by_language_load_and_are_located(here: Path) -> None:
    registry, problems = load(here, places="""
        - country: GB
          aliases: {"*": [UK], es: [Gran Bretaña], xx-bad: [Foo], fr: Grande}
        - country: PH
          aliases: [the Philippines]
        """, programmes="""
        - id: r193
          name: Recommendation No. 193
          names: {es: Recomendación núm. 193, zz1: x}
        - id: coop
          name: ILO COOP
          names: {es-419: Programa COOP}
          aliases: {"*": [COOP], es: [the Philippines, Ghana]}
        """)
    # a bad language key: its line, the tag message and the key (how schema.py labels a key may change)
    bad_keys = [p for p in problems if "expected a BCP 47 language tag" in p]
    assert [(p.split(":")[1], p.endswith(value)) for p, value in zip(bad_keys, ("(xx-bad)", "(zz1)"), strict=True)] \
        == [("2", True), ("3", True)]
    assert [p for p in problems if p not in bad_keys] == [
        "content/registry/places.yaml:2:63: error: aliases.fr: expected a list (Grande)",
        "content/registry/programmes.yaml:7:31: error: alias already used by country:ph (the Philippines); "
        "country:ph is defined at content/registry/places.yaml:3:3",
    ]  # "Ghana" in Spanish is not claimed by the English "Ghana": the collision report compares it
    assert "Ghana" in [p.value for p in collisions(registry, ("es",)) if p.severity == "error"]
    coop = registry.get("programme:coop")
    assert coop is not None and coop.names == (("es", "Programa COOP"),) and coop.aliases == ("COOP",)
    assert keys(registry, "es", "el Programa COOP") == ["programme:coop"]


def test_the_same_alias_in_two_languages_for_two_entries_loads(here: Path) -> None:
    registry, problems = load(here, programmes="""
        - id: a
          name: Alpha Programme
          aliases: {es: [Programa Uno]}
        - id: b
          name: Beta Programme
          aliases: {fr: [Programa Uno]}
        """)
    assert problems == []
    assert keys(registry, "es", "Programa Uno") == ["programme:a"]
    assert keys(registry, "fr", "Programa Uno") == ["programme:b"]
    assert keys(registry, "en", "Programa Uno") == []


def test_collision_report_on_a_registry_made_to_collide(here: Path) -> None:
    registry, problems = load(here, places="""
        - country: NE
          aliases: {es: [Nigeria]}
        - country: GQ
          aliases: {fr: [Guinea]}
        - country: ML
          aliases: [Nigéria]
        """)
    assert problems == []  # loading claims the English names only: these are for the book's languages
    report = sorted(p.format() for p in collisions(registry, LANGUAGES))
    assert report == [
        "content/registry/places.yaml:2:18: error: in Spanish (es) interviews, country:ne has the string of "
        "country:ng (pycountry es: Nigeria) (Nigeria); every mention would be indexed under one of them: remove "
        "it, or give it another language",
        "content/registry/places.yaml:4:18: warning: country:gq's string in French (fr) interviews is country:gn "
        "(pycountry en: Guinea) in English (en) interviews (Guinea); right while each interview's language: is "
        "right",
        "content/registry/places.yaml:6:13: warning: in English (en) interviews, country:ml has a string that "
        "differs only by accents from country:ng (pycountry en: Nigeria) (Nigéria); a mention typed without the "
        "accents is indexed under country:ng",
        "content/registry/places.yaml:6:13: warning: in Spanish (es) interviews, country:ml has a string that "
        "differs only by accents from country:ne (content/registry/places.yaml:2:18: Nigeria) (Nigéria); a "
        "mention typed without the accents is indexed under country:ne",
    ]
    # only the languages asked for (the book's) are compared: an Italian book has no Spanish error
    assert [(p.severity, p.value) for p in collisions(registry, ("it",))] == [("warning", "Nigéria")]


def test_real_registry_has_no_collision_in_the_four_languages(real: Registry) -> None:
    assert [p.format() for p in collisions(real, LANGUAGES)] == []


def test_built_in_names_of_two_countries_never_fold_together() -> None:
    owners: dict[str, str] = {}
    for language in LANGUAGES:
        for code, names in country_names(language).items():
            for surface in names.surfaces:
                assert owners.setdefault(fold(surface), code) == code, (language, surface)


def test_matchers_are_built_once_per_registry_and_language(real: Registry) -> None:
    assert Matcher.for_language(real, "es") is Matcher.for_language(real, "es")
    assert Matcher.for_language(real, "es") is not Matcher.for_language(real, "fr")


def test_a_translation_two_countries_share_names_neither() -> None:
    registry = Registry.build(countries())
    # pycountry's Slovak gives the Gambia's official name as "Slovenská republika": it must not index under the
    # Gambia (nor, being ambiguous, anywhere); each country's Slovak heading still matches
    assert keys(registry, "sk", "Slovenská republika") == []
    assert keys(registry, "sk", "Slovensko a Gambia") == ["country:sk", "country:gm"]


def test_two_built_in_headings_that_collide_are_a_warning() -> None:
    report = [p.format() for p in collisions(Registry.build(countries()), ("gn",))]
    assert report == [
        "pycountry gn: warning: in Guarani (gn) interviews, country:mx has the string of country:my (pycountry gn: "
        "Mexico) (Mexico); its mentions go to country:mx: mark the other's as [...]{.country ref=MY}"]


def test_a_plain_alias_list_keeps_its_problems_places(here: Path) -> None:
    _, problems = load(here, places="""
        - country: DE
          aliases: [Deutschland, ""]
        - country: FR
          aliases: 5
        - country: AR
          names: {es: "  "}
        """)
    assert problems == [
        "content/registry/places.yaml:2:26: error: aliases[2]: must not be empty",
        'content/registry/places.yaml:4:12: error: aliases: expected a list, or lists by language ({"*": [...], '
        "es: [...]}) (5)",
        "content/registry/places.yaml:6:15: error: names.es: must not be empty (  )"]
