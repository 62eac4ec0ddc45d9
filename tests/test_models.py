"""helpers.models: the architectures match their published counts."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import model_stats, models  # noqa: E402


def test_lenet5_shapes_and_parameters():
    for act, pool in (("relu", "max"), ("tanh", "avg")):
        model = models.lenet5(act, pool)
        assert model.count_params() == 61_706
        rows = {r.name: r.output_shape for r in model_stats.layer_stats(model)}
        assert rows["conv1"] == (28, 28, 6) and rows["pool2"] == (5, 5, 16)
    assert models.lenet5(pad_to=28).get_layer("fc1").count_params() == 30_840


@pytest.mark.parametrize("kwargs, text", [
    ({"pooling": "min"}, "pooling"),
    ({"pad_to": 31}, "pad_to"),
    ({"pad_to": 26}, "pad_to"),
])
def test_lenet5_bad_arguments(kwargs, text):
    with pytest.raises(ValueError, match=text):
        models.lenet5(**kwargs)


def test_simple_cnn_parameters():
    model = models.simple_cnn()
    assert [layer.count_params() for layer in model.layers
            if layer.weights] == [320, 18_496, 401_536, 1_290]


def test_resnet50_matches_keras_applications():
    ours = models.resnet50()
    ref = keras.applications.ResNet50(weights=None)
    assert ours.count_params() == ref.count_params() == 25_636_712
    named = {layer.name for layer in ours.layers if layer.weights}
    assert named == {layer.name for layer in ref.layers if layer.weights}
    assert models.copy_weights_by_name(ref, ours) == len(named)
    x = np.random.default_rng(0).uniform(-50, 50, (1, 224, 224, 3))
    np.testing.assert_allclose(ours(x.astype("float32")),
                               ref(x.astype("float32")), atol=1e-6)


def test_bottleneck_identity_shortcut_needs_matching_shape():
    x = keras.Input((8, 8, 16))
    with pytest.raises(ValueError, match="project=True"):
        models.bottleneck_block(x, 8)
    y = models.bottleneck_block(x, 4)          # 4 * 4 = 16 channels: fine
    assert tuple(y.shape[1:]) == (8, 8, 16)
    z = models.bottleneck_block(x, 8, stride=2, project=True)
    assert tuple(z.shape[1:]) == (4, 4, 32)


def test_copy_weights_by_name_refuses_mismatches():
    a = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    b = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="d")])
    c = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="e")])
    with pytest.raises(ValueError, match="shapes"):
        models.copy_weights_by_name(a, b)
    with pytest.raises(ValueError, match="no layer named 'e'"):
        models.copy_weights_by_name(a, c)


def test_resnet18_parameter_split():
    model = models.resnet18(num_classes=10)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert model.count_params() == 11_191_242
    assert trainable == 11_181_642                 # + 9,600 BN statistics


def test_blocks_shapes():
    x = keras.Input((16, 16, 8))
    assert tuple(models.vgg_block(x, 2, 32).shape[1:]) == (8, 8, 32)
    assert tuple(models.nin_block(x, 12, 3, padding="same").shape[1:]) == \
        (16, 16, 12)
    y = models.inception_block(x, 64, (96, 128), (16, 32), 32)
    assert tuple(y.shape[1:]) == (16, 16, 64 + 128 + 32 + 32)
    assert tuple(models.basic_block(x, 8).shape[1:]) == (16, 16, 8)
    assert tuple(models.basic_block(x, 16, stride=2).shape[1:]) == (8, 8, 16)
    d = models.dense_block(x, 4, 12)
    assert d.shape[-1] == 8 + 4 * 12
    assert tuple(models.transition_block(d, 28).shape[1:]) == (8, 8, 28)
    with pytest.raises(ValueError, match="convs"):
        models.vgg_block(x, 0, 8)
