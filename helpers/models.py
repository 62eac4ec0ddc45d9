"""Architectures the book builds and trains, one function each.

Chapter 05: lenet5() (classic and modern) and simple_cnn().
"""

from __future__ import annotations


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
