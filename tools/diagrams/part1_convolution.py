"""Part I, the convolution operation (chapters 01-04).

- chapter 01: ``cross_correlation``, ``multichannel_kernel``, ``im2col``
  (``im2col`` again in chapter 04)
- chapter 02: ``receptive_field``
- chapter 03: ``pooling``
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .kit import (
    OKABE_ITO, INK, MUTED, tint, PATCH_COLOURS, CHANNEL_COLOURS, number,
    matrix_text, shape_text, Svg, diagram, cross_correlate,
)


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
