"""The small networks of chapters 05-11, one builder each, for Fashion-MNIST.

Every builder takes no arguments and returns an uncompiled Keras model from
28x28x1 images to 10 logits, assembled from the blocks of helpers.models as
the chapter that teaches the block trains it. SMALL_MODELS lists them in
book order as (chapter, builder); chapter 11 trains them all with one recipe
and plots accuracy against cost.
"""

from __future__ import annotations

from helpers import models

INPUT_SHAPE = (28, 28, 1)
CLASSES = 10


def _keras():
    import keras

    return keras, keras.layers


def lenet5():
    """Chapter 05: the modern LeNet-5 (ReLU, max pooling)."""
    model = models.lenet5()
    model.name = "lenet5"
    return model


def simple_cnn():
    """Chapter 05: two 3x3 convolutions, two poolings, dense 128."""
    return models.simple_cnn()


def small_vgg():
    """Chapter 07: three VGG blocks (16, 32, 2 x 64 filters), dense 128."""
    keras, layers = _keras()
    inputs = keras.Input(INPUT_SHAPE)
    x = models.vgg_block(inputs, 1, 16, name="block1")  # 14x14
    x = models.vgg_block(x, 1, 32, name="block2")       # 7x7
    x = models.vgg_block(x, 2, 64, name="block3")       # 3x3
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, layers.Dense(CLASSES)(x), name="small_vgg")


def small_nin():
    """Chapter 07: three NiN blocks, one 1x1 class map each, GAP."""
    keras, layers = _keras()
    inputs = keras.Input(INPUT_SHAPE)
    x = models.nin_block(inputs, 16, 5, padding="same", name="nin1")
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)  # 14x14
    x = models.nin_block(x, 32, 3, padding="same", name="nin2")
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)  # 7x7
    x = models.nin_block(x, 64, 3, padding="same", name="nin3")
    x = layers.Conv2D(CLASSES, 1, name="class_maps")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name="small_nin")


def small_inception():
    """Chapter 08: a 3x3 stem and three Inception modules, GAP."""
    keras, layers = _keras()
    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)  # 14x14
    x = models.inception_block(x, 8, (8, 16), (4, 8), 8, name="m1")
    x = models.inception_block(x, 16, (16, 24), (4, 8), 8, name="m2")
    x = layers.MaxPooling2D(2)(x)  # 7x7
    x = models.inception_block(x, 24, (24, 32), (8, 16), 8, name="m3")
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(CLASSES)(x),
                       name="small_inception")


def small_resnet():
    """Chapter 09: the residual network of its degradation experiment with
    one basic block per stage, twice as wide (16, 32, 64 filters; the last
    two halve the size), GAP."""
    keras, layers = _keras()
    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(models._bn("stem_bn")(x))  # 14x14
    for i, (filters, stride) in enumerate(((16, 1), (32, 2), (64, 2))):
        x = models.basic_block(x, filters, stride=stride, name=f"res{i}")
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(CLASSES)(x), name="small_resnet")


def small_densenet():
    """Chapter 09: two dense blocks of three layers (growth 8) around a
    transition, GAP."""
    keras, layers = _keras()
    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    x = layers.MaxPooling2D(2)(x)                      # 14x14x16
    x = models.dense_block(x, 3, 8, name="dense1")     # 16 + 3*8 = 40
    x = models.transition_block(x, 20, name="trans1")  # 7x7x20
    x = models.dense_block(x, 3, 8, name="dense2")     # 20 + 3*8 = 44
    x = layers.Activation("relu")(models._bn("final_bn")(x))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(CLASSES)(x),
                       name="small_densenet")


#: (expansion, channels, repeats, first stride) of the small MobileNetV2
SMALL_MOBILENET_V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 2, 2))


def small_mobilenet_v2():
    """Chapter 10: five inverted residual blocks (14x14 -> 4x4), head 128."""
    return models.mobilenet_v2(
        input_shape=INPUT_SHAPE, num_classes=CLASSES,
        stages=SMALL_MOBILENET_V2_STAGES, stem=16, head=128,
        classifier_activation=None, name="small_mobilenet_v2")


def small_shufflenet():
    """Chapter 10: a 3x3 stem, then ShuffleNet units with 3 groups
    (72 channels at 7x7, 144 at 4x4), GAP."""
    keras, layers = _keras()
    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Conv2D(24, 3, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(models._bn("stem_bn")(x))
    x = layers.MaxPooling2D(2)(x)                                     # 14x14
    x = models.shufflenet_block(x, 72, groups=3, stride=2, name="u1")  # 7x7
    x = models.shufflenet_block(x, 72, groups=3, name="u2")
    x = models.shufflenet_block(x, 144, groups=3, stride=2, name="u3")  # 4x4
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(CLASSES)(x),
                       name="small_shufflenet")


#: EfficientNet-B0's first three stages, for 28x28 inputs
SMALL_EFFICIENTNET_STAGES = models.EFFICIENTNET_B0_STAGES[:3]


def small_efficientnet(width=1.0, depth=1.0, resolution=28):
    """Chapter 11: a 16-channel stem, B0's first three stages of MBConv
    blocks with squeeze-excite and swish, head 128; width, depth and
    resolution scale it as EfficientNet does."""
    return models.efficientnet(
        width, depth, resolution, stages=SMALL_EFFICIENTNET_STAGES, stem=16,
        head=128, channels=INPUT_SHAPE[2], num_classes=CLASSES,
        classifier_activation=None, name="small_efficientnet")


#: (chapter, builder) of every small network, in book order
SMALL_MODELS = (
    (5, lenet5), (5, simple_cnn), (7, small_vgg), (7, small_nin),
    (8, small_inception), (9, small_resnet), (9, small_densenet),
    (10, small_mobilenet_v2), (10, small_shufflenet),
    (11, small_efficientnet),
)
