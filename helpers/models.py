"""Architectures the book builds and trains, one function each.

Chapter 05: lenet5() (classic and modern) and simple_cnn(); chapter 15:
unet() and fcn(), the segmentation networks.
"""

from __future__ import annotations

from collections.abc import Sequence

from helpers.validate import positive_int


def lenet5(activation="relu", pooling="max", *, num_classes=10,
           input_shape=(28, 28, 1), pad_to=32):
    """LeNet-5: conv 6@5x5, pool, conv 16@5x5, pool, dense 120, 84, out.

    activation="tanh", pooling="avg" gives the classic network; the
    defaults the modern one. A 28x28 input is zero-padded to pad_to x
    pad_to, as LeNet-5 saw MNIST. The last layer returns logits.
    """
    import keras
    from keras import layers

    if pooling not in ("max", "avg"):
        raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}")
    pool = layers.MaxPooling2D if pooling == "max" else layers.AveragePooling2D
    height = input_shape[0]
    if (pad_to - height) % 2 or pad_to < height:
        raise ValueError(f"pad_to={pad_to} must be >= the input height "
                         f"{height} and differ from it by an even number")
    return keras.Sequential([
        keras.Input(input_shape),
        layers.ZeroPadding2D((pad_to - height) // 2, name="pad"),
        layers.Conv2D(6, 5, activation=activation, name="conv1"),
        pool(2, name="pool1"),
        layers.Conv2D(16, 5, activation=activation, name="conv2"),
        pool(2, name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dense(120, activation=activation, name="fc1"),
        layers.Dense(84, activation=activation, name="fc2"),
        layers.Dense(num_classes, name="logits"),
    ], name=f"lenet5_{activation}_{pooling}")


def simple_cnn(*, num_classes=10, input_shape=(28, 28, 1)):
    """Two 3x3 convolutions (32, 64 filters, 'same' padding), each
    followed by 2x2 max pooling, then dense 128 and the logits."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(32, 3, padding="same", activation="relu",
                      name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(64, 3, padding="same", activation="relu",
                      name="conv2"),
        layers.MaxPooling2D(2, name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dense(128, activation="relu", name="fc1"),
        layers.Dense(num_classes, name="logits"),
    ], name="simple_cnn")


# ------------------------------------------------------------- ResNet-50


def bottleneck_block(x, filters, *, stride=1, project=False, name="block"):
    """ResNet's bottleneck: 1x1 (filters) -> 3x3 (filters) -> 1x1
    (4 filters), batch norm after each, ReLU after the first two, then
    the shortcut is added and a ReLU applied. project=True gives the
    shortcut a strided 1x1 convolution (needed when the shape changes).
    Layer names follow keras.applications.ResNet50 (name_1_conv, ...).
    """
    from keras import layers

    bn = dict(axis=-1, epsilon=1.001e-5)
    if project:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride,
                                 name=name + "_0_conv")(x)
        shortcut = layers.BatchNormalization(**bn, name=name + "_0_bn")(
            shortcut)
    elif stride != 1 or x.shape[-1] != 4 * filters:
        raise ValueError(f"{name}: an identity shortcut needs stride 1 and "
                         f"{4 * filters} input channels (got stride {stride}"
                         f", {x.shape[-1]} channels); pass project=True")
    else:
        shortcut = x
    y = layers.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    y = layers.BatchNormalization(**bn, name=name + "_1_bn")(y)
    y = layers.Activation("relu", name=name + "_1_relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=name + "_2_conv")(y)
    y = layers.BatchNormalization(**bn, name=name + "_2_bn")(y)
    y = layers.Activation("relu", name=name + "_2_relu")(y)
    y = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(y)
    y = layers.BatchNormalization(**bn, name=name + "_3_bn")(y)
    y = layers.Add(name=name + "_add")([shortcut, y])
    return layers.Activation("relu", name=name + "_out")(y)


#: (filters, blocks, stride of the first block) of ResNet-50's four stages
RESNET50_STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))


def resnet50(*, num_classes=1000, input_shape=(224, 224, 3)):
    """ResNet-50 from bottleneck_block, with the layer names of
    keras.applications.ResNet50, so its ImageNet weights load by name.
    The output is a softmax over num_classes."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=1.001e-5, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, blocks, stride) in enumerate(RESNET50_STAGES, 2):
        for b in range(1, blocks + 1):
            x = bottleneck_block(x, filters, stride=stride if b == 1 else 1,
                                 project=b == 1, name=f"conv{stage}_block{b}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(num_classes, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name="resnet50")


def copy_weights_by_name(source, target) -> int:
    """Copy every layer's weights from source to the layer of the same
    name in target; return how many layers were copied. Raises if a
    weighted layer of target has no match or the shapes differ."""
    src = {layer.name: layer for layer in source.layers}
    copied = 0
    for layer in target.layers:
        if not layer.weights:
            continue
        if layer.name not in src:
            raise ValueError(f"no layer named {layer.name!r} in "
                             f"{source.name}")
        weights = src[layer.name].get_weights()
        shapes = [w.shape for w in weights]
        want = [tuple(w.shape) for w in layer.weights]
        if [tuple(s) for s in shapes] != want:
            raise ValueError(f"{layer.name}: shapes {shapes} in "
                             f"{source.name}, {want} here")
        layer.set_weights(weights)
        copied += 1
    return copied


# ------------------------------------------------ blocks of chapters 07-09

#: Momentum of the moving statistics of the book's batch-norm layers. Keras'
#: default 0.99 averages over ~100 steps, too slowly for trainings of a few
#: hundred steps (inference then uses stale statistics); 0.9 is PyTorch's.
BN_MOMENTUM = 0.9


def _bn(name):
    from keras import layers

    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=name)


def vgg_block(x, convs, filters, *, name="vgg"):
    """VGG block: `convs` 3x3 'same' convolutions with ReLU, then 2x2 max
    pooling (halves the height and width)."""
    from keras import layers

    if convs < 1:
        raise ValueError(f"convs must be >= 1, got {convs}")
    for i in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu",
                          name=f"{name}_conv{i}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def nin_block(x, filters, kernel_size, strides=1, padding="valid", *,
              name="nin"):
    """NiN block: one k x k convolution followed by two 1x1 convolutions,
    all with ReLU: a small multilayer perceptron at every position."""
    from keras import layers

    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                      activation="relu", name=f"{name}_conv")(x)
    for i in (1, 2):
        x = layers.Conv2D(filters, 1, activation="relu",
                          name=f"{name}_mlp{i}")(x)
    return x


def inception_block(x, c1, c2, c3, c4, *, name="inception"):
    """GoogLeNet's Inception module: four branches concatenated on the
    channel axis. c1: filters of the 1x1 branch; c2 = (reduce, out) of the
    1x1 -> 3x3 branch; c3 = (reduce, out) of the 1x1 -> 5x5 branch; c4:
    filters of the 1x1 after 3x3 max pooling."""
    from keras import layers

    def conv(t, f, k, suffix):
        return layers.Conv2D(f, k, padding="same", activation="relu",
                             name=f"{name}_{suffix}")(t)

    b1 = conv(x, c1, 1, "1x1")
    b2 = conv(conv(x, c2[0], 1, "3x3_reduce"), c2[1], 3, "3x3")
    b3 = conv(conv(x, c3[0], 1, "5x5_reduce"), c3[1], 5, "5x5")
    b4 = layers.MaxPooling2D(3, strides=1, padding="same",
                             name=f"{name}_pool")(x)
    b4 = conv(b4, c4, 1, "pool_proj")
    return layers.Concatenate(name=f"{name}_concat")([b1, b2, b3, b4])


def basic_block(x, filters, *, stride=1, name="block"):
    """ResNet's basic block: two 3x3 convolutions with batch norm, ReLU
    after the first and after the addition; the shortcut is the identity,
    or a strided 1x1 convolution with batch norm when the shape changes."""
    from keras import layers

    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 name=f"{name}_proj")(x)
        shortcut = _bn(f"{name}_proj_bn")(shortcut)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same",
                      use_bias=False, name=f"{name}_conv1")(x)
    y = _bn(f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                      name=f"{name}_conv2")(y)
    y = _bn(f"{name}_bn2")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def resnet18(*, num_classes=10, input_shape=(224, 224, 3)):
    """ResNet-18: a 7x7/2 stem and 3x3/2 max pooling, four stages of two
    basic blocks (64, 128, 256, 512 filters), global average pooling and
    a dense head returning logits."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False,
                      name="stem_conv")(inputs)
    x = _bn("stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for stage, filters in enumerate((64, 128, 256, 512), 1):
        for b in (1, 2):
            stride = 2 if stage > 1 and b == 1 else 1
            x = basic_block(x, filters, stride=stride,
                            name=f"stage{stage}_block{b}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="resnet18")


def dense_block(x, layers_count, growth_rate, *, bottleneck=False,
                name="dense"):
    """DenseNet block (chapter 09): each layer sees the concatenation of
    the block's input and all earlier layers' outputs and adds growth_rate
    maps of its own, so the block outputs C0 + layers_count * growth_rate
    channels. A layer is BN, ReLU, 3x3 convolution. bottleneck=True gives
    DenseNet-B's layer, as in DenseNet-121: BN, ReLU and a 1x1 convolution
    to 4 * growth_rate channels first, with the layer names of
    keras.applications.DenseNet121 ({name}_block{i}_0_bn, ...)."""
    from keras import layers

    layers_count = positive_int(layers_count, "layers_count")
    growth_rate = positive_int(growth_rate, "growth_rate")
    if not isinstance(bottleneck, bool):
        raise TypeError(f"bottleneck must be True or False, got "
                        f"{bottleneck!r}")
    for i in range(1, layers_count + 1):
        if bottleneck:
            n = f"{name}_block{i}"
            y = _bn(f"{n}_0_bn")(x)
            y = layers.Activation("relu", name=f"{n}_0_relu")(y)
            y = layers.Conv2D(4 * growth_rate, 1, use_bias=False,
                              name=f"{n}_1_conv")(y)
            y = _bn(f"{n}_1_bn")(y)
            y = layers.Activation("relu", name=f"{n}_1_relu")(y)
            y = layers.Conv2D(growth_rate, 3, padding="same",
                              use_bias=False, name=f"{n}_2_conv")(y)
            x = layers.Concatenate(name=f"{n}_concat")([x, y])
            continue
        y = _bn(f"{name}_{i}_bn")(x)
        y = layers.Activation("relu", name=f"{name}_{i}_relu")(y)
        y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                          name=f"{name}_{i}_conv")(y)
        x = layers.Concatenate(name=f"{name}_{i}_concat")([x, y])
    return x


def transition_block(x, filters, *, name="transition"):
    """DenseNet transition: BN, ReLU, a 1x1 convolution to `filters`
    channels, then 2x2 average pooling."""
    from keras import layers

    x = _bn(f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, name=f"{name}_pool")(x)


# ------------------------------------------------------ chapter 07 nets


def alexnet(*, groups=1, num_classes=1000, input_shape=(227, 227, 3)):
    """AlexNet: five convolutions (96 11x11/4, 256 5x5, 384, 384, 256
    3x3), three 3x3/2 max poolings, dense 4096, 4096 and the softmax.
    groups=2 splits conv2, conv4 and conv5 in two halves that see only
    half of the input channels, as the two GPUs of the paper did."""
    import keras
    from keras import layers

    if groups not in (1, 2):
        raise ValueError(f"groups must be 1 or 2, got {groups!r}")

    def conv(filters, k, name, strides=1, g=1):
        return layers.Conv2D(filters, k, strides=strides, groups=g,
                             padding="valid" if k == 11 else "same",
                             activation="relu", name=name)

    return keras.Sequential([
        keras.Input(input_shape),
        conv(96, 11, "conv1", strides=4),
        layers.MaxPooling2D(3, strides=2, name="pool1"),
        conv(256, 5, "conv2", g=groups),
        layers.MaxPooling2D(3, strides=2, name="pool2"),
        conv(384, 3, "conv3"),
        conv(384, 3, "conv4", g=groups),
        conv(256, 3, "conv5", g=groups),
        layers.MaxPooling2D(3, strides=2, name="pool5"),
        layers.Flatten(name="flatten"),
        layers.Dense(4096, activation="relu", name="fc6"),
        layers.Dropout(0.5, name="drop6"),
        layers.Dense(4096, activation="relu", name="fc7"),
        layers.Dropout(0.5, name="drop7"),
        layers.Dense(num_classes, activation="softmax", name="fc8"),
    ], name="alexnet" if groups == 1 else "alexnet_2gpu")


#: (convolutions, filters) of VGG-16's five blocks
VGG16_BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


def vgg(blocks=VGG16_BLOCKS, *, dense=4096, num_classes=1000,
        input_shape=(224, 224, 3), name="vgg16"):
    """A VGG network from (convolutions, filters) blocks, then two dense
    layers of `dense` units and the softmax. With the defaults it is
    VGG-16, with the layer names of keras.applications.VGG16."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape)
    x = inputs
    for i, (convs, filters) in enumerate(blocks, 1):
        x = vgg_block(x, convs, filters, name=f"block{i}")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense, activation="relu", name="fc1")(x)
    x = layers.Dense(dense, activation="relu", name="fc2")(x)
    outputs = layers.Dense(num_classes, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


#: GoogLeNet's nine Inception modules: (c1, (reduce, c3), (reduce, c5), pool
#: projection), with "pool" where a 3x3/2 max pooling comes between them
GOOGLENET_MODULES = (
    ("3a", (64, (96, 128), (16, 32), 32)), ("3b", (128, (128, 192), (32, 96), 64)),
    "pool",
    ("4a", (192, (96, 208), (16, 48), 64)), ("4b", (160, (112, 224), (24, 64), 64)),
    ("4c", (128, (128, 256), (24, 64), 64)), ("4d", (112, (144, 288), (32, 64), 64)),
    ("4e", (256, (160, 320), (32, 128), 128)),
    "pool",
    ("5a", (256, (160, 320), (32, 128), 128)), ("5b", (384, (192, 384), (48, 128), 128)),
)


def googlenet(*, num_classes=1000, input_shape=(224, 224, 3)):
    """GoogLeNet (Inception v1) without its two auxiliary classifiers:
    a convolutional stem, nine Inception modules, global average pooling,
    dropout 0.4 and a dense softmax layer."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(64, 7, strides=2, padding="same", activation="relu",
                      name="stem_conv1")(inputs)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool1")(x)
    x = layers.Conv2D(64, 1, activation="relu", name="stem_conv2")(x)
    x = layers.Conv2D(192, 3, padding="same", activation="relu",
                      name="stem_conv3")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool2")(x)
    pools = 0
    for item in GOOGLENET_MODULES:
        if item == "pool":
            pools += 1
            x = layers.MaxPooling2D(3, strides=2, padding="same",
                                    name=f"pool{pools}")(x)
            continue
        name, (c1, c2, c3, c4) = item
        x = inception_block(x, c1, c2, c3, c4, name=f"inception_{name}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name="googlenet")


# ------------------------------------------- chapters 10-11: efficient nets


def _act(kind, name):
    """The activation layers of the efficient networks: "relu6" (MobileNet,
    EfficientNet-Lite), "relu", or "swish" (EfficientNet)."""
    from keras import layers

    if kind == "relu6":
        return layers.ReLU(6.0, name=name)
    if kind in ("relu", "swish"):
        return layers.Activation(kind, name=name)
    raise ValueError(f"activation must be 'relu6', 'relu' or 'swish', "
                     f"got {kind!r}")


def depthwise_separable_block(x, filters, *, kernel_size=3, stride=1,
                              activation="relu6", name="sep"):
    """MobileNetV1's block: a k x k depthwise convolution (one filter per
    input channel), batch norm and activation, then a 1x1 pointwise
    convolution to `filters` channels, batch norm and activation."""
    from keras import layers

    positive_int(filters, "filters")
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same",
                               use_bias=False, name=f"{name}_dw")(x)
    x = _act(activation, f"{name}_dw_relu")(_bn(f"{name}_dw_bn")(x))
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    return _act(activation, f"{name}_pw_relu")(_bn(f"{name}_pw_bn")(x))


def squeeze_excite(x, squeezed, *, activation="swish", name="se"):
    """Squeeze-and-excitation: global average pooling squeezes each channel
    to one number, a two-layer bottleneck (`squeezed` units, then one per
    channel with a sigmoid) turns them into weights in (0, 1), and every
    channel of x is multiplied by its weight."""
    from keras import layers

    positive_int(squeezed, "squeezed")
    s = layers.GlobalAveragePooling2D(keepdims=True,
                                      name=f"{name}_squeeze")(x)
    s = layers.Conv2D(squeezed, 1, name=f"{name}_reduce")(s)
    s = _act(activation, f"{name}_reduce_act")(s)
    s = layers.Conv2D(x.shape[-1], 1, activation="sigmoid",
                      name=f"{name}_expand")(s)
    return layers.Multiply(name=f"{name}_excite")([x, s])


def mbconv_block(x, filters, *, expansion=6, kernel_size=3, stride=1,
                 se_ratio=0.0, activation="relu6", name="mbconv"):
    """The inverted residual with linear bottleneck (MobileNetV2), and with
    se_ratio > 0 the MBConv block of EfficientNet: a 1x1 convolution
    expands C_in to expansion * C_in channels (skipped when expansion is
    1), a k x k depthwise convolution filters them, squeeze-excite (with
    max(1, int(C_in * se_ratio)) units) reweights them, and a 1x1
    convolution projects to `filters` channels with batch norm and NO
    activation. The input is added when stride is 1 and C_in == filters.

    Layer names: {name}_expand, _expand_bn, _expand_relu, _depthwise,
    _depthwise_bn, _depthwise_relu, {name}_se_*, _project, _project_bn,
    _add."""
    from keras import layers

    positive_int(filters, "filters")
    positive_int(expansion, "expansion")
    if stride not in (1, 2):
        raise ValueError(f"stride must be 1 or 2, got {stride!r}")
    if not 0 <= se_ratio <= 1:
        raise ValueError(f"se_ratio must be in [0, 1], got {se_ratio!r}")
    c_in = x.shape[-1]
    h = x
    if expansion != 1:
        h = layers.Conv2D(c_in * expansion, 1, use_bias=False,
                          name=f"{name}_expand")(h)
        h = _act(activation, f"{name}_expand_relu")(_bn(f"{name}_expand_bn")(h))
    h = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same",
                               use_bias=False, name=f"{name}_depthwise")(h)
    h = _act(activation, f"{name}_depthwise_relu")(
        _bn(f"{name}_depthwise_bn")(h))
    if se_ratio > 0:
        h = squeeze_excite(h, max(1, int(c_in * se_ratio)),
                           activation=activation, name=f"{name}_se")
    h = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_project")(h)
    h = _bn(f"{name}_project_bn")(h)
    if stride == 1 and c_in == filters:
        h = layers.Add(name=f"{name}_add")([x, h])
    return h


def channel_shuffle(x, groups, *, name="shuffle"):
    """ShuffleNet's channel shuffle: view the C channels as a (groups,
    C / groups) grid, transpose it and flatten it back, so channel j of
    group i moves to position j * groups + i."""
    from keras import layers

    positive_int(groups, "groups")
    h, w, c = x.shape[1:]
    if c % groups:
        raise ValueError(f"{c} channels do not split into {groups} groups")
    x = layers.Reshape((h, w, groups, c // groups), name=f"{name}_split")(x)
    x = layers.Permute((1, 2, 4, 3), name=f"{name}_transpose")(x)
    return layers.Reshape((h, w, c), name=f"{name}_merge")(x)


def shufflenet_block(x, filters, *, groups=3, stride=1, name="shuffle"):
    """ShuffleNet unit: a grouped 1x1 convolution to filters / 4 channels,
    batch norm and ReLU, channel shuffle, a 3x3 depthwise convolution
    (stride 1 or 2) with batch norm, a grouped 1x1 convolution with batch
    norm. Stride 1 adds the input (filters must equal C_in); stride 2
    concatenates a 3x3/2 average pooling of the input, so the grouped
    convolution supplies filters - C_in channels. ReLU at the end."""
    from keras import layers

    positive_int(filters, "filters")
    c_in = x.shape[-1]
    out = filters if stride == 1 else filters - c_in
    if stride == 1 and filters != c_in:
        raise ValueError(f"{name}: stride 1 adds the input, so filters "
                         f"({filters}) must equal the {c_in} input channels")
    if stride not in (1, 2) or out < 1:
        raise ValueError(f"{name}: stride must be 1 or 2 and filters > C_in "
                         f"when it is 2 (stride {stride!r}, filters "
                         f"{filters}, C_in {c_in})")
    mid = filters // 4
    if mid % groups or out % groups or c_in % groups:
        raise ValueError(f"{name}: {groups} groups must divide C_in {c_in}, "
                         f"the bottleneck {mid} and the output {out}")
    h = layers.Conv2D(mid, 1, groups=groups, use_bias=False,
                      name=f"{name}_gconv1")(x)
    h = layers.Activation("relu", name=f"{name}_relu1")(
        _bn(f"{name}_bn1")(h))
    h = channel_shuffle(h, groups, name=f"{name}_shuffle")
    h = layers.DepthwiseConv2D(3, strides=stride, padding="same",
                               use_bias=False, name=f"{name}_dw")(h)
    h = _bn(f"{name}_dw_bn")(h)
    h = layers.Conv2D(out, 1, groups=groups, use_bias=False,
                      name=f"{name}_gconv2")(h)
    h = _bn(f"{name}_bn2")(h)
    if stride == 1:
        h = layers.Add(name=f"{name}_add")([x, h])
    else:
        pool = layers.AveragePooling2D(3, strides=2, padding="same",
                                       name=f"{name}_pool")(x)
        h = layers.Concatenate(name=f"{name}_concat")([pool, h])
    return layers.Activation("relu", name=f"{name}_out")(h)


#: (filters, stride) of MobileNetV1's 13 depthwise separable blocks
MOBILENET_V1_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1),
                       (512, 2)) + ((512, 1),) * 5 + ((1024, 2), (1024, 1))


def mobilenet_v1(*, num_classes=1000, input_shape=(224, 224, 3)):
    """MobileNetV1 (width 1.0): a 3x3/2 convolution with 32 filters, the
    13 depthwise separable blocks of MOBILENET_V1_BLOCKS, global average
    pooling, dropout and a dense softmax layer. Same parameter count as
    keras.applications.MobileNet(weights=None)."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False,
                      name="stem_conv")(inputs)
    x = _act("relu6", "stem_relu")(_bn("stem_bn")(x))
    for i, (filters, stride) in enumerate(MOBILENET_V1_BLOCKS, 1):
        x = depthwise_separable_block(x, filters, stride=stride,
                                      name=f"block{i}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(1e-3, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name="mobilenet_v1")


#: MobileNetV2's (expansion t, channels c, repeats n, first stride s)
MOBILENET_V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                       (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1))


def mobilenet_v2(*, num_classes=1000, input_shape=(224, 224, 3),
                 stages=MOBILENET_V2_STAGES, stem=32, head=1280,
                 classifier_activation="softmax", name="mobilenet_v2"):
    """MobileNetV2 (width 1.0 with the defaults): a 3x3/2 convolution,
    17 inverted residual blocks (mbconv_block without squeeze-excite,
    ReLU6), a 1x1 convolution to `head` channels, global average pooling
    and a dense layer (softmax unless classifier_activation=None, which
    returns logits). With the defaults its parameter count is
    keras.applications.MobileNetV2(weights=None)'s, 3,538,984, and its
    layers are in the same order, one to one. Smaller `stages`, `stem`
    and `head` give the book's small versions."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(stem, 3, strides=2, padding="same", use_bias=False,
                      name="stem_conv")(inputs)
    x = _act("relu6", "stem_relu")(_bn("stem_bn")(x))
    b = 0
    for t, c, n, s in stages:
        for r in range(n):
            x = mbconv_block(x, c, expansion=t, stride=s if r == 0 else 1,
                             name=f"block{b}")
            b += 1
    x = layers.Conv2D(head, 1, use_bias=False, name="head_conv")(x)
    x = _act("relu6", "head_relu")(_bn("head_bn")(x))
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(num_classes, activation=classifier_activation,
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


#: EfficientNet-B0's stages: (repeats, kernel, first stride, expansion,
#: channels); EfficientNet-Lite0 has the same ones
EFFICIENTNET_B0_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24),
                          (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
                          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192),
                          (1, 3, 1, 6, 320))

#: (width, depth, resolution, dropout) of EfficientNet-B0 ... B7
EFFICIENTNET_SCALING = {
    "B0": (1.0, 1.0, 224, 0.2), "B1": (1.0, 1.1, 240, 0.2),
    "B2": (1.1, 1.2, 260, 0.3), "B3": (1.2, 1.4, 300, 0.3),
    "B4": (1.4, 1.8, 380, 0.4), "B5": (1.6, 2.2, 456, 0.4),
    "B6": (1.8, 2.6, 528, 0.5), "B7": (2.0, 3.1, 600, 0.5),
}


def round_filters(channels, width):
    """Channels scaled by `width`, rounded to the nearest multiple of 8
    (never below 8, never more than 10 % below the scaled value)."""
    scaled = channels * width
    rounded = max(8, int(scaled + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * scaled else rounded


def round_repeats(repeats, depth):
    """Blocks of a stage scaled by `depth`, rounded up."""
    import math

    return int(math.ceil(depth * repeats))


def efficientnet(width=1.0, depth=1.0, resolution=224, *, dropout=0.2,
                 se_ratio=0.25, activation="swish", stages=EFFICIENTNET_B0_STAGES,
                 stem=32, head=1280, scale_ends=True, num_classes=1000,
                 channels=3, classifier_activation="softmax",
                 name="efficientnet"):
    """An EfficientNet from mbconv_block: a 3x3/2 stem, the `stages` with
    channels scaled by `width` (round_filters) and blocks by `depth`
    (round_repeats) on resolution x resolution inputs, a 1x1 convolution
    to `head` channels, global average pooling, dropout and a dense
    layer (softmax unless classifier_activation=None: logits).
    scale_ends=False keeps the stem and head unscaled, as the Lite models
    do. With the defaults it is EfficientNet-B0 without Keras' built-in
    input normalisation (5,330,564 parameters; keras.applications adds a
    Normalization layer's 7 statistics)."""
    import keras
    from keras import layers

    if not (width > 0 and depth > 0):
        raise ValueError(f"width and depth must be > 0, got {width}, {depth}")
    positive_int(resolution, "resolution")
    ends = (lambda c: round_filters(c, width)) if scale_ends else int
    inputs = keras.Input((resolution, resolution, channels))
    x = layers.Conv2D(ends(stem), 3, strides=2, padding="same",
                      use_bias=False, name="stem_conv")(inputs)
    x = _act(activation, "stem_relu")(_bn("stem_bn")(x))
    b = 0
    for repeats, k, stride, expand, c_out in stages:
        for r in range(round_repeats(repeats, depth)):
            x = mbconv_block(x, round_filters(c_out, width), expansion=expand,
                             kernel_size=k, stride=stride if r == 0 else 1,
                             se_ratio=se_ratio, activation=activation,
                             name=f"blocks_{b}")
            b += 1
    x = layers.Conv2D(ends(head), 1, use_bias=False, name="head_conv")(x)
    x = _act(activation, "head_relu")(_bn("head_bn")(x))
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation=classifier_activation,
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def efficientnet_lite0(*, num_classes=1000, input_shape=(224, 224, 3)):
    """EfficientNet-Lite0: B0's stages without squeeze-excite, ReLU6
    instead of swish, stem (32) and head (1280) unscaled; 4,694,024
    parameters. helpers.pretrained loads its ImageNet weights."""
    if input_shape[0] != input_shape[1]:
        raise ValueError(f"square inputs expected, got {input_shape}")
    return efficientnet(1.0, 1.0, input_shape[0], se_ratio=0.0,
                        activation="relu6", scale_ends=False,
                        num_classes=num_classes, channels=input_shape[2],
                        name="efficientnet_lite0")


# ------------------------------------------------ chapter 15: segmentation


def _segmentation_args(input_shape, num_classes, widths):
    """Check the arguments the U-Net and the FCN share; return the depth
    (the number of 2x2 poolings)."""
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, channels), got "
                         f"{input_shape!r}")
    height, width, _ = (positive_int(n, "input_shape") for n in input_shape)
    positive_int(num_classes, "num_classes")
    if len(widths) < 2:
        raise ValueError(f"widths needs at least two levels (one pooling), "
                         f"got {widths!r}")
    for w in widths:
        positive_int(w, "widths")
    depth = len(widths) - 1
    step = 2**depth
    for side, n in (("height", height), ("width", width)):
        if n % step:
            raise ValueError(
                f"the input {side} {n} is not divisible by 2**{depth} = "
                f"{step} ({depth} poolings): use {n - n % step} or "
                f"{n - n % step + step}, or fewer widths")
    return depth


def conv_block(x, filters, *, kernel_size=3, batch_norm=True, name="block"):
    """Two k x k 'same' convolutions (3x3 by default), each followed by
    batch norm (if batch_norm; the convolution then has no bias) and ReLU."""
    from keras import layers

    for i in (1, 2):
        x = layers.Conv2D(filters, kernel_size, padding="same",
                          use_bias=not batch_norm, name=f"{name}_conv{i}")(x)
        if batch_norm:
            x = _bn(f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def upsample(x, filters, *, mode="transpose", name="up"):
    """Double the height and width, to `filters` channels: a 3x3
    Conv2DTranspose with stride 2 ("transpose"), or nearest-neighbour
    resizing followed by a 3x3 convolution ("resize", Odena et al. 2016).
    Same parameters either way; only the first can make checkerboards."""
    from keras import layers

    if mode not in ("transpose", "resize"):
        raise ValueError(f"upsampling must be 'transpose' or 'resize', got "
                         f"{mode!r}")
    if mode == "transpose":
        return layers.Conv2DTranspose(filters, 3, strides=2, padding="same",
                                      name=name)(x)
    x = layers.UpSampling2D(2, interpolation="nearest",
                            name=f"{name}_resize")(x)
    return layers.Conv2D(filters, 3, padding="same", name=name)(x)


def _encoder(inputs, widths, batch_norm):
    """The U-Net's contracting path: a conv_block per width, 2x2 max
    pooling between them. Returns the bottleneck and the outputs of the
    levels above it (the skips), highest resolution first."""
    from keras import layers

    x, skips = inputs, []
    for level, filters in enumerate(widths[:-1], 1):
        x = conv_block(x, filters, batch_norm=batch_norm, name=f"enc{level}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"enc{level}_pool")(x)
    x = conv_block(x, widths[-1], batch_norm=batch_norm, name="bottleneck")
    return x, skips


def unet(input_shape: tuple[int, int, int], num_classes: int,
         widths: Sequence[int] = (16, 32, 64), *, upsampling: str = "transpose",
         batch_norm: bool = True):
    """U-Net (Ronneberger et al. 2015): an encoder of conv_blocks with
    `widths` filters and 2x2 max pooling between them; a decoder that
    upsamples, concatenates the encoder's output of the same size (the
    skip connection) and applies a conv_block, level by level back to the
    input size; and a 1x1 convolution to num_classes logits per pixel.
    Output (N, H, W, num_classes). H and W must be divisible by
    2**(len(widths) - 1). Layers: enc{l}_*, bottleneck_*, dec{l}_up,
    dec{l}_concat, dec{l}_* and logits."""
    import keras
    from keras import layers

    _segmentation_args(input_shape, num_classes, widths)
    inputs = keras.Input(input_shape)
    x, skips = _encoder(inputs, widths, batch_norm)
    for level in range(len(skips), 0, -1):
        filters = widths[level - 1]
        x = upsample(x, filters, mode=upsampling, name=f"dec{level}_up")
        x = layers.Concatenate(name=f"dec{level}_concat")(
            [x, skips[level - 1]])
        x = conv_block(x, filters, batch_norm=batch_norm, name=f"dec{level}")
    outputs = layers.Conv2D(num_classes, 1, name="logits")(x)
    return keras.Model(inputs, outputs, name="unet")


def _fcn_head_width(budget, channels, num_classes, kernel, batch_norm):
    """The width w of the FCN's head (a conv_block of width w and k x k
    kernels on `channels` inputs, then the 1x1 logits) whose parameter
    count comes closest to `budget`: k*k*channels*w + k*k*w*w + 2*extra*w
    + w*num_classes + num_classes, where extra is 4 per batch norm or 1
    per bias."""
    taps = kernel * kernel
    extra = 4 if batch_norm else 1

    def count(w):
        return (taps * channels * w + taps * w * w + 2 * extra * w
                + w * num_classes + num_classes)

    linear = taps * channels + 2 * extra + num_classes
    root = (-linear + (linear**2 + 4 * taps * (budget - num_classes))**0.5
            ) / (2 * taps)
    candidates = [w for w in (int(root), int(root) + 1) if w >= 1] or [1]
    return min(candidates, key=lambda w: abs(count(w) - budget))


def fcn(input_shape: tuple[int, int, int], num_classes: int,
        widths: Sequence[int] = (16, 32, 64), *, head_width: int | None = None,
        head_kernel: int = 3, batch_norm: bool = True):
    """A fully convolutional network WITHOUT skip connections, for the
    comparison with unet(): the same encoder, then a conv_block of
    head_width filters (head_kernel x head_kernel) on the bottleneck, a
    1x1 convolution to num_classes logits at 1 / 2**(len(widths) - 1) of
    the input size, and bilinear resizing of the logits straight back to
    the input size (as FCN-32s, Long et al. 2015). head_width=None picks
    the width whose parameter count is closest to the U-Net's with the
    same arguments: the same budget, spent where no skip can help.
    head_kernel=1 makes the head pointwise (like FCN's 1x1 fc7), adding
    no view of the surroundings; 3 widens the receptive field.
    Output (N, H, W, num_classes). Layers: enc{l}_*, bottleneck_*,
    head_*, logits, upsample."""
    import keras
    from keras import layers

    depth = _segmentation_args(input_shape, num_classes, widths)
    positive_int(head_kernel, "head_kernel")
    inputs = keras.Input(input_shape)
    x, _ = _encoder(inputs, widths, batch_norm)
    if head_width is None:
        budget = (unet(input_shape, num_classes, widths,
                       batch_norm=batch_norm).count_params()
                  - keras.Model(inputs, x).count_params())
        head_width = _fcn_head_width(budget, widths[-1], num_classes,
                                     head_kernel, batch_norm)
    positive_int(head_width, "head_width")
    x = conv_block(x, head_width, kernel_size=head_kernel,
                   batch_norm=batch_norm, name="head")
    x = layers.Conv2D(num_classes, 1, name="logits")(x)
    outputs = layers.UpSampling2D(2**depth, interpolation="bilinear",
                                  name="upsample")(x)
    return keras.Model(inputs, outputs, name="fcn")
