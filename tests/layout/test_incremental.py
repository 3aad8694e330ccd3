"""Fast rebuilds: the per-part cache serves unchanged parts, never a stale one, and gives a clean build's bytes."""

from __future__ import annotations

import io
import shutil
from collections import Counter
from pathlib import Path

import pikepdf
import pypdf
import pytest

from coopbook.layout.book import book_style
from coopbook.markdown.fragments import render_book
from coopbook.pdf.book import write_screen
from coopbook.pipeline import BuildOptions, build, load, paginate, template_context
from coopbook.templating import TEMPLATES

from oracle import write_one_pass

REPO = Path(__file__).resolve().parents[2]


def mini(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "books" / "mini", content)
    return content


def run(content: Path, out: Path, templates: Path = TEMPLATES, jobs: int = 2) -> tuple[dict[str, bytes], Counter]:
    events: Counter = Counter()
    outputs = build(BuildOptions(content, out, ("pdf", "epub"), templates, jobs=jobs,
                                 progress=lambda event, name: events.update([event] if name != "blank" else [])))
    return {o.format: o.path.read_bytes() for o in outputs}, events


def correct(content: Path) -> None:
    path = content / "interviews" / "maria-perez.yaml"
    path.write_text(path.read_text("utf-8").replace("In Colombia", "In Bogotá, Colombia"), "utf-8")


@pytest.mark.slow
def test_a_correction_rebuilds_one_part_and_equals_a_clean_build(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = mini(tmp_path)
    first, events = run(content, tmp_path / "out")
    assert events["cached"] == 0 and events["written"] >= 3
    correct(content)
    incremental, events = run(content, tmp_path / "out")
    assert events["written"] == 1, events  # only the corrected interview; index and front unchanged
    assert events["cached"] >= 3
    clean, _ = run(content, tmp_path / "clean")
    assert incremental["pdf"] == clean["pdf"]
    assert incremental["epub"] == clean["epub"]
    assert incremental["pdf"] != first["pdf"]
    reader = pypdf.PdfReader(io.BytesIO(incremental["pdf"]))
    assert any("Bogotá" in (p.extract_text() or "") for p in reader.pages)


@pytest.mark.slow
def test_a_css_change_invalidates_every_part(tmp_path: Path) -> None:
    content = mini(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    before, _ = run(content, tmp_path / "out", templates)
    css = templates / "css" / "book.css"
    css.write_text(css.read_text("utf-8").replace("line-height: 1.35", "line-height: 1.5"), "utf-8")
    after, events = run(content, tmp_path / "out", templates)
    assert events["cached"] == 0, events
    assert after["pdf"] != before["pdf"]


@pytest.mark.slow
def test_one_process_and_two_give_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = mini(tmp_path)
    one, _ = run(content, tmp_path / "one", jobs=1)
    two, _ = run(content, tmp_path / "two", jobs=2)
    assert one == two


def outline(reader: pypdf.PdfReader) -> list[tuple[int, str, int]]:
    items: list[tuple[int, str, int]] = []

    def walk(nodes: list, depth: int) -> None:
        for node in nodes:
            if isinstance(node, list):
                walk(node, depth + 1)
            else:
                items.append((depth, node.title, reader.get_destination_page_number(node)))

    walk(reader.outline, 0)
    return items


def links(pdf: bytes) -> list[tuple[int, int]]:
    """(page index, target page index) of every internal link."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found = []
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = annot.get("/Dest")
            if dest is None and "/A" in annot and annot["/A"].get("/S") == "/GoTo":
                dest = annot["/A"]["/D"]
            if dest is None:
                continue
            if isinstance(dest, str):
                target = reader.get_destination_page_number(reader.named_destinations[dest])
            else:
                target = reader.get_page_number(dest[0].get_object())
            found.append((number, target))
    return sorted(found)


def font_programs(pdf: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        names = []
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                names.append(str(obj.FontName))
        return names


def test_assembled_pdf_matches_the_one_pass_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = mini(tmp_path)
    options = BuildOptions(content, tmp_path / "out", ("pdf",), jobs=1)
    loaded = load(content)
    context = template_context(loaded.book)
    rendered = render_book(loaded.book, "pdf", loaded.registry)
    book_pdf = paginate(rendered, loaded.registry, context, options)
    assembled = write_screen(book_pdf, context, None)
    reference = write_one_pass(book_pdf, book_style(context, TEMPLATES, rendered))
    one, two = pypdf.PdfReader(io.BytesIO(assembled)), pypdf.PdfReader(io.BytesIO(reference))
    assert len(one.pages) == len(two.pages)
    assert one.page_labels == two.page_labels
    # the assembled body pages carry their folios (drawn from the furniture); the one-pass PDF has none there
    texts = [p.extract_text() for p in two.pages]
    for number, (label, text) in enumerate(zip(one.page_labels, [p.extract_text() for p in one.pages], strict=True)):
        if label.isdigit() and texts[number].strip():
            assert text.startswith(f"{label}\n"), (number, text)  # the folio, drawn first
            assert text.removeprefix(f"{label}\n") == texts[number], number
        else:
            assert text == texts[number], number
    assert outline(one) == outline(two)
    assert links(assembled) == links(reference) and len(links(assembled)) >= 10
    assert "/StructTreeRoot" in one.trailer["/Root"] and one.trailer["/Root"]["/Lang"] == "en-GB"
    assert one.metadata.title == two.metadata.title and one.metadata.author == two.metadata.author
    programs = font_programs(assembled)
    assert len(programs) == len(set(programs)), programs
    assert len(assembled) <= 1.5 * len(reference), (len(assembled), len(reference))


@pytest.mark.slow
def test_cache_entries_unused_for_a_week_are_pruned(tmp_path: Path) -> None:
    import os
    import time

    content = mini(tmp_path)
    run(content, tmp_path / "out")
    entries = sorted((tmp_path / "out" / ".cache" / "parts").glob("*/*.part"))
    assert entries
    stale = entries[0]
    old = time.time() - 8 * 24 * 3600
    os.utime(stale, (old, old))
    orphan = stale.with_name("0" * 64 + ".part")
    orphan.write_bytes(b"not a pickle")
    os.utime(orphan, (old, old))
    _, events = run(content, tmp_path / "out")
    assert not orphan.exists(), "an entry no build used for a week is removed"
    assert stale.exists(), "an entry this build used is kept (its time is refreshed on use)"
    assert events["cached"] >= 3


def shift(content: Path) -> None:
    """A page-shifting correction (after `correct`): a long paragraph added to maria-perez."""
    path = content / "interviews" / "maria-perez.yaml"
    paragraph = "A paragraph added by the editor, long enough to need more room on the page. " * 120
    path.write_text(path.read_text("utf-8").replace("In Bogotá", f"{paragraph}\n\n      In Bogotá"), "utf-8")


def run_named(content: Path, out: Path, jobs: int) -> tuple[dict[str, bytes], list[str], int]:
    """Build; return the outputs, what was laid out (by name, blanks left out) and the PDF's page count.

    Furniture pieces (coopbook.pdf.furniture) are in the list too, as "furniture-..." names (see pieces()).
    """
    laid: list[str] = []
    outputs = build(BuildOptions(content, out, ("pdf", "epub"), TEMPLATES, jobs=jobs,
                                 progress=lambda event, name: laid.append(name) if event == "written" else None))
    pages = next(o.pages for o in outputs if o.format == "pdf")
    return {o.format: o.path.read_bytes() for o in outputs}, [n for n in laid if n != "blank"], pages or 0


def parts(laid: list[str]) -> list[str]:
    """The parts among the names laid out (not the furniture pieces)."""
    return [name for name in laid if not name.startswith("furniture-")]


def pieces(laid: list[str]) -> list[str]:
    """The page furniture pieces among the names laid out."""
    return [name for name in laid if name.startswith("furniture-")]


def no_cache(content: Path, out: Path, jobs: int) -> bytes:
    """The screen PDF of a clean build without the cache (every part laid out, joined as it comes)."""
    (output,) = build(BuildOptions(content, out, ("pdf",), TEMPLATES, jobs=jobs, cache=False))
    return output.path.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_a_page_shifting_correction_lays_out_one_interview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           jobs: int) -> None:
    """The rebuilds equal clean builds byte for byte, with or without the cache: the PDF's parts are joined as
    they come (cached ones while the corrected interview is laid out), in whatever order, into the same bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = mini(tmp_path)
    book = content / "book.yaml"  # the corrected interview first, so that an interview follows it
    book.write_text(book.read_text("utf-8").replace("[jurgen-von-muralt, maria-perez]",
                                                    "[maria-perez, jurgen-von-muralt]"), "utf-8")
    _, first_laid, first_pages = run_named(content, tmp_path / "out", jobs)
    assert "maria-perez" in first_laid and len(parts(first_laid)) >= 4
    assert len(pieces(first_laid)) >= 3  # folios (here only at the foot), the versos' title, the rectos' heads
    correct(content)  # a one-word correction: one interview, nothing else (its folios did not move)
    one_word, laid, _ = run_named(content, tmp_path / "out", jobs)
    assert laid == ["maria-perez"], laid
    assert one_word == run_named(content, tmp_path / f"clean-word-{jobs}", jobs)[0]
    assert one_word["pdf"] == no_cache(content, tmp_path / f"no-cache-word-{jobs}", jobs)
    shift(content)
    incremental, laid, pages = run_named(content, tmp_path / "out", jobs)
    assert pages >= first_pages + 1  # the correction moved every later page
    assert {n for n in parts(laid) if not n.startswith("index-")} <= {"maria-perez", "front"} \
        and "maria-perez" in laid, laid
    # no furniture piece depends on a page count: none laid out before is laid out again (here the interview's
    # new pages need the first run of top folios, which no page needed before)
    assert not set(pieces(laid)) & set(pieces(first_laid)) and len(pieces(laid)) <= 1, laid
    clean, clean_laid, _ = run_named(content, tmp_path / f"clean-shift-{jobs}", jobs)
    assert len(parts(clean_laid)) > len(parts(laid))
    assert incremental["pdf"] == clean["pdf"] == no_cache(content, tmp_path / f"no-cache-shift-{jobs}", jobs)
    assert incremental["epub"] == clean["epub"]
