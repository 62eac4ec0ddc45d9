"""Part IV, using and understanding CNNs (chapters 12-14).

- chapter 12: ``transfer_learning``
- chapter 13: ``grad_cam``
- chapter 14: ``style_transfer_losses``
"""

from __future__ import annotations

import numpy as np

from .kit import (
    OKABE_ITO, GRID, MUTED, tint, number, matrix_text, Svg, diagram, _grey,
    CONV, POINTWISE, NORM, _box_height, _box, _down, _swatch,
)


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
