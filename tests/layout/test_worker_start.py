"""A layout worker's start: forked from a parent that has not imported WeasyPrint, the worker that gets the first
part imports the engine at once and reads the PDF's stylesheets, so each of their warnings is said once."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from coopbook.layout.csswarnings import TemplateWarnings, read_stylesheets_in_a_worker
from coopbook.pipeline import BuildOptions, build
from coopbook.templating import TEMPLATES

WORKERS = """
import sys
from coopbook.layout.scheduler import ProcessPool

def engine_loaded() -> bool:
    return "weasyprint" in sys.modules and "weasyprint.text.fonts" in sys.modules

pool = ProcessPool(2)
pool.start()
try:
    in_worker = pool.call(engine_loaded)()
finally:
    pool.close()
print(in_worker, "weasyprint" in sys.modules)
"""


def test_a_worker_imports_the_engine_as_it_starts(repo: Path) -> None:
    done = subprocess.run([sys.executable, "-c", WORKERS], cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]  # in the worker, not in the parent


def test_a_stylesheet_warning_is_said_once_with_workers(repo: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    with (templates / "css" / "pdf.css").open("a", encoding="utf-8") as css:
        css.write("\np { colour: red; }\n")  # an unknown property: WeasyPrint warns, with its line and column
    said = tmp_path / "said.txt"

    def sink(problem: object) -> None:  # runs in whichever process warns: appends, one line per warning
        with said.open("a", encoding="utf-8") as out:
            out.write(f"{problem.format()}\n")  # type: ignore[attr-defined]

    shutil.copytree(repo / "tests" / "books" / "mini", tmp_path / "content")
    handler = TemplateWarnings(templates, sink)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        read_stylesheets_in_a_worker(templates)
        build(BuildOptions(tmp_path / "content", tmp_path / "out", ("pdf",), templates=templates, jobs=2,
                           cache=False))
    finally:
        logger.removeHandler(handler)
    lines = said.read_text("utf-8").splitlines()
    assert len(lines) == 1, lines
    assert "pdf.css:" in lines[0] and "colour" in lines[0]


def test_workers_leave_no_font_folder_behind(repo: Path, tmp_path: Path) -> None:
    """Each font configuration's temporary folder (WeasyPrint's, weasyprint-*) is removed when a build ends, in the
    layout workers (which end in os._exit) as in the parent."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    shutil.copytree(repo / "tests" / "books" / "mini", tmp_path / "content")
    env = {**os.environ, "TMPDIR": str(temporary), "SOURCE_DATE_EPOCH": "1600000000"}
    for jobs in ("1", "2"):
        done = subprocess.run([sys.executable, "-m", "coopbook", "--content", str(tmp_path / "content"), "--out",
                               str(tmp_path / f"out-{jobs}"), "build", "--format", "pdf", "--jobs", jobs],
                              cwd=repo, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / f"out-{jobs}" / "test-anthology.pdf").stat().st_size > 0
        assert sorted(p.name for p in temporary.glob("weasyprint-*")) == []


SHARED_FONTS = """
import sys
from pathlib import Path
from coopbook.layout import part
from coopbook.pipeline import BuildOptions, build

def folders_exist() -> bool:  # holds no configuration once it returns (a reference would keep it alive)
    folders = [ref()._folder for _, ref in part._made if ref() is not None]
    return bool(folders) and all(folder is not None and folder.exists() for folder in folders)

content, out = Path(sys.argv[1]), Path(sys.argv[2])
made = []
for n, jobs in enumerate((1, 2, 2, 1)):  # the workers fork from a parent whose fonts are laid out and cached
    build(BuildOptions(content, out / str(n), ("pdf",), jobs=jobs, cache=False))
    made.append((out / str(n) / "test-anthology.pdf").read_bytes())
    print(n, folders_exist())
print(len(set(made)))
"""


def test_workers_leave_their_parents_font_folder(repo: Path, tmp_path: Path) -> None:
    """A worker forked from a process that has laid out before (a watch session, a test run) shares its cached
    fonts, and their folder: as it stops, it removes its own folders, never that one (the next build's text
    would be drawn with .notdef glyphs, or fail)."""
    shutil.copytree(repo / "tests" / "books" / "mini", tmp_path / "content")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1600000000"}
    done = subprocess.run([sys.executable, "-c", SHARED_FONTS, str(tmp_path / "content"), str(tmp_path / "out")],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:4] == ["0 True", "1 True", "2 True", "3 True"], done.stderr  # the parent's folders are there
    assert lines[4:] == ["1"], done.stderr  # the four builds' PDFs are one
    assert ".notdef" not in done.stderr
