"""What the shipped fonts cover, kept between builds in the cache folder (coopbook.editorial.fontcoverage)."""

from __future__ import annotations

import shutil
from pathlib import Path

from coopbook.editorial.fontcoverage import covered_characters, kept_coverage
from coopbook.templating import TEMPLATES


def test_kept_coverage_is_the_fonts_coverage_and_follows_the_fonts(tmp_path: Path) -> None:
    fonts = tmp_path / "fonts"
    shutil.copytree(TEMPLATES / "fonts", fonts)
    cache = tmp_path / "cache"
    full = covered_characters(fonts)
    assert ord("é") in full and 0x674E not in full
    assert kept_coverage(cache, fonts) == full
    assert (cache / "last" / "glyphs.json").is_file()
    assert kept_coverage(cache, fonts) == full  # read back
    for font in fonts.glob("LinBiolinum*"):  # fewer fonts: the kept value is made again
        font.unlink()
    fewer = covered_characters(fonts)
    assert fewer < full
    assert kept_coverage(cache, fonts) == fewer
    assert kept_coverage(None, TEMPLATES / "fonts") == covered_characters()
