"""Part II, classic architectures and how to train them (chapters 05-09).

- chapter 07: ``vgg_block``, ``nin_block``
- chapter 08: ``inception_module``
- chapter 09: ``residual_blocks``, ``dense_block``
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .kit import (
    OKABE_ITO, INK, GRID, MUTED, tint, shape_text, Svg, diagram, CONV,
    POINTWISE, POOL, SHORTCUT, NORM, _text_width, _box_height, _box, _down,
    _plus, _swatch, conv_shape, conv_params, _thousands,
)


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
