"""A book with English, Spanish, French and Italian interviews: each names countries and Recommendation No. 193 in
its own language, and the index lists them under one entry each, with the pages where the names really are."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import pypdf
import pytest
import yaml

from coopbook.editorial.check import check_content
from coopbook.index.model import RANGE_DASH, index_as_text
from coopbook.pipeline import BuildOptions, Output, build, load, make_index, render

from readers import NS, Epub, epubcheck, squash

REPO = Path(__file__).resolve().parents[2]
FILLER = {  # enough prose in each language that an interview runs over two pages
    "en": "We met the members every week, in the villages and in the towns, and wrote down what they asked for. ",
    "es": "Nos reuníamos cada semana con los socios, en las aldeas y en las ciudades, y anotábamos lo que pedían. ",
    "fr": "Nous rencontrions les membres chaque semaine, dans les villages et dans les villes, et notions leurs "
          "demandes. ",
    "it": "Incontravamo i soci ogni settimana, nei villaggi e nelle città, e annotavamo ciò che chiedevano. ",
}
INTERVIEWS = {  # id: (language, interviewee, first answer, last answer)
    "thomas-green": (None, "Thomas Green",
                     "I worked in Cameroon and in Niger before the ILO adopted Recommendation No. 193.",
                     "Later I went to New Zealand."),
    "lucia-fernandez": ("es", "Lucía Fernández Ortega",
                        "Trabajé en Camerún, en Níger y en Nigeria, y después en la República Democrática del "
                        "Congo y en Guinea Ecuatorial.",
                        "La Recomendación núm. 193 de la OIT nos ayudó mucho en Costa de Marfil y en Nueva "
                        "Zelanda."),
    "amelie-durand": ("fr", "Amélie Durand",
                      "J’ai travaillé au Cameroun et au Niger, puis en République démocratique du Congo.",
                      "La Recommandation n° 193 de l’OIT a changé notre travail en Côte d’Ivoire et en "
                      "Nouvelle-Zélande."),
    "giulia-marchetti": ("it", "Giulia Marchetti",
                         "Ho lavorato in Camerun e in Niger, poi nella Repubblica democratica del Congo.",
                         "La Raccomandazione n. 193 dell'OIL ci ha aiutato in Costa d'Avorio e in Nuova Zelanda."),
}
# what each entry is called in each interview, and the heading the (English) index gives it
NAMES = {
    "country:cm": ("Cameroon", ["Cameroon", "Camerún", "Cameroun", "Camerun"]),
    "country:ne": ("Niger", ["Niger", "Níger"]),
    "country:ng": ("Nigeria", ["Nigeria"]),
    "country:cd": ("Democratic Republic of the Congo", ["República Democrática del Congo",
                                                        "République démocratique du Congo",
                                                        "Repubblica democratica del Congo"]),
    "country:gq": ("Equatorial Guinea", ["Guinea Ecuatorial"]),
    "country:ci": ("Côte d’Ivoire", ["Costa de Marfil", "Côte d’Ivoire", "Costa d'Avorio"]),
    "country:nz": ("New Zealand", ["New Zealand", "Nueva Zelanda", "Nouvelle-Zélande", "Nuova Zelanda"]),
    "programme:recommendation-193": ("Promotion of Cooperatives Recommendation, 2002 (No. 193)", [
        "Recommendation No. 193", "Recomendación núm. 193 de la OIT", "Recommandation n° 193 de l’OIT",
        "Raccomandazione n. 193 dell'OIL"]),
}


def write_book(root: Path, language: str = "en-GB") -> Path:
    """The real registry and book.yaml with the four interviews, in a book of the given language."""
    content = root / "content"
    shutil.copytree(REPO / "content" / "registry", content / "registry")
    (content / "interviews").mkdir()
    book = yaml.safe_load((REPO / "content" / "book.yaml").read_text("utf-8"))
    book["language"] = language
    book["order"] = list(INTERVIEWS)
    for ident, (lang, name, first, last) in INTERVIEWS.items():
        filler = FILLER[lang or "en"] * 12
        doc = {"id": ident, "interviewee": {"name": name, "role": "Cooperative organiser"},
               "date": "2020-08-01", "source": {"publisher": "ILO", "kind": "Article"},
               "questions": [{"q": "?", "a": f"{first}\n\n{filler.strip()}"},
                             {"q": "?", "a": f"{filler.strip()}\n\n{last}"}]}
        if lang:
            doc["language"] = lang
        (content / "interviews" / f"{ident}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False,
                                                                             allow_unicode=True), "utf-8")
    (content / "book.yaml").write_text(yaml.safe_dump(book, sort_keys=False, allow_unicode=True), "utf-8")
    return content


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Mapping[str, Output]:
    root = tmp_path_factory.mktemp("languages")
    outputs = build(BuildOptions(write_book(root), root / "build", ("pdf", "epub")))
    return {o.format: o for o in outputs}


def plain(text: str) -> str:
    """A page's text with automatic hyphenation joined and every run of white space one space."""
    text = unicodedata.normalize("NFC", text).replace("\u2010\n", "").replace("\u00ad", "")
    return " ".join(text.replace("\u2019", "'").split())


def collapse(folios: set[int]) -> str:
    runs: list[list[int]] = []
    for n in sorted(folios):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}{RANGE_DASH}{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def test_the_pdf_index_lists_each_country_with_the_pages_its_names_are_on(book: Mapping[str, Output]) -> None:
    reader = pypdf.PdfReader(str(book["pdf"].path))
    labels = reader.page_labels
    index_start = reader.get_destination_page_number(reader.named_destinations["index"])
    body = {int(labels[i]): plain(reader.pages[i].extract_text() or "") for i in range(index_start)
            if labels[i].isdigit()}
    index_lines = [line for i in range(index_start, len(labels)) for line in
                   (reader.pages[i].extract_text() or "").splitlines()]
    index_text = squash("\n".join(index_lines))
    for key, (heading, names) in NAMES.items():
        patterns = [re.compile(rf"(?<!\w){re.escape(plain(name))}(?!\w)") for name in names]
        folios = {folio for folio, text in body.items() if any(p.search(text) for p in patterns)}
        assert len(folios) >= (1 if key in ("country:ng", "country:gq") else 3), (key, folios)
        assert squash(f"{heading}, {collapse(folios)}") in index_text, (key, heading, folios)
    # the traps: the Congo and Guinea have no entry (their names are only inside the longer ones)
    assert not [line for line in index_lines if line.startswith(("Congo", "Guinea"))]


def test_each_interview_is_tagged_in_its_own_language(tmp_path: Path) -> None:
    loaded = load(write_book(tmp_path))
    mentions = render(loaded, ("pdf",)).books["pdf"].mentions
    found: dict[str, list[str]] = {}
    for mention in mentions:
        if not mention.key.startswith("person:"):
            found.setdefault(mention.interview, []).append(loaded.registry.canonical(mention.key))
    assert found == {
        "thomas-green": ["country:cm", "country:ne", "programme:recommendation-193", "country:nz"],
        "lucia-fernandez": ["country:cm", "country:ne", "country:ng", "country:cd", "country:gq",
                            "programme:recommendation-193", "country:ci", "country:nz"],
        "amelie-durand": ["country:cm", "country:ne", "country:cd", "programme:recommendation-193", "country:ci",
                          "country:nz"],
        "giulia-marchetti": ["country:cm", "country:ne", "country:cd", "programme:recommendation-193",
                             "country:ci", "country:nz"],
    }


def test_the_epub_index_links_to_the_mentions_in_each_language(book: Mapping[str, Output]) -> None:
    epub = Epub.open(book["epub"].path)
    linked: dict[str, set[str]] = {}
    for name in (n for n in epub.spine_documents() if "index-" in n):
        for li in epub.xml(name).iterfind(".//x:li", NS):
            key = li.get("data-ref")
            for link in li.findall("x:a", NS):
                file_name, _, target = link.get("href").partition("#")
                element = epub.xml(epub.href(file_name)).find(f".//*[@id='{target}']")
                assert element is not None and element.get("data-ref") is not None, link.get("href")
                linked.setdefault(key, set()).add(plain("".join(element.itertext())))
    for key, (_, names) in NAMES.items():
        # each locator leads to the first mention of the entry in one interview, written in that one's language
        assert linked.get(key) and linked[key] <= {plain(n) for n in names}, (key, linked.get(key))
    assert {"Cameroon", "Camerún", "Cameroun", "Camerun"} == linked["country:cm"]


@pytest.mark.slow  # EPUBCheck takes over half a minute on this machine
def test_the_four_language_epub_passes_epubcheck(book: Mapping[str, Output]) -> None:
    assert epubcheck(book["epub"].path) == []


def test_a_spanish_book_s_index_is_headed_in_spanish(tmp_path: Path) -> None:
    loaded = load(write_book(tmp_path, "es"))
    rendered = render(loaded, ("pdf",)).books["pdf"]
    text = index_as_text(make_index(rendered, loaded.registry, None))
    for heading in ("Camerún", "Níger", "Nigeria", "República Democrática del Congo", "Guinea Ecuatorial",
                    "Costa de Marfil", "Nueva Zelanda",
                    "Recomendación sobre la promoción de las cooperativas, 2002 (núm. 193)"):
        assert re.search(rf"^{re.escape(heading)}  ", text, re.MULTILINE), heading
    assert "Cameroon" not in text and "Democratic Republic" not in text


def test_check_knows_each_interview_s_country_names_and_reports_collisions(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    content = write_book(tmp_path)
    content = content.relative_to(tmp_path)
    assert [p.format() for p in check_content(content).problems] == []  # "Nueva Zelanda" is known in Spanish
    places = content / "registry" / "places.yaml"
    places.write_text(places.read_text("utf-8") + "- country: NE\n  aliases: {es: [Nigeria]}\n", "utf-8")
    line = len(places.read_text("utf-8").splitlines())
    report = check_content(content)
    assert [p.format() for p in report.problems] == [
        f"content/registry/places.yaml:{line}:18: error: in Spanish (es) interviews, country:ne has the string of "
        "country:ng (pycountry es: Nigeria) (Nigeria); every mention would be indexed under one of them: remove "
        "it, or give it another language"]
    assert report.failed()  # and so the build stops too: it runs the same validate stage
