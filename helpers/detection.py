"""Boxes, anchors, box encoding, assignment, losses, NMS and AP (chapter 16).

One convention for boxes throughout: a box is ``[y0, x0, y1, x1]`` in
pixels -- top, left, bottom, right, the order ``tf.image`` uses -- with
``y0 <= y1`` and ``x0 <= x1``. Coordinates are continuous: pixel ``(r, c)``
covers the unit square ``[r, r+1) x [c, c+1)``, so the tight box of the
pixels in rows ``r0..r1`` and columns ``c0..c1`` is
``[r0, c0, r1 + 1, c1 + 1]`` and its area is a pixel count (no "+1" as in
the old VOC devkit). Arrays of boxes have shape ``(..., 4)``.

Class labels: ``0`` is the background, objects are ``1..C``; in assignment
targets ``-1`` marks an anchor that is ignored by the loss.

Box geometry, anchors, encoding, NMS and AP are NumPy (they run on a few
thousand boxes); the losses are TensorFlow ops, since the chapter trains
with them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helpers.validate import finite_array, positive_int, real_number

#: SSD's scaling of the encoded offsets (centre y, centre x, log h, log w):
#: dividing by them brings the targets of matched anchors to roughly unit
#: size, where a smooth-L1 loss has useful gradients.
SSD_VARIANCES = (0.1, 0.1, 0.2, 0.2)
#: decode() clips log-size offsets here, so an untrained head cannot
#: overflow exp(): a box may be at most ~62 times its anchor's side.
MAX_LOG_SCALE = float(np.log(1000.0 / 16))
#: COCO's IoU thresholds 0.50, 0.55, ..., 0.95.
COCO_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


def _tf():
    import tensorflow as tf

    return tf


# ------------------------------------------------------------ box geometry
def check_boxes(boxes, name: str = "boxes", ndim: int | None = 2
                ) -> np.ndarray:
    """``boxes`` as a float64 array of ``[y0, x0, y1, x1]`` rows, or a
    ValueError that says what is wrong and what to do.

    ``ndim=2`` (the default) asks for an (N, 4) array; ``ndim=None``
    accepts any (..., 4). Corners out of order are refused, not swapped.
    """
    array = finite_array(boxes, name).astype(np.float64)
    if array.ndim == 0 or array.shape[-1] != 4 or (
            ndim is not None and array.ndim != ndim):
        wanted = "(N, 4)" if ndim == 2 else "(..., 4)"
        hint = " (one box: pass box[None])" if array.shape == (4,) else ""
        raise ValueError(f"{name} must have shape {wanted} with rows "
                         f"[y0, x0, y1, x1], got {array.shape}{hint}")
    bad = (array[..., 2] < array[..., 0]) | (array[..., 3] < array[..., 1])
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name}{list(first)} = {array[first].tolist()} has y1 < y0 or "
            "x1 < x0: boxes are [y0, x0, y1, x1] (top, left, bottom, "
            "right); swap the corners if yours are [x0, y0, x1, y1]")
    return array


def box_area(boxes) -> np.ndarray:
    """Area of each box, (..., 4) -> (...); zero for a degenerate box."""
    b = check_boxes(boxes, ndim=None)
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def to_centre(boxes) -> np.ndarray:
    """Corner form ``[y0, x0, y1, x1]`` -> centre form ``[cy, cx, h, w]``."""
    b = check_boxes(boxes, ndim=None)
    size = b[..., 2:] - b[..., :2]
    return np.concatenate([b[..., :2] + size / 2, size], axis=-1)


def from_centre(centres) -> np.ndarray:
    """Centre form ``[cy, cx, h, w]`` -> corner form ``[y0, x0, y1, x1]``."""
    c = finite_array(centres, "centres").astype(np.float64)
    if c.ndim == 0 or c.shape[-1] != 4:
        raise ValueError("centres must have shape (..., 4) with rows "
                         f"[cy, cx, h, w], got {c.shape}")
    if (c[..., 2:] < 0).any():
        raise ValueError("centres hold a negative height or width; "
                         "sizes h and w must be >= 0")
    half = c[..., 2:] / 2
    return np.concatenate([c[..., :2] - half, c[..., :2] + half], axis=-1)


def iou(a, b) -> np.ndarray:
    """Intersection over union of every box in ``a`` with every box in
    ``b``: (N, 4) x (M, 4) -> (N, M), values in [0, 1].

    A box of zero area overlaps nothing: its IoU is 0, never NaN.
    """
    a, b = check_boxes(a, "a"), check_boxes(b, "b")
    # the intersection is the box between the larger top-left corner and
    # the smaller bottom-right corner; broadcasting pairs every a with every b
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    sides = np.clip(bottom_right - top_left, 0, None)  # disjoint: 0
    inter = sides[..., 0] * sides[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    # union is 0 only when both boxes are degenerate: then IoU is 0, not 0/0
    return np.divide(inter, union, out=np.zeros_like(inter),
                     where=union > 0)


# ------------------------------------------------------------ anchors
def _positive_sizes(values, name: str) -> np.ndarray:
    array = finite_array(values, name).astype(np.float64).reshape(-1)
    if array.size == 0 or (array <= 0).any():
        raise ValueError(f"{name} must be one or more positive numbers, "
                         f"got {np.asarray(values).tolist()}")
    return array


def anchors(feature_shape: tuple[int, int], image_size: tuple[int, int],
            scales: Sequence[float], aspect_ratios: Sequence[float] = (1.0,)
            ) -> np.ndarray:
    """The anchor boxes of one feature map, (H * W * A, 4), in pixels.

    A feature map of ``feature_shape = (H, W)`` cells over an image of
    ``image_size = (height, width)`` pixels puts one cell every
    ``height / H`` by ``width / W`` pixels; every cell gets
    ``A = len(scales) * len(aspect_ratios)`` anchors centred on it (SSD).
    An anchor of scale ``s`` (its side, the square root of its area, in
    pixels) and aspect ratio ``r = w / h`` is ``s / sqrt(r)`` high and
    ``s * sqrt(r)`` wide. Anchors are not clipped to the image.

    Order: row by row over the cells, then column, then scale, then ratio
    -- the order of a head's ``(N, H, W, A * k)`` output reshaped to
    ``(N, H * W * A, k)``.
    """
    if len(feature_shape) != 2 or len(image_size) != 2:
        raise ValueError("feature_shape and image_size are (height, width)"
                         f" pairs, got {feature_shape} and {image_size}")
    rows, cols = (positive_int(v, "feature_shape") for v in feature_shape)
    height, width = _positive_sizes(image_size, "image_size")
    scales = _positive_sizes(scales, "scales")
    ratios = _positive_sizes(aspect_ratios, "aspect_ratios")
    cy = (np.arange(rows) + 0.5) * (height / rows)  # cell centres
    cx = (np.arange(cols) + 0.5) * (width / cols)
    s, r = np.meshgrid(scales, ratios, indexing="ij")  # scale, then ratio
    h, w = (s / np.sqrt(r)).ravel(), (s * np.sqrt(r)).ravel()
    cy, cx, h = np.meshgrid(cy, cx, h, indexing="ij")  # (H, W, A) each
    w = np.broadcast_to(w, h.shape)
    return from_centre(np.stack([cy, cx, h, w], axis=-1).reshape(-1, 4))


def multilevel_anchors(levels: Sequence[tuple[tuple[int, int],
                                              Sequence[float]]],
                       image_size: tuple[int, int],
                       aspect_ratios: Sequence[float] = (1.0,)
                       ) -> np.ndarray:
    """Anchors of several feature maps, concatenated in the order given:
    ``levels`` is a sequence of ``(feature_shape, scales)``, e.g. a fine
    map with small anchors and a coarse map with large ones."""
    if len(levels) == 0:
        raise ValueError("levels must name at least one "
                         "(feature_shape, scales) pair")
    return np.concatenate([anchors(shape, image_size, scales, aspect_ratios)
                           for shape, scales in levels])


# ------------------------------------------------------------ encoding
def _variances(variances) -> np.ndarray:
    v = _positive_sizes(variances, "variances")
    if v.shape != (4,):
        raise ValueError("variances must be 4 positive numbers (centre y, "
                         f"centre x, log h, log w), got {v.tolist()}")
    return v


def encode(boxes, anchor_boxes, variances=SSD_VARIANCES) -> np.ndarray:
    """Each box as offsets from its anchor (SSD / Faster R-CNN), (..., 4):
    the centre shift in units of the anchor's size, and the log of the
    size ratio, each divided by its variance. Boxes and anchors pair up
    row by row (shapes broadcast); both need positive height and width.
    """
    box, anchor = to_centre(boxes), to_centre(anchor_boxes)
    for name, c in (("boxes", box), ("anchors", anchor)):
        if (c[..., 2:] <= 0).any():
            raise ValueError(f"{name} hold a box of zero height or width, "
                             "which has no log size: drop such boxes first")
    shift = (box[..., :2] - anchor[..., :2]) / anchor[..., 2:]
    log_scale = np.log(box[..., 2:] / anchor[..., 2:])
    return np.concatenate([shift, log_scale], axis=-1) / _variances(variances)


def decode(deltas, anchor_boxes, variances=SSD_VARIANCES) -> np.ndarray:
    """The inverse of :func:`encode`: offsets and their anchors -> boxes.

    Log-size offsets are clipped at :data:`MAX_LOG_SCALE` first, so that a
    wild prediction gives a big box rather than an overflow.
    """
    d = finite_array(deltas, "deltas").astype(np.float64)
    if d.ndim == 0 or d.shape[-1] != 4:
        raise ValueError(f"deltas must have shape (..., 4), got {d.shape}")
    d = d * _variances(variances)
    anchor = to_centre(anchor_boxes)
    centre = anchor[..., :2] + d[..., :2] * anchor[..., 2:]
    size = anchor[..., 2:] * np.exp(np.minimum(d[..., 2:], MAX_LOG_SCALE))
    return from_centre(np.concatenate([centre, size], axis=-1))


# ------------------------------------------------------------ assignment
def _check_assign(anchor_boxes, boxes, labels, pos_iou, neg_iou):
    anchor_boxes = check_boxes(anchor_boxes, "anchors")
    boxes = check_boxes(boxes, "boxes")
    labels = np.asarray(labels)
    if labels.shape != (len(boxes),) or (
            len(labels) and (labels.dtype.kind not in "iu"
                             or labels.min() < 1)):
        raise ValueError(f"labels must be {len(boxes)} ints >= 1 (one per "
                         "box; 0 is the background), got "
                         f"{labels.tolist()}")
    pos = real_number(pos_iou, "pos_iou")
    neg = real_number(neg_iou, "neg_iou")
    if not 0 < neg <= pos <= 1:
        raise ValueError("need 0 < neg_iou <= pos_iou <= 1, got "
                         f"neg_iou={neg}, pos_iou={pos}")
    return anchor_boxes, boxes, labels, pos, neg


def assign(anchor_boxes, boxes, labels, pos_iou: float = 0.5,
           neg_iou: float = 0.4, variances=SSD_VARIANCES
           ) -> tuple[np.ndarray, np.ndarray]:
    """Training targets for one image: ``(classes, deltas)``.

    ``classes`` (A,) int: the label (1..C) of the anchor's best-matching
    box if their IoU >= ``pos_iou``; 0 (background) if the best IoU is
    below ``neg_iou``; -1 (ignored by the loss) in between, where the
    anchor is neither clearly an object nor clearly background.

    Every box also claims its own best anchor, whatever their IoU (if not
    0): a small or oddly shaped box may reach ``pos_iou`` with no anchor
    at all, and without this rule the detector would never be taught to
    find it. If two boxes share a best anchor, the better match keeps it.
    A box of zero area overlaps nothing, so it matches no anchor.

    ``deltas`` (A, 4): the matched box encoded relative to the anchor
    (:func:`encode`) for positive anchors, zeros elsewhere.
    """
    anchor_boxes, boxes, labels, pos, neg = _check_assign(
        anchor_boxes, boxes, labels, pos_iou, neg_iou)
    classes = np.zeros(len(anchor_boxes), np.int64)
    deltas = np.zeros((len(anchor_boxes), 4))
    if len(boxes) == 0:
        return classes, deltas  # an empty image: all background
    overlaps = iou(anchor_boxes, boxes)  # (A, M)
    best_box = overlaps.argmax(axis=1)
    best_iou = overlaps.max(axis=1)
    # each box claims its best anchor; in rising order of IoU, so that
    # when two boxes want one anchor the better match is written last
    best_anchor = overlaps.argmax(axis=0)
    for j in np.argsort(overlaps.max(axis=0), kind="stable"):
        if overlaps[best_anchor[j], j] == 0:
            continue  # no anchor touches this box: nothing to claim
        best_box[best_anchor[j]] = j
        best_iou[best_anchor[j]] = max(pos, overlaps[best_anchor[j], j])
    positive = best_iou >= pos
    classes[(best_iou >= neg) & ~positive] = -1
    classes[positive] = labels[best_box[positive]]
    deltas[positive] = encode(boxes[best_box[positive]],
                              anchor_boxes[positive], variances)
    return classes, deltas


# ------------------------------------------------------------ losses (TF)
def _check_targets(class_targets, logits):
    tf = _tf()
    targets = tf.cast(tf.convert_to_tensor(class_targets), tf.int32)
    logits = tf.cast(tf.convert_to_tensor(logits), tf.float32)
    if logits.shape.rank != targets.shape.rank + 1:
        raise ValueError(f"logits {logits.shape} need one axis more (the "
                         f"classes) than class_targets {targets.shape}")
    depth = logits.shape[-1]
    if tf.executing_eagerly() and targets.shape.num_elements():
        low, high = int(tf.reduce_min(targets)), int(tf.reduce_max(targets))
        if low < -1 or high >= depth:
            raise ValueError(
                f"class_targets must lie in -1..{depth - 1} (ignore, "
                f"background, classes) for {depth} logits; got "
                f"{low}..{high}")
    return targets, logits


def focal_loss(class_targets, logits, gamma: float = 2.0,
               alpha: float | None = None):
    """Per-anchor softmax focal loss (Lin et al. 2017), a tensor shaped
    like ``class_targets``; 0 where the target is -1 (ignored).

    ``logits`` (..., C + 1) score background and the C classes. With
    ``p`` the probability of the true class, the loss is
    ``-(1 - p)**gamma * log(p)``: an anchor already classified well
    (``p`` near 1) counts for almost nothing, so thousands of easy
    background anchors no longer drown the few objects. ``alpha``, if
    given, weighs object anchors by ``alpha`` and background ones by
    ``1 - alpha``. ``gamma=0`` and ``alpha=None`` is plain cross-entropy.
    """
    tf = _tf()
    gamma = real_number(gamma, "gamma")
    targets, logits = _check_targets(class_targets, logits)
    depth = logits.shape[-1]
    valid = targets >= 0
    target = tf.where(valid, targets, 0)
    log_p = tf.reduce_sum(tf.one_hot(target, depth)
                          * tf.nn.log_softmax(logits), axis=-1)
    loss = -log_p  # cross-entropy
    if gamma > 0:
        loss *= (1.0 - tf.exp(log_p)) ** gamma  # the focusing term
    if alpha is not None:
        alpha = _threshold(alpha, "alpha")  # a weight in [0, 1]
        loss *= tf.where(target > 0, alpha, 1.0 - alpha)
    return tf.where(valid, loss, 0.0)


def box_loss(class_targets, box_targets, box_deltas, delta: float = 1.0):
    """Per-anchor smooth-L1 (Huber) loss on the 4 offsets, summed; only
    positive anchors (class target >= 1) count, the rest give 0."""
    tf = _tf()
    delta = real_number(delta, "delta", positive=True)
    diff = tf.abs(tf.cast(box_targets, tf.float32)
                  - tf.cast(box_deltas, tf.float32))
    # quadratic near 0 (smooth), linear far away (robust to outliers)
    huber = tf.where(diff < delta, 0.5 * diff ** 2,
                     delta * (diff - 0.5 * delta))
    positive = tf.convert_to_tensor(class_targets) > 0
    return tf.where(positive, tf.reduce_sum(huber, axis=-1), 0.0)


def detection_loss(class_targets, box_targets, logits, box_deltas,
                   gamma: float = 2.0, alpha: float | None = None):
    """``(class_loss, box_loss)`` of a batch: each summed over anchors and
    images and divided by the number of positive anchors (at least 1),
    as RetinaNet does. Shapes: targets (B, A) and (B, A, 4), logits
    (B, A, C + 1), box_deltas (B, A, 4)."""
    tf = _tf()
    positives = tf.reduce_sum(tf.cast(
        tf.convert_to_tensor(class_targets) > 0, tf.float32))
    norm = tf.maximum(positives, 1.0)
    cls = tf.reduce_sum(focal_loss(class_targets, logits, gamma, alpha))
    box = tf.reduce_sum(box_loss(class_targets, box_targets, box_deltas))
    return cls / norm, box / norm


# ------------------------------------------------------------ NMS
def _scores(scores, n: int) -> np.ndarray:
    s = finite_array(scores, "scores").astype(np.float64)
    if s.shape != (n,):
        raise ValueError(f"scores must have shape ({n},), one per box, "
                         f"got {s.shape}")
    return s


def _threshold(value, name: str) -> float:
    t = real_number(value, name)
    if t > 1:
        raise ValueError(f"{name} must lie in [0, 1], got {t}")
    return t


def nms(boxes, scores, iou_threshold: float = 0.5, max_out: int = 100
        ) -> np.ndarray:
    """Greedy non-maximum suppression: the indices of the boxes kept,
    best score first.

    Take the best-scoring box left, keep it, drop every remaining box
    that overlaps it by IoU > ``iou_threshold``; repeat until no box is
    left or ``max_out`` are kept. Equal scores: the lower index first.
    """
    boxes = check_boxes(boxes)
    scores = _scores(scores, len(boxes))
    iou_threshold = _threshold(iou_threshold, "iou_threshold")
    max_out = positive_int(max_out, "max_out")
    suppressed = np.zeros(len(boxes), bool)
    keep = []
    for i in np.argsort(-scores, kind="stable"):
        if suppressed[i]:
            continue
        keep.append(i)
        if len(keep) == max_out:
            break
        suppressed |= iou(boxes[i:i + 1], boxes)[0] > iou_threshold
    return np.array(keep, np.int64)


def _labels(classes, n: int) -> np.ndarray:
    k = np.asarray(classes)
    if k.shape != (n,) or (n and k.dtype.kind not in "iu"):
        raise ValueError(f"classes must be {n} ints, one per box, got "
                         f"shape {k.shape} and dtype {k.dtype}")
    return k


def nms_per_class(boxes, scores, classes, iou_threshold: float = 0.5,
                  max_out: int = 100) -> np.ndarray:
    """:func:`nms` within each class (a cat does not suppress a dog), then
    the survivors of all classes by score, at most ``max_out``."""
    boxes = check_boxes(boxes)
    scores = _scores(scores, len(boxes))
    classes = _labels(classes, len(boxes))
    max_out = positive_int(max_out, "max_out")
    kept = [np.flatnonzero(classes == c) for c in np.unique(classes)]
    kept = [i[nms(boxes[i], scores[i], iou_threshold, max_out)]
            for i in kept]
    keep = np.sort(np.concatenate(kept or [np.zeros(0, np.int64)]))
    return keep[np.argsort(-scores[keep], kind="stable")][:max_out]


def decode_detections(probs, deltas, anchor_boxes, min_score: float = 0.05,
                      iou_threshold: float | None = 0.5, max_out: int = 100
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's head outputs -> ``(boxes, scores, classes)``, best first.

    ``probs`` (A, C + 1) are class probabilities per anchor (column 0 the
    background), ``deltas`` (A, 4) the predicted offsets. Each anchor
    proposes its most likely object class (1..C) with that probability as
    its score; proposals below ``min_score`` are dropped, the rest decoded
    and, unless ``iou_threshold`` is None, thinned by :func:`nms_per_class`.
    """
    probs = finite_array(probs, "probs").astype(np.float64)
    anchor_boxes = check_boxes(anchor_boxes, "anchors")
    if probs.ndim != 2 or probs.shape[0] != len(anchor_boxes) \
            or probs.shape[1] < 2:
        raise ValueError(f"probs must be (A, C + 1) = ({len(anchor_boxes)},"
                         f" classes + 1) for one image, got {probs.shape}")
    deltas = finite_array(deltas, "deltas")
    if deltas.shape != (len(anchor_boxes), 4):
        raise ValueError(f"deltas must be (A, 4) = ({len(anchor_boxes)}, 4)"
                         f" for one image, got {deltas.shape}")
    classes = probs[:, 1:].argmax(axis=1) + 1  # the best object class
    scores = probs[np.arange(len(probs)), classes]
    sure = scores >= real_number(min_score, "min_score")
    boxes = decode(deltas[sure], anchor_boxes[sure])
    scores, classes = scores[sure], classes[sure]
    if iou_threshold is None:  # no NMS: every proposal, by score
        keep = np.argsort(-scores, kind="stable")[:positive_int(
            max_out, "max_out")]
    else:
        keep = nms_per_class(boxes, scores, classes, iou_threshold, max_out)
    return boxes[keep], scores[keep], classes[keep]


# ------------------------------------------------------------ AP
def match_detections(boxes, scores, true_boxes, iou_threshold: float = 0.5
                     ) -> np.ndarray:
    """Which detections of one class in one image are true positives:
    a bool per detection, in the order given.

    In order of falling score, a detection takes the not-yet-matched
    true box it overlaps most, if that IoU >= ``iou_threshold``; else it
    is a false positive. A second detection of a matched object is
    therefore a false positive: duplicates cost precision. (As COCO
    does; the VOC devkit instead looks only at the best-overlapping
    true box, taken or not.)
    """
    boxes, true_boxes = check_boxes(boxes), check_boxes(true_boxes)
    scores = _scores(scores, len(boxes))
    threshold = _threshold(iou_threshold, "iou_threshold")
    overlaps = iou(boxes, true_boxes)
    taken = np.zeros(len(true_boxes), bool)
    hit = np.zeros(len(boxes), bool)
    for d in np.argsort(-scores, kind="stable"):
        free = np.where(taken, -1.0, overlaps[d])
        if free.size and free.max() >= threshold:
            taken[free.argmax()] = hit[d] = True
    return hit


def _true_boxes(boxes) -> np.ndarray:
    """True boxes, refused if one has zero area: it could never be found,
    and would quietly lower recall (padding rows are the usual cause)."""
    boxes = check_boxes(boxes, "true boxes")
    if (box_area(boxes) == 0).any():
        raise ValueError(
            "a true box has zero area, so no detection can ever match it; "
            "drop padding rows (such as [-1, -1, -1, -1]) first, e.g. "
            "boxes[:count]")
    return boxes


def precision_recall(detections, true_boxes, iou_threshold: float = 0.5
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall of one class over a set of images, after
    each detection in order of falling score: ``(precision, recall,
    scores)``, one entry per detection.

    ``detections`` holds one ``(boxes, scores)`` pair per image and
    ``true_boxes`` one (M_i, 4) array per image, in the same order.
    Recall needs at least one true box (else a ValueError).
    """
    if len(detections) != len(true_boxes):
        raise ValueError(f"{len(detections)} images of detections but "
                         f"{len(true_boxes)} of true boxes: pass one "
                         "entry per image to both")
    true_boxes = [_true_boxes(t) for t in true_boxes]
    hits = [match_detections(b, s, t, iou_threshold)
            for (b, s), t in zip(detections, true_boxes)]
    n_true = sum(len(t) for t in true_boxes)
    if n_true == 0:
        raise ValueError("no true boxes, so recall is undefined: AP is "
                         "only computed for classes present in the data")
    scores = np.concatenate([np.zeros(0)] + [np.asarray(s, np.float64)
                                             for _, s in detections])
    hit = np.concatenate([np.zeros(0, bool)] + hits)
    order = np.argsort(-scores, kind="stable")  # ties: image order
    tp = np.cumsum(hit[order])
    precision = tp / np.arange(1, len(order) + 1)
    return precision, tp / n_true, scores[order]


def average_precision(precision, recall) -> float:
    """Area under the precision-recall curve with all-point interpolation
    (VOC 2010 on): at each recall, the best precision reached at that
    recall or higher. No detections: 0."""
    precision = finite_array(precision, "precision").astype(np.float64)
    recall = finite_array(recall, "recall").astype(np.float64)
    if precision.shape != recall.shape or precision.ndim != 1:
        raise ValueError("precision and recall must be 1-D and of one "
                         f"length, got {precision.shape}, {recall.shape}")
    if np.any(np.diff(recall) < 0):
        raise ValueError("recall must not decrease: order the detections "
                         "by falling score (precision_recall does)")
    # the envelope: a running maximum of precision, from the right
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(recall, prepend=0.0)  # recall gained at each detection
    return float(np.sum(steps * envelope))


def mean_average_precision(detections, ground_truths,
                           iou_threshold: float = 0.5
                           ) -> tuple[float, dict[int, float]]:
    """mAP over classes at one IoU threshold (mAP@0.5 by default), and
    each class's AP: ``(mean, {class: AP})``.

    ``detections``: one ``(boxes, scores, classes)`` per image;
    ``ground_truths``: one ``(boxes, classes)`` per image. A class with
    no true box in any image has no recall and is left out of the mean
    (its detections, all false, count nowhere); a class with true boxes
    but no detections has AP 0.
    """
    if len(detections) != len(ground_truths):
        raise ValueError(f"{len(detections)} images of detections but "
                         f"{len(ground_truths)} of ground truths: pass one "
                         "entry per image to both")
    detections = [(check_boxes(b), _scores(s, len(b)), _labels(k, len(b)))
                  for b, s, k in detections]
    ground_truths = [(_true_boxes(b), _labels(k, len(b)))
                     for b, k in ground_truths]
    present = np.unique(np.concatenate(
        [np.zeros(0, np.int64)] + [k for _, k in ground_truths]))
    if present.size == 0:
        raise ValueError("no ground-truth boxes in any image: mAP is "
                         "undefined")
    per_class = {}
    for c in present.tolist():
        dets = [(b[k == c], s[k == c]) for b, s, k in detections]
        truth = [b[k == c] for b, k in ground_truths]
        pr = precision_recall(dets, truth, iou_threshold)
        per_class[c] = average_precision(pr[0], pr[1])
    return float(np.mean(list(per_class.values()))), per_class


def coco_map(detections, ground_truths,
             thresholds: Sequence[float] = COCO_THRESHOLDS) -> float:
    """COCO-style mAP@[.5:.95]: :func:`mean_average_precision` averaged
    over IoU thresholds 0.50, 0.55, ..., 0.95, which rewards tight boxes.
    (COCO itself samples the PR curve at 101 recalls and keeps 100
    detections per image; here the all-point AP is used throughout.)"""
    return float(np.mean([mean_average_precision(detections,
                                                 ground_truths, t)[0]
                          for t in thresholds]))


__all__ = ["COCO_THRESHOLDS", "MAX_LOG_SCALE", "SSD_VARIANCES", "anchors",
           "assign", "average_precision", "box_area", "box_loss",
           "check_boxes", "coco_map", "decode", "decode_detections",
           "detection_loss", "encode",
           "focal_loss", "from_centre", "iou", "match_detections",
           "mean_average_precision", "multilevel_anchors", "nms",
           "nms_per_class", "precision_recall", "to_centre"]
