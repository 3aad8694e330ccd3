"""`coopbook import`: the seed article becomes the Soho interview, less the editor's one recorded change."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from coopbook.editorial.importer import ArticleError, ImportExistsError, ImportResult, import_article, write_import
from coopbook.errors import Problems
from coopbook.source.book import Interview
from coopbook.source.schema import validate
from coopbook.source.yamlreader import parse_yaml

REPO = Path(__file__).resolve().parents[2]
SOHO = REPO / "content" / "interviews" / "alexandre-soho.yaml"


def load_interview(text: str, shown: str = "imported.yaml") -> Interview:
    problems = Problems()
    doc = parse_yaml(text, shown, problems)
    assert doc is not None, [p.format() for p in problems.items]
    interview = validate(doc, Interview, problems)
    assert problems.items == []
    assert interview is not None
    return interview


def normalise(markdown: str) -> str:
    """Markdown compared for content: blank-line runs collapsed, outer whitespace dropped."""
    return re.sub(r"\n\s*\n", "\n\n", markdown.strip())


def normalised(interview: Interview) -> Interview:
    questions = tuple(dataclasses.replace(q, a=normalise(q.a)) for q in interview.questions)
    return dataclasses.replace(interview, questions=questions)


def article(*lines: str) -> str:
    return "\n".join(lines) + "\n"


HEADER = ("ILO COOP 100 Interview", "", "Ms Jane Doe, Director of Things", "", "Article | 3 March 2021", "")


def test_seed_imports_to_a_valid_interview(seed_text: str) -> None:
    result = import_article(seed_text, "seed.txt")
    interview = load_interview(result.yaml_text)
    assert result.interview_id == interview.id == "alexandre-soho"
    assert result.unplaced == ()
    assert result.problems == ()


def test_seed_matches_the_edited_interview_except_the_recorded_move(seed_text: str) -> None:
    imported = load_interview(import_article(seed_text, "seed.txt").yaml_text)
    edited = load_interview(SOHO.read_text(encoding="utf-8"), "content/interviews/alexandre-soho.yaml")

    assert imported.interviewee == edited.interviewee
    assert imported.date == edited.date
    assert imported.source == edited.source
    assert [q.q for q in imported.questions] == [q.q for q in edited.questions]

    # The editor's one change: the closing paragraph was moved out of answer 2 and recorded.
    assert edited.closing is not None
    assert edited.closing.startswith("ILO COOP 100 is a unique opportunity")
    assert any("ILO COOP 100 is a unique opportunity" in n.note for n in edited.editorial_notes)
    assert normalise(imported.questions[1].a) == normalise(edited.closing + "\n\n" + edited.questions[1].a)

    # ... and nothing else differs.
    questions = list(edited.questions)
    questions[1] = dataclasses.replace(questions[1], a=edited.closing + "\n\n" + questions[1].a)
    expected = dataclasses.replace(edited, questions=tuple(questions), closing=None, editorial_notes=())
    assert normalised(imported) == normalised(expected)


def test_seed_keeps_the_authors_wording_byte_for_byte(seed_text: str) -> None:
    interview = load_interview(import_article(seed_text, "seed.txt").yaml_text)
    answers = "\n".join(q.a for q in interview.questions)
    for odd in ("producers ’cooperatives", "Norway –funded", "“the each for all and all for each”",
                "farmers’ Cooperative Union", "Côte d’Ivoire"):
        assert odd in answers
    assert "- An assessment of cooperative credit union" in answers  # bullet with a no-break space after it


def test_seed_format_matches_the_content_file(seed_text: str) -> None:
    text = import_article(seed_text, "seed.txt").yaml_text
    keys = [line.split(":")[0] for line in text.splitlines() if re.match(r"^[ -]*[a-z_]+:", line)]
    edited = SOHO.read_text(encoding="utf-8")
    edited_keys = [line.split(":")[0] for line in edited.splitlines() if re.match(r"^[ -]*[a-z_]+:", line)]
    assert keys == edited_keys[: len(keys)]
    first = "Prior to joining the ILO, what was the nature of your involvement in cooperatives?"
    assert f'  - q: "{first}"\n    a: |\n' in text
    assert "\n      - The dissemination of the 1992 law" in text


def test_seed_series_paragraph_is_returned_not_imported(seed_text: str) -> None:
    result = import_article(seed_text, "seed.txt")
    book = yaml.safe_load((REPO / "content" / "book.yaml").read_text(encoding="utf-8"))
    assert result.series_description == book["series"]["description"]
    assert "Established in March 1920" not in result.yaml_text.split("questions:")[1]


def test_crlf_and_trailing_whitespace_change_nothing(seed_text: str) -> None:
    expected = import_article(seed_text, "seed.txt")
    messy = "\r\n".join(line + (" \t" if n % 2 else "  ") for n, line in enumerate(seed_text.split("\n")))
    assert import_article(messy, "seed.txt") == expected
    assert import_article(seed_text.replace("\n", "\r"), "seed.txt") == expected
    assert import_article("\ufeff" + seed_text + "\n\n  \n", "seed.txt") == expected


def test_missing_date_line_is_reported_not_fatal() -> None:
    text = article(*HEADER[:4], "Why?", "", "Because.")
    result = import_article(text, "a.txt")
    assert [p.format() for p in result.problems] == [
        "a.txt:1: warning: no date line found; expected a line such as 'Article | 22 July 2020'; set date: by hand"
    ]
    assert "date: null" in result.yaml_text
    problems = Problems()
    doc = parse_yaml(result.yaml_text, "x.yaml", problems)
    assert doc is not None and doc.data["questions"] == [{"q": "Why?", "a": "Because.\n"}]


def test_unreadable_date_and_unknown_paragraphs_are_unplaced_with_their_lines() -> None:
    text = article(*HEADER[:4], "Article | sometime soon", "", "Photo: ILO/J. Smith", "Why?", "Because.")
    result = import_article(text, "a.txt")
    assert result.unplaced == ("a.txt:5: Article | sometime soon", "a.txt:7: Photo: ILO/J. Smith")
    assert [p.format() for p in result.problems][0] == (
        "a.txt:5: warning: cannot read the date of the date line (Article | sometime soon); "
        "expected a date such as 22 July 2020"
    )


def test_article_without_questions_is_a_clear_error() -> None:
    with pytest.raises(ArticleError) as caught:
        import_article(article(*HEADER, "Just a statement.", "Another one."), "a.txt")
    assert [p.format() for p in caught.value.problems] == [
        "a.txt:1: error: no questions found in the article; a question is a paragraph of its own that ends with '?'"
    ]


def test_article_without_interviewee_is_a_clear_error() -> None:
    with pytest.raises(ArticleError, match="no interviewee line"):
        import_article(article("ILO COOP 100 Interview", "", "Why?", "Because."), "a.txt")


def test_header_values_and_bullets() -> None:
    text = article(
        "ILO COOP 100 Interview", "Dr Jürgen von Muralt, Former Director: Enterprise #1 “Dept”",
        "Article | 3 March 2021", 'Is it "quoted" \\ or not?', "Yes.",
        "\t•   tabbed item", "•\u00a0no-break item", "  • item?", "After the list.",
        "1990. That year", "# not a heading", "Next?", "Sure.", "",
    )
    result = import_article(text, "a.txt")
    interview = load_interview(result.yaml_text)
    assert result.interview_id == "jurgen-von-muralt"
    assert interview.interviewee.honorific == "Dr"
    assert interview.interviewee.name == "Jürgen von Muralt"
    assert interview.interviewee.role == "Former Director: Enterprise #1 “Dept”"
    assert interview.date.isoformat() == "2021-03-03"
    assert [q.q for q in interview.questions] == ['Is it "quoted" \\ or not?', "Next?"]
    assert interview.questions[0].a == (
        "Yes.\n\n- tabbed item\n- no-break item\n- item?\n\nAfter the list.\n\n1990\\. That year\n\n\\# not a heading\n"
    )
    assert [p.format() for p in result.problems] == [
        "a.txt:10: warning: paragraph starts like Markdown structure; a backslash was added so it prints as written"
        " (1990. That year)",
        "a.txt:11: warning: paragraph starts like Markdown structure; a backslash was added so it prints as written"
        " (# not a heading)",
    ]


def test_question_without_answer_is_left_empty_so_validation_points_at_it() -> None:
    result = import_article(article(*HEADER, "Why?", "Because.", "And then?"), "a.txt")
    assert [p.format() for p in result.problems] == [
        "a.txt:9: warning: question without an answer (And then?); write the answer by hand"
    ]
    problems = Problems()
    doc = parse_yaml(result.yaml_text, "x.yaml", problems)
    assert doc is not None
    assert doc.data["questions"][1] == {"q": "And then?", "a": ""}
    assert validate(doc, Interview, problems) is None
    assert [(str(p.location), p.message) for p in problems.items if ".a" in p.message] == [
        ("x.yaml:17:8", "questions[2].a: must not be empty")]


def test_write_import_never_overwrites_without_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = import_article(article(*HEADER, "Why?", "Because."), "a.txt")
    folder = tmp_path / "interviews"
    path = write_import(result, folder)
    assert path == folder / "jane-doe.yaml"
    assert path.read_text(encoding="utf-8") == result.yaml_text
    path.write_text("edited by hand\n", encoding="utf-8")
    with pytest.raises(ImportExistsError) as caught:
        write_import(result, folder)
    assert [p.format() for p in caught.value.problems] == [
        "interviews/jane-doe.yaml: error: the file exists already; use --force to replace it"
    ]
    assert path.read_text(encoding="utf-8") == "edited by hand\n"
    assert write_import(result, folder, force=True) == path
    assert path.read_text(encoding="utf-8") == result.yaml_text
    assert sorted(p.name for p in folder.iterdir()) == ["jane-doe.yaml"]  # no temporary files left


def test_result_is_frozen() -> None:
    result = import_article(article(*HEADER, "Why?", "Because."), "a.txt")
    assert isinstance(result, ImportResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.interview_id = "x"  # type: ignore[misc]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet="ab ?:#•\t\"'’|-*1.\\>\u00a0\u2028\x85", max_size=12), max_size=8))
def test_any_article_either_imports_to_loadable_yaml_or_fails_clearly(body: list[str]) -> None:
    text = article(*HEADER, *body)
    try:
        result = import_article(text, "a.txt")
    except ArticleError as exc:
        assert exc.problems and exc.problems[0].location.path == "a.txt"
        return
    problems = Problems()
    doc = parse_yaml(result.yaml_text, "x.yaml", problems)
    assert doc is not None, [p.format() for p in problems.items]
    assert doc.data["id"] == "jane-doe"
    questions = [line.strip() for line in text.split("\n")]
    assert [q["q"] for q in doc.data["questions"]] == [
        q for q in questions if q.endswith("?") and q.strip() and q[0] not in "•"]
