"""The mixed book's EPUB: each interview document, and its entry in the nav, in its own language; its quotes and
spacing set by its language; EPUBCheck and Ace clean (issue 15). (The PDF side: tests/pdf/test_pdf_languages.py.)"""

from __future__ import annotations

import re
from pathlib import Path

from test_ace import run_ace, violations

from coopbook.pipeline import Output

from readers import NS, Epub, epubcheck

BOOK_LANG = "en-GB"
LANGUAGES = {"tendai-banda": "en-GB", "lucia-quispe": "es", "rokia-ouedraogo": "fr", "chiara-bonvicini": "it"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NNBSP, NBSP = "\u202f", "\u00a0"


def test_interview_documents_carry_their_language(multilingual_book: dict[str, Output]) -> None:
    book = Epub.open(multilingual_book["epub"].path)
    for name in book.spine_documents():
        root = book.xml(name)
        stem = Path(name).stem.removeprefix("interview-")
        expected = LANGUAGES.get(stem, BOOK_LANG) if Path(name).stem.startswith("interview-") else BOOK_LANG
        assert (root.get("lang"), root.get(XML_LANG)) == (expected, expected), name
    spanish = book.xml("EPUB/interview-lucia-quispe.xhtml")
    labels = [e for e in spanish.iter() if e.get("class") == "series-label"]  # the book's words keep its language
    assert [(e.get("lang"), e.get(XML_LANG)) for e in labels] == [(BOOK_LANG, BOOK_LANG)]
    assert book.opf.findtext(".//dc:language", namespaces=NS) == BOOK_LANG


def test_nav_entries_carry_their_interview_language(multilingual_book: dict[str, Output]) -> None:
    book = Epub.open(multilingual_book["epub"].path)
    nav = book.xml("EPUB/nav.xhtml")
    toc = next(n for n in nav.iterfind(".//x:nav", NS) if n.get("{http://www.idpf.org/2007/ops}type") == "toc")
    entries = {}
    for item in toc.iterfind(".//x:li", NS):
        link = item.find("x:a", NS)
        assert link is not None
        entries[link.get("href")] = (item.get("lang"), item.get(XML_LANG))
    assert entries["interview-lucia-quispe.xhtml"] == ("es", "es")
    assert entries["interview-rokia-ouedraogo.xhtml"] == ("fr", "fr")
    assert entries["interview-chiara-bonvicini.xhtml"] == ("it", "it")
    assert entries["interview-tendai-banda.xhtml"] == (None, None)  # the book's language, from the document
    assert entries["introduction.xhtml"] == (None, None)
    assert (nav.get("lang"), nav.get(XML_LANG)) == (BOOK_LANG, BOOK_LANG)


def test_quotes_and_spacing_follow_each_interview_language(multilingual_book: dict[str, Output]) -> None:
    book = Epub.open(multilingual_book["epub"].path)

    def text(interview: str) -> str:  # spaces and line ends as one space; no-break spaces kept
        return re.sub(r"[ \t\n]+", " ", "".join(book.xml(f"EPUB/interview-{interview}.xhtml").itertext()))

    assert "the members said “the tank belongs to all of us, so its responsibility is ours”" in text("tendai-banda")
    assert "«sin “desarrollo” de las personas no hay desarrollo de la empresa»" in text("lucia-quispe")
    assert "«il consorzio non è un “ufficio”, è una casa»" in text("chiara-bonvicini")
    assert "dell’Emilia-Romagna" in text("chiara-bonvicini")
    french = text("rokia-ouedraogo")
    assert f"«{NNBSP}une banque de céréales, c’est la pluie qu’on garde pour la saison sèche{NNBSP}»" in french
    assert f"Ouahigouya{NNBSP};" in french and f"céréales{NBSP}: elles" in french and f"visite{NNBSP}!" in french
    assert f"disait{NBSP}: «" in french  # the typed space replaced
    assert f"née{NNBSP}?" in french and f"appris{NNBSP}?" in french  # questions too
    assert "3:1 en 1995" in french and f"10:30{NBSP}: c’est noté{NNBSP}!" in french
    for interview in ("tendai-banda", "lucia-quispe", "chiara-bonvicini"):
        assert NNBSP not in text(interview), interview
    source = (Path(__file__).parents[1] / "books" / "multilingual" / "interviews" / "rokia-ouedraogo.yaml")
    assert NNBSP not in source.read_text(encoding="utf-8")  # the content keeps what the editor typed


def test_epubcheck_passes(multilingual_book: dict[str, Output]) -> None:
    assert epubcheck(multilingual_book["epub"].path) == []


def test_ace_reports_no_violation(multilingual_book: dict[str, Output], tmp_path: Path) -> None:
    path = multilingual_book["epub"].path
    report = run_ace(path, tmp_path / "ace")
    found = violations(report)
    assert found == [], f"Ace by DAISY found {len(found)} violation(s) in {path.name}:\n" + "\n".join(found)
    assert report["earl:result"]["earl:outcome"] == "pass"
