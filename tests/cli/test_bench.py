"""Smoke tests of the benchmark (bench/): the synthetic corpus, the one-word correction, the naive baseline.

No timing is asserted here; `make bench` measures.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench.baseline import render_pdf
from bench.corpus import QUESTIONS_PER_INTERVIEW, Corpus, correct_one_word, make_corpus
from coopbook.markdown.fragments import render_book
from coopbook.pipeline import load


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return make_corpus(tmp_path_factory.mktemp("bench") / "content", 2, seed=7)


def answers(root: Path) -> list[str]:
    return [q.a for interview in load(root).book.interviews for q in interview.questions]


def test_corpus_validates_with_the_real_loader(corpus):
    loaded = load(corpus.root)
    assert [i.id for i in loaded.book.interviews] == list(corpus.interview_ids)
    for interview in loaded.book.interviews:
        assert len(interview.questions) == QUESTIONS_PER_INTERVIEW
        text = "\n".join(q.a for q in interview.questions)
        assert re.search(r"\[\^\d+\]:", text), "footnotes"
        assert re.search(r"^- ", text, re.M) and re.search(r"^1\. ", text, re.M), "bullet and numbered lists"
        assert 2000 < len(text.split()) < 3200
    assert len(corpus.terms) == 300
    kinds = Counter(t.key.partition(":")[0] for t in corpus.terms)
    assert set(kinds) == {"person", "programme", "organisation"}
    assert all(loaded.registry.get(t.key) is not None for t in corpus.terms)


def test_registry_terms_and_countries_are_mentioned(corpus):
    loaded = load(corpus.root)
    found = Counter(m.key for m in render_book(loaded.book, "pdf", loaded.registry).mentions)
    planned = {t.key: t.planned for t in (*corpus.terms, *corpus.countries) if t.planned}
    assert planned and all(key.startswith("country:") for key in (t.key for t in corpus.countries))
    for key, count in planned.items():
        assert found[key] >= count, key


def test_same_seed_same_corpus(tmp_path):
    first = make_corpus(tmp_path / "a", 1, seed=3)
    second = make_corpus(tmp_path / "b", 1, seed=3)
    assert first.interview_ids == second.interview_ids
    assert first.interview_path(0).read_bytes() == second.interview_path(0).read_bytes()
    assert (first.root / "registry" / "people.yaml").read_bytes() == (second.root / "registry" /
                                                                      "people.yaml").read_bytes()


def test_correct_one_word_changes_exactly_one_word(tmp_path):
    corpus = make_corpus(tmp_path / "content", 2, seed=1)
    before = answers(corpus.root)
    path = correct_one_word(corpus, 1)
    assert path == corpus.interview_path(1)
    after = answers(corpus.root)
    changed = [(a, b) for old, new in zip(before, after, strict=True)
               for a, b in zip(old.split(), new.split(), strict=True) if a != b]
    assert len(changed) == 1
    old, new = changed[0]
    assert len(old) == len(new) and old != new
    load(corpus.root)  # still valid


@pytest.mark.slow
def test_baseline_pdf_has_contents_and_index(corpus, tmp_path):
    facts = render_pdf(corpus.root, tmp_path / "baseline.pdf")
    reader = PdfReader(tmp_path / "baseline.pdf")
    assert facts["pages"] == len(reader.pages) > 20
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Contents" in text and "Index" in text
    for title in ("People", "Countries", "ILO programmes", "Organisations"):
        assert title in text
    first = load(corpus.root).book.interviews[0].interviewee.name
    assert first in text
