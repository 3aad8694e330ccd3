"""The page geometry of the PDF: margins that follow the trim, so the measure stays one a reader can follow.

The margins are fixed proportions of the trim, those of the book's design at 6 in × 9 in (20 mm head, 22 mm
foot, 19 mm gutter, 17 mm outer edge), so every 6 × 9 book keeps its pages; a smaller trim gets narrower margins
and a larger one wider. The measure (the text block's width) is then kept within MIN_MEASURE_EM to
MAX_MEASURE_EM ems of the body type (about 45 to 75 characters, the range book designers accept for justified
text): a measure outside it gives the difference to the side margins, in their proportion (down to half of
them). The values are written into templates/css/geometry.css.j2, with the type size; the stylesheets hold no
margin of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..source.bookconfig import PrintSettings, millimetres

DESIGN_WIDTH_MM = 152.4  # the trim the margins were drawn for: 6 in × 9 in
DESIGN_HEIGHT_MM = 228.6
HEAD_MM, FOOT_MM, GUTTER_MM, OUTER_MM = 20.0, 22.0, 19.0, 17.0  # its margins
BODY_TYPE_PT = 10.5  # the body type's size (the root font size of the PDF)
MM_PER_PT = 25.4 / 72
MIN_MEASURE_EM = 20.0  # about 45 characters of the body type
MAX_MEASURE_EM = 33.0  # about 75 characters
MAX_NARROWING = 0.5  # a measure too narrow takes at most half of each side margin (a tiny trim stays narrow)
PRECISION = 2  # margins are written to a hundredth of a millimetre


@dataclass(frozen=True)
class PageGeometry:
    """A page's trim (as book.yaml gives it), its margins in millimetres and the body type size in points."""

    width: str
    height: str
    head: float
    foot: float
    gutter: float
    outer: float
    type_pt: float = BODY_TYPE_PT

    @property
    def measure_em(self) -> float:
        """The text block's width in ems of the body type."""
        return (millimetres(self.width) - self.gutter - self.outer) / (self.type_pt * MM_PER_PT)


def page_geometry(settings: PrintSettings) -> PageGeometry:
    """The margins for a book's trim: the design's proportions, the measure kept within its range."""
    width, height = millimetres(settings.trim_width), millimetres(settings.trim_height)
    across = width / DESIGN_WIDTH_MM
    gutter, outer = GUTTER_MM * across, OUTER_MM * across
    em = BODY_TYPE_PT * MM_PER_PT
    measure = width - gutter - outer
    wanted = min(max(measure, MIN_MEASURE_EM * em), MAX_MEASURE_EM * em)
    share = max((measure - wanted) / (gutter + outer), -MAX_NARROWING)  # each side margin's change, in parts of it
    gutter, outer = gutter * (1 + share), outer * (1 + share)
    down = height / DESIGN_HEIGHT_MM
    return PageGeometry(settings.trim_width, settings.trim_height, round(HEAD_MM * down, PRECISION),
                        round(FOOT_MM * down, PRECISION), round(gutter, PRECISION), round(outer, PRECISION))
