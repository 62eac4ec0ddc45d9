"""Unit tests of helpers.augment (chapter 06): exact properties and errors."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from helpers import augment as A  # noqa: E402


def batch(n=4, h=12, w=10, c=3, seed=0):
    gen = np.random.default_rng(seed)
    return gen.random((n, h, w, c)).astype("float32") * 0.8 + 0.1


def one_hot(classes, k=10):
    return np.eye(k, dtype="float32")[classes]


# ------------------------------------------------------------ flip


def test_flip_twice_with_the_same_seed_is_identity():
    x = batch()
    once = A.flip(x, 3)
    np.testing.assert_array_equal(A.flip(once, 3), x)


def test_flip_p1_mirrors_and_p0_keeps():
    x = batch()
    np.testing.assert_array_equal(A.flip(x, 1, p=1.0), x[:, :, ::-1])
    np.testing.assert_array_equal(A.flip(x, 1, p=0.0), x)


def test_flip_each_image_is_original_or_mirror():
    x = batch(n=32)
    out = A.flip(x, 5).numpy()
    same = np.all(out == x, axis=(1, 2, 3))
    mirrored = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
    assert np.all(same | mirrored) and same.any() and mirrored.any()


def test_a_generator_draws_anew_and_a_seed_repeats():
    x = batch(n=32)
    gen = tf.random.Generator.from_seed(1)
    assert not np.array_equal(A.flip(x, gen), A.flip(x, gen))
    np.testing.assert_array_equal(A.flip(x, 7), A.flip(x, 7))


# ------------------------------------------------------------ crop


def test_crop_shapes():
    x = batch(h=12, w=10)
    assert A.random_crop(x, 1, padding=2).shape == (4, 12, 10, 3)
    assert A.random_crop(x, 1, size=(5, 7)).shape == (4, 5, 7, 3)
    assert A.random_crop(x, 1, padding=1, size=(14, 12)).shape == \
        (4, 14, 12, 3)


def test_crop_without_padding_is_identity_and_windows_are_windows():
    x = batch()
    np.testing.assert_array_equal(A.random_crop(x, 2), x)
    padded = np.pad(x, [(0, 0), (3, 3), (3, 3), (0, 0)])
    out = A.random_crop(x, 2, padding=3).numpy()
    for k in range(len(x)):
        found = [(t, s) for t in range(7) for s in range(7)
                 if np.array_equal(padded[k, t:t + 12, s:s + 10], out[k])]
        assert found


# ------------------------------------------------------------ rotate


def test_rotate_zero_is_identity_and_90_is_rot90():
    x = batch(h=9, w=9)
    np.testing.assert_allclose(A.rotate(x, 0, angles=[0.0] * 4), x,
                               atol=1e-6)
    np.testing.assert_allclose(A.rotate(x, 0, angles=[90.0] * 4),
                               np.rot90(x, 1, axes=(1, 2)), atol=1e-5)


def test_rotate_matches_keras_random_rotation():
    import keras

    x = batch(n=2, h=11, w=15)
    degrees = 17.0
    layer = keras.layers.RandomRotation(
        (degrees / 360, degrees / 360), fill_mode="constant",
        interpolation="bilinear")
    np.testing.assert_allclose(A.rotate(x, 0, angles=[degrees] * 2),
                               layer(x, training=True), atol=1e-4)


def test_rotate_angles_stay_in_range():
    x = batch(n=16)
    out = A.rotate(x, 4, max_degrees=0.0)
    np.testing.assert_allclose(out, x, atol=1e-6)


# ------------------------------------------------------- colour jitter


def test_colour_jitter_with_zero_amounts_is_identity():
    x = batch()
    out = A.colour_jitter(x, 1, brightness=0, contrast=0, saturation=0)
    np.testing.assert_allclose(out, x, atol=1e-6)


def test_colour_jitter_stays_in_unit_range_and_changes_images():
    x = batch(n=8)
    out = A.colour_jitter(x, 2, brightness=0.5, contrast=0.5,
                          saturation=0.5).numpy()
    assert out.min() >= 0 and out.max() <= 1
    assert not np.allclose(out, x)


def test_saturation_zero_factor_range_keeps_grey():
    grey = np.repeat(batch(c=1), 3, axis=-1)
    out = A.colour_jitter(grey, 3, brightness=0, contrast=0, saturation=1)
    np.testing.assert_allclose(out, grey, atol=1e-6)


# ------------------------------------------------------------ cutout


def test_cutout_zeroes_exactly_size_squared_pixels():
    x = np.ones((16, 12, 10, 2), "float32")
    out = A.cutout(x, 3, size=4).numpy()
    zeros = (out == 0).all(axis=-1).sum(axis=(1, 2))
    assert zeros.tolist() == [16] * 16


def test_box_mask_area():
    boxes = np.array([[0, 0, 3, 4], [2, 1, 5, 5], [0, 0, 0, 7]])
    mask = A.box_mask(6, 7, boxes).numpy()
    assert mask.sum(axis=(1, 2, 3)).tolist() == [12, 12, 0]


# ------------------------------------------------------ mixup, cutmix


def test_mixup_labels_sum_to_one_and_images_are_mixed_like_labels():
    n = 8
    x = np.arange(1, n + 1, dtype="float32")[:, None, None, None] * \
        np.ones((n, 4, 4, 1), "float32")
    y = one_hot(np.arange(n))
    images, labels = A.mixup(x, y, 5, alpha=0.4)
    labels = labels.numpy()
    np.testing.assert_allclose(labels.sum(axis=1), 1, atol=1e-6)
    # a constant image k+1 mixed with j+1 gives sum over classes of
    # weight * (class + 1): the label predicts the pixel value
    expected = labels @ np.arange(1, 11, dtype="float32")
    np.testing.assert_allclose(images.numpy()[:, 0, 0, 0], expected[:n],
                               rtol=1e-5)


def test_beta_draws_lie_in_unit_interval_with_mean_one_half():
    lam = A.beta(3, 4000, 0.5).numpy()
    assert lam.min() >= 0 and lam.max() <= 1
    assert abs(lam.mean() - 0.5) < 0.03


def test_cutmix_label_weight_is_exactly_the_pasted_area():
    n, h, w = 16, 12, 10
    x = np.arange(1, n + 1, dtype="float32")[:, None, None, None] * \
        np.ones((n, h, w, 1), "float32")
    y = one_hot(np.arange(n), k=n)
    boxes = A.cutmix_boxes(7, n, h, w, alpha=1.0).numpy()
    other = np.roll(np.arange(n), 1)  # no example is its own partner
    images, labels = A.paste(x, y, boxes, other)
    pasted = (images.numpy()[..., 0] != x[..., 0]).sum(axis=(1, 2))
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    assert pasted.tolist() == area.tolist()
    weight = labels.numpy()[np.arange(n), other]
    np.testing.assert_array_equal(
        weight, np.float32(pasted) / np.float32(h * w))
    np.testing.assert_allclose(labels.numpy().sum(axis=1), 1, atol=1e-6)


def test_cutmix_boxes_lie_in_the_image():
    boxes = A.cutmix_boxes(2, 500, 28, 20).numpy()
    top, left, bottom, right = boxes.T
    assert (0 <= top).all() and (top <= bottom).all()
    assert (bottom <= 28).all() and (0 <= left).all()
    assert (left <= right).all() and (right <= 20).all()


def test_cutmix_mixes_labels_that_sum_to_one():
    x = batch(n=6)
    images, labels = A.cutmix(x, one_hot(np.arange(6)), 3)
    assert images.shape == x.shape
    np.testing.assert_allclose(labels.numpy().sum(axis=1), 1, atol=1e-6)


# ------------------------------------------------------------ tf.data


def test_functions_run_inside_a_tf_data_map_with_new_draws_per_epoch():
    gen = tf.random.Generator.from_seed(0)
    ds = tf.data.Dataset.from_tensor_slices(batch(n=8)).batch(8).map(
        lambda x: A.cutout(A.random_crop(A.flip(x, gen), gen, padding=2),
                           gen, size=3))
    first, second = (next(iter(ds)).numpy() for _ in range(2))
    assert first.shape == (8, 12, 10, 3)
    assert not np.array_equal(first, second)


def test_stateless_seeds_from_the_pipeline_repeat_per_seed_not_per_epoch():
    seeds = tf.data.Dataset.random(seed=4, rerandomize_each_iteration=True)
    ds = tf.data.Dataset.zip((
        tf.data.Dataset.from_tensor_slices(batch(n=8)).batch(4),
        seeds.batch(2))).map(lambda x, seed: A.cutout(x, seed, size=3))
    first, second = ([b.numpy() for b in ds] for _ in range(2))
    assert not np.array_equal(first[0], second[0])
    assert not np.array_equal(first[0], first[1][:4])
    seed = tf.constant([1, 2], tf.int64)
    np.testing.assert_array_equal(A.cutout(batch(), seed),
                                  A.cutout(batch(), seed))


def test_one_random_source_gives_independent_draws():
    r = A.Random(3)
    assert not np.array_equal(r.uniform([5]), r.uniform([5]))


# ------------------------------------------------------------ errors


@pytest.mark.parametrize("call, message", [
    (lambda: A.flip(batch()[0], 1), "images must be a batch"),
    (lambda: A.flip(batch(), 1, p=1.5), "p must be a probability"),
    (lambda: A.flip(batch(), 1, p=-0.1), "p must be a probability"),
    (lambda: A.flip(batch(), "seed"), "rng must be an int seed"),
    (lambda: A.flip(batch(), tf.constant([1.0, 2.0])), "rng must be"),
    (lambda: A.flip(batch(), tf.constant([1, 2, 3])), "rng must be"),
    (lambda: A.flip(np.ones((2, 4, 4, 1), "uint8"), 1), "must hold floats"),
    (lambda: A.random_crop(batch(h=12), 1, size=(13, 5)), "must be positive"
     " and fit"),
    (lambda: A.random_crop(batch(), 1, padding=-1), "padding must be"),
    (lambda: A.rotate(batch(), 1, max_degrees=-5), "max_degrees must be"),
    (lambda: A.colour_jitter(batch(), 1, brightness=-1), "brightness must"),
    (lambda: A.colour_jitter(batch(), 1, contrast=2), "contrast and "
     "saturation must be <= 1"),
    (lambda: A.cutout(batch(h=12, w=10), 1, size=11), "larger than the "
     "image"),
    (lambda: A.cutout(batch(), 1, size=0), "size must be >= 1"),
    (lambda: A.mixup(batch(), one_hot(np.arange(4)), 1, alpha=0),
     "alpha must be a number > 0"),
    (lambda: A.cutmix(batch(), one_hot(np.arange(4)), 1, alpha=-1),
     "alpha must be a number > 0"),
    (lambda: A.mixup(batch(), np.arange(4), 1), "labels must be one-hot"),
    (lambda: A.mixup(batch(), one_hot(np.arange(3)), 1), "same number"),
])
def test_bad_arguments_raise_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_source_lines_fit_the_book_column():
    import inspect

    for line in inspect.getsource(A).splitlines():
        assert len(line) <= 80, line


# ------------------------------------------------------------ RandAugment


def grey_levels(n=3, h=8, w=8):
    """Images whose pixels are whole 8-bit levels k / 255, as a loaded
    uint8 image scaled to [0, 1] would be."""
    levels = np.random.default_rng(3).integers(0, 256, (n, h, w, 1))
    return (levels / 255).astype("float32")


def test_rand_augment_magnitude_zero_or_no_ops_keeps_the_images():
    x = grey_levels()
    for op in A.RAND_AUGMENT_OPS:
        np.testing.assert_array_equal(A.rand_augment_op(x, op, 0), x)
    np.testing.assert_allclose(A.rand_augment(x, 1, n=3, m=0), x, atol=1e-6)
    np.testing.assert_array_equal(A.rand_augment(x, 1, n=0, m=9), x)


def test_rand_augment_ops_follow_their_formulas():
    x = grey_levels(n=2)
    signs = np.array([1.0, -1.0], "float32")
    # shift_x by round(0.3 * 0.5 * 8) = 1 pixel: right for +1, left for -1
    out = A.rand_augment_op(x, "shift_x", 5, signs).numpy()
    np.testing.assert_allclose(out[0, :, 1:], x[0, :, :-1], atol=1e-6)
    np.testing.assert_array_equal(out[0, :, 0], 0)
    np.testing.assert_allclose(out[1, :, :-1], x[1, :, 1:], atol=1e-6)
    out = A.rand_augment_op(x, "shift_y", 5, signs).numpy()
    np.testing.assert_allclose(out[0, 1:], x[0, :-1], atol=1e-6)
    out = A.rand_augment_op(x, "brightness", 10, signs).numpy()
    np.testing.assert_allclose(out[1], 0.1 * x[1], rtol=1e-5)
    np.testing.assert_allclose(out[0], np.minimum(1.9 * x[0], 1), rtol=1e-5)
    out = A.rand_augment_op(x, "solarize", 4).numpy()
    np.testing.assert_allclose(out, np.where(x > 0.6, 1 - x, x), atol=1e-6)
    np.testing.assert_allclose(A.rand_augment_op(x, "rotate", 10, signs),
                               A.rotate(x, None, angles=[30, -30]),
                               atol=1e-6)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(A.rand_augment_op(x, "contrast", 5, signs),
                               np.clip(mean + (1 + 0.45 * signs[:, None,
                                       None, None]) * (x - mean), 0, 1),
                               atol=1e-6)


def test_posterize_keeps_8_minus_round_4f_bits():
    x = np.linspace(0, 1, 256, dtype="float32").reshape(1, 16, 16, 1)
    for m, bits in [(0, 8), (2, 7), (5, 6), (9, 4), (10, 4)]:
        out = A.rand_augment_op(x, "posterize", m).numpy()
        assert len(np.unique(out)) == 2 ** bits, m
        assert np.all(out <= x + 1e-6)  # levels are rounded down


def test_rand_augment_gives_each_image_one_of_the_single_op_results():
    x = grey_levels(n=64)
    ops = ("identity", "solarize", "posterize")  # none has a direction
    out = A.rand_augment(x, 5, n=1, m=8, ops=ops).numpy()
    singles = [A.rand_augment_op(x, op, 8).numpy() for op in ops]
    which = [[np.allclose(out[k], s[k], atol=1e-6) for s in singles]
             for k in range(len(x))]
    assert all(any(row) for row in which)
    # every op was drawn for some image (64 draws from 3 choices)
    assert all(any(row[j] and not any(np.delete(row, j)) for row in which)
               for j in range(len(ops)))


def test_rand_augment_repeats_for_a_seed_and_runs_in_a_dataset_map():
    x = grey_levels(n=8)
    np.testing.assert_array_equal(A.rand_augment(x, 3), A.rand_augment(x, 3))
    assert not np.array_equal(A.rand_augment(x, 3), A.rand_augment(x, 4))
    gen = tf.random.Generator.from_seed(2)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(4).map(
        lambda b: A.rand_augment(b, gen, n=2, m=9))
    out = np.concatenate([b.numpy() for b in ds])
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1


def test_rand_augment_refuses_bad_arguments():
    x = grey_levels()
    with pytest.raises(ValueError, match="magnitude in \\[0, 10\\]"):
        A.rand_augment(x, 1, m=11)
    with pytest.raises(ValueError, match="magnitude"):
        A.rand_augment_op(x, "rotate", -1)
    with pytest.raises(ValueError, match="n must be"):
        A.rand_augment(x, 1, n=-1)
    with pytest.raises(ValueError, match="ops must be"):
        A.rand_augment(x, 1, ops=("rotate", "shear"))
    with pytest.raises(ValueError, match="ops must be"):
        A.rand_augment(x, 1, ops="rotate")
    with pytest.raises(ValueError, match="op must be one of"):
        A.rand_augment_op(x, "blur", 5)
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        A.rand_augment(x * 255, 1)
    with pytest.raises(ValueError, match="one sign per image"):
        A.rand_augment_op(x, "rotate", 5, signs=[1.0])
