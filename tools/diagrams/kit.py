"""The drawing kit every diagram module uses: one place for the look of the book.

- the readability limits the tests enforce (``MAX_WIDTH``, ``MIN_FONT``), the
  font and the Okabe-Ito palette;
- :class:`Svg`, a tiny SVG writer (rectangles, lines, arrows, rounded paths,
  text with sub- and superscripts, grids of numbers) whose output is byte for
  byte deterministic;
- the registry: ``@diagram("name")`` makes a function the generator of
  ``img/name.svg`` (``DIAGRAMS`` maps names to functions);
- shared maths (:func:`cross_correlate`, :func:`conv_shape`,
  :func:`conv_params`) and the block-diagram pieces (``_box``, ``_down``,
  ``_plus``, ``_swatch``, ...) the architecture diagrams are built from.

Names with a leading underscore are private to the ``tools.diagrams``
package, not to this module: the part modules import them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

import numpy as np

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
        # The comment still names tools/diagrams.py, the single file this
        # package was split from: changing it would change every committed SVG
        # (and the hash each PNG copy in img/png/ was drawn from).
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


def _grey(value: float) -> str:
    """A light-to-dark blue shade for a value in [0, 1] (0 is white)."""
    return tint(OKABE_ITO["blue"], 0.08 + 0.92 * float(np.clip(value, 0, 1)))


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

