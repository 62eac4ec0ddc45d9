"""Neural style transfer (Gatys et al.), taught in chapter 14.

A frozen convolutional network describes an image twice: its *content* is
the feature map of one deep layer (where things are), its *style* is the
Gram matrices of several layers (which features occur together, wherever
they are). Style transfer optimises the pixels of an image so that its
content matches a photo and its style matches a painting, with a
total-variation penalty to keep it smooth:

- :func:`gram_matrix`: features (N, H, W, C) → Gram matrices (N, C, C),
  normalised by H·W so that images of different sizes are comparable;
- :func:`content_loss`, :func:`style_loss`: mean squared differences of
  feature maps and of Gram matrices;
- :func:`feature_extractor`: a model that returns the named layers' outputs;
- :func:`stylise`: the whole method, on top of the shared pixel loops of
  :mod:`helpers.pixels` (L-BFGS or Adam).

Images enter :func:`stylise` as RGB arrays (H, W, 3), ``uint8`` in
[0, 255] or floats in [0, 1]; the optimised image lives in [0, 1] and is
scaled and preprocessed (by default for VGG16) before it enters the
network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from helpers import model_graph
from helpers.pixels import (PixelRun, optimise_pixels,
                            optimise_pixels_lbfgs, total_variation)
from helpers.validate import (finite_array, float_tensor, positive_int,
                              real_number)

#: Gatys et al.'s choice in Keras' VGG16 names: style from the first
#: convolution of every block, content from the second one of block 4.
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1",
                "block4_conv1", "block5_conv1")
CONTENT_LAYER = "block4_conv2"


def _tf():
    import tensorflow as tf

    return tf


def gram_matrix(features):
    """Gram matrices of a batch of feature maps: (N, H, W, C) → (N, C, C).

    Entry (c, d) is the mean over the H·W positions of the product of
    channels c and d: how strongly the two features occur *together*,
    wherever that is. Every Gram matrix is symmetric and positive
    semi-definite.
    """
    tf = _tf()
    features = float_tensor(features, "features")  # no NaN; ints as floats
    if features.shape.rank != 4:
        raise ValueError(
            "gram_matrix expects feature maps of shape (N, H, W, C), got "
            f"{features.shape}; add a batch axis with features[None]")
    shape = tf.shape(features)
    positions = tf.cast(shape[1] * shape[2], features.dtype)
    products = tf.einsum("nhwc,nhwd->ncd", features, features)
    return products / positions


def _same_shape(a, b, what: str):
    tf = _tf()
    a, b = float_tensor(a, f"{what}'s first"), float_tensor(b, f"{what}'s second")
    if a.shape != b.shape:
        raise ValueError(
            f"{what}: shapes differ, {a.shape} and {b.shape}; compare the "
            "same layer of images of the same size")
    return a, tf.cast(b, a.dtype)


def content_loss(features, target):
    """Mean squared difference of two feature maps of the same shape."""
    tf = _tf()
    features, target = _same_shape(features, target, "content_loss")
    return tf.reduce_mean(tf.square(features - target))


def style_loss(features: Sequence, target_grams: Sequence):
    """Mean over layers of the mean squared difference between the Gram
    matrices of ``features`` (one (N, H, W, C) map per layer) and
    ``target_grams`` (one (N, C, C) or (C, C) matrix per layer).

    Gram matrices do not depend on H and W, so the style image may have
    another size than the image being optimised.
    """
    tf = _tf()
    for arg in (features, target_grams):
        if isinstance(arg, (str, bytes)) or not isinstance(arg, Sequence):
            raise TypeError("style_loss takes two lists: one feature map "
                            "and one target Gram matrix per style layer")
    if len(features) != len(target_grams) or not features:
        raise ValueError(
            "style_loss needs one target Gram matrix per feature map, got "
            f"{len(features)} maps and {len(target_grams)} matrices")
    per_layer = []
    for fmap, target in zip(features, target_grams):
        gram = gram_matrix(fmap)
        target = float_tensor(target, "a target Gram matrix")
        if target.shape.rank == 2:
            target = target[None]
        if target.shape.rank != 3 or target.shape[-2:] != gram.shape[-2:]:
            raise ValueError(
                f"style_loss: a target Gram matrix of shape {target.shape} "
                f"for feature maps with {gram.shape[-1]} channels")
        difference = gram - tf.cast(target, gram.dtype)
        per_layer.append(tf.reduce_mean(tf.square(difference)))
    return tf.add_n(per_layer) / len(per_layer)


def feature_extractor(model, layers: Sequence[str]):
    """A Keras model with ``model``'s input that returns ``{name: output}``
    for the named layers (and computes nothing past the deepest of them)."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError("feature_extractor needs a Keras model, got "
                        f"{type(model).__name__}")
    if isinstance(layers, str) or not layers:
        raise TypeError("layers must be a non-empty list of layer names, "
                        "e.g. ['block1_conv1', 'block2_conv1']")
    names = []
    for name in layers:
        if not isinstance(name, str):
            raise TypeError(f"layers must hold layer names (str), got {name!r}")
        names.append(name)
    maps = model_graph.feature_map_paths(model)
    paths = [model_graph.find_layer(model, name) for name in names]
    for name, path in zip(names, paths):
        if not any(len(p) == len(path) and all(a is b for a, b in zip(p, path))
                   for p in maps):
            raise ValueError(
                f"layer {name!r} has output shape "
                f"{model_graph.output_shape(model, path)}; choose a layer "
                "with (N, H, W, C) feature maps, e.g. "
                + ", ".join(model_graph.path_name(p) for p in maps[-3:]))
    if all(len(path) == 1 for path in paths):  # flat: read the graph directly
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        return keras.Model(inputs, {name: path[0].output
                                    for name, path in zip(names, paths)})
    probe = model_graph.probe(model, paths, scores=False)[0]
    x = keras.Input(batch_shape=tuple(model.inputs[0].shape))
    outputs = probe(x)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return keras.Model(x, dict(zip(names, outputs)))


def _as_image(image, what: str) -> np.ndarray:
    """An RGB image (H, W, 3) as float32 in [0, 1]."""
    array = finite_array(image, what)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(f"{what} must be one RGB image of shape (H, W, 3), "
                         f"got shape {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{what} must be uint8 in [0, 255] or floats in "
                        f"[0, 1], got {array.dtype}")
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        raise ValueError(f"{what}: float images must lie in [0, 1]; divide "
                         "a [0, 255] image by 255")
    return array.astype(np.float32)


def vgg16_preprocess(images):
    """Images in [0, 1] → VGG16's inputs (BGR, ImageNet means removed)."""
    import keras

    return keras.applications.vgg16.preprocess_input(images * 255.0)


def _weight(value, name: str) -> float:
    return real_number(value, name, positive=True)


def stylise(
    content,
    style,
    model,
    *,
    steps: int,
    content_weight: float = 1.0,
    style_weight: float = 1e-3,
    tv_weight: float = 300.0,
    content_layer: str = CONTENT_LAYER,
    style_layers: Sequence[str] = STYLE_LAYERS,
    optimiser: str = "lbfgs",
    learning_rate: float = 0.02,
    start=None,
    preprocess: Callable | None = vgg16_preprocess,
) -> PixelRun:
    """Gatys et al.'s style transfer: optimise an image's pixels so that
    its content (``content_layer``'s features) matches ``content`` and its
    style (the Gram matrices of ``style_layers``) matches ``style``.

    - ``content``, ``style``: RGB images (H, W, 3), uint8 or floats in
      [0, 1]; the result has the content image's size, the style image's
      size is free.
    - ``model``: a frozen Keras network (chapter 14 uses
      :func:`helpers.pretrained.vgg16_features`); ``preprocess`` maps
      images in [0, 1] to its inputs (None: unchanged).
    - The loss is ``content_weight · content + style_weight · style +
      tv_weight · TV``, TV being the total variation per pixel value; the
      history has one curve per weighted term (``"content"``,
      ``"style"``, ``"variation"``) and their sum, ``"total"``.
    - ``optimiser``: ``"lbfgs"`` (``steps`` iterations of
      :func:`helpers.pixels.optimise_pixels_lbfgs`) or ``"adam"``
      (``steps`` steps of :func:`helpers.pixels.optimise_pixels`).
    - ``start``: the initial image (H, W, 3), by default the photo.

    Returns a :class:`helpers.pixels.PixelRun`, its image (H, W, 3) in
    [0, 1].
    """
    tf = _tf()
    steps = positive_int(steps, "steps")
    weights = {"content": _weight(content_weight, "content_weight"),
               "style": _weight(style_weight, "style_weight"),
               "variation": _weight(tv_weight, "tv_weight")}
    if optimiser not in ("lbfgs", "adam"):
        raise ValueError(
            f"optimiser must be 'lbfgs' or 'adam', got {optimiser!r}")
    if not isinstance(content_layer, str):
        raise TypeError("content_layer must be a layer name (str), got "
                        f"{content_layer!r}")
    if isinstance(style_layers, str):
        raise TypeError("style_layers must be a list of layer names, not "
                        "one string")
    style_layers = list(style_layers)
    photo = _as_image(content, "content")
    painting = _as_image(style, "style")
    first = photo if start is None else _as_image(start, "start")
    if first.shape != photo.shape:
        raise ValueError(f"start has shape {first.shape}, the content image "
                         f"{photo.shape}; they must match")
    if preprocess is None:
        preprocess = tf.identity
    elif not callable(preprocess):
        raise TypeError("preprocess must be a function of an image batch, "
                        "or None")

    extractor = feature_extractor(model, [content_layer, *style_layers])

    def features(images):
        return extractor(preprocess(images))

    target_content = features(photo[None])[content_layer]
    painting_features = features(painting[None])
    target_grams = [gram_matrix(painting_features[n]) for n in style_layers]
    values = float(np.prod(photo.shape))  # pixel values, for TV per value

    def losses(image):
        out = features(image)
        return {
            "content": weights["content"] * content_loss(
                out[content_layer], target_content),
            "style": weights["style"] * style_loss(
                [out[n] for n in style_layers], target_grams),
            "variation": weights["variation"] * total_variation(image)
            / values,
        }

    if optimiser == "adam":
        run = optimise_pixels(losses, first[None], steps=steps,
                              learning_rate=learning_rate,
                              value_range=(0.0, 1.0))
    else:
        run = optimise_pixels_lbfgs(losses, first[None], steps=steps,
                                    value_range=(0.0, 1.0))
    return PixelRun(run.image[0], run.history, run.evaluations, run.evaluated)
