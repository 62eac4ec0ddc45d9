"""What the helpers of chapters 05-14 accept (issue 23, items 2 and 4-10):
endless and empty datasets, reused layers, value ranges, integer images,
NaN, NumPy scalars and bools, exercise numbers, sizes beyond memory.
The rules that span many functions are property tests over all of them."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import (augment, exercises, explain, model_stats, pixels, style,
                     timing, training, validate)

S = 8
IMG = np.random.default_rng(0).random((2, S, S, 3)).astype("float32")
LABELS = np.eye(3, dtype="float32")[:2]


def _net():
    keras.utils.set_random_seed(0)
    x = keras.Input((S, S, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                            name="c1")(x)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(x, keras.layers.Dense(3)(h))


NET = _net()


def _compiled():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


XS, YS = np.zeros((8, 4), "float32"), np.zeros((8, 2), "float32")


# ---------------------------------------------------------- 2: training.fit

def test_fit_refuses_a_dataset_that_repeats_forever():
    endless = tf.data.Dataset.from_tensor_slices((XS, YS)).batch(4).repeat()
    with pytest.raises(ValueError, match="repeats forever.*steps_per_epoch"):
        training.fit(_compiled(), endless, epochs=1, quiet=True)
    with pytest.raises(ValueError, match="validation repeats forever"):
        training.fit(_compiled(), training.dataset(XS, YS, batch_size=4),
                     validation=endless, epochs=1, quiet=True)
    result = training.fit(_compiled(), endless, epochs=2, quiet=True,
                          steps_per_epoch=3)
    assert result.images_per_epoch == 12 and len(result.history["loss"]) == 2


def test_fit_refuses_an_unknown_length_without_steps():
    unknown = tf.data.Dataset.from_tensor_slices((XS, YS)).filter(
        lambda a, b: True).batch(4)
    with pytest.raises(ValueError, match="unknown number of batches"):
        training.fit(_compiled(), unknown, epochs=1, quiet=True)
    result = training.fit(_compiled(), unknown, epochs=1, quiet=True,
                          steps_per_epoch=2)
    assert result.images_per_epoch == 8


def test_empty_datasets_are_errors():
    no_batch = training.dataset(XS[:3], YS[:3], batch_size=4,
                                drop_remainder=True)
    with pytest.raises(ValueError, match="holds no images"):
        training.fit(_compiled(), no_batch, epochs=1, quiet=True)
    empty = tf.data.Dataset.from_tensor_slices((XS[:0], YS[:0])).batch(4)
    with pytest.raises(ValueError, match="holds no images"):
        training.fit(_compiled(), empty, epochs=1, quiet=True)


# ----------------------------------------------- 4: every call is counted

def test_count_macs_counts_every_call_of_a_reused_layer():
    shared = keras.layers.Conv2D(8, 3, padding="same", name="shared")
    a, b = keras.Input((S, S, 2)), keras.Input((S, S, 2))
    siamese = keras.Model([a, b], keras.layers.Concatenate()([shared(a),
                                                              shared(b)]))
    one_call = S * S * 8 * 9 * 2
    assert model_stats.count_macs(siamese) == 2 * one_call
    x = keras.Input((S, S, 2))
    again = keras.layers.Conv2D(2, 3, padding="same", name="again")
    chain = keras.Model(x, again(again(x)))
    assert model_stats.count_macs(chain) == 2 * S * S * 2 * 9 * 2
    rows = model_stats.layer_stats(chain)
    assert [r.name for r in rows] == ["again"] and rows[0].params == 38
    # A nested model called twice: each call's layers counted.
    inner = keras.Sequential([keras.Input((S, S, 2)), again], name="inner")
    twice = keras.Model([a, b], keras.layers.Add()([inner(a), inner(b)]))
    assert model_stats.count_macs(twice) == 2 * S * S * 2 * 9 * 2


# ---------------------------------------------------------- 5: value ranges

def test_value_ranges_are_checked_not_guessed():
    photo = IMG[:1] * 255
    with pytest.raises(ValueError, match=r"image has values in \[.*value_range"):
        explain.deep_dream(NET, photo, "c1", steps=1, value_range=(0, 1))
    with pytest.raises(ValueError, match=r"image has values in \[-"):
        explain.invert_features(NET, IMG[:1] * 2 - 1, "c1", steps=1)
    with pytest.raises(ValueError, match=r"start has values in \["):
        pixels.optimise_pixels(tf.reduce_sum, photo, steps=1,
                               value_range=(0, 1))
    with pytest.raises(ValueError, match=r"start has values in \["):
        pixels.optimise_pixels_lbfgs(tf.reduce_sum, photo, steps=1,
                                     value_range=(0, 1))
    odd = IMG[0].copy()
    odd[0, 0, 0] = 1.0001
    with pytest.raises(ValueError, match=r"\[0, 1\] or in \[0, 255\]"):
        explain.overlay(odd, np.zeros((S, S)))
    np.testing.assert_allclose(  # saying so settles it
        explain.overlay(odd, np.zeros((S, S)), value_range=(0, 2)),
        explain.overlay(odd / 2, np.zeros((S, S))), atol=1e-6)
    np.testing.assert_allclose(  # a 0-255 float photo is still recognised
        explain.overlay(IMG[0] * 255, np.zeros((S, S))),
        explain.overlay(IMG[0], np.zeros((S, S))), atol=1e-6)
    with pytest.raises(ValueError, match="heatmap has values"):
        explain.overlay(IMG[0], np.full((S, S), 5.0))
    with pytest.raises(TypeError, match="float image is scaled already"):
        training.scale_images(IMG)
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        training.scale_images(np.full((1, 2, 2), 300, np.int32))


def test_a_black_image_cannot_be_inverted():
    with pytest.raises(ValueError, match="all zero"):
        explain.invert_features(NET, np.zeros((1, S, S, 3)), "c1", steps=1,
                                value_range=(0, 1))


# --------------------------------------------------- 6: integer images

def test_integer_images_are_computed_in_float():
    u8 = (IMG * 255).astype(np.uint8)
    as_float = u8.astype(np.float32)
    for ints in (u8, u8.astype(np.int32)):
        np.testing.assert_allclose(pixels.total_variation(ints),
                                   pixels.total_variation(as_float))
        np.testing.assert_allclose(
            style.content_loss(ints, np.zeros_like(ints)),
            np.mean(as_float.astype(np.float64) ** 2), rtol=1e-6)
        np.testing.assert_allclose(style.gram_matrix(ints),
                                   style.gram_matrix(as_float), rtol=1e-6)
    np.testing.assert_allclose(training.scale_images(u8.astype(np.int64)),
                               u8 / 255.0, rtol=1e-6)


# --------------------------------- 7: NaN, over every image-taking function

def _with_nan(index):
    images = IMG.copy()
    images[0].flat[index % images[0].size] = np.nan  # every call reads x[0]
    return images


IMAGE_FUNCTIONS = {
    "explain.saliency": lambda x: explain.saliency(NET, x),
    "explain.grad_cam": lambda x: explain.grad_cam(NET, x),
    "explain.cam": lambda x: explain.cam(NET, x),
    "explain.overlay image": lambda x: explain.overlay(x[0], np.zeros((S, S))),
    "explain.overlay heatmap": lambda x: explain.overlay(
        IMG[0], x.max(axis=(0, 3))),
    "explain.invert_features": lambda x: explain.invert_features(
        NET, x[:1], "c1", steps=1, value_range=(0, 1)),
    "explain.invert_features start": lambda x: explain.invert_features(
        NET, IMG[:1], "c1", steps=1, value_range=(0, 1), start=x[:1]),
    "explain.deep_dream": lambda x: explain.deep_dream(
        NET, x[:1], "c1", steps=1, value_range=(0, 1)),
    "pixels.total_variation": pixels.total_variation,
    "pixels.optimise_pixels": lambda x: pixels.optimise_pixels(
        tf.reduce_sum, x, steps=1),
    "pixels.optimise_pixels_lbfgs": lambda x: pixels.optimise_pixels_lbfgs(
        tf.reduce_sum, x, steps=1),
    "style.content_loss": lambda x: style.content_loss(x, IMG),
    "style.content_loss target": lambda x: style.content_loss(IMG, x),
    "style.stylise": lambda x: style.stylise(
        x[0], IMG[1], NET, steps=1, content_layer="c1", style_layers=["c1"],
        preprocess=None),
    "augment.flip": lambda x: augment.flip(x, 0),
    "augment.random_crop": lambda x: augment.random_crop(x, 0, padding=1),
    "augment.rotate": lambda x: augment.rotate(x, 0),
    "augment.colour_jitter": lambda x: augment.colour_jitter(x, 0),
    "augment.cutout": lambda x: augment.cutout(x, 0, size=2),
    "augment.mixup": lambda x: augment.mixup(x, LABELS, 0),
    "augment.cutmix": lambda x: augment.cutmix(x, LABELS, 0),
    "augment.paste": lambda x: augment.paste(x, LABELS, [[0, 0, 1, 1]] * 2,
                                             [1, 0]),
    "augment.sample_bilinear": lambda x: augment.sample_bilinear(
        x, *np.zeros((2, 2, S, S), "float32")),
    "style.gram_matrix": style.gram_matrix,
    "style.style_loss": lambda x: style.style_loss([x], [np.eye(3)]),
    "style.style_loss target": lambda x: style.style_loss(  # any NaN of
        [IMG], [np.full((3, 3), x[0].sum())]),  # x[0] makes the target NaN
    "training.dataset": lambda x: next(iter(training.dataset(
        x, np.zeros(2), batch_size=2)))[0],
}


@pytest.mark.parametrize("name", sorted(IMAGE_FUNCTIONS))
@settings(max_examples=3, deadline=None)
@given(index=st.integers(0, IMG.size - 1))
def test_every_image_function_refuses_nan(name, index):
    with pytest.raises(ValueError, match="NaN"):
        IMAGE_FUNCTIONS[name](_with_nan(index))


INTEGER_FUNCTIONS = {  # computed as floats, or refused with a TypeError
    name: fn for name, fn in IMAGE_FUNCTIONS.items()
    if name != "explain.overlay heatmap"}


@pytest.mark.parametrize("name", sorted(INTEGER_FUNCTIONS))
@given(dtype=st.sampled_from([np.uint8, np.int32, np.int64]))
@settings(max_examples=2, deadline=None)
def test_integer_images_are_handled(name, dtype):
    """Either a clear refusal or the result of the same image as floats."""
    ints = (IMG * 255).astype(dtype)
    scaled = ints.astype(np.float32) / 255  # functions that want [0, 1]
    wants_unit = name.startswith(("augment", "explain.deep", "explain.inv",
                                  "style.stylise", "explain.overlay"))
    try:
        got = INTEGER_FUNCTIONS[name](ints)
    except TypeError as err:
        assert "float" in str(err) or "uint8" in str(err) or "int" in str(err)
        return
    except ValueError as err:  # a range refusal names the range it found
        assert wants_unit and "values in" in str(err)
        return
    if name.startswith(("pixels.optimise", "explain.invert", "explain.deep",
                        "style.stylise")):
        return  # an optimisation from integer pixels: ran in float32
    want = INTEGER_FUNCTIONS[name](ints.astype(np.float32) if not wants_unit
                                   else scaled)
    for a, b in zip(tf.nest.flatten(got), tf.nest.flatten(want)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5)


# ------------------------------------------ 8: NumPy scalars in, bools out

NUMBER_ARGUMENTS = {  # name -> (call with the value, a valid Python value)
    "pixels lr": (lambda v: pixels.optimise_pixels(
        tf.reduce_sum, IMG[:1], steps=1, learning_rate=v).image, 0.1),
    "pixels steps": (lambda v: pixels.optimise_pixels_lbfgs(
        lambda x: tf.reduce_sum(x ** 2), IMG[:1], steps=v).image, 1),
    "explain tv_weight": (lambda v: explain.invert_features(
        NET, IMG[:1], "c1", steps=1, tv_weight=v, learning_rate=0.01,
        value_range=(0, 1)).image, 0.5),
    "explain class_index": (lambda v: explain.grad_cam(NET, IMG, v), 1),
    "explain alpha": (lambda v: explain.overlay(IMG[0], np.zeros((S, S)),
                                                alpha=v), 0.5),
    "style weight": (lambda v: style.stylise(
        IMG[0], IMG[1], NET, steps=1, style_weight=v, content_layer="c1",
        style_layers=["c1"], preprocess=None, optimiser="adam").image, 1.0),
    "augment p": (lambda v: augment.flip(IMG, 0, p=v), 1.0),
    "augment alpha": (lambda v: augment.mixup(IMG, LABELS, 0, alpha=v), 2.0),
    "augment brightness": (lambda v: augment.colour_jitter(
        IMG, 0, brightness=v), 1.0),
    "augment n": (lambda v: augment.partners(0, v), 4),
    "augment cutout size": (lambda v: augment.cutout(IMG, 0, size=v), 3),
    "augment crop padding": (lambda v: augment.random_crop(
        IMG, 0, padding=v), 2),
    "augment crop size": (lambda v: augment.random_crop(
        IMG, 0, padding=1, size=(v, v)), 6),
    "augment crop size one int": (lambda v: augment.random_crop(
        IMG, 0, padding=1, size=(v, 6)), 6),
    "training seed": (lambda v: list(training.dataset(
        IMG, np.arange(2), batch_size=1, shuffle=True,
        seed=v).as_numpy_iterator()), 3),
    "training batch_size": (lambda v: list(training.dataset(
        IMG, np.zeros(2), batch_size=v).as_numpy_iterator())[0][0], 1),
    "model_stats accuracy": (lambda v: model_stats.model_card(
        NET, accuracy=v, train_seconds=1.0).accuracy, 1.0),
    "validate real_number": (lambda v: validate.real_number(v, "x"), 2.0),
    "validate as_int": (lambda v: validate.as_int(v, "x"), 2),
    "exercises digits": (lambda v: exercises.digest("01.1", 0.25, v), 2),
}


@pytest.mark.parametrize("name", sorted(NUMBER_ARGUMENTS))
@given(kind=st.sampled_from(["int32", "int64", "float32", "float64"]))
@settings(max_examples=4, deadline=None)
def test_numpy_scalars_are_accepted(name, kind):
    call, value = NUMBER_ARGUMENTS[name]
    if isinstance(value, int) and kind.startswith("float"):
        return  # an int argument refuses floats, NumPy or not
    if isinstance(value, float) and kind.startswith("int") and \
            not value.is_integer():
        return  # 0.5 has no integer twin
    keras.utils.set_random_seed(0)
    want = call(value)
    keras.utils.set_random_seed(0)
    got = call(getattr(np, kind)(value))
    for a, b in zip(tf.nest.flatten(got), tf.nest.flatten(want)):
        if isinstance(a, str):
            assert a == b
        else:
            np.testing.assert_allclose(np.asarray(a), np.asarray(b),
                                       rtol=1e-6)


@pytest.mark.parametrize("name", sorted(NUMBER_ARGUMENTS))
@given(flag=st.sampled_from([True, False, np.bool_(True), np.bool_(False)]))
@settings(max_examples=4, deadline=None)
def test_bools_are_refused(name, flag):
    call, _ = NUMBER_ARGUMENTS[name]
    with pytest.raises((TypeError, ValueError)):
        call(flag)


def test_dataset_refuses_what_is_not_a_flag_or_a_seed():
    for shuffle in ("yes", 1, None, 0.0):
        with pytest.raises(TypeError, match="shuffle must be True or False"):
            training.dataset(IMG, np.zeros(2), shuffle=shuffle)
    for seed in (-1, 2.0, "3"):
        with pytest.raises((TypeError, ValueError), match="seed must be"):
            training.dataset(IMG, np.zeros(2), shuffle=True, seed=seed)
    order = [list(training.dataset(np.arange(6.0), batch_size=6,
                                   shuffle=flag, seed=4).as_numpy_iterator())
             for flag in (np.bool_(True), True)]
    np.testing.assert_array_equal(*order)


def test_dataset_refuses_nan_labels():
    labels = np.eye(3, dtype="float32")[[0, 1]]
    labels[1, 2] = np.nan
    with pytest.raises(ValueError, match="y holds 1 NaN"):
        training.dataset(IMG, labels)


# ------------------------ 7 and 5 in chapter 06's augmentations (printed)

def test_colour_jitter_refuses_images_outside_the_unit_range():
    for images, found in ((IMG * 255, r"\[[\d.e-]+, 2\d\d\.\d+\]"),
                          (IMG - 0.5, r"\[-0\.[\d.]+, 0\.[\d.]+\]")):
        with pytest.raises(ValueError, match="images has values in " + found
                           + r", outside \[0, 1\]"):
            augment.colour_jitter(images, 0)
    # inside a tf.data map the values are not known: no check, same result
    mapped = tf.data.Dataset.from_tensors(IMG).map(
        lambda x: augment.colour_jitter(x, 5))
    np.testing.assert_allclose(next(iter(mapped)),
                               augment.colour_jitter(IMG, 5), atol=1e-6)


def test_rotate_checks_its_angles():
    with pytest.raises(ValueError, match="angles holds 1 NaN"):
        augment.rotate(IMG, 0, angles=[np.nan, 0.0])
    for angles in ([1.0, 2.0, 3.0], [1.0], [[1.0, 2.0]], 30.0):
        with pytest.raises(ValueError, match="one angle per image"):
            augment.rotate(IMG, 0, angles=angles)
    np.testing.assert_allclose(  # float64 or int angles: the same rotation
        augment.rotate(IMG, 0, angles=np.array([90, -30])),
        augment.rotate(IMG, 0, angles=np.array([90.0, -30.0], "float32")))


@pytest.mark.parametrize("name", ["mixup", "cutmix", "paste"])
def test_label_mixing_refuses_nan_labels(name):
    labels = LABELS.copy()
    labels[1, 0] = np.nan
    call = {"mixup": lambda: augment.mixup(IMG, labels, 0),
            "cutmix": lambda: augment.cutmix(IMG, labels, 0),
            "paste": lambda: augment.paste(IMG, labels, [[0, 0, 1, 1]] * 2,
                                           [1, 0])}[name]
    with pytest.raises(ValueError, match="labels holds 1 NaN"):
        call()


@pytest.mark.parametrize("other, message", [
    ([5, 6], r"other must hold indices in \[0, 2\), got 5, 6$"),
    ([-1, 0], r"indices in \[0, 2\), got -1"),
    ([0], r"other must hold one index per image \(2\), got shape \(1,\)"),
    ([[0, 1]], r"one index per image"),
    ([0.0, 1.0], "other must hold integer indices, got float"),
])
def test_paste_refuses_bad_partners(other, message):
    with pytest.raises((ValueError, TypeError), match=message):
        augment.paste(IMG, LABELS, [[0, 0, 1, 1]] * 2, other)


def test_paste_checks_partners_inside_a_pipeline_too():
    """In a traced function the shapes are checked when they are known."""
    pasted = tf.function(lambda x, o: augment.paste(
        x, LABELS, [[0, 0, 1, 1]] * 2, o))
    np.testing.assert_allclose(pasted(IMG, tf.constant([1, 0]))[0],
                               augment.paste(IMG, LABELS, [[0, 0, 1, 1]] * 2,
                                             [1, 0])[0])


def test_sample_bilinear_checks_positions_and_casts_their_dtype():
    ys, xs = np.meshgrid(np.arange(S) + 0.5, np.arange(S) - 0.25,
                         indexing="ij")
    ys, xs = np.broadcast_to(ys, (2, S, S)), np.broadcast_to(xs, (2, S, S))
    want = augment.sample_bilinear(IMG, ys.astype("float32"),
                                   xs.astype("float32"))
    np.testing.assert_allclose(augment.sample_bilinear(IMG, ys, xs), want)
    np.testing.assert_allclose(augment.sample_bilinear(IMG.astype("float64"),
                                                       ys, xs), want)
    with pytest.raises(ValueError, match=r"ys and xs must have the same "
                       r"shape \(N, H', W'\)"):
        augment.sample_bilinear(IMG, np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="same shape"):
        augment.sample_bilinear(IMG, ys, xs[:, :3])
    with pytest.raises(ValueError, match="one grid of positions per image"):
        augment.sample_bilinear(IMG, ys[:1], xs[:1])
    with pytest.raises(ValueError, match="ys holds 1 NaN"):
        bad = ys.copy()
        bad[0, 0, 0] = np.nan
        augment.sample_bilinear(IMG, bad, xs)


# ------------------------------------------------ 9: exercises with digits

@pytest.fixture()
def answers_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(exercises, "ANSWERS_DIR", tmp_path)
    return tmp_path


def test_numbers_with_digits_compare_by_value_not_type(answers_dir, capsys):
    exercises.add("99.1", 1234567.0, digits=7)
    exercises.add("99.2", 0.0, digits=3)
    exercises.add("99.3", 1234567, digits=7)
    exercises.add("99.4", [0.5, 2.0], digits=2)
    for key, answer in (("99.1", 1234567), ("99.1", np.int64(1234567)),
                        ("99.2", 0), ("99.2", -0.0), ("99.2", np.float32(0)),
                        ("99.3", 1234567.0), ("99.4", [0.5, 2])):
        assert exercises.check(key, answer), (key, answer)
    for key, answer in (("99.1", 1234568), ("99.2", 1), ("99.3", 1234566.0),
                        ("99.4", [0.5, 3])):
        assert not exercises.check(key, answer), (key, answer)
    capsys.readouterr()


def test_bad_digits_and_keys(answers_dir):
    for digits in (0, -1, 2.5, True):
        with pytest.raises((TypeError, ValueError), match="digits"):
            exercises.digest("01.1", 0.5, digits)
    with pytest.raises(TypeError, match="strings"):
        exercises.check(1, 1)


# --------------------------------------------- 10: sizes beyond memory

@pytest.mark.parametrize("call", [
    lambda: model_stats.cpu_ms_per_image(NET, batch_size=10**9, rounds=1),
    lambda: timing.matmul_operands(10**6),
    lambda: augment.partners(0, 10**12),
    lambda: augment.beta(0, 10**12, 1.0),
    lambda: augment.box_mask(10**6, 10**6, [[0, 0, 1, 1]]),
])
def test_sizes_beyond_memory_are_refused_with_the_estimate(call):
    with pytest.raises(ValueError, match=r"about [\d,.]+ GiB.*available"):
        call()


def test_check_allocation_passes_what_fits():
    validate.check_allocation(1024, "a small array")
    assert validate.memory_budget() > 2**20
