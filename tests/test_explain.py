"""helpers.explain: saliency, CAM, Grad-CAM, overlays, feature inversion and
Deep Dream, on tiny models (no pretrained weights)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import explain
from helpers.pixels import PixelRun

SIZE, CLASSES = 12, 3


def _gap_net(softmax: bool = False) -> keras.Model:
    """conv → conv → GAP → Dense: the network CAM was made for."""
    keras.utils.set_random_seed(1)
    x = keras.Input((SIZE, SIZE, 2))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                            name="conv_a")(x)
    h = keras.layers.Conv2D(5, 3, strides=2, padding="same",
                            activation="relu", name="conv_b")(h)
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    out = keras.layers.Dense(CLASSES, name="head",
                             activation="softmax" if softmax else None)(h)
    return keras.Model(x, out)


def _images(n: int = 2) -> np.ndarray:
    return np.random.default_rng(0).random((n, SIZE, SIZE, 2)).astype("float32")


def test_grad_cam_shape_range_and_default_layer():
    net = _gap_net()
    maps = explain.grad_cam(net, _images(3))
    assert maps.shape == (3, SIZE, SIZE)
    assert maps.min() >= 0.0 and maps.max() <= 1.0
    for m in maps:  # each map is 1 at its peak unless it is all zero
        assert m.max() == pytest.approx(1.0) or m.max() == 0.0
    same = explain.grad_cam(net, _images(3), layer="conv_b")
    np.testing.assert_allclose(maps, same, atol=1e-6)


def test_grad_cam_equals_cam_on_a_gap_network():
    for softmax in (False, True):
        net = _gap_net(softmax)
        x = _images(4)
        for classes in (None, 2, [0, 1, 2, 0]):
            np.testing.assert_allclose(
                explain.grad_cam(net, x, classes), explain.cam(net, x, classes),
                atol=1e-5)


def test_the_softmax_is_skipped():
    """With and without a final softmax the maps explain the same logits."""
    plain, soft = _gap_net(False), _gap_net(True)
    soft.set_weights(plain.get_weights())
    x = _images(2)
    np.testing.assert_allclose(explain.grad_cam(plain, x, 1),
                               explain.grad_cam(soft, x, 1), atol=1e-6)
    np.testing.assert_allclose(explain.saliency(plain, x, 1),
                               explain.saliency(soft, x, 1), atol=1e-6)


def test_grad_cam_by_hand():
    import tensorflow as tf

    net = _gap_net()
    x = _images(1)
    probe = keras.Model(net.inputs[0], [net.get_layer("conv_a").output,
                                     net.output])
    with tf.GradientTape() as tape:
        maps, scores = probe(x)
        score = scores[0, 2]
    grads = tape.gradient(score, maps)[0].numpy()
    heat = np.maximum((maps[0].numpy() * grads.mean(axis=(0, 1))).sum(-1), 0)
    expected = heat / heat.max()
    got = explain.grad_cam(net, x, 2, layer="conv_a")[0]  # 12 × 12: no resize
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_saliency_is_the_input_gradient():
    import tensorflow as tf

    net = _gap_net()
    x = tf.constant(_images(1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = net(x)[0, 1]
    g = np.abs(tape.gradient(score, x)[0].numpy()).max(-1)
    np.testing.assert_allclose(explain.saliency(net, x.numpy(), 1)[0],
                               g / g.max(), atol=1e-6)


def test_sequential_model_and_layer_object():
    keras.utils.set_random_seed(2)
    net = keras.Sequential([keras.Input((8, 8, 1)),
                            keras.layers.Conv2D(3, 3, activation="relu"),
                            keras.layers.Flatten(), keras.layers.Dense(2)])
    x = np.random.default_rng(1).random((2, 8, 8, 1))
    maps = explain.grad_cam(net, x, layer=net.layers[0])
    assert maps.shape == (2, 8, 8)  # 6 × 6 maps upsampled to the input
    with pytest.raises(ValueError, match="global average pooling"):
        explain.cam(net, x)


def test_overlay():
    image = np.zeros((4, 5, 3), np.uint8)
    out = explain.overlay(image, np.ones((4, 5)), alpha=1.0, cmap="gray")
    assert out.shape == (4, 5, 3)
    np.testing.assert_allclose(out, 1.0)
    np.testing.assert_allclose(explain.overlay(image + 255, np.zeros((4, 5)),
                                               alpha=0.0), 1.0)
    with pytest.raises(ValueError, match="resolution"):
        explain.overlay(image, np.ones((2, 2)))
    with pytest.raises(ValueError, match="RGB"):
        explain.overlay(np.zeros((4, 5)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="alpha"):
        explain.overlay(image, np.ones((4, 5)), alpha=2)


# ------------------------------------------------------------- bad arguments


def test_a_model_without_a_convolutional_layer_is_refused():
    x = keras.Input((6, 6, 1))
    net = keras.Model(x, keras.layers.Dense(2)(keras.layers.Flatten()(x)))
    with pytest.raises(ValueError, match="no layer with a 4-D"):
        explain.grad_cam(net, np.zeros((1, 6, 6, 1)))
    assert explain.saliency(net, np.ones((1, 6, 6, 1))).shape == (1, 6, 6)


@pytest.mark.parametrize("class_index, error, match", [
    (3, ValueError, "out of range.*3 classes"),
    (-1, ValueError, "out of range"),
    ([0, 5], ValueError, "out of range"),
    ([0, 1, 2], ValueError, "3 entries for 2 images"),
    (1.0, TypeError, "ints"),
    (True, TypeError, "ints"),
    ("cat", TypeError, "ints"),
    ([[0], [1]], ValueError, "one int per image"),
])
def test_bad_class_index(class_index, error, match):
    net = _gap_net()
    for fn in (explain.grad_cam, explain.cam, explain.saliency):
        with pytest.raises(error, match=match):
            fn(net, _images(2), class_index)


@pytest.mark.parametrize("images, error, match", [
    (np.zeros((SIZE, SIZE, 2)), ValueError, r"image\[None\]"),
    (np.zeros((1, SIZE, SIZE, 3)), ValueError, "resize or crop"),
    (np.zeros((1, 8, 8, 2)), ValueError, "resize or crop"),
    (np.zeros((0, SIZE, SIZE, 2)), ValueError, "empty"),
    (np.full((1, SIZE, SIZE, 2), np.nan), ValueError, "NaN"),
    (np.full((1, SIZE, SIZE, 2), "a"), TypeError, "real numbers"),
])
def test_bad_images(images, error, match):
    net = _gap_net()
    for fn in (explain.grad_cam, explain.cam, explain.saliency):
        with pytest.raises(error, match=match):
            fn(net, images)


def test_bad_layer():
    net = _gap_net()
    with pytest.raises(ValueError, match="no layer named 'conv_z'.*'conv_b'"):
        explain.grad_cam(net, _images(1), layer="conv_z")
    with pytest.raises(ValueError, match="not \\(N, H, W, C\\)"):
        explain.grad_cam(net, _images(1), layer="gap")
    with pytest.raises(ValueError, match="not one of model"):
        explain.grad_cam(net, _images(1), layer=keras.layers.Conv2D(2, 3))
    with pytest.raises(TypeError, match="layer must be"):
        explain.grad_cam(net, _images(1), layer=3)


def test_bad_model():
    with pytest.raises(TypeError, match="Keras model"):
        explain.grad_cam(lambda x: x, _images(1))
    with pytest.raises(ValueError, match="not built"):
        explain.grad_cam(keras.Sequential([keras.layers.Conv2D(2, 3)]),
                         _images(1))


# -------------------------------------------------- optimising the pixels


def _conv_features() -> keras.Model:
    keras.utils.set_random_seed(3)
    x = keras.Input((None, None, 3))
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu",
                            name="shallow")(x)
    h = keras.layers.Conv2D(8, 3, strides=2, padding="same",
                            activation="relu", name="deep")(h)
    return keras.Model(x, h)


def test_invert_features_reconstructs_from_a_shallow_layer():
    net = _conv_features()
    image = np.random.default_rng(4).uniform(0, 255, (10, 10, 3))
    run = explain.invert_features(net, image, "shallow", steps=150,
                                  learning_rate=8.0, tv_weight=0.0)
    assert isinstance(run, PixelRun)
    assert set(run.history) == {"features", "variation", "total"}
    assert run.history["features"][-1] < 0.1 * run.history["features"][0]
    assert run.image.shape == (1, 10, 10, 3)
    assert run.image.min() >= 0 and run.image.max() <= 255


def test_deep_dream_raises_the_layer_response():
    net = _conv_features()
    image = np.random.default_rng(5).uniform(0, 255, (1, 8, 8, 3))
    run = explain.deep_dream(net, image, "deep", steps=20, learning_rate=4.0,
                             preprocess=lambda x: x / 255.0)
    assert run.history["activation"][-1] < run.history["activation"][0]
    assert not np.allclose(run.image, image)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"steps": 0}, ValueError, "steps"),
    ({"steps": 2, "tv_weight": -1}, ValueError, "tv_weight"),
    ({"steps": 2, "value_range": (1, 0)}, ValueError, "low < high"),
    ({"steps": 2, "value_range": None}, TypeError, "pair"),
    ({"steps": 2, "layer": "nope"}, ValueError, "no layer named"),
])
def test_bad_pixel_arguments(kwargs, error, match):
    net = _conv_features()
    kwargs = {"layer": "shallow", **kwargs}
    image = np.zeros((6, 6, 3))
    for fn in (explain.invert_features, explain.deep_dream):
        with pytest.raises(error, match=match):
            fn(net, image, **kwargs)
    with pytest.raises(ValueError, match="one image"):
        explain.invert_features(net, np.zeros((2, 6, 6, 3)), "shallow",
                                steps=1)
