"""The measured feedback step after a part's layout: each paragraph whose lines break the text block's rules
set again, chosen among trial settings of that paragraph alone.

WeasyPrint breaks lines one at a time (first fit), so CSS alone cannot forbid a hyphen in a paragraph's last
full line, or stretch a loose line less. After a part is laid out in full, its lines are read from the boxes
(coopbook.layout.linestats) and each paragraph's *faults* counted: a hyphen in its last full line (which is also
what leaves a scrap of a word as its last line), a third hyphen in a row, a loose line. A paragraph with faults
or hyphenated lines is a *candidate*: it is tried with invisible remedies in the HTML that is laid out (never in
the author's text, which stays as written), spans or classes of templates/css/pdf.css (coopbook.layout.remedies):
a hyphenated word made unbreakable, a loose line's words tracked by a hair, the paragraph's word spacing a little
tighter or wider or its tracking ±0.005 to ±0.020 em, and combinations of these.

A paragraph's line breaks depend only on itself and its measure (verso and recto measures are the same), so the
trials lay out the candidates only: every other block is hidden (`HIDDEN`, display: none, which keeps the tree and
so selectors like `p + p`), except the footnotes and the blocks that hold them (a hidden footnote would renumber
the calls that follow), whose own text is emptied (`trial_blocks`: it would cost pages of layout). A trial sets
each candidate with its next variant; each paragraph keeps, from its own trials alone, the setting with the fewest
faults, then the fewest hyphenated full lines, then the fewest added lines, then the least intrusive remedies
(coopbook.layout.remedies.intrusion): a function of the paragraph alone, so a correction elsewhere never changes
it. A paragraph tries its variants in rounds (`ROUNDS`), each built on its best settings so far, in the order
remedies helped most, until one has no fault and no hyphen; a round that does not better it is its last, but for
the retries (`RETRIES`): further rounds for every paragraph not yet perfect (they only add trials, so a paragraph's
setting is never worse than without them). Then the part is laid out in full once more, with the chosen remedies,
if any paragraph changed; that layout is kept unless it has more pages, loose lines or faults than the first (then
the first is kept). Its debug log line says how many of the changed paragraphs show in it the lines their trials
chose (all of them: tests/layout/test_refine.py).

Since a paragraph's choice is a function of the paragraph alone, it is remembered (coopbook.layout.memo, under
the build's cache folder: keyed by the paragraph's HTML, what the selectors see of its context, the footnotes
before it if it holds one, the style and coopbook's code): a candidate the memo knows takes its remembered
remedies without a trial, so a rebuild after a one-word correction tries only the paragraph corrected. The first
and final full layouts are always made (the rule that keeps the final layout compares it with the first).

Remedies name characters by *ink offset* and are applied to the HTML by coopbook.layout.retouch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .linestats import Line, Paragraph, paragraphs
from .memo import Choice, Memo, Shape
from .remedies import Setting, intrusion, variants
from .retouch import Remedy, Retouch, inked, nodes, text_of

if TYPE_CHECKING:
    from weasyprint import Document

log = logging.getLogger(__name__)
REFINE_STEP = "refine 4"  # in every part's cache key: a change to these rules changes the pages
MAX_STACK = 2  # hyphenated lines in a row
ROUNDS = (6, 3, 2)  # variants a paragraph tries in each round, building on its best settings so far; a
# paragraph that a round did not better tries no more
RETRIES = (12,)  # then the variants each paragraph not yet perfect tries in each further round, whether the
# round before bettered it or not (a narrow measure's paragraphs find a setting without hyphens late, if at all)
BASES = 3  # a paragraph's best settings a round builds on
FOOTNOTE = "footnote"  # the class of a footnote's element (templates/css/pdf.css): its block is never hidden
# Render: the part laid out with these retouches, these elements (by position) hidden and these muted (their own
# text emptied: TrialBlocks) -> the document, the parsed elements in order.
Render = Callable[..., tuple["Document", list[Any]]]


@dataclass(frozen=True)
class Attempt:
    """One layout of the part (in full, or a trial of some paragraphs): the document and the setting of each
    paragraph it shows, by its element's position."""

    document: Document
    settings: dict[int, Setting]
    elements: tuple[Any, ...] = ()
    full_lines: int = 0  # in the layout, as coopbook.layout.linestats counts them
    hyphenated: int = 0
    loose: int = 0

    @property
    def faults(self) -> int:
        """Faulty lines in the layout."""
        return sum(len(setting.faults) for setting in self.settings.values())


def rank(setting: Setting, first: Setting) -> tuple[float, int, int, float]:
    """How a paragraph's setting compares with its others (lowest best): faults, hyphenated full lines, lines
    added, intrusion."""
    return (round(setting.badness, 1), setting.hyphenated, max(0, len(setting.lines) - len(first.lines)),
            intrusion(setting.retouch.remedies))


def refine(render: Render, name: str, memo: Memo | None = None) -> Document:
    """Lay the part out; try its faulty or hyphenated paragraphs (alone) with remedies, but for those the memo
    knows; lay it out again with each one's best, if any changed and that is no worse than the first layout."""
    first = measure(*render((), frozenset()), ())
    candidates = {key: setting for key, setting in first.settings.items()
                  if setting.faults or setting.hyphenated}
    if not candidates:
        log.debug("%s: 1 full layout, 0 trials (no faulty or hyphenated paragraph)", name)
        return first.document
    keys = memo.keys(first.elements, sorted(candidates), FOOTNOTE) if memo is not None else {}
    known = {key: found for key in sorted(keys) if memo is not None and (found := memo.get(keys[key])) is not None}
    best, trials, shown = _trials(render, name, first, {k: s for k, s in candidates.items() if k not in known})
    chosen = {key: (Retouch(*_place(first.settings[key].retouch), found.remedies), found.lines)
              for key, found in known.items() if found.remedies}
    for key, setting in best.items():
        if memo is not None and key in keys:
            memo.put(keys[key], Choice(setting.retouch.remedies, shape(setting.lines)))
        if setting.retouch.remedies:
            chosen[key] = (setting.retouch, shape(setting.lines))
    kept = _final(render, name, first, chosen, f"{len(candidates)} candidates: {len(candidates) - len(known)} "
                  f"tried in {trials} trial layouts ({shown} paragraph settings), {len(known)} from the memo")
    return kept.document


def _trials(render: Render, name: str, first: Attempt,
            candidates: dict[int, Setting]) -> tuple[dict[int, Setting], int, int]:
    """Each candidate's best setting from its own trials (in rounds, then retries); how many trial layouts and
    paragraph settings were laid out."""
    best = dict(candidates)
    seen = {key: [setting] for key, setting in candidates.items()}  # each paragraph's settings, as laid out
    tried = {key: {()} for key in candidates}
    trials = shown = 0
    found_at = dict.fromkeys(candidates, 0)  # which of its settings each paragraph keeps (0: its first)
    going = set(candidates)  # the paragraphs a round tries: those the round before bettered
    for limit, again in [*((limit, False) for limit in ROUNDS), *((limit, True) for limit in RETRIES)]:
        if again:  # a retry: every paragraph not yet perfect, whether the round before bettered it or not
            going = set(candidates)
        planned = {key: _next(seen[key], first.settings[key], tried[key], limit) for key in sorted(going)
                   if not _perfect(best[key])}
        if not any(planned.values()):
            continue
        before = {key: rank(best[key], first.settings[key]) for key in planned}
        for number in range(max(len(found) for found in planned.values())):
            retouches = [Retouch(*_place(best[key].retouch), found[number]) for key, found in planned.items()
                         if number < len(found) and not _perfect(best[key])]
            if not retouches:
                continue
            blocks = trial_blocks(first.elements, [item.element for item in retouches])
            attempt = measure(*render(retouches, blocks.hidden, blocks.muted), retouches)
            trials += 1
            shown += len(retouches)
            for item in retouches:
                tried[item.element].add(item.remedies)
                setting = attempt.settings.get(item.element)
                if setting is None:
                    continue
                seen[item.element].append(setting)
                if rank(setting, first.settings[item.element]) < rank(best[item.element],
                                                                       first.settings[item.element]):
                    best[item.element] = setting
                    found_at[item.element] = len(seen[item.element]) - 1
        going = {key for key in planned if rank(best[key], first.settings[key]) < before[key]}
    for key, setting in sorted(best.items()):
        log.debug("%s: paragraph %d: (faults, hyphenated, lines added, intrusion) %s -> %s (setting %d of %d) "
                  "with %s", name, key, rank(first.settings[key], first.settings[key]),
                  rank(setting, first.settings[key]), found_at[key], len(seen[key]) - 1,
                  " ".join(f"{r.start}:{r.end} {r.classes}" for r in setting.retouch.remedies) or "none")
    return best, trials, shown


def _final(render: Render, name: str, first: Attempt, chosen: dict[int, tuple[Retouch, Shape]],
           done: str) -> Attempt:
    """The part laid out in full with the chosen remedies (and the lines their trials showed), unless it is
    worse than the first layout."""
    summary = f"{name}: {len(first.settings)} paragraphs, {done}"
    if not chosen:
        log.debug("%s, none changed; 1 full layout", summary)
        return first
    retouches = [retouch for _, (retouch, _) in sorted(chosen.items())]
    final = measure(*render(retouches, frozenset()), retouches)
    same = sum(_lines(final.settings.get(key)) == lines for key, (_, lines) in chosen.items())
    for key, (_, lines) in chosen.items():
        if _lines(final.settings.get(key)) != lines:
            log.debug("%s: paragraph %d: its trial's lines %s, its final lines %s", name, key, lines,
                      _lines(final.settings.get(key)))
    worse = (len(final.document.pages) > len(first.document.pages) or final.loose > first.loose
             or final.faults > first.faults)
    log.debug("%s, %d changed; 2 full layouts; the final layout shows the lines its trials chose for %d of %d "
              "changed paragraphs; faults %d -> %d, hyphenated full lines %d -> %d of %d, loose %d -> %d, "
              "pages %d -> %d: %s", summary, len(chosen), same, len(chosen), first.faults, final.faults,
              first.hyphenated, final.hyphenated, final.full_lines, first.loose, final.loose,
              len(first.document.pages), len(final.document.pages), "first kept" if worse else "final kept")
    return first if worse else final


def _next(seen: list[Setting], first: Setting, tried: set[tuple[Remedy, ...]],
          limit: int) -> list[tuple[Remedy, ...]]:
    """A paragraph's variants for its next round of trials (at most limit): built on its best `BASES` settings
    so far, the best first."""
    bases = sorted(seen, key=lambda setting: rank(setting, first))[:BASES]
    found: list[tuple[Remedy, ...]] = []
    for base in bases:
        found += [remedies for remedies in variants(base, tried) if remedies not in found]
    return found[:limit]


def shape(lines: Sequence[Line]) -> Shape:
    """Lines as a reader sees them: texts, breaks, looseness and gaps to a hundredth (a layout's floating point
    noise aside), to compare a paragraph's lines in a trial and in a full layout."""
    return tuple((line.text, line.hyphenated, line.loose, round(line.gap, 2)) for line in lines)


def _lines(setting: Setting | None) -> Shape | None:
    return None if setting is None else shape(setting.lines)


def _place(retouch: Retouch) -> tuple[int, frozenset[int], int]:
    return retouch.element, retouch.shown, retouch.ink


def _perfect(setting: Setting) -> bool:
    """A setting no trial can better: no fault, no hyphen."""
    return not setting.faults and not setting.hyphenated


@dataclass(frozen=True)
class TrialBlocks:
    """What a trial layout leaves out (elements by position): the blocks it hides (the largest subtrees of the
    body without a paragraph shown or a footnote), and the blocks kept only for the footnotes they hold, whose own
    text it empties (`muted`: their footnotes keep their calls' numbers)."""

    hidden: frozenset[int]
    muted: frozenset[int]


def trial_blocks(elements: Sequence[Any], shown: Iterable[int]) -> TrialBlocks:
    """The blocks a trial of the paragraphs shown hides, and those it mutes: a block that holds a footnote but no
    paragraph shown keeps its footnotes (and so every call's number) but not its text, which costs pages to lay
    out and changes no line of the paragraphs shown (a paragraph's lines depend on itself and its measure)."""
    parents = {id(child): parent for parent in elements for child in parent}
    position = {id(element): n for n, element in enumerate(elements)}
    tried = {id(elements[key]) for key in shown}
    footnotes = {id(e) for e in elements if FOOTNOTE in str(e.get("class") or "").split()}
    whole = tried | footnotes
    holding_tried = _ancestors(tried, parents)
    holding = holding_tried | _ancestors(footnotes, parents)
    body = next((e for e in elements if isinstance(e.tag, str) and e.tag.rsplit("}", 1)[-1] == "body"), None)
    hidden: set[int] = set()
    muted: set[int] = set()
    stack = [body] if body is not None else []
    while stack:
        for child in stack.pop():
            if id(child) in whole or not isinstance(child.tag, str):
                continue
            if id(child) in holding:
                stack.append(child)
                if id(child) not in holding_tried:
                    muted.add(position[id(child)])
            else:
                hidden.add(position[id(child)])
    return TrialBlocks(frozenset(hidden), frozenset(muted))


def _ancestors(found: set[int], parents: dict[int, Any]) -> set[int]:
    """The ids of the ancestors of the elements found (by id)."""
    holding: set[int] = set()
    for key in found:
        parent = parents.get(key)
        while parent is not None and id(parent) not in holding:
            holding.add(id(parent))
            parent = parents.get(id(parent))
    return holding


def measure(document: Document, elements: list[Any], retouches: Sequence[Retouch]) -> Attempt:
    """The setting of every paragraph of a part laid out with retouches whose lines can be traced to its HTML."""
    position = {id(element): n for n, element in enumerate(elements)}
    remedies = {item.element: item.remedies for item in retouches}
    settings = {}
    full = hyphenated = loose = 0
    for paragraph in paragraphs(document):
        full += len(paragraph.lines) - 1
        hyphenated += sum(line.hyphenated for line in paragraph.lines[:-1])
        loose += sum(line.loose for line in paragraph.lines[:-1])
        key = position.get(id(paragraph.element))
        if key is not None and len(paragraph.lines) > 1:
            setting = _setting(key, paragraph, position, remedies.get(key, ()))
            if setting is not None:
                settings[key] = setting
    return Attempt(document, settings, tuple(elements), full, hyphenated, loose)


def _setting(key: int, paragraph: Paragraph, position: dict[int, int],
             remedies: tuple[Remedy, ...]) -> Setting | None:
    parents = {id(child): parent for parent in paragraph.element.iter() for child in parent}
    inline = {}
    for element in paragraph.inline:  # with the elements around them (an <em> whose text is all in spans)
        while element is not None and id(element) not in inline:
            inline[id(element)] = element
            element = parents.get(id(element))
    shown = set(inline)
    text = "".join(text_of(node) for node in nodes(paragraph.element, shown))
    ink = tuple(n for n, char in enumerate(text) if inked(char))
    ranges = _align(text, ink, paragraph.lines)
    if ranges is None:
        return None
    pristine = frozenset(position[n] for n in shown if n in position) | {key}
    retouch = Retouch(key, pristine, len(ink), remedies)
    return Setting(retouch, text, ink, paragraph.lines, ranges, _faults(paragraph.lines), paragraph.lang)


def _align(text: str, ink: tuple[int, ...], lines: Sequence[Line]) -> tuple[tuple[int, int], ...] | None:
    """Each line's range of ink offsets, matching its characters with the source's (None if they differ)."""
    done = 0
    ranges = []
    for line in lines:
        start = done
        chars = [char for char in line.text if inked(char)]
        for n, char in enumerate(chars):
            if done < len(ink) and text[ink[done]].casefold() == char.casefold():
                done += 1
            elif not (line.hyphenated and n == len(chars) - 1):  # the hyphen a break adds is not in the source
                return None
        ranges.append((start, done))
    return tuple(ranges) if done == len(ink) else None


def _faults(lines: Sequence[Line]) -> tuple[tuple[str, int], ...]:
    """The rules a paragraph's lines break: a hyphen in its last full line, a third stacked hyphen, loose lines."""
    faults = [("last", len(lines) - 2)] if len(lines) > 1 and lines[-2].hyphenated else []
    run = 0
    for n, line in enumerate(lines[:-1]):
        run = run + 1 if line.hyphenated else 0
        if run > MAX_STACK:
            faults.append(("stack", n - 1))
        if line.loose:
            faults.append(("loose", n))
    return tuple(faults)


