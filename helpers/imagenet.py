"""ImageNet-1k class names and an offline ``decode_predictions`` (Keras' downloads its index).

Used from chapter 11 on, wherever a pretrained model classifies a photo.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from helpers import assets


@lru_cache(maxsize=1)
def class_index() -> list[tuple[str, str]]:
    """The 1000 ``(wnid, keras_style_name)`` pairs, index order (e.g. 285 → Egyptian_cat)."""
    path = assets.fetch("imagenet_class_names")
    raw = json.loads(path.read_text())
    if isinstance(next(iter(raw.values())), list):  # Keras' own index: {"0": [wnid, name]}
        return [tuple(raw[str(i)]) for i in range(1000)]
    wnids = json.loads(assets.fetch("imagenet_wnids").read_text())
    return [(wnids[str(i)], raw[str(i)].split(",")[0].strip().replace(" ", "_")) for i in range(1000)]


def decode_predictions(preds, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Per image, the ``top`` classes as ``(wnid, name, probability)``, most likely first.

    ``preds``: (N, 1000) probabilities, as from ``resnet50()`` or ``efficientnet_lite0()``.
    """
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"expected predictions of shape (N, 1000), got {preds.shape}")
    if not 1 <= top <= 1000:
        raise ValueError(f"top must be between 1 and 1000, got {top}")
    names = class_index()
    order = np.argsort(-preds, axis=1)[:, :top]
    return [[(*names[i], float(p[i])) for i in row] for p, row in zip(preds, order)]


def crop_square(image, size: int, side: Callable[[int], int], *,
                method: str = "bilinear", round_up: bool = False) -> np.ndarray:
    """A centred square of an (H, W, 3) image, resized to size x size, as float32.

    ``side(min(H, W))`` gives the square's side in pixels; ``round_up`` moves an odd
    leftover pixel to the top/left margin instead of the bottom/right. Shared by
    :func:`center_square` and :func:`helpers.pretrained.lite0_crop`.
    """
    import tensorflow as tf

    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"expected one (H, W, 3) RGB image, got shape {image.shape}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int, got {size!r}")
    h, w = image.shape[:2]
    s = side(min(h, w))
    if s < 1:
        raise ValueError(f"image of {h}x{w} pixels is too small to crop")
    extra = 1 if round_up else 0
    top, left = (h - s + extra) // 2, (w - s + extra) // 2
    crop = image[top:top + s, left:left + s].astype("float32")
    return tf.image.resize(crop, (size, size), method=method).numpy()


def center_square(image, size: int = 224) -> np.ndarray:
    """The largest centred square of an (H, W, 3) image, resized to size x size
    (bilinear), as float32 in the image's own range: the usual ImageNet crop."""
    return crop_square(image, size, lambda shorter: shorter)
