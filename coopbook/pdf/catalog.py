"""Book-wide PDF objects: the name tree, outline, structure tree, page labels and info of the assembled PDF.

Pure helpers for coopbook.pdf.assemble: each builds one catalog-level object from what the parts contributed, in
a fixed order, so that the same parts always give the same bytes; `save` writes the PDF deterministically.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pikepdf

NAME_TREE_LEAF = 64


def name_tree(out: pikepdf.Pdf, entries: Mapping[str, pikepdf.Object]) -> pikepdf.Object:
    """A balanced name tree of the entries, sorted by the bytes of their names, NAME_TREE_LEAF to a node.

    Built here rather than with pikepdf.NameTree, which splits a leaf at 32 entries as they are inserted
    (leaves of 16 to 31 names): a different, equally valid tree, but different bytes for every book.
    """
    items = sorted(((bytes(pikepdf.String(name)), name, value) for name, value in entries.items()),
                   key=lambda item: item[0])

    def pairs(chunk: Sequence[tuple[bytes, str, pikepdf.Object]]) -> pikepdf.Array:
        return pikepdf.Array([x for _, name, value in chunk for x in (pikepdf.String(name), value)])

    if len(items) <= NAME_TREE_LEAF:
        return out.make_indirect(pikepdf.Dictionary(Names=pairs(items)))
    level: list[tuple[str, str, pikepdf.Object]] = []
    for start in range(0, len(items), NAME_TREE_LEAF):
        chunk = items[start:start + NAME_TREE_LEAF]
        limits = pikepdf.Array([pikepdf.String(chunk[0][1]), pikepdf.String(chunk[-1][1])])
        level.append((chunk[0][1], chunk[-1][1], out.make_indirect(pikepdf.Dictionary(Names=pairs(chunk),
                                                                                      Limits=limits))))
    while len(level) > NAME_TREE_LEAF:
        upper = []
        for start in range(0, len(level), NAME_TREE_LEAF):
            nodes = level[start:start + NAME_TREE_LEAF]
            limits = pikepdf.Array([pikepdf.String(nodes[0][0]), pikepdf.String(nodes[-1][1])])
            kids = pikepdf.Array([node for _, _, node in nodes])
            upper.append((nodes[0][0], nodes[-1][1], out.make_indirect(pikepdf.Dictionary(Kids=kids,
                                                                                         Limits=limits))))
        level = upper
    return out.make_indirect(pikepdf.Dictionary(Kids=pikepdf.Array([node for _, _, node in level])))


def outline_root(out: pikepdf.Pdf, items: Sequence[pikepdf.Dictionary], count: int) -> pikepdf.Object:
    """One outline from the parts' top-level items in order (their children stay as in their part)."""
    root = out.make_indirect(pikepdf.Dictionary(Count=count))
    for i, item in enumerate(items):
        item.Parent = root
        if i:
            item.Prev = items[i - 1]
        elif "/Prev" in item:
            del item["/Prev"]
        if i + 1 < len(items):
            item.Next = items[i + 1]
        elif "/Next" in item:
            del item["/Next"]
    root.First, root.Last = items[0], items[-1]
    return root


def structure_root(out: pikepdf.Pdf, kids: Sequence[pikepdf.Dictionary], parent_tree: Mapping[int, pikepdf.Object],
                   next_key: int, extras: Mapping[str, pikepdf.Object]) -> pikepdf.Object:
    """One StructTreeRoot: a Document element holding the parts' elements, and one renumbered ParentTree.

    `extras` may hold /Namespaces, /RoleMap and /ClassMap for the root and /NS for the Document element.
    """
    root = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    document = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, P=root,
                                                    K=pikepdf.Array(kids)))
    for kid in kids:
        kid.P = document
    for name in ("/Namespaces", "/RoleMap", "/ClassMap"):
        if name in extras:
            root[name] = extras[name]
    if "/NS" in extras:
        document.NS = extras["/NS"]
    root.K = pikepdf.Array([document])
    nums = pikepdf.Array([x for key in sorted(parent_tree) for x in (key, parent_tree[key])])
    root.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=nums))
    root.ParentTreeNextKey = next_key
    return root


def page_labels(front_pages: int, pages: int) -> pikepdf.Dictionary:
    """/PageLabels: lower-case roman for the front matter, then decimal from 1."""
    nums: list[Any] = []
    if front_pages > 0:
        nums += [0, pikepdf.Dictionary(S=pikepdf.Name.r)]
    if pages > front_pages or front_pages <= 0:
        nums += [max(front_pages, 0), pikepdf.Dictionary(S=pikepdf.Name.D, St=1)]
    return pikepdf.Dictionary(Nums=pikepdf.Array(nums))


def pdf_date(when: dt.datetime) -> pikepdf.String:
    """A PDF date string: D:YYYYMMDDHHmmSS, then Z or the UTC offset when the datetime is aware."""
    text = when.strftime("D:%Y%m%d%H%M%S")
    offset = when.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds()) // 60
        sign = "+" if minutes > 0 else "-"
        text += "Z" if minutes == 0 else f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}"
    return pikepdf.String(text)


def document_info(title: str, authors: Sequence[str], subject: str | None, keywords: Sequence[str], creator: str,
                  created: dt.datetime, modified: dt.datetime, producer: str) -> pikepdf.Dictionary:
    """The document information dictionary."""
    entries: dict[str, Any] = {"/Title": pikepdf.String(title), "/Creator": pikepdf.String(creator),
                               "/Producer": pikepdf.String(producer), "/CreationDate": pdf_date(created),
                               "/ModDate": pdf_date(modified)}
    if authors:
        entries["/Author"] = pikepdf.String(", ".join(authors))
    if subject:
        entries["/Subject"] = pikepdf.String(subject)
    if keywords:
        entries["/Keywords"] = pikepdf.String(", ".join(keywords))
    return pikepdf.Dictionary(entries)


SAVE_OPTIONS: Mapping[str, Any] = {
    "deterministic_id": True, "compress_streams": True, "object_stream_mode": pikepdf.ObjectStreamMode.generate,
    "stream_decode_level": pikepdf.StreamDecodeLevel.none, "recompress_flate": False, "fix_metadata_version": False}


def save(out: pikepdf.Pdf, version: str) -> bytes:
    """Write the PDF deterministically: fixed /ID, generated object streams, stream data passed through."""
    buffer = io.BytesIO()
    out.save(buffer, min_version=version, **SAVE_OPTIONS)
    return buffer.getvalue()


def write(out: pikepdf.Pdf, version: str, path: Path) -> None:
    """Write the PDF to a file as `save` does (qpdf writes a file faster than a Python stream)."""
    out.save(path, min_version=version, **SAVE_OPTIONS)


def output_intent(out: pikepdf.Pdf, profile: bytes, identifier: str, condition: str) -> pikepdf.Dictionary:
    """A PDF/X output intent (/S /GTS_PDFX) naming the printing condition and embedding its CMYK ICC profile."""
    icc = out.make_stream(profile)
    icc.N = 4
    icc.Alternate = pikepdf.Name.DeviceCMYK
    return pikepdf.Dictionary(Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX,
                              OutputConditionIdentifier=pikepdf.String(identifier),
                              OutputCondition=pikepdf.String(condition), Info=pikepdf.String(condition),
                              RegistryName=pikepdf.String("http://www.color.org"), DestOutputProfile=icc)
