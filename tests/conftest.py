"""Shared fixtures: the repository, the seed article, and one real build of the book per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from coopbook.pipeline import Output

from makers import build_copy

REPO = Path(__file__).resolve().parent.parent
SEED_DIR = REPO.parent / "shared" / "seed"
SEED = SEED_DIR / "000_4e4e3ba4e91af911.txt"


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The seed article's file; its tests skip without it, except under CI (env CI set), where they fail."""
    if not SEED.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the seed article is not at {SEED} (CI is set, so its tests may not skip)")
        pytest.skip(f"the seed article is not at {SEED}")
    return SEED


@pytest.fixture(scope="session")
def seed_text(seed_path: Path) -> str:
    """The seed article the book was made from (the author's wording)."""
    return seed_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def real_book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Output]:
    """Build the real book (screen PDF, print PDF, EPUB) once, from a copy of content/."""
    return build_copy(tmp_path_factory, "realbook", REPO / "content", ("pdf", "print", "epub"))


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder that is also the cwd, so problems name content/registry/... paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture()
def content_copy(tmp_path: Path) -> Path:
    """A private copy of the real content/ that a test may break."""
    shutil.copytree(REPO / "content", tmp_path / "content")
    return tmp_path / "content"


@pytest.fixture(scope="session")
def mini_book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Output]:
    """Build tests/books/mini (two interviews, footnotes, lists, accents) in every format, once."""
    return build_copy(tmp_path_factory, "minibook", REPO / "tests" / "books" / "mini", ("pdf", "print", "epub"))


@pytest.fixture(scope="session")
def spanish_book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Output]:
    """Build tests/books/spanish (a book whose language is es: every generated word Spanish), once."""
    return build_copy(tmp_path_factory, "spanish", REPO / "tests" / "books" / "spanish", ("pdf", "epub"))


@pytest.fixture(scope="session")
def multilingual_book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Output]:
    """Build tests/books/multilingual (English book; interviews in English, Spanish, French, Italian), once."""
    return build_copy(tmp_path_factory, "multilingual", REPO / "tests" / "books" / "multilingual", ("pdf", "epub"))
