"""Markdown is CommonMark with attrs spans and footnotes; nothing unsafe gets through."""

from __future__ import annotations

from coopbook.markdown.convert import is_safe_image, is_safe_link

from markdown_oracle import inline_html, to_html


def test_raw_html_is_escaped_not_passed_through() -> None:
    html = to_html("Hello <script>alert(1)</script> <b>bold</b>\n\n<div>block</div>\n", "t")
    assert "<script>" not in html and "<b>" not in html and "<div>" not in html
    assert "&lt;script&gt;" in html and "&lt;div&gt;" in html


def test_only_http_mailto_and_fragment_links_are_kept() -> None:
    html = to_html("[a](javascript:alert(1)) [b](https://ilo.org) [c](mailto:x@ilo.org) [d](#q-x-1) "
                   "[e](file:///etc/passwd) [f](data:text/html,hi) [g](ftp://x)", "t")
    assert 'href="https://ilo.org"' in html
    assert 'href="mailto:x@ilo.org"' in html
    assert 'href="#q-x-1"' in html
    for bad in ("javascript:", "file:", "data:", "ftp:"):
        assert f'href="{bad}' not in html


def test_images_must_stay_inside_the_content_folder() -> None:
    assert is_safe_image("images/soho.jpg")
    for bad in ("../secret.png", "/etc/passwd", "C:\\x.png", "http://x/y.png", "images/../../x.png", ""):
        assert not is_safe_image(bad), bad
    assert not is_safe_link("javascript:alert(1)") and is_safe_link("HTTPS://ILO.ORG")


def test_attribute_spans_keep_only_class_and_ref() -> None:
    html = to_html('[ILO/ACOPAM]{.programme ref=acopam onclick="alert(1)" style="color:red" #x}', "t")
    assert "onclick" not in html and "style" not in html and 'id="x"' not in html
    assert 'class="programme"' in html and "ILO/ACOPAM" in html


def test_footnotes_are_prefixed_per_document() -> None:
    html = to_html("A claim.[^1]\n\n[^1]: The source.\n", "soho")
    assert 'href="#fn-soho-1"' in html and 'id="fn-soho-1"' in html


def test_lists_emphasis_and_quotes_survive() -> None:
    html = to_html("Intro:\n\n- one;\n- two\n\n*em* “quoted”\n\n> block\n", "t")
    assert "<ul>" in html and "<li>one;</li>" in html and "<em>em</em>" in html and "“quoted”" in html
    assert "<blockquote>" in html


def test_questions_render_inline() -> None:
    assert inline_html("How do you *see* it?", "t") == "How do you <em>see</em> it?"
