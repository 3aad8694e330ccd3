"""The index's collation per language (ICU): test names in their expected order and letter groups, and a
Spanish book whose index files Ñ after N, read back from the PDF and the EPUB."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
import yaml

from coopbook.index.collation import collation, versions
from coopbook.index.model import build_index, letter_of, sort_key
from coopbook.markdown.fragments import render_book
from coopbook.pipeline import BuildOptions, Output, build, load

from readers import NS, Epub, epubcheck

REPO = Path(__file__).resolve().parents[2]


def ordered(tag: str, names: list[str]) -> list[tuple[str, str]]:
    """(letter, name) of the names sorted by the language's rules (ties broken by the text, as the index does)."""
    rules = collation(tag)
    return [(rules.letter_of(n), n) for n in sorted(names, key=lambda n: (rules.sort_key(n), n))]


# Each case: the language, then the names in the expected order with the letter each files under. The test
# sorts them from reversed order, so an unchanged list proves nothing by accident.
CASES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "spanish: ñ is a letter after n, accents and case only break ties, ch is c + h": ("es", [
        ("C", "Cervantes"), ("C", "Chavez"), ("C", "Chávez"), ("C", "Cisneros"),
        ("L", "Llorente"), ("L", "Lozano"), ("L", "Luna"),
        ("N", "Nunez"), ("N", "Núñez"), ("N", "Nuño"), ("Ñ", "Ñandú"), ("Ñ", "Ñuñoa"), ("O", "Ocampo"),
        ("P", "Pena"), ("P", "Penagos"), ("P", "Peña"), ("P", "Peres"), ("P", "Perez"), ("P", "Pérez"),
    ]),
    "spanish in Latin America (es-419) follows es": ("es-419", [
        ("N", "Núñez"), ("Ñ", "Ñandú"), ("O", "Ocampo"),
    ]),
    "traditional spanish (es-u-co-trad): ch after c, ll after l, still no CH or LL group": ("es-u-co-trad", [
        ("C", "Cervantes"), ("C", "Cisneros"), ("C", "Cuenca"), ("C", "Chávez"),
        ("L", "Lozano"), ("L", "Luna"), ("L", "Llorente"),
    ]),
    # ICU's French (fr, fr-FR) is the root order: accents compare from the front, the 'backwards' rule of
    # older French dictionaries is only Canadian French's (fr-CA) since CLDR 1.9.
    "french: accents compare front to back": ("fr", [
        ("C", "Ça"), ("C", "cote"), ("C", "coté"), ("C", "côte"), ("C", "côté"),
        ("D", "d’Estaing"), ("D", "Du Bois"), ("D", "Dubois"), ("E", "Élise"), ("E", "Eluard"), ("E", "Éluard"),
        ("O", "Oeuvre"), ("O", "Œuvre"),
    ]),
    "canadian french: the last accent decides": ("fr-CA", [
        ("C", "cote"), ("C", "côte"), ("C", "coté"), ("C", "côté"),
    ]),
    "italian: accents break ties, j k w x y are letters": ("it", [
        ("D", "Dell’Acqua"), ("D", "Della Rocca"), ("D", "Dellacqua"), ("J", "Jacopo"), ("K", "Kappa"),
        ("N", "Nicola"), ("N", "Nicolo"), ("N", "Nicolò"), ("P", "perche"), ("P", "perché"),
        ("U", "Ùrsula"), ("W", "Wanda"), ("X", "Xeno"), ("Y", "Yuri"), ("Z", "Zeno"),
    ]),
    "german: ä ö ü with a o u, ß as ss": ("de", [
        ("A", "Ärla"), ("A", "Arlt"), ("A", "Azur"), ("M", "Mueller"), ("M", "Mull"), ("M", "Muller"),
        ("M", "Müller"), ("O", "Ose"), ("O", "Öse"), ("O", "Otto"), ("S", "Strasse"), ("S", "Straße"),
        ("U", "Übel"), ("U", "Uber"), ("Z", "Zorn"),
    ]),
    "german phone book (de-u-co-phonebk): ü as ue": ("de-u-co-phonebk", [
        ("M", "Mudd"), ("M", "Mueller"), ("M", "Müller"), ("M", "Muff"), ("M", "Muller"),
    ]),
    "swedish: å ä ö are letters after z, ø with ö, ü with y, v and w apart": ("sv", [
        ("A", "Aalto"), ("V", "Vik"), ("W", "Wik"), ("Y", "Ülle"), ("Y", "Yngve"), ("Z", "Zorn"),
        ("Å", "Ångström"), ("Å", "Åsa"), ("Ä", "Ärla"), ("Ö", "Ødegaard"), ("Ö", "Örn"), ("Ö", "Øst"),
    ]),
    # English: letter by letter within a word, word by word across words (a space or an apostrophe sorts before
    # any letter, as the book's pyuca order did); Mc is filed as spelled, not as Mac; particles file where
    # the person's sort_as puts them ("Cruz, Juan de la" or "De la Cruz, Juan"); the part before the comma
    # first ("Dupont, Marie" before "Dupont-Aignan, Nicolas", as Chicago files them).
    "english: Mc as spelled, apostrophes and spaces before letters, particles by sort_as": ("en-GB", [
        ("#", "(No. 193)"), ("#", "2002 Recommendation"),
        ("C", "Cruz, Juan de la"), ("D", "de Gaulle, Charles"), ("D", "De la Cruz, Juan"), ("D", "Dela Cruz, Ana"),
        ("D", "Delacroix, Eugène"), ("D", "Dupont, Marie"), ("D", "Dupont-Aignan, Nicolas"),
        ("G", "Gaulle, Charles de"), ("M", "Mabbott, Jane"), ("M", "MacArthur, Ian"), ("M", "Machado, Ana"),
        ("M", "McAdam, John"), ("M", "McBride, Sean"), ("M", "Muralt, Jürgen von"), ("O", "O’Brien, Kate"),
        ("O", "O’Neill, Tom"), ("O", "Oakes, Ann"), ("O", "Obama, Barack"), ("O", "Øresund"),
        ("O", "Örnek, Ana"), ("V", "Van der Berg, Piet"), ("V", "Van Dyke, Dick"), ("V", "Vanderbilt, Cornelius"),
    ]),
}


@pytest.mark.parametrize("case", CASES)
def test_names_sort_and_group_by_the_languages_rules(case: str) -> None:
    tag, expected = CASES[case]
    assert ordered(tag, [name for _, name in reversed(expected)]) == expected


def test_swedish_letter_groups_follow_z() -> None:
    rules = collation("sv")
    names = ["Örn", "Zorn", "Ärla", "Åsa", "Adams"]
    groups = list(dict.fromkeys(rules.letter_of(n) for n in sorted(names, key=rules.sort_key)))
    assert groups == ["A", "Z", "Å", "Ä", "Ö"]
    assert [letter_of(n) for n in ("Åsa", "Ärla", "Örn")] == ["A", "A", "O"]  # English files them under A, O


def test_english_keeps_the_letters_the_index_always_used() -> None:
    terms = ["Côte d’Ivoire", "Örnek", "éclair", "Łódź", "Øresund", "Æsop", "Œuvre", "Đakovo", "ßa",
             "2002 Recommendation", "(No. 193)", "’t Hooft", "", "  Zorn"]
    assert [collation("en-GB").letter_of(t) for t in terms] == [
        "C", "O", "E", "L", "O", "A", "O", "D", "S", "#", "#", "#", "#", "Z"]


def test_other_scripts_keep_their_first_letter_and_latin_names_group_in_any_language() -> None:
    assert [collation("en").letter_of(t) for t in ("Ωmega", "Жук")] == ["Ω", "Ж"]
    russian = collation("ru")
    assert [russian.letter_of(t) for t in ("Жук", "Adams", "Øresund", "Ωmega")] == ["Ж", "A", "O", "Ω"]


def test_unknown_and_regional_tags_fall_back_to_their_language_then_the_root_order() -> None:
    names = ["Ñandú", "Núñez", "Ocampo", "Zorn", "Åsa"]
    assert ordered("tlh", names) == ordered("en", names)  # Klingon: no ICU data, the root order
    assert ordered("es-MX", names) == ordered("es", names) != ordered("en", names)
    assert collation("es") is collation("es")


def test_sort_keys_are_icu_bytes_and_deterministic() -> None:
    key = sort_key("Núnez", "es")
    assert isinstance(key, bytes) and key == collation("es").sort_key("Núnez")

    def primary(k: bytes) -> bytes:
        return k.split(b"\x01")[0]  # ICU's sort keys separate their levels with 01

    assert primary(sort_key("Nunez", "es")) == primary(key) and sort_key("Nunez", "es") < key  # accents second
    assert primary(sort_key("Nuñez", "es")) > primary(key)  # ñ is a letter of its own
    collation.cache_clear()
    assert sort_key("Núnez", "es") == key  # a new collator gives the same bytes
    assert versions().startswith("ICU ") and "Unicode" in versions()


def test_build_index_takes_the_books_language(tmp_path: Path) -> None:
    loaded = load(spanish_content(tmp_path))
    mentions = render_book(loaded.book, "pdf", loaded.registry).mentions
    spanish = build_index(loaded.registry, mentions, ["people"], short_titles={"rosa-ocampo": "Ocampo"},
                          language="es")
    english = build_index(loaded.registry, mentions, ["people"], short_titles={"rosa-ocampo": "Ocampo"})
    assert [g.letter for g in spanish.sections[0].groups] == ["C", "N", "Ñ", "O"]
    assert [g.letter for g in english.sections[0].groups] == ["C", "N", "O"]


# A tiny Spanish book: one interview naming people whose surnames open with C, Ch, N and Ñ.
PEOPLE = [("lucia-nunez", "Lucía Núñez"), ("tomas-nancupil", "Tomás Ñancupil"), ("andres-nieto", "Andrés Nieto"),
          ("elena-cervantes", "Elena Cervantes"), ("pablo-chavez", "Pablo Chávez"), ("ines-cisneros", "Inés Cisneros")]
EXPECTED = [("C", ["Cervantes, Elena", "Chávez, Pablo", "Cisneros, Inés"]),
            ("N", ["Nieto, Andrés", "Núñez, Lucía"]),
            ("Ñ", ["Ñancupil, Tomás"]),
            ("O", ["Ocampo, Rosa"])]


def spanish_content(root: Path) -> Path:
    """A content folder for a one-interview book in Spanish (language: es) that indexes people only."""
    content = root / "content"
    (content / "registry").mkdir(parents=True)
    (content / "interviews").mkdir()
    book = yaml.safe_load((REPO / "tests" / "books" / "mini" / "book.yaml").read_text("utf-8"))
    book.update(title="Antología de prueba", subtitle=None, language="es", order=["rosa-ocampo"])
    book["print"]["indexes"] = ["people"]
    book = {k: v for k, v in book.items() if v is not None}
    (content / "book.yaml").write_text(yaml.safe_dump(book, sort_keys=False, allow_unicode=True), "utf-8")
    people = [{"id": ident, "name": name} for ident, name in PEOPLE]
    (content / "registry" / "people.yaml").write_text(yaml.safe_dump(people, allow_unicode=True), "utf-8")
    names = ", ".join(name for _, name in PEOPLE)
    interview = {
        "id": "rosa-ocampo", "interviewee": {"name": "Rosa Ocampo", "role": "Cooperativista"},
        "date": "2021-03-15", "source": {"publisher": "ILO", "kind": "Interview"},
        "questions": [{"q": "¿Con quién trabajó?", "a": f"Trabajé con {names} en cooperativas de Chile."}],
    }
    (content / "interviews" / "rosa-ocampo.yaml").write_text(
        yaml.safe_dump(interview, sort_keys=False, allow_unicode=True), "utf-8")
    return content


@pytest.fixture(scope="module")
def spanish_book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Output]:
    """The Spanish book built as a PDF and an EPUB."""
    root = tmp_path_factory.mktemp("spanish")
    content = spanish_content(root)
    outputs = build(BuildOptions(content, root / "build", ("pdf", "epub")))
    return {o.format: o for o in outputs}


def groups_in_pdf(path: Path) -> list[tuple[str, list[str]]]:
    """(letter, [terms]) of the index as the PDF prints it: a letter alone on its line opens a group."""
    reader = pypdf.PdfReader(str(path))
    start = reader.get_destination_page_number(reader.named_destinations["index"])
    lines = [line.strip() for page in reader.pages[start:] for line in (page.extract_text() or "").splitlines()]
    groups: list[tuple[str, list[str]]] = []
    for line in lines:
        if len(line) == 1 and line.isalpha() and line.isupper():
            groups.append((line, []))
        elif groups and "," in line:
            groups[-1][1].append(line.rsplit(",", 1)[0].strip())
    return groups


def groups_in_epub(path: Path) -> list[tuple[str, list[str]]]:
    """(letter, [terms]) of the EPUB's index documents, from their index-group sections."""
    book = Epub.open(path)
    groups = []
    for name in book.spine_documents():
        for group in book.xml(name).iterfind(".//x:section[@class='index-group']", NS):
            heading = next(h for h in group if h.tag in (f"{{{NS['x']}}}h1", f"{{{NS['x']}}}h2"))
            terms = ["".join(span.itertext()) for span in group.iterfind("x:ul/x:li/x:span", NS)]
            groups.append(("".join(heading.itertext()).strip(), terms))
    return groups


@pytest.mark.slow
def test_a_spanish_book_files_n_tilde_after_n_in_the_pdf_and_the_epub(spanish_book: dict[str, Output]) -> None:
    assert groups_in_pdf(spanish_book["pdf"].path) == EXPECTED
    assert groups_in_epub(spanish_book["epub"].path) == EXPECTED
    assert epubcheck(spanish_book["epub"].path) == []



def test_a_heading_sorts_by_its_part_before_the_comma_first() -> None:
    """An inverted name files under its surname as written: "Quintero, Tomás" before "Quintero Rivas, Tomás"
    (ICU alone would put the space before the comma), "Smith, Zoe" before "Smithers, Al"."""
    for language in ("es", "en-GB"):
        names = ["Quintero Rivas, Tomás", "Smithers, Al", "Quintero, Tomás", "Smith, Zoe", "Quintero, Ana"]
        assert sorted(names, key=lambda t: sort_key(t, language)) == [
            "Quintero, Ana", "Quintero, Tomás", "Quintero Rivas, Tomás", "Smith, Zoe", "Smithers, Al"]
