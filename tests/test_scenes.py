"""helpers.data's multi-object scenes (chapters 15 and 16): masks, instances
and boxes.

The layering and box functions are tested on hand-built layers whose answers
are known; the generated scenes (read from the cached ``tuxpaint_cutouts``) are
checked against boxes recomputed here from their instance masks.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import data


def _square(side: int, colour: tuple[float, float, float],
            alpha: float = 1.0) -> np.ndarray:
    """An opaque (or evenly translucent) square RGBA layer, float in [0, 1]."""
    rgba = np.zeros((side, side, 4), np.float32)
    rgba[..., :3] = colour
    rgba[..., 3] = alpha
    return rgba


def _grey(size: int = 48) -> np.ndarray:
    return np.full((size, size, 3), 0.5, np.float32)


RED, BLUE = (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)


def _tight_box(pixels: np.ndarray) -> list[int]:
    """[y0, x0, y1, x1), half-open, from the coordinates of the True pixels."""
    rows, cols = np.nonzero(pixels)
    return [rows.min(), cols.min(), rows.max() + 1, cols.max() + 1]


# --------------------------------------------------------------- instance_boxes

def test_a_single_pixel_has_a_one_by_one_box():
    inst = np.zeros((10, 12), np.uint8)
    inst[3, 5] = 1
    inst[7:9, 0:12] = 3  # id 2 is absent
    boxes = data.instance_boxes(inst, 4)
    assert boxes.tolist() == [[3, 5, 4, 6], [-1, -1, -1, -1],
                              [7, 0, 9, 12], [-1, -1, -1, -1]]
    assert boxes.dtype == np.int32


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 20),
       st.integers(1, 20))
def test_instance_boxes_equal_the_pixels_extremes(seed, ids, height, width):
    rng = np.random.default_rng(seed)
    # sparse ids so that some are absent and some cover a single pixel
    inst = rng.integers(0, ids + 1, (3, height, width)) \
        * (rng.random((3, height, width)) < 0.2)
    boxes = data.instance_boxes(inst.astype(np.uint8), ids)
    assert boxes.shape == (3, ids, 4)
    for n in range(3):
        for k in range(1, ids + 1):
            mine = inst[n] == k
            expected = _tight_box(mine) if mine.any() else [-1] * 4
            assert boxes[n, k - 1].tolist() == expected


@pytest.mark.parametrize("bad, match", [
    (np.zeros(5, np.uint8), "instance ids"),
    (np.zeros((4, 4), np.float32), "instance ids"),
])
def test_instance_boxes_refuses_what_is_not_an_id_map(bad, match):
    with pytest.raises(ValueError, match=match):
        data.instance_boxes(bad, 2)


# ------------------------------------------------------------------ layer_scene

def test_the_front_object_hides_part_of_the_one_behind():
    # A (red, 20 x 20 at row 10, column 10), then B (blue) in front, 10 columns
    # to the right: B hides A's right half, A keeps 200 of its 400 pixels
    layers = [(_square(20, RED), 10, 10), (_square(20, BLUE), 10, 20)]
    image, inst, kept = data.layer_scene(_grey(), layers)
    assert kept == [0, 1]
    boxes = data.instance_boxes(inst, 2)
    assert boxes.tolist() == [[10, 10, 30, 20], [10, 20, 30, 40]]
    assert (inst == 1).sum() == 200 and (inst == 2).sum() == 400
    assert (image[inst == 1] == (255, 0, 0)).all()
    assert (image[inst == 2] == (0, 0, 255)).all()
    assert (image[inst == 0] == 128).all()  # round(0.5 * 255)
    assert image.dtype == np.uint8 and inst.dtype == np.uint8


def test_an_object_hidden_below_the_threshold_leaves_the_scene():
    # B moved 3 columns right of A's left edge: A keeps 3 x 20 = 60 pixels, 15 %
    layers = [(_square(20, RED), 10, 10), (_square(20, BLUE), 10, 13)]
    image, inst, kept = data.layer_scene(_grey(), layers)
    assert kept == [1]
    assert inst.max() == 1 and (inst == 1).sum() == 400
    red = (image == (255, 0, 0)).all(axis=-1)
    assert not red.any()  # not even A's unhidden strip is drawn
    assert data.instance_boxes(inst, 2).tolist() == [[10, 13, 30, 33],
                                                    [-1, -1, -1, -1]]
    # with a lower threshold A stays, and its box is the visible strip only
    image, inst, kept = data.layer_scene(_grey(), layers, min_visible=0.15)
    assert kept == [0, 1]
    assert data.instance_boxes(inst, 2)[0].tolist() == [10, 10, 30, 13]
    assert red.sum() == 0 and (image == (255, 0, 0)).all(-1).sum() == 60


@pytest.mark.parametrize("min_pixels, kept", [(60, [0, 1]), (61, [1])])
def test_the_pixel_floor(min_pixels, kept):
    layers = [(_square(20, RED), 10, 10), (_square(20, BLUE), 10, 13)]
    assert data.layer_scene(_grey(), layers, min_visible=0.0,
                            min_pixels=min_pixels)[2] == kept


def test_faint_alpha_owns_no_pixel_but_is_drawn():
    # B in front has alpha 0.4 < 0.5: A keeps every pixel, B owns none and is
    # left out; with alpha 0.6, B owns its square and is blended in
    for alpha, kept, a_pixels in ((0.4, [0], 400), (0.6, [0, 1], 200)):
        layers = [(_square(20, RED), 10, 10),
                  (_square(20, BLUE, alpha), 10, 20)]
        image, inst, got = data.layer_scene(_grey(), layers)
        assert got == kept and (inst == 1).sum() == a_pixels
    assert (inst[10:30, 20:40] == 2).all()
    # 0.6 blue over red, then over the grey 0.5: 0.6 * blue + 0.4 * below
    assert (image[10:30, 20:30] == (102, 0, 153)).all()
    assert (image[10:30, 30:40] == (51, 51, 204)).all()


def test_a_transparent_layer_is_dropped_and_the_scene_may_be_empty():
    image, inst, kept = data.layer_scene(_grey(16),
                                         [(_square(4, RED, 0.0), 0, 0)])
    assert kept == [] and not inst.any() and (image == 128).all()


def _top_owner(layers: list[tuple[np.ndarray, int, int]], shape) -> np.ndarray:
    """Which layer owns each pixel: searched from the front, pixel by pixel."""
    owner = np.full(shape, -1)
    for r in range(shape[0]):
        for c in range(shape[1]):
            for k in range(len(layers) - 1, -1, -1):
                rgba, y, x = layers[k]
                h, w = rgba.shape[:2]
                if y <= r < y + h and x <= c < x + w \
                        and rgba[r - y, c - x, 3] >= 0.5:
                    owner[r, c] = k
                    break
    return owner


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(2, 12), st.integers(0, 12),
                          st.integers(0, 12)), min_size=1, max_size=5),
       st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.integers(0, 20))
def test_layering_follows_the_rule_on_random_squares(squares, min_visible,
                                                     min_pixels):
    size = 24
    layers = [(_square(s, (k / 5, 0.5, 1 - k / 5)), y, x)
              for k, (s, y, x) in enumerate(squares)]
    image, inst, kept = data.layer_scene(_grey(size), layers,
                                         min_visible=min_visible,
                                         min_pixels=min_pixels)
    owner = _top_owner(layers, (size, size))
    for k, (s, _, _) in enumerate(squares):
        visible = (owner == k).sum()
        passes = visible > 0 and visible >= min_pixels \
            and visible >= min_visible * s * s
        assert (k in kept) == passes
    # drawn with the kept layers only: each owns what it owns among them, and
    # still passes the rule (leaving others out only uncovered it)
    owner = _top_owner([layers[k] for k in kept], (size, size))
    np.testing.assert_array_equal(inst, owner + 1)
    for number, k in enumerate(kept, start=1):
        s = squares[k][0]
        assert (inst == number).sum() >= max(min_pixels, min_visible * s * s, 1)


@pytest.mark.parametrize("background, layers, match", [
    (np.zeros((8, 8, 3), np.uint8), [], "float array"),
    (np.zeros((8, 8), np.float32), [], "float array"),
    (_grey(8), [(_square(4, RED), 5, 0)], "does not fit"),
    (_grey(8), [(_square(4, RED), 0, -1)], ">= 0"),
    (_grey(8), [(np.ones((4, 4, 3), np.float32), 0, 0)], "RGBA"),
    (_grey(8), [(np.ones((4, 4, 4), np.uint8), 0, 0)], "RGBA"),
    (_grey(8), [(_square(4, RED), 0)], "tuple"),
])
def test_layer_scene_refuses_bad_input(background, layers, match):
    with pytest.raises(ValueError, match=match):
        data.layer_scene(background, layers)


@pytest.mark.parametrize("kwargs, match", [
    (dict(min_visible=1.5), "between 0 and 1"),
    (dict(min_visible=True), "between 0 and 1"),
    (dict(min_pixels=-1), ">= 0"),
])
def test_layer_scene_refuses_bad_thresholds(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.layer_scene(_grey(8), [], **kwargs)


# ------------------------------------------------------- load_stamp_multiscenes

@pytest.mark.parametrize("kwargs, error, match", [
    (dict(size=24), ValueError, "size >= 32"),
    (dict(size=600), ValueError, "between 16 and 512"),
    (dict(size=64.0), TypeError, "int number of pixels"),
    (dict(n_train=0), ValueError, "n_train"),
    (dict(n_test=-3), ValueError, "n_test"),
    (dict(max_objects=0), ValueError, "max_objects"),
    (dict(max_objects=17), ValueError, "between 1 and 16"),
    (dict(scale=(0.6, 0.3)), ValueError, "smallest <= largest"),
    (dict(scale=(0.0, 0.5)), ValueError, "0 < smallest"),
    (dict(scale=0.5), ValueError, "pair"),
    (dict(scale=(0.1, 0.5)), ValueError, "size \\* scale\\[0\\] >= 8"),
    (dict(min_visible=-0.1), ValueError, "min_visible"),
    (dict(min_pixels=-1), ValueError, "min_pixels"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=1.0), TypeError, "seed"),
])
def test_bad_arguments_are_refused_before_loading(kwargs, error, match,
                                                  monkeypatch):
    monkeypatch.setattr(data, "load_stamp_cutouts",
                        lambda: pytest.fail("loaded"))
    with pytest.raises(error, match=match):
        data.load_stamp_multiscenes(**kwargs)


SIZE, N_TRAIN, N_TEST, MAX_OBJECTS, MIN_PIXELS = 48, 60, 40, 4, 16


@pytest.fixture(scope="module")
def scenes() -> data.StampMultiScenes:
    return data.load_stamp_multiscenes(SIZE, n_train=N_TRAIN, n_test=N_TEST,
                                       max_objects=MAX_OBJECTS, seed=7)


def _all_arrays(s: data.StampMultiScenes) -> list[np.ndarray]:
    return [getattr(part, f) for part in (s.train, s.test)
            for f in ("images", "masks", "instances", "boxes", "labels",
                      "objects")]


def test_shapes_and_dtypes(scenes):
    assert scenes.classes == ("background", "bird", "flower", "fruit", "mammal",
                              "vegetable")
    for part, n in ((scenes.train, N_TRAIN), (scenes.test, N_TEST)):
        assert len(part) == n
        assert part.images.shape == (n, SIZE, SIZE, 3)
        assert part.masks.shape == part.instances.shape == (n, SIZE, SIZE)
        assert part.boxes.shape == (n, MAX_OBJECTS, 4)
        assert part.labels.shape == part.objects.shape == (n, MAX_OBJECTS)
        assert [a.dtype for a in (part.images, part.masks, part.instances)] \
            == [np.uint8] * 3
        assert [a.dtype for a in (part.boxes, part.labels, part.objects)] \
            == [np.int32] * 3
        assert 1 <= part.counts.min() and part.counts.max() <= MAX_OBJECTS
        assert set(np.unique(part.masks)) <= set(range(6))


def test_masks_instances_and_boxes_agree(scenes):
    for part in (scenes.train, scenes.test):
        for i in range(len(part)):
            count = int(part.counts[i])
            inst, mask = part.instances[i], part.masks[i]
            # rows 0..count-1 are objects, the rest padding
            assert (part.labels[i, :count] >= 1).all()
            assert (part.labels[i, count:] == -1).all()
            assert (part.objects[i, count:] == -1).all()
            assert (part.boxes[i, count:] == -1).all()
            assert set(np.unique(inst)) == set(range(count + 1)) - (
                set() if (inst == 0).any() else {0})
            assert np.array_equal(mask == 0, inst == 0)
            for k in range(1, count + 1):
                mine = inst == k
                assert mine.sum() >= MIN_PIXELS  # the drop rule's floor
                assert (mask[mine] == part.labels[i, k - 1]).all()
                assert part.boxes[i, k - 1].tolist() == _tight_box(mine)
            # every class in the mask has a box, every box's class is in it
            assert set(np.unique(mask)) - {0} == set(part.labels[i, :count])


def test_labels_are_the_classes_of_the_cutouts_shown(scenes):
    cut_labels = data.load_stamp_cutouts().labels
    for part in (scenes.train, scenes.test):
        real = part.objects >= 0
        assert np.array_equal(part.labels[real],
                              cut_labels[part.objects[real]] + 1)
        assert set(np.unique(part.labels[real])) == {1, 2, 3, 4, 5}


def test_scenes_hold_several_objects_whose_boxes_overlap(scenes):
    # occlusion itself is checked on hand-built layers above; here, that the
    # generated scenes give it a chance to happen
    part = scenes.train
    assert (part.counts >= 2).sum() > N_TRAIN // 3
    overlapping = 0
    for i in range(N_TRAIN):
        b = part.boxes[i, :part.counts[i]]
        for j in range(len(b)):
            for k in range(j + 1, len(b)):
                if max(b[j, 0], b[k, 0]) < min(b[j, 2], b[k, 2]) and \
                        max(b[j, 1], b[k, 1]) < min(b[j, 3], b[k, 3]):
                    overlapping += 1
    assert overlapping > 0


def test_train_and_test_share_no_photographed_object(scenes):
    cut = data.load_stamp_cutouts()
    names = [str(n) for n in cut.names]
    test = data.stamp_split(names, cut.labels)
    train_objects = set(scenes.train.objects.ravel().tolist()) - {-1}
    test_objects = set(scenes.test.objects.ravel().tolist()) - {-1}
    assert not test[sorted(train_objects)].any()
    assert test[sorted(test_objects)].all()
    groups = [data.object_group(n) for n in names]
    assert not {groups[i] for i in train_objects} \
        & {groups[i] for i in test_objects}


def test_same_seed_same_scenes_other_seed_other_scenes(scenes):
    again = data.load_stamp_multiscenes(SIZE, n_train=N_TRAIN, n_test=N_TEST,
                                        max_objects=MAX_OBJECTS, seed=7)
    assert data.array_digest(*_all_arrays(again)) \
        == data.array_digest(*_all_arrays(scenes))
    other = data.load_stamp_multiscenes(SIZE, n_train=N_TRAIN, n_test=N_TEST,
                                        max_objects=MAX_OBJECTS, seed=8)
    for a, b in zip(_all_arrays(scenes), _all_arrays(other)):
        assert not np.array_equal(a, b)


def test_a_scene_does_not_depend_on_how_many_follow(scenes):
    fewer = data.load_stamp_multiscenes(SIZE, n_train=10, n_test=5,
                                        max_objects=MAX_OBJECTS, seed=7)
    for full, part, n in ((scenes.train, fewer.train, 10),
                          (scenes.test, fewer.test, 5)):
        for field in ("images", "masks", "instances", "boxes", "labels"):
            assert np.array_equal(getattr(full, field)[:n],
                                  getattr(part, field))


def test_one_object_per_scene_is_never_hidden():
    s = data.load_stamp_multiscenes(32, n_train=20, n_test=5, max_objects=1,
                                    seed=1)
    assert (s.train.counts == 1).all() and (s.test.counts == 1).all()
    assert s.train.boxes.shape == (20, 1, 4)


def test_a_drop_rule_no_scene_can_pass_is_refused():
    # 38 x 38 = 1444 pixels is the largest object at 64 px and scale 0.6
    # (int(38.4)); no cut-out fills its whole square, so 1443 visible pixels
    # never happen
    with pytest.raises(ValueError, match="lower min_pixels"):
        data.load_stamp_multiscenes(64, n_train=1, n_test=1, min_pixels=1443)
    with pytest.raises(ValueError, match="more than the largest"):
        data.load_stamp_multiscenes(64, n_train=1, n_test=1, min_pixels=1444)
