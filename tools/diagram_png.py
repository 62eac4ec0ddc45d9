"""PNG copies of the SVG diagrams, for the reader notebooks.

The HTML book shows ``img/*.svg``. The reader notebooks (tools/reader_notebooks.py)
embed each diagram in their Markdown as a ``data:`` URI, and Colab's Markdown does not
render ``data:image/svg+xml`` images (googlecolab/colabtools#2092), while PNG data
URIs are what Colab itself writes when a reader pastes an image. So every
``img/NAME.svg`` has a raster copy ``img/png/NAME.png``:

- drawn by headless Chromium (Playwright driving the system's Chromium, found as
  tools/check_pages.py finds it) at twice the SVG's viewBox size, on white (dark
  themes would otherwise show black text on a dark page);
- carrying the sha256 of the SVG it was drawn from in a PNG ``tEXt`` chunk
  (key ``Source-SHA256``), so a stale copy is found without a browser;
- palette-quantised with Pillow (the diagrams use a few flat colours), written
  atomically.

``python -m tools.diagrams --png`` (or ``python -m tools.diagram_png``) redraws only
the PNGs whose stored hash differs from their SVG's; ``--check`` writes nothing and
exits 1 naming the stale or missing PNGs.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import struct
import sys
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from tools.atomic import write_atomic

ROOT = Path(__file__).resolve().parents[1]
IMG_DIR = ROOT / "img"
PNG_SUBDIR = "png"
SCALE = 2
HASH_KEY = "Source-SHA256"
COMMAND = "python -m tools.diagrams --png"
#: Colours kept by the palette quantisation (flat fills plus anti-aliased edges).
PALETTE_COLOURS = 128
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VIEWBOX_RE = re.compile(r"""<svg\b[^>]*\bviewBox\s*=\s*["']\s*([-\d.eE]+)[\s,]+([-\d.eE]+)"""
                        r"""[\s,]+([\d.eE]+)[\s,]+([\d.eE]+)\s*["']""", re.DOTALL)


class DiagramPngError(RuntimeError):
    """A PNG copy is missing or stale, or an SVG cannot be drawn; says what to do."""


def png_path(svg: Path) -> Path:
    """``img/NAME.svg`` -> ``img/png/NAME.png``."""
    return svg.parent / PNG_SUBDIR / f"{svg.stem}.png"


def svg_sha256(svg: Path) -> str:
    return hashlib.sha256(svg.read_bytes()).hexdigest()


def viewbox_size(svg: Path) -> tuple[float, float]:
    """Width and height of the SVG's viewBox (its size in CSS pixels at 1×)."""
    m = VIEWBOX_RE.search(svg.read_text(encoding="utf-8"))
    if not m:
        raise DiagramPngError(f"{svg}: the <svg> element has no viewBox, so its size "
                              "is unknown: give it viewBox=\"0 0 W H\"")
    width, height = float(m.group(3)), float(m.group(4))
    if width <= 0 or height <= 0:
        raise DiagramPngError(f"{svg}: viewBox has a zero or negative size")
    return width, height


def png_text_chunks(data: bytes) -> dict[str, str]:
    """The ``tEXt`` chunks of a PNG file (keyword -> text), read without Pillow."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    chunks, pos = {}, len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise ValueError("truncated PNG chunk")
        if kind == b"tEXt" and b"\0" in body:
            key, _, text = body.partition(b"\0")
            chunks[key.decode("latin-1")] = text.decode("latin-1")
        if kind == b"IEND":
            break
        pos += 12 + length
    return chunks


def stored_hash(png: Path) -> str | None:
    """The SVG hash a PNG copy was drawn from, or None (no such file or chunk)."""
    try:
        return png_text_chunks(png.read_bytes()).get(HASH_KEY)
    except (OSError, ValueError):
        return None


def png_problem(svg: Path, root: Path = ROOT) -> str | None:
    """Why ``svg``'s PNG copy cannot be used (missing, stale), or None if it is current."""
    png = png_path(svg)
    rel = png.relative_to(root).as_posix() if png.is_relative_to(root) else str(png)
    if not png.is_file():
        return f"{rel} is missing: run `{COMMAND}`"
    if stored_hash(png) != svg_sha256(svg):
        return f"{rel} was not drawn from the current {svg.name}: run `{COMMAND}`"
    return None


def stale_pngs(img_dir: Path | None = None) -> list[Path]:
    """Every ``img/*.svg`` whose PNG copy is missing or stale."""
    img_dir = img_dir or IMG_DIR
    return [svg for svg in sorted(img_dir.glob("*.svg")) if png_problem(svg, img_dir.parent)]


def encode_png(screenshot: bytes, source_hash: str) -> bytes:
    """The screenshot as a palette PNG carrying ``source_hash`` (Pillow)."""
    from PIL import Image, PngImagePlugin

    image = Image.open(io.BytesIO(screenshot)).convert("RGB")
    quantised = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT,
                               dither=Image.Dither.NONE)
    info = PngImagePlugin.PngInfo()
    info.add_text(HASH_KEY, source_hash)
    out = io.BytesIO()
    quantised.save(out, format="PNG", pnginfo=info, optimize=True)
    return out.getvalue()




def rasterise(svgs: Sequence[Path], executable: str | None = None) -> list[Path]:
    """Draw each SVG with headless Chromium at ``SCALE``× and write its PNG copy."""
    from playwright.sync_api import sync_playwright

    from tools.check_pages import CHROMIUM_FLAGS, find_chromium

    executable = executable or find_chromium()
    written = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory(
            prefix="cnnbook-chromium-") as tmp:
        context = pw.chromium.launch_persistent_context(
            str(Path(tmp) / "profile"), executable_path=executable, headless=True,
            args=list(CHROMIUM_FLAGS), device_scale_factor=SCALE, service_workers="block")
        try:
            page = context.new_page()
            # The diagrams are self-contained: nothing may come from the network.
            page.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())
            host = Path(tmp) / "diagram.html"
            for svg in svgs:
                width, height = viewbox_size(svg)
                w, h = round(width), round(height)
                page.set_viewport_size({"width": w, "height": h})
                host.write_text(
                    "<!DOCTYPE html><html><head><style>html,body{margin:0;padding:0;"
                    "background:#fff}img{display:block}</style></head><body>"
                    f'<img src="{svg.resolve().as_uri()}" width="{w}" height="{h}" alt="">'
                    "</body></html>", encoding="utf-8")
                page.goto(host.as_uri(), wait_until="load")
                drawn = page.evaluate("() => { const i = document.images[0];"
                                      " return i.complete && i.naturalWidth > 0; }")
                if not drawn:
                    raise DiagramPngError(f"{svg}: Chromium could not draw the SVG "
                                          "(is it valid SVG?)")
                shot = page.screenshot(clip={"x": 0, "y": 0, "width": w, "height": h})
                write_atomic(png_path(svg), encode_png(shot, svg_sha256(svg)))
                written.append(png_path(svg))
        finally:
            context.close()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PNG copies of img/*.svg for the "
                                                 "reader notebooks")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a PNG copy is missing or stale")
    parser.add_argument("--all", action="store_true",
                        help="redraw every PNG, current or not")
    args = parser.parse_args(argv)
    todo = sorted(IMG_DIR.glob("*.svg")) if args.all else stale_pngs()
    if args.check:
        for svg in todo:
            print(png_problem(svg), file=sys.stderr)
        return 1 if todo else 0
    if not todo:
        print("diagram PNGs: all current")
        return 0
    try:
        written = rasterise(todo)
    except DiagramPngError as err:
        print(f"diagram PNGs: error: {err}", file=sys.stderr)
        return 1
    for png in written:
        print(f"wrote {png.relative_to(ROOT).as_posix()} ({png.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
