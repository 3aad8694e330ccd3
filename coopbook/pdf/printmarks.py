"""The print variant from the screen PDF: the same pages on a larger sheet with bleed and crop marks, for PDF/X-4.

The pages are not laid out again: each page's MediaBox grows by the bleed plus a slug for the marks, the
TrimBox keeps the trim size, the BleedBox the trim plus bleed, and crop marks are drawn in the slug (outside
the bleed, as printers expect) as artifacts, so the tagged structure is untouched.

For the press: RGB black (`0 0 0 rg`, `0 0 0 RG`) in the pages' and Form XObjects' content becomes single-ink
black (`0 g`, `0 G`; image XObjects and other colours are left as they are, the pages' other DeviceRGB read as
sRGB through /DefaultRGB, which PDF/X-4 asks of device RGB under a CMYK intent), a blank page makes the count even,
any ArtBox goes, and the file declares PDF/X-4 (info, XMP) with a CMYK output intent (Coated FOGRA39).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from importlib.util import find_spec
from pathlib import Path

import pikepdf

from ..source.bookconfig import millimetres
from ..templating import TEMPLATES, render_template
from .catalog import output_intent

MARK_LENGTH = 12.0  # pt
MARK_OFFSET = 3.0  # pt between the bleed edge and a mark
POINTS_PER_MM = 72 / 25.4
PDFX_VERSION = "PDF/X-4"
PDF_VERSION = "1.6"  # PDF/X-4 is based on PDF 1.6
PROFILE = TEMPLATES / "icc" / "CoatedFOGRA39-coopbook.icc"
CONDITION_ID = "FOGRA39"
CONDITION = "Coated FOGRA39 (ISO 12647-2:2004/Amd 1), offset on coated paper, 115 g/m2"
SRGB_NAME = ("pdf", "sRGB2014.icc")  # WeasyPrint's sRGB profile: DeviceRGB left in figures is read as sRGB
SINGLE_INK = {"rg": "g", "RG": "G"}  # RGB black → gray 0 (the black ink alone)


def single_ink_black(instructions: Iterable[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage]
                     ) -> tuple[list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage], int]:
    """The instructions with every RGB black (`0 0 0 rg`/`RG`) set as gray 0 (`g`/`G`), and how many changed."""
    out: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage] = []
    changed = 0
    for ins in instructions:
        op = str(ins.operator)
        if op in SINGLE_INK and [float(v) for v in ins.operands] == [0.0, 0.0, 0.0]:
            out.append(pikepdf.ContentStreamInstruction([0], pikepdf.Operator(SINGLE_INK[op])))
            changed += 1
        else:
            out.append(ins)
    return out, changed


def recolour_forms(resources: pikepdf.Object | None, seen: set[tuple[int, int]]) -> None:
    """Set RGB black as single-ink black inside the Form XObjects these resources use (nested forms too)."""
    if resources is None or "/XObject" not in resources:
        return
    for xobject in resources.XObject.values():
        if xobject.get("/Subtype") != pikepdf.Name.Form or xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        instructions, changed = single_ink_black(pikepdf.parse_content_stream(xobject))
        if changed:
            xobject.write(pikepdf.unparse_content_stream(instructions))
        recolour_forms(xobject.get("/Resources"), seen)


def recolour_page(pdf: pikepdf.Pdf, page: pikepdf.Page, seen: set[tuple[int, int]], default_rgb: pikepdf.Array
                  ) -> None:
    """Set the page's RGB black, and its Form XObjects', as single-ink black; read other RGB as sRGB."""
    instructions, changed = single_ink_black(pikepdf.parse_content_stream(page))
    if changed:
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
    resources = page.obj.get("/Resources")
    recolour_forms(resources, seen)
    if resources is not None:
        if "/ColorSpace" not in resources:
            resources.ColorSpace = pikepdf.Dictionary()
        resources.ColorSpace.DefaultRGB = default_rgb


def even_page_count(pdf: pikepdf.Pdf) -> None:
    """Add a blank last page with the last page's boxes when the page count is odd (a sheet has two sides)."""
    if len(pdf.pages) % 2 == 0:
        return
    last = pdf.pages[-1].obj
    blank = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=last.MediaBox, Resources=pikepdf.Dictionary(),
                               Contents=pdf.make_stream(b""))
    if "/Tabs" in last:
        blank.Tabs = last.Tabs
    pdf.pages.append(pikepdf.Page(blank))


def add_marks(pdf: pikepdf.Pdf, page: pikepdf.Page, b: float, slug: float) -> None:
    """Grow the page by bleed and slug, set its Trim-, Bleed- and CropBox, drop any ArtBox, draw crop marks."""
    x0, y0, x1, y1 = (float(v) for v in page.MediaBox)
    page.TrimBox = pikepdf.Array([x0, y0, x1, y1])
    page.BleedBox = pikepdf.Array([x0 - b, y0 - b, x1 + b, y1 + b])
    page.MediaBox = pikepdf.Array([x0 - slug, y0 - slug, x1 + slug, y1 + slug])
    page.CropBox = page.MediaBox
    if "/ArtBox" in page.obj:
        del page.obj["/ArtBox"]
    marks = render_template("pdf/cropmarks.ps.j2", x0=x0, y0=y0, x1=x1, y1=y1, near=b + MARK_OFFSET, far=slug)
    page.contents_add(pikepdf.Stream(pdf, marks.encode("ascii")), prepend=False)


def declare_pdfx(pdf: pikepdf.Pdf, profile: bytes) -> None:
    """Declare PDF/X-4: the output intent, /GTS_PDFXVersion and /Trapped in the info dictionary and the XMP."""
    pdf.Root.OutputIntents = pikepdf.Array([output_intent(pdf, profile, CONDITION_ID, CONDITION)])
    document_id = uuid.UUID(bytes=bytes(pdf.trailer.ID[0])[:16]) if "/ID" in pdf.trailer else uuid.uuid5(
        uuid.NAMESPACE_URL, str(pdf.docinfo.get("/Title", "")))
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta.load_from_docinfo(pdf.docinfo)
        meta["pdfxid:GTS_PDFXVersion"] = PDFX_VERSION
        meta["pdf:Trapped"] = "False"
        meta["xmpMM:DocumentID"] = f"uuid:{document_id}"
        meta["xmpMM:InstanceID"] = f"uuid:{document_id}"
        meta["xmpMM:VersionID"] = "1"
        meta["xmpMM:RenditionClass"] = "default"
    pdf.docinfo.GTS_PDFXVersion = pikepdf.String(PDFX_VERSION)
    pdf.docinfo.Trapped = pikepdf.Name("/False")


def srgb_profile() -> Path:
    """WeasyPrint's sRGB profile, found beside its package without importing WeasyPrint."""
    spec = find_spec("weasyprint")
    assert spec is not None and spec.origin is not None, "WeasyPrint is a dependency"
    return Path(spec.origin).parent.joinpath(*SRGB_NAME)


def add_bleed_and_marks(pdf_bytes: bytes, bleed: str) -> bytes:
    """Return the print variant of a screen PDF: single-ink black, bleed, crop marks, even pages, PDF/X-4 intent."""
    b = millimetres(bleed) * POINTS_PER_MM
    slug = b + MARK_OFFSET + MARK_LENGTH
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        seen: set[tuple[int, int]] = set()
        srgb = pdf.make_stream(srgb_profile().read_bytes())
        srgb.N = 3
        default_rgb = pdf.make_indirect(pikepdf.Array([pikepdf.Name.ICCBased, srgb]))
        for page in pdf.pages:
            recolour_page(pdf, page, seen, default_rgb)
        even_page_count(pdf)
        for page in pdf.pages:
            add_marks(pdf, page, b, slug)
        declare_pdfx(pdf, PROFILE.read_bytes())
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True, force_version=PDF_VERSION,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
