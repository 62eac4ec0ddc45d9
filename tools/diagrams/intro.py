"""The landing page (intro.md): ``cnn_overview``, the book at a glance."""

from __future__ import annotations

import numpy as np

from .kit import (
    OKABE_ITO, GRID, MUTED, shape_text, Svg, diagram, cross_correlate, _grey,
)


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
