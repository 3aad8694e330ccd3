"""The print variant from the screen PDF: the same pages on a larger sheet with bleed and crop marks.

The pages are not laid out again: each page's MediaBox grows by the bleed plus a slug for the marks, the
TrimBox keeps the trim size, the BleedBox the trim plus bleed, and crop marks are drawn in the slug (outside
the bleed, as printers expect) as artifacts, so the tagged structure is untouched.
"""

from __future__ import annotations

import io

import pikepdf

from ..source.bookconfig import millimetres
from ..templating import render_template

MARK_LENGTH = 12.0  # pt
MARK_OFFSET = 3.0  # pt between the bleed edge and a mark
POINTS_PER_MM = 72 / 25.4


def add_bleed_and_marks(pdf_bytes: bytes, bleed: str) -> bytes:
    """Return the print variant of a screen PDF: bleed and slug around each page, crop marks in the slug."""
    b = millimetres(bleed) * POINTS_PER_MM
    slug = b + MARK_OFFSET + MARK_LENGTH
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.MediaBox)
            page.TrimBox = pikepdf.Array([x0, y0, x1, y1])
            page.BleedBox = pikepdf.Array([x0 - b, y0 - b, x1 + b, y1 + b])
            page.MediaBox = pikepdf.Array([x0 - slug, y0 - slug, x1 + slug, y1 + slug])
            page.CropBox = page.MediaBox
            marks = render_template("pdf/cropmarks.ps.j2", x0=x0, y0=y0, x1=x1, y1=y1, near=b + MARK_OFFSET,
                                    far=slug)
            page.contents_add(pikepdf.Stream(pdf, marks.encode("ascii")), prepend=False)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
