"""Synthetic content folders for the benchmark: N interviews, ~300 registry terms and real country names.

`make_corpus(dest, n, seed)` writes a complete content folder (book.yaml, interviews/*.yaml,
registry/*.yaml) that the real loader accepts: each interview has 8 questions and ~2,400 words of
English-ish prose with bullet and numbered lists, footnotes and emphasis; ~300 registry terms (people,
ILO programmes, organisations) are each mentioned ~5 times across the book, and real country names (from
ISO 3166, as the registry names them) a few times per interview. Everything follows from the seed.

Every registry term contains a made-up word used nowhere else, and no prose word is part of a country
name, so the only mentions the tagger can find are the ones written on purpose (`Term.planned`).

`correct_one_word(corpus, i)` makes the editor's smallest correction: one prose word of one answer
replaced by another word of the same length (so that the page count most likely stays the same).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from coopbook.source.registry import countries

WORDS_PER_INTERVIEW = 2400
QUESTIONS_PER_INTERVIEW = 8
TERMS = 300
MENTIONS_PER_TERM = 5
# At most this many term mentions per interview (about one per 15 words), so that small corpora stay prose;
# from N = 10 up the limit does not bind and every term gets its ~5 mentions.
MAX_TERM_MENTIONS_PER_INTERVIEW = 160
COUNTRY_MENTIONS_PER_INTERVIEW = 5
FOOTNOTES_PER_INTERVIEW = 3
CORRECTED_QUESTION = 3  # the answer correct_one_word edits (0-based), one in the middle of the interview

# ---- the vocabulary: prose words by part of speech ----------------------------------------------------

NOUNS = """
member farmer worker union society market price credit loan saving policy reform training region village
district community family group board manager committee budget project study survey report meeting workshop
network partner donor government ministry office movement crop harvest season product service school teacher
income debt fund account audit share dividend capital land road house clinic wage job skill tool machine shop
store mill field garden forest fishery boat dairy grain seed leader officer adviser volunteer council statute
decree charter handbook course lesson method plan idea value principle right duty voice vote election
""".split()
MASS_NOUNS = "coffee cocoa cotton rice maize tea sugar milk timber honey water energy housing insurance".split()
ADJECTIVES = """
local rural small large national regional young older strong fair open careful practical democratic informal
formal urban modest steady early recent common shared joint public private basic simple difficult useful
durable honest patient active daily seasonal collective social economic legal technical financial cultural
agricultural sustainable digital decent productive
""".split()
VERBS_PAST = """
supported organised trained advised built improved reviewed shaped financed managed visited studied discussed
prepared reformed promoted strengthened created opened measured tested shared launched linked designed planned
guided recorded defended rebuilt expanded renewed welcomed joined helped encouraged assessed
""".split()
VERBS = """
support organise train advise build improve review shape finance manage share need protect serve reach connect
strengthen create open measure test plan guide record defend expand renew welcome join help encourage assess
""".split()
ADVERBS = "slowly quickly carefully often rarely together steadily gradually openly quietly always sometimes".split()
STARTS = ("Over time,", "In practice,", "At first,", "Later,", "For example,", "In those years,", "Even so,",
          "As a result,", "Above all,", "In the end,")
COUNTS = "two three four five six seven eight nine ten twelve fifteen twenty".split()
QUESTIONS = (
    "How did you first come to work with cooperatives?",
    "When and where did you start your career in the movement?",
    "What are some highlights of your work on cooperative development?",
    "What was it like working on cooperatives in those years?",
    "Which projects do you remember most clearly, and why?",
    "How did the members themselves take part in the reforms?",
    "What role did training and education play in your work?",
    "How did cooperative law change during your career?",
    "What did you learn from the partners you worked with?",
    "How do you see the role of cooperatives in the future of work?",
    "How do you understand the growing interest in the social and solidarity economy?",
    "What advice would you give to a young cooperative leader today?",
    "Which difficulties did the cooperatives face, and how were they overcome?",
    "How did women and young people find their place in the cooperatives?",
    "What should the next generation of programmes do differently?",
    "Is there a moment you are particularly proud of?",
)
HONORIFICS = ("Mr", "Ms", "Dr")
ROLES = ("adviser", "officer", "specialist", "coordinator", "expert", "director")

_POS = {"noun": NOUNS, "mass": MASS_NOUNS, "adj": ADJECTIVES, "past": VERBS_PAST, "verb": VERBS, "adv": ADVERBS}
# Same-length alternatives by part of speech, for the one-word correction.
_ALTERNATIVES: dict[str, list[str]] = {}
for _words in _POS.values():
    for _word in _words:
        _ALTERNATIVES.setdefault(_word, sorted(w for w in _words if len(w) == len(_word) and w != _word))


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    return noun + "s"


VOCABULARY = frozenset(w for words in _POS.values() for w in words) | {_plural(n) for n in NOUNS}

# ---- registry term shapes ------------------------------------------------------------------------------

PROGRAMME_SHAPES = ("{X} Cooperative Programme", "{X} Rural Finance Project", "Programme for {X} Cooperatives",
                    "{X} Enterprise Facility", "{X} Cooperative Reform Initiative", "{X} Workers’ Education Project")
PROGRAMME_SUFFIXES = ("COOP", "NET", "FIN", "DEV", "REFORM", "PRO")
ORGANISATION_SHAPES = ("{X} Cooperative Federation", "{X} Farmers’ Union", "{X} Savings and Credit Society",
                       "{X} Women’s Association", "National Union of {X} Cooperatives", "{X} Development Agency")
ONSETS = "b d f g k l m n p r s t v z ch sh th".split()
NUCLEI = "a e i o u".split()
CODAS = ("", "", "", "n", "r", "s", "l")


@dataclass(frozen=True)
class Term:
    """One registry entry the corpus uses: its key, name, aliases, and how many mentions were written."""

    key: str
    name: str
    aliases: tuple[str, ...] = ()
    planned: int = 0


@dataclass(frozen=True)
class Corpus:
    """A generated content folder and what the generator put in it."""

    root: Path
    n: int
    seed: int
    interview_ids: tuple[str, ...]
    terms: tuple[Term, ...]
    countries: tuple[Term, ...]
    words: int

    def interview_path(self, index: int) -> Path:
        """The YAML file of the index-th interview (0-based, reading order)."""
        return self.root / "interviews" / f"{self.interview_ids[index]}.yaml"


# ---- generation ------------------------------------------------------------------------------------------


def _country_names() -> list[str]:
    """Country names as the registry matches them; only those that read naturally in running text."""
    return [e.name for e in countries() if not re.search(r"[,()]", e.name)]


def _reserved_words() -> set[str]:
    """Words an invented name must not be: the vocabulary and every word of every country name."""
    reserved = {w.casefold() for w in VOCABULARY}
    for entry in countries():
        for surface in entry.surfaces:
            reserved.update(w.casefold() for w in re.findall(r"\w+", surface))
    return reserved


def _check_vocabulary() -> None:
    """No country name may be spelt with prose words alone (the tagger would find unplanned mentions)."""
    for entry in countries():
        for surface in entry.surfaces:
            words = [w.casefold() for w in re.findall(r"\w+", surface)]
            if all(w in VOCABULARY for w in words):
                raise AssertionError(f"the prose vocabulary spells a country name: {surface}")


class _Generator:
    """The state of one corpus generation: a seeded random source and the names already taken."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.taken = _reserved_words()
        self.acronyms: set[str] = set()

    # -- names --

    def invented(self) -> str:
        """A made-up capitalised word, never used before in this corpus."""
        rng = self.rng
        while True:
            syllables = rng.choice((2, 2, 3))
            word = "".join(rng.choice(ONSETS) + rng.choice(NUCLEI) for _ in range(syllables)) + rng.choice(CODAS)
            if word not in self.taken:
                self.taken.add(word)
                return word.capitalize()

    def acronym(self, stem: str, suffix: str) -> str:
        """A unique all-capitals alias made from a name's invented word."""
        for size in range(3, len(stem) + 1):
            candidate = f"{stem[:size].upper()}{suffix}"
            if candidate not in self.acronyms:
                self.acronyms.add(candidate)
                return candidate
        candidate = f"{stem.upper()}{suffix}{len(self.acronyms)}"
        self.acronyms.add(candidate)
        return candidate

    def person(self) -> tuple[str, str]:
        """(id, name) of a new person."""
        name = f"{self.invented()} {self.invented()}"
        return _slug(name), name

    def terms(self, count: int) -> list[Term]:
        """count registry terms: 40 % people, 30 % programmes, 30 % organisations."""
        people = count * 2 // 5
        programmes = (count - people) // 2
        organisations = count - people - programmes
        result: list[Term] = []
        for _ in range(people):
            ident, name = self.person()
            aliases = (f"Dr {name.split()[-1]}",) if self.rng.random() < 0.2 else ()
            result.append(Term(f"person:{ident}", name, aliases))
        for _ in range(programmes):
            stem = self.invented()
            name = self.rng.choice(PROGRAMME_SHAPES).format(X=stem)
            result.append(Term(f"programme:{_slug(name)}", name,
                               (self.acronym(stem, self.rng.choice(PROGRAMME_SUFFIXES)),)))
        for _ in range(organisations):
            stem = self.invented()
            name = self.rng.choice(ORGANISATION_SHAPES).format(X=stem)
            initials = "".join(w[0] for w in name.split() if w[0].isupper() and w != stem)
            aliases = (self.acronym(stem, initials),) if self.rng.random() < 0.5 else ()
            result.append(Term(f"organisation:{_slug(name)}", name, aliases))
        return result

    # -- prose --

    def word(self, pos: str) -> str:
        return self.rng.choice(_POS[pos])

    def nouns(self) -> str:
        return _plural(self.word("noun"))

    def time(self) -> str:
        rng = self.rng
        year = rng.randint(1975, 2019)
        return rng.choice((f"in {year}", f"over {rng.choice(COUNTS)} years", f"during the {self.word('adj')} season",
                           f"between {year} and {year + rng.randint(1, 9)}", "in those years", "every year"))

    def sentence(self) -> str:
        """One sentence of prose without any term."""
        rng, w = self.rng, self.word
        adj = w("adj")
        if rng.random() < 0.06:
            adj = f"*{adj}*"
        shapes = (
            f"{rng.choice(STARTS)} the {adj} {self.nouns()} {w('past')} the {w('noun')} of the {w('noun')}.",
            f"We {w('past')} {rng.choice(COUNTS)} {adj} {self.nouns()} {self.time()}.",
            f"The {w('noun')} {w('past')} {w('adv')} with the {adj} {w('noun')}.",
            f"Our {self.nouns()} {w('verb')} the {self.nouns()} that {w('verb')} the {adj} {w('noun')}.",
            f"It was a {adj} time for the {self.nouns()}, and the {w('noun')} {w('past')} {w('adv')}.",
            f"Many {self.nouns()} {w('past')} their own {self.nouns()} and sold {w('mass')} {self.time()}.",
            f"The {w('adj')} {self.nouns()} {w('verb')} {w('mass')}, {w('mass')} and {w('mass')} for the "
            f"{adj} {self.nouns()}.",
            f"{rng.choice(STARTS)} we {w('past')} the {w('noun')} and {w('past')} a {adj} {w('noun')} for "
            f"{self.nouns()}.",
        )
        return _capitalise(rng.choice(shapes))

    def term_sentence(self, surface: str, country: bool) -> str:
        """One sentence that mentions surface (a registry term or a country name) once."""
        rng, w = self.rng, self.word
        if country:
            shapes = (
                f"In {surface}, the {w('adj')} {self.nouns()} {w('past')} the {w('noun')} {self.time()}.",
                f"We also {w('past')} {self.nouns()} in {surface} {self.time()}.",
                f"The {self.nouns()} of {surface} {w('past')} their {w('adj')} {w('noun')} {w('adv')}.",
            )
        else:
            shapes = (
                f"We {w('past')} the {w('noun')} with {surface} {self.time()}.",
                f"{surface} {w('past')} the {w('adj')} {self.nouns()} of the {w('noun')}.",
                f"The {self.nouns()} of {surface} {w('past')} {w('adv')}.",
                f"Together with {surface}, we {w('past')} {rng.choice(COUNTS)} {w('adj')} {self.nouns()}.",
                f"{rng.choice(STARTS)} {surface} {w('past')} a {w('adj')} {w('noun')} for the {self.nouns()}.",
            )
        return _capitalise(rng.choice(shapes))

    def answer(self, surfaces: Sequence[tuple[str, bool]], target_words: int, notes: int, bullets: bool,
               numbered: bool) -> str:
        """One answer in Markdown: paragraphs, maybe a list, `notes` footnotes, one sentence per mention."""
        rng = self.rng
        sentences = [self.term_sentence(s, c) for s, c in surfaces]
        words = sum(len(s.split()) for s in sentences)
        while words < target_words:
            sentence = self.sentence()
            sentences.append(sentence)
            words += len(sentence.split())
        rng.shuffle(sentences)
        blocks: list[str] = []
        list_items = rng.randint(3, 5) if bullets or numbered else 0
        items, sentences = sentences[:list_items], sentences[list_items:]
        noted = set(rng.sample(range(len(sentences)), min(notes, len(sentences))))
        note_lines: list[str] = []
        paragraph: list[str] = []
        for index, sentence in enumerate(sentences):
            if index in noted:
                note_lines.append(f"[^{len(note_lines) + 1}]: {self.sentence()}")
                sentence = f"{sentence}[^{len(note_lines)}]"
            paragraph.append(sentence)
            if len(paragraph) >= rng.randint(4, 7):
                blocks.append(" ".join(paragraph))
                paragraph = []
        if paragraph:
            blocks.append(" ".join(paragraph))
        if items:
            marks = [f"{n}." for n in range(1, len(items) + 1)] if numbered else ["-"] * len(items)
            at = min(1, len(blocks))
            blocks.insert(at, "\n".join(f"{mark} {item}" for mark, item in zip(marks, items, strict=True)))
        if note_lines:
            blocks.append("\n".join(note_lines))
        return "\n\n".join(blocks)


def _capitalise(sentence: str) -> str:
    sentence = re.sub(r"\b([Aa]) (\*?(?:[aeio]|u(?!s)))", r"\1n \2", sentence)  # a early -> an early
    return sentence[0].upper() + sentence[1:]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _block(text: str, indent: int) -> str:
    """A YAML literal block scalar body, every non-empty line indented."""
    pad = " " * indent
    return "\n".join(f"{pad}{line}" if line else "" for line in text.split("\n"))


def _interview_yaml(ident: str, name: str, honorific: str, role: str, date: dt.date,
                    questions: Sequence[tuple[str, str]], closing: str) -> str:
    lines = [
        "# A synthetic interview generated by bench/corpus.py (not real content).",
        f"id: {ident}",
        "interviewee:",
        f"  name: {json.dumps(name, ensure_ascii=False)}",
        f"  honorific: {honorific}",
        f"  role: {json.dumps(role, ensure_ascii=False)}",
        f"date: {date.isoformat()}",
        "source:",
        "  publisher: Synthetic Press",
        "  kind: Interview",
        "questions:",
    ]
    for question, answer in questions:
        lines.append(f"  - q: {json.dumps(question, ensure_ascii=False)}")
        lines.append("    a: |")
        lines.append(_block(answer, 6))
    lines.append("closing: |")
    lines.append(_block(closing, 2))
    return "\n".join(lines) + "\n"


def _book_yaml(ids: Sequence[str], seed: int, introduction: str) -> str:
    data = {
        "title": "Synthetic Voices",
        "subtitle": f"A Benchmark Anthology of {len(ids)} Interviews",
        "slug": "synthetic-voices",
        "language": "en-GB",
        "editors": ["Bench Editor"],
        "publisher": "Synthetic Press",
        "edition": 1,
        "date": dt.date(2026, 1, 1),
        "identifiers": {"uid": f"urn:uuid:00000000-0000-4000-8000-{seed % 10**12:012d}"},
        "rights": "Synthetic text generated for benchmarking; no rights reserved.",
        "series": {"name": "Synthetic Interview", "description": introduction},
        "order": list(ids),
        "print": {"trim_width": "148mm", "trim_height": "210mm", "bleed": "3mm",
                  "indexes": ["people", "countries", "programmes", "organisations"]},
    }
    head = f"# A synthetic anthology generated by bench/corpus.py (n={len(ids)}, seed={seed}).\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _registry_files(terms: Sequence[Term]) -> dict[str, str]:
    files: dict[str, list[dict[str, object]]] = {"people.yaml": [], "programmes.yaml": [], "organisations.yaml": []}
    target = {"person": "people.yaml", "programme": "programmes.yaml", "organisation": "organisations.yaml"}
    for term in terms:
        kind, _, ident = term.key.partition(":")
        entry: dict[str, object] = {"id": ident, "name": term.name}
        if kind == "person":
            given, surname = term.name.rsplit(" ", 1)
            entry["sort_as"] = f"{surname}, {given}"
        if term.aliases:
            entry["aliases"] = list(term.aliases)
        files[target[kind]].append(entry)
    head = "# Synthetic registry generated by bench/corpus.py.\n"
    out = {name: head + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=1000)
           for name, entries in files.items()}
    out["ignore.yaml"] = head + "[]\n"
    return out


def make_corpus(dest: Path, n: int, seed: int = 0, terms: int = TERMS) -> Corpus:
    """Write a content folder with n synthetic interviews into dest (created; must be empty or absent)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty; the corpus is written into a new folder")
    _check_vocabulary()
    gen = _Generator(seed)
    rng = gen.rng
    registry_terms = gen.terms(terms)
    country_pool = _country_names()
    people = [gen.person() for _ in range(n)]
    ids = [f"i{i + 1:04d}-{ident}" for i, (ident, _) in enumerate(people)]

    # Which term each interview mentions: every term in turn, shuffled over the book.
    total = min(len(registry_terms) * MENTIONS_PER_TERM, n * MAX_TERM_MENTIONS_PER_INTERVIEW)
    plan = [registry_terms[i % len(registry_terms)] for i in range(total)]
    rng.shuffle(plan)
    share = [plan[i::n] for i in range(n)]
    term_counts: Counter[str] = Counter()
    country_counts: Counter[str] = Counter()

    (dest / "interviews").mkdir(parents=True)
    (dest / "registry").mkdir()
    words = 0
    for index, ((_, name), ident) in enumerate(zip(people, ids, strict=True)):
        surfaces: list[tuple[str, bool]] = []
        for term in share[index]:
            surface = rng.choice(term.aliases) if term.aliases and rng.random() < 0.3 else term.name
            surfaces.append((surface, False))
            term_counts[term.key] += 1
        for country in rng.choices(country_pool, k=COUNTRY_MENTIONS_PER_INTERVIEW):
            surfaces.append((country, True))
            country_counts[country] += 1
        rng.shuffle(surfaces)
        questions = rng.sample(QUESTIONS, QUESTIONS_PER_INTERVIEW)
        per_answer = (WORDS_PER_INTERVIEW - 60 - sum(len(q.split()) for q in questions)) // len(questions)
        with_notes = Counter(rng.choices(range(len(questions)), k=FOOTNOTES_PER_INTERVIEW))
        bullets, numbered = rng.sample(range(len(questions)), 2)
        pairs = []
        for qn, question in enumerate(questions):
            mine = surfaces[qn::len(questions)]
            answer = gen.answer(mine, per_answer, with_notes[qn], qn == bullets, qn == numbered)
            pairs.append((question, answer))
        closing = " ".join(gen.sentence() for _ in range(4))
        role = f"Former {gen.word('adj')} {rng.choice(ROLES)} for {gen.nouns()} and {gen.nouns()}"
        date = dt.date(2020, 1, 1) + dt.timedelta(days=index % 366)
        text = _interview_yaml(ident, name, rng.choice(HONORIFICS), role, date, pairs, closing)
        words += sum(len(q.split()) + len(a.split()) for q, a in pairs) + len(closing.split())
        (dest / "interviews" / f"{ident}.yaml").write_text(text, encoding="utf-8")

    introduction = " ".join(gen.sentence() for _ in range(12))
    (dest / "book.yaml").write_text(_book_yaml(ids, seed, introduction), encoding="utf-8")
    for filename, text in _registry_files(registry_terms).items():
        (dest / "registry" / filename).write_text(text, encoding="utf-8")
    by_name = {e.name: e for e in countries()}
    used_countries = tuple(Term(by_name[c].key, c, (), k) for c, k in sorted(country_counts.items()))
    planned = tuple(Term(t.key, t.name, t.aliases, term_counts[t.key]) for t in registry_terms)
    return Corpus(dest, n, seed, tuple(ids), planned, used_countries, words)


# ---- the one-word correction -------------------------------------------------------------------------------

_WORD = re.compile(r"(?<![\w*\[^])[a-z]+(?![\w*\]])")


def _answer_lines(lines: Sequence[str], question: int) -> range:
    """The line numbers of the block scalar holding the answer to question (0-based)."""
    seen = -1
    for number, line in enumerate(lines):
        if line.startswith("  - q: "):
            seen += 1
        if seen == question and line.rstrip() == "    a: |":
            end = number + 1
            while end < len(lines) and (not lines[end].strip() or lines[end].startswith("      ")):
                end += 1
            return range(number + 1, end)
    raise ValueError(f"no answer to question {question + 1}")


def correct_one_word(corpus: Corpus, interview_index: int) -> Path:
    """Replace one prose word of one answer with another of the same length; return the edited file.

    The word is the middle correctable word of the answer to question 4 (outside footnote definitions
    and emphasis); calling it again replaces the same word again, so every call is a one-word change.
    """
    path = corpus.interview_path(interview_index)
    lines = path.read_text(encoding="utf-8").split("\n")
    question = min(CORRECTED_QUESTION, QUESTIONS_PER_INTERVIEW - 1)
    candidates: list[tuple[int, re.Match[str]]] = []
    for number in _answer_lines(lines, question):
        if lines[number].lstrip().startswith("[^"):
            continue
        for match in _WORD.finditer(lines[number]):
            if _ALTERNATIVES.get(match.group()):
                candidates.append((number, match))
    if not candidates:
        raise ValueError(f"{path}: no word to correct")
    number, match = candidates[len(candidates) // 2]
    word = match.group()
    options = _ALTERNATIVES[word]
    replacement = next((w for w in options if w > word), options[0])
    line = lines[number]
    lines[number] = line[:match.start()] + replacement + line[match.end():]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


SHIFT_PARAGRAPH_WORDS = 900  # more than one A5 page of text at the book's type


def add_paragraph(corpus: Corpus, interview_index: int, words: int = SHIFT_PARAGRAPH_WORDS) -> Path:
    """Append a new paragraph of about `words` words (no term) to the answer to question 4; return the file.

    It is long enough to push every later page of the book on by at least one page (a page-shifting correction).
    Each call adds another paragraph, from a generator seeded with the corpus seed and the file's current length.
    """
    path = corpus.interview_path(interview_index)
    lines = path.read_text(encoding="utf-8").split("\n")
    answer = _answer_lines(lines, min(CORRECTED_QUESTION, QUESTIONS_PER_INTERVIEW - 1))
    generator = _Generator(corpus.seed * 1_000_003 + len(lines))
    sentences: list[str] = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(generator.sentence())
    end = answer.stop
    while end > answer.start and not lines[end - 1].strip():
        end -= 1
    lines[end:end] = ["", _block(" ".join(sentences), 6).rstrip("\n")]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
