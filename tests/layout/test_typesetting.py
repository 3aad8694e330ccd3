"""The text block as a production editor checks it, measured in WeasyPrint's laid-out boxes of every interview.

On the real book, tests/books/mini, tests/books/features, tests/books/multilingual, tests/books/spanish and a book
of several interviews: at most 8 % of full lines end in a hyphenation break, never three in a row, three letters at
least on each side of a break, no hyphen in a paragraph's last full line, no paragraph ends in a scrap of under
four characters after a break, and at most one loose line a book. The interviews are laid out the way the build
lays them out (the same page geometry, stylesheets, specs, first folios and feedback step,
coopbook.layout.refine), so the lines measured are the lines printed.
"""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pypdf
import pytest
from weasyprint import HTML

from coopbook.layout.book import book_style, interview_specs
from coopbook.layout.linestats import LineStats, Paragraph, line_stats, log_book_line_stats, paragraphs
from coopbook.layout.pagestarts import countable
from coopbook.layout.part import lay_out
from coopbook.layout.remedies import (
    BREAKABLE,
    KEEP_TOGETHER,
    LOOSER,
    PULL_TRACKING,
    TIGHT_TRACKING,
    TIGHTER,
    TRACKING,
    UNBREAKABLE,
    UNBREAKABLE_COMPOUND,
)
from coopbook.layout.retouch import Remedy, Retouch, retouch
from coopbook.markdown.convert import parse
from coopbook.markdown.typography import typeset
from coopbook.pipeline import load, render, template_context
from coopbook.templating import TEMPLATES

from makers import make_book
from markdown_oracle import to_html

REPO = Path(__file__).resolve().parents[2]
BOOKS = {"real": REPO / "content", "mini": REPO / "tests" / "books" / "mini",
         "features": REPO / "tests" / "books" / "features", "multilingual": REPO / "tests" / "books" / "multilingual",
         "spanish": REPO / "tests" / "books" / "spanish"}
MAX_HYPHEN_RATE = 0.08
MAX_STACK = 2
MIN_SIDE = 3
MIN_LAST_LINE = 4
# One loose line a book at most: the feedback step fixes the others (19 on the real book and one on mini before
# it; 1 on the real book after it). What is left needs more than the tracking it may use (the real book's last
# one, "… reforms. The designing of", would take 0.038 em), its next word cannot break with three letters each
# side, and setting the paragraph tighter makes it worse: only rewording would fix it.
MAX_LOOSE = 1
# The multilingual book (110 mm trim, its interviews written to be hyphenated) met none of this with the fixed
# margins of a 6 × 9 in page: a 74 mm measure of ~45 characters, 13 of 73 full lines hyphenated, 7 loose. Its
# margins now follow the trim (coopbook.layout.geometry: 84 mm, ~51 characters; 7 of 62 hyphenated, 2 loose with
# the feedback step as it was) and the feedback step retries every paragraph not yet perfect (RETRIES) and can
# draw a hyphenated word up whole (remedies.pull_up): 4 of 62, 1 loose.
WORD_END = re.compile(r"(\w+)\W*$")
WORD_START = re.compile(r"^\W*(\w+)")


def measured(content: Path, refined: bool = True) -> list[tuple[str, list[Paragraph], LineStats]]:
    """Each interview of the book laid out as the build does it: (name, paragraphs, line stats)."""
    loaded = load(content)
    rendered = render(loaded).books["pdf"]
    context = template_context(loaded.book)
    style = book_style(context, TEMPLATES, rendered)
    folio, found = 1, []
    for spec in interview_specs(rendered, context, TEMPLATES):
        document, layout = lay_out(style, spec, folio, refined=refined)
        folio += layout.page_count
        found.append((spec.name, paragraphs(document), line_stats(document)))
    return found


@pytest.fixture(scope="module", params=[*BOOKS, "several"])
def book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list]:
    """The interviews of one test book, laid out."""
    name = request.param
    content = BOOKS.get(name) or make_book(tmp_path_factory.mktemp("several"), [14, 40, 6, 25], questions=3)
    return name, measured(content)


def test_hyphen_rate_and_stacks(book: tuple[str, list]) -> None:
    """At most 8 % of the full lines are hyphenated, and never three such lines in a row."""
    name, parts = book
    full = sum(stats.full_lines for _, _, stats in parts)
    hyphenated = sum(stats.hyphenated for _, _, stats in parts)
    assert full > 0
    assert hyphenated / full <= MAX_HYPHEN_RATE, f"{name}: {hyphenated} of {full} full lines hyphenated"
    stacks = {part: stats.longest_stack for part, _, stats in parts if stats.longest_stack > MAX_STACK}
    assert not stacks, f"{name}: hyphen stacks over {MAX_STACK}: {stacks}"


def test_breaks_leave_three_letters_each_side(book: tuple[str, list]) -> None:
    """A break leaves at least three letters before the hyphen and three on the next line (no "vo-lunteers")."""
    name, parts = book
    weak = []
    for part, found, _ in parts:
        for paragraph in found:
            for line, after in zip(paragraph.lines, paragraph.lines[1:], strict=False):
                if not line.hyphenated:
                    continue
                head = WORD_END.search(line.text.rstrip("\u2010- \u00ad"))
                tail = WORD_START.search(after.text)
                if not head or not tail or len(head.group(1)) < MIN_SIDE or len(tail.group(1)) < MIN_SIDE:
                    weak.append((part, line.text[-20:], after.text[:20]))
    assert not weak, f"{name}: weak breaks {weak}"


def test_no_scrap_after_a_break(book: tuple[str, list]) -> None:
    """No paragraph ends in a line of under four characters after a break (no lone "terials.")."""
    name, parts = book
    scraps = [(part, p.lines[-1].text) for part, found, _ in parts for p in found
              if len(p.lines) > 1 and p.lines[-2].hyphenated and len(p.lines[-1].text.strip()) < MIN_LAST_LINE]
    assert not scraps, f"{name}: {scraps}"


def test_no_hyphen_in_a_paragraphs_last_full_line(book: tuple[str, list]) -> None:
    """The last full line of a paragraph does not end in a hyphenation break."""
    name, parts = book
    found = [(part, p.lines[-2].text[-20:]) for part, paras, _ in parts for p in paras
             if len(p.lines) > 1 and p.lines[-2].hyphenated]
    assert not found, f"{name}: {found}"


def test_loose_lines(book: tuple[str, list]) -> None:
    """At most one justified line a book has gaps over twice the normal space (or is one word, spread)."""
    name, parts = book
    loose = [(part, line.text, round(line.gap, 2)) for part, found, _ in parts for p in found
             for line in p.lines[:-1] if line.loose]
    assert len(loose) <= MAX_LOOSE, f"{name}: {loose}"
    assert sum(stats.loose for _, _, stats in parts) == len(loose)


def test_the_feedback_step_fixes_the_real_books_faults_and_keeps_its_wording() -> None:
    """Without the feedback step the real book has 19 loose lines and a hyphen in a last full line; with it, at
    most one loose line, no such hyphen, each part's last paragraph on the same page, and the same words."""
    before, after = measured(BOOKS["real"], refined=False), measured(BOOKS["real"])
    assert sum(stats.loose for _, _, stats in before) >= 10
    assert any(len(p.lines) > 1 and p.lines[-2].hyphenated for _, found, _ in before for p in found)
    assert sum(stats.loose for _, _, stats in after) <= MAX_LOOSE
    assert not any(len(p.lines) > 1 and p.lines[-2].hyphenated for _, found, _ in after for p in found)

    def words(parts: list) -> list[str]:  # the text as read: broken words joined, lines joined by a space
        text = "".join(line.text.rstrip(" ").removesuffix("\u2010") + ("" if line.hyphenated else " ")
                        for _, found, _ in parts for p in found for line in p.lines)
        return text.replace("\u200b", "").split()
    assert "".join(words(after)) == "".join(words(before))  # a line may also break after a slash: "(COOP/"
    assert [found[-1].page for _, found, _ in after] == [found[-1].page for _, found, _ in before]


def test_the_feedback_step_brings_the_hyphen_rate_down_without_loose_lines() -> None:
    """The Spanish book's short interviews are over the 8 % target as first laid out (4 of 20 full lines, one in
    a last full line); the feedback step makes hyphenated words unbreakable where their lines stay tight: half as
    many hyphens, none in a last full line, no loose line, the same pages and the same words."""
    before, after = measured(BOOKS["spanish"], refined=False), measured(BOOKS["spanish"])
    count = {name: sum(stats.hyphenated for _, _, stats in parts) for name, parts in (("b", before), ("a", after))}
    assert count["b"] >= 4 and count["a"] <= count["b"] // 2, count
    assert sum(stats.loose for _, _, stats in after) <= sum(stats.loose for _, _, stats in before)
    assert not any(len(p.lines) > 1 and p.lines[-2].hyphenated for _, found, _ in after for p in found)
    assert [found[-1].page for _, found, _ in after] == [found[-1].page for _, found, _ in before]
    assert "".join(_words(after)) == "".join(_words(before))


def test_the_feedback_step_draws_a_hyphenated_word_up_whole(caplog: pytest.LogCaptureFixture) -> None:
    """On the multilingual book's narrow measure a hyphenated word is drawn up onto its line by tracking the line
    a little tighter (remedies.pull_up): a paragraph keeps that setting, with no hyphen left in it."""
    with caplog.at_level(logging.DEBUG, logger="coopbook.layout.refine"):
        measured(BOOKS["multilingual"])
    pulled = re.compile(rf"-> \(0, 0, .*\d+:\d+ {TIGHT_TRACKING.format(0)[:-3]}\d{{3}} {UNBREAKABLE}")
    chosen = [r.getMessage() for r in caplog.records if "paragraph" in r.getMessage() and " -> " in r.getMessage()]
    assert any(pulled.search(message) for message in chosen), chosen


def _words(parts: list) -> list[str]:
    """The text as read: broken words joined, lines joined by a space."""
    text = "".join(line.text.rstrip(" ").removesuffix("\u2010") + ("" if line.hyphenated else " ")
                   for _, found, _ in parts for p in found for line in p.lines)
    return text.replace("\u200b", "").split()


def test_the_books_total_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """The build's debug log adds up the parts' counts (a cached part that kept none is left out)."""
    with caplog.at_level(logging.DEBUG, logger="coopbook.layout.linestats"):
        total = log_book_line_stats([LineStats(90, 6, 2, 1), None, LineStats(10, 0, 0, 2)])
    assert total == LineStats(100, 6, 2, 3)
    assert caplog.records[-1].getMessage() == ("book: 100 full lines, 6 hyphenated (6.0 %), longest stack 2, "
                                               "3 loose (2 parts)")


def test_loose_lines_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    """The build's debug log reports each part's hyphenation and loose lines, as counted in its boxes."""
    with caplog.at_level(logging.DEBUG, logger="coopbook.layout.linestats"):
        parts = measured(BOOKS["mini"])
    lines = [r.getMessage() for r in caplog.records if r.name == "coopbook.layout.linestats"]
    assert len(lines) == len(parts)
    for (part, _, stats), line in zip(parts, lines, strict=True):
        assert line.startswith(f"{part}: {stats.full_lines} full lines, {stats.hyphenated} hyphenated")
        assert line.endswith(f"{stats.loose} loose")


def test_typography_at_render_time() -> None:
    """Straight quotes come out typographic and the no-break rules hold, in the HTML only (not the tokens)."""
    text = 'She said "the ILO\'s Recommendation No. 193 covers 12-15 km" and \'farmers\' cooperatives\'.'
    html = to_html(text, "t")
    assert "“the ILO’s Recommendation No.\u00a0193 covers 12\u2060-\u206015\u00a0km”" in html
    assert "‘farmers’ cooperatives’" in html
    assert "ILO\u00a0COOP\u00a0100" in to_html("The ILO COOP 100 series.", "t")
    tokens, _ = parse(text, "t")
    assert text in [t.content for t in tokens if t.type == "inline"]  # what index tagging and checks read
    assert typeset("1998-2000, see https://x.org/2020-08-01") == "1998\u2060-\u20602000, see https://x.org/2020-08-01"


def test_typography_in_the_real_outputs(real_book: dict) -> None:
    """The real book's EPUB and PDF keep "No. 193" and "ILO COOP 100" together; index ranges never break."""
    with zipfile.ZipFile(real_book["epub"].path) as z:
        interview = z.read("EPUB/interview-alexandre-soho.xhtml").decode("utf-8")
        countries = z.read("EPUB/index-countries.xhtml").decode("utf-8")
    assert "No.\u00a0193" in interview and "ILO\u00a0COOP\u00a0100" in interview
    assert "</a>\u2060–\u2060<a" in countries
    text = "".join(page.extract_text() for page in pypdf.PdfReader(real_book["pdf"].path).pages)
    assert "No.\u00a0193" in text and "ILO\u00a0COOP\u00a0100" in text
    assert "ILO's" not in text


def test_remedies_wrap_characters_in_spans_and_keep_the_text() -> None:
    """A remedy puts a span around ink characters, across inline elements (not into a footnote's text), and
    never changes the text; an empty range puts its classes on the paragraph itself."""
    source = HTML(string="<p id=p>One <em>two three</em> four, five <span class=footnote>note</span>six.</p>")
    elements = list(source.etree_element.iter())
    paragraph = next(n for n, e in enumerate(elements) if e.get("id") == "p")
    shown = frozenset(n for n, e in enumerate(elements) if e.tag in ("p", "em"))  # the footnote is set elsewhere
    text = "".join(elements[paragraph].itertext())
    remedies = (Remedy(0, 0, TIGHTER.classes), Remedy(3, 16, "fix-letter-spacing-010"),
                Remedy(20, 24, UNBREAKABLE))  # ink 3:16 is "two three four,", 20:24 "six."
    retouch(source.etree_element, [Retouch(paragraph, shown, 24, remedies)])
    assert "".join(elements[paragraph].itertext()) == text
    assert ElementTree.tostring(elements[paragraph], encoding="unicode") == (
        '<p id="p" class="fix-word-spacing-tighter">One <em><span class="fix-letter-spacing-010">two three</span>'
        '</em><span class="fix-letter-spacing-010"> four,</span> five <span class="footnote">note</span>'
        '<span class="fix-hyphens-manual">six.</span></p>')
    retouch(HTML(string="<p>Other text</p>").etree_element, [Retouch(paragraph, shown, 24, remedies)])  # no match


def test_every_remedy_class_is_a_rule_of_the_pdf_stylesheet() -> None:
    """The remedies are classes, their styles rules of templates/css/pdf.css (no CSS in Python): each class
    the step can write has its rule there, every tracking step from 001 to 021 and each tighter one a word drawn
    up whole may take included."""
    css = (TEMPLATES / "css" / "pdf.css").read_text("utf-8")
    written = {*UNBREAKABLE_COMPOUND.split(), *KEEP_TOGETHER.split(), BREAKABLE, UNBREAKABLE, TIGHTER.classes,
               LOOSER.classes, *(TRACKING.format(n) for n in range(1, 22)),
               *(TIGHT_TRACKING.format(n) for n in PULL_TRACKING)}
    missing = sorted(name for name in written if not re.search(rf"^\.{name} {{ [^}}]+ }}$", css, re.M))
    assert not missing, missing


def test_page_breaks_of_a_retouched_part_fall_between_words(real_book: dict) -> None:
    """The spans of the feedback step make WeasyPrint add zero-width spaces (a one-space text between two
    inline boxes of a justified line); they are not text, so the EPUB's page-break markers stay where the
    PDF's pages start: between words, never inside one ("B|etween")."""
    assert countable("a \u200bb\u2010") == 2
    with zipfile.ZipFile(real_book["epub"].path) as z:
        interview = z.read("EPUB/interview-alexandre-soho.xhtml").decode("utf-8")
    markers = list(re.finditer(r'<span epub:type="pagebreak"[^>]*/>', interview))
    assert markers
    inside = [interview[m.start() - 12:m.end() + 12] for m in markers
              if interview[m.start() - 1].isalpha() and interview[m.end()].isalpha()]
    assert not inside


def test_remedies_leave_no_lone_space_between_spans() -> None:
    """Two remedies one space apart take the space into the first span: a text of one space at a line's end is
    justified by WeasyPrint (it adds a zero-width space to it), which left a line of the real book short of the
    margin; linestats counts such a line as loose."""
    source = HTML(string="<p>One two three four</p>")
    elements = list(source.etree_element.iter())
    paragraph = next(n for n, e in enumerate(elements) if e.tag == "p")
    retouch(source.etree_element, [Retouch(paragraph, frozenset({paragraph}), 15,
                                           (Remedy(3, 6, "a"), Remedy(6, 11, "b")))])
    assert ElementTree.tostring(elements[paragraph], encoding="unicode") == (
        '<p>One <span class="a">two </span><span class="b">three</span> four</p>')
