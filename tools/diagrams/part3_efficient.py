"""Part III, efficient architectures (chapters 10-11).

- chapter 10: ``depthwise_separable``, ``inverted_residual``,
  ``channel_shuffle``
- chapter 11: ``compound_scaling``
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .kit import (
    OKABE_ITO, INK, GRID, MUTED, tint, CHANNEL_COLOURS, shape_text, Svg, diagram,
    CONV, POINTWISE, SHORTCUT, NORM, _box, _down, _plus, conv_shape, conv_params,
    _thousands,
)


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
