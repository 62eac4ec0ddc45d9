"""Conceptual diagrams for the book, written as hand-built SVG (no plotting library).

Regenerate every diagram this module owns, from the repository root::

    python -m tools.diagrams          # rewrite img/<name>.svg for every registered name
    python -m tools.diagrams --check    # exit 1 and name the stale files, write nothing
    python -m tools.diagrams --png      # redraw img/png/*.png (tools/diagram_png.py)

Each diagram is one function decorated with ``@diagram("name")``; it returns the SVG
text of ``img/name.svg``. The output is deterministic byte for byte, and every number
drawn in a diagram is computed here (with NumPy or plain arithmetic), never typed in.
To add a diagram, write a new decorated function with the :class:`Svg` builder and run
the command above; ``tests/test_diagrams.py`` checks every registered diagram
automatically.

Readability rules the tests enforce: the viewBox is at most 640 units wide (the book
column is ~350 CSS px on a phone) and no text is smaller than 15 units.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
IMG_DIR = ROOT / "img"
FONT_FAMILY = "DejaVu Sans, Arial, Helvetica, sans-serif"
MAX_WIDTH = 640
MIN_FONT = 15

# Okabe–Ito colour-blind-safe palette; diagrams fill with light tints and keep the full
# colours for outlines, so black text always sits on a light background.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
INK = "#000000"
GRID = "#4D4D4D"
MUTED = "#F2F2F2"
MINUS = "\u2212"


def tint(colour: str, strength: float = 0.4) -> str:
    """Mix ``colour`` with white: ``strength`` 1 is the colour, 0 is white."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 - (255 - c) * strength) for c in rgb]
    return "#" + "".join(f"{c:02X}" for c in mixed)


PATCH_COLOURS = [
    OKABE_ITO["orange"],
    OKABE_ITO["sky"],
    OKABE_ITO["green"],
    OKABE_ITO["purple"],
]
CHANNEL_COLOURS = [OKABE_ITO["vermillion"], OKABE_ITO["green"], OKABE_ITO["blue"]]


def fmt(value: float) -> str:
    """A coordinate or length, rounded to 0.01 and without trailing zeros."""
    text = f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def number(value: float | np.number) -> str:
    """A number drawn in a diagram, as NumPy prints it: ``3``, ``3.75``, ``7.0``."""
    if isinstance(value, (float, np.floating)):
        text = np.format_float_positional(float(value), precision=4, trim="0")
    else:
        text = str(int(value))
    return text.replace("-", MINUS)


def matrix_text(values: np.ndarray) -> str:
    """A 2-D array as ``[[6, 4], [9, 8]]``, its entries formatted by :func:`number`."""
    rows = (", ".join(number(v) for v in row) for row in values)
    return "[" + ", ".join(f"[{row}]" for row in rows) + "]"


def shape_text(shape: Iterable[int]) -> str:
    """``(5, 5, 3)`` as ``5 × 5 × 3``."""
    return " × ".join(str(int(n)) for n in shape)


class Svg:
    """A minimal SVG writer: elements are appended in drawing order (later on top)."""

    def __init__(self, name: str, width: int, height: int, title: str, desc: str):
        if width > MAX_WIDTH:
            raise ValueError(f"{name}: viewBox width {width} > {MAX_WIDTH}")
        self.name, self.width, self.height = name, width, height
        self.title, self.desc = title, desc
        self.body: list[str] = []

    def _element(self, tag: str, attrs: dict[str, object], content: str = "") -> None:
        parts = []
        for key, value in attrs.items():
            if value is None:
                continue
            text = fmt(value) if isinstance(value, (int, float)) else str(value)
            parts.append(f"{key}={quoteattr(text)}")
        attr_text = " ".join(parts)
        if content:
            self.body.append(f"<{tag} {attr_text}>{content}</{tag}>")
        else:
            self.body.append(f"<{tag} {attr_text}/>")

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: str = "none",
        stroke: str | None = GRID,
        stroke_width: float = 1.5,
        dash: str | None = None,
        rx: float | None = None,
    ) -> None:
        self._element(
            "rect",
            {
                "x": x, "y": y, "width": w, "height": h, "rx": rx, "fill": fill,
                "stroke": stroke, "stroke-width": stroke_width if stroke else None,
                "stroke-dasharray": dash,
            },
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str = GRID,
        stroke_width: float = 1.5,
        dash: str | None = None,
    ) -> None:
        self._element(
            "line",
            {
                "x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": stroke,
                "stroke-width": stroke_width, "stroke-dasharray": dash,
            },
        )

    def polygon(
        self,
        points: Sequence[tuple[float, float]],
        fill: str,
        stroke: str | None = None,
    ) -> None:
        pts = " ".join(f"{fmt(px)},{fmt(py)}" for px, py in points)
        self._element("polygon", {"points": pts, "fill": fill, "stroke": stroke})

    def arrow(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str = INK,
        stroke_width: float = 2.5,
        head: float = 12,
        dash: str | None = None,
    ) -> None:
        """A straight arrow from (x1, y1) to its tip at (x2, y2)."""
        angle = math.atan2(y2 - y1, x2 - x1)
        back_x, back_y = x2 - head * math.cos(angle), y2 - head * math.sin(angle)
        self.line(x1, y1, back_x, back_y, stroke, stroke_width, dash)
        self._head(x2, y2, angle, head, stroke)

    def _head(self, x: float, y: float, angle: float, head: float, fill: str) -> None:
        """An arrowhead with its tip at (x, y), pointing along ``angle``."""
        back_x, back_y = x - head * math.cos(angle), y - head * math.sin(angle)
        spread = head * 0.5
        normal_x, normal_y = -math.sin(angle) * spread, math.cos(angle) * spread
        self.polygon(
            [(x, y), (back_x + normal_x, back_y + normal_y),
             (back_x - normal_x, back_y - normal_y)],
            fill=fill,
        )

    def circle(
        self,
        cx: float,
        cy: float,
        r: float,
        fill: str = "none",
        stroke: str | None = INK,
        stroke_width: float = 2.5,
    ) -> None:
        self._element(
            "circle",
            {
                "cx": cx, "cy": cy, "r": r, "fill": fill, "stroke": stroke,
                "stroke-width": stroke_width if stroke else None,
            },
        )

    def path(
        self,
        points: Sequence[tuple[float, float]],
        stroke: str = INK,
        stroke_width: float = 2.5,
        radius: float = 14,
        head: float | None = 12,
        dash: str | None = None,
    ) -> None:
        """A polyline through ``points`` with rounded corners, optionally an arrow.

        Each interior corner is rounded with a quadratic curve of ``radius``; with
        ``head`` the last segment ends in an arrowhead whose tip is the last point.
        """
        pts = [tuple(map(float, p)) for p in points]
        if head:
            (xa, ya), (xb, yb) = pts[-2], pts[-1]
            angle = math.atan2(yb - ya, xb - xa)
            pts[-1] = (xb - head * math.cos(angle), yb - head * math.sin(angle))
        d = [f"M {fmt(pts[0][0])} {fmt(pts[0][1])}"]
        for prev, corner, nxt in zip(pts, pts[1:], pts[2:]):
            ends = []
            for other in (prev, nxt):
                dx, dy = other[0] - corner[0], other[1] - corner[1]
                length = math.hypot(dx, dy)
                cut = min(radius, length / 2) / length if length else 0
                ends.append((corner[0] + dx * cut, corner[1] + dy * cut))
            d.append(f"L {fmt(ends[0][0])} {fmt(ends[0][1])}")
            d.append(f"Q {fmt(corner[0])} {fmt(corner[1])} "
                     f"{fmt(ends[1][0])} {fmt(ends[1][1])}")
        d.append(f"L {fmt(pts[-1][0])} {fmt(pts[-1][1])}")
        self._element(
            "path",
            {
                "d": " ".join(d), "fill": "none", "stroke": stroke,
                "stroke-width": stroke_width, "stroke-dasharray": dash,
            },
        )
        if head:
            (xa, ya), (xb, yb) = points[-2], points[-1]
            self._head(xb, yb, math.atan2(yb - ya, xb - xa), head, stroke)

    def text(
        self,
        x: float,
        y: float,
        content: str,
        size: float = 17,
        anchor: str = "middle",
        weight: str | None = None,
        italic: bool = False,
    ) -> None:
        """Text at baseline ``y``; ``_{...}`` is a subscript, ``^{...}`` a superscript."""
        if size < MIN_FONT:
            raise ValueError(f"{self.name}: font size {size} < {MIN_FONT}")
        self._element(
            "text",
            {
                "x": x, "y": y, "font-size": size, "text-anchor": anchor,
                "font-weight": weight, "font-style": "italic" if italic else None,
            },
            _rich(content, size),
        )

    def grid(
        self,
        x: float,
        y: float,
        values: np.ndarray,
        cell: float,
        fills: Callable[[int, int], str] | str = MUTED,
        size: float = 18,
        show_values: bool = True,
        stroke: str = GRID,
    ) -> None:
        """A 2-D array as a grid of cells, each with its value centred in it."""
        rows, cols = values.shape
        for r in range(rows):
            for c in range(cols):
                fill = fills(r, c) if callable(fills) else fills
                self.rect(x + c * cell, y + r * cell, cell, cell, fill, stroke)
                if show_values:
                    self.text(
                        x + (c + 0.5) * cell,
                        y + (r + 0.5) * cell + 0.36 * size,
                        number(values[r, c]),
                        size,
                    )

    def render(self) -> str:
        title_id, desc_id = f"{self.name}-title", f"{self.name}-desc"
        head = (
            '<svg xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {self.width} {self.height}" '
            f'width="{self.width}" height="{self.height}" role="img" '
            f'aria-labelledby="{title_id} {desc_id}" '
            f'font-family="{FONT_FAMILY}" fill="{INK}">'
        )
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f"<!-- Generated by tools/diagrams.py ({self.name}); do not edit. -->",
            head,
            f'<title id="{title_id}">{escape(self.title)}</title>',
            f'<desc id="{desc_id}">{escape(self.desc)}</desc>',
            f'<rect x="0" y="0" width="{self.width}" height="{self.height}" '
            'fill="#FFFFFF"/>',
            *self.body,
            "</svg>",
        ]
        return "\n".join(lines) + "\n"


def _rich(content: str, size: float) -> str:
    """Escape ``content``; each ``_{sub}`` / ``^{sup}`` becomes a smaller tspan.

    A subscript is lowered, a superscript raised; the text after it returns to the
    baseline.
    """
    small = fmt(max(MIN_FONT, round(size * 0.8)))
    shifts = {"_": round(size * 0.3), "^": -round(size * 0.4)}  # downwards
    pieces = re.split(r"([_^])\{([^}]*)\}", content)  # normal, mark, script, normal, ...
    out: list[str] = []
    offset = 0  # the current baseline shift
    for i in range(0, len(pieces), 3):
        normal = pieces[i]
        if normal and offset:
            out.append(f'<tspan dy="{-offset}">{escape(normal)}</tspan>')
            offset = 0
        elif normal:
            out.append(escape(normal))
        if i + 2 < len(pieces) and pieces[i + 2]:
            mark, script = pieces[i + 1], pieces[i + 2]
            dy = shifts[mark] - offset
            shift = f' dy="{dy}"' if dy else ""
            out.append(f'<tspan{shift} font-size="{small}">{escape(script)}</tspan>')
            offset = shifts[mark]
    return "".join(out)


# --------------------------------------------------------------------------- registry

DiagramFn = Callable[[], str]
DIAGRAMS: dict[str, DiagramFn] = {}


def diagram(name: str) -> Callable[[DiagramFn], DiagramFn]:
    """Register ``fn`` as the generator of ``img/<name>.svg``."""

    def register(fn: DiagramFn) -> DiagramFn:
        if name in DIAGRAMS:
            raise ValueError(f"diagram {name!r} registered twice")
        DIAGRAMS[name] = fn
        return fn

    return register


# ------------------------------------------------------------------------ the maths


def cross_correlate(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Valid 2-D cross-correlation, stride 1: H×W with k×k, or H×W×C with k×k×C."""
    windows = np.lib.stride_tricks.sliding_window_view(x, k.shape)
    windows = windows.reshape(*windows.shape[: x.ndim], *k.shape)
    axes = tuple(range(x.ndim, windows.ndim))
    out = np.tensordot(windows, k, axes=(axes, tuple(range(k.ndim))))
    return out.reshape(windows.shape[:2])


# ---------------------------------------------------------------------------- diagrams


@diagram("cross_correlation")
def cross_correlation_svg() -> str:
    x = np.array([[1, 2, 0, 3], [4, 1, 2, 1], [3, 1, 0, 2], [2, 0, 1, 1]])
    k = np.array([[2, 0, 1], [1, 1, 0], [0, 1, 2]])
    y = cross_correlate(x, k)
    kh, kw = k.shape
    window = x[:kh, :kw]
    products = window * k
    assert products.sum() == y[0, 0]

    cell, num = 44, 20
    win_fill = tint(OKABE_ITO["orange"])
    top = 60
    ix = 20
    kx = ix + x.shape[1] * cell + 56
    ox = kx + k.shape[1] * cell + 56
    k_top = top + (x.shape[0] - k.shape[0]) * cell / 2
    o_top = top + (x.shape[0] - y.shape[0]) * cell / 2
    width = int(ox + y.shape[1] * cell + 20)
    sum_top = top + x.shape[0] * cell + 70
    height = int(sum_top + (kh - 1) * 30 + 22)
    svg = Svg(
        "cross_correlation",
        width,
        height,
        "2-D cross-correlation as a sliding window",
        f"A {shape_text(x.shape)} input X and a {shape_text(k.shape)} kernel K give a "
        f"{shape_text(y.shape)} output Y. The kernel-sized window in the top-left "
        f"corner of X is highlighted, and so is the output cell Y[0,0] it produces: "
        f"the sum of the {products.size} products of window and kernel, "
        f"{number(y[0, 0])}. A dashed window one column to the right produces "
        f"Y[0,1] = {number(y[0, 1])}.",
    )

    def input_fill(r: int, c: int) -> str:
        return win_fill if r < kh and c < kw else MUTED

    svg.grid(ix, top, x, cell, input_fill, num)
    svg.rect(ix, top, kw * cell, kh * cell, stroke=INK, stroke_width=4)
    svg.rect(ix + cell + 5, top + 5, kw * cell - 10, kh * cell - 10, stroke=INK,
             stroke_width=2, dash="7 5")
    svg.grid(kx, k_top, k, cell, tint(OKABE_ITO["sky"]), num)

    def output_fill(r: int, c: int) -> str:
        return win_fill if (r, c) == (0, 0) else MUTED

    svg.grid(ox, o_top, y, cell, output_fill, num)
    svg.rect(ox, o_top, cell, cell, stroke=INK, stroke_width=4)
    svg.rect(ox + cell + 4, o_top + 4, cell - 8, cell - 8, stroke=INK,
             stroke_width=2, dash="7 5")

    mid = top + x.shape[0] * cell / 2
    svg.text((ix + x.shape[1] * cell + kx) / 2, mid + 10, "⋆", 48)
    svg.text((kx + k.shape[1] * cell + ox) / 2, mid + 10, "=", 30)
    for left, arr, name in ((ix, x, "input X"), (kx, k, "kernel K"),
                            (ox, y, "output Y")):
        centre = left + arr.shape[1] * cell / 2
        svg.text(centre, 36, name, 17, weight="bold")
    below = top + x.shape[0] * cell
    svg.text(ix + x.shape[1] * cell / 2, below + 26, shape_text(x.shape), 17)
    svg.text(kx + k.shape[1] * cell / 2, below + 26, shape_text(k.shape), 17)
    svg.text(ox + y.shape[1] * cell / 2, o_top + y.shape[0] * cell + 26,
             shape_text(y.shape), 17)
    # The slide: from the solid window's centre column to the dashed one's.
    arrow_y = top - 12
    svg.arrow(ix + kw * cell / 2, arrow_y, ix + (kw / 2 + 1) * cell, arrow_y,
              stroke=INK, stroke_width=2, head=10)

    # The sum of products, one line per kernel row, terms aligned in columns.
    svg.text(ix, sum_top, "Y[0,0] =", 17, anchor="start")
    term_x0, term_step = ix + 92, 74
    for r in range(kh):
        base = sum_top + r * 30
        if r:
            svg.text(term_x0 - 16, base, "+", 17)
        for c in range(kw):
            tx = term_x0 + c * term_step
            svg.text(tx, base, f"{number(window[r, c])}·{number(k[r, c])}", 17,
                     anchor="start")
            if c < kw - 1:
                svg.text(tx + term_step - 16, base, "+", 17)
    svg.text(term_x0 + kw * term_step - 30, sum_top + (kh - 1) * 30,
             f"= {number(y[0, 0])}", 17, anchor="start", weight="bold")
    return svg.render()


def _stack(
    svg: Svg,
    x: float,
    y: float,
    shape: tuple[int, int],
    cell: float,
    colours: Sequence[str],
    offset: float,
    window: tuple[int, int] | None = None,
    outline: bool = False,
) -> None:
    """Layers of a 3-D array, drawn back to front; the front one's corner is (x, y).

    Layer ``m`` sits ``m * offset`` to the right of and above the front layer.
    ``window`` outlines a top-left block of that many cells on every layer;
    ``outline`` draws a heavy border around each whole layer.
    """
    rows, cols = shape
    for m in reversed(range(len(colours))):
        lx, ly = x + m * offset, y - m * offset
        svg.grid(lx, ly, np.zeros(shape), cell, tint(colours[m]), show_values=False)
        if window is not None:
            svg.rect(lx, ly, window[1] * cell, window[0] * cell, stroke=INK,
                     stroke_width=3.5)
        if outline:
            svg.rect(lx, ly, cols * cell, rows * cell, stroke=INK, stroke_width=2.5)


@diagram("multichannel_kernel")
def multichannel_kernel_svg() -> str:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(5, 5, 3))  # H × W × C_in
    kernel = rng.integers(-1, 2, size=(3, 3, 3, 4))  # Keras layout (k, k, C_in, C_out)
    bias = rng.integers(0, 2, size=4)
    y = np.stack(
        [cross_correlate(x, kernel[..., o]) + bias[o] for o in range(kernel.shape[3])],
        axis=-1,
    )
    h, w, c_in = x.shape
    k, _, _, c_out = kernel.shape
    h_out, w_out, _ = y.shape
    taps = kernel[..., 0].size  # products summed for one output value

    cell, off = 26, 14
    depth = (c_in - 1) * off
    top = 58 + depth  # front layer's top edge in the first row
    ix = 20
    kx = ix + w * cell + depth + 52
    ax0 = kx + k * cell + depth + 16
    ox = ax0 + 126
    k_top = top + (h - k) * cell / 2
    o_top = top + (h - h_out) * cell / 2
    out_colour = tint(OKABE_ITO["yellow"])
    width = int(ox + w_out * cell + 44)

    # Second row: all C_out kernels and the C_out output maps, centred in one band.
    small, small_off, out_cell, out_off = 18, 8, 22, 10
    small_depth, out_depth = (c_in - 1) * small_off, (c_out - 1) * out_off
    step = k * small + small_depth + 18
    row2_head = top + h * cell + 104
    band_top = row2_head + 24
    band_h = max(k * small + small_depth, h_out * out_cell + out_depth)
    kern_front = band_top + (band_h - k * small - small_depth) / 2 + small_depth
    out_front = band_top + (band_h - h_out * out_cell - out_depth) / 2 + out_depth
    out2_x = ox - 10
    labels_y = band_top + band_h + 24
    foot = labels_y + 40
    height = int(foot + 46)

    svg = Svg(
        "multichannel_kernel",
        width,
        height,
        "A convolution over several input channels",
        f"Top: an input X of shape {shape_text(x.shape)} (height × width × C_in "
        f"channels) is cross-correlated with one kernel of shape "
        f"{shape_text(kernel.shape[:3])} that spans all {c_in} channels; each output "
        f"value is the sum of {taps} products plus a bias b_o, giving one "
        f"{shape_text(y.shape[:2])} output map. Bottom: {c_out} such kernels, stored "
        f"by Keras as one array of shape (k, k, C_in, C_out) = "
        f"({', '.join(map(str, kernel.shape))}), give {c_out} output maps, an output "
        f"of shape {shape_text(y.shape)}.",
    )

    # Row 1: one kernel, one output map.
    _stack(svg, ix, top, (h, w), cell, CHANNEL_COLOURS, off, window=(k, k))
    _stack(svg, kx, k_top, (k, k), cell, CHANNEL_COLOURS, off, outline=True)
    svg.grid(ox, o_top, y[..., 0], cell, out_colour, show_values=False)
    svg.rect(ox, o_top, cell, cell, stroke=INK, stroke_width=3.5)
    mid = top + h * cell / 2
    svg.text(kx - 26, mid + 14, "⋆", 48)
    svg.arrow(ax0, mid, ox - 12, mid)
    svg.text((ax0 + ox) / 2, mid - 34, f"sum of {taps}", 16)
    svg.text((ax0 + ox) / 2, mid - 14, "products", 16)
    svg.text((ax0 + ox) / 2, mid + 28, "+ bias b_{o}", 16)
    label_y = top - depth - 16
    svg.text(ix + (w * cell + depth) / 2, label_y, "input X", 17, weight="bold")
    svg.text(kx + (k * cell + depth) / 2, label_y, "kernel o", 17, weight="bold")
    svg.text(ox + w_out * cell / 2, label_y, "output map o", 17, weight="bold")
    below = top + h * cell + 26
    svg.text(ix + w * cell / 2, below, "H × W × C_{in}", 16)
    svg.text(ix + w * cell / 2, below + 24, shape_text(x.shape), 16)
    svg.text(kx + k * cell / 2, below, "k × k × C_{in}", 16)
    svg.text(kx + k * cell / 2, below + 24, shape_text(kernel.shape[:3]), 16)
    svg.text(ox + w_out * cell / 2, below, "H_{out} × W_{out}", 16)
    svg.text(ox + w_out * cell / 2, below + 24, shape_text(y.shape[:2]), 16)

    # Row 2: C_out kernels -> C_out maps.
    svg.line(ix, row2_head - 36, width - 20, row2_head - 36, stroke="#BFBFBF")
    svg.text(ix, row2_head, f"C_{{out}} = {c_out} kernels give {c_out} output maps",
             17, anchor="start", weight="bold")
    for o in range(c_out):
        sx = ix + o * step
        _stack(svg, sx, kern_front, (k, k), small, CHANNEL_COLOURS, small_off,
               outline=o == 0)
        svg.text(sx + (k * small + small_depth) / 2, labels_y, f"o = {o}", 16)
    a2 = band_top + band_h / 2
    svg.arrow(ix + c_out * step, a2, out2_x - 14, a2)
    for o in reversed(range(c_out)):
        lx, ly = out2_x + o * out_off, out_front - o * out_off
        svg.grid(lx, ly, y[..., o], out_cell, out_colour, show_values=False)
        if o == 0:
            svg.rect(lx, ly, w_out * out_cell, h_out * out_cell, stroke=INK,
                     stroke_width=2.5)
    svg.text(out2_x + (w_out * out_cell + out_depth) / 2, labels_y,
             shape_text(y.shape), 16)
    svg.text(ix, foot,
             "Keras kernel: (k, k, C_{in}, C_{out}) = "
             f"({', '.join(map(str, kernel.shape))})", 17, anchor="start")
    svg.text(ix, foot + 28, f"bias: (C_{{out}},) = ({bias.shape[0]},)", 17,
             anchor="start")
    return svg.render()


@diagram("im2col")
def im2col_svg() -> str:
    x = np.array([[1, 3, 2], [4, 0, 5], [6, 8, 7]])  # H × W, C_in = 1
    kernels = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]]])  # C_out × k × k
    k = kernels.shape[1]
    c_in = 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k))
    h_out, w_out = windows.shape[:2]
    patches = windows.reshape(h_out * w_out, k * k * c_in)  # one row per position
    k_mat = kernels.reshape(len(kernels), -1).T  # (k·k·C_in) × C_out
    y_mat = patches @ k_mat
    maps = y_mat.T.reshape(len(kernels), h_out, w_out)
    for o, kern in enumerate(kernels):
        assert np.array_equal(maps[o], cross_correlate(x, kern))

    colours = [tint(c) for c in PATCH_COLOURS]

    def row_fill(r: int, c: int) -> str:
        return colours[r]

    def pos_fill(r: int, c: int) -> str:
        return colours[r * w_out + c]

    cell_in, cell_p, cell_m = 44, 34, 36
    top = 52
    ix = 20
    px0 = ix + x.shape[1] * cell_in + 70
    gap = 24
    low = top + x.shape[0] * cell_in + 92  # top of the matrix row
    mx = ix
    kx = mx + patches.shape[1] * cell_m + 40
    yx = kx + k_mat.shape[1] * cell_m + 40
    rx = yx + y_mat.shape[1] * cell_m + 66
    cell_r = 32
    width = int(max(px0 + 4 * (k * cell_p + gap) - gap, rx + 2 * k * cell_r + 14) + 20)
    height = int(low + patches.shape[0] * cell_m + 126)
    svg = Svg(
        "im2col",
        width,
        height,
        "im2col: convolution as one matrix product",
        f"Each of the {len(patches)} {k} × {k} patches of a {shape_text(x.shape)} "
        f"input, in its own colour, is unrolled into one row of the patch matrix P "
        f"({shape_text(patches.shape)}: a row per output position, a column per "
        f"patch entry, k·k·C_in = {k * k * c_in}). P times the kernel matrix K "
        f"({shape_text(k_mat.shape)}, one column per flattened kernel) gives Y "
        f"({shape_text(y_mat.shape)}), whose rows, in the same colours, are reshaped "
        f"back into {len(kernels)} output maps of {shape_text((h_out, w_out))}.",
    )
    svg.grid(ix, top, x, cell_in, MUTED, 20)
    svg.text(ix + x.shape[1] * cell_in / 2, top - 18, "input X", 17, weight="bold")
    svg.text(ix + x.shape[1] * cell_in / 2, top + x.shape[0] * cell_in + 26,
             f"{shape_text(x.shape)}, C_{{in}} = {c_in}", 16)
    mid = top + x.shape[0] * cell_in / 2
    svg.arrow(px0 - 58, mid, px0 - 14, mid)
    svg.text(px0 + (4 * (k * cell_p + gap) - gap) / 2, top - 18,
             f"its {len(patches)} patches, {k} × {k}", 17, weight="bold")
    for i, patch in enumerate(windows.reshape(-1, k, k)):
        gx = px0 + i * (k * cell_p + gap)
        gy = mid - k * cell_p / 2
        svg.grid(gx, gy, patch, cell_p, colours[i], 18)
        r, c = divmod(i, w_out)
        svg.text(gx + k * cell_p / 2, gy + k * cell_p + 24, f"({r},{c})", 16)

    svg.text(mx + patches.shape[1] * cell_m / 2, low - 16, "P", 17, weight="bold")
    svg.text(kx + k_mat.shape[1] * cell_m / 2, low - 16, "K", 17, weight="bold")
    svg.text(yx + y_mat.shape[1] * cell_m / 2, low - 16, "Y", 17, weight="bold")
    svg.text(rx + k * cell_r + 7, low - 16, "output maps", 17, weight="bold")
    svg.grid(mx, low, patches, cell_m, row_fill, 18)
    svg.grid(kx, low, k_mat, cell_m, MUTED, 18)
    svg.grid(yx, low, y_mat, cell_m, row_fill, 18)
    mmid = low + patches.shape[0] * cell_m / 2
    svg.text(kx - 20, mmid + 8, "×", 26)
    svg.text(yx - 20, mmid + 8, "=", 26)
    svg.arrow(yx + y_mat.shape[1] * cell_m + 12, mmid, rx - 12, mmid)
    for o in range(len(kernels)):
        gx = rx + o * (k * cell_r + 14)
        svg.grid(gx, mmid - k * cell_r / 2, maps[o], cell_r, pos_fill, 18)
        svg.text(gx + w_out * cell_r / 2, mmid + k * cell_r / 2 + 24, f"o = {o}", 16)
    below = low + patches.shape[0] * cell_m + 26
    for left, mat in ((mx, patches), (kx, k_mat), (yx, y_mat)):
        svg.text(left + mat.shape[1] * cell_m / 2, below, shape_text(mat.shape), 16)
    foot = below + 36
    svg.text(ix, foot, "rows of P and Y: output positions (H_{out}·W_{out})", 16,
             anchor="start")
    svg.text(ix, foot + 26, "columns of P, rows of K: k·k·C_{in} patch entries", 16,
             anchor="start")
    svg.text(ix, foot + 52, "columns of K and Y: output channels (C_{out})", 16,
             anchor="start")
    return svg.render()


@diagram("receptive_field")
def receptive_field_svg() -> str:
    kernel, layers, units = 3, 3, 9
    # Which units of each layer the top unit depends on: start from the top unit and
    # walk down one 3-tap stride-1 layer at a time ("same" padding keeps 9 units).
    masks = [np.zeros(units, dtype=bool)]
    masks[0][units // 2] = True
    for _ in range(layers):
        masks.append(np.convolve(masks[-1], np.ones(kernel), mode="same") > 0)
    sizes = [int(m.sum()) for m in masks]  # 1, 3, 5, 7 from the top down
    fields = [1]
    for _ in range(layers):
        fields.append(fields[-1] + (kernel - 1))  # R_l = R_{l-1} + (K - 1)
    assert sizes == fields

    size, pitch, row_gap = 34, 42, 92
    left = 96
    top = 30
    right = left + (units - 1) * pitch + size + 18
    width = int(right + 80)
    height = int(top + layers * row_gap + size + 128)
    names = ["input"] + [f"conv {i}" for i in range(1, layers + 1)]
    svg = Svg(
        "receptive_field",
        width,
        height,
        "Receptive field of three stacked 3×3 layers",
        f"Side view of an input row and {layers} stacked convolutions with kernel size "
        f"{kernel} and stride 1. One unit at the top depends on {sizes[1]} units of "
        f"the layer below it, {sizes[2]} units two layers down and {sizes[3]} input "
        f"pixels: every {kernel}-wide layer widens the receptive field by K − 1 = "
        f"{kernel - 1}, R = {', '.join(map(str, fields))}.",
    )
    row_y = [top + (layers - i) * row_gap for i in range(layers + 1)]  # by layer
    centre = [left + j * pitch + size / 2 for j in range(units)]
    # Connections first, so that the units are drawn over them.
    for level in range(layers, 0, -1):
        above, below = masks[layers - level], masks[layers - level + 1]
        for j in np.flatnonzero(above):
            for t in range(j - kernel // 2, j + kernel // 2 + 1):
                if 0 <= t < units and below[t]:
                    svg.line(centre[j], row_y[level] + size, centre[t],
                             row_y[level - 1], stroke="#666666", stroke_width=1.5)
    for level in range(layers + 1):
        mask = masks[layers - level]
        for j in range(units):
            if mask[j]:
                fill = tint(OKABE_ITO["vermillion"] if level == layers
                            else OKABE_ITO["orange"], 0.55)
            else:
                fill = MUTED
            svg.rect(left + j * pitch, row_y[level], size, size, fill,
                     stroke=INK if mask[j] else "#999999",
                     stroke_width=2 if mask[j] else 1.5, rx=4)
        mid = row_y[level] + size / 2 + 6
        svg.text(20, mid, names[level], 17, anchor="start", weight="bold")
        svg.text(right, mid, f"R = {sizes[layers - level]}", 17, anchor="start",
                 weight="bold")
    foot = row_y[0] + size + 40
    steps = " → ".join(map(str, fields))
    for i, line in enumerate((
        "R: how many units of a layer the top unit sees.",
        f"Each {kernel}×{kernel} layer (stride 1) adds K − 1 = {kernel - 1}:",
        f"R_{{l}} = R_{{l−1}} + (K − 1):  {steps}",
    )):
        svg.text(20, foot + i * 28, line, 16, anchor="start")
    return svg.render()


@diagram("pooling")
def pooling_svg() -> str:
    x = np.array([[1, 3, 2, 1], [5, 6, 4, 2], [8, 9, 5, 3], [7, 4, 8, 7]])
    pool = 2  # window = stride
    blocks = x.reshape(x.shape[0] // pool, pool, x.shape[1] // pool, pool)
    max_out = blocks.max(axis=(1, 3))
    avg_out = blocks.mean(axis=(1, 3))
    first = x[:pool, :pool].ravel()

    colours = [tint(c) for c in PATCH_COLOURS]
    w_out = max_out.shape[1]

    def window_fill(r: int, c: int) -> str:
        return colours[(r // pool) * w_out + c // pool]

    def out_fill(r: int, c: int) -> str:
        return colours[r * w_out + c]

    cell_in, cell_out = 50, 58
    ix, top = 20, 64
    ox = ix + x.shape[1] * cell_in + 74
    gap = 74
    max_top = top - 22
    avg_top = max_top + max_out.shape[0] * cell_out + gap
    tx = ox + w_out * cell_out + 22
    width = int(tx + 160)
    height = int(avg_top + avg_out.shape[0] * cell_out + 24)
    svg = Svg(
        "pooling",
        width,
        height,
        "2×2 max and average pooling with stride 2",
        f"A {shape_text(x.shape)} input split into {max_out.size} windows of "
        f"{pool} × {pool}, each in its own colour. Max pooling keeps the largest "
        f"value of each window, {matrix_text(max_out)}; average pooling keeps the "
        f"mean, {matrix_text(avg_out)}. For the top-left window "
        f"max({', '.join(map(str, first))}) = {number(first.max())} and "
        f"mean({', '.join(map(str, first))}) = {number(first.mean())}.",
    )
    svg.grid(ix, top, x, cell_in, window_fill, 20)
    for r in range(0, x.shape[0], pool):
        for c in range(0, x.shape[1], pool):
            svg.rect(ix + c * cell_in, top + r * cell_in, pool * cell_in,
                     pool * cell_in, stroke=INK, stroke_width=3)
    svg.text(ix + x.shape[1] * cell_in / 2, top - 18,
             f"input, {shape_text(x.shape)}", 17, weight="bold")
    svg.text(ix + x.shape[1] * cell_in / 2, top + x.shape[0] * cell_in + 28,
             f"{pool} × {pool} windows, stride {pool}", 16)
    starts = iter((top + cell_in, top + 3 * cell_in))
    for out, gy, name, summary in (
        (max_out, max_top, "max pooling",
         (f"max({', '.join(map(str, first))})", f"= {number(first.max())}")),
        (avg_out, avg_top, "average pooling",
         (f"mean({', '.join(map(str, first))})", f"= {number(first.mean())}")),
    ):
        svg.grid(ox, gy, out, cell_out, out_fill, 20)
        svg.text(ox + w_out * cell_out / 2, gy - 12, name, 17, weight="bold",
                 anchor="middle")
        out_mid = gy + out.shape[0] * cell_out / 2
        svg.arrow(ix + x.shape[1] * cell_in + 10, next(starts), ox - 10, out_mid)
        svg.text(tx, gy + cell_out / 2, summary[0], 16, anchor="start")
        svg.text(tx, gy + cell_out / 2 + 24, summary[1], 16, anchor="start")
    return svg.render()


def _grey(value: float) -> str:
    """A light-to-dark blue shade for a value in [0, 1] (0 is white)."""
    return tint(OKABE_ITO["blue"], 0.08 + 0.92 * float(np.clip(value, 0, 1)))


@diagram("cnn_overview")
def cnn_overview_svg() -> str:
    """The landing page's picture: one digit through conv, ReLU, pooling, scores."""
    digit = np.zeros((8, 8))
    digit[1, 1:7] = 1.0  # the bar of a 7
    for r in range(2, 7):
        digit[r, 7 - r] = 1.0  # its diagonal stroke
    kernels = {
        "horizontal edges": np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], float),
        "diagonal strokes": np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0]], float),
    }
    maps = [np.maximum(cross_correlate(digit, k), 0) for k in kernels.values()]
    pooled = [m.reshape(3, 2, 3, 2).max(axis=(1, 3)) for m in maps]
    features = np.array([p.mean() for p in pooled])
    scores = {"7": features @ np.array([1.0, 1.2]),
              "1": features @ np.array([-0.6, 0.9]),
              "0": features @ np.array([0.5, -0.8])}
    top = max(scores, key=scores.get)

    cell_in, cell_map, cell_pool = 20, 15, 22
    width, height = 620, 372
    svg = Svg(
        "cnn_overview",
        width,
        height,
        "A convolutional network at a glance",
        "An 8 × 8 image of the digit 7 is cross-correlated with two 3 × 3 "
        f"kernels that respond to {' and to '.join(kernels)}; after ReLU the two "
        f"{shape_text(maps[0].shape)} feature maps are max-pooled to "
        f"{shape_text(pooled[0].shape)}, averaged into {len(features)} numbers and "
        f"turned into class scores, the largest of which is for the digit {top}.",
    )
    y0 = 70
    svg.grid(16, y0, digit, cell_in, lambda r, c: _grey(digit[r, c]),
             show_values=False)
    svg.text(16 + 4 * cell_in, y0 - 14, "image", 17, weight="bold")
    mx = 16 + 8 * cell_in + 48
    px = mx + 6 * cell_map + 60
    for i, (name, fmap, pool) in enumerate(zip(kernels, maps, pooled)):
        gy = y0 - 10 + i * 140
        peak = fmap.max() or 1.0
        svg.grid(mx, gy, fmap, cell_map, lambda r, c, m=fmap, p=peak:
                 _grey(m[r, c] / p), show_values=False)
        svg.grid(px, gy + 8, pool, cell_pool, lambda r, c, m=pool, p=peak:
                 _grey(m[r, c] / p), show_values=False)
        svg.arrow(16 + 8 * cell_in + 8, y0 + 4 * cell_in, mx - 8,
                  gy + 3 * cell_map)
        svg.arrow(mx + 6 * cell_map + 6, gy + 3 * cell_map, px - 6,
                  gy + 3 * cell_map)
        svg.text(mx + 3 * cell_map + 40, gy + 6 * cell_map + 24, name, 15)
    svg.text(mx + 3 * cell_map, y0 - 24, "conv + ReLU", 17, weight="bold")
    svg.text(px + 1.5 * cell_pool + 6, y0 - 24, "max pool", 17, weight="bold")
    bx, bar_max = px + 3 * cell_pool + 70, 90
    svg.text(bx + 40, y0 - 24, "scores", 17, weight="bold")
    best = max(scores.values())
    for j, (label, score) in enumerate(scores.items()):
        by = y0 + 10 + j * 48
        length = max(score, 0) / best * bar_max
        colour = OKABE_ITO["orange"] if label == top else MUTED
        svg.text(bx - 10, by + 22, label, 18, anchor="end", weight="bold")
        svg.rect(bx, by, max(length, 2), 30, fill=colour, stroke=GRID)
    svg.arrow(px + 3 * cell_pool + 8, y0 + 90, bx - 30, y0 + 90)
    svg.text(width / 2, height - 14,
             "learned filters · shared weights · pooling · a classifier", 16,
             italic=True)
    return svg.render()


# ------------------------------------------------------- architecture block diagrams

CONV = OKABE_ITO["orange"]  # k×k convolutions
POINTWISE = OKABE_ITO["green"]  # 1×1 convolutions: bottlenecks, per-pixel dense layers
POOL = OKABE_ITO["sky"]  # pooling
SHORTCUT = OKABE_ITO["blue"]  # residual shortcuts
NORM = OKABE_ITO["purple"]  # BN / ReLU / concatenation steps
BOX_TEXT = 18
LINE_GAP = 1.3  # line height, in font sizes


def _text_width(content: str, size: float) -> float:
    """A generous estimate of the width of ``content`` in DejaVu Sans."""
    plain = re.sub(r"[_^]\{([^}]*)\}", r"\1", content)
    return sum(0.36 if ch in " .,:;'·()" else 0.64 for ch in plain) * size


def _box_height(lines: Sequence[str], size: float = BOX_TEXT) -> float:
    return 2 * 11 + size + (len(lines) - 1) * LINE_GAP * size


def _box(
    svg: Svg,
    x: float,
    y: float,
    w: float,
    lines: Sequence[str],
    colour: str,
    size: float = BOX_TEXT,
    bold_first: bool = False,
    dash: str | None = None,
) -> float:
    """A rounded box with centred lines of text; returns its bottom edge."""
    h = _box_height(lines, size)
    fill = MUTED if colour == GRID else tint(colour)
    svg.rect(x, y, w, h, fill=fill, stroke=colour, stroke_width=2, rx=8, dash=dash)
    for i, line in enumerate(lines):
        width = _text_width(line, size)
        if width > w - 8:
            raise ValueError(f"{svg.name}: {line!r} (~{width:.0f}) overflows {w}")
        svg.text(x + w / 2, y + 11 + 0.8 * size + i * LINE_GAP * size, line, size,
                 weight="bold" if bold_first and i == 0 else None)
    return y + h


def _down(
    svg: Svg,
    x: float,
    y1: float,
    y2: float,
    label: str | None = None,
    size: float = 17,
    side: str = "right",
) -> None:
    """A downward arrow from y1 to y2, with an optional label beside its middle."""
    svg.arrow(x, y1, x, y2)
    if label:
        dx, anchor = (12, "start") if side == "right" else (-12, "end")
        svg.text(x + dx, (y1 + y2) / 2 + 0.35 * size, label, size, anchor=anchor)


def _plus(svg: Svg, cx: float, cy: float, r: float = 16) -> None:
    """The circled plus of an element-wise addition."""
    svg.circle(cx, cy, r, fill="#FFFFFF", stroke=INK, stroke_width=2.5)
    arm = r * 0.6
    svg.line(cx - arm, cy, cx + arm, cy, stroke=INK, stroke_width=2.5)
    svg.line(cx, cy - arm, cx, cy + arm, stroke=INK, stroke_width=2.5)


def _swatch(svg: Svg, x: float, y: float, colour: str, label: str) -> float:
    """A legend entry: a small box in ``colour``, its label; returns the right end."""
    svg.rect(x, y - 15, 22, 20, fill=tint(colour), stroke=colour, stroke_width=2,
             rx=4)
    svg.text(x + 30, y, label, 16, anchor="start")
    return x + 30 + _text_width(label, 16)


def conv_shape(shape: tuple[int, int, int], kernel: int, filters: int, stride: int = 1,
               padding: str = "same") -> tuple[int, int, int]:
    """Output shape H × W × C of a convolution or pooling layer (Keras arithmetic)."""
    h, w, _ = shape
    if padding == "same":
        return (-(-h // stride), -(-w // stride), filters)
    return ((h - kernel) // stride + 1, (w - kernel) // stride + 1, filters)


def conv_params(kernel: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Weights (and biases) of a k × k convolution from C_in to C_out channels."""
    return kernel * kernel * c_in * c_out + (c_out if bias else 0)


def _thousands(n: int) -> str:
    return f"{int(n):,}"


@diagram("vgg_block")
def vgg_block_svg() -> str:
    shape_in, filters, convs, pool = (56, 56, 128), 256, 2, 2
    shapes, params = [shape_in], []
    for _ in range(convs):
        params.append(conv_params(3, shapes[-1][2], filters))
        shapes.append(conv_shape(shapes[-1], 3, filters))
    out = conv_shape(shapes[-1], pool, shapes[-1][2], stride=pool, padding="valid")
    shapes.append(out)

    x0, bw, gap = 86, 256, 50
    cx = x0 + bw / 2
    side = x0 + bw + 18
    width = int(side + _text_width("H/2 × W/2 × C′", 17) + 12)
    conv_lines = [f"3×3 conv, {filters} filters", "“same” padding, ReLU"]
    pool_lines = [f"{pool}×{pool} max pool", f"stride {pool}"]
    height = int(20 + 2 * _box_height(["x"]) + convs * _box_height(conv_lines)
                 + _box_height(pool_lines) + (convs + 2) * gap + 56)
    svg = Svg(
        "vgg_block",
        width,
        height,
        "A VGG block",
        f"A VGG block, drawn top to bottom with n = {convs} convolutions. An input of "
        f"{shape_text(shape_in)} (H × W × C) passes through {convs} convolutions, each "
        f"3×3 with {filters} filters, “same” padding and ReLU, which keep the height and "
        f"width: {shape_text(shapes[1])}. A {pool}×{pool} max pooling with stride "
        f"{pool} then halves height and width: the output is {shape_text(out)} "
        f"(H/2 × W/2 × C′). The convolutions have {_thousands(params[0])} and "
        f"{_thousands(params[1])} parameters, the pooling none.",
    )
    y = 20.0
    bottom = _box(svg, x0, y, bw, [f"input {shape_text(shape_in)}"], GRID)
    svg.text(side, (y + bottom) / 2 + 6, "H × W × C", 17, anchor="start",
             italic=True)
    conv_top = bottom + gap
    for i in range(convs):
        _down(svg, cx, bottom + 4, bottom + gap - 4,
              shape_text(shapes[i]) if i else None)
        y = bottom + gap
        bottom = _box(svg, x0, y, bw, conv_lines, CONV)
        mid = (y + bottom) / 2
        svg.text(side, mid - 4, _thousands(params[i]), 17, anchor="start",
                 weight="bold")
        svg.text(side, mid + 18, "parameters", 16, anchor="start")
    conv_bottom = bottom
    _down(svg, cx, bottom + 4, bottom + gap - 4, shape_text(shapes[convs]))
    y = bottom + gap
    bottom = _box(svg, x0, y, bw, pool_lines, POOL)
    svg.text(side, (y + bottom) / 2 + 6, "0 parameters", 16, anchor="start")
    _down(svg, cx, bottom + 4, bottom + gap - 4)
    y = bottom + gap
    bottom = _box(svg, x0, y, bw, [f"output {shape_text(out)}"], GRID)
    svg.text(side, (y + bottom) / 2 + 6, "H/2 × W/2 × C′", 17, anchor="start",
             italic=True)
    # The bracket that marks the repeated convolutions.
    bx = x0 - 16
    svg.path([(bx + 8, conv_top), (bx, conv_top), (bx, conv_bottom),
              (bx + 8, conv_bottom)], stroke=INK, stroke_width=2.5, radius=4,
             head=None)
    mid = (conv_top + conv_bottom) / 2
    svg.text(bx - 30, mid - 2, "× n", 20, weight="bold")
    svg.text(bx - 30, mid + 22, f"n = {convs}", 16)
    svg.text(width / 2, bottom + 36,
             f"total: {_thousands(sum(params))} parameters", 17)
    return svg.render()


@diagram("nin_block")
def nin_block_svg() -> str:
    shape_in, filters, kernel = (14, 14, 16), 32, 3  # small_nin's second block
    shapes = [shape_in, conv_shape(shape_in, kernel, filters)]
    for _ in range(2):
        shapes.append(conv_shape(shapes[-1], 1, filters))
    pixels = shapes[1][0] * shapes[1][1]
    dense = conv_params(1, filters, filters)  # a Dense(filters) on filters inputs
    last, classes = (7, 7, 64), 10
    class_maps = conv_shape(last, 1, classes)
    gap_values = class_maps[0] * class_maps[1]
    logits = np.arange(classes)

    x0, bw, gap = 20, 232, 48
    cx = x0 + bw / 2
    nx, nw = x0 + bw + 60, 230  # the side notes
    width = nx + nw + 20
    block = [
        [f"{kernel}×{kernel} conv, {filters}", "ReLU"],
        [f"1×1 conv, {filters}", "ReLU"],
        [f"1×1 conv, {filters}", "ReLU"],
    ]
    colours = [CONV, POINTWISE, POINTWISE]
    note_lines = ["a 1×1 conv is", "a dense layer", f"({filters} → {filters})",
                  "at every pixel:", f"{_thousands(dense)} parameters", "shared by",
                  f"{shape_text(shapes[1][:2])} pixels"]
    svg = Svg(
        "nin_block",
        width,
        0,  # set below, once the layout is known
        "A NiN block and the NiN head",
        f"Top: a NiN block turns a {shape_text(shape_in)} input into "
        f"{shape_text(shapes[-1])}: a {kernel}×{kernel} convolution with {filters} "
        f"filters, then two 1×1 convolutions with {filters} filters, each followed by "
        f"ReLU. A side note says that a 1×1 convolution is a dense layer "
        f"({filters} → {filters}, {_thousands(dense)} parameters) applied at every one of "
        f"the {pixels} pixels. Bottom: the NiN head. A 1×1 convolution turns the last "
        f"block's {shape_text(last)} output into one map per class, "
        f"{shape_text(class_maps)}; global average pooling takes the mean of each "
        f"map's {gap_values} values and gives {classes} logits, with no dense layer.",
    )
    y = 44.0
    svg.text(x0, y - 14, "NiN block", 19, anchor="start", weight="bold")
    bottom = _box(svg, x0, y, bw, [f"input {shape_text(shape_in)}"], GRID)
    tops = []
    for i, (lines, colour) in enumerate(zip(block, colours)):
        _down(svg, cx, bottom + 4, bottom + gap - 4, shape_text(shapes[i]) if i else
              None)
        y = bottom + gap
        tops.append(y)
        bottom = _box(svg, x0, y, bw, lines, colour)
    _down(svg, cx, bottom + 4, bottom + gap - 4)
    y = bottom + gap
    bottom = _box(svg, x0, y, bw, [f"output {shape_text(shapes[-1])}"], GRID)
    # The side note, level with the two 1×1 convolutions.
    note_h = _box_height(note_lines, 17)
    note_y = tops[1] + (tops[2] + _box_height(block[2]) - tops[1] - note_h) / 2
    _box(svg, nx, note_y, nw, note_lines, POINTWISE, 17, dash="6 4")
    for t in tops[1:]:
        mid = t + _box_height(block[1]) / 2
        svg.line(x0 + bw + 4, mid, nx - 4, mid, stroke=POINTWISE, stroke_width=2,
                 dash="6 4")

    # The head: one map per class, then global average pooling.
    sep = bottom + 34
    svg.line(x0, sep, width - 20, sep, stroke="#BFBFBF")
    y = sep + 58
    svg.text(x0, y - 14, "NiN head", 19, anchor="start", weight="bold")
    bottom = _box(svg, x0, y, bw, [f"last block {shape_text(last)}"], GRID)
    _down(svg, cx, bottom + 4, bottom + gap - 4)
    y = bottom + gap
    bottom = _box(svg, x0, y, bw, [f"1×1 conv, {classes}", "one map per class"],
                  POINTWISE)
    _down(svg, cx, bottom + 4, bottom + gap - 4, shape_text(class_maps))
    y = bottom + gap
    gap_top = y
    bottom = _box(svg, x0, y, bw, ["global average", "pooling"], POOL)
    gap_mid = (gap_top + bottom) / 2
    _down(svg, cx, bottom + 4, bottom + gap - 4, f"{classes} logits")
    y = bottom + gap
    cell = bw / classes
    svg.grid(x0, y, logits[None, :], cell, MUTED, 16)
    gap_lines = ["mean of each", f"{shape_text(class_maps[:2])} map:",
                 f"{gap_values} values", "→ 1 logit;", "no dense layer"]
    note_h = _box_height(gap_lines, 17)
    _box(svg, nx, gap_mid - note_h / 2, nw, gap_lines, POOL, 17, dash="6 4")
    svg.line(x0 + bw + 4, gap_mid, nx - 4, gap_mid, stroke=POOL, stroke_width=2,
             dash="6 4")
    svg.height = int(y + cell + 20)
    return svg.render()


@diagram("inception_module")
def inception_module_svg() -> str:
    shape_in = (28, 28, 192)
    c1, c2, c3, c4 = 64, (96, 128), (16, 32), 32  # GoogLeNet's module 3a
    outs = [c1, c2[1], c3[1], c4]
    out_shape = (shape_in[0], shape_in[1], sum(outs))
    c_in = shape_in[2]
    with_1x1 = conv_params(1, c_in, c3[0], False) + conv_params(5, c3[0], c3[1], False)
    without = conv_params(5, c_in, c3[1], False)
    branches = [  # (lines, colour) from top to bottom; None leaves the cell empty
        [(["1×1 conv", f"{c1}"], POINTWISE), None],
        [(["1×1 conv", f"{c2[0]}"], POINTWISE), (["3×3 conv", f"{c2[1]}"], CONV)],
        [(["1×1 conv", f"{c3[0]}"], POINTWISE), (["5×5 conv", f"{c3[1]}"], CONV)],
        [(["3×3 max pool", "stride 1"], POOL), (["1×1 conv", f"{c4}"], POINTWISE)],
    ]

    width, margin, col_gap = 640, 22, 14
    cw = (width - 2 * margin - 3 * col_gap) / 4
    cols = [margin + i * (cw + col_gap) for i in range(4)]
    row_h = _box_height(["a", "b"])
    gap = 44
    io_w = 300
    svg = Svg(
        "inception_module",
        width,
        0,  # set below
        "An Inception module (GoogLeNet 3a)",
        f"GoogLeNet's Inception module 3a. One {shape_text(shape_in)} input feeds four "
        f"parallel branches: a 1×1 convolution with {c1} filters; a 1×1 convolution "
        f"with {c2[0]} filters, then a 3×3 convolution with {c2[1]}; a 1×1 "
        f"convolution with {c3[0]} filters, then a 5×5 convolution with {c3[1]}; a 3×3 "
        f"max pooling with stride 1, then a 1×1 convolution with {c4}. All use “same” "
        f"padding and ReLU, so every branch stays {shape_text(shape_in[:2])}. The four "
        f"outputs are concatenated on the channel axis: "
        f"{' + '.join(map(str, outs))} = {out_shape[2]}, an output of "
        f"{shape_text(out_shape)}. The 1×1 convolutions are coloured as bottlenecks: "
        f"with the 1×1 reduction the 5×5 branch has {_thousands(with_1x1)} weights, "
        f"without it {_thousands(without)}.",
    )
    y = 20.0
    io_x = (width - io_w) / 2
    in_bottom = _box(svg, io_x, y, io_w, [f"input {shape_text(shape_in)}"], GRID)
    row1 = in_bottom + 64
    row2 = row1 + row_h + gap
    concat_top = row2 + row_h + gap
    for i, (x, branch) in enumerate(zip(cols, branches)):
        centre = x + cw / 2
        svg.arrow(width / 2 + (i - 1.5) * 60, in_bottom + 2, centre, row1 - 4)
        bottom = _box(svg, x, row1, cw, *branch[0])
        if branch[1] is None:  # the 1×1 branch goes straight to the concatenation
            svg.arrow(centre, bottom + 4, centre, concat_top - 4)
            continue
        svg.arrow(centre, bottom + 4, centre, row2 - 4)
        bottom = _box(svg, x, row2, cw, *branch[1])
        svg.arrow(centre, bottom + 4, centre, concat_top - 4)
    concat_lines = ["concatenate channels",
                    f"{' + '.join(map(str, outs))} = {out_shape[2]}"]
    bottom = _box(svg, margin, concat_top, width - 2 * margin, concat_lines, NORM)
    _down(svg, width / 2, bottom + 4, bottom + gap - 4)
    bottom = _box(svg, io_x, bottom + gap, io_w, [f"output {shape_text(out_shape)}"],
                  GRID)
    y = bottom + 40
    right = _swatch(svg, margin, y, POINTWISE, "1×1 conv (bottleneck)")
    _swatch(svg, right + 24, y, CONV, "3×3 / 5×5 conv")
    right = _swatch(svg, margin, y + 30, POOL, "pooling")
    svg.text(right + 24, y + 30, "all: “same” padding, ReLU", 16, anchor="start")
    y += 72
    svg.text(margin, y, f"5×5 branch: {_thousands(with_1x1)} weights with the 1×1,",
             16, anchor="start")
    svg.text(margin, y + 24, f"{_thousands(without)} without it (5×5 on all "
             f"{c_in} channels)", 16, anchor="start")
    svg.height = int(y + 24 + 18)
    return svg.render()


def _residual_panel(
    svg: Svg,
    px: float,
    y: float,
    heading: str,
    shape_in: tuple[int, int, int],
    convs: Sequence[tuple[Sequence[str], str]],
    shape_out: tuple[int, int, int],
    shortcut: Sequence[str] | None = None,
) -> float:
    """One residual block, top to bottom, in a 292-unit-wide panel; returns its bottom.

    The shortcut runs down the right: the identity, or (``shortcut``) a box.
    """
    mw, gap, r, size = 150, 44, 16, 17
    cx = px + mw / 2
    sw = 136  # the projection box
    sx = px + mw + 6 + sw / 2 if shortcut else px + mw + 40
    svg.text(px, y + 20, heading, 19, anchor="start", weight="bold")
    bottom = _box(svg, px, y + 36, mw + 6, [shape_text(shape_in)], GRID, size)
    split = bottom + 16
    _down(svg, cx, bottom + 4, bottom + gap + 12)
    svg.text((cx + sx) / 2, split + 24, "x", 18, italic=True)
    y = bottom + gap + 16
    first = y
    for i, (lines, colour) in enumerate(convs):
        if i:
            _down(svg, cx, bottom + 4, y - 4)
        bottom = _box(svg, px, y, mw, lines, colour, size)
        y = bottom + gap
    plus_y = bottom + gap + r
    _down(svg, cx, bottom + 4, plus_y - r - 4, "F(x)")
    svg.path([(cx, split), (sx, split), (sx, plus_y), (cx + r + 3, plus_y)],
             stroke=SHORTCUT, stroke_width=3, radius=16)
    svg.circle(cx, split, 5, fill=SHORTCUT, stroke=None)
    if shortcut:
        h = _box_height(shortcut, 16)
        top = (first + bottom - h) / 2
        _box(svg, sx - sw / 2, top, sw, shortcut, SHORTCUT, 16)
    else:
        svg.text(sx + 8, (first + bottom) / 2 + 6, "identity", 17, anchor="start",
                 italic=True)
    _plus(svg, cx, plus_y, r)
    bottom = plus_y + r
    _down(svg, cx, bottom + 4, bottom + gap - 4, "F(x) + x")
    bottom = _box(svg, px, bottom + gap, mw, ["ReLU"], NORM, size)
    _down(svg, cx, bottom + 4, bottom + gap - 4)
    return _box(svg, px, bottom + gap, mw + 6, [shape_text(shape_out)], GRID, size)


@diagram("residual_blocks")
def residual_blocks_svg() -> str:
    basic_in = (56, 56, 64)
    basic = [([f"3×3 conv, {basic_in[2]}", "BN, ReLU"], CONV),
             ([f"3×3 conv, {basic_in[2]}", "BN"], CONV)]
    stride, wide = 2, 2 * basic_in[2]
    proj_out = conv_shape(basic_in, 3, wide, stride=stride)
    proj = [([f"3×3 conv, {wide}", f"stride {stride}", "BN, ReLU"], CONV),
            ([f"3×3 conv, {wide}", "BN"], CONV)]
    proj_shortcut = ["1×1 conv", f"{wide}, stride {stride}", "BN"]
    neck_in, expansion = (56, 56, 256), 4
    inner = neck_in[2] // expansion
    neck = [([f"1×1 conv, {inner}", "BN, ReLU"], POINTWISE),
            ([f"3×3 conv, {inner}", "BN, ReLU"], CONV),
            ([f"1×1 conv, {inner * expansion}", "BN"], POINTWISE)]
    c = neck_in[2]
    neck_weights = (conv_params(1, c, inner, False)
                    + conv_params(3, inner, inner, False)
                    + conv_params(1, inner, c, False))
    plain_weights = 2 * conv_params(3, c, c, False)

    width = 640
    svg = Svg(
        "residual_blocks",
        width,
        0,  # set below
        "Residual blocks: basic, projection shortcut, bottleneck",
        f"Three residual blocks, each computing F(x) on a main path, adding the "
        f"shortcut x with a circled plus and applying ReLU to F(x) + x. Top left, the "
        f"basic block: {shape_text(basic_in)} in, 3×3 conv-BN-ReLU, 3×3 conv-BN, "
        f"identity shortcut, {shape_text(basic_in)} out. Top right, the projection "
        f"shortcut: the first 3×3 convolution has stride {stride} and {wide} filters, "
        f"so the shape changes to {shape_text(proj_out)} and the shortcut becomes a "
        f"1×1 convolution with stride {stride} and BN. Bottom, the bottleneck block: "
        f"{shape_text(neck_in)} in, a 1×1 convolution reduces to {inner} channels, a "
        f"3×3 convolution works on {inner}, a 1×1 convolution expands {expansion}× "
        f"back to {inner * expansion}; identity shortcut. Its "
        f"{_thousands(neck_weights)} weights compare with "
        f"{_thousands(plain_weights)} for two 3×3 convolutions on {c} channels.",
    )
    top = 10
    left_bottom = _residual_panel(svg, 20, top, "basic block", basic_in, basic,
                                  basic_in)
    right_bottom = _residual_panel(svg, 330, top, "projection shortcut", basic_in,
                                   proj, proj_out, proj_shortcut)
    sep = max(left_bottom, right_bottom) + 30
    svg.line(20, sep, width - 20, sep, stroke="#BFBFBF")
    bottom = _residual_panel(svg, 20, sep + 10, "bottleneck block", neck_in, neck,
                             neck_in)
    notes = [f"1×1: {c} → {inner}", f"3×3 on {inner}",
             f"1×1: {inner} → {inner * expansion} (×{expansion})", "",
             f"{_thousands(neck_weights)} weights;", "two 3×3 convs on",
             f"{c} channels:", f"{_thousands(plain_weights)}"]
    ny = (sep + bottom) / 2 - (len(notes) - 1) * 26 / 2
    for i, line in enumerate(notes):
        svg.text(330, ny + i * 26, line, 17, anchor="start",
                 weight="bold" if i in (4, 7) else None)
    svg.height = int(bottom + 20)
    return svg.render()


@diagram("dense_block")
def dense_block_svg() -> str:
    (h, w, c0), growth, layers = (56, 56, 64), 32, 4
    channels = [c0 + i * growth for i in range(layers + 1)]  # C0, C0 + k, ...
    c_out = channels[-1]
    compression, pool = 0.5, 2  # DenseNet-BC: the transition halves the channels
    trans = (h // pool, w // pool, int(c_out * compression))

    scale, bar_h, pitch = 1.75, 36, 112
    x0, layer_x, layer_w = 70, 470, 150  # bars start at x0; layer boxes at layer_x
    width = 640
    colours = [CONV, OKABE_ITO["sky"], OKABE_ITO["green"], OKABE_ITO["purple"]]
    svg = Svg(
        "dense_block",
        width,
        0,  # set below
        f"A dense block with L = {layers} layers and growth rate k = {growth}",
        f"A DenseNet dense block with L = {layers} layers and growth rate k = "
        f"{growth} on a {shape_text((h, w, c0))} input. Each layer (BN, ReLU, 3×3 "
        f"convolution with k = {growth} filters) reads the concatenation of the input "
        f"and of all earlier layers' outputs, and its {growth} new maps are "
        f"concatenated to it: a bar that grows by one coloured segment per layer, "
        f"{', '.join(map(str, channels))} channels, so the block outputs "
        f"C0 + L·k = {c0} + {layers}·{growth} = {c_out}. A transition layer (BN, ReLU, "
        f"1×1 convolution with {trans[2]} filters, {pool}×{pool} average pooling with "
        f"stride {pool}) halves channels and size: {shape_text((h, w, c_out))} "
        f"becomes {shape_text(trans)}.",
    )
    svg.text(20, 26, f"dense block: L = {layers}, k = {growth}", 19, anchor="start",
             weight="bold")
    for i, line in enumerate((f"input {shape_text((h, w, c0))}",
                              "each layer reads every map so far",
                              f"(BN-ReLU-3×3 conv) and adds k = {growth}")):
        svg.text(20, 52 + i * 24, line, 17, anchor="start")
    top = 128
    ends = []
    for level, total in enumerate(channels):
        y = top + level * pitch
        mid = y + bar_h / 2
        seg_x = x0
        for s in range(level + 1):
            seg = c0 if s == 0 else growth
            fill = MUTED if s == 0 else tint(colours[s - 1], 0.55)
            svg.rect(seg_x, y, seg * scale, bar_h, fill=fill, stroke=INK,
                     stroke_width=1.5)
            svg.text(seg_x + seg * scale / 2, mid + 6,
                     f"C_{{0}} = {c0}" if s == 0 else str(seg), 17)
            seg_x += seg * scale
        ends.append(seg_x)
        svg.text(x0 - 12, mid + 6, str(total), 18, anchor="end",
                 weight="bold" if level == layers else None)
        if level == 0:
            continue
        # Layer `level` reads the whole previous bar and appends one segment.
        lines = [f"layer {level}", f"+{growth} maps"]
        box_top = mid - _box_height(lines, 17) / 2
        _box(svg, layer_x, box_top, layer_w, lines, colours[level - 1], 17,
             bold_first=True)
        prev_bottom = y - pitch + bar_h
        elbow = (prev_bottom + box_top) / 2
        svg.path([(ends[-2] - 14, prev_bottom + 3), (ends[-2] - 14, elbow),
                  (layer_x + layer_w / 2, elbow), (layer_x + layer_w / 2, box_top - 3)],
                 radius=12, head=11)
        svg.arrow(layer_x - 4, mid, seg_x + 4, mid, head=11)
    bar_bottom = top + layers * pitch + bar_h
    svg.text(x0, bar_bottom + 30, f"C_{{0}} + L·k = {c0} + {layers}·{growth} = "
             f"{c_out}", 17, anchor="start", weight="bold")
    cx = x0 + c_out * scale / 2
    trans_lines = ["transition layer", f"BN-ReLU-1×1 conv, {trans[2]}",
                   f"{pool}×{pool} avg pool, stride {pool}"]
    y = bar_bottom + 50
    _down(svg, cx, y, y + 40)
    tw = 270
    bottom = _box(svg, cx - tw / 2, y + 44, tw, trans_lines, SHORTCUT, 17,
                  bold_first=True)
    side = cx + tw / 2 + 16
    svg.text(side, y + 44 + 36, f"{c_out} → {trans[2]}", 17, anchor="start")
    svg.text(side, y + 44 + 58, "channels", 16, anchor="start")
    svg.text(side, y + 44 + 90, f"{h} → {trans[0]}", 17, anchor="start")
    svg.text(side, y + 44 + 112, "height, width", 16, anchor="start")
    _down(svg, cx, bottom + 4, bottom + 44)
    bottom = _box(svg, cx - tw / 2, bottom + 48, tw, [f"output {shape_text(trans)}"],
                  GRID, 17)
    svg.height = int(bottom + 20)
    return svg.render()


# ------------------------------------------------- efficient architecture diagrams


def _strips(
    svg: Svg,
    cx: float,
    y: float,
    count: int,
    cell: float,
    colour: str | None,
    height: float,
    highlight: int | None = None,
) -> list[float]:
    """A tensor as ``count`` channel strips centred on ``cx``; returns their centres.

    ``colour`` None draws grey strips; ``highlight`` fills one strip in full colour.
    """
    x0 = cx - count * cell / 2
    for i in range(count):
        fill = MUTED if colour is None else tint(colour, 0.9 if i == highlight else 0.4)
        svg.rect(x0 + i * cell, y, cell, height, fill=fill,
                 stroke=GRID if colour is None else colour, stroke_width=1.5)
    return [x0 + (i + 0.5) * cell for i in range(count)]


@diagram("depthwise_separable")
def depthwise_separable_svg() -> str:
    (h, w, c_in), c_out, k = (8, 8, 16), 32, 3
    shape_out = conv_shape((h, w, c_in), k, c_out)
    standard = conv_params(k, c_in, c_out, bias=False)
    depthwise = k * k * c_in  # one k×k×1 filter per input channel
    pointwise = conv_params(1, c_in, c_out, bias=False)
    separable = depthwise + pointwise
    pixels = shape_out[0] * shape_out[1]
    macs_standard, macs_separable = pixels * standard, pixels * separable
    ratio = standard / separable
    assert math.isclose(ratio, macs_standard / macs_separable)

    width, cx, cell, strip = 640, 420, 12, 34  # strips centred on cx, in the right part
    box_x, box_w, pad = 20, 176, 12
    one = c_out // 2  # the output channel whose inputs are drawn
    in_text, out_text = shape_text((h, w, c_in)), shape_text(shape_out)
    svg = Svg(
        "depthwise_separable",
        width,
        0,  # set below
        "A standard convolution and its depthwise separable factorisation",
        f"Channels are drawn as thin strips. Top: a standard {k}×{k} convolution maps "
        f"an {in_text} input to {out_text}; each of its {c_out} filters is "
        f"{shape_text((k, k, c_in))} and reads all {c_in} input channels, "
        f"{k}·{k}·{c_in}·{c_out} = {_thousands(standard)} weights and "
        f"{_thousands(macs_standard)} multiply-adds. Bottom: the depthwise separable "
        f"version. A {k}×{k} depthwise convolution gives every input channel its own "
        f"{k}×{k} filter ({k}·{k}·{c_in} = {depthwise} weights) and keeps "
        f"{in_text}; a 1×1 pointwise convolution then mixes the {c_in} channels into "
        f"{c_out} ({c_in}·{c_out} = {pointwise} weights). In both, lines join one "
        f"highlighted output channel to the {c_in} channels its filter reads. "
        f"Together {separable} "
        f"weights and {_thousands(macs_separable)} multiply-adds, {ratio:.1f}× fewer "
        f"(no biases).",
    )

    def band(y: float, lines: Sequence[str], colour: str) -> float:
        """A step box in the left column; returns the top of the next tensor."""
        bottom = _box(svg, box_x, y + pad, box_w, lines, colour, bold_first=True)
        return bottom + pad

    def tensor_label(y: float, text: str) -> None:
        svg.text(box_x, y + strip / 2 + 6, text, 17, anchor="start")

    def fan_in(src: list[float], y1: float, dst: float, y2: float, colour: str) -> None:
        """Every input strip to one output strip: the inputs of one filter."""
        for x in src:
            svg.line(x, y1, dst, y2, stroke=colour, stroke_width=1.5)
        svg.text(dst, y2 + strip + 22, f"one filter reads all {len(src)}", 16)

    # Standard convolution.
    svg.text(box_x, 30, f"standard {k}×{k} convolution", 19, anchor="start",
             weight="bold")
    y = 48.0
    inputs = _strips(svg, cx, y, c_in, cell, None, strip)
    tensor_label(y, f"input {in_text}")
    top = band(y + strip, [f"{k}×{k} conv", f"{c_out} filters,",
                           f"each {shape_text((k, k, c_in))}"], CONV)
    outputs = _strips(svg, cx, top, c_out, cell, CONV, strip, highlight=one)
    fan_in(inputs, y + strip, outputs[one], top, CONV)
    tensor_label(top, out_text)
    y = top + strip + 56
    svg.text(box_x, y, f"{k}·{k}·{c_in}·{c_out} = {_thousands(standard)} weights", 17,
             anchor="start", weight="bold")
    svg.text(box_x, y + 26, f"{h}·{w}·{_thousands(standard)} = "
             f"{_thousands(macs_standard)} multiply-adds", 17, anchor="start")

    sep = y + 50
    svg.line(box_x, sep, width - 20, sep, stroke="#BFBFBF")
    # Depthwise separable: depthwise k×k, then pointwise 1×1.
    svg.text(box_x, sep + 34, "depthwise separable", 19, anchor="start", weight="bold")
    y = sep + 52
    inputs = _strips(svg, cx, y, c_in, cell, None, strip)
    tensor_label(y, f"input {in_text}")
    top = band(y + strip, [f"{k}×{k} depthwise", f"{c_in} filters,",
                           f"each {shape_text((k, k, 1))}"], CONV)
    middle = _strips(svg, cx, top, c_in, cell, CONV, strip)
    for src, dst in zip(inputs, middle):  # channel i -> channel i, its own filter
        svg.line(src, y + strip, dst, top, stroke=CONV, stroke_width=2.5)
    tensor_label(top, in_text)
    y = top
    top = band(y + strip, ["1×1 pointwise", f"{c_out} filters,",
                           f"each {shape_text((1, 1, c_in))}"], POINTWISE)
    outputs = _strips(svg, cx, top, c_out, cell, POINTWISE, strip, highlight=one)
    fan_in(middle, y + strip, outputs[one], top, POINTWISE)
    tensor_label(top, out_text)
    y = top + strip + 56
    svg.text(box_x, y, f"{k}·{k}·{c_in} + {c_in}·{c_out} = {depthwise} + {pointwise} = "
             f"{separable} weights", 17, anchor="start", weight="bold")
    svg.text(box_x, y + 26, f"{h}·{w}·{separable} = {_thousands(macs_separable)} "
             "multiply-adds", 17, anchor="start")
    y += 68
    svg.text(box_x, y, f"{_thousands(standard)} / {separable} = {ratio:.1f}× fewer "
             "weights and multiply-adds", 18, anchor="start", weight="bold")
    svg.height = int(y + 20)
    return svg.render()


def _bottleneck_panel(
    svg: Svg,
    px: float,
    y: float,
    headings: tuple[str, str],
    shape_in: tuple[int, int, int],
    convs: Sequence[tuple[Sequence[str], str, int]],
    scale: float,
    relu_after_add: bool,
) -> float:
    """A bottleneck block whose tensors are bars as wide as their channel count.

    ``convs`` holds (lines, colour, output channels) per convolution; the identity
    shortcut runs down the right. Returns the bottom of the output box.
    """
    mw, r, size, bar, arrow = 170, 16, 17, 16, 24
    cx, sx = px + 122, px + 246
    svg.text(px + 10, y + 20, headings[0], 19, anchor="start", weight="bold")
    svg.text(px + 10, y + 44, headings[1], 17, anchor="start")

    def tensor(top: float, channels: int) -> float:
        """The bar of a tensor with ``channels`` channels; returns its bottom."""
        half = channels * scale / 2
        svg.rect(cx - half, top, 2 * half, bar, fill=MUTED, stroke=INK, stroke_width=2)
        svg.text(cx - half - 8, top + bar / 2 + 6, str(channels), size, anchor="end",
                 weight="bold")
        return top + bar

    bottom = _box(svg, cx - mw / 2 - 3, y + 60, mw + 6, [shape_text(shape_in)], GRID,
                  size)
    split = bottom + 10
    svg.circle(cx, split, 5, fill=SHORTCUT, stroke=None)
    _down(svg, cx, bottom + 4, split + arrow)
    bottom = tensor(split + arrow + 2, shape_in[2])
    for lines, colour, channels in convs:
        svg.arrow(cx, bottom + 2, cx, bottom + arrow)
        bottom = _box(svg, cx - mw / 2, bottom + arrow + 4, mw, lines, colour, size)
        svg.arrow(cx, bottom + 4, cx, bottom + arrow)
        bottom = tensor(bottom + arrow + 2, channels)
    plus_y = bottom + 36 + r
    _down(svg, cx, bottom + 2, plus_y - r - 4, "F(x)")
    svg.path([(cx, split), (sx, split), (sx, plus_y), (cx + r + 3, plus_y)],
             stroke=SHORTCUT, stroke_width=3, radius=16)
    svg.text(sx - 18, split + 24, "x", 18, italic=True)
    _plus(svg, cx, plus_y, r)
    bottom = plus_y + r
    _down(svg, cx, bottom + 4, bottom + 40, "F(x) + x")
    bottom += 44
    if relu_after_add:
        bottom = _box(svg, cx - mw / 2, bottom, mw, ["ReLU"], NORM, size)
        _down(svg, cx, bottom + 4, bottom + 40)
        bottom += 44
    return _box(svg, cx - mw / 2 - 3, bottom, mw + 6, [shape_text(shape_in)], GRID, size)


@diagram("inverted_residual")
def inverted_residual_svg() -> str:
    neck_in, expansion = (56, 56, 256), 4  # ResNet-50's first stage
    inner = neck_in[2] // expansion
    neck = [([f"1×1 conv, {inner}", "BN, ReLU"], POINTWISE, inner),
            ([f"3×3 conv, {inner}", "stride 1", "BN, ReLU"], CONV, inner),
            ([f"1×1 conv, {inner * expansion}", "BN"], POINTWISE, inner * expansion)]
    mob_in, t, stride = (56, 56, 24), 6, 1  # MobileNetV2's second 24-channel block
    wide = t * mob_in[2]
    inverted = [([f"1×1 conv, {wide}", "BN, ReLU6"], POINTWISE, wide),
                (["3×3 depthwise", f"stride {stride}", "BN, ReLU6"], CONV, wide),
                ([f"1×1 conv, {mob_in[2]}", "BN, linear"], POINTWISE, mob_in[2])]
    assert stride == 1 and inverted[-1][2] == mob_in[2]  # so the skip is allowed
    c = neck_in[2]
    neck_weights = (conv_params(1, c, inner, False) + conv_params(3, inner, inner, False)
                    + conv_params(1, inner, c, False))
    c_mob = mob_in[2]
    inv_weights = (conv_params(1, c_mob, wide, False) + 3 * 3 * wide
                   + conv_params(1, wide, c_mob, False))

    width = 640
    scale = 150 / max(c, wide)  # bar width per channel, the same in both panels
    svg = Svg(
        "inverted_residual",
        width,
        0,  # set below
        "A ResNet bottleneck and a MobileNetV2 inverted residual block",
        f"Two residual blocks drawn top to bottom; the bars between layers are as wide "
        f"as the tensor's channel count. Left, ResNet's bottleneck, wide → narrow → "
        f"wide: {shape_text(neck_in)} in, a 1×1 convolution down to {inner} channels, "
        f"a 3×3 convolution on {inner}, a 1×1 convolution back up to {c}, BN, add the "
        f"shortcut, ReLU. Right, MobileNetV2's inverted residual block with a linear "
        f"bottleneck, narrow → wide → narrow: {shape_text(mob_in)} in, with expansion "
        f"factor t = {t} a 1×1 convolution expands {c_mob} to {t}·{c_mob} = {wide} "
        f"channels (BN, ReLU6), a 3×3 depthwise convolution with stride {stride} works "
        f"on the {wide} channels (BN, ReLU6), a 1×1 projection back to {c_mob} "
        f"channels has BN but no activation (the linear bottleneck), then the skip "
        f"connection adds the input, with no ReLU after the addition. The skip is "
        f"used only when the stride is 1 and the input and output channels match. "
        f"Weights without BN: {_thousands(inv_weights)} for the inverted residual, "
        f"{_thousands(neck_weights)} for the bottleneck.",
    )
    left = _bottleneck_panel(svg, 10, 10, ("ResNet bottleneck", "wide → narrow → wide"),
                             neck_in, neck, scale, relu_after_add=True)
    right = _bottleneck_panel(svg, 330, 10, ("inverted residual",
                                             "narrow → wide → narrow"),
                              mob_in, inverted, scale, relu_after_add=False)
    y = right + 40
    notes = ["bar widths: channels",
             f"t = {t}: {c_mob} → {t}·{c_mob} = {wide}",
             f"depthwise 3×3 on all {wide}",
             f"linear: no ReLU6 on the {c_mob}",
             "skip: stride 1, C_{in} = C_{out}",
             f"{_thousands(inv_weights)} weights (vs {_thousands(neck_weights)})"]
    for i, line in enumerate(notes):
        svg.text(340, y + i * 26, line, 16, anchor="start",
                 weight="bold" if i == len(notes) - 1 else None)
    svg.height = int(max(left, y + (len(notes) - 1) * 26) + 20)
    return svg.render()


@diagram("channel_shuffle")
def channel_shuffle_svg() -> str:
    groups, per_group = 3, 3
    channels = groups * per_group
    grid = np.arange(channels).reshape(groups, per_group)  # row g: group g's channels
    perm = grid.T.flatten()  # new position j holds old channel perm[j]
    group_of = np.arange(channels) // per_group
    for g in range(groups):  # every new group gets one channel of every old group
        assert sorted(group_of[perm[g * per_group:(g + 1) * per_group]]) == list(
            range(groups))

    width, cell, gap = 640, 46, 18
    x0 = width - 20 - channels * cell - (groups - 1) * gap
    label_x = 20

    def cell_x(i: int) -> float:
        return x0 + i * cell + (i // per_group) * gap

    group_w = per_group * cell
    perm_text = ", ".join(map(str, perm))
    svg = Svg(
        "channel_shuffle",
        width,
        0,  # set below
        f"Channel shuffle between two group convolutions with g = {groups}",
        f"A group convolution with g = {groups} groups produces {channels} channels, "
        f"{per_group} per group, coloured by group and numbered 0 to {channels - 1}. "
        f"Without a shuffle, group i of the next group convolution would read only "
        f"the channels of group i. The channel shuffle reshapes the channel axis to "
        f"(g, C/g) = ({groups}, {per_group}), transposes it and flattens it again, so "
        f"the channels are reordered to {perm_text}. Lines run from each channel's old "
        f"position to its new one, and every group of the next group convolution now "
        f"receives one channel from every group of the previous one.",
    )
    svg.text(label_x, 30, f"channel shuffle, g = {groups} groups", 19, anchor="start",
             weight="bold")

    def group_boxes(y: float, fills: Sequence[str], label: str) -> float:
        bottom = y
        for g in range(groups):
            bottom = _box(svg, cell_x(g * per_group), y, group_w, [f"group {g + 1}"],
                          fills[g], 17)
        svg.text(label_x, (y + bottom) / 2 + 6, label, 17, anchor="start",
                 weight="bold")
        return bottom

    def channel_row(y: float, order: np.ndarray, label: str) -> None:
        for i, ch in enumerate(order):
            colour = CHANNEL_COLOURS[group_of[ch]]
            svg.rect(cell_x(i), y, cell, cell, fill=tint(colour, 0.55), stroke=colour,
                     stroke_width=2)
            svg.text(cell_x(i) + cell / 2, y + cell / 2 + 7, str(ch), 19)
        svg.text(label_x, y + cell / 2 + 6, label, 17, anchor="start")

    bottom = group_boxes(52, CHANNEL_COLOURS, "group conv")
    row_b = bottom + 40
    for g in range(groups):
        mid = cell_x(g * per_group) + group_w / 2
        svg.arrow(mid, bottom + 4, mid, row_b - 4, head=10)
    channel_row(row_b, np.arange(channels), "channels")
    row_c = row_b + cell + 130
    for j, ch in enumerate(perm):  # old position ch -> new position j
        svg.arrow(cell_x(ch) + cell / 2, row_b + cell + 4, cell_x(j) + cell / 2,
                  row_c - 4, stroke=CHANNEL_COLOURS[group_of[ch]], stroke_width=3,
                  head=11)
    svg.text(label_x, (row_b + cell + row_c) / 2 + 6, "shuffle", 17, anchor="start",
             weight="bold")
    channel_row(row_c, perm, "shuffled")
    row_d = row_c + cell + 40
    for g in range(groups):
        mid = cell_x(g * per_group) + group_w / 2
        svg.arrow(mid, row_c + cell + 4, mid, row_d - 4, head=10)
    bottom = group_boxes(row_d, [GRID] * groups, "group conv")
    y = bottom + 32
    svg.text(label_x, y, "every group now reads one channel of every group", 17,
             anchor="start")

    # How the permutation is computed: reshape, transpose, flatten.
    sep = y + 22
    svg.line(label_x, sep, width - 20, sep, stroke="#BFBFBF")
    svg.text(label_x, sep + 32, f"reshape to (g, C/g) = ({groups}, {per_group}), "
             "transpose, flatten", 17, anchor="start", weight="bold")
    small = 34
    gy = sep + 74
    gx1 = label_x
    gx2 = gx1 + per_group * small + 96
    svg.grid(gx1, gy, grid, small, lambda r, c: tint(CHANNEL_COLOURS[group_of[grid[r, c]]],
                                                      0.55), 18)
    svg.grid(gx2, gy, grid.T, small,
             lambda r, c: tint(CHANNEL_COLOURS[group_of[grid.T[r, c]]], 0.55), 18)
    mid = gy + groups * small / 2
    a1 = (gx1 + per_group * small + 10, gx2 - 10)
    svg.arrow(a1[0], mid, a1[1], mid)
    svg.text(sum(a1) / 2, mid - 12, "transpose", 17)
    a2 = (gx2 + groups * small + 10, gx2 + groups * small + 80)
    svg.arrow(a2[0], mid, a2[1], mid)
    svg.text(sum(a2) / 2, mid - 12, "flatten", 17)
    svg.text(a2[1] + 12, mid + 6, perm_text, 17, anchor="start", weight="bold")
    svg.text(gx1 + per_group * small / 2, gy + groups * small + 26, "row = group", 16)
    svg.text(gx2 + groups * small / 2, gy + per_group * small + 26, "column = group", 16)
    svg.height = int(gy + groups * small + 46)
    return svg.render()


def _scaled_fill(colour: str, changed: bool) -> str:
    """The fill of a part of a scaled network: grey unless scaling changed it."""
    return tint(colour) if changed and colour != GRID else MUTED


@diagram("compound_scaling")
def compound_scaling_svg() -> str:
    alpha, beta, gamma = 1.2, 1.1, 1.15  # depth, width, resolution (EfficientNet)
    flops_base = alpha * beta**2 * gamma**2  # FLOPs grow as d·w²·r²
    phi = 3  # the exponent drawn here
    layers0, width0, res0 = 4, 44, 44  # baseline: layers, bar width, input side
    d, w, r = alpha**phi, beta**phi, gamma**phi
    panels = [  # name, colour, (depth, width, resolution) multipliers
        ("baseline", GRID, (1.0, 1.0, 1.0)),
        ("width", OKABE_ITO["blue"], (1.0, w, 1.0)),
        ("depth", OKABE_ITO["orange"], (d, 1.0, 1.0)),
        ("resolution", OKABE_ITO["green"], (1.0, 1.0, r)),
        ("compound", OKABE_ITO["purple"], (d, w, r)),
    ]
    flops = [dm * wm**2 * rm**2 for _, _, (dm, wm, rm) in panels]
    assert math.isclose(flops[-1], flops_base**phi)

    width, margin = 640, 10
    pw = (width - 2 * margin) / len(panels)
    bar_h, pitch, lift = 14, 20, 16
    max_layers = round(layers0 * d)
    base_y = 64 + max_layers * pitch + lift + res0 * r  # bottom of every input image
    svg = Svg(
        "compound_scaling",
        width,
        0,  # set below
        "EfficientNet's compound scaling of depth, width and resolution",
        f"Five networks, each a stack of layers (bars) on an input image (square): "
        f"bar width stands for channels (width), the number of bars for layers "
        f"(depth), the square for the input resolution. A baseline with "
        f"{layers0} layers; scaling only the width by β^φ = {w:.2f}; only the depth "
        f"by α^φ = {d:.2f} ({layers0} → {max_layers} layers); only the resolution by "
        f"γ^φ = {r:.2f}; and compound scaling of all three, drawn with φ = {phi}. "
        f"EfficientNet's coefficients are α = {alpha}, β = {beta}, γ = {gamma}, chosen "
        f"so that α·β²·γ² = {flops_base:.2f} ≈ 2: FLOPs grow as depth · width² · "
        f"resolution², so compound scaling multiplies them by about 2^φ "
        f"({flops[-1]:.2f} for φ = {phi}), against {flops[1]:.2f}, {flops[2]:.2f} and "
        f"{flops[3]:.2f} for width, depth or resolution alone.",
    )
    svg.text(margin + 10, 30, f"compound scaling (EfficientNet), drawn with φ = {phi}",
             19, anchor="start", weight="bold")
    for i, (name, colour, (dm, wm, rm)) in enumerate(panels):
        cx = margin + (i + 0.5) * pw
        side = res0 * rm
        svg.rect(cx - side / 2, base_y - side, side, side, fill=_scaled_fill(colour, rm != 1),
                 stroke=colour if rm != 1 else GRID, stroke_width=2)
        if rm != 1:
            svg.rect(cx - res0 / 2, base_y - res0, res0, res0, stroke=GRID,
                     stroke_width=1.5, dash="5 4")
        top = base_y - side - lift
        bar_w = width0 * wm
        for layer in range(round(layers0 * dm)):
            y = top - bar_h - layer * pitch
            new = wm != 1 or layer >= layers0  # a wider layer, or an added one
            svg.rect(cx - bar_w / 2, y, bar_w, bar_h, fill=_scaled_fill(colour, new),
                     stroke=colour if new else GRID, stroke_width=2)
            if wm != 1:
                svg.rect(cx - width0 / 2, y, width0, bar_h, stroke=GRID,
                         stroke_width=1.5, dash="5 4")
        y = base_y + 30
        svg.text(cx, y, name, 17, weight="bold")
        for j, (label, value) in enumerate((("d", dm), ("w", wm), ("r", rm))):
            scaled = value != 1
            svg.text(cx, y + 28 + j * 24, f"{label} ×{value:.2f}" if scaled
                     else f"{label} ×1", 17, weight="bold" if scaled else None)
        svg.text(cx, y + 28 + 3 * 24 + 6, f"FLOPs ×{flops[i]:.2f}" if i else
                 "FLOPs ×1", 17)
    y = base_y + 30 + 28 + 3 * 24 + 6 + 24
    svg.line(margin + 10, y, width - 20, y, stroke="#BFBFBF")
    lines = [
        "bars: layers, as wide as their channels; square: input",
        "depth d = α^{φ}, width w = β^{φ}, resolution r = γ^{φ}",
        f"α = {alpha}, β = {beta}, γ = {gamma} (grid search at φ = 1)",
        f"FLOPs ∝ d·w²·r²: α·β²·γ² = {flops_base:.2f} ≈ 2, so FLOPs ≈ 2^{{φ}}",
        f"φ = {phi}: {flops_base:.2f}^{{{phi}}} = {flops[-1]:.2f} ≈ 2^{{{phi}}} = "
        f"{2**phi}",
    ]
    for j, line in enumerate(lines):
        svg.text(margin + 10, y + 34 + j * 30, line, 18, anchor="start",
                 weight="bold" if j == 3 else None)
    svg.height = int(y + 34 + (len(lines) - 1) * 30 + 20)
    return svg.render()


@diagram("grad_cam")
def grad_cam_svg() -> str:
    """How Grad-CAM weights a layer's feature maps by the class score's gradient."""
    maps = np.array([
        [[0, 1, 0], [1, 3, 1], [0, 1, 0]],  # a blob in the middle
        [[2, 1, 0], [1, 0, 0], [0, 0, 0]],  # the top-left corner
        [[0, 0, 1], [0, 1, 2], [1, 2, 3]],  # the bottom-right corner
    ])
    grads = np.array([
        [[0, 1, 0], [1, 5, 1], [0, 1, 0]],
        [[-2, -1, 0], [-1, -1, 0], [0, 0, -4]],
        [[0, 1, 1], [1, 1, 2], [1, 2, 0]],
    ])
    assert np.all(grads.sum(axis=(1, 2)) % 9 == 0)  # whole-number means
    alphas = grads.sum(axis=(1, 2)) // 9
    weighted = np.tensordot(alphas, maps, axes=1)
    heat = np.maximum(weighted, 0)
    assert weighted.min() < 0

    width, cell, margin = 640, 30, 16
    svg = Svg(
        "grad_cam",
        width,
        0,  # set below
        "How Grad-CAM is computed",
        "An image passes through the convolutional layers to feature maps A "
        "of size h × w × K, and the rest of the network turns them into the "
        "class score y^c before the softmax. Back-propagation gives the "
        "gradient of y^c with respect to the feature maps, not the image. "
        f"In an example with K = {len(maps)} maps of 3 × 3, each map's "
        "gradient is averaged over its positions into one weight: "
        f"{', '.join(number(a) for a in alphas)}. The weighted sum of the "
        f"maps is {matrix_text(weighted)}; ReLU keeps the positive evidence, "
        f"{matrix_text(heat)}, which is upsampled to the image and overlaid "
        "as a heatmap. Differentiating with respect to the image instead "
        "gives one value per pixel: a saliency map, a different method.",
    )
    svg.text(margin, 30, f"Grad-CAM for class c, K = {len(maps)} feature maps",
             19, anchor="start", weight="bold")
    boxes = [(["image x"], 96, GRID), (["conv layers"], 124, CONV),
             (["feature maps A", "h × w × K"], 156, POINTWISE),
             (["rest → y^{c}", "(no softmax)"], 142, NORM)]
    gap = (width - 2 * margin - sum(w for _, w, _ in boxes)) / (len(boxes) - 1)
    x, top, centres = margin, 48, []
    bottom = top
    for j, (lines, w, colour) in enumerate(boxes):
        bottom = _box(svg, x, top, w, lines, colour, 16)
        centres.append(x + w / 2)
        if j:
            svg.arrow(x - gap + 3, top + 29, x - 3, top + 29)
        x += w + gap
    low = bottom + 34
    svg.path([(centres[3], bottom + 2), (centres[3], low), (centres[2], low),
              (centres[2], bottom + 4)], stroke=OKABE_ITO["vermillion"],
             dash="7 5")
    svg.text((centres[2] + centres[3]) / 2, low + 24,
             "back-propagate: ∂y^{c}/∂A, not ∂y^{c}/∂x", 16)

    xa, xg = 84, 84 + 3 * cell + 74
    xs = xg + 3 * cell + 34
    head_y = low + 66
    svg.text(xa + 1.5 * cell, head_y, "maps A_{k}", 16, weight="bold")
    svg.text(xg + 1.5 * cell, head_y, "∂y^{c}/∂A_{k}", 16, weight="bold")
    svg.text(xs + 20, head_y, "mean over positions", 16, anchor="start",
             weight="bold")
    y = head_y + 14
    for k, (a, g, alpha) in enumerate(zip(maps, grads, alphas), 1):
        svg.text(margin, y + 1.5 * cell + 6, f"k = {k}", 16, anchor="start")
        svg.grid(xa, y, a, cell, lambda r, c, a=a: _grey(a[r, c] / maps.max()),
                 size=15)
        svg.grid(xg, y, g, cell, MUTED, size=15)
        svg.arrow(xs, y + 1.5 * cell, xs + 40, y + 1.5 * cell)
        svg.text(xs + 52, y + 1.5 * cell + 6, f"α_{{{k}}} = {number(alpha)}",
                 17, anchor="start", weight="bold")
        y += 3 * cell + 16
    y += 24
    hot = OKABE_ITO["vermillion"]
    svg.text(xa + 1.5 * cell, y, "Σ_{k} α_{k} A_{k}", 16, weight="bold")
    svg.text(xg + 1.5 * cell, y, "ReLU", 16, weight="bold")
    y += 14
    svg.grid(xa, y, weighted, cell, MUTED, size=15)
    svg.text(xa - 12, y + 3 * cell + 24, "(negative: evidence against c)", 15,
             anchor="start")
    svg.arrow(xa + 3 * cell + 10, y + 1.5 * cell, xg - 10, y + 1.5 * cell)
    svg.grid(xg, y, heat, cell, lambda r, c: tint(hot, 0.1 + 0.8 * heat[r, c]
                                                   / heat.max()), size=15)
    svg.arrow(xs, y + 1.5 * cell, xs + 40, y + 1.5 * cell)
    svg.text(xs + 52, y + 1.5 * cell - 6, "upsample to the", 16, anchor="start")
    svg.text(xs + 52, y + 1.5 * cell + 16, "image, overlay", 16, anchor="start")
    y += 3 * cell + 30
    note = ["Differentiate with respect to the image x instead, and you get",
            "∂y^{c}/∂x: one number per pixel and colour, a saliency map.",
            "A different method: no feature maps are weighted."]
    y += 20
    _box(svg, margin, y, width - 2 * margin, note, OKABE_ITO["yellow"], 16,
         dash="7 5")
    svg.height = int(y + _box_height(note, 16) + 12)
    return svg.render()


@diagram("style_transfer_losses")
def style_transfer_losses_svg() -> str:
    """Gatys et al.'s three losses: content, style (Gram matrices) and total variation."""
    style_layers = [f"block{b}_conv1" for b in range(1, 6)]
    content_layer = "block4_conv2"
    blocks = [name.split("_")[0].removeprefix("block") for name in style_layers]
    style_names = f"block{blocks[0]}…{blocks[-1]}_conv1"
    n_style = len(style_layers)
    width, channel = 640, 615
    left, right = 10, 590
    col_w, gap = 180, 20
    cols = [left + i * (col_w + gap) for i in range(3)]
    centres = [c + col_w / 2 for c in cols]
    svg = Svg(
        "style_transfer_losses", width, 0,
        "The losses of neural style transfer",
        f"Three images enter the same frozen VGG16: the photo (content), the image x "
        f"being optimised, and the painting (style). The content loss is the mean "
        f"squared difference between the {content_layer} features F of x and P of the "
        f"photo. The style loss is the mean over {n_style} layers ({', '.join(style_layers)}) "
        f"of the mean squared difference between the Gram matrices G of x and A of the "
        f"painting. The total variation of x, computed on its pixels without the "
        f"network, penalises differences between neighbouring pixels. The weighted sum "
        f"of the three is the loss whose gradient changes the pixels of x.",
    )
    y = 16.0
    tv_lines = ["total variation", "of x: smoothness"]
    tv_bottom = _box(svg, cols[1], y, col_w, tv_lines, OKABE_ITO["sky"])
    tv_mid = (y + tv_bottom) / 2
    y = tv_bottom + 44
    images = [["photo", "(content)"], ["image x", "(optimised)"],
              ["painting", "(style)"]]
    colours = [GRID, OKABE_ITO["vermillion"], GRID]
    bottom = y
    for x, lines, colour in zip(cols, images, colours):
        bottom = _box(svg, x, y, col_w, lines, colour, bold_first=True)
    svg.arrow(centres[1], y - 4, centres[1], tv_bottom + 4)
    y = bottom + 40
    for c in centres:
        svg.arrow(c, bottom + 4, c, y - 4)
    vgg_bottom = _box(svg, left, y, right - left,
                      ["VGG16 conv layers, frozen", "one network for all three images"],
                      CONV, bold_first=True)
    y = vgg_bottom + 58
    content_w = (right - left - gap) / 2
    content_lines = ["content loss", content_layer, "mean (F − P)²"]
    style_lines = [f"style loss, {n_style} layers", "Gram G = FᵀF / (H·W)",
                   style_names, "mean (G − A)²"]
    content_bottom = _box(svg, left, y, content_w, content_lines, OKABE_ITO["green"],
                          bold_first=True)
    style_x = left + content_w + gap
    style_bottom = _box(svg, style_x, y, content_w, style_lines, OKABE_ITO["purple"],
                        bold_first=True)
    # each arrow leaves the VGG box below the image whose features it carries
    feeds = [(centres[0], "P", 1), (centres[1] - 30, "F", -1),
             (centres[1] + 30, "G", 1), (centres[2], "A", 1)]
    for x, label, side in feeds:
        svg.arrow(x, vgg_bottom + 4, x, y - 4)
        svg.text(x + 10 * side, (vgg_bottom + y) / 2 + 7, label, 18,
                 anchor="start" if side > 0 else "end", italic=True)
    y = max(content_bottom, style_bottom) + 44
    svg.arrow(left + content_w / 2, content_bottom + 4, left + content_w / 2, y - 4)
    svg.arrow(style_x + content_w / 2, style_bottom + 4, style_x + content_w / 2, y - 4)
    svg.path([(cols[1] + col_w, tv_mid), (channel, tv_mid), (channel, y)])
    total_bottom = _box(svg, left, y, width - 2 * left,
                        ["loss = w_{c}·content + w_{s}·style + w_{tv}·TV",
                         "its gradient changes the pixels of x"], GRID)
    svg.height = int(total_bottom + 16)
    return svg.render()


@diagram("transfer_learning")
def transfer_learning_svg() -> str:
    """Chapter 12: from scratch, frozen backbone + new head, fine-tuned, side by side."""
    features, classes = 1280, 5
    head_params = features * classes + classes
    frozen, slow, fast = GRID, CONV, POINTWISE
    panels = [
        ("from scratch", [
            (["small CNN", "random weights", "trained, lr 2·10^{−3}"], fast, None),
            (["new head", f"dense → {classes}", "trained, lr 2·10^{−3}"], fast, None)]),
        ("frozen + new head", [
            (["backbone", "ImageNet weights", "frozen"], frozen, "6 3"),
            (["new head", f"dense {features} → {classes}", "trained, lr 10^{−3}"],
             fast, None)]),
        ("fine-tuned (top)", [
            (["lower blocks", "ImageNet weights", "frozen"], frozen, "6 3"),
            (["top blocks", "ImageNet weights", "trained, lr 10^{−4}", "BN: inference"],
             slow, None),
            (["head from frozen", f"dense {features} → {classes}", "trained, lr 10^{−3}"],
             fast, None)]),
    ]
    margin, pw, gap = 10, 200, 10
    width = margin * 2 + 3 * pw + 2 * gap
    svg = Svg(
        "transfer_learning", width, 560, "Three ways to train a classifier for a new task",
        "Three panels, each a network drawn top to bottom from the input image to the "
        "class scores. From scratch: a small CNN with random weights and a new head, "
        "all trained at learning rate 10^-3. Frozen backbone plus new head: the "
        "ImageNet-trained backbone is frozen (its features can be computed once) and "
        f"only a new dense head from {features} features to {classes} classes is trained, "
        f"{head_params:,} parameters. Fine-tuned: the lower blocks of the ImageNet backbone "
        "stay frozen while its top blocks are trained too, at a ten times smaller "
        "learning rate of 10^-4 with their batch normalisation kept in inference mode, "
        "starting from the head trained on the frozen features, which keeps learning "
        "at 10^-3.",
    )
    bottoms = []
    for i, (title, boxes) in enumerate(panels):
        x = margin + i * (pw + gap)
        cx = x + pw / 2
        svg.text(cx, 30, title, 18, weight="bold")
        y = _box(svg, x + 20, 48, pw - 40, ["input image"], GRID, size=17)
        for lines, colour, dash in boxes:
            _down(svg, cx, y + 4, y + 36)
            y = _box(svg, x, y + 40, pw, lines, colour, size=17, bold_first=True,
                     dash=dash)
        _down(svg, cx, y + 4, y + 36)
        y = _box(svg, x + 20, y + 40, pw - 40, [f"{classes} class scores"], GRID, size=17)
        bottoms.append(y)
    y = max(bottoms) + 34
    svg.text(margin + 10, y, f"trainable parameters, frozen: {features} × {classes} + "
             f"{classes} = {head_params:,}", 17, anchor="start")
    y += 36
    x = _swatch(svg, margin + 10, y, frozen, "frozen") + 24
    x = _swatch(svg, x, y, slow, "small learning rate") + 24
    _swatch(svg, x, y, fast, "large learning rate")
    svg.height = int(y + 20)
    return svg.render()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if any img/*.svg is stale")
    parser.add_argument("--png", action="store_true",
                        help="redraw img/png/NAME.png (for the reader notebooks) for every "
                             "SVG it was not drawn from; with --check, only name them")
    args = parser.parse_args(argv)
    if args.png:
        from tools import diagram_png

        return diagram_png.main(["--check"] if args.check else [])
    stale = []
    for name, build in DIAGRAMS.items():
        path = IMG_DIR / f"{name}.svg"
        text = build()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT).as_posix())
        else:
            IMG_DIR.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(ROOT).as_posix()}")
    if stale:
        print("stale diagrams (run `python -m tools.diagrams`):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
