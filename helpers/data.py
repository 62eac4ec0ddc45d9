"""Datasets and photos, loaded without any run-time download where possible.

Photos are taught in chapter 01 (hand-designed filters); MNIST from chapter 05 on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Photo:
    """A named photo: where it comes from and under what licence."""

    name: str
    description: str
    source: str
    licence: str
    load: Callable[[], np.ndarray]


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return getattr(skimage.data, name)()

    return load


def _matplotlib(filename: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import matplotlib.image as mpimg
        from matplotlib import cbook

        with cbook.get_sample_data(filename) as f:
            return mpimg.imread(f, format=filename.rsplit(".", 1)[-1])

    return load


_SK = "scikit-image (skimage.data)"
_PHOTOS: dict[str, Photo] = {
    p.name: p
    for p in [
        Photo("chelsea", "a cat (Chelsea)", _SK, "CC0 (Stefan van der Walt)", _skimage("chelsea")),
        Photo("coffee", "a cup of espresso", _SK, "CC0 (Rachel Michetti)", _skimage("coffee")),
        Photo("astronaut", "astronaut Eileen Collins", _SK, "public domain (NASA)", _skimage("astronaut")),
        Photo("rocket", "a rocket on its launch pad", _SK, "public domain (NASA)", _skimage("rocket")),
        Photo("camera", "a cameraman (greyscale)", _SK, "CC0 / public domain", _skimage("camera")),
        Photo("grace_hopper", "Rear Admiral Grace Hopper", "matplotlib sample data",
              "public domain (US Navy)", _matplotlib("grace_hopper.jpg")),
    ]
}


def photo_names() -> dict[str, str]:
    """Every photo :func:`photo` knows, mapped to 'description — source — licence'."""
    return {n: f"{p.description} — {p.source} — {p.licence}" for n, p in _PHOTOS.items()}


def photo(name: str) -> np.ndarray:
    """Return the named photo as an RGB ``uint8`` array of shape (H, W, 3).

    Greyscale photos are repeated over three channels so every photo has the same layout.
    """
    if name not in _PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose one of {sorted(_PHOTOS)}")
    img = np.asarray(_PHOTOS[name].load())
    if img.dtype != np.uint8:  # matplotlib returns floats in [0, 1] for some formats
        img = np.clip(np.round(img * 255 if img.max() <= 1.0 else img), 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return np.ascontiguousarray(img[..., :3])
