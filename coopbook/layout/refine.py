"""The measured feedback step after a part's layout: the lines that break the text block's rules, set again.

WeasyPrint breaks lines one at a time (first fit), so CSS alone cannot forbid a hyphen in a paragraph's last
full line, or stretch a loose line less. After a part is laid out, its lines are read from the boxes
(coopbook.layout.linestats) and each paragraph's *faults* counted: a hyphen in its last full line (which is also
what leaves a scrap of a word as its last line), a third hyphen in a row, a loose line; and the part's own fault,
more hyphenated full lines than `TARGET_RATE` of them, charged to the hyphenated lines whose word would leave
them tightest if it moved down whole (their slack measured in the boxes). A faulty paragraph gets
an invisible remedy in the HTML that is laid out (never in the author's text, which stays as written): a span
around the characters it concerns, with one of these classes (rules of templates/css/pdf.css):

- the hyphenated word of a last full line (or the middle of three stacked hyphens, or a line over the part's
  hyphenation target) made unbreakable;
- a loose line's words tracked out by a hair (at most `MAX_TRACKING_EM`), just enough to bring its word gaps
  under twice the normal space, which moves no line break;
- where that is not enough, the word that did not fit on the loose line allowed to break (lower limits).

The part is laid out again with the remedies (coopbook.layout.remedies), at most `EXTRA_LAYOUTS` times, or
`EXTRA_LAYOUTS_OVER_TARGET` for a part over its hyphenation target (a second round builds on what helped and
tries the other remedy where the first made a paragraph worse), and the layout with the fewest
faults (each hyphenated line over the target counting as one) is kept, never one with more pages or more loose
lines than the first. A paragraph's lines do not depend on the others', so each paragraph's remedies are judged
on their own (its hyphenated lines counting only while the part is over its target).

Remedies name characters by *ink offset* and are applied to the HTML by coopbook.layout.retouch.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from weasyprint import Document

from .linestats import LOOSE_GAP, Line, Paragraph, paragraphs
from .remedies import (
    LOOSER,
    TIGHTER,
    UNBREAKABLE,
    Setting,
    breakable,
    gap_without,
    pull_back,
    tracking,
    unbreakable,
    word_range,
)
from .retouch import Remedy, Retouch, inked, nodes, text_of

log = logging.getLogger(__name__)
REFINE_STEP = "refine 2"  # in every part's cache key: a change to these rules changes the pages
EXTRA_LAYOUTS = 2
MAX_STACK = 2  # hyphenated lines in a row
TARGET_RATE = 0.08  # of a part's full lines, hyphenated at most (rounded down)
HYPHEN_COST = 1.0  # a hyphenated line over the target counts as much as any other fault
EXTRA_LAYOUTS_OVER_TARGET = 3  # for a part over its hyphenation target
MAX_GAP_WITHOUT = LOOSE_GAP + 0.5  # a line left looser than this by its word moving down is not tried
Render = Callable[[Sequence[Retouch]], tuple[Document, list[Any]]]  # -> document, the parsed elements in order


@dataclass(frozen=True)
class Attempt:
    """One layout of the part: the document and the setting of each paragraph, by its element's position."""

    document: Document
    settings: dict[int, Setting]
    full_lines: int = 0  # in the whole part, as coopbook.layout.linestats counts them
    hyphenated: int = 0
    loose: int = 0

    @property
    def excess(self) -> int:
        """Hyphenated full lines over the target (`TARGET_RATE` of the full lines, rounded down)."""
        return max(0, self.hyphenated - math.floor(TARGET_RATE * self.full_lines))

    @property
    def faults(self) -> int:
        """Faulty lines in the whole part."""
        return sum(len(setting.faults) for setting in self.settings.values())

    def badness(self, first: Attempt) -> float:
        """How bad the part's faults are; a paragraph that can no longer be measured counts worse than at first."""
        missing = first.settings.keys() - self.settings.keys()
        return (sum(setting.badness for setting in self.settings.values())
                + sum(first.settings[key].badness + 1 for key in missing) + HYPHEN_COST * self.excess)


def refine(render: Render, name: str) -> Document:
    """Lay the part out, then again (at most twice, three times over the hyphenation target) with remedies for
    its faulty lines; the best layout. Over the target, the last layout is each paragraph's best setting so far,
    together, unless some layout had them already (the others try remedies for hyphens, which may not help)."""
    first = measure(*render(()), ())
    if not first.faults and not first.excess:
        return first.document
    hyphen_cost = HYPHEN_COST if first.excess else 0.0
    attempts = [first]
    best = dict(first.settings)  # per paragraph, its setting with the fewest faults so far
    tried: dict[int, set[tuple[Remedy, ...]]] = {key: {()} for key in best}
    unbroken: Counter[tuple[int, int]] = Counter()  # (paragraph, ink offset) of a word: times chosen for the target
    laid = [frozenset()]  # the remedies of each layout, by paragraph
    rounds = EXTRA_LAYOUTS_OVER_TARGET if first.excess else EXTRA_LAYOUTS
    for number in range(rounds):
        together = [setting.retouch for _, setting in sorted(best.items()) if setting.retouch.remedies]
        if first.excess and number == rounds - 1 and _remedied(together) not in laid:
            retouches = together
        else:
            over = _over_target(first, best, unbroken)
            plan = [_plan(setting, tried[key], over.get(key, ())) for key, setting in sorted(best.items())]
            retouches = [retouch for retouch in plan if retouch.remedies]
            if all(retouch.remedies in tried[retouch.element] for retouch in retouches):
                break
        laid.append(_remedied(retouches))
        for retouch in retouches:
            tried[retouch.element].add(retouch.remedies)
        attempt = measure(*render(retouches), retouches)
        attempts.append(attempt)
        for key, setting in attempt.settings.items():
            if key in best and round(setting.cost(hyphen_cost), 1) < round(best[key].cost(hyphen_cost), 1):
                best[key] = setting
    pages = len(first.document.pages)
    kept = min((a for a in attempts if len(a.document.pages) <= pages and a.loose <= first.loose),
               key=lambda a: (round(a.badness(first), 1), attempts.index(a)))
    log.debug("%s: %d faulty lines and %d hyphenated over the target in its first layout, %d and %d in layout "
              "%d of %d kept", name, first.faults, first.excess, kept.faults, kept.excess,
              attempts.index(kept) + 1, len(attempts))
    return kept.document


def _remedied(retouches: Sequence[Retouch]) -> frozenset[tuple[int, tuple[Remedy, ...]]]:
    return frozenset((retouch.element, retouch.remedies) for retouch in retouches)


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
    return Attempt(document, settings, full, hyphenated, loose)


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


def _over_target(first: Attempt, best: dict[int, Setting],
                 unbroken: Counter[tuple[int, int]]) -> dict[int, tuple[tuple[str, int], ...]]:
    """The hyphenated lines to set without their break while the part (as best set so far) is over its target.

    As many as it is over, among the lines that are not faults already, those first whose word was chosen
    fewer times before (unbroken, updated: a paragraph tries its remedies in turn), then those whose word, moved
    down whole, would leave the line tightest (estimated from the line's slack in the boxes).
    """
    hyphenated = first.hyphenated + sum(best[key].hyphenated - setting.hyphenated
                                        for key, setting in first.settings.items() if key in best)
    over = hyphenated - math.floor(TARGET_RATE * first.full_lines)
    if over <= 0:
        return {}
    candidates = []
    for key, setting in best.items():
        faulty = {line for _, line in setting.faults}
        for line, current in enumerate(setting.lines[:-2]):  # a last full line's hyphen is a fault already
            word = (key, word_range(setting, setting.ranges[line][1] - 1)[0])
            gap = gap_without(setting, line)
            if current.hyphenated and gap <= MAX_GAP_WITHOUT and not faulty & {line - 1, line, line + 1}:
                candidates.append((unbroken[word], round(gap, 3), key, line, word))
    chosen: dict[int, tuple[tuple[str, int], ...]] = {}
    for _, _, key, line, word in sorted(candidates)[:over]:
        chosen[key] = (*chosen.get(key, ()), ("rate", line))
        unbroken[word] += 1
    return chosen


def _plan(setting: Setting, tried: set[tuple[Remedy, ...]], over: tuple[tuple[str, int], ...] = ()) -> Retouch:
    """The paragraph's remedies for its next layout: what it has, plus remedies for the faults left (and for
    the hyphenated lines chosen to bring the part under its target)."""
    have = setting.retouch.remedies
    for alternate in (0, 1, 2):
        remedies = list(have)
        for kind, line in setting.faults + over:
            group = [r for r in _remedies(setting, kind, line, alternate) if r not in remedies]
            # a word made unbreakable before, inside a range now tracked (unbreakable too), gives way to it
            kept = [r for r in remedies if not (r.classes == UNBREAKABLE and any(
                UNBREAKABLE in g.classes.split() and g.start <= r.start and r.end <= g.end for g in group))]
            if not any(r.start < g.end and g.start < r.end for r in kept for g in group):
                remedies = kept + group
        chosen = tuple(sorted(remedies))
        if chosen not in tried:
            break
    else:
        chosen = have  # nothing new to try: the best so far
    return Retouch(setting.retouch.element, setting.retouch.shown, setting.retouch.ink, chosen)


def _remedies(setting: Setting, kind: str, line: int, alternate: int) -> list[Remedy]:
    """The remedies for one fault: the first choice, or the others in turn (alternate) when it did not help."""
    if kind == "rate":  # the word, whatever it leaves (measured); or the paragraph set tighter, or looser
        return [[TIGHTER], [LOOSER]][alternate - 1] if alternate else unbreakable(setting, line, tighter=False)
    if kind in ("last", "stack"):  # third, the word unbreakable whatever it leaves (measured)
        return [[TIGHTER], unbreakable(setting, line, tighter=False)][alternate - 1] if alternate else (
            unbreakable(setting, line))
    if alternate:
        return pull_back(setting, line) or [TIGHTER]
    return tracking(setting, line) or breakable(setting, line) or pull_back(setting, line)
