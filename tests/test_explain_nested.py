"""helpers.explain and helpers.style on models with a nested backbone (the
shape of chapter 12's transfer models and of keras.io's), and softmax heads
written in every way Keras allows (issue 23, items 1 and 3)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import explain, style

SIZE, CLASSES = 12, 3


def _backbone(name="backbone", channels=3):
    x = keras.Input((SIZE, SIZE, channels))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="b1")(x)
    h = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="b2")(h)
    return keras.Model(x, h, name=name)


def _flat_twin(nested_weights):
    """The same network without nesting, with the nested model's weights."""
    x = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="b1")(x)
    h = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="b2")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    flat = keras.Model(x, keras.layers.Dense(CLASSES)(h))
    flat.set_weights(nested_weights)
    return flat


def _images(n=2, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, SIZE, SIZE, channels)).astype("float32")


@pytest.fixture(scope="module")
def nested():
    keras.utils.set_random_seed(3)
    backbone = _backbone()
    return keras.Sequential([keras.Input((SIZE, SIZE, 3)), backbone,
                             keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(CLASSES)], name="nested")


def test_grad_cam_of_a_nested_backbone_equals_the_flat_network(nested):
    flat = _flat_twin(nested.get_weights())
    x = _images()
    want = explain.grad_cam(flat, x, 1, layer="b2")
    np.testing.assert_allclose(explain.grad_cam(nested, x, 1), want, atol=1e-5)
    np.testing.assert_allclose(
        explain.grad_cam(nested, x, 1, layer="backbone/b2"), want, atol=1e-5)
    inner = nested.get_layer("backbone").get_layer("b2")
    np.testing.assert_allclose(explain.grad_cam(nested, x, 1, layer=inner),
                               want, atol=1e-5)
    np.testing.assert_allclose(
        explain.grad_cam(nested, x, 1, layer="b1"),
        explain.grad_cam(flat, x, 1, layer="b1"), atol=1e-5)
    np.testing.assert_allclose(explain.cam(nested, x, 1),
                               explain.cam(flat, x, 1), atol=1e-5)


def test_a_functional_wrapper_of_a_backbone(nested):
    backbone = nested.get_layer("backbone")
    x = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.GlobalAveragePooling2D()(backbone(x, training=False))
    wrapped = keras.Model(x, keras.layers.Dense(CLASSES)(h))
    wrapped.set_weights(nested.get_weights())
    images = _images()
    np.testing.assert_allclose(explain.grad_cam(wrapped, images),
                               explain.grad_cam(nested, images), atol=1e-5)


def test_chapter_12_shape_top_and_head():
    """keras.Sequential([top, head]): top cut from a network at an inner
    tensor, head a Sequential of Dropout and Dense, as chapter 12 builds it."""
    keras.utils.set_random_seed(4)
    full = _backbone("full", channels=3)
    top_out = keras.layers.GlobalAveragePooling2D(name="pool")(
        full.get_layer("b2").output)
    top = keras.Model(full.get_layer("b1").output, top_out, name="top")
    head = keras.Sequential([keras.Input((5,)), keras.layers.Dropout(0.3),
                             keras.layers.Dense(CLASSES)], name="head")
    model = keras.Sequential([top, head])
    x = _images(channels=4)
    heat = explain.grad_cam(model, x)
    assert heat.shape == (2, SIZE, SIZE) and heat.max() == pytest.approx(1.0)
    np.testing.assert_allclose(explain.cam(model, x), heat, atol=1e-5)
    run = explain.deep_dream(model, x[:1], "top/b2", steps=1,
                             learning_rate=0.01, value_range=(0.0, 1.0))
    assert np.all(np.isfinite(run.image))


def test_a_keras_applications_backbone_in_a_sequential_head():
    keras.utils.set_random_seed(5)
    app = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35,
                                         include_top=False, weights=None)
    model = keras.Sequential([keras.Input((32, 32, 3)), app,
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(CLASSES)])
    x = np.random.default_rng(1).random((1, 32, 32, 3)).astype("float32")
    # By hand: the last feature maps of the backbone and the head on them.
    maps = keras.Model(app.input, app.get_layer("out_relu").output)
    inputs = tf.constant(x)
    seen = 0.0
    for c in range(CLASSES):
        with tf.GradientTape() as tape:
            a = maps(inputs)
            tape.watch(a)
            score = model.layers[-1](tf.reduce_mean(a, axis=(1, 2)))[:, c]
        weights = tf.reduce_mean(tape.gradient(score, a), axis=(1, 2))
        raw = tf.nn.relu(tf.einsum("nhwk,nk->nhw", a, weights))
        up = tf.image.resize(raw[..., None], (32, 32))[..., 0].numpy()
        peak = up.max()
        seen = max(seen, peak)
        np.testing.assert_allclose(explain.grad_cam(model, x, c),
                                   up / peak if peak > 0 else up, atol=1e-5)
    assert seen > 0  # at least one class has a map that is not all zero
    extractor = style.feature_extractor(model, ["Conv1", "out_relu"])
    out = extractor(x)
    np.testing.assert_allclose(out["out_relu"], maps(x), atol=1e-5)


def test_style_feature_extractor_reads_nested_layers(nested):
    flat = _flat_twin(nested.get_weights())
    x = _images()
    got = style.feature_extractor(nested, ["b1", "backbone/b2"])(x)
    want = style.feature_extractor(flat, ["b1", "b2"])(x)
    np.testing.assert_allclose(got["b1"], want["b1"], atol=1e-6)
    np.testing.assert_allclose(got["backbone/b2"], want["b2"], atol=1e-6)


def test_ambiguous_and_reused_layers_are_refused():
    keras.utils.set_random_seed(6)
    one, two = _backbone("one"), _backbone("two")
    x = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Concatenate()([one(x), two(x)])
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(x, keras.layers.Dense(CLASSES)(h))
    with pytest.raises(ValueError, match="'b1' names several layers.*'one/b1'"):
        explain.grad_cam(model, _images(), layer="b1")
    explain.grad_cam(model, _images(), layer="one/b1")  # a path is fine
    shared = keras.layers.Conv2D(3, 3, padding="same", name="shared")
    y = shared(shared(x))
    twice = keras.Model(
        x, keras.layers.Dense(CLASSES)(keras.layers.Flatten()(y)))
    with pytest.raises(ValueError, match="called 2 times"):
        explain.grad_cam(twice, _images(), layer="shared")


def _softmax_heads():
    """The same network ending in a softmax written five ways."""
    def build(kind):
        keras.utils.set_random_seed(7)
        x = keras.Input((SIZE, SIZE, 3))
        h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
        h = keras.layers.GlobalAveragePooling2D()(h)
        if kind == "none":
            out = keras.layers.Dense(CLASSES)(h)
        elif kind == "tf.nn.softmax":
            out = keras.layers.Dense(CLASSES, activation=tf.nn.softmax)(h)
        elif kind == "keras.ops.softmax":
            out = keras.layers.Dense(CLASSES, activation=keras.ops.softmax)(h)
        elif kind == "Softmax layer":
            out = keras.layers.Softmax()(keras.layers.Dense(CLASSES)(h))
        elif kind == "nested head":
            head = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
                CLASSES, activation="softmax")])
            out = head(h)
        return keras.Model(x, out)
    return build


@pytest.mark.parametrize("kind", ["tf.nn.softmax", "keras.ops.softmax",
                                  "Softmax layer", "nested head"])
def test_every_softmax_is_removed(kind):
    build = _softmax_heads()
    plain, soft = build("none"), build(kind)
    soft.set_weights(plain.get_weights())
    x = _images()
    np.testing.assert_allclose(explain.saliency(soft, x, 1),
                               explain.saliency(plain, x, 1), atol=1e-5)
    np.testing.assert_allclose(explain.grad_cam(soft, x, 1),
                               explain.grad_cam(plain, x, 1), atol=1e-5)


def test_a_softmax_that_cannot_be_removed_is_refused():
    keras.utils.set_random_seed(8)
    x = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    h = keras.layers.Dense(CLASSES)(keras.layers.GlobalAveragePooling2D()(h))
    model = keras.Model(x, keras.layers.Lambda(keras.ops.softmax)(h))
    for explainer in (explain.saliency, explain.grad_cam):
        with pytest.raises(ValueError, match="probabilities.*logits"):
            explainer(model, _images())
    # A Lambda that does not make probabilities is explained as it is.
    scaled = keras.Model(x, keras.layers.Lambda(lambda t: 2 * t)(h))
    assert explain.grad_cam(scaled, _images()).shape == (2, SIZE, SIZE)
