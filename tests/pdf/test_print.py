"""The printer's PDF as a prepress check reads it: single-ink black, even pages, boxes, PDF/X-4 intent and metadata.

veraPDF does not check PDF/X, and no PDF/X validator runs here: these tests check, with pikepdf, what PDF/X-4
asks of this file and what issue 14 names; a printer's preflight remains the last word.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pikepdf
import pytest
from PIL import ImageCms

from coopbook.pdf.printmarks import add_bleed_and_marks
from coopbook.pipeline import Output

TEXT_SHOWING = {"Tj", "TJ", "'", '"'}
FILL = {"g", "rg", "k", "sc", "scn"}


def content_streams(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    """Every page and every Form XObject (nested ones too), each once."""
    seen: set[tuple[int, int]] = set()

    def forms(resources: pikepdf.Object | None) -> Iterator[pikepdf.Object]:
        if resources is None or "/XObject" not in resources:
            return
        for xobject in resources.XObject.values():
            if xobject.get("/Subtype") == pikepdf.Name.Form and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                yield xobject
                yield from forms(xobject.get("/Resources"))

    for page in pdf.pages:
        yield page.obj
        yield from forms(page.obj.get("/Resources"))


def colour_operations(stream: pikepdf.Object) -> list[tuple[str, list[float]]]:
    """The colour-setting operations of one content stream, with their operands."""
    operations = []
    for ins in pikepdf.parse_content_stream(stream):
        op = str(ins.operator)
        if op in {"g", "G", "rg", "RG", "k", "K"}:
            operations.append((op, [float(v) for v in ins.operands]))
    return operations


def text_fill_operators(stream: pikepdf.Object) -> set[str | None]:
    """The operator that set the fill colour in force wherever the stream shows text (None: the default, gray 0)."""
    fill: str | None = None
    saved: list[str | None] = []
    found: set[str | None] = set()
    for ins in pikepdf.parse_content_stream(stream):
        op = str(ins.operator)
        if op == "q":
            saved.append(fill)
        elif op == "Q":
            fill = saved.pop() if saved else None
        elif op in FILL:
            fill = op
        elif op in TEXT_SHOWING:
            found.add(fill)
    return found


def is_rgb_black(operation: tuple[str, list[float]]) -> bool:
    """Whether an operation sets RGB black, which a press turns into four inks."""
    op, operands = operation
    return op in {"rg", "RG"} and operands == [0.0, 0.0, 0.0]


@pytest.fixture(scope="module")
def books(real_book: dict[str, Output], mini_book: dict[str, Output]) -> list[dict[str, Output]]:
    """The real book and the mini book (whose screen PDF has an odd page count)."""
    return [real_book, mini_book]


def test_black_is_single_ink_and_text_is_drawn_in_gray(books: list[dict[str, Output]]) -> None:
    for book in books:
        pdf = pikepdf.open(book["print"].path)
        grays = 0
        for stream in content_streams(pdf):
            operations = colour_operations(stream)
            assert not [o for o in operations if is_rgb_black(o)], f"RGB black in {book['print'].path.name}"
            grays += sum(1 for op, operands in operations if op in {"g", "G"} and operands == [0.0])
            assert text_fill_operators(stream) <= {"g", None}, "text drawn in a colour set other than by g"
        assert grays, "no single-ink black at all"
        marks = [o for page in pdf.pages for o in colour_operations(page.obj) if o[0] == "K"]
        assert not marks, "crop marks in four-ink registration black"


def test_screen_pdf_keeps_rgb_and_declares_no_print_intent(books: list[dict[str, Output]]) -> None:
    """The print-only changes stay out of the screen PDF (its bytes are compared with main's by hand)."""
    for book in books:
        screen = pikepdf.open(book["pdf"].path)
        assert any(is_rgb_black(o) for page in screen.pages for o in colour_operations(page.obj))
        assert "/OutputIntents" not in screen.Root and "/GTS_PDFXVersion" not in screen.docinfo
        assert all("/TrimBox" not in page.obj for page in screen.pages)


def test_even_page_count_with_a_blank_last_page_when_needed(books: list[dict[str, Output]]) -> None:
    odd_seen = False
    for book in books:
        screen, press = pikepdf.open(book["pdf"].path), pikepdf.open(book["print"].path)
        assert len(press.pages) % 2 == 0
        assert len(press.pages) == len(screen.pages) + len(screen.pages) % 2
        if len(screen.pages) % 2:
            odd_seen = True
            last = press.pages[-1]
            shown = [i for i in pikepdf.parse_content_stream(last) if str(i.operator) in TEXT_SHOWING]
            assert not shown, "the added page is blank"
            assert list(last.TrimBox) == list(press.pages[-2].TrimBox)
            assert list(last.MediaBox) == list(press.pages[-2].MediaBox)
    assert odd_seen, "one of the books must have an odd screen page count for this test to mean anything"


def test_no_art_box_beyond_the_trim_box(books: list[dict[str, Output]]) -> None:
    for book in books:
        for page in pikepdf.open(book["print"].path).pages:
            if "/ArtBox" in page.obj:
                art, trim = [float(v) for v in page.ArtBox], [float(v) for v in page.TrimBox]
                assert art[0] >= trim[0] and art[1] >= trim[1] and art[2] <= trim[2] and art[3] <= trim[3]
            media, bleed, trim = ([float(v) for v in page.obj[box]] for box in ("/MediaBox", "/BleedBox", "/TrimBox"))
            assert media[0] <= bleed[0] <= trim[0] and trim[2] <= bleed[2] <= media[2]


def test_output_intent_is_pdfx_with_a_cmyk_printer_profile(books: list[dict[str, Output]]) -> None:
    for book in books:
        pdf = pikepdf.open(book["print"].path)
        intents = pdf.Root.OutputIntents
        assert len(intents) == 1
        intent = intents[0]
        assert intent.S == pikepdf.Name.GTS_PDFX and str(intent.OutputConditionIdentifier) == "FOGRA39"
        profile = intent.DestOutputProfile
        assert int(profile.N) == 4
        data = profile.read_bytes()
        assert data[36:40] == b"acsp" and data[12:16] == b"prtr" and data[16:20] == b"CMYK"
        assert int.from_bytes(data[:4], "big") == len(data)
        opened = ImageCms.ImageCmsProfile(io.BytesIO(data))
        assert "FOGRA39" in ImageCms.getProfileDescription(opened)


def test_info_and_xmp_declare_pdfx4(books: list[dict[str, Output]]) -> None:
    for book in books:
        pdf = pikepdf.open(book["print"].path)
        assert pdf.pdf_version == "1.6"
        assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-4" and pdf.docinfo.Trapped == pikepdf.Name("/False")
        assert pdf.trailer.ID[0] and "/Title" in pdf.docinfo
        meta = pdf.open_metadata()
        assert meta["pdfxid:GTS_PDFXVersion"] == "PDF/X-4" and meta["pdf:Trapped"] == "False"
        assert meta["dc:title"] == str(pdf.docinfo.Title)
        assert meta["xmpMM:DocumentID"].startswith("uuid:") and meta["xmp:CreateDate"]


def made_pdf() -> bytes:
    """One odd page drawing RGB black itself, through a Form XObject, a nested form, and an RGB image."""
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, b"\x00\x00\x00", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1,
                           Height=1, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    inner = pikepdf.Stream(pdf, b"0 0 0 rg 0 0 5 5 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                           BBox=[0, 0, 10, 10])
    outer = pikepdf.Stream(pdf, b"0 0 0 RG 0 0 m 9 9 l S 0.2 0.4 0.6 rg 0 0 2 2 re f /Inner Do",
                           Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10],
                           Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Inner=inner)))
    page = pdf.add_blank_page(page_size=(100, 100))
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Outer=outer, Im=image))
    page.obj.Contents = pdf.make_stream(b"0 0 0 rg 0 0 1 1 re f q /Outer Do Q q 10 0 0 10 0 0 cm /Im Do Q")
    page.obj.ArtBox = pikepdf.Array([-10, -10, 110, 110])
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_forms_recoloured_images_and_other_colours_left_alone() -> None:
    press = pikepdf.open(io.BytesIO(add_bleed_and_marks(made_pdf(), "3mm")))
    assert len(press.pages) == 2 and "/ArtBox" not in press.pages[0].obj
    streams = list(content_streams(press))
    assert len(streams) == 4, "both pages and both forms"
    operations = [o for stream in streams for o in colour_operations(stream)]
    assert not [o for o in operations if is_rgb_black(o)]
    assert ("G", [0.0]) in operations and ("g", [0.0]) in operations
    assert ("rg", [0.2, 0.4, 0.6]) in operations, "other RGB colours are left to the figure"
    image = press.pages[0].Resources.XObject.Im
    assert image.read_bytes() == b"\x00\x00\x00" and image.ColorSpace == pikepdf.Name.DeviceRGB
    default_rgb = press.pages[0].Resources.ColorSpace.DefaultRGB
    assert default_rgb[0] == pikepdf.Name.ICCBased and int(default_rgb[1].N) == 3


def test_the_black_check_sees_rgb_black() -> None:
    """The checks above can fail: the made PDF, unprinted, is full of RGB black."""
    made = pikepdf.open(io.BytesIO(made_pdf()))
    assert sum(is_rgb_black(o) for stream in content_streams(made) for o in colour_operations(stream)) == 3
    assert text_fill_operators(pikepdf.Stream(made, b"0 0 0 rg BT (x) Tj ET")) == {"rg"}
