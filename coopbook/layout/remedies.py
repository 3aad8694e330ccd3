"""The remedies of the measured feedback step (coopbook.layout.refine) for one paragraph's faulty lines.

A paragraph as laid out (`Setting`: its text, lines, the ink range of each line, its faults) and the remedies
for one of its lines, each estimated from the line's slack in the boxes: its hyphenated word made unbreakable
(`unbreakable`) or drawn up whole by tracking its line tighter (`pull_up`), its words tracked out by a hair
(`tracking`), a word carried over from the line before (`carry_over`, `pull_back`), or the word after it allowed
to break (`breakable`).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache

import pyphen

from .linestats import LOOSE_GAP, NORMAL_SPACE_EM, Line
from .retouch import Remedy, Retouch

PULL_TRACKING = (5, 10, 15, 20)  # thousandths of an em a line may be tracked tighter to draw a word up whole
MAX_TRACKING_EM = 0.02  # letter-spacing a loose line may take (2 % of the type size)
TARGET_GAP = LOOSE_GAP - 0.1  # what tracking aims for, in normal spaces
MEAN_CHAR_EM = 0.45  # the mean width of a character of running text, to estimate a word's
MIN_BREAKABLE = 6  # letters of a word a loose line may break
MIN_SIDE = 3  # letters on each side of a break
HYPHEN_EM = 0.33
HARD_FAULT = 4.0  # the badness of a hyphen in a last full line or of a third stacked hyphen
# The remedies are classes of templates/css/pdf.css ("The typesetting step's remedies"), not styles written here.
UNBREAKABLE = "fix-hyphens-manual"
UNBREAKABLE_COMPOUND = "fix-hyphens-manual fix-white-space-nowrap"
BREAKABLE = "fix-hyphens-auto"  # with lower limits (6 3 3, no zone)
KEEP_TOGETHER = "fix-white-space-nowrap fix-hyphens-manual"
TRACKING = "fix-letter-spacing-{:03d}"  # thousandths of an em: 001 to 021 (MAX_TRACKING_EM, rounded up)
TIGHT_TRACKING = "fix-letter-spacing-m{:03d}"  # negative: PULL_TRACKING
TIGHTER = Remedy(0, 0, "fix-word-spacing-tighter")  # an empty range: on the paragraph itself
LOOSER = Remedy(0, 0, "fix-word-spacing-wider")
# Whole-paragraph settings a paragraph's trials may take, tracking in thousandths of an em (m: negative).
# Whole-paragraph settings in the order they are tried (the order in which they helped most, measured on
# the test books and a synthetic corpus).
PARAGRAPH_SETTINGS = (TIGHTER, *(Remedy(0, 0, f"fix-letter-spacing-{name}") for name in ("m010", "005", "010", "m015")),
                      Remedy(0, 0, "fix-letter-spacing-m005"), LOOSER,
                      *(Remedy(0, 0, f"fix-letter-spacing-{name}") for name in ("m020", "015", "020")))


@dataclass(frozen=True)
class Setting:
    """A paragraph as laid out: its source text, its lines and the ink range of each line, and its faults."""

    retouch: Retouch
    text: str
    ink: tuple[int, ...]  # the position in text of each non-space character
    lines: tuple[Line, ...]
    ranges: tuple[tuple[int, int], ...]
    faults: tuple[tuple[str, int], ...]  # (kind, line index): "last", "stack" or "loose"
    lang: str | None = None

    @property
    def badness(self) -> float:
        """Its faults, a loose line counting more the wider its gaps (a gap of four spaces or more counts 3), a
        hyphen in a last full line or a third stacked hyphen (rules never to break) more than any loose line."""
        return sum(1 + min(self.lines[line].gap - LOOSE_GAP, 2) if kind == "loose" else HARD_FAULT
                   for kind, line in self.faults)

    @property
    def hyphenated(self) -> int:
        """Its full lines that end in a hyphenation break."""
        return sum(line.hyphenated for line in self.lines[:-1])


def word_range(setting: Setting, offset: int) -> tuple[int, int]:
    """The ink range of the word (a run of non-space characters) around the ink offset."""
    text, ink = setting.text, setting.ink
    start = end = ink[offset]
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return bisect_left(ink, start), bisect_left(ink, end)


def unbreakable(setting: Setting, line: int, tighter: bool = True) -> list[Remedy]:
    """The word a hyphenated line ends in, made unbreakable; the line, now shorter, tracked if it would be loose.

    If it would take more tracking than allowed, the last word of the line before is carried over to it, if
    both lines would then be set well (estimated); failing that, the paragraph is set tighter instead (or,
    unless tighter, the word is made unbreakable all the same).
    """
    end = setting.ranges[line][1]
    if not 0 < end < len(setting.ink):
        return []
    start, stop = word_range(setting, end - 1)
    word = setting.text[setting.ink[start]:setting.ink[stop - 1] + 1]
    remedy = Remedy(start, stop, UNBREAKABLE_COMPOUND if "-" in word else UNBREAKABLE)
    current = setting.lines[line]
    spaces = word_spaces(current) - 1
    if spaces < 1:
        return [remedy]
    freed = (current.gap - 1) * NORMAL_SPACE_EM * (spaces + 1) + (end - start) * MEAN_CHAR_EM + HYPHEN_EM
    gap = 1 + (freed + NORMAL_SPACE_EM) / (NORMAL_SPACE_EM * spaces)  # the line's gaps without the word
    if gap <= TARGET_GAP:
        return [remedy]
    first = line_start(setting, line)
    tracking = track(setting, first, start, gap, spaces)
    if tracking:
        return [tracking, remedy]
    carried = carry_over(setting, line, freed)
    return carried + [remedy] if carried else [TIGHTER] if tighter else [remedy]


def pull_up(setting: Setting, line: int) -> list[Remedy]:
    """A hyphenated word drawn up whole onto its line: the line's words (the word with them) tracked tighter by
    the least step of PULL_TRACKING that makes room for the word's tail, if one does (estimated)."""
    end = setting.ranges[line][1]
    if not 0 < end < len(setting.ink) or line + 1 >= len(setting.lines) or setting.lines[line].gap == math.inf:
        return []
    first = line_start(setting, line)
    start, stop = word_range(setting, end - 1)
    spaces = word_spaces(setting.lines[line])
    room = (setting.lines[line].gap - 1) * NORMAL_SPACE_EM * spaces + HYPHEN_EM if spaces else 0.0
    needed = (stop - end) * MEAN_CHAR_EM - room
    chars = setting.ink[stop - 1] + 1 - setting.ink[first]
    if first >= start or chars <= 0:
        return []
    step = next((n for n in PULL_TRACKING if n / 1000 * chars >= needed), None)
    if step is None:
        return []
    return [Remedy(first, stop, f"{TIGHT_TRACKING.format(step)} {UNBREAKABLE}")]


def carry_over(setting: Setting, line: int, freed: float) -> list[Remedy]:
    """The last word of the line before carried over to a line that lost a word, if both then set well."""
    before = setting.lines[line - 1] if line else None
    if before is None or before.hyphenated or before.gap == math.inf or word_spaces(before) < 4:
        return []
    first, end = word_range(setting, setting.ranges[line - 1][1] - 1)
    _, stop = word_range(setting, setting.ranges[line][0])
    moved = (end - first) * MEAN_CHAR_EM + NORMAL_SPACE_EM
    spaces = word_spaces(before)
    gap_before = 1 + ((before.gap - 1) * NORMAL_SPACE_EM * spaces + moved) / (NORMAL_SPACE_EM * (spaces - 1))
    gap_after = 1 + (freed + NORMAL_SPACE_EM - moved) / (NORMAL_SPACE_EM * word_spaces(setting.lines[line]))
    if gap_before > TARGET_GAP or not 0 < gap_after <= TARGET_GAP:
        return []
    return [Remedy(first, stop, KEEP_TOGETHER)]


def word_spaces(line: Line) -> int:
    """The word spaces of a line (no-break ones too, not those at its ends)."""
    return line.text.strip(" ").count(" ") + line.text.count("\u00a0")


def line_start(setting: Setting, line: int) -> int:
    """The ink offset of the line's first whole word (after the tail of a word broken on the line before)."""
    start = setting.ranges[line][0]
    return word_range(setting, start)[1] if line > 0 and setting.lines[line - 1].hyphenated else start


def track(setting: Setting, start: int, end: int, gap: float, spaces: int) -> Remedy | None:
    """Letter-spacing on words start:end of a line with these gaps, to bring them under the limit, if tiny."""
    if start >= end or gap == math.inf or not spaces:
        return None
    chars = setting.ink[end - 1] + 1 - setting.ink[start]
    if chars <= spaces:
        return None
    tracking = (gap - TARGET_GAP) * NORMAL_SPACE_EM / (chars / spaces - 1)  # each gap gives back what it gains
    if tracking > MAX_TRACKING_EM:
        return None
    thousandths = min(int(tracking * 1000) + 1, round(MAX_TRACKING_EM * 1000) + 1)  # rounded up: 001 to 021
    return Remedy(start, end, f"{TRACKING.format(thousandths)} {UNBREAKABLE}")


def tracking(setting: Setting, line: int) -> list[Remedy]:
    """Letter-spacing on a loose line's whole words, just enough to bring its gaps under the limit, if tiny.

    The words tracked, and the word after them, are made unbreakable: each is now a text of its own, which
    WeasyPrint would hyphenate at a line's end without its usual limits; the line keeps its breaks.
    """
    current = setting.lines[line]
    end = setting.ranges[line][1]
    if current.hyphenated:  # the head of a broken word: left as it is
        end = word_range(setting, end - 1)[0]
    tracking = track(setting, line_start(setting, line), end, current.gap, word_spaces(current))
    if tracking is None:
        return []
    if current.hyphenated or line + 1 >= len(setting.ranges):
        return [tracking]
    return [tracking, Remedy(*word_range(setting, setting.ranges[line + 1][0]), UNBREAKABLE)]


def pull_back(setting: Setting, line: int) -> list[Remedy]:
    """The last word of the line before a loose line carried over to it (bound to the loose line's first word)."""
    before = setting.lines[line - 1] if line else None
    if before is None or before.hyphenated or before.gap == math.inf or before.text.count(" ") < 4:
        return []
    first, end = word_range(setting, setting.ranges[line - 1][1] - 1)
    _, stop = word_range(setting, setting.ranges[line][0])
    spaces = word_spaces(before)  # the line before, one word shorter, must not turn loose (estimated)
    freed = (before.gap - 1) * NORMAL_SPACE_EM * spaces + (end - first) * MEAN_CHAR_EM + NORMAL_SPACE_EM
    if 1 + freed / (NORMAL_SPACE_EM * (spaces - 1)) > TARGET_GAP:
        return []
    return [Remedy(first, stop, KEEP_TOGETHER)]


def breakable(setting: Setting, line: int) -> list[Remedy]:
    """The word after a loose line, allowed to break with lower limits (three letters each side still)."""
    if setting.lines[line].hyphenated or line + 1 >= len(setting.ranges):
        return []
    start, stop = word_range(setting, setting.ranges[line + 1][0])
    word = "".join(char for char in setting.text[setting.ink[start]:setting.ink[stop - 1] + 1] if char.isalpha())
    language = pyphen.language_fallback(setting.lang.replace("-", "_")) if setting.lang else None
    if len(word) < MIN_BREAKABLE or language is None:
        return []
    breaks = _dictionary(language).positions(word)
    room = (setting.lines[line].gap - 1) * NORMAL_SPACE_EM * word_spaces(setting.lines[line]) - NORMAL_SPACE_EM
    if not breaks or min(breaks) * MEAN_CHAR_EM + HYPHEN_EM > room:  # no head of the word would fit (estimated)
        return []
    return [Remedy(start, stop, BREAKABLE)]


@cache
def _dictionary(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=language, left=MIN_SIDE, right=MIN_SIDE)


def intrusion(remedies: tuple[Remedy, ...]) -> float:
    """How far a paragraph's remedies depart from its plain setting: tracking counts by the thousandth (paragraph
    tracking five thousandths a step), word spacing one, an unbreakable word or a word carried over a half."""
    total = 0.0
    for remedy in remedies:
        for name in remedy.classes.split():
            if name.startswith("fix-letter-spacing-"):
                thousandths = int(name.rsplit("-", 1)[1].lstrip("m"))
                total += thousandths / 5 if remedy.start == remedy.end else thousandths / 10
            elif name.startswith("fix-word-spacing-"):
                total += 1
            elif name in (UNBREAKABLE, BREAKABLE):
                total += 0.5
    return total


def variants(setting: Setting, tried: set[tuple[Remedy, ...]]) -> list[tuple[Remedy, ...]]:
    """The remedies to try next for a paragraph, built on the ones it has (its setting's), none tried before, in
    the order to try them: for each fault the remedies of coopbook.layout.refine's rules, each hyphenated word
    made unbreakable (the line tracked or a word carried over, where estimated to help), a whole-paragraph
    setting (tighter or wider word spacing, tracking by ±0.005 to ±0.020 em), then each word unbreakable
    alone, all of them, all of them with each whole-paragraph setting, and each word drawn up whole (last:
    the first rounds still try first what they tried before it)."""
    have = setting.retouch.remedies
    hyphenated = [n for n, line in enumerate(setting.lines[:-1]) if line.hyphenated]
    words = [[remedy for remedy in unbreakable(setting, line, tighter=False) if remedy.classes != TIGHTER.classes]
             for line in hyphenated]
    plain = [[remedy for remedy in group if UNBREAKABLE in remedy.classes.split()][-1:] for group in words]
    every = [remedy for group in plain for remedy in group]
    groups = [fault_remedies(setting, kind, line, alternate)
              for kind, line in setting.faults for alternate in (0, 1, 2)]
    whole = not any(remedy.start == remedy.end for remedy in have)
    groups += words + ([[setting] for setting in PARAGRAPH_SETTINGS] if whole else []) + plain + [every]
    if whole and hyphenated:
        groups += [[setting, *every] for setting in PARAGRAPH_SETTINGS]
    groups += [pull_up(setting, line) for line in hyphenated]
    found = []
    for group in groups:
        remedies = _combined(have, group)
        if remedies is not None and remedies not in tried and remedies not in found:
            found.append(remedies)
    return found


def _combined(have: tuple[Remedy, ...], group: list[Remedy]) -> tuple[Remedy, ...] | None:
    """The remedies a paragraph has with a group added, unless the group is empty or overlaps them."""
    new = [remedy for remedy in group if remedy not in have]
    if not new or any(r.start < g.end and g.start < r.end for r in have for g in new):
        return None
    if sum(remedy.start == remedy.end for remedy in (*have, *new)) > 1:  # one whole-paragraph setting at most
        return None
    return tuple(sorted((*have, *new)))


def fault_remedies(setting: Setting, kind: str, line: int, alternate: int) -> list[Remedy]:
    """The remedies for one fault: the first choice, or the others in turn (alternate)."""
    if kind in ("last", "stack"):  # third, the word unbreakable whatever it leaves (measured)
        return [[TIGHTER], unbreakable(setting, line, tighter=False)][alternate - 1] if alternate else (
            unbreakable(setting, line))
    if alternate:
        return pull_back(setting, line) or [TIGHTER]
    return tracking(setting, line) or breakable(setting, line) or pull_back(setting, line)
