"""Shared test helpers that write books: synthetic content built on the real registry and book.yaml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from coopbook.errors import Problems
from coopbook.pipeline import BuildOptions, Format, Output, build
from coopbook.source.book import Interview
from coopbook.source.registry import Registry
from coopbook.source.registryfiles import load_registry

REPO = Path(__file__).resolve().parent.parent
SENTENCE = "I worked with farmers' cooperatives in Ghana and Kenya for many years. "
BUILD_SECONDS = 240  # a command-line build's time limit: a hang fails there; a slow machine never comes close


def make_book(root: Path, sentences: list[int], questions: int = 1) -> Path:
    """The real book.yaml and registry with one interview per entry, each answer that many sentences long."""
    content = root / "content"
    shutil.copytree(REPO / "content" / "registry", content / "registry")
    (content / "interviews").mkdir()
    book = yaml.safe_load((REPO / "content" / "book.yaml").read_text("utf-8"))
    book["order"] = []
    for n, count in enumerate(sentences):
        ident = f"person-{n:02d}"
        book["order"].append(ident)
        doc = {"id": ident, "interviewee": {"name": f"Person Number{n:02d}", "role": "Cooperative organiser"},
               "date": "2020-08-01", "source": {"publisher": "ILO", "kind": "Article"},
               "questions": [{"q": f"Question {q + 1} to person {n}?", "a": (SENTENCE * count).strip()}
                             for q in range(questions)]}
        (content / "interviews" / f"{ident}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    (content / "book.yaml").write_text(yaml.safe_dump(book, sort_keys=False, allow_unicode=True), "utf-8")
    return content


def build_with_cli(content: Path, out: Path, jobs: int, *args: str) -> None:
    """Build with the command line, as an editor does (`coopbook build --jobs N ARGS`), SOURCE_DATE_EPOCH fixed,
    under BUILD_SECONDS (a hang fails the test instead of stalling the suite); it must succeed."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1600000000", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "coopbook", "--content", str(content), "--out", str(out), "build",
                           "--jobs", str(jobs), *args], capture_output=True, text=True, env=env, timeout=BUILD_SECONDS)
    assert done.returncode == 0, done.stderr


def build_copy(factory: pytest.TempPathFactory, name: str, source: Path,
               formats: tuple[Format, ...]) -> dict[str, Output]:
    """Build a copy of a content folder in a new temporary folder; the outputs by format."""
    work = factory.mktemp(name)
    shutil.copytree(source, work / "content")
    return {o.format: o for o in build(BuildOptions(work / "content", work / "build", formats))}


def write_registry(root: Path, **files: str) -> Path:
    """Write registry files (name without .yaml) under root/content/registry; return root/content."""
    folder = root / "content" / "registry"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root / "content"


def load_registry_files(root: Path, interviews: tuple[Interview, ...] = (), **files: str) -> tuple[Registry, list[str]]:
    """Load a registry written from files; return it with the formatted problems."""
    problems = Problems()
    registry = load_registry(write_registry(root, **files), interviews, problems)
    return registry, [p.format() for p in problems.items]
