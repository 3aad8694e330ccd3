"""The real content built in French and Italian (book.yaml's language switched in a copy), and a language with no
catalogue: English words, dates in the language, and a warning at book.yaml's `language:` line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coopbook.pipeline import BuildOptions, build
from tests.clirunner import invoke
from tests.readers import Epub, pdf_pages

REPO = Path(__file__).resolve().parents[2]


def switched(tmp_path: Path, language: str) -> Path:
    """A copy of the real content/ whose book.yaml says `language: <language>`."""
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    book = content / "book.yaml"
    text = book.read_text(encoding="utf-8")
    assert "language: en-GB\n" in text
    book.write_text(text.replace("language: en-GB\n", f"language: {language}\n"), encoding="utf-8")
    return content


@pytest.mark.slow  # a book per language
@pytest.mark.parametrize(("language", "expected", "absent"), [
    ("fr", ["Table des matières", "Index", "Introduction", "Personnes", "Pays", "Programmes de l’OIT",
            "Organisations", "22 juillet 2020", "Édition 1, 29 novembre 2026. Éditeur : International"],
     ["Contents", "July", "Published", "Countries", "People"]),
    ("it", ["Indice", "Indice analitico", "Introduzione", "Persone", "Paesi", "Programmi dell’OIL",
            "Organizzazioni", "22 luglio 2020", "Edizione 1, 29 novembre 2026. Editore: International"],
     ["Contents", "Index", "July", "Published", "Countries", "People"]),
])
def test_real_content_in_another_language(tmp_path: Path, language: str, expected: list[str],
                                          absent: list[str]) -> None:
    content = switched(tmp_path, language)
    outputs = {o.format: o for o in build(BuildOptions(content, tmp_path / "build", ("pdf", "epub")))}
    text = " ".join(" ".join(pdf_pages(outputs["pdf"].path)).split())
    for word in expected:
        assert word in text, word
    front = text.split("Alexandre Soho", 1)[0]  # the front matter: generated words only
    index = text[text.rindex(f"{expected[1]} {expected[3]}"):]  # the index: its heading, then "People"
    for word in absent:
        assert word not in front, word
        assert word not in index, word
    epub = Epub.open(outputs["epub"].path)
    assert epub.opf.get("{http://www.w3.org/XML/1998/namespace}lang") == language
    nav = epub.text_of(epub.href("nav.xhtml"))
    assert nav.startswith(expected[0]) and "Contents" not in nav


@pytest.mark.slow  # check, then a build
def test_a_language_without_catalogue_prints_english_and_says_so(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    switched(tmp_path, "de")
    monkeypatch.chdir(tmp_path)
    warning = ("content/book.yaml:5:11: warning: no message catalogue for this language: the book's generated words "
               "(Contents, Index, see also…) print in English, its dates in the language (de); translate them in "
               "templates/locale/de/LC_MESSAGES/coopbook.po (README: \"The book's language\")")
    result = invoke("check")
    assert warning in result.output.splitlines(), result.output
    result = invoke("build", "--format", "pdf")
    assert result.exit_code == 0, result.output
    assert warning in result.output.splitlines(), result.output
    text = " ".join(" ".join(pdf_pages(Path("build/ilo-coop-100.pdf"))).split())
    assert "Contents" in text and "22. Juli 2020" in text  # English words, German dates (Babel has them)
