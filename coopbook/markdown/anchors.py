"""Every element id the book gives its content, in one place: the PDF's anchors, the EPUB's fragment links,
the index's locators, `check`'s link targets and the templates (through the `anchors` Jinja global) all take
their ids from here."""

from __future__ import annotations

from ..i18n import N_
from ..source.yamlreader import YamlPath

CONTENTS, INTRODUCTION, COPYRIGHT = "contents", "introduction", "copyright"  # the front matter sections' ids
FRONT_IDS = (CONTENTS, INTRODUCTION, COPYRIGHT)
NOTE_ON_TEXT, NOTE_ON_TEXT_TITLE = "note-on-the-text", N_("Note on the text")  # printed only when there are notes;
# its title is translated where it is shown (coopbook.i18n)
INTRODUCTION_DOC_ID = "introduction"  # the footnote-id prefix of the series description


def interview(interview_id: str) -> str:
    """The id of an interview's opening element (same in PDF and EPUB): interview-<id>."""
    return f"interview-{interview_id}"


def question(interview_id: str, number: int) -> str:
    """The id of an interview's question, numbered from 1: q-<id>-<n>."""
    return f"q-{interview_id}-{number}"


def mention(interview_id: str, number: int) -> str:
    """The id of an interview's index mention, numbered from 1: m-<id>-<n>."""
    return f"m-{interview_id}-{number}"


def index_section(name: str) -> str:
    """The id of an index section (people, countries, ...): index-<name>."""
    return f"index-{name}"


def index_section_title(name: str) -> str:
    """The id of an index section's heading: index-<name>-title."""
    return f"{index_section(name)}-title"


def footnote_doc_id(interview_id: str, ypath: YamlPath) -> str:
    """The footnote-id prefix of a Markdown value: <id>-q<n>, <id>-a<n> (from 1) or <id>-closing."""
    if len(ypath) == 3 and ypath[0] == "questions" and isinstance(ypath[1], int):
        return f"{interview_id}-{ypath[2]}{ypath[1] + 1}"
    return f"{interview_id}-{'-'.join(str(p) for p in ypath)}"


def footnote(doc_id: str | None, number: int) -> str:
    """The id of a footnote's text, numbered from 1 within its value: fn-<doc id>-<n>."""
    return f"fn-{doc_id}-{number}" if doc_id is not None else f"fn{number}"


def footnote_ref(doc_id: str | None, number: int, call: int = 0) -> str:
    """The id of a footnote's call (fnref-<doc id>-<n>), its later calls with a -<call> suffix (EPUB)."""
    first = f"fnref-{doc_id}-{number}" if doc_id is not None else f"fnref{number}"
    return f"{first}-{call}" if call else first


def index_entry(key: str) -> str:
    """The id of an index entry in the EPUB (what 'see' and 'see also' link to): ix-<kind>-<id>."""
    return "ix-" + key.replace(":", "-")
