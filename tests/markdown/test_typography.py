"""Typography per language at render time: quotes, apostrophes and French spacing, on the HTML the book renders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coopbook.editorial.check import check_content
from coopbook.errors import ContentError
from coopbook.markdown import convert
from coopbook.markdown.typography import ENGLISH, Typography, for_language, typeset
from coopbook.pipeline import BuildOptions, build

MINI = Path(__file__).resolve().parents[1] / "books" / "mini"

NNBSP, NBSP = "\u202f", "\u00a0"


def rendered(text: str, lang: str, quotes: dict[str, str] | None = None) -> str:
    """Markdown as the book renders it (EPUB notes) for an interview in language lang."""
    tokens, env = convert.parse(text, "t", for_language(lang, quotes))
    return convert.render(tokens, env, "epub")


@pytest.mark.parametrize(("lang", "expected"), [
    ("en-GB", "<p>She said “a ‘fair’ price” and the members’ share.</p>"),
    ("es", "<p>She said «a “fair” price» and the members’ share.</p>"),
    ("it", "<p>She said «a “fair” price» and the members’ share.</p>"),
    ("fr", f"<p>She said «{NNBSP}a “fair” price{NNBSP}» and the members’ share.</p>"),
])
def test_quotes_follow_the_language(lang: str, expected: str) -> None:
    html = rendered("She said \"a 'fair' price\" and the members' share.", lang)
    assert html.strip() == expected


def test_apostrophes_stay_apostrophes_where_nested_quotes_are_not_single() -> None:
    """In Italian and French a ' inside or after a word is ’, not the nested closing quote ”."""
    html = rendered("L'economia dell'ILO e \"la 'casa' dei soci'\" e l'altra.", "it")
    assert "L’economia dell’ILO e «la “casa” dei soci’» e l’altra." in html
    across = rendered("\"la '*casa*' e l'*altra*\"", "es")  # a nested quote closed after emphasis
    assert "«la “<em>casa</em>” e l’<em>altra</em>»" in across


@pytest.mark.parametrize("lang", ["en-GB", "es", "fr", "it"])
def test_an_elided_year_takes_an_apostrophe_not_an_opening_quote(lang: str) -> None:
    html = rendered("In the '90s and in '95, 'quoted'.", lang)
    assert "In the ’90s and in ’95," in html and "’90" in html and "‘90" not in html and "“90" not in html


def test_french_spacing_before_punctuation() -> None:
    html = rendered("Pourquoi? Parce que: voilà; et \"là\"! Vraiment ?! Oui !", "fr")
    assert (f"Pourquoi{NNBSP}? Parce que{NBSP}: voilà{NNBSP}; et «{NNBSP}là{NNBSP}»{NNBSP}! "
            f"Vraiment{NNBSP}?! Oui{NNBSP}!") in html


def test_french_spacing_leaves_times_ratios_urls_and_code_alone() -> None:
    text = ("À 10:30, un ratio de 3:1, voir https://www.ilo.org/page?id=2 et <https://ilo.org/a?b=1>; "
            "le code `x: y; z?` reste tel quel.")
    html = rendered(text, "fr")
    assert "10:30" in html and "3:1" in html and "https://www.ilo.org/page?id=2 " in html
    assert '<a href="https://ilo.org/a?b=1">https://ilo.org/a?b=1</a>' in html  # an autolink's text is its URL
    assert f"</a>{NNBSP};" in html
    assert "<code>x: y; z?</code>" in html


def test_french_spacing_across_markup_and_typed_spaces() -> None:
    """A mark after emphasis gets its space; a typed space (or no-break space) is replaced, never doubled."""
    html = rendered("Un *mot*? Deux « mots » et «trois»\u00a0! Quatre :", "fr")
    assert f"<em>mot</em>{NNBSP}?" in html
    assert f"«{NNBSP}mots{NNBSP}»" in html and f"«{NNBSP}trois{NNBSP}»{NNBSP}!" in html
    assert f"Quatre{NBSP}:" in html
    assert "  " not in html and f"{NNBSP} " not in html and f" {NNBSP}" not in html


def test_french_spacing_only_in_french() -> None:
    for lang in ("en-GB", "es", "it"):
        html = rendered("Pourquoi? Parce que: voilà; non!", lang)
        assert "Pourquoi? Parce que: voilà; non!" in html, lang
        assert NNBSP not in html and NBSP not in html


def test_content_keeps_what_the_editor_typed() -> None:
    """Typography is in the rendered HTML only: the tokens (what checks and the index read) keep the typed text."""
    text = 'Il a dit "bonjour"? Oui: l\'économie.'
    tokens, _ = convert.parse(text, "t", for_language("fr"))
    assert text in [t.content for t in tokens if t.type == "inline"]


def test_book_settings_override_the_defaults_by_tag_then_base_language() -> None:
    settings = {"es": "“”‘’", "fr-CA": "«»‹›"}
    assert for_language("es-419", settings) == Typography("“”‘’", False)
    assert for_language("fr-CA", settings).quotes == "«»‹›"
    assert for_language("fr-FR", settings) == Typography("«»“”", True)
    assert for_language("it", settings).quotes == "«»“”"
    assert for_language("de", settings) == ENGLISH  # no default of its own: the English quotes
    assert rendered('"hola"', "es-419", settings).strip() == "<p>“hola”</p>"


def test_typeset_keeps_its_english_default() -> None:
    assert typeset("the 'co-op's' \"share\"") == "the ‘co-op’s’ “share”"


def test_quotes_settings_are_checked_where_they_are_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A quotes value that is not 4 characters, or a key that is no language tag: located errors, every one,
    the same from check and build."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(MINI, tmp_path / "content")
    book = Path("content/book.yaml")
    lines = len(book.read_text(encoding="utf-8").splitlines())
    with book.open("a", encoding="utf-8") as out:
        out.write('typography:\n  quotes:\n    fr: "«»"\n    not a tag: "«»“”"\n    es: "«»“”"\n')
    expected = [
        f"content/book.yaml:{lines + 3}:9: error: typography.quotes.fr: a quotes value must be 4 characters: the "
        "opening and closing quotes, then the nested pair, e.g. «»“” (this one has 2) («»)",
        f"content/book.yaml:{lines + 4}:5: error: typography.quotes.not a tag (a key): expected a BCP 47 language "
        "tag such as en-GB, es or fr-CA (not a tag)",
    ]
    assert [p.format() for p in check_content(Path("content")).errors] == expected
    with pytest.raises(ContentError) as caught:
        build(BuildOptions(Path("content"), Path("build"), ("epub",), jobs=1))
    assert [p.format() for p in caught.value.problems if p.severity == "error"] == expected
