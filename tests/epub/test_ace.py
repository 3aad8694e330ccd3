"""Ace by DAISY, the accessibility checker publishers and stores run, reports no violation on our EPUBs.

Ace (ace-cli, pinned in tools/ace/) is installed by `make ace-setup`; it drives the system Chromium. Without it
these tests skip, except under CI (the CI variable set), where they fail: CI must never skip them silently.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from coopbook.pipeline import Output

from readers import NS, Epub

REPO = Path(__file__).resolve().parents[2]
ACE = REPO / "tools" / "ace" / "node_modules" / ".bin" / "ace-cli"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TIMEOUT = 300  # seconds for one book; Ace takes about 7 s on this 2-core machine


def chromium() -> str | None:
    """The browser Ace's puppeteer drives: PUPPETEER_EXECUTABLE_PATH, else Chromium on the PATH."""
    configured = os.environ.get("PUPPETEER_EXECUTABLE_PATH")
    if configured:
        return configured if Path(configured).is_file() else None
    return next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)


def require_ace() -> str:
    """The browser's path when Ace can run; otherwise skip (or fail under CI) saying what to install."""
    browser = chromium()
    missing = [what for what, ok in (("ace-cli", ACE.is_file()), ("Chromium", browser is not None)) if not ok]
    if missing:
        reason = f"Ace by DAISY cannot run ({' and '.join(missing)} missing): run `make ace-setup`"
        if browser is None:
            reason += " after `apt-get install --no-install-recommends chromium`"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
        pytest.skip(reason)
    assert browser is not None
    return browser


BROWSER_STARTS = 3
BROWSER_SLOW = "while waiting for the WS endpoint URL"


def run_ace(epub: Path, out: Path) -> dict[str, Any]:
    """Run ace-cli on an EPUB and return its JSON report (report.json in the output folder)."""
    browser = require_ace()
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser, "PUPPETEER_SKIP_DOWNLOAD": "1", "NO_COLOR": "1",
           "XDG_STATE_HOME": str(out.parent / "state")}  # Ace's log file, kept out of the home folder
    for _ in range(BROWSER_STARTS):
        try:
            done = subprocess.run([str(ACE), "--exiterror2", "--force", "--outdir", str(out), str(epub)], env=env,
                                  capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired as timeout:
            pytest.fail(f"Ace did not finish on {epub.name} within {TIMEOUT} s: {timeout.stdout!r:.2000}")
        if done.returncode != 1 or BROWSER_SLOW not in done.stdout + done.stderr:
            break  # puppeteer gives Chromium 5 s to start, which a loaded machine can miss: only that is retried
    # --exiterror2: 0 no violation, 2 violations found (in the report), 1 Ace could not check the EPUB.
    assert done.returncode in (0, 2), f"Ace failed on {epub.name} (exit {done.returncode}):\n" \
                                      f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report = out / "report.json"
    assert report.is_file(), f"Ace wrote no report.json:\n{done.stdout[-3000:]}"
    return json.loads(report.read_text(encoding="utf-8"))


def violations(report: dict[str, Any]) -> list[str]:
    """Every violation in an Ace report, one line each: impact, rule, file, what Ace says."""
    found = []
    for subject in report.get("assertions", []):
        where = subject["earl:testSubject"]["url"]
        for check in subject.get("assertions", []):
            test, result = check["earl:test"], check["earl:result"]
            if result.get("earl:outcome") == "pass":
                continue
            pointer = result.get("earl:pointer", {}).get("css", [])
            found.append(f"{test.get('earl:impact', '?')} {test['dct:title']} in {where}"
                         f"{' at ' + ', '.join(pointer) if pointer else ''}: {result.get('dct:description', '')}")
    return found


def checked_documents(report: dict[str, Any]) -> set[str]:
    """The file names of the content documents Ace checked."""
    return {Path(subject["earl:testSubject"]["url"]).name for subject in report.get("assertions", [])}


@pytest.mark.parametrize("which", ["real", "mini", "spanish", "multilingual"])
def test_ace_reports_no_violation(request: pytest.FixtureRequest, which: str, tmp_path: Path) -> None:
    path = request.getfixturevalue(f"{which}_book")["epub"].path
    report = run_ace(path, tmp_path / "ace")
    found = violations(report)
    assert found == [], f"Ace by DAISY found {len(found)} violation(s) in {path.name}:\n" + "\n".join(found)
    assert report["earl:result"]["earl:outcome"] == "pass"
    # Ace really read this book: its metadata, and every document of the spine.
    book = Epub.open(path)
    subject = report["earl:testSubject"]["metadata"]
    titles = [t.text for t in book.opf.findall(".//dc:title", namespaces=NS)]  # main title, then a subtitle
    assert subject["dc:title"] in (titles[0], titles)
    assert subject["dc:language"] == book.opf.findtext(".//dc:language", namespaces=NS)
    assert {Path(name).name for name in book.spine_documents()} <= checked_documents(report)


def test_ace_reports_a_package_without_its_language(real_book: dict[str, Output], tmp_path: Path) -> None:
    """The harness sees a violation when there is one: the same book with xml:lang taken off the package."""
    require_ace()
    source = real_book["epub"].path
    broken = tmp_path / "no-lang.epub"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(broken, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".opf"):
                data = re.sub(rb'(<package\b[^>]*?)\s+xml:lang="[^"]*"', rb"\1", data, count=1)
                assert b"xml:lang" not in data.split(b">", 2)[1]
            zout.writestr(info, data)
    found = violations(run_ace(broken, tmp_path / "ace"))
    assert len(found) == 1 and found[0].startswith("serious epub-lang in "), found


@pytest.mark.parametrize("which", ["real", "mini"])
def test_package_declares_the_book_language(real_book: dict[str, Output], mini_book: dict[str, Output],
                                            which: str) -> None:
    """The OPF <package> carries xml:lang, the book's language (ebooklib leaves it out); checked without Ace."""
    book = Epub.open((real_book if which == "real" else mini_book)["epub"].path)
    package = book.opf
    assert package.tag == f"{{{NS['opf']}}}package"
    language = package.findtext(".//dc:language", namespaces=NS)
    assert language and package.get(XML_LANG) == language
    assert package.get("lang") is None  # not an OPF attribute: EPUBCheck would reject it
