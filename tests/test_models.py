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



def test_dense_block_bottleneck_is_densenet_b():
    x = keras.Input((8, 8, 64))
    plain = keras.Model(x, models.dense_block(x, 2, 32, name="p"))
    b = keras.Model(x, models.dense_block(x, 2, 32, bottleneck=True,
                                          name="conv2"))
    assert plain.output.shape[-1] == b.output.shape[-1] == 64 + 2 * 32
    # DenseNet-B: BN, ReLU, 1x1 conv to 4k = 128, BN, ReLU, 3x3 conv to k
    convs = {layer.name: tuple(layer.kernel.shape) for layer in b.layers
             if isinstance(layer, keras.layers.Conv2D)}
    assert convs == {"conv2_block1_1_conv": (1, 1, 64, 128),
                     "conv2_block1_2_conv": (3, 3, 128, 32),
                     "conv2_block2_1_conv": (1, 1, 96, 128),
                     "conv2_block2_2_conv": (3, 3, 128, 32)}
    # 4 parameters per channel in each BN (gamma, beta, moving mean, var)
    bn = 4 * (64 + 128 + 96 + 128)
    assert b.count_params() == bn + 64 * 128 + 9 * 128 * 32 \
        + 96 * 128 + 9 * 128 * 32
    without = 4 * (64 + 96) + 9 * 64 * 32 + 9 * 96 * 32
    assert plain.count_params() == without
    # the layers match keras.applications.DenseNet121's, name for name
    ref = keras.applications.DenseNet121(weights=None,
                                         input_shape=(64, 64, 3))
    ref_counts = {layer.name: layer.count_params() for layer in ref.layers}
    for layer in b.layers[1:]:
        assert ref_counts[layer.name] == layer.count_params(), layer.name


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(layers_count=0), ValueError, "layers_count"),
    (dict(growth_rate=0), ValueError, "growth_rate"),
    (dict(bottleneck="yes"), TypeError, "bottleneck"),
])
def test_dense_block_bad_arguments(kwargs, error, text):
    args = dict(layers_count=2, growth_rate=8) | kwargs
    with pytest.raises(error, match=text):
        models.dense_block(keras.Input((8, 8, 4)), **args)


# ------------------------------------------------ chapters 10-11


def test_mobilenet_v2_is_keras_layer_for_layer():
    """Same parameter count as keras.applications, the same weights in the
    same order, and, given Keras' weights, the same outputs."""
    ours = models.mobilenet_v2()
    theirs = keras.applications.MobileNetV2(weights=None)
    assert ours.count_params() == theirs.count_params() == 3_538_984
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    rng = np.random.default_rng(0)
    ours.set_weights([rng.normal(0, 0.05, w.shape).astype("float32")
                      if "gamma" not in w.path and "variance" not in w.path
                      else np.abs(rng.normal(1, 0.05, w.shape)).astype("float32")
                      for w in theirs.weights])
    theirs.set_weights(ours.get_weights())
    x = rng.normal(size=(2, 224, 224, 3)).astype("float32")
    np.testing.assert_allclose(ours(x, training=False),
                               theirs(x, training=False), atol=1e-5)


def test_mobilenet_v1_and_efficientnets_match_keras_counts():
    assert models.mobilenet_v1().count_params() == 4_253_864 == \
        keras.applications.MobileNet(weights=None).count_params()
    # keras.applications.EfficientNetB0 adds a Normalization layer (7 numbers)
    assert models.efficientnet().count_params() == 5_330_564
    b1 = models.efficientnet(*models.EFFICIENTNET_SCALING["B1"][:3])
    assert b1.count_params() + 7 == \
        keras.applications.EfficientNetB1(weights=None).count_params()
    lite0 = models.efficientnet_lite0()
    assert lite0.count_params() == 4_694_024
    assert not any("_se_" in layer.name for layer in lite0.layers)


def test_round_filters_and_repeats():
    assert [models.round_filters(c, 1.1) for c in (32, 16, 24, 40)] == \
        [32, 16, 24, 48]
    assert models.round_filters(1280, 2.0) == 2560
    assert models.round_filters(3, 1.0) == 8               # never below 8
    assert [models.round_repeats(r, 3.1) for r in (1, 2, 3, 4)] == \
        [4, 7, 10, 13]


def test_mbconv_shapes_skip_and_squeeze_excite():
    x = keras.Input((16, 16, 24))
    y = models.mbconv_block(x, 24, name="a")
    assert tuple(y.shape[1:]) == (16, 16, 24)
    m = keras.Model(x, y)
    assert m.get_layer("a_expand").filters == 144
    assert m.layers[-1].name == "a_add"                    # skip when it fits
    # the linear bottleneck: no activation after the projection
    assert not any(layer.name.startswith("a_project_relu") for layer in m.layers)
    y = models.mbconv_block(x, 40, stride=2, se_ratio=0.25, name="b",
                            activation="swish")
    m = keras.Model(x, y)
    assert tuple(y.shape[1:]) == (8, 8, 40)
    assert m.get_layer("b_se_reduce").filters == 6         # int(24 * 0.25)
    assert m.get_layer("b_se_expand").filters == 144
    assert "b_add" not in [layer.name for layer in m.layers]
    with pytest.raises(ValueError, match="stride"):
        models.mbconv_block(x, 24, stride=3)
    with pytest.raises(ValueError, match="se_ratio"):
        models.mbconv_block(x, 24, se_ratio=1.5)
    with pytest.raises(ValueError, match="activation"):
        models.mbconv_block(x, 24, activation="gelu")
    with pytest.raises(ValueError, match="expansion"):
        models.mbconv_block(x, 24, expansion=0)


def test_squeeze_excite_scales_each_channel_by_a_gate():
    x = keras.Input((4, 4, 6))
    m = keras.Model(x, models.squeeze_excite(x, 2, name="se"))
    data = np.random.default_rng(1).normal(size=(1, 4, 4, 6)).astype("float32")
    out = m(data).numpy()
    gate = out / data                                       # one number per channel
    assert np.allclose(gate, gate[:, :1, :1, :], atol=1e-5)
    assert ((gate > 0) & (gate < 1)).all()


def test_channel_shuffle_is_a_permutation_that_mixes_groups():
    groups, per = 3, 4
    x = keras.Input((1, 1, groups * per))
    m = keras.Model(x, models.channel_shuffle(x, groups))
    order = m(np.arange(12, dtype="float32").reshape(1, 1, 1, 12)).numpy()
    order = order.ravel().astype(int)
    assert sorted(order) == list(range(12))
    assert list(order) == list(np.arange(12).reshape(groups, per).T.ravel())
    # every new group of `per` channels holds channels from every old group
    for new_group in order.reshape(per, groups):
        assert sorted(new_group // per) == list(range(groups))
    with pytest.raises(ValueError, match="groups"):
        models.channel_shuffle(keras.Input((2, 2, 10)), 3)


def test_shufflenet_and_separable_blocks():
    x = keras.Input((16, 16, 24))
    assert tuple(models.shufflenet_block(x, 24, groups=3).shape[1:]) == \
        (16, 16, 24)
    y = models.shufflenet_block(x, 96, groups=3, stride=2, name="s2")
    assert tuple(y.shape[1:]) == (8, 8, 96)
    with pytest.raises(ValueError, match="must equal"):
        models.shufflenet_block(x, 48, groups=3)
    with pytest.raises(ValueError, match="groups"):
        models.shufflenet_block(x, 24, groups=4)
    y = models.depthwise_separable_block(x, 32, stride=2, name="d")
    m = keras.Model(x, y)
    assert tuple(y.shape[1:]) == (8, 8, 32)
    assert m.get_layer("d_dw").count_params() == 3 * 3 * 24
    assert m.get_layer("d_pw").count_params() == 24 * 32
    with pytest.raises(ValueError, match="filters"):
        models.depthwise_separable_block(x, 0)


def test_pareto_front():
    costs = [1, 2, 3, 4, 2]
    accs = [0.5, 0.7, 0.6, 0.9, 0.7]
    # 3 (cost 3, 0.6) is beaten by 1 (cost 2, 0.7); 1 and 4 tie, both kept
    assert model_stats.pareto_front(costs, accs) == [0, 1, 4, 3]
    assert model_stats.pareto_front([5], [0.1]) == [0]
    with pytest.raises(ValueError, match="equally long"):
        model_stats.pareto_front([1, 2], [0.5])
    with pytest.raises(ValueError, match="non-empty"):
        model_stats.pareto_front([], [])


def test_zoo_models_take_fashion_mnist_and_return_logits():
    from helpers import zoo

    names = set()
    for chapter, make in zoo.SMALL_MODELS:
        model = make()
        assert tuple(model.input_shape[1:]) == (28, 28, 1), model.name
        assert tuple(model.output_shape[1:]) == (10,), model.name
        assert model.layers[-1].get_config().get("activation") in \
            (None, "linear"), model.name
        names.add(model.name)
        assert 5 <= chapter <= 11
    assert len(names) == len(zoo.SMALL_MODELS)
    big = zoo.small_efficientnet(1.1 ** 2, 1.2 ** 2, 37)
    assert big.input_shape[1:3] == (37, 37)
    assert model_stats.count_macs(big) > model_stats.count_macs(
        zoo.small_efficientnet())


def test_center_square():
    from helpers import imagenet

    image = np.zeros((100, 160, 3), "uint8")
    image[:, 30:130] = 200                       # the centred 100x100 square
    out = imagenet.center_square(image, 50)
    assert out.shape == (50, 50, 3) and out.dtype == np.float32
    assert np.allclose(out, 200)
    with pytest.raises(ValueError, match="size"):
        imagenet.center_square(image, 0)
    with pytest.raises(ValueError, match="H, W, 3"):
        imagenet.center_square(image[..., 0])
