"""helpers.detection: boxes, IoU, anchors, encoding, assignment, losses,
NMS and AP (chapter 16), against hand-computed cases and independent
implementations."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers import detection as det

GRID = 12  # integer boxes live on a GRID x GRID pixel image


@st.composite
def int_boxes(draw, n_min=1, n_max=6):
    """(N, 4) integer boxes, zero-area ones included, on the pixel grid."""
    n = draw(st.integers(n_min, n_max))
    rows = []
    for _ in range(n):
        y0, y1 = sorted(draw(st.lists(st.integers(0, GRID), min_size=2,
                                      max_size=2)))
        x0, x1 = sorted(draw(st.lists(st.integers(0, GRID), min_size=2,
                                      max_size=2)))
        rows.append([y0, x0, y1, x1])
    return np.array(rows, np.float64)


@st.composite
def float_boxes(draw, n_min=1, n_max=8, size=100.0, min_side=0.0):
    """(N, 4) float boxes inside a size x size image."""
    n = draw(st.integers(n_min, n_max))
    coord = st.floats(0, size, allow_nan=False, width=32)
    rows = []
    for _ in range(n):
        y0, x0 = draw(coord), draw(coord)
        h = draw(st.floats(min_side, size / 2, width=32))
        w = draw(st.floats(min_side, size / 2, width=32))
        rows.append([y0, x0, y0 + h, x0 + w])
    return np.array(rows, np.float64)


@st.composite
def crowded_boxes(draw, n_max=30):
    """What NMS meets: jittered copies of a few boxes, in clusters."""
    base = draw(float_boxes(1, 4, min_side=4.0))
    n = draw(st.integers(1, n_max))
    jitter = st.lists(st.floats(-3, 3, width=32), min_size=4, max_size=4)
    rows = []
    for _ in range(n):
        y0, x0, y1, x1 = base[draw(st.integers(0, len(base) - 1))] \
            + np.array(draw(jitter))
        rows.append([min(y0, y1), min(x0, x1), max(y0, y1), max(x0, x1)])
    return np.array(rows, np.float64)


def raster_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU by counting pixels of two integer boxes painted on a grid."""
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a.astype(int)):
        for j, q in enumerate(b.astype(int)):
            mask_p = np.zeros((GRID, GRID), bool)
            mask_q = np.zeros((GRID, GRID), bool)
            mask_p[p[0]:p[2], p[1]:p[3]] = True
            mask_q[q[0]:q[2], q[1]:q[3]] = True
            union = np.count_nonzero(mask_p | mask_q)
            out[i, j] = np.count_nonzero(mask_p & mask_q) / union if union \
                else 0.0
    return out


# ------------------------------------------------------------ conventions
def test_centre_form_by_hand():
    box = np.array([[10, 20, 30, 60]])  # 20 high, 40 wide
    np.testing.assert_array_equal(det.to_centre(box), [[20, 40, 20, 40]])
    np.testing.assert_array_equal(det.from_centre([[20, 40, 20, 40]]), box)
    np.testing.assert_array_equal(det.box_area(box), [800])


@given(float_boxes())
@settings(max_examples=50, deadline=None)
def test_centre_form_round_trip(boxes):
    np.testing.assert_allclose(det.from_centre(det.to_centre(boxes)), boxes,
                               atol=1e-9)


@pytest.mark.parametrize("boxes, words", [
    ([0, 0, 1, 1], "box[None]"),
    ([[0, 0, 1]], "(N, 4)"),
    ([[0, 5, 1, 1]], "swap the corners"),
    ([[3, 0, 1, 1]], "y1 < y0"),
    ([[0, 0, np.nan, 1]], "NaN"),
])
def test_bad_boxes_are_refused_with_advice(boxes, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        det.iou(boxes, [[0, 0, 1, 1]])


def test_from_centre_refuses_negative_sizes():
    with pytest.raises(ValueError, match="negative"):
        det.from_centre([[0, 0, -1, 2]])


# ------------------------------------------------------------ IoU
@pytest.mark.parametrize("a, b, expected", [
    ([0, 0, 4, 4], [0, 0, 4, 4], 1.0),          # identical
    ([0, 0, 4, 4], [5, 5, 9, 9], 0.0),          # disjoint
    ([0, 0, 4, 4], [0, 4, 4, 8], 0.0),          # touching along an edge
    ([0, 0, 8, 8], [2, 2, 6, 6], 16 / 64),      # nested
    ([0, 0, 4, 4], [0, 2, 4, 6], 8 / 24),       # half of each overlaps
    ([0, 0, 4, 4], [2, 2, 2, 9], 0.0),          # zero-height box
    ([3, 3, 3, 3], [3, 3, 3, 3], 0.0),          # two points: 0, not NaN
])
def test_iou_by_hand(a, b, expected):
    assert det.iou([a], [b])[0, 0] == pytest.approx(expected)
    assert det.iou([b], [a])[0, 0] == pytest.approx(expected)


def test_iou_of_empty_sets_has_the_right_shape():
    assert det.iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)
    assert det.iou([[0, 0, 1, 1]], np.zeros((0, 4))).shape == (1, 0)


@given(int_boxes(), int_boxes())
@settings(max_examples=150, deadline=None)
def test_iou_equals_pixel_counting(a, b):
    """Disjoint, touching, nested and zero-area boxes all occur here."""
    np.testing.assert_allclose(det.iou(a, b), raster_iou(a, b), atol=1e-12)


@given(int_boxes(), int_boxes(), st.floats(0.01, 50),
       st.floats(-100, 100), st.floats(-100, 100))
@settings(max_examples=100, deadline=None)
def test_iou_ignores_scale_and_shift(a, b, scale, dy, dx):
    """Float boxes: IoU depends on neither units nor origin."""
    move = np.array([dy, dx, dy, dx])
    np.testing.assert_allclose(det.iou(a * scale + move, b * scale + move),
                               raster_iou(a, b), atol=1e-9)


# ------------------------------------------------------------ anchors
def test_anchor_counts_centres_areas_and_ratios():
    scales, ratios = [16, 32], [0.5, 1.0, 2.0]
    a = det.anchors((3, 4), (48, 64), scales, ratios)
    assert a.shape == (3 * 4 * 6, 4)
    grid = det.to_centre(a).reshape(3, 4, 2, 3, 4)  # H, W, scale, ratio
    shape = grid.shape[:-1]
    cy = 8 + 16 * np.arange(3)[:, None, None, None]  # a cell every 16 px
    cx = 8 + 16 * np.arange(4)[None, :, None, None]
    np.testing.assert_allclose(grid[..., 0], np.broadcast_to(cy, shape))
    np.testing.assert_allclose(grid[..., 1], np.broadcast_to(cx, shape))
    side = np.array(scales, float)[:, None]
    np.testing.assert_allclose(grid[..., 2] * grid[..., 3],
                               np.broadcast_to(side ** 2, shape))
    np.testing.assert_allclose(grid[..., 3] / grid[..., 2],
                               np.broadcast_to(ratios, shape))


def test_one_anchor_per_cell_tiles_the_image():
    a = det.anchors((2, 2), (10, 10), [5])
    np.testing.assert_allclose(a, [[0, 0, 5, 5], [0, 5, 5, 10],
                                   [5, 0, 10, 5], [5, 5, 10, 10]])


def test_multilevel_anchors_concatenate_levels_in_order():
    levels = [((8, 8), [12, 20]), ((4, 4), [32, 48])]
    a = det.multilevel_anchors(levels, (64, 64), [0.5, 1, 2])
    assert a.shape == ((64 + 16) * 6, 4)
    np.testing.assert_array_equal(
        a[384:], det.anchors((4, 4), (64, 64), [32, 48], [0.5, 1, 2]))


@pytest.mark.parametrize("kwargs, words", [
    ({"scales": []}, "scales"), ({"scales": [-4]}, "scales"),
    ({"aspect_ratios": [0]}, "aspect_ratios"),
    ({"image_size": (64,)}, "pairs"),
])
def test_bad_anchor_settings_are_refused(kwargs, words):
    args = {"feature_shape": (2, 2), "image_size": (64, 64),
            "scales": [16], **kwargs}
    with pytest.raises(ValueError, match=words):
        det.anchors(**args)


# ------------------------------------------------------------ encoding
def test_encoding_by_hand():
    anchor = np.array([[0, 0, 10, 20]])  # centre (5, 10), 10 x 20
    same = det.encode(anchor, anchor)
    np.testing.assert_array_equal(same, [[0, 0, 0, 0]])
    moved = np.array([[5, 10, 15, 30]])  # centre + half the anchor's size
    np.testing.assert_allclose(det.encode(moved, anchor, (1, 1, 1, 1)),
                               [[0.5, 0.5, 0, 0]])
    np.testing.assert_allclose(det.encode(moved, anchor), [[5, 5, 0, 0]])
    double = np.array([[-5, -10, 15, 30]])  # same centre, twice the size
    np.testing.assert_allclose(det.encode(double, anchor),
                               [[0, 0, math.log(2) / 0.2, math.log(2) / 0.2]])


@given(float_boxes(min_side=1.0), st.data())
@settings(max_examples=100, deadline=None)
def test_encode_decode_round_trip(boxes, data):
    """Sides 1..50 px: size ratios stay below decode's clip (62.5)."""
    anchor_boxes = data.draw(float_boxes(len(boxes), len(boxes),
                                         min_side=1.0))
    variances = data.draw(st.sampled_from([det.SSD_VARIANCES, (1, 1, 1, 1)]))
    deltas = det.encode(boxes, anchor_boxes, variances)
    np.testing.assert_allclose(det.decode(deltas, anchor_boxes, variances),
                               boxes, atol=1e-9)


def test_decode_broadcasts_over_a_batch_and_clips_wild_sizes():
    anchor_boxes = det.anchors((2, 2), (32, 32), [8])
    boxes = det.decode(np.zeros((3, 4, 4)), anchor_boxes)
    np.testing.assert_allclose(boxes, np.broadcast_to(anchor_boxes,
                                                      (3, 4, 4)))
    wild = det.decode(np.full((4, 4), 1e4), anchor_boxes)
    assert np.all(np.isfinite(wild))
    np.testing.assert_allclose(det.to_centre(wild)[:, 2],
                               8 * math.exp(det.MAX_LOG_SCALE))


def test_encode_refuses_zero_size_boxes():
    with pytest.raises(ValueError, match="zero height or width"):
        det.encode([[0, 0, 0, 5]], [[0, 0, 4, 4]])


# ------------------------------------------------------------ assignment
def _four_anchors():
    # four 10 x 10 anchors in a row, 10 px apart
    return np.array([[0, 10 * i, 10, 10 * i + 10] for i in range(4)], float)


def test_assignment_thresholds_by_hand():
    anchor_boxes = _four_anchors()
    boxes = np.array([[0, 0, 10, 10],      # anchor 0 exactly: IoU 1
                      [0, 22, 10, 32]])    # anchor 2: IoU 8/12, anchor 3: 2/18
    classes, deltas = det.assign(anchor_boxes, boxes, [3, 1],
                                 pos_iou=0.6, neg_iou=0.1)
    # anchor 1 overlaps nothing -> background; anchor 3 (IoU 0.11) ignored
    np.testing.assert_array_equal(classes, [3, 0, 1, -1])
    np.testing.assert_allclose(
        det.decode(deltas[[0, 2]], anchor_boxes[[0, 2]]), boxes)
    np.testing.assert_array_equal(deltas[[1, 3]], 0)


def test_every_box_gets_its_best_anchor():
    anchor_boxes = _four_anchors()
    small = np.array([[2, 12, 6, 16]])  # inside anchor 1: IoU only 0.16
    classes, _ = det.assign(anchor_boxes, small, [2], pos_iou=0.5,
                            neg_iou=0.4)
    np.testing.assert_array_equal(classes, [0, 2, 0, 0])


def test_two_boxes_wanting_one_anchor_the_better_match_keeps_it():
    anchor_boxes = _four_anchors()
    boxes = np.array([[0, 12, 10, 20],   # anchor 1: IoU 0.8
                      [0, 10, 10, 15]])  # anchor 1: IoU 0.5
    classes, deltas = det.assign(anchor_boxes, boxes, [1, 2], 0.9, 0.3)
    np.testing.assert_array_equal(classes, [0, 1, 0, 0])
    np.testing.assert_allclose(det.decode(deltas[1:2], anchor_boxes[1:2]),
                               boxes[:1])


@pytest.mark.parametrize("box", [[50, 50, 60, 60],   # outside
                                 [5, 5, 5, 15]])     # zero height
def test_a_box_no_anchor_overlaps_claims_none(box):
    classes, deltas = det.assign(_four_anchors(), [box], [1])
    np.testing.assert_array_equal(classes, 0)
    np.testing.assert_array_equal(deltas, 0)


def test_an_image_without_objects_is_all_background():
    classes, deltas = det.assign(_four_anchors(), np.zeros((0, 4)), [])
    np.testing.assert_array_equal(classes, 0)
    np.testing.assert_array_equal(deltas, 0)


@pytest.mark.parametrize("labels, pos, neg, words", [
    ([0], 0.5, 0.4, "ints >= 1"), ([1.0], 0.5, 0.4, "ints >= 1"),
    ([1, 2], 0.5, 0.4, "ints >= 1"), ([1], 0.4, 0.5, "neg_iou <= pos_iou"),
])
def test_bad_assignment_arguments(labels, pos, neg, words):
    with pytest.raises(ValueError, match=words):
        det.assign(_four_anchors(), [[0, 0, 10, 10]], labels, pos, neg)


# ------------------------------------------------------------ losses
def test_focal_loss_with_gamma_0_is_cross_entropy():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 50, 4)).astype(np.float32) * 3
    targets = rng.integers(-1, 4, size=(2, 50))
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
        np.maximum(targets, 0), logits).numpy()
    ce[targets < 0] = 0
    focal = det.focal_loss(targets, logits, gamma=0.0).numpy()
    np.testing.assert_allclose(focal, ce, rtol=1e-6, atol=1e-6)
    # alpha weighs objects by alpha and the background by 1 - alpha
    weighted = det.focal_loss(targets, logits, gamma=0.0, alpha=0.25)
    weight = np.where(targets > 0, 0.25, 0.75)
    np.testing.assert_allclose(weighted.numpy(), ce * weight, rtol=1e-6,
                               atol=1e-6)
    # the focusing term only ever lowers the loss
    assert np.all(det.focal_loss(targets, logits).numpy() <= focal + 1e-7)


def test_focal_loss_by_hand():
    # p(class 1) = 3 / (1 + 3) = 0.75: CE = ln(4/3), focal = 0.25**2 ln(4/3)
    logits = np.array([[0.0, math.log(3.0)]], np.float32)
    assert det.focal_loss([1], logits, gamma=0.0).numpy()[0] == \
        pytest.approx(math.log(4 / 3), rel=1e-6)
    assert det.focal_loss([1], logits, gamma=2.0).numpy()[0] == \
        pytest.approx(math.log(4 / 3) / 16, rel=1e-6)
    assert det.focal_loss([0], logits, gamma=2.0, alpha=0.25).numpy()[0] == \
        pytest.approx(0.75 * 0.75 ** 2 * math.log(4), rel=1e-6)


def test_ignored_anchors_get_no_gradient():
    import tensorflow as tf

    logits = tf.Variable(np.random.default_rng(2).normal(
        size=(1, 4, 3)).astype(np.float32))
    targets = np.array([[1, -1, 0, -1]])
    deltas = tf.Variable(np.ones((1, 4, 4), np.float32))
    with tf.GradientTape() as tape:
        cls, box = det.detection_loss(targets, np.zeros((1, 4, 4)), logits,
                                      deltas)
        total = cls + box
    g_logits, g_deltas = tape.gradient(total, [logits, deltas])
    assert np.all(np.isfinite(g_logits.numpy()))
    np.testing.assert_array_equal(g_logits.numpy()[0, [1, 3]], 0)
    assert np.all(g_logits.numpy()[0, [0, 2]] != 0)
    # box offsets learn from positive anchors only
    np.testing.assert_array_equal(g_deltas.numpy()[0, 1:], 0)
    assert np.all(g_deltas.numpy()[0, 0] != 0)


def test_losses_compile_in_a_tf_function():
    import tensorflow as tf

    rng = np.random.default_rng(3)
    args = (rng.integers(-1, 3, size=(2, 9)),
            rng.normal(size=(2, 9, 4)).astype(np.float32),
            rng.normal(size=(2, 9, 3)).astype(np.float32),
            rng.normal(size=(2, 9, 4)).astype(np.float32))
    eager = det.detection_loss(*args, gamma=2.0, alpha=0.25)
    graph = tf.function(lambda *a: det.detection_loss(
        *a, gamma=2.0, alpha=0.25))(*args)
    np.testing.assert_allclose(np.array(graph), np.array(eager), rtol=1e-6)


def test_focal_loss_refuses_targets_out_of_range():
    with pytest.raises(ValueError, match="-1..1"):
        det.focal_loss([2], np.zeros((1, 2), np.float32))
    with pytest.raises(ValueError, match="one axis more"):
        det.focal_loss([[1]], np.zeros((2,), np.float32))
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\]"):
        det.focal_loss([1], np.zeros((1, 2), np.float32), alpha=4)


def test_box_loss_is_huber_on_positive_anchors_only():
    import keras

    rng = np.random.default_rng(1)
    targets = rng.normal(size=(2, 30, 4)).astype(np.float32) * 2
    preds = rng.normal(size=(2, 30, 4)).astype(np.float32)
    classes = rng.integers(-1, 3, size=(2, 30))
    huber = 4 * keras.losses.huber(targets, preds).numpy()  # mean of 4
    got = det.box_loss(classes, targets, preds).numpy()
    np.testing.assert_allclose(got, np.where(classes > 0, huber, 0),
                               rtol=1e-5, atol=1e-6)
    # by hand: |0.5| -> 0.125 (quadratic), |2| -> 1.5 (linear)
    assert det.box_loss([1], [[0.5, 2, 0, 0]], [[0, 0, 0, 0]]).numpy()[0] \
        == pytest.approx(1.625)


def test_detection_loss_divides_by_the_positive_anchors():
    logits = np.zeros((1, 4, 3), np.float32)  # uniform: CE = ln 3 each
    classes = np.array([[1, 2, 0, -1]])
    targets = np.zeros((1, 4, 4), np.float32)
    deltas = np.full((1, 4, 4), 0.5, np.float32)  # Huber 0.125 per offset
    cls, box = det.detection_loss(classes, targets, logits, deltas, gamma=0)
    assert float(cls) == pytest.approx(3 * math.log(3) / 2, rel=1e-6)
    assert float(box) == pytest.approx(2 * 4 * 0.125 / 2, rel=1e-6)


# ------------------------------------------------------------ NMS
def test_nms_by_hand():
    boxes = [[0, 0, 10, 10], [0, 1, 10, 11], [0, 20, 10, 30], [0, 0, 10, 5]]
    scores = [0.9, 0.8, 0.7, 0.95]
    # box 3 first; box 0 overlaps it by 0.5, not more: kept; box 1
    # overlaps box 0 by 9/11: dropped; box 2 overlaps nothing
    np.testing.assert_array_equal(det.nms(boxes, scores, 0.5), [3, 0, 2])
    # at 0.4 box 3 drops box 0, and box 1 (40/110 with box 3) survives
    np.testing.assert_array_equal(det.nms(boxes, scores, 0.4), [3, 1, 2])
    np.testing.assert_array_equal(det.nms(boxes, scores, 0.5, max_out=2),
                                  [3, 0])
    assert det.nms(np.zeros((0, 4)), []).shape == (0,)


@given(crowded_boxes(), st.data())
@settings(max_examples=100, deadline=None)
def test_nms_equals_tensorflow(boxes, data):
    import tensorflow as tf

    boxes = boxes.astype(np.float32).astype(np.float64)  # what TF sees
    n = len(boxes)
    # distinct scores: with ties TF and ours both take the lower index
    # first, but a tie is not worth relying on in a property test
    scores = data.draw(st.permutations(range(n))) + np.float64(0.5)
    threshold = data.draw(st.floats(0.05, 0.95))
    max_out = data.draw(st.integers(1, n + 2))
    # TF computes IoU in float32: skip draws with a pair too near the
    # threshold for the two roundings to agree
    assume(np.all(np.abs(det.iou(boxes, boxes) - threshold) > 1e-5))
    expected = tf.image.non_max_suppression(
        boxes.astype(np.float32), scores.astype(np.float32), max_out,
        iou_threshold=threshold).numpy()
    np.testing.assert_array_equal(det.nms(boxes, scores, threshold, max_out),
                                  expected)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"scores": [0.5]}, ValueError, "one per box"),
    ({"iou_threshold": 1.5}, ValueError, r"lie in \[0, 1\]"),
    ({"max_out": 0}, ValueError, ">= 1"),
    ({"max_out": 2.0}, TypeError, "max_out"),
])
def test_bad_nms_arguments(kwargs, error, words):
    args = {"boxes": [[0, 0, 1, 1], [0, 0, 2, 2]], "scores": [0.5, 0.4],
            **kwargs}
    with pytest.raises(error, match=words):
        det.nms(**args)


def test_nms_per_class_keeps_overlapping_boxes_of_other_classes():
    boxes = [[0, 0, 10, 10], [0, 1, 10, 11], [0, 0, 10, 10]]
    scores = [0.9, 0.8, 0.7]
    np.testing.assert_array_equal(
        det.nms_per_class(boxes, scores, [1, 1, 2]), [0, 2])
    np.testing.assert_array_equal(
        det.nms_per_class(boxes, scores, [1, 1, 2], max_out=1), [0])


@given(crowded_boxes(25), st.data())
@settings(max_examples=60, deadline=None)
def test_nms_per_class_equals_nms_on_classes_moved_apart(boxes, data):
    """Moving each class far away makes plain NMS a per-class NMS."""
    n = len(boxes)
    classes = np.array(data.draw(st.lists(st.integers(1, 3), min_size=n,
                                          max_size=n)))
    scores = data.draw(st.permutations(range(n))) + np.float64(0.5)
    threshold = data.draw(st.floats(0.05, 0.95))
    apart = boxes + 1000.0 * classes[:, None]
    np.testing.assert_array_equal(
        det.nms_per_class(boxes, scores, classes, threshold),
        det.nms(apart, scores, threshold))


def test_decode_detections_by_hand():
    anchor_boxes = _four_anchors()
    probs = np.array([[0.1, 0.8, 0.1],     # class 1, 0.8
                      [0.5, 0.2, 0.3],     # class 2, 0.3
                      [0.97, 0.02, 0.01],  # below min_score
                      [0.1, 0.0, 0.9]])    # class 2, 0.9
    deltas = np.zeros((4, 4))
    deltas[1, 1] = 10 / 10 / 0.1  # anchor 1 moved one anchor-width right
    boxes, scores, classes = det.decode_detections(probs, deltas,
                                                   anchor_boxes)
    # anchor 1's box lands on anchor 2's place, far from anchor 3's: kept
    np.testing.assert_allclose(scores, [0.9, 0.8, 0.3])
    np.testing.assert_array_equal(classes, [2, 1, 2])
    np.testing.assert_allclose(boxes, anchor_boxes[[3, 0, 2]])
    deltas[1, 1] = 20 / 10 / 0.1  # now exactly on anchor 3: suppressed
    boxes, scores, classes = det.decode_detections(probs, deltas,
                                                   anchor_boxes)
    np.testing.assert_array_equal(classes, [2, 1])
    every = det.decode_detections(probs, deltas, anchor_boxes,
                                  iou_threshold=None)
    np.testing.assert_allclose(every[1], [0.9, 0.8, 0.3])
    with pytest.raises(ValueError, match=r"deltas must be \(A, 4\)"):
        det.decode_detections(probs, deltas[None], anchor_boxes)
    with pytest.raises(ValueError, match=r"probs must be \(A, C \+ 1\)"):
        det.decode_detections(probs[:, :1], deltas, anchor_boxes)


# ------------------------------------------------------------ AP
def _box(i):
    return [0, 20 * i, 10, 20 * i + 10]


def test_matching_counts_duplicates_as_false_positives():
    truth = np.array([_box(0), _box(1)])
    boxes = np.array([_box(0), _box(0), _box(1), _box(5)])
    hit = det.match_detections(boxes, [0.9, 0.8, 0.7, 0.95], truth)
    np.testing.assert_array_equal(hit, [True, False, True, False])


def test_matching_takes_the_best_free_true_box():
    truth = np.array([[0, 0, 10, 10], [0, 2, 10, 12]])  # IoU 8/12
    boxes = np.array([[0, 1, 10, 11], [0, 1, 10, 11]])  # 9/11 with both
    hit = det.match_detections(boxes, [0.9, 0.8], truth)
    np.testing.assert_array_equal(hit, [True, True])
    below = det.match_detections([[0, 5, 10, 15]], [1.0], truth[:1])
    assert not below[0]  # IoU 1/3


def _ap(hits, n_true):
    """AP of detections given, in score order, as hits (True/False) on one
    image holding n_true objects lined up along x."""
    truth = np.array([_box(i) for i in range(n_true)])
    boxes, k = [], 0
    for h in hits:
        boxes.append(_box(k) if h else _box(100 + len(boxes)))
        k += h
    scores = np.linspace(1, 0.1, len(hits))
    p, r, _ = det.precision_recall(
        [(np.array(boxes).reshape(-1, 4), scores)], [truth])
    return det.average_precision(p, r)


@pytest.mark.parametrize("hits, n_true, expected", [
    ([True, True, True], 3, 1.0),                      # perfect detector
    ([True, False], 2, 0.5),                           # half the objects
    ([False, True], 1, 0.5),                           # found at p = 1/2
    ([True, False, True, False, True], 3, 34 / 45),    # (1 + 2/3 + 3/5) / 3
    # interpolation: at recall 2/3 the precision 1/2 is raised to the 3/5
    # reached later, so AP = (1 + 3/5 + 3/5) / 3, not (1 + 1/2 + 3/5) / 3
    ([True, False, False, True, True], 3, 11 / 15),
    ([], 2, 0.0),                                      # no detections
    ([False, False], 2, 0.0),
])
def test_average_precision_by_hand(hits, n_true, expected):
    assert _ap(hits, n_true) == pytest.approx(expected)


@given(st.lists(st.booleans(), max_size=30), st.integers(0, 10))
@settings(max_examples=100, deadline=None)
def test_average_precision_equals_integrating_the_envelope(hits, missed):
    """The envelope at recall r is max {precision_i : recall_i >= r}; it is
    constant on each recall step (k-1)/n..k/n, so sample it mid-step."""
    hits = np.array(hits, bool)
    n = int(hits.sum()) + missed
    assume(n > 0)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    recall = np.cumsum(hits) / n
    expected = 0.0
    for k in range(1, n + 1):
        reach = precision[recall >= (k - 0.5) / n]
        expected += (reach.max() if reach.size else 0.0) / n
    assert det.average_precision(precision, recall) == \
        pytest.approx(expected, abs=1e-12)


def test_precision_recall_pools_images_by_score():
    truth = [np.array([_box(0)]), np.array([_box(0)])]
    dets = [(np.array([_box(0)]), [0.5]),            # TP, ranked 2nd
            (np.array([_box(3), _box(0)]), [0.9, 0.1])]  # FP 1st, TP 3rd
    p, r, s = det.precision_recall(dets, truth)
    np.testing.assert_allclose(s, [0.9, 0.5, 0.1])
    np.testing.assert_allclose(p, [0, 1 / 2, 2 / 3])
    np.testing.assert_allclose(r, [0, 1 / 2, 1])
    with pytest.raises(ValueError, match="no true boxes"):
        det.precision_recall([(np.zeros((0, 4)), [])], [np.zeros((0, 4))])


def test_mean_average_precision_by_hand():
    truth = [(np.array([_box(0), _box(1)]), [1, 2]),
             (np.array([_box(0)]), [2])]
    dets = [(np.array([_box(0), _box(1), _box(7)]), [0.9, 0.8, 0.95],
             [1, 2, 2]),                        # class 2: FP ranked first
            (np.array([_box(0), _box(4)]), [0.7, 0.6], [2, 3])]  # 3: no GT
    mean, per_class = det.mean_average_precision(dets, truth)
    # class 1: AP 1. Class 2: FP, TP, TP of 2 true boxes: precision 1/2 at
    # recall 1/2 and 2/3 at recall 1; the envelope raises the 1/2 to the
    # 2/3 reached later, so AP = (2/3 + 2/3) / 2. Class 3 has no true box.
    assert per_class == pytest.approx({1: 1.0, 2: 2 / 3})
    assert mean == pytest.approx((1 + 2 / 3) / 2)
    nothing = [(np.zeros((0, 4)), [], np.zeros(0, int))] * 2
    assert det.mean_average_precision(nothing, truth) == (0.0, {1: 0, 2: 0})
    with pytest.raises(ValueError, match="no ground-truth"):
        det.mean_average_precision(nothing, [(np.zeros((0, 4)),
                                              np.zeros(0, int))] * 2)


def test_coco_map_rewards_tight_boxes():
    truth = [(np.array([[0, 0, 10, 10]]), [1])]
    loose = [(np.array([[0, 0, 10, 7.2]]), [0.9], [1])]  # IoU 0.72
    exact = [(np.array([[0, 0, 10, 10]]), [0.9], [1])]
    assert det.mean_average_precision(loose, truth)[0] == 1.0
    # matched at 0.50 ... 0.70 (5 thresholds), missed at 0.75 ... 0.95
    assert det.coco_map(loose, truth) == pytest.approx(0.5)
    assert det.coco_map(exact, truth) == 1.0


def test_padding_rows_are_refused_as_true_boxes():
    padded = (np.array([_box(0), [-1, -1, -1, -1]]), [1, -1])
    found = (np.array([_box(0)]), [0.9], [1])
    with pytest.raises(ValueError, match="padding rows"):
        det.mean_average_precision([found], [padded])
    with pytest.raises(ValueError, match="padding rows"):
        det.precision_recall([found[:2]], [padded[0]])


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="one entry per image"):
        det.mean_average_precision([], [(np.zeros((0, 4)), [])])
    with pytest.raises(ValueError, match="classes must be 2 ints"):
        det.mean_average_precision(
            [(np.array([_box(0), _box(1)]), [0.5, 0.4], [1])],
            [(np.array([_box(0)]), [1])])
