"""Datasets and photos, loaded through the verified asset cache (:mod:`helpers.assets`).

Photos are first used in chapter 01 (hand-designed filters); MNIST from chapter 05 on.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from helpers import assets

Split = tuple[np.ndarray, np.ndarray]


def load_mnist() -> tuple[Split, Split]:
    """MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8, like ``keras.datasets.mnist``.

    Shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).
    """
    path = assets.fetch("mnist")
    if path.suffix == ".npz":  # the official download
        with np.load(path, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    import zarr

    store = zarr.storage.ZipStore(path, mode="r")
    try:
        g = zarr.open_group(store, mode="r")
        arrays = [np.asarray(g[k][...]) for k in ("train_images", "train_labels", "test_images", "test_labels")]
    finally:
        store.close()
    x_train, y_train, x_test, y_test = (a.astype(np.uint8, copy=False) for a in arrays)
    return (x_train, y_train), (x_test, y_test)


def read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (the original MNIST / Fashion-MNIST format) into an array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise ValueError(f"{path.name} is not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path.name}: header says {dims} but holds {body.size} bytes")
    return body.reshape(dims)


def load_fashion_mnist() -> tuple[Split, Split]:
    """Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8, like Keras'."""
    parts = [read_idx(assets.fetch(f"fashion_mnist_{n}")) for n in
             ("train_images_idx3", "train_labels_idx1", "t10k_images_idx3", "t10k_labels_idx1")]
    return (parts[0], parts[1]), (parts[2], parts[3])


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


def _cached_image(asset: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from PIL import Image

        with Image.open(assets.fetch(asset)) as im:
            return np.asarray(im.convert("RGB"))

    return load


_SK = "scikit-image (skimage.data)"
_CV = "OpenCV sample data (Debian opencv-doc)"
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
        Photo("starry_night", "The Starry Night, Vincent van Gogh (1889)", _CV,
              "public domain (painting); OpenCV sample data", _cached_image("photo_starry_night")),
        Photo("squirrel", "a squirrel", _CV, "Apache-2.0 / BSD-3 (OpenCV)", _cached_image("photo_squirrel")),
        Photo("fruits", "fruits on a table", _CV, "Apache-2.0 / BSD-3 (OpenCV)", _cached_image("photo_fruits")),
        Photo("baboon", "a mandrill (baboon)", _CV, "Apache-2.0 / BSD-3 (OpenCV)", _cached_image("photo_baboon")),
        Photo("butterfly", "a butterfly", _CV, "Apache-2.0 / BSD-3 (OpenCV)", _cached_image("photo_butterfly")),
        Photo("orange", "an orange", _CV, "Apache-2.0 / BSD-3 (OpenCV)", _cached_image("photo_orange")),
        Photo("apple", "an apple", _CV, "Apache-2.0 / BSD-3 (OpenCV)", _cached_image("photo_apple")),
    ]
}


def photo_names() -> dict[str, str]:
    """Every photo :func:`photo` knows, mapped to 'description — source — licence'."""
    return {n: f"{p.description} — {p.source} — {p.licence}" for n, p in _PHOTOS.items()}


def photo(name: str) -> np.ndarray:
    """Return the named photo as an RGB ``uint8`` array of shape (H, W, 3).

    Greyscale photos are repeated over three channels so every photo has the same layout.
    """
    if not isinstance(name, str):
        raise TypeError(f"photo name (a str) expected, got {type(name).__name__} {name!r:.60};"
                        " load one photo at a time, e.g. photo('chelsea')")
    if name not in _PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose one of {sorted(_PHOTOS)}")
    img = np.asarray(_PHOTOS[name].load())
    if img.dtype != np.uint8:  # matplotlib returns floats in [0, 1] for some formats
        img = np.clip(np.round(img * 255 if img.max() <= 1.0 else img), 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return np.ascontiguousarray(img[..., :3])
