"""A part's structure tree made lean before it is cached: WeasyPrint's bare spans folded into their parents.

WeasyPrint tags every run of text as a `Span` structure element of its own, with nothing on it but its marked
content (no /Lang, /Alt, /ActualText, attributes or class): about ten to a paragraph, 62 % of all the objects
of a book. A `Span` without attributes says nothing a reader or an assistive technology can use (ISO 32000-1,
14.8.4.4: "a generic inline portion of text having no particular inherent characteristics"), so its marked
content can belong to its parent directly, as ISO 32000 allows (a structure element's /K may hold marked-content
ids, and marked-content references for content on another page). Folding them keeps the reading order, the text
of every element and the page's parent tree exact, and leaves the assembler a third of the objects to copy.

WeasyPrint also tags what it draws in page-margin boxes (a front-matter page's folio) as content of elements
that the tree never reaches: content neither in the tree nor an artifact, which PDF/UA forbids and a screen
reader may drop or read out of order. `mark_orphans` makes such content a pagination artifact.
"""

from __future__ import annotations

from collections.abc import Iterator

import pikepdf

BARE_KEYS = frozenset({"/Type", "/S", "/P", "/K", "/Pg"})  # a Span with any other key is kept (e.g. /Lang)
KEEP_UNDER = frozenset({"/Document", "/Part"})  # a grouping's children stay structure elements


def fold_spans(pdf: pikepdf.Pdf) -> int:
    """Fold every bare `Span` into its parent (its marked content moved up, in order); return how many."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return 0
    folded: dict[tuple[int, int], pikepdf.Dictionary] = {}
    for element in _elements(root):
        if element.get("/S") not in KEEP_UNDER:
            _fold_children(element, folded)
    if folded and "/ParentTree" in root:
        _repoint_parent_tree(pikepdf.NumberTree(root.ParentTree), folded)
    return len(folded)


def mark_orphans(pdf: pikepdf.Pdf) -> int:
    """Make marked content whose element the structure tree does not reach a pagination artifact; how many."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None or "/ParentTree" not in root:
        return 0
    reached = {element.objgen for element in _elements(root)}
    tree = pikepdf.NumberTree(root.ParentTree)
    marked = 0
    for page in pdf.pages:
        key = page.obj.get("/StructParents")
        entry = tree.get(int(key)) if key is not None else None
        if not isinstance(entry, pikepdf.Array):
            continue
        lost = {mcid for mcid, element in enumerate(entry) if _is_element(element) and element.objgen not in reached}
        if lost:
            _mark_artifacts(pdf, page, lost)
            for mcid in lost:
                entry[mcid] = None
            marked += len(lost)
    return marked


def _mark_artifacts(pdf: pikepdf.Pdf, page: pikepdf.Page, mcids: set[int]) -> None:
    """Rewrite the page's marked-content sequences with these ids as /Artifact <</Type /Pagination>>."""
    instructions = []
    for operands, operator in pikepdf.parse_content_stream(page):
        if (str(operator) == "BDC" and len(operands) == 2 and isinstance(operands[1], pikepdf.Dictionary)
                and int(operands[1].get("/MCID", -1)) in mcids):
            operands = [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)]
        instructions.append((operands, operator))
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))


def _is_element(value: object) -> bool:
    """Whether a /K item is a structure element (not a marked-content id, MCR or OBJR)."""
    return isinstance(value, pikepdf.Dictionary) and "/S" in value


def kids(value: object) -> list[object]:
    """A structure element's /K value as a list (it may be absent, one object or an array)."""
    if value is None:
        return []
    return list(value) if isinstance(value, pikepdf.Array) else [value]


def _elements(root: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    """Every structure element under root, parents after their children (so a span's spans fold first)."""
    stack: list[tuple[pikepdf.Dictionary, bool]] = [(kid, False) for kid in kids(root.get("/K")) if _is_element(kid)]
    while stack:
        element, expanded = stack.pop()
        if expanded:
            yield element
            continue
        stack.append((element, True))
        stack.extend((kid, False) for kid in kids(element.get("/K")) if _is_element(kid))


def _bare_span(value: object) -> bool:
    """A Span with nothing but its content: no language, alternate text, attributes or class."""
    return _is_element(value) and value.get("/S") == "/Span" and set(value.keys()) <= BARE_KEYS  # type: ignore[union-attr]


def _fold_children(element: pikepdf.Dictionary, folded: dict[tuple[int, int], pikepdf.Dictionary]) -> None:
    """Replace element's bare Span children by their own children, marked content keeping its page."""
    children = kids(element.get("/K"))
    if not any(_bare_span(kid) for kid in children):
        return
    merged: list[object] = []
    for kid in children:
        if not _bare_span(kid):
            merged.append(kid)
            continue
        span: pikepdf.Dictionary = kid  # type: ignore[assignment]
        folded[span.objgen] = element
        page = span.get("/Pg")
        for inner in kids(span.get("/K")):
            if isinstance(inner, int):
                merged.append(_marked(element, page, inner))
            else:
                if _is_element(inner):
                    inner.P = element  # type: ignore[union-attr]
                merged.append(inner)
    element.K = pikepdf.Array(merged)


def _marked(element: pikepdf.Dictionary, page: pikepdf.Object | None, mcid: int) -> object:
    """A span's marked-content id as its new parent holds it: the bare id on the parent's page, else an MCR."""
    if page is None:
        return mcid
    if "/Pg" not in element:  # it holds no marked-content id of its own, which would need one
        element.Pg = page
    if element.Pg.objgen == page.objgen:
        return mcid
    return pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=page, MCID=mcid)


def _repoint_parent_tree(tree: pikepdf.NumberTree, folded: dict[tuple[int, int], pikepdf.Dictionary]) -> None:
    """Point the parent tree's entries for folded spans at the element now holding their content."""

    def survivor(value: object) -> object:
        while _is_element(value) and value.objgen in folded:  # type: ignore[union-attr]
            value = folded[value.objgen]  # type: ignore[union-attr]
        return value

    for key, value in list(tree.items()):
        if isinstance(value, pikepdf.Array):
            items = list(value)
            if any(_is_element(item) and item.objgen in folded for item in items):  # type: ignore[union-attr]
                tree[key] = pikepdf.Array([survivor(item) for item in items])
        elif _is_element(value) and value.objgen in folded:
            tree[key] = survivor(value)
