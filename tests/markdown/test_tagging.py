"""Finding mentions in Markdown: matching rules, explicit spans, anchors, locations, unknown terms."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopbook.editorial.candidates import Candidate, CandidateFinder
from coopbook.errors import Location, Problems
from coopbook.markdown import convert as markup
from coopbook.markdown.mentions import InterviewTagger, Matcher, is_acronym
from coopbook.markdown.parser import parser
from coopbook.source.book import load_book
from coopbook.source.registry import Registry
from coopbook.source.registryfiles import load_registry

from markdown_oracle import to_html

REPO = Path(__file__).resolve().parents[2]

PEOPLE = """
- id: colombia-perez
  name: Colombia Pérez Muñoz
"""
PROGRAMMES = """
- id: acopam
  name: ACOPAM
  aliases: [ILO/ACOPAM]
- id: coop
  name: ILO COOP
- id: coop-100
  name: ILO COOP 100
- id: unit
  name: Cooperatives Unit
  see: [coop]
"""
ORGANISATIONS = """
- id: gtz
  name: GTZ
- id: coop-mut
  name: Department of Cooperatives
  aliases: [COOP/MUT, COOP/MUT Department]
- id: sowefcu
  name: South West Farmers’ Cooperative Union
  aliases: [SOWEFCU]
"""
PLACES = """
- country: PH
  aliases: [the Philippines]
- country: TR
  aliases: [Turkey]
- id: dakar
  name: Dakar
  country: SN
"""
IGNORE = """
- ILO
- COVID-19
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A small registry written to a temporary content folder."""
    root = tmp_path_factory.mktemp("content")
    (root / "registry").mkdir()
    for name, text in (("people", PEOPLE), ("programmes", PROGRAMMES), ("organisations", ORGANISATIONS),
                       ("places", PLACES), ("ignore", IGNORE)):
        (root / "registry" / f"{name}.yaml").write_text(text, encoding="utf-8")
    problems = Problems()
    loaded = load_registry(root, (), problems)
    assert problems.items == []
    return loaded


@pytest.fixture(scope="module")
def matcher(registry: Registry) -> Matcher:
    """The matcher over the small registry."""
    return Matcher.from_registry(registry)


def tag(registry: Registry, matcher: Matcher, text: str, problems: Problems | None = None,
        interview: str = "iv") -> tuple[str, InterviewTagger]:
    """Render Markdown with the tagger; return the HTML and the tagger (with its mentions)."""
    tagger = InterviewTagger(matcher, registry, interview, problems or Problems())
    tagger.set_field(Location("content/interviews/iv.yaml", 10, 8), block=True)
    return to_html(text, interview, tagger), tagger


def refs(tagger: InterviewTagger) -> list[tuple[str, str]]:
    """(text, key) of every mention, in order."""
    return [(m.text, m.key) for m in tagger.mentions]


def test_a_mention_becomes_an_anchored_span(registry: Registry, matcher: Matcher) -> None:
    html, tagger = tag(registry, matcher, "Work in Cameroon.", interview="alexandre-soho")
    assert html == ('<p>Work in <span id="m-alexandre-soho-1" class="ix" data-ref="country:cm">Cameroon</span>.'
                    "</p>\n")
    [mention] = tagger.mentions
    assert (mention.id, mention.key, mention.interview, mention.text, mention.explicit) == (
        "m-alexandre-soho-1", "country:cm", "alexandre-soho", "Cameroon", False)
    assert str(mention.location) == "content/interviews/iv.yaml:11"


@pytest.mark.parametrize(("text", "expected"), [
    ("Guinea-Bissau and Guinea", [("Guinea-Bissau", "country:gw"), ("Guinea", "country:gn")]),
    ("Nigeria and Niger", [("Nigeria", "country:ng"), ("Niger", "country:ne")]),
    ("South Sudan, then Sudan", [("South Sudan", "country:ss"), ("Sudan", "country:sd")]),
    ("the Democratic Republic of the Congo", [("Democratic Republic of the Congo", "country:cd")]),
    ("Papua New Guinea", [("Papua New Guinea", "country:pg")]),
    ("Colombia Pérez Muñoz visited Colombia",
     [("Colombia Pérez Muñoz", "person:colombia-perez"), ("Colombia", "country:co")]),
    ("ILO COOP 100 and ILO COOP", [("ILO COOP 100", "programme:coop-100"), ("ILO COOP", "programme:coop")]),
    ("the COOP/MUT Department and COOP/MUT", [("COOP/MUT Department", "organisation:coop-mut"),
                                              ("COOP/MUT", "organisation:coop-mut")]),
    ("Norway –funded ILO/ACOPAM (Dakar)", [("Norway", "country:no"), ("ILO/ACOPAM", "programme:acopam"),
                                           ("Dakar", "place:dakar")]),
    ("Cameroon’s and Niger-based", [("Cameroon", "country:cm"), ("Niger", "country:ne")]),
])
def test_longest_match_at_word_boundaries(registry: Registry, matcher: Matcher, text: str,
                                          expected: list[tuple[str, str]]) -> None:
    _, tagger = tag(registry, matcher, text)
    assert refs(tagger) == expected


def test_no_match_inside_words(registry: Registry, matcher: Matcher) -> None:
    _, tagger = tag(registry, matcher, "Nigerien, Omani and Perus; GTZs")
    assert refs(tagger) == []


def test_acronyms_match_case_sensitively(registry: Registry, matcher: Matcher) -> None:
    _, tagger = tag(registry, matcher, "GTZ, gtz, Gtz, Ilo/Acopam, ILO/ACOPAM, acopam")
    assert refs(tagger) == [("GTZ", "organisation:gtz"), ("ILO/ACOPAM", "programme:acopam")]
    assert is_acronym("COOP/MUT") and is_acronym("COVID-19") and not is_acronym("CoopAFRICA")


def test_names_match_in_any_case_but_keep_a_capital_initial(registry: Registry, matcher: Matcher) -> None:
    _, tagger = tag(registry, matcher, "CAMEROON, The Philippines, the philippines, Department Of Cooperatives; "
                                       "a turkey from Turkey, and china from China")
    assert refs(tagger) == [("CAMEROON", "country:cm"), ("The Philippines", "country:ph"),
                            ("the philippines", "country:ph"), ("Department Of Cooperatives", "organisation:coop-mut"),
                            ("Turkey", "country:tr"), ("China", "country:cn")]


def test_both_apostrophes_match(registry: Registry, matcher: Matcher) -> None:
    _, tagger = tag(registry, matcher, "Côte d'Ivoire, Côte d’Ivoire, South West farmers' Cooperative Union")
    assert refs(tagger) == [("Côte d'Ivoire", "country:ci"), ("Côte d’Ivoire", "country:ci"),
                            ("South West farmers' Cooperative Union", "organisation:sowefcu")]


def test_terms_across_a_line_break(registry: Registry, matcher: Matcher) -> None:
    html, tagger = tag(registry, matcher, "They went to South\nSudan and\nthen Cameroon.")
    assert refs(tagger) == [("South Sudan", "country:ss"), ("Cameroon", "country:cm")]
    assert 'data-ref="country:ss">South\nSudan</span>' in html
    assert [str(m.location) for m in tagger.mentions] == ["content/interviews/iv.yaml:11",
                                                          "content/interviews/iv.yaml:13"]


def test_never_inside_links_or_code(registry: Registry, matcher: Matcher) -> None:
    html, tagger = tag(registry, matcher, "[Cameroon](https://example.org/) and `Niger`, *Ghana* **Mali**")
    assert refs(tagger) == [("Ghana", "country:gh"), ("Mali", "country:ml")]
    assert '<a href="https://example.org/">Cameroon</a>' in html and "<code>Niger</code>" in html


def test_explicit_spans_override(registry: Registry, matcher: Matcher) -> None:
    html, tagger = tag(registry, matcher, "[the programme]{.programme ref=acopam} in [the capital]{.place ref=dakar}, "
                                          "[the country]{.country ref=CM}, [Cameroon]{.place ref=place:dakar}, "
                                          "[Ghana]{.country}")
    assert refs(tagger) == [("the programme", "programme:acopam"), ("the capital", "place:dakar"),
                            ("the country", "country:cm"), ("Cameroon", "place:dakar"), ("Ghana", "country:gh")]
    assert all(m.explicit for m in tagger.mentions)
    assert '<span id="m-iv-1" class="ix" data-ref="programme:acopam">the programme</span>' in html
    assert "ref=" not in html.replace("data-ref=", "")


def test_explicit_span_suppresses_automatic_tagging_inside(registry: Registry, matcher: Matcher) -> None:
    _, tagger = tag(registry, matcher, "[ACOPAM in Niger]{.programme ref=acopam}")
    assert refs(tagger) == [("ACOPAM in Niger", "programme:acopam")]


def test_noindex_suppresses(registry: Registry, matcher: Matcher) -> None:
    html, tagger = tag(registry, matcher, "The [Niger]{.noindex} river flows through Niger.")
    assert refs(tagger) == [("Niger", "country:ne")]
    assert '<span class="noindex">Niger</span> river' in html


def test_see_entries_are_tagged_as_their_target(registry: Registry, matcher: Matcher) -> None:
    html, tagger = tag(registry, matcher, "the Cooperatives Unit and [the unit]{.programme ref=unit}")
    assert refs(tagger) == [("Cooperatives Unit", "programme:coop"), ("the unit", "programme:coop")]
    assert 'data-ref="programme:coop"' in html


def test_bad_spans_are_located_problems(registry: Registry, matcher: Matcher) -> None:
    problems = Problems()
    html, tagger = tag(registry, matcher, "Intro.\n\nA [x]{.programme ref=nope} and [y]{.colour}\n"
                                          "[z]{.country ref=zz} [Ghana]{.place} [w]{ref=gtz}", problems)
    assert tagger.mentions == []
    assert [p.format() for p in problems.items] == [
        "content/interviews/iv.yaml:13: error: unknown programme in span ref (nope); "
        "add it to the registry or use the id of a registered programme",
        "content/interviews/iv.yaml:13: error: unknown index class in span (colour); "
        "use one of person, country, place, programme, organisation, or noindex",
        "content/interviews/iv.yaml:14: error: unknown country in span ref (zz); "
        "add it to the registry or use the id of a registered country",
        "content/interviews/iv.yaml:14: error: span text is not a registered place; add ref=... (Ghana)",
        "content/interviews/iv.yaml:14: error: ref needs an index class, e.g. {.programme ref=...} (gtz)",
    ]
    assert "ref=" not in html.replace("data-ref=", "")


def test_ids_are_unique_across_all_fields_of_an_interview(registry: Registry, matcher: Matcher) -> None:
    tagger = InterviewTagger(matcher, registry, "soho", Problems())
    tagger.set_field(Location("x.yaml", 3, 6))
    question = markup.render_inline(tagger(parser().parseInline("Why Cameroon and Ghana?")), {})
    tagger.set_field(Location("x.yaml", 4, 6), block=True)
    answer = to_html("- Cameroon\n- [the programme]{.programme ref=acopam}\n", "soho", tagger)
    heading = tagger.add_mention("person:colombia-perez", "Colombia Pérez Muñoz")
    ids = [m.id for m in tagger.mentions]
    assert ids == ["m-soho-1", "m-soho-2", "m-soho-3", "m-soho-4", "m-soho-5"]
    assert heading.id == "m-soho-5"
    assert question == ('Why <span id="m-soho-1" class="ix" data-ref="country:cm">Cameroon</span> and '
                        '<span id="m-soho-2" class="ix" data-ref="country:gh">Ghana</span>?')
    assert 'id="m-soho-3"' in answer and 'id="m-soho-4"' in answer
    assert [str(m.location) for m in tagger.mentions[:4]] == ["x.yaml:3", "x.yaml:3", "x.yaml:5", "x.yaml:6"]
    html = "".join((question, answer))
    assert len(re.findall(r'id="(m-[^"]+)"', html)) == len(set(re.findall(r'id="(m-[^"]+)"', html))) == 4


def find_candidates(text: str, registry: Registry, location: Location, *, block: bool = False) -> list[Candidate]:
    """Unknown acronyms and capitalised names in one Markdown value, as `check` finds them."""
    return CandidateFinder(registry).find(text, location, block=block)


def test_candidates_are_unknown_acronyms_and_names(registry: Registry) -> None:
    text = textwrap.dedent("""\
        The South East Growers Union (SEGU) met the GTZ, the ILO and SOWEFCU in Dakar.
        The Philippines and Ghana; COVID-19 stopped World War II.

        With the Board of Directors of the XYZ’s union, `ABC` and [QRS]{.noindex}.
        ILO/UVW and UNDP-funded
        """)
    found = find_candidates(text, registry, Location("content/interviews/iv.yaml", 10, 8), block=True)
    assert [(c.text, c.kind, str(c.location)) for c in found] == [
        ("South East Growers Union", "name", "content/interviews/iv.yaml:11"),
        ("SEGU", "acronym", "content/interviews/iv.yaml:11"),
        ("World War II", "name", "content/interviews/iv.yaml:12"),
        ("Board of Directors", "name", "content/interviews/iv.yaml:14"),
        ("XYZ", "acronym", "content/interviews/iv.yaml:14"),
        ("UVW", "acronym", "content/interviews/iv.yaml:15"),
        ("UNDP", "acronym", "content/interviews/iv.yaml:15"),
    ]
    problems = Problems()
    found[1].report(problems)
    assert problems.warnings[0].format() == (
        "content/interviews/iv.yaml:11: warning: acronym not in the registry (SEGU); "
        "add it to content/registry/*.yaml, or to registry/ignore.yaml if it is not indexed")


def test_real_interview_mentions() -> None:
    book = load_book(REPO / "content")
    problems = Problems()
    registry = load_registry(REPO / "content", book.interviews, problems)
    [interview] = [i for i in book.interviews if i.id == "alexandre-soho"]
    tagger = InterviewTagger(Matcher.from_registry(registry), registry, interview.id, problems)
    html = []
    for n, question in enumerate(interview.questions):
        tagger.set_field(book.where(interview.id, "questions", n, "q"))
        html.append(markup.render_inline(tagger(parser().parseInline(question.q)), {}))
        tagger.set_field(book.where(interview.id, "questions", n, "a"), block=True)
        html.append(to_html(question.a, interview.id, tagger))
    assert interview.closing is not None
    tagger.set_field(book.where(interview.id, "closing"), block=True)
    html.append(to_html(interview.closing, interview.id, tagger))
    assert problems.items == []
    found = {(m.text, m.key) for m in tagger.mentions}
    assert {("Cameroon", "country:cm"), ("Côte d’Ivoire", "country:ci"), ("Ghana", "country:gh"),
            ("Madagascar", "country:mg"), ("Malawi", "country:mw"), ("Niger", "country:ne"),
            ("Norway", "country:no"), ("the Philippines", "country:ph"), ("Uganda", "country:ug"),
            ("Dakar", "place:dakar"), ("Yaounde", "place:yaounde"), ("ILO/ACOPAM", "programme:acopam"),
            ("COOPNET", "programme:coopnet"), ("ILO COOPREFORM", "programme:coopreform"),
            ("CUROR", "programme:curor"), ("ILO/CUROR", "programme:curor"), ("GTZ", "organisation:gtz"),
            ("USAID", "organisation:usaid"), ("SOWEFCU Ltd", "organisation:sowefcu"),
            ("South West farmers’ Cooperative Union", "organisation:sowefcu"), ("UNDP", "organisation:undp"),
            ("World Bank", "organisation:world-bank"),
            ("European development Fund", "organisation:european-development-fund"),
            ("COOP/MUT", "organisation:coop-mut"), ("COOP/MUT Department", "organisation:coop-mut"),
            ("ILO COOP", "programme:ilo-coop"), ("ILO COOP 100", "programme:ilo-coop-100"),
            ("Declaration on the Future of Work", "programme:declaration-future-of-work"),
            ("ILO Recommendation on the Promotion of Cooperatives, 2002 (No. 193)", "programme:recommendation-193"),
            } <= found
    ids = [m.id for m in tagger.mentions]
    assert ids == [f"m-alexandre-soho-{n}" for n in range(1, len(ids) + 1)]
    assert all(m.location.path.endswith("content/interviews/alexandre-soho.yaml") for m in tagger.mentions)
    text = "".join(html)
    assert '<span id="m-alexandre-soho-1" class="ix" data-ref="country:cm">Cameroon</span>' in text
    assert "Niger" not in {m.text for m in tagger.mentions if m.key != "country:ne"}


def test_real_book_has_no_unknown_candidates() -> None:
    book = load_book(REPO / "content")
    registry = load_registry(REPO / "content", book.interviews, Problems())
    found = []
    for interview in book.interviews:
        for n, question in enumerate(interview.questions):
            found += find_candidates(question.q, registry, book.where(interview.id, "questions", n, "q"))
            found += find_candidates(question.a, registry, book.where(interview.id, "questions", n, "a"), block=True)
        if interview.closing:
            found += find_candidates(interview.closing, registry, book.where(interview.id, "closing"), block=True)
        found += find_candidates(interview.interviewee.role, registry, book.where(interview.id, "interviewee", "role"))
    assert [(c.text, str(c.location)) for c in found] == []


WORDS = ["Niger", "Nigeria", "South", "Sudan", "GTZ", "gtz", "ILO", "COOP", "100", "Côte", "d’Ivoire", "d'Ivoire",
         "the", "Philippines", "Dakar", "*", "_", "`", "[", "]", "(", ")", "https://x.org", "\n", "\n\n", " ", "-",
         "Colombia", "Pérez", "Muñoz", "ILO/ACOPAM", "\\", "#", ">", "1."]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), max_size=25))
def test_tagging_only_adds_spans(registry: Registry, matcher: Matcher, words: list[str]) -> None:
    text = " ".join(words)
    plain = to_html(text, "iv")
    html, tagger = tag(registry, matcher, text)
    stripped = re.sub(r'<span id="m-iv-\d+" class="ix" data-ref="[a-z]+:[a-z0-9-]+">', "", html)
    assert stripped.replace("</span>", "") == plain
    assert html.count("<span ") == html.count("</span>") == len(tagger.mentions)
