"""Build safety: failures never damage earlier outputs, content/ is never written, output is reproducible."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from coopbook.errors import ContentError
from coopbook.pipeline import BuildOptions, build
from coopbook.templating import TEMPLATES


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_failed_build_leaves_the_previous_pdf_intact(content_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(content_copy, out, ("pdf", "epub")))
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".pdf", ".epub")}
    assert set(before) == {"ilo-coop-100.pdf", "ilo-coop-100.epub"}

    interview = content_copy / "interviews" / "alexandre-soho.yaml"
    interview.write_text(interview.read_text("utf-8").replace("date: 2020-07-22", "date: 2020-02-30"), "utf-8")
    with pytest.raises(ContentError):
        build(BuildOptions(content_copy, out, ("pdf", "epub")))
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".pdf", ".epub")}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_crash_while_rendering_leaves_the_previous_outputs_intact(content_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(content_copy, out, ("pdf",)))
    good = (out / "ilo-coop-100.pdf").read_bytes()
    broken = tmp_path / "templates"
    shutil.copytree(TEMPLATES, broken)
    (broken / "pdf" / "interview.html").write_text("{% extends 'pdf/base.html' %}{% block content %}{{ nope.x }}"
                                                   "{% endblock %}", "utf-8")
    with pytest.raises(Exception, match="nope"):
        build(BuildOptions(content_copy, out, ("pdf",), broken))
    assert (out / "ilo-coop-100.pdf").read_bytes() == good


def test_the_build_never_writes_into_content(content_copy: Path, tmp_path: Path) -> None:
    before = tree_digest(content_copy)
    build(BuildOptions(content_copy, tmp_path / "out", ("pdf", "epub")))
    assert tree_digest(content_copy) == before


@pytest.mark.slow
def test_same_input_gives_identical_bytes(content_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build(BuildOptions(content_copy, tmp_path / "a", ("pdf", "epub")))
    second = build(BuildOptions(content_copy, tmp_path / "b", ("pdf", "epub")))
    for one, two in zip(first, second, strict=True):
        assert one.path.read_bytes() == two.path.read_bytes(), one.path.name
    assert b"2023-11-14T22:13:20Z" in Epub_opf_bytes(first[-1].path)


def Epub_opf_bytes(path: Path) -> bytes:  # noqa: N802 - a tiny reader
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return next(zf.read(n) for n in zf.namelist() if n.endswith(".opf"))


def test_bad_source_date_epoch_is_a_clear_error(content_copy: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(Exception) as caught:
        build(BuildOptions(content_copy, tmp_path / "out", ("epub",)))
    assert "SOURCE_DATE_EPOCH: error: expected whole seconds since 1970-01-01 (yesterday)" in str(caught.value)
