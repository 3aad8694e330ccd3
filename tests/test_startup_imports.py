"""Start-up imports: the command line and the pipeline import no WeasyPrint (nor fontTools.subset, ebooklib) when
loaded, so a build forks its layout workers before the heavy imports, which the workers then make beside the
parent's first stages; a build with workers still lays out, and its parent never imports WeasyPrint itself."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("weasyprint", "fontTools.subset", "fontTools.ttLib", "ebooklib")


def imported_after(code: str, cwd: Path) -> list[str]:
    """The heavy modules in sys.modules after running code in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", ["coopbook", "coopbook.cli.commands", "coopbook.pipeline", "coopbook.session",
                                    "coopbook.editorial.watch", "coopbook.layout.scheduler"])
def test_loading_imports_no_heavy_library(module: str, repo: Path) -> None:
    assert imported_after(f"import {module}", repo) == []


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"], ["build", "--help"]])
def test_version_and_help_import_no_heavy_library(args: list[str], repo: Path) -> None:
    code = ("import sys\nfrom coopbook.cli.commands import main\n"
            f"try:\n    main({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass")
    assert imported_after(code, repo) == []


@pytest.mark.parametrize("command", [["new", "Jane Doe"], ["import", "article.txt"]])
def test_new_and_import_import_no_heavy_library(command: list[str], repo: Path, tmp_path: Path) -> None:
    shutil.copytree(repo / "tests" / "books" / "mini", tmp_path / "mini")
    (tmp_path / "article.txt").write_text("Ms Jane Doe, Officer\n\nQ: Where?\nA: Here.\n", encoding="utf-8")
    args = ["--content", str(tmp_path / "mini"), *command]
    code = (f"import os\nfrom coopbook.cli.commands import main\nos.chdir({str(tmp_path)!r})\n"
            f"try:\n    main({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass")
    assert imported_after(code, repo) == []
    assert sorted(p.name for p in (tmp_path / "mini" / "interviews").glob("jane-doe*.yaml")) == ["jane-doe.yaml"]


def test_check_imports_no_weasyprint(repo: Path, tmp_path: Path) -> None:
    shutil.copytree(repo / "tests" / "books" / "mini", tmp_path / "mini")
    code = ("from pathlib import Path\nfrom coopbook.editorial.check import check_content\n"
            f"assert not check_content(Path({str(tmp_path / 'mini')!r})).failed()")
    assert "weasyprint" not in imported_after(code, repo)


def test_the_engine_is_imported_by_the_workers_not_the_parent(repo: Path, tmp_path: Path) -> None:
    shutil.copytree(repo / "tests" / "books" / "mini", tmp_path / "mini")
    code = ("from pathlib import Path\nfrom coopbook.pipeline import BuildOptions, build\n"
            f"outputs = build(BuildOptions(Path({str(tmp_path / 'mini')!r}), Path({str(tmp_path / 'out')!r}), "
            "('pdf', 'epub'), jobs=2))\nassert [o.path.suffix for o in outputs] == ['.pdf', '.epub']")
    imported = imported_after(code, repo)
    assert "weasyprint" not in imported and "ebooklib" not in imported  # laid out and packed on the workers
    assert (tmp_path / "out" / ".cache").is_dir()
