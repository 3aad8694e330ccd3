"""Smoke tests of the benchmark (bench/): the synthetic corpus, the one-word and page-shifting corrections, the naive
baseline, and a tiny run of the harness's coopbook measures (new processes and `coopbook watch`).

No timing is asserted here; `make bench` measures.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench.baseline import render_pdf
from bench.corpus import (
    QUESTIONS_PER_INTERVIEW,
    SHIFT_PARAGRAPH_WORDS,
    Corpus,
    add_paragraph,
    correct_one_word,
    make_corpus,
)
from bench.run import markdown, run_size, summarise, targets, write_report
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


def test_add_paragraph_lengthens_one_answer_only(tmp_path):
    corpus = make_corpus(tmp_path / "content", 2, seed=1)
    before = [len(a.split()) for a in answers(corpus.root)]
    assert add_paragraph(corpus, 1) == corpus.interview_path(1)
    after = [len(a.split()) for a in answers(corpus.root)]
    grown = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    assert len(grown) == 1 and after[grown[0]] - before[grown[0]] >= SHIFT_PARAGRAPH_WORDS
    assert grown[0] >= QUESTIONS_PER_INTERVIEW  # the second interview's answer


def test_targets_mark_each_new_measure():
    def entry(**values: float) -> dict[str, object]:
        return {"largest_rss_ratio": None, **values}

    size = {"n": 100, "measures": {
        "baseline": entry(wall_ratio=1.0), "full": entry(wall_ratio=0.3, cores=1.2, largest_rss_ratio=0.4),
        "one_word": entry(wall_ratio=0.04), "page_shift": entry(wall_ratio=0.2), "watch": entry(wall_s=0.8)}}
    met = [(row["measure"], row["unit"], row["met"]) for row in targets([size])]
    assert met == [("full", "×", True), ("full", " cores", False), ("one_word", "×", True),
                   ("page_shift", "×", False), ("full", "×", True), ("watch", " s", True)]


@pytest.mark.slow
def test_harness_measures_rebuilds_and_watch(tmp_path):
    result = run_size(1, 1, 0, tmp_path, ("full", "one_word", "page_shift", "watch"), timeout=600, log=False)
    samples = {name: found[0] for name, found in result.samples.items()}
    assert all(s.ok for s in samples.values()), {n: s.error for n, s in samples.items()}
    assert samples["page_shift"].pages > samples["one_word"].pages == samples["full"].pages
    assert samples["full"].cpu_s is not None and samples["full"].cores is not None
    assert samples["watch"].wall_s > 0 and samples["watch"].pages == samples["full"].pages
    summary = summarise(result)
    rows = targets([summary])
    assert [row["measure"] for row in rows] == ["watch"]  # no baseline: only the absolute target applies
    report = {"settings": {"reps": 1, "seed": 0}, "machine": {}, "generated": "now", "sizes": [summary],
              "targets": rows}
    assert "inside `coopbook watch`" in markdown(report)


def test_each_run_keeps_its_report_beside_the_latest(tmp_path: Path) -> None:
    """report.md is the latest run's; runs/ keeps every run's, so a --large run does not overwrite the usual one."""
    size = {"n": 10, "measures": {}}
    for generated, sizes in (("2026-12-01T10:13:00Z", [10, 100]), ("2026-12-01T11:06:00Z", [1000])):
        report = {"settings": {"reps": 1, "seed": 0, "sizes": sizes}, "machine": {}, "generated": generated,
                  "sizes": [size], "targets": []}
        json_path, md_path = write_report(report, tmp_path)
        assert json.loads(json_path.read_text("utf-8"))["generated"] == generated
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "20261201T101300Z-n10-100.json", "20261201T101300Z-n10-100.md",
        "20261201T110600Z-n1000.json", "20261201T110600Z-n1000.md"]
    assert (tmp_path / "runs" / "20261201T110600Z-n1000.md").read_text("utf-8") == md_path.read_text("utf-8")
    assert json.loads((tmp_path / "runs" / "20261201T101300Z-n10-100.json").read_text("utf-8"))["settings"][
        "sizes"] == [10, 100]
