"""Content stays inside content/: every file the book reads is a regular file under content/images, nothing is
fetched from the network, and only http(s), mailto and #id links survive (issue 11, and the image bugs of issue 10).

Each attack is tried with `coopbook check` and `coopbook build` on a copy of tests/books/mini: both must fail
with the same located error naming the file and the value, or succeed without the outside bytes in any output
(the PDF's streams decompressed with pikepdf, every member of the EPUB zip).
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage
from PIL.PngImagePlugin import PngInfo

from coopbook.cli.commands import main
from coopbook.layout.book import book_style, interview_specs
from coopbook.layout.part import PartSpec, Style, lay_out, part_key, write_part
from coopbook.markdown.fragments import render_book
from coopbook.pipeline import load, template_context
from coopbook.source.fetcher import RefusedURL
from coopbook.source.resources import MAX_IMAGE_BYTES, is_safe_link, resolve_image
from coopbook.templating import TEMPLATES

from readers import NS, Epub, epubcheck

REPO = Path(__file__).resolve().parents[2]
SECRET = b"COOPBOOK-SECRET-7f3a"
IV = "content/interviews/maria-perez.yaml"
MAP = "![Two cooperatives joined by a line](images/map.svg)"
LINE = 13  # the line of MAP in maria-perez.yaml, at column 7
BOOK_YAML = "content/book.yaml"


def png(colour: tuple[int, int, int] = (200, 30, 30), marker: bytes = b"") -> bytes:
    """A small real PNG, optionally carrying a marker in a text chunk."""
    info = PngInfo()
    if marker:
        info.add_text("Comment", marker.decode())
    out = io.BytesIO()
    PILImage.new("RGB", (6, 4), colour).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.fixture()
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the mini book in tmp_path/content, the current folder its parent, and secrets outside it."""
    shutil.copytree(REPO / "tests" / "books" / "mini", tmp_path / "content")
    (tmp_path / "secret.txt").write_bytes(SECRET + b"\n")
    (tmp_path / "secret.png").write_bytes(png((1, 2, 3), SECRET))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "content"


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.requests.append(self.path)
        body = png(marker=SECRET)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Stay quiet."""


@pytest.fixture()
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server on an ephemeral port that records every request it gets (and would serve a PNG)."""
    requests: list[str] = []
    handler = type("Handler", (_Recorder,), {"requests": requests})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def answer(content: Path, markdown: str) -> None:
    """Put markdown where the mini book's map image is (line 13, column 7 of maria-perez.yaml)."""
    path = content / "interviews" / "maria-perez.yaml"
    path.write_text(path.read_text("utf-8").replace(MAP, markdown), "utf-8")


def set_cover(content: Path, value: str) -> str:
    """Set `cover:` in book.yaml; the location of its value."""
    path = content / "book.yaml"
    lines = path.read_text("utf-8").splitlines()
    lines.insert(2, f"cover: '{value}'")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return f"{BOOK_YAML}:3:8"


def run(*args: str) -> Result:
    """The command line as an editor runs it (one process, no cache), never a traceback."""
    extra = ["--jobs", "1", "--no-cache"] if args[0] == "build" else []
    result = CliRunner().invoke(main, ["--content", "content", "--out", "build", *args, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def errors(result: Result) -> list[str]:
    """The error lines a command printed."""
    return [line for line in result.stderr.splitlines() if ": error: " in line]


def both_fail(expected: list[str]) -> None:
    """`check` and `build` both exit 1 with exactly these errors, and the build writes nothing."""
    check = run("check")
    assert check.exit_code == 1, check.output
    assert errors(check) == expected
    build = run("build")
    assert build.exit_code == 1, build.output
    assert errors(build) == expected
    assert not any(Path("build").glob("*.pdf")) and not any(Path("build").glob("*.epub"))
    assert "Failed to load" not in build.stderr
    assert all(line.startswith("content/") for line in errors(build))


def output_bytes(out: Path) -> Iterator[tuple[str, bytes]]:
    """Every stream of every PDF (decompressed) and every member of every EPUB under out."""
    for path in sorted(out.glob("*.pdf")):
        with pikepdf.open(path) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream):
                    try:
                        yield path.name, obj.read_bytes()
                    except pikepdf.PdfError:
                        yield path.name, obj.read_raw_bytes()
    for path in sorted(out.glob("*.epub")):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                yield f"{path.name}:{name}", zf.read(name)


def pdf_images(path: Path) -> int:
    """How many raster images the PDF holds."""
    with pikepdf.open(path) as pdf:
        return sum(1 for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image")


def no_secret(out: Path) -> None:
    """No output holds the outside files' bytes."""
    for where, data in output_bytes(out):
        assert SECRET not in data, where


# ---- cover: -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "message"), [
    ("/etc/passwd", "cover: image must be a file in images/ (/etc/passwd)"),
    ("../secret.png", "cover: image must be a file in images/ (../secret.png)"),
    ("../../../../../../../etc/passwd", "cover: image must be a file in images/ (../../../../../../../etc/passwd)"),
    ("/proc/self/environ", "cover: image must be a file in images/ (/proc/self/environ)"),
    ("images/../../secret.png", "cover: image must be a file in images/ (images/../../secret.png)"),
    ("book.yaml", "cover: image must be a file in images/ (book.yaml)"),
    ("images/none.png", "cover: image file not found (images/none.png)"),
    ("images", "cover: image must be a file in images/ (images)"),
    ("http://127.0.0.1:9/cover.png",
     "cover: remote images are not allowed; nothing is downloaded (http://127.0.0.1:9/cover.png); save the image in "
     "images/ and refer to it as images/<file>"),
])
def test_cover_outside_images_is_a_located_error(book: Path, value: str, message: str) -> None:
    where = set_cover(book, value)
    both_fail([f"{where}: error: {message}"])


def test_cover_that_is_a_folder_pipe_or_device_is_refused_without_reading_it(book: Path) -> None:
    (book / "images" / "folder.png").mkdir()
    os.mkfifo(book / "images" / "pipe.png")  # opening it would block the build for ever
    (book / "images" / "zero.png").symlink_to("/dev/zero")  # reading it would never end
    for name, message in (("folder.png", "image is a folder, not a file"),
                          ("pipe.png", "image is not a regular file (a device, pipe or socket)"),
                          ("zero.png", "image must be a file in images/")):
        shutil.copy(REPO / "tests" / "books" / "mini" / "book.yaml", book / "book.yaml")
        where = set_cover(book, f"images/{name}")
        check = run("check")
        assert check.exit_code == 1 and errors(check)[0].startswith(f"{where}: error: cover: {message} (images/{name})")
        assert run("build").exit_code == 1


def test_a_good_cover_is_packed(book: Path) -> None:
    (book / "images" / "front.png").write_bytes(png())
    set_cover(book, "images/front.png")
    assert run("build").exit_code == 0
    epub = Epub.open(Path("build/test-anthology.epub"))
    item = epub.opf.find(".//opf:manifest/opf:item[@properties='cover-image']", NS)
    assert item is not None and item.get("media-type") == "image/png"
    assert epub.read(epub.href(item.attrib["href"])) == png()


# ---- images in the text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("markdown", "message"), [
    ("![x](%2e%2e/%2e%2e/secret.png)", "image must be a file in images/ (../../secret.png)"),
    ("![x](images/%2e%2e/%2e%2e/secret.png)", "image must be a file in images/ (images/../../secret.png)"),
    ("![x](images/..%2f..%2fsecret.png)", "image must be a file in images/ (images/../../secret.png)"),
    ("![x](/etc/passwd)", "image must be a file in images/ (/etc/passwd)"),
    ("![x](file:///etc/passwd)", "image must be a file in images/ (file:///etc/passwd)"),
    ("![y](book.yaml)", "image must be a file in images/ (book.yaml)"),
    ("![y](interviews/maria-perez.yaml)", "image must be a file in images/ (interviews/maria-perez.yaml)"),
    ("![m](images/missing.png)", "image file not found (images/missing.png); expected content/images/missing.png"),
    ("![d](data:image/png;base64,iVBORw0KGgo=)",
     "image must be a file in images/ (data:image/png;base64,iVBORw0KGgo=)"),
])
def test_images_outside_content_images_are_located_errors(book: Path, markdown: str, message: str) -> None:
    answer(book, markdown)
    both_fail([f"{IV}:{LINE}:12: error: {message}"])


def test_symlinks_leading_out_of_images_are_refused(book: Path) -> None:
    (book / "images" / "passwd.png").symlink_to("/etc/passwd")
    (book / "images" / "outside.png").symlink_to(book.parent / "secret.png")
    (book / "images" / "inside.png").write_bytes(png())
    (book / "images" / "alias.png").symlink_to("inside.png")  # a link that stays in images/ is fine
    answer(book, "![p](images/passwd.png) ![o](images/outside.png)")
    hint = "; it is a symbolic link that leads outside it"
    both_fail([f"{IV}:{LINE}:12: error: image must be a file in images/ (images/passwd.png){hint}",
               f"{IV}:{LINE}:36: error: image must be a file in images/ (images/outside.png){hint}"])
    shutil.copy(REPO / "tests" / "books" / "mini" / "interviews" / "maria-perez.yaml", book / "interviews")
    answer(book, "![p](images/alias.png)")
    assert run("build").exit_code == 0
    assert pdf_images(Path("build/test-anthology.pdf")) == 1
    no_secret(Path("build"))


def test_not_an_image_or_not_decodable_is_a_located_error(book: Path) -> None:
    (book / "images" / "notes.txt").write_text("hello")
    (book / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    (book / "images" / "really-a-gif.png").write_bytes(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
    answer(book, "![t](images/notes.txt) ![b](images/broken.png)")
    both_fail([f"{IV}:{LINE}:12: error: not an image type the book can use (images/notes.txt); use .png, .jpg, "
               ".gif, .svg or .webp",
               f"{IV}:{LINE}:35: error: image cannot be decoded (images/broken.png); "
               + errors(run("check"))[1].split("(images/broken.png); ")[1]])


def test_images_over_the_size_limit_are_refused_unread(book: Path) -> None:
    with open(book / "images" / "huge.png", "wb") as handle:  # sparse: nothing is written or read
        handle.truncate(MAX_IMAGE_BYTES + 1)
    answer(book, "![h](images/huge.png)")
    both_fail([f"{IV}:{LINE}:12: error: image file is too large ({MAX_IMAGE_BYTES + 1:,} bytes) (images/huge.png); "
               f"the limit is {MAX_IMAGE_BYTES:,} bytes"])


def test_unused_files_in_images_are_never_read(book: Path) -> None:
    os.mkfifo(book / "images" / "stuck.png")  # reading it would block the build
    (book / "images" / "zero.png").symlink_to("/dev/zero")
    assert run("check").exit_code == 0
    assert run("build").exit_code == 0


# ---- SVG ----------------------------------------------------------------------------------------------------


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="20">'
       "{}</svg>")


@pytest.mark.parametrize(("inner", "found"), [
    ('<image href="file://{secret}" width="10" height="10"/>', "href=file://{secret}"),
    ('<image xlink:href="{url}/svg.png" width="10" height="10"/>', "href={url}/svg.png"),
    ('<image href="../../secret.png" width="10" height="10"/>', "href=../../secret.png"),
    ('<rect width="9" height="9" style="fill: url({url}/f.svg#p)"/>', "url({url}/f.svg#p"),
    ('<style>@import "{url}/s.css";</style>', "@import"),
    ('<script>alert(1)</script>', "<script>"),
    ('<rect width="9" height="9" onclick="alert(1)"/>', "onclick="),
])
def test_svg_images_may_not_load_or_run_anything(book: Path, server: tuple[str, list[str]], inner: str,
                                                 found: str) -> None:
    url, requests = server
    secret = str(book.parent / "secret.png")
    (book / "images" / "map.svg").write_text(SVG.format(inner.format(url=url, secret=secret)))
    problem = (f"{IV}:{LINE}:44: error: SVG image refers to or runs something outside itself (images/map.svg); "
               f"{found.format(url=url, secret=secret)}")
    both_fail([problem[:problem.index("; ") + 2] + errors(run("check"))[0].split("; ", 1)[1]])
    assert found.format(url=url, secret=secret)[:70] in errors(run("check"))[0]
    assert requests == []


def test_svg_entities_are_refused_never_expanded(book: Path) -> None:
    (book / "images" / "map.svg").write_text(
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file://{book.parent / "secret.txt"}">]>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><text y="10">&xxe;</text></svg>')
    both_fail([f"{IV}:{LINE}:44: error: SVG image refers to or runs something outside itself (images/map.svg); "
               "<!ENTITY xxe>"])


def test_the_fetcher_refuses_what_the_resolver_would_not_serve(book: Path, server: tuple[str, list[str]]) -> None:
    """The last line: even HTML or an SVG that check never saw cannot make the layout read or fetch anything."""
    url, requests = server
    loaded = load(book)
    context = template_context(loaded.book)
    style = book_style(context, TEMPLATES, render_book(loaded.book, "pdf", loaded.registry))
    assert [Path(p).name for _, p, _ in style.images] == ["map.svg"]
    sneaky = book / "images" / "map.svg"
    for ref in (f"{url}/direct.png", f"file://{book.parent / 'secret.png'}", "../secret.png",
                "images/../../secret.png", "%2e%2e/secret.png", "book.yaml"):
        with pytest.raises(RefusedURL):
            lay_out(style, PartSpec("x", "interview", f'<p><img src="{ref}" alt="x"></p>'), 1)
    big = "data:image/png;base64," + base64.b64encode(png() * 300).decode()
    with pytest.raises(RefusedURL):
        lay_out(style, PartSpec("x", "interview", f'<p><img src="{big}" alt="x"></p>'), 1)
    for sub in (f"{url}/sub.png", f"file://{book.parent / 'secret.png'}", "../../secret.png"):
        sneaky.write_text(SVG.format(f'<image href="{sub}" width="10" height="10"/>'))
        with pytest.raises(RefusedURL):
            spec = PartSpec("x", "interview", '<p><img src="images/map.svg" alt="x"></p>')
            write_part(*lay_out(style, spec, 1), style)
    assert requests == []


def test_weasyprint_never_expands_an_svg_entity(book: Path) -> None:
    """Even an SVG that check never saw: its external entity is not read into the part's PDF."""
    loaded = load(book)
    style = book_style(template_context(loaded.book), TEMPLATES, render_book(loaded.book, "pdf", loaded.registry))
    (book / "images" / "map.svg").write_text(
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file://{book.parent / "secret.txt"}">]>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="20"><text y="10">[&xxe;]</text></svg>')
    spec = PartSpec("x", "interview", '<p><img src="images/map.svg" alt="x"></p>')
    try:
        part = write_part(*lay_out(style, spec, 1), style)
    except RefusedURL:
        return
    with pikepdf.open(io.BytesIO(part.pdf)) as pdf:
        streams = [o.read_bytes() for o in pdf.objects if isinstance(o, pikepdf.Stream)]
    assert not any(SECRET in data for data in streams)


def test_an_images_folder_that_links_out_of_content_is_refused(book: Path) -> None:
    outside = book.parent / "pictures"
    shutil.move(book / "images", outside)
    (book / "images").symlink_to(outside)
    both_fail([f"{IV}:{LINE}:44: error: image must be a file in images/ (images/map.svg); "
               "it is a symbolic link that leads outside it"])


# ---- no network, ever -----------------------------------------------------------------------------------------


def test_remote_images_are_errors_and_nothing_is_fetched(book: Path, server: tuple[str, list[str]]) -> None:
    url, requests = server
    answer(book, f"![r]({url}/x.png)")
    remote = "remote images are not allowed; nothing is downloaded"
    hint = "save the image in images/ and refer to it as images/<file>"
    both_fail([f"{IV}:{LINE}:12: error: {remote} ({url}/x.png); {hint}"])
    answer(book, f"![r]({url}/x.png)".replace("http", "HTTPS"))
    assert run("build").exit_code == 1
    assert requests == []


def test_a_book_full_of_urls_makes_no_request(book: Path, server: tuple[str, list[str]]) -> None:
    """Links to the server are kept as links (never followed); every other form is refused; no request."""
    url, requests = server
    answer(book, f"[site]({url}/link) and <{url}/auto> and [mail](mailto:a@b.org) " + MAP)
    assert run("build", "--format", "all").exit_code == 0
    epub = Epub.open(Path("build/test-anthology.epub"))
    hrefs = {a.get("href") for a in epub.xml("EPUB/interview-maria-perez.xhtml").iterfind(".//x:a", NS)}
    assert {f"{url}/link", f"{url}/auto", "mailto:a@b.org"} <= hrefs
    for attack in (f"![r]({url}/img.png)", f"![r](<{url}/i mg.png>)"):
        answer(book, attack)
        assert run("build").exit_code == 1
    (book / "images" / "map.svg").write_text(SVG.format(f'<image href="{url}/svg.png" width="9" height="9"/>'))
    answer(book, MAP)
    assert run("build").exit_code == 1
    set_cover(book, f"{url}/cover.png")
    assert run("build").exit_code == 1
    assert requests == []


# ---- links ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [
    "book.yaml", "../secret.txt", "interviews/maria-perez.yaml", "file:///etc/passwd", "javascript:alert(1)",
    "JavaScript:alert(1)", " javascript:alert(1)", "java%0ascript:alert(1)", "data:text/html,x", "ftp://x.org/",
    "http:no-host", "//example.org/x", "vbscript:x", "%23q-maria-perez-1",
])
def test_only_http_mailto_and_anchor_links_survive(book: Path, target: str) -> None:
    answer(book, f"[the settings](<{target}>) " + MAP)
    check = run("check")
    assert check.exit_code == 1
    [line] = errors(check)
    assert line.startswith(f"{IV}:{LINE}:") and ": error: link is dropped as unsafe (" in line
    assert run("build").exit_code == 1
    answer(book, MAP)  # the same link in the introduction (book.yaml) is refused too
    path = book / "book.yaml"
    path.write_text(path.read_text("utf-8").replace("with *emphasis*", f"with [a link](<{target}>)"), "utf-8")
    check = run("check")
    assert check.exit_code == 1 and errors(check)[0].startswith(f"{BOOK_YAML}:16:")
    assert run("build").exit_code == 1


def test_relative_link_never_becomes_a_file_uri(book: Path) -> None:
    answer(book, "[the settings](book.yaml) " + MAP)
    assert errors(run("check")) == [f"{IV}:{LINE}:22: error: link is dropped as unsafe (book.yaml); only http(s), "
                                    "mailto and #id links are kept"]
    assert run("build").exit_code == 1
    from markdown_oracle import to_html
    assert "href" not in to_html("[the settings](book.yaml)", "t")


def test_link_rule() -> None:
    for good in ("https://ilo.org", "HTTP://ILO.ORG/x", " https://ilo.org ", "mailto:a@b.org", "#q-x-1"):
        assert is_safe_link(good), good
    for bad in ("book.yaml", "javascript:x", "java\tscript:x", "%6Aavascript:x", "#", "", "http://", "mailto:",
                "file:///x", "data:,x", "%23x", "./#x"):
        assert not is_safe_link(bad), bad


# ---- names with spaces, accents, & -------------------------------------------------------------------------


@pytest.mark.slow
def test_images_with_spaces_accents_and_ampersands_are_packed(book: Path) -> None:
    names = {"two words.png": (10, 100, 10), "café.png": (10, 10, 100), "a & b.png": (100, 100, 10)}
    for name, colour in names.items():
        (book / "images" / name).write_bytes(png(colour))
    answer(book, "![Two](<images/two words.png>) ![Café](images/café.png) ![And](<images/a & b.png>) " + MAP)
    check = run("check")
    assert check.exit_code == 0, check.stderr
    assert run("build").exit_code == 0
    assert pdf_images(Path("build/test-anthology.pdf")) == 3
    epub = Epub.open(Path("build/test-anthology.epub"))
    document = epub.xml("EPUB/interview-maria-perez.xhtml")
    shown = {img.get("alt"): img.get("src") for img in document.iterfind(".//x:img", NS)}
    assert set(shown) == {"Two", "Café", "And", "Two cooperatives joined by a line"}
    for alt, name in (("Two", "two words.png"), ("Café", "café.png"), ("And", "a & b.png")):
        src = shown[alt]
        assert src.isascii() and " " not in src and "&" not in src
        assert epub.read(epub.href(src)) == (book / "images" / name).read_bytes()
    assert epubcheck(Path("build/test-anthology.epub")) == []


def test_resolver_decodes_once(book: Path) -> None:
    (book / "images" / "%2e%2e").mkdir()
    (book / "images" / "%2e%2e" / "x.png").write_bytes(png())
    assert resolve_image(book, "images/%252e%252e/x.png").name == "images/%2e%2e/x.png"


# ---- bounded work: only used images, hashed, per part ---------------------------------------------------------


def test_a_used_image_changes_the_key_of_the_part_that_shows_it_only(book: Path) -> None:
    (book / "images" / "unused.png").write_bytes(png())

    def keys() -> dict[str, str]:
        loaded = load(book)
        context = template_context(loaded.book)
        rendered = render_book(loaded.book, "pdf", loaded.registry)
        style: Style = book_style(context, TEMPLATES, rendered)
        return {spec.name: part_key(style, spec) for spec in interview_specs(rendered, context, TEMPLATES)}

    before = keys()
    (book / "images" / "unused.png").write_bytes(png((0, 0, 0)))
    assert keys() == before
    svg = book / "images" / "map.svg"
    svg.write_text(svg.read_text().replace("#7a9cc6", "#000000"))
    after = keys()
    assert after["jurgen-von-muralt"] == before["jurgen-von-muralt"]
    assert after["maria-perez"] != before["maria-perez"]
