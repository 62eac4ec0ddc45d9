"""Image augmentation from its formulas, on whole batches.

Chapter 06 writes each augmentation from its formula and then compares
it with the Keras layer: flip, random crop, rotation, colour jitter,
cutout, Mixup, CutMix and RandAugment. Every function takes a batch of
float images (N, H, W, C), NHWC, and a random source `rng`, one of
- an int seed or a (2,) integer seed tensor: stateless draws, the same
  for the same seed (a tf.data pipeline can hand every batch its own
  seed, e.g. from tf.data.Dataset.random);
- a tf.random.Generator: every call draws anew (simple, but stateful:
  with op determinism on, TensorFlow then runs the pipeline's
  prefetching serially).
The functions work eagerly and inside tf.data maps or tf.function.
"""

from __future__ import annotations

import functools
import math
import numbers

from helpers.validate import (as_int, check_allocation, float_tensor,
                              int_pair, nonnegative_int, positive_int,
                              real_number)


def _tf():
    import tensorflow as tf

    return tf


def _graph_as_written(fn):
    """Let tf.function and Dataset.map trace fn as written. Its loops run
    over Python numbers, so AutoGraph has nothing to rewrite, yet
    rewriting it and everything it calls took seconds per trace."""

    @functools.wraps(fn)
    def traced_as_written(*args, **kwargs):
        plain = _tf().autograph.experimental.do_not_convert(fn)
        return plain(*args, **kwargs)

    return traced_as_written


class Random:
    """Random draws from a tf.random.Generator, or stateless ones from a
    seed that is split anew for every draw."""

    def __init__(self, rng):
        tf = _tf()
        self.generator, self.seed = None, None
        if isinstance(rng, tf.random.Generator):
            self.generator = rng
        elif isinstance(rng, numbers.Integral) and not isinstance(rng, bool) \
                and type(rng).__name__ != "bool_":
            self.seed = tf.constant([0, int(rng)], tf.int64)
        elif tf.is_tensor(rng) and rng.dtype.is_integer and \
                rng.shape.rank == 1 and rng.shape[0] in (2, None):
            self.seed = rng
        else:
            raise TypeError(f"rng must be an int seed, a (2,) integer seed "
                            f"tensor or a tf.random.Generator, got {rng!r}")

    def next_seed(self):
        """A fresh (2,) seed for one stateless random op."""
        tf = _tf()
        if self.generator is not None:
            return self.generator.make_seeds(1)[:, 0]
        self.seed, seed = tf.unstack(
            tf.random.experimental.stateless_split(self.seed, 2))
        return seed

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=None):
        tf = _tf()
        return tf.random.stateless_uniform(shape, self.next_seed(), minval,
                                           maxval, dtype or tf.float32)


def _random(rng):
    return rng if isinstance(rng, Random) else Random(rng)


def _images(images, name="images"):
    """images as a float32 tensor of rank 4 (N, H, W, C), else an error."""
    tf = _tf()
    images = tf.convert_to_tensor(images)
    if images.shape.rank != 4:
        raise ValueError(f"{name} must be a batch of shape (N, H, W, C), "
                         f"got shape {tuple(images.shape)}")
    if not images.dtype.is_floating:
        raise TypeError(f"{name} must hold floats (e.g. scaled to [0, 1]), "
                        f"got {images.dtype.name}")
    return tf.cast(float_tensor(images, name), tf.float32)


def _in_unit_range(images, name="images") -> None:
    """Refuse images outside [0, 1] when their values are known (eagerly;
    inside a tf.data map or a tf.function they are not). A rounding error
    of 1e-6 (a resized image can hold 1.0000001) is let through."""
    tf = _tf()
    if not tf.executing_eagerly() or tf.size(images) == 0:
        return
    low, high = float(tf.reduce_min(images)), float(tf.reduce_max(images))
    if low < -1e-6 or high > 1 + 1e-6:
        raise ValueError(
            f"{name} has values in [{low:g}, {high:g}], outside [0, 1]: "
            "this function works on images in [0, 1]; divide a [0, 255] "
            "image by 255")


def _one_per_image(values, images, name: str, what: str) -> None:
    """Refuse values unless their shape is (N,), N the number of images
    (compared when both are known)."""
    n = images.shape[0]
    count = values.shape[0] if values.shape.rank == 1 else None
    if values.shape.rank not in (1, None) or None not in (n, count) and \
            count != n:
        raise ValueError(f"{name} must hold one {what} per image ({n}), "
                         f"got shape {tuple(values.shape)}")


def _angles(angles, images):
    """Rotation angles as float32 (N,), one per image; NaN refused."""
    tf = _tf()
    angles = tf.cast(float_tensor(angles, "angles"), tf.float32)
    _one_per_image(angles, images, "angles", "angle")
    return angles


def _positions(ys, xs, images):
    """Sampling positions ys, xs as float32 (N, H', W'), one grid per image;
    NaN refused."""
    tf = _tf()
    ys, xs = (tf.cast(float_tensor(v, name), tf.float32)
              for v, name in ((ys, "ys"), (xs, "xs")))
    if ys.shape.rank != 3 or ys.shape != xs.shape:
        raise ValueError(
            "ys and xs must have the same shape (N, H', W'), one position "
            f"per output pixel; got {tuple(ys.shape)} and {tuple(xs.shape)}")
    if None not in (ys.shape[0], images.shape[0]) and \
            ys.shape[0] != images.shape[0]:
        raise ValueError(f"ys and xs must hold one grid of positions per "
                         f"image: {images.shape[0]} images, {ys.shape[0]} "
                         "grids")
    return ys, xs


def _partner_indices(other, images):
    """other as int32 (N,): the index of each image's partner, in [0, N)."""
    tf = _tf()
    other = tf.convert_to_tensor(other)
    if not other.dtype.is_integer:
        raise TypeError(f"other must hold integer indices, got "
                        f"{other.dtype.name}")
    _one_per_image(other, images, "other", "index")
    n = images.shape[0]
    if tf.executing_eagerly():
        bad = sorted({int(k) for k in other.numpy() if not 0 <= k < n})
        if bad:
            raise ValueError(f"other must hold indices in [0, {n}), got "
                             + ", ".join(map(str, bad[:5])))
    return tf.cast(other, tf.int32)


def _size(n, name="n"):
    """A batch size: a tensor as it is, or an int >= 0 (NumPy ints too)."""
    tf = _tf()
    return n if tf.is_tensor(n) else as_int(n, name, 0)


def _probability(name, p):
    try:
        number = real_number(p, name)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 1:
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    return number


def _non_negative(name, value):
    return real_number(value, name)


def _per_image(x):
    """Shape (N,) -> (N, 1, 1, 1), to broadcast over an NHWC batch."""
    return x[:, None, None, None]


def flip(images, rng, p=0.5):
    """Mirror each image left-right with probability p.

    x'[i, j] = x[i, W - 1 - j] for the chosen images, x' = x otherwise.
    """
    tf = _tf()
    images = _images(images)
    p = _probability("p", p)
    gen = _random(rng)
    chosen = tf.cast(gen.uniform([tf.shape(images)[0]]) < p, tf.float32)
    chosen = _per_image(chosen)  # 1.0 for the images to mirror, else 0.0
    return chosen * tf.reverse(images, [2]) + (1 - chosen) * images


def random_crop(images, rng, *, padding=0, size=None):
    """Zero-pad every side by `padding`, then cut a window of `size`
    (default: the original H, W) at a random place in each image.

    x'[i, j] = x_pad[top + i, left + j], top and left uniform over
    every position where the window fits.
    """
    tf = _tf()
    images = _images(images)
    padding = nonnegative_int(padding, "padding")
    height, width = images.shape[1], images.shape[2]
    crop_h, crop_w = (height, width) if size is None else int_pair(size, "size")
    room_h, room_w = height + 2 * padding, width + 2 * padding
    if not (0 < crop_h <= room_h and 0 < crop_w <= room_w):
        raise ValueError(f"size {(crop_h, crop_w)} must be positive and fit "
                         f"in the padded image {(room_h, room_w)}")
    padded = tf.pad(images, [[0, 0], [padding] * 2, [padding] * 2, [0, 0]])
    n = tf.shape(images)[0]
    gen = _random(rng)
    top = gen.uniform([n], 0, room_h - crop_h + 1, dtype=tf.int32)
    left = gen.uniform([n], 0, room_w - crop_w + 1, dtype=tf.int32)
    rows = top[:, None] + tf.range(crop_h)[None, :]  # (N, crop_h)
    cols = left[:, None] + tf.range(crop_w)[None, :]  # (N, crop_w)
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def sample_bilinear(images, ys, xs):
    """Read images at real-valued positions (ys, xs), each (N, H', W'),
    by bilinear interpolation between the four nearest pixels; pixels
    outside the image count as 0. Returns (N, H', W', C)."""
    tf = _tf()
    images = _images(images)
    ys, xs = _positions(ys, xs, images)
    n, height, width, channels = (tf.shape(images)[k] for k in range(4))
    pixels = tf.reshape(images, [-1, channels])  # one row per pixel
    first = (tf.range(n) * height * width)[:, None, None]  # image's row 0
    y0, x0 = tf.floor(ys), tf.floor(xs)
    out = 0.0
    for dy in (0, 1):
        for dx in (0, 1):
            y, x = y0 + dy, x0 + dx
            weight = (1 - tf.abs(ys - y)) * (1 - tf.abs(xs - x))
            inside = (y >= 0) & (x >= 0) & \
                (y <= tf.cast(height - 1, y.dtype)) & \
                (x <= tf.cast(width - 1, x.dtype))
            row = tf.clip_by_value(tf.cast(y, tf.int32), 0, height - 1)
            col = tf.clip_by_value(tf.cast(x, tf.int32), 0, width - 1)
            values = tf.gather(pixels, first + row * width + col)
            out += values * (weight * tf.cast(inside, tf.float32))[..., None]
    return out


def rotate(images, rng, max_degrees=15.0, *, angles=None):
    """Rotate each image about its centre by an angle drawn uniformly
    from [-max_degrees, max_degrees] (or by the given `angles`, one per
    image, in degrees; positive turns counter-clockwise).

    Output pixel (i, j) reads the input at the point rotated back:
    with c the centre and (u, v) = (i, j) - c (rows grow downwards),
    x'[i, j] = x[c_i + u cos t + v sin t, c_j - u sin t + v cos t],
    read by bilinear interpolation; corners that come from outside are
    0.
    """
    tf = _tf()
    images = _images(images)
    n, height, width = (tf.shape(images)[k] for k in range(3))
    if angles is None:
        max_degrees = _non_negative("max_degrees", max_degrees)
        angles = _random(rng).uniform([n], -max_degrees, max_degrees)
    angles = _angles(angles, images)  # float32, one per image
    theta = _per_image(angles * math.pi / 180)[..., 0]  # (N, 1, 1)
    ci = tf.cast(height - 1, tf.float32) / 2
    cj = tf.cast(width - 1, tf.float32) / 2
    i, j = tf.meshgrid(tf.range(height, dtype=tf.float32),
                       tf.range(width, dtype=tf.float32), indexing="ij")
    u, v = i[None] - ci, j[None] - cj
    ys = ci + u * tf.cos(theta) + v * tf.sin(theta)
    xs = cj - u * tf.sin(theta) + v * tf.cos(theta)
    return sample_bilinear(images, ys, xs)


def colour_jitter(images, rng, brightness=0.2, contrast=0.2,
                  saturation=0.2):
    """Random brightness, contrast and saturation per image, for images
    in [0, 1]; the result is clipped to [0, 1].

    With b ~ U[-brightness, brightness], c ~ U[1 - contrast,
    1 + contrast], s ~ U[1 - saturation, 1 + saturation]:
      brightness  x <- x + b
      contrast    x <- m + c (x - m), m the image's mean per channel
      saturation  x <- g + s (x - g), g the grey value
                  0.299 R + 0.587 G + 0.114 B (colour images only)
    """
    tf = _tf()
    images = _images(images)
    _in_unit_range(images)
    amounts = {"brightness": brightness, "contrast": contrast,
               "saturation": saturation}
    for name, value in amounts.items():
        _non_negative(name, value)
    if not contrast <= 1 or not saturation <= 1:
        raise ValueError(f"contrast and saturation must be <= 1 (a factor "
                         f"of 1 +- that), got {contrast}, {saturation}")
    gen = _random(rng)
    n = tf.shape(images)[0]

    def draw(low, high):
        return _per_image(gen.uniform([n], low, high))

    x = images + draw(-brightness, brightness)
    mean = tf.reduce_mean(x, axis=(1, 2), keepdims=True)
    x = mean + draw(1 - contrast, 1 + contrast) * (x - mean)
    if images.shape[-1] == 3:
        grey = tf.reduce_sum(x * [0.299, 0.587, 0.114], -1, keepdims=True)
        x = grey + draw(1 - saturation, 1 + saturation) * (x - grey)
    return tf.clip_by_value(x, 0.0, 1.0)


def box_mask(height, width, boxes):
    """A mask M of shape (N, H, W, 1): 1.0 inside each image's box, 0.0
    outside; boxes is (N, 4) ints (top, left, bottom, right), bottom and
    right exclusive. M is a product of a row mask and a column mask."""
    tf = _tf()
    boxes = tf.cast(boxes, tf.int32)
    if boxes.shape.rank != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"boxes must be (N, 4): top, left, bottom, right; "
                         f"got shape {tuple(boxes.shape)}")
    if not (tf.is_tensor(height) or tf.is_tensor(width)) and \
            boxes.shape[0] is not None:
        check_allocation(4 * boxes.shape[0] * positive_int(height, "height")
                         * positive_int(width, "width"), "the box mask")
    rows, cols = tf.range(height)[None, :], tf.range(width)[None, :]
    in_rows = (rows >= boxes[:, 0:1]) & (rows < boxes[:, 2:3])  # (N, H)
    in_cols = (cols >= boxes[:, 1:2]) & (cols < boxes[:, 3:4])  # (N, W)
    return tf.cast(in_rows, tf.float32)[:, :, None, None] * \
        tf.cast(in_cols, tf.float32)[:, None, :, None]


def cutout(images, rng, size=8):
    """Set a size x size square of each image to 0, at a random place
    where the whole square fits, so every image loses size**2 pixels."""
    tf = _tf()
    images = _images(images)
    height, width = images.shape[1], images.shape[2]
    size = positive_int(size, "size")
    if size > min(height, width):
        raise ValueError(f"size {size} is larger than the image "
                         f"({height}x{width})")
    gen = _random(rng)
    n = tf.shape(images)[0]
    top = gen.uniform([n], 0, height - size + 1, dtype=tf.int32)
    left = gen.uniform([n], 0, width - size + 1, dtype=tf.int32)
    boxes = tf.stack([top, left, top + size, left + size], axis=1)
    return images * (1 - box_mask(height, width, boxes))


def _labels(labels, n):
    tf = _tf()
    labels = tf.convert_to_tensor(labels)
    if labels.shape.rank != 2 or not labels.dtype.is_floating:
        raise ValueError(f"labels must be one-hot floats of shape "
                         f"(N, classes), got {labels.dtype.name} "
                         f"{tuple(labels.shape)}")
    if labels.shape[0] is not None and n is not None and labels.shape[0] != n:
        raise ValueError(f"images and labels must hold the same number of "
                         f"examples, got {n} and {labels.shape[0]}")
    return tf.cast(float_tensor(labels, "labels"), tf.float32)


def _alpha(alpha):
    try:
        return real_number(alpha, "alpha", positive=True)
    except ValueError:
        raise ValueError(f"alpha must be a number > 0, got {alpha!r}") from None


def partners(rng, n):
    """A random permutation of range(n): example k is mixed with
    example partners[k]."""
    tf = _tf()
    n = _size(n)
    if not tf.is_tensor(n):
        check_allocation(12 * n, f"a permutation of {n:,} examples")
    return tf.argsort(_random(rng).uniform([n]))


def beta(rng, n, alpha):
    """n draws from Beta(alpha, alpha), as G1 / (G1 + G2) with G1, G2
    independent Gamma(alpha) draws."""
    tf = _tf()
    alpha = _alpha(alpha)
    n = _size(n)
    if not tf.is_tensor(n):
        check_allocation(12 * n, f"{n:,} Beta draws")
    gen = _random(rng)
    g1 = tf.random.stateless_gamma([n], gen.next_seed(), alpha=alpha)
    g2 = tf.random.stateless_gamma([n], gen.next_seed(), alpha=alpha)
    return g1 / (g1 + g2)


def mixup(images, labels, rng, alpha=0.2):
    """Mixup: blend each example with a partner from the same batch.

    x' = lam x + (1 - lam) x_partner, y' = lam y + (1 - lam) y_partner,
    lam ~ Beta(alpha, alpha) per example; labels are one-hot (N, K).
    """
    tf = _tf()
    images = _images(images)
    labels = _labels(labels, images.shape[0])
    gen = _random(rng)
    n = tf.shape(images)[0]
    lam = beta(gen, n, alpha)
    other = partners(gen, n)
    mixed = _per_image(lam) * images + \
        _per_image(1 - lam) * tf.gather(images, other)
    mixed_labels = lam[:, None] * labels + \
        (1 - lam[:, None]) * tf.gather(labels, other)
    return mixed, mixed_labels


def cutmix_boxes(rng, n, height, width, alpha=1.0):
    """Boxes (N, 4) of (top, left, bottom, right) for CutMix.

    lam ~ Beta(alpha, alpha); the box has sides H sqrt(1 - lam) and
    W sqrt(1 - lam) (rounded), a centre drawn uniformly over the image,
    and is clipped to the image, so boxes near a border are smaller.
    """
    tf = _tf()
    gen = _random(rng)
    lam = beta(gen, n, alpha)
    side = tf.sqrt(1 - lam)
    box_h = tf.cast(tf.round(side * tf.cast(height, tf.float32)), tf.int32)
    box_w = tf.cast(tf.round(side * tf.cast(width, tf.float32)), tf.int32)
    ci = gen.uniform([n], 0, height, dtype=tf.int32)
    cj = gen.uniform([n], 0, width, dtype=tf.int32)
    top = tf.clip_by_value(ci - box_h // 2, 0, height)
    left = tf.clip_by_value(cj - box_w // 2, 0, width)
    bottom = tf.clip_by_value(ci - box_h // 2 + box_h, 0, height)
    right = tf.clip_by_value(cj - box_w // 2 + box_w, 0, width)
    return tf.stack([top, left, bottom, right], axis=1)


def paste(images, labels, boxes, other):
    """Paste the box of example other[k] into example k and mix labels by
    the box's share of the image, counted in whole pixels:
    x' = (1 - M) x + M x_other, y' = (1 - a) y + a y_other,
    M = box_mask(...) and a = box area / (H W)."""
    tf = _tf()
    images = _images(images)
    labels = _labels(labels, images.shape[0])
    other = _partner_indices(other, images)
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    boxes = tf.cast(boxes, tf.int32)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    share = tf.cast(area, tf.float32) / tf.cast(height * width, tf.float32)
    mask = box_mask(height, width, boxes)
    pasted = (1 - mask) * images + mask * tf.gather(images, other)
    mixed_labels = (1 - share[:, None]) * labels + \
        share[:, None] * tf.gather(labels, other)
    return pasted, mixed_labels


def cutmix(images, labels, rng, alpha=1.0):
    """CutMix: paste a random box of a partner example into each image
    and mix the one-hot labels (N, K) by the box's area share."""
    tf = _tf()
    images = _images(images)
    gen = _random(rng)
    n = tf.shape(images)[0]
    boxes = cutmix_boxes(gen, n, tf.shape(images)[1], tf.shape(images)[2],
                         alpha)
    return paste(images, labels, boxes, partners(gen, n))


# RandAugment's operations, each at a magnitude fraction f = M / 10 in [0, 1]
# and with a sign s = +-1 drawn per image for the ones that have a direction.
RAND_AUGMENT_OPS = ("identity", "rotate", "shift_x", "shift_y",
                    "brightness", "contrast", "solarize", "posterize")


def _magnitude(m):
    try:
        m = real_number(m, "m")
    except ValueError:
        m = -1.0
    if not 0 <= m <= 10:
        raise ValueError(f"m must be a magnitude in [0, 10] (RandAugment's "
                         f"scale), got {m!r}")
    return m


def rand_augment_op(images, op: str, m, signs=None):
    """One RandAugment operation on a batch (N, H, W, C) in [0, 1], at
    magnitude m in [0, 10] (f = m / 10) and direction signs (N,) of +-1
    (default +1):
      identity    x
      rotate      by s * 30 f degrees (bilinear, corners 0)
      shift_x/y   by s * round(0.3 f W) (or H) pixels, the gap filled with 0
      brightness  x * (1 + 0.9 s f), clipped to [0, 1]
      contrast    mean + (1 + 0.9 s f) (x - mean), per image, clipped
      solarize    1 - x where x > 1 - f, else x
      posterize   keep 8 - round(4 f) bits of the 8-bit value
    Magnitude 0 leaves every image as it is.
    """
    tf = _tf()
    images = _images(images)
    if op not in RAND_AUGMENT_OPS:
        raise ValueError(f"op must be one of {', '.join(RAND_AUGMENT_OPS)}; "
                         f"got {op!r}")
    f = _magnitude(m) / 10
    n = tf.shape(images)[0]
    signs = tf.ones([n]) if signs is None else \
        tf.cast(float_tensor(signs, "signs"), tf.float32)
    _one_per_image(signs, images, "signs", "sign")
    if op == "identity" or f == 0:
        return images
    if op == "rotate":
        return rotate(images, None, angles=30 * f * signs)
    if op in ("shift_x", "shift_y"):
        axis = 2 if op == "shift_x" else 1
        size = images.shape[axis]
        most = round(0.3 * f * size)  # whole pixels
        step = tf.cast(signs, tf.int32) * most  # per image, +-most
        pads = [[0, 0]] * 4
        pads[axis] = [most, most]
        padded = tf.pad(images, pads)  # zeros fill the gap
        rows = most - step[:, None] + tf.range(size)[None, :]  # (N, size)
        return tf.gather(padded, rows, axis=axis, batch_dims=1)
    if op == "brightness":
        return tf.clip_by_value(images * _per_image(1 + 0.9 * signs * f),
                                0.0, 1.0)
    if op == "contrast":
        mean = tf.reduce_mean(images, axis=(1, 2, 3), keepdims=True)
        factor = _per_image(1 + 0.9 * signs * f)
        return tf.clip_by_value(mean + factor * (images - mean), 0.0, 1.0)
    if op == "solarize":
        return tf.where(images > 1 - f, 1 - images, images)
    drop = 2.0 ** round(4 * f)  # posterize: 8-bit values in steps of drop
    return tf.floor(tf.round(images * 255) / drop) * drop / 255


@_graph_as_written
def rand_augment(images, rng, n=2, m=9, ops=RAND_AUGMENT_OPS):
    """RandAugment from scratch: apply n operations to every image, each
    picked uniformly at random (with repeats) from `ops`, all at the one
    magnitude m in [0, 10] (see rand_augment_op), with a random direction
    per image. Images (N, H, W, C) in [0, 1]; each image draws its own
    operations (keras.layers.RandAugment draws them once per batch).

    Each operation runs once, on the images that drew it, gathered into
    one batch and scattered back: a pass costs about one operation on
    the whole batch.
    """
    tf = _tf()
    images = _images(images)
    _in_unit_range(images)
    n_ops = nonnegative_int(n, "n")
    m = _magnitude(m)
    if isinstance(ops, str) or not ops or \
            any(op not in RAND_AUGMENT_OPS for op in ops):
        raise ValueError(f"ops must be a non-empty sequence of names from "
                         f"{', '.join(RAND_AUGMENT_OPS)}; got {ops!r}")
    gen = _random(rng)
    batch = tf.shape(images)[0]
    x = images
    for _ in range(n_ops):
        picked = gen.uniform([batch], 0, len(ops), dtype=tf.int32)
        signs = tf.where(gen.uniform([batch]) < 0.5, -1.0, 1.0)
        for k, op in enumerate(ops):
            rows = tf.where(picked == k)  # (count, 1): who drew op k
            done = rand_augment_op(tf.gather_nd(x, rows), op, m,
                                   tf.gather_nd(signs, rows))
            x = tf.tensor_scatter_nd_update(x, rows, done)
    return x
