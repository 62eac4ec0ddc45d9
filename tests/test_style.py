"""helpers.style: Gram matrices, the content and style losses, style transfer.

Tiny random networks only: no pretrained weights are loaded here.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import style
from helpers.pixels import PixelRun


def _tiny_net(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    x = keras.Input((None, None, 3))
    a = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(x)
    b = keras.layers.MaxPooling2D(name="pool")(a)
    c = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c2")(b)
    flat = keras.layers.GlobalAveragePooling2D(name="gap")(c)
    return keras.Model(x, keras.layers.Dense(2, name="dense")(flat))


def test_gram_matrix_by_hand():
    # two positions, two channels: G = (1/2) * sum over positions of f f^T
    f = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32).reshape(1, 1, 2, 2)
    expected = (np.outer([1, 2], [1, 2]) + np.outer([3, 4], [3, 4])) / 2
    np.testing.assert_allclose(style.gram_matrix(f).numpy()[0], expected)


def test_gram_matrix_is_symmetric_psd_and_c_by_c():
    f = np.random.default_rng(0).normal(size=(3, 5, 7, 4)).astype(np.float32)
    g = style.gram_matrix(f).numpy()
    assert g.shape == (3, 4, 4)
    np.testing.assert_allclose(g, np.transpose(g, (0, 2, 1)), rtol=1e-6)
    assert np.linalg.eigvalsh(g).min() > -1e-5
    loops = np.array([[f[n, :, :, c].ravel() @ f[n, :, :, d].ravel() / 35
                       for c in range(4) for d in range(4)] for n in range(3)])
    np.testing.assert_allclose(g.reshape(3, 16), loops, rtol=1e-5)


def test_gram_matrix_ignores_where_features_are_and_the_map_size():
    f = np.random.default_rng(1).normal(size=(1, 4, 4, 3)).astype(np.float32)
    shuffled = f.reshape(1, 16, 3)[:, np.random.default_rng(2).permutation(16)]
    np.testing.assert_allclose(style.gram_matrix(shuffled.reshape(1, 4, 4, 3)),
                               style.gram_matrix(f), rtol=1e-5)
    tiled = np.tile(f, (1, 2, 3, 1))  # the same statistics on a 8 × 12 map
    np.testing.assert_allclose(style.gram_matrix(tiled), style.gram_matrix(f), rtol=1e-5)


def test_gram_matrix_refuses_other_ranks():
    with pytest.raises(ValueError, match=r"\(N, H, W, C\).*features\[None\]"):
        style.gram_matrix(np.zeros((4, 4, 3), np.float32))


def test_content_and_style_losses():
    rng = np.random.default_rng(3)
    a, b = (rng.normal(size=(1, 4, 4, 2)).astype(np.float32) for _ in range(2))
    assert float(style.content_loss(a, a)) == 0.0
    assert float(style.content_loss(a, b)) == pytest.approx(np.mean((a - b) ** 2), rel=1e-5)
    grams = [style.gram_matrix(a), style.gram_matrix(b)[0]]  # (N, C, C) or (C, C)
    assert float(style.style_loss([a, b], grams)) == pytest.approx(0.0, abs=1e-10)
    one = np.mean((style.gram_matrix(a).numpy() - style.gram_matrix(b).numpy()) ** 2)
    assert float(style.style_loss([a, b], [style.gram_matrix(b)] * 2)) == \
        pytest.approx(one / 2, rel=1e-5)


def test_loss_arguments_are_checked():
    a = np.zeros((1, 4, 4, 2), np.float32)
    with pytest.raises(ValueError, match="shapes differ"):
        style.content_loss(a, np.zeros((1, 4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="one target Gram matrix per feature map"):
        style.style_loss([a, a], [style.gram_matrix(a)])
    with pytest.raises(ValueError, match="one target Gram matrix per feature map"):
        style.style_loss([], [])
    with pytest.raises(ValueError, match="2 channels"):
        style.style_loss([a], [np.zeros((3, 3), np.float32)])
    with pytest.raises(TypeError, match="two lists"):
        style.style_loss(a, style.gram_matrix(a))


def test_feature_extractor_returns_named_maps_and_checks_names():
    net = _tiny_net()
    extractor = style.feature_extractor(net, ["c1", "c2"])
    out = extractor(np.zeros((2, 8, 8, 3), np.float32))
    assert out["c1"].shape == (2, 8, 8, 4) and out["c2"].shape == (2, 4, 4, 6)
    with pytest.raises(ValueError, match="no layer named 'conv9'.*'c1', 'pool', 'c2'"):
        style.feature_extractor(net, ["conv9"])
    with pytest.raises(ValueError, match="'dense'.*feature maps"):
        style.feature_extractor(net, ["dense"])
    with pytest.raises(TypeError, match="list of layer names"):
        style.feature_extractor(net, "c1")
    with pytest.raises(TypeError, match="Keras model"):
        style.feature_extractor("vgg16", ["c1"])


def _images():
    rng = np.random.default_rng(4)
    content = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    painting = rng.random((10, 10, 3)).astype(np.float32)  # another size is fine
    return content, painting


@pytest.mark.parametrize("optimiser, steps", [("adam", 40), ("lbfgs", 15)])
def test_stylise_lowers_the_style_loss(optimiser, steps):
    content, painting = _images()
    run = style.stylise(content, painting, _tiny_net(), steps=steps, optimiser=optimiser,
                        style_weight=100.0, tv_weight=0.1, content_layer="c2",
                        style_layers=["c1", "c2"], preprocess=None, learning_rate=0.05)
    assert isinstance(run, PixelRun)
    assert run.image.shape == (12, 16, 3)
    assert 0.0 <= run.image.min() and run.image.max() <= 1.0
    assert set(run.history) == {"content", "style", "variation", "total"}
    assert run.history["content"][0] == pytest.approx(0.0, abs=1e-6)  # starts at the photo
    assert run.history["style"][-1] < 0.5 * run.history["style"][0]
    np.testing.assert_allclose(
        run.history["total"], np.sum([run.history[k] for k in
                                      ("content", "style", "variation")], axis=0), rtol=1e-5)


def test_stylise_from_another_start_and_the_default_preprocessing():
    content, painting = _images()
    noise = np.random.default_rng(5).random((12, 16, 3)).astype(np.float32)
    run = style.stylise(content, painting, _tiny_net(), steps=2, start=noise,
                        content_layer="c1", style_layers=["c2"])
    assert run.history["content"][0] > 0  # the noise is not the photo


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(steps=0), ValueError, "steps"),
    (dict(steps=1.5), TypeError, "steps"),
    (dict(content_weight=0), ValueError, "content_weight"),
    (dict(style_weight=-1.0), ValueError, "style_weight"),
    (dict(tv_weight=float("inf")), ValueError, "tv_weight"),
    (dict(tv_weight=True), ValueError, "tv_weight"),
    (dict(optimiser="sgd"), ValueError, "'lbfgs' or 'adam'"),
    (dict(content_layer="block4_conv2"), ValueError, "no layer named 'block4_conv2'"),
    (dict(content_layer=3), TypeError, "content_layer"),
    (dict(style_layers="c1"), TypeError, "list of layer names"),
    (dict(style_layers=["c1", "nope"]), ValueError, "no layer named 'nope'"),
    (dict(start=np.zeros((5, 5, 3), np.float32)), ValueError, "must match"),
    (dict(preprocess="vgg"), TypeError, "preprocess"),
])
def test_stylise_bad_arguments(kwargs, error, match):
    content, painting = _images()
    arguments = dict(steps=1, content_layer="c2", style_layers=["c1"])
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        style.stylise(content, painting, _tiny_net(), **arguments)


@pytest.mark.parametrize("image, error, match", [
    (np.zeros((8, 8), np.uint8), ValueError, r"\(H, W, 3\)"),
    (np.zeros((1, 8, 8, 3), np.uint8), ValueError, r"\(H, W, 3\)"),
    (np.zeros((8, 8, 4), np.uint8), ValueError, r"\(H, W, 3\)"),
    (np.full((8, 8, 3), 200.0), ValueError, "divide a"),
    (np.zeros((8, 8, 3), np.int32), TypeError, "uint8"),
])
def test_stylise_bad_images(image, error, match):
    content, painting = _images()
    with pytest.raises(error, match=match):
        style.stylise(image, painting, _tiny_net(), steps=1, content_layer="c2",
                      style_layers=["c1"])
    with pytest.raises(error, match=match):
        style.stylise(content, image, _tiny_net(), steps=1, content_layer="c2",
                      style_layers=["c1"])
