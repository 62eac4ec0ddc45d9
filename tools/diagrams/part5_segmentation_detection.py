"""Part V, segmentation and detection (chapters 15-16).

- chapter 15: ``transposed_conv`` (where the checkerboard comes from),
  ``unet`` (encoder, decoder and the skip connections across)
- chapter 16: ``detector_head`` (anchors at every location of a feature map,
  a class head and a box head)
"""

from __future__ import annotations

import numpy as np

from .kit import (
    OKABE_ITO, INK, GRID, MUTED, tint, PATCH_COLOURS, number, shape_text, Svg,
    diagram, CONV, POINTWISE, POOL, SHORTCUT, _box_height, _box, _swatch,
    conv_shape,
)

UPSAMPLE = OKABE_ITO["vermillion"]  # transposed convolutions ("up-convs")


def transposed_conv2d(x: np.ndarray, k: np.ndarray, stride: int) -> np.ndarray:
    """A 2-D transposed convolution, no padding, as a sum of stamped kernels.

    Every input value ``x[i, j]`` adds ``x[i, j] * k`` into the output with its
    top-left corner at ``(stride * i, stride * j)``; the output is
    ``(H - 1) * stride + k`` on a side.
    """
    (h, w), (kh, kw) = x.shape, k.shape
    out = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw), x.dtype)
    for i in range(h):
        for j in range(w):
            out[stride * i:stride * i + kh, stride * j:stride * j + kw] += (
                x[i, j] * k)
    return out


def _stamp(x: np.ndarray, k: np.ndarray, stride: int, i: int, j: int
           ) -> np.ndarray:
    """The copy ``x[i, j] * k`` alone, placed in an output-sized array."""
    only = np.zeros_like(x)
    only[i, j] = x[i, j]
    return transposed_conv2d(only, k, stride)


@diagram("transposed_conv")
def transposed_conv_svg() -> str:
    """Stride 2: four scaled kernel copies summed, and the uneven overlap."""
    x = np.array([[1, 2], [3, 4]])
    k = np.array([[1, 2, 1], [2, 1, 2], [1, 2, 1]])
    stride = 2
    assert k.shape[0] % stride, "the figure says the copies overlap unevenly"
    y = transposed_conv2d(x, k, stride)
    count = transposed_conv2d(np.ones_like(x), np.ones_like(k), stride)
    stamps = [(i, j) for i in range(x.shape[0]) for j in range(x.shape[1])]
    assert (y == sum(_stamp(x, k, stride, i, j) for i, j in stamps)).all()
    side = y.shape[0]
    levels = sorted(set(count.ravel().tolist()))  # 1, 2 and 4 copies
    shades = {n: tint(OKABE_ITO["blue"], s)
              for n, s in zip(levels, (0.08, 0.3, 0.55))}

    width, margin = 640, 20
    svg = Svg(
        "transposed_conv",
        width,
        0,  # set below
        "A transposed convolution with stride 2",
        f"A {shape_text(x.shape)} input X and a {shape_text(k.shape)} kernel "
        f"K, stride {stride}. Every input value stamps a copy of the kernel "
        f"scaled by that value into a {shape_text(y.shape)} output, each copy "
        f"{stride} cells to the right of or below the previous one: "
        f"(2 − 1)·{stride} + {k.shape[0]} = {side}. Where copies overlap they "
        f"are summed. Because "
        f"the kernel size {k.shape[0]} is not a multiple of the stride, the "
        f"cells receive {', '.join(map(str, levels[:-1]))} or {levels[-1]} "
        f"copies in a regular grid: on a constant input with a constant kernel "
        f"the output would show this pattern of {', '.join(map(str, levels))}, "
        f"the checkerboard artefact.",
    )
    # Row 1: the input, its four colours, and the kernel.
    top, cell = 58, 40
    svg.text(margin + cell, top - 16, "input X", 17, weight="bold")

    def input_fill(r: int, c: int) -> str:
        return tint(PATCH_COLOURS[r * x.shape[1] + c])

    svg.grid(margin, top, x, cell, input_fill, 20)
    kx = margin + 2 * cell + 70
    svg.text(kx + 1.5 * cell, top - 16, "kernel K", 17, weight="bold")
    svg.grid(kx, top, k, cell, MUTED, 20)
    nx = kx + 3 * cell + 28
    notes = [f"stride {stride}",
             f"output: (2 − 1)·{stride} + {k.shape[0]} = {side}",
             f"{k.shape[0]} is not a multiple of {stride}:",
             "the copies overlap unevenly"]
    for n, line in enumerate(notes):
        svg.text(nx, top + 22 + n * 26, line, 16, anchor="start",
                 weight="bold" if n == 0 else None)

    # Row 2: the four stamps, each x[i, j]·K at (2i, 2j), then summed.
    y2 = top + 3 * cell + 62
    svg.text(margin, y2 - 22, "each input value stamps a scaled copy of K",
             17, anchor="start", weight="bold")
    small, gap = 24, 32
    for n, (i, j) in enumerate(stamps):
        sx = margin + n * (side * small + gap)
        stamp = _stamp(x, k, stride, i, j)
        colour = tint(PATCH_COLOURS[n])

        def stamp_fill(r: int, c: int, i=i, j=j, colour=colour) -> str:
            inside = (stride * i <= r < stride * i + k.shape[0]
                      and stride * j <= c < stride * j + k.shape[1])
            return colour if inside else "#FFFFFF"

        svg.grid(sx, y2, np.zeros_like(stamp), small, stamp_fill,
                 show_values=False)
        for r in range(side):
            for c in range(side):
                if stamp_fill(r, c) != "#FFFFFF":
                    svg.text(sx + (c + 0.5) * small,
                             y2 + (r + 0.5) * small + 5.5,
                             number(stamp[r, c]), 15)
        svg.text(sx + side * small / 2, y2 + side * small + 22,
                 f"{number(x[i, j])}·K", 16)
        if n:
            svg.text(sx - gap / 2, y2 + side * small / 2 + 7, "+", 20)

    # Row 3: the sum, shaded by the number of copies, and the count itself.
    y3 = y2 + side * small + 80
    big, mid = 40, 30
    svg.text(margin, y3 - 22, "= output Y, summed", 17, anchor="start",
             weight="bold")
    svg.grid(margin, y3, y, big, lambda r, c: shades[count[r, c]], 18)
    cx = margin + side * big + 60
    svg.text(cx, y3 - 22, "copies per cell", 17, anchor="start", weight="bold")
    svg.grid(cx, y3, count, mid, lambda r, c: shades[count[r, c]], 16)
    lx = cx + side * mid + 22
    for n, level in enumerate(levels):
        label = f"{level} cop{'y' if level == 1 else 'ies'}"
        ly = y3 + 22 + n * 32
        svg.rect(lx, ly - 15, 22, 20, fill=shades[level], stroke=GRID, rx=4)
        svg.text(lx + 30, ly, label, 16, anchor="start")
    notes = ["with X and K all ones, Y is this count; on a larger input",
             f"it repeats every {stride} cells: the checkerboard artefact"]
    for n, line in enumerate(notes):
        svg.text(margin, y3 + side * big + 34 + n * 24, line, 16,
                 anchor="start", italic=True)
    svg.height = int(y3 + side * big + 34 + 24 + 20)
    return svg.render()


def _legend_arrow(svg: Svg, x: float, y: float, colour: str, label: str,
                  dash: str | None = None) -> None:
    """A legend entry: a short arrow in ``colour``, then its label."""
    svg.arrow(x, y - 5, x + 34, y - 5, stroke=colour, stroke_width=3, head=10,
              dash=dash)
    svg.text(x + 44, y, label, 16, anchor="start")


@diagram("unet")
def unet_svg() -> str:
    """Encoder down, decoder up, a skip connection across at each size."""
    side, channels, classes = 64, [16, 32, 64, 128], 6
    shapes = [(side, side, channels[0])]  # after each level's two 3×3 convs
    for c in channels[1:]:
        pooled = conv_shape(shapes[-1], 2, shapes[-1][2], stride=2,
                            padding="valid")
        shapes.append(conv_shape(pooled, 3, c))
    *encoder, bottom = shapes
    ups = []  # a 2×2 transposed conv, stride 2, halves the channels
    for below, skip in zip(shapes[:0:-1], encoder[::-1]):
        up = ((below[0] - 1) * 2 + 2, (below[1] - 1) * 2 + 2, below[2] // 2)
        assert up == skip, (up, skip)  # so the two can be concatenated
        ups.append(up)
    out_shape = (side, side, classes)

    width, margin, bw, gap = 640, 16, 196, 46
    right = width - margin - bw
    box_h = _box_height(["a", "b"])
    levels = len(encoder)
    top = 48
    rows = [top + (n + 1) * (box_h + gap) for n in range(levels)]
    bottom_y = rows[-1] + box_h + gap
    svg = Svg(
        "unet",
        width,
        0,  # set below
        "A U-Net: encoder, decoder and skip connections",
        f"A U-Net for {side} × {side} images. The encoder, on the left, "
        f"applies two 3×3 convolutions per level and halves the resolution "
        f"with 2×2 max pooling: "
        + ", ".join(shape_text(s) for s in shapes)
        + f" at the bottom. The decoder, on the right, doubles the resolution "
        f"with 2×2 transposed convolutions of stride 2 (up-convs) that halve "
        f"the channels, concatenates the encoder's map of the same size, "
        f"copied across by a skip connection, and applies two 3×3 "
        f"convolutions: "
        + ", ".join(shape_text(s) for s in ups)
        + f". A 1×1 convolution turns the last map into {classes} class "
        f"scores per pixel, {shape_text(out_shape)}: the output has the "
        f"input's resolution.",
    )
    svg.text(margin + bw / 2, 28, "encoder", 18, weight="bold")
    svg.text(right + bw / 2, 28, "decoder", 18, weight="bold")
    lc, rc = margin + bw / 2, right + bw / 2
    in_bottom = _box(svg, margin, top, bw, ["input", f"{side} × {side} × 3"],
                     GRID)
    svg.arrow(lc, in_bottom + 4, lc, rows[0] - 4)
    out_bottom = _box(svg, right, top, bw,
                      [f"1×1 conv, {classes}", shape_text(out_shape)],
                      POINTWISE)
    for n, (shape, up) in enumerate(zip(encoder, ups[::-1])):
        y = rows[n]
        _box(svg, margin, y, bw, ["3×3 conv ×2", shape_text(shape)], CONV)
        _box(svg, right, y, bw, ["concat, conv ×2", shape_text(up)], CONV)
        mid = y + box_h / 2
        svg.arrow(margin + bw + 4, mid, right - 4, mid, stroke=SHORTCUT,
                  stroke_width=3, dash="8 5")
        svg.text((margin + bw + right) / 2, mid - 12,
                 f"copy {shape_text(shape)}", 16)
        label_y = y + box_h + gap / 2 + 6
        if n + 1 < levels:  # pool down to the next level, up-conv back
            svg.arrow(lc, y + box_h + 4, lc, rows[n + 1] - 4, stroke=POOL,
                      stroke_width=3)
            svg.arrow(rc, rows[n + 1] - 4, rc, y + box_h + 4, stroke=UPSAMPLE,
                      stroke_width=3)
        else:
            label_y = y + box_h + 20
        svg.text(lc + 12, label_y, "max pool", 16, anchor="start")
        svg.text(rc - 12, label_y, "up-conv", 16, anchor="end")
    svg.arrow(rc, rows[0] - 4, rc, out_bottom + 4)
    bx = (width - bw) / 2
    mid = bottom_y + box_h / 2
    _box(svg, bx, bottom_y, bw, ["3×3 conv ×2", shape_text(bottom)], CONV)
    last = rows[-1] + box_h + 4
    svg.path([(lc, last), (lc, mid), (bx - 4, mid)], stroke=POOL,
             stroke_width=3, head=12)
    svg.path([(bx + bw + 4, mid), (rc, mid), (rc, last)], stroke=UPSAMPLE,
             stroke_width=3, head=12)

    y = bottom_y + box_h + 42
    x2 = width / 2 + 10
    _swatch(svg, margin, y, CONV, "3×3 conv + ReLU")
    _swatch(svg, x2, y, POINTWISE, "1×1 conv: class scores")
    _legend_arrow(svg, margin, y + 32, POOL, "2×2 max pool: ½ size")
    _legend_arrow(svg, x2, y + 32, UPSAMPLE, "2×2 up-conv: 2× size")
    _legend_arrow(svg, margin, y + 64, SHORTCUT,
                  "skip: copied across, concatenated with the up-conv's output",
                  dash="8 5")
    svg.height = int(y + 64 + 20)
    return svg.render()


@diagram("detector_head")
def detector_head_svg() -> str:
    """Anchors on a feature-map grid, then a class head and a box head."""
    side, pools, width_c, classes = 64, 3, 64, 5
    ratios = [(1, 1), (2, 1), (1, 2)]  # width : height of the anchors
    scale = 16  # an anchor's side, in pixels, before the aspect ratio
    shape = (side, side, 3)
    for _ in range(pools):
        shape = conv_shape(shape, 2, width_c, stride=2, padding="valid")
    cells, stride = shape[0], side // shape[0]
    a = len(ratios)
    cls_ch, box_ch = a * (classes + 1), a * 4
    anchors = [(scale * (w / h) ** 0.5, scale * (h / w) ** 0.5)
               for w, h in ratios]
    names = [f"{w}:{h}" for w, h in ratios]
    colours = [OKABE_ITO["vermillion"], OKABE_ITO["blue"], OKABE_ITO["green"]]

    width, margin = 640, 16
    svg = Svg(
        "detector_head",
        width,
        0,  # set below
        "A single-stage detector head",
        f"A {side} × {side} image and the {cells} × {cells} grid of its "
        f"backbone's feature map: one location every {stride} pixels. At every "
        f"location sit A = {a} anchor boxes of {scale} pixels with aspect "
        f"ratios {', '.join(names[:-1])} and {names[-1]}, "
        f"{cells * cells * a} anchors in all; one "
        f"location's anchors are drawn. The backbone turns the image into a "
        f"{shape_text(shape)} feature map; two 3×3 convolutions read it: the "
        f"class head outputs A·(C + 1) = {a}·({classes} + 1) = {cls_ch} "
        f"channels, the scores of the background and {classes} classes for "
        f"each anchor, and the box head outputs A·4 = {box_ch} channels, four "
        f"offsets of each anchor's box (centre y, centre x, height, width).",
    )
    # The image, its grid of locations, and the anchors at one of them.
    px = 3.0  # drawing units per image pixel
    ix, iy = margin, 44
    svg.text(ix, 28, f"image {side} × {side}, grid {cells} × {cells}", 17,
             anchor="start", weight="bold")
    at = (3, 4)  # the location whose anchors are drawn (row, column)
    c = stride * px

    def grid_fill(r: int, q: int) -> str:
        return tint(OKABE_ITO["orange"]) if (r, q) == at else MUTED

    svg.grid(ix, iy, np.zeros((cells, cells)), c, grid_fill, show_values=False,
             stroke="#BFBFBF")
    svg.rect(ix, iy, cells * c, cells * c, stroke=GRID, stroke_width=2)
    cx, cy = ix + (at[1] + 0.5) * c, iy + (at[0] + 0.5) * c
    for (aw, ah), colour in zip(anchors, colours):
        svg.rect(cx - aw * px / 2, cy - ah * px / 2, aw * px, ah * px,
                 stroke=colour, stroke_width=3)
    svg.circle(cx, cy, 4, fill=INK, stroke=None)
    tx = ix + cells * c + 24
    notes = [(f"{cells} × {cells} locations,", None),
             (f"one every {stride} px", None),
             (f"A = {a} anchors at each:", None),
             (f"{scale} px, ratios {', '.join(names)}", None),
             (f"{cells}·{cells}·{a} = {cells * cells * a} anchors", "bold")]
    for n, (line, weight) in enumerate(notes):
        svg.text(tx, iy + 24 + n * 28 + (14 if n >= 2 else 0) +
                 (14 if n >= 4 else 0), line, 17, anchor="start",
                 weight=weight)

    # The heads: backbone, then a class head and a box head side by side.
    y = iy + cells * c + 36
    bw = 380
    bx = (width - bw) / 2
    bottom = _box(svg, bx, y, bw, [f"backbone: conv + pool ×{pools}",
                                   f"{shape_text((side, side, 3))} → "
                                   f"{shape_text(shape)}"], GRID)
    col_w = (width - 3 * margin) / 2
    cols = [margin, 2 * margin + col_w]
    heads = [(["class head", f"3×3 conv, {a}·({classes} + 1) = {cls_ch}"],
              (cells, cells, cls_ch)),
             (["box head", f"3×3 conv, {a}·4 = {box_ch}"],
              (cells, cells, box_ch))]
    hy = bottom + 50
    for n, (lines, out) in enumerate(heads):
        centre = cols[n] + col_w / 2
        svg.arrow(width / 2 + (n - 0.5) * 120, bottom + 4, centre, hy - 4)
        hb = _box(svg, cols[n], hy, col_w, lines, CONV, bold_first=True)
        svg.arrow(centre, hb + 4, centre, hb + 46)
        svg.text(centre + 12, hb + 30, shape_text(out), 17, anchor="start")
    gy = hb + 46 + 40
    svg.text(width / 2, gy - 16, "the numbers at one location", 17,
             weight="bold")
    gy += 24
    cell = 34
    headers = [["bg", *map(str, range(1, classes + 1))],
               ["x", "y", "w", "h"]]
    for n, head in enumerate(headers):
        cell_w = cell if n == 0 else 44
        gx = cols[n] + (col_w - len(head) * cell_w) / 2 + 10
        for q, label in enumerate(head):
            svg.text(gx + (q + 0.5) * cell_w, gy - 8, label, 17)
        for r, colour in enumerate(colours):
            for q in range(len(head)):
                svg.rect(gx + q * cell_w, gy + r * cell, cell_w, cell,
                         fill=tint(colour, 0.3), stroke=GRID)
            aw, ah = (d / max(anchors[r]) * (cell - 12) for d in anchors[r])
            svg.rect(gx - 16 - aw / 2, gy + (r + 0.5) * cell - ah / 2, aw, ah,
                     stroke=colour, stroke_width=3)
        total = [f"{a} × {classes + 1} = {cls_ch} scores",
                 f"{a} × 4 = {box_ch} offsets"][n]
        svg.text(cols[n] + col_w / 2 + 10, gy + a * cell + 26, total, 17,
                 weight="bold")
    notes = ["one row per anchor; bg: the background class",
             "y, x, h, w: where the box is, relative to its anchor"]
    for n, line in enumerate(notes):
        svg.text(width / 2, gy + a * cell + 58 + n * 24, line, 16,
                 italic=True)
    svg.height = int(gy + a * cell + 58 + 24 + 20)
    return svg.render()
