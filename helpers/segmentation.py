"""Semantic segmentation: scoring masks, losses for training, pictures.

Taught in chapter 15. A mask is an integer array of class labels, one per
pixel: shape (H, W) for one image or (N, H, W) for a batch, labels 0 ..
C - 1 with 0 the background.

- Metrics (NumPy): :func:`confusion_matrix`, :func:`pixel_accuracy`,
  :func:`per_class_iou`, :func:`mean_iou`, :func:`dice`; each takes an
  optional boolean ``where`` mask that picks the pixels to score, such as
  the band along object edges that :func:`boundary_band` returns.
- Losses (Keras, per image): :func:`pixel_cross_entropy` and
  :func:`soft_dice_loss`, on the network's (N, H, W, C) logits.
- Pictures: :func:`colourise` paints a mask with :data:`PALETTE`;
  :func:`overlay` blends that painting over the photo.

The U-Net and the skip-less FCN are built in :mod:`helpers.models`.
"""

from __future__ import annotations

import numpy as np

from helpers.validate import as_int, finite_array, real_number, value_range_of

#: RGB colour of each class: a dark grey background, then the Okabe-Ito
#: colours (distinct for the common forms of colour blindness): orange,
#: sky blue, bluish green, yellow, reddish purple, vermillion, blue.
PALETTE = np.array([
    (64, 64, 64), (230, 159, 0), (86, 180, 233), (0, 158, 115),
    (240, 228, 66), (204, 121, 167), (213, 94, 0), (0, 114, 178),
], dtype=np.uint8)


# ------------------------------------------------------------ checking masks


def _mask(mask, name: str) -> np.ndarray:
    """mask as an integer array of shape (H, W) or (N, H, W), or a
    ValueError that says what to pass instead."""
    array = np.asarray(mask)
    if array.dtype.kind not in "iu":
        raise ValueError(
            f"{name} must hold integer class labels, got dtype {array.dtype}"
            ": turn scores of shape (..., C) into labels with "
            "argmax(axis=-1), or cast whole numbers with .astype(int)")
    if array.ndim not in (2, 3) or array.size == 0:
        raise ValueError(f"{name} must have shape (H, W) or (N, H, W) and "
                         f"hold pixels, got shape {array.shape}")
    return array


def _labels(mask, name: str, n_classes: int) -> np.ndarray:
    """_mask, refused unless every label lies in 0 .. n_classes - 1."""
    array = _mask(mask, name)
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= n_classes:
        raise ValueError(
            f"{name} holds labels in [{low}, {high}] but n_classes is "
            f"{n_classes}, so labels must lie in [0, {n_classes - 1}]: "
            "pass the right n_classes or fix the labels")
    return array


def _pair(true, pred, n_classes=None, where=None):
    """Checked (true, pred) as flat arrays of the pixels ``where`` picks;
    labels checked against n_classes unless it is None."""
    if n_classes is None:
        true, pred = _mask(true, "true"), _mask(pred, "pred")
    else:
        n_classes = as_int(n_classes, "n_classes", 1)
        true = _labels(true, "true", n_classes)
        pred = _labels(pred, "pred", n_classes)
    if true.shape != pred.shape:
        raise ValueError(f"true has shape {true.shape} but pred "
                         f"{pred.shape}: compare masks of the same images")
    if where is None:
        return true.ravel(), pred.ravel()
    where = np.asarray(where)
    if where.dtype != bool or where.shape != true.shape:
        raise ValueError(f"where must be a boolean array of shape "
                         f"{true.shape}, got {where.dtype} {where.shape}")
    if not where.any():
        raise ValueError("where selects no pixel: there is nothing to score")
    return true[where], pred[where]


# ------------------------------------------------------------------- metrics


def confusion_matrix(true, pred, n_classes: int, where=None) -> np.ndarray:
    """Pixel counts: entry [i, j] is the number of pixels of class i that
    were predicted as class j (rows: truth, columns: prediction). Shape
    (n_classes, n_classes), int64. ``where`` (boolean, the masks' shape)
    restricts the count to the pixels where it is True."""
    true, pred = _pair(true, pred, n_classes, where)
    n = int(n_classes)
    pairs = true.astype(np.int64) * n + pred
    return np.bincount(pairs, minlength=n * n).reshape(n, n)


def pixel_accuracy(true, pred, where=None) -> float:
    """Fraction of pixels whose predicted class is the true one."""
    true, pred = _pair(true, pred, where=where)
    return float(np.mean(true == pred))


def _overlap(true, pred, n_classes, where):
    """Per class: pixels in both masks, and pixels in either mask."""
    counts = confusion_matrix(true, pred, n_classes, where)
    both = np.diag(counts)
    either = counts.sum(axis=0) + counts.sum(axis=1) - both
    return both, either


def per_class_iou(true, pred, n_classes: int, where=None) -> np.ndarray:
    """Intersection over union of each class, shape (n_classes,):
    |true == c and pred == c| / |true == c or pred == c|.

    A class absent from both masks has no IoU: its entry is NaN (not 0,
    which would punish a correct "not there", nor 1, which would reward
    it), and :func:`mean_iou` leaves it out.
    """
    both, either = _overlap(true, pred, n_classes, where)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(either > 0, both / either, np.nan)


def mean_iou(true, pred, n_classes: int, where=None) -> float:
    """Mean of :func:`per_class_iou` over the classes present in the true
    or the predicted mask (NaN entries skipped), as keras.metrics.MeanIoU
    computes it."""
    return float(np.nanmean(per_class_iou(true, pred, n_classes, where)))


def dice(true, pred, n_classes: int, where=None) -> np.ndarray:
    """Dice coefficient of each class, shape (n_classes,):
    2 |true == c and pred == c| / (|true == c| + |pred == c|), which is
    2 IoU / (1 + IoU). NaN for a class absent from both masks."""
    both, either = _overlap(true, pred, n_classes, where)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(either > 0, 2 * both / (either + both), np.nan)


def boundary_band(mask, width: int = 2) -> np.ndarray:
    """Boolean array, True for the pixels within ``width`` pixels of a
    pixel of another class (up, down, across or diagonally): the thin
    band along the edges between classes, on both sides of each edge.

    A pixel is in the band when the largest and the smallest label in the
    (2 * width + 1)-pixel square around it differ. The image border is
    not an edge. Same shape as ``mask``; in a batch each image is treated
    on its own."""
    from scipy import ndimage

    mask = _mask(mask, "mask")
    width = as_int(width, "width", 1)
    window = (2 * width + 1,) * 2
    if mask.ndim == 3:
        window = (1,) + window
    high = ndimage.maximum_filter(mask, size=window, mode="nearest")
    low = ndimage.minimum_filter(mask, size=window, mode="nearest")
    return high != low


# -------------------------------------------------------------------- losses


def _label_tensor(y_true, y_pred):
    """y_true as (N, H, W) int32 labels, after checking y_pred's rank."""
    from keras import ops

    if len(y_pred.shape) != 4:
        raise ValueError(f"y_pred must be (N, H, W, C) scores, got shape "
                         f"{tuple(y_pred.shape)}")
    labels = ops.cast(y_true, "int32")
    if len(labels.shape) == 4:  # (N, H, W, 1): drop the channel axis
        labels = ops.squeeze(labels, axis=-1)
    return labels


def pixel_cross_entropy(y_true, y_pred, from_logits: bool = True):
    """Cross-entropy of every pixel, averaged over each image: shape (N,).

    y_true: (N, H, W) integer labels; y_pred: (N, H, W, C) logits (or
    probabilities with from_logits=False). Usable as a Keras loss; Keras
    then averages over the batch, giving the mean over all pixels, as
    keras.losses.SparseCategoricalCrossentropy does.
    """
    from keras import ops

    labels = _label_tensor(y_true, y_pred)
    per_pixel = ops.sparse_categorical_crossentropy(
        labels, y_pred, from_logits=from_logits)
    return ops.mean(per_pixel, axis=(1, 2))


def soft_dice_loss(y_true, y_pred, from_logits: bool = True,
                   smooth: float = 1.0):
    """1 - soft Dice, averaged over the classes, per image: shape (N,).

    With p the softmax probabilities and t the one-hot truth, the soft
    Dice of class c in one image is

        (2 * sum(p_c * t_c) + smooth) / (sum(p_c) + sum(t_c) + smooth)

    summed over the image's pixels: Dice with probabilities in place of
    0/1 predictions, so it has a gradient. Each class counts equally,
    however few pixels it covers. ``smooth`` keeps the ratio defined when a
    class is absent from both truth and prediction (it is then 1: nothing
    to lose) and damps the gradient of tiny objects. For other settings
    in ``compile``, pass ``functools.partial(soft_dice_loss, smooth=...)``.
    """
    from keras import ops

    smooth = real_number(smooth, "smooth")
    labels = _label_tensor(y_true, y_pred)
    probs = ops.softmax(y_pred, axis=-1) if from_logits else y_pred
    targets = ops.one_hot(labels, y_pred.shape[-1], dtype=probs.dtype)
    overlap = ops.sum(probs * targets, axis=(1, 2))
    sizes = ops.sum(probs, axis=(1, 2)) + ops.sum(targets, axis=(1, 2))
    per_class = (2 * overlap + smooth) / (sizes + smooth)
    return 1 - ops.mean(per_class, axis=-1)


# ------------------------------------------------------------------ pictures


def colourise(mask, palette=PALETTE) -> np.ndarray:
    """Paint a mask: (..., H, W) labels -> (..., H, W, 3) uint8 RGB, class
    c in colour palette[c] (by default :data:`PALETTE`)."""
    mask = _mask(mask, "mask")
    colours = np.asarray(palette)
    if colours.ndim != 2 or colours.shape[1] != 3 or \
            colours.dtype != np.uint8:
        raise ValueError(f"palette must be a (K, 3) uint8 array of RGB "
                         f"colours, got {colours.dtype} {colours.shape}")
    _labels(mask, "mask", len(colours))
    return colours[mask]


def _unit_image(image) -> np.ndarray:
    """An RGB image as float32 in [0, 1]: uint8 is divided by 255, floats
    must already lie in [0, 1]."""
    picture = finite_array(image, "image")
    if picture.dtype == np.uint8:
        return picture.astype(np.float32) / 255
    if picture.dtype.kind != "f":
        raise ValueError(f"image must be uint8 or float in [0, 1], got "
                         f"{picture.dtype}")
    value_range_of(picture, (0.0, 1.0), "image")
    return picture.astype(np.float32)


def overlay(image, mask, alpha: float = 0.5, palette=PALETTE) -> np.ndarray:
    """Blend a colourised mask over an RGB image (H, W, 3), or a batch.

    Object pixels (class > 0) become (1 - alpha) * image + alpha * colour;
    background pixels keep the image. ``image`` is uint8 or float in
    [0, 1]; returns float32 in [0, 1], ready for ``plt.imshow``.
    """
    picture = _unit_image(image)
    colours = colourise(mask, palette).astype(np.float32) / 255
    if picture.shape != colours.shape:
        raise ValueError(f"image has shape {picture.shape}, so the mask "
                         f"must be {picture.shape[:-1]}, got "
                         f"{np.shape(mask)}")
    alpha = real_number(alpha, "alpha")
    if alpha > 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    objects = (np.asarray(mask) > 0)[..., None]
    blend = (1 - alpha) * picture + alpha * colours
    return np.where(objects, blend, picture)


__all__ = ["PALETTE", "boundary_band", "colourise", "confusion_matrix",
           "dice", "mean_iou", "overlay", "per_class_iou", "pixel_accuracy",
           "pixel_cross_entropy", "soft_dice_loss"]
