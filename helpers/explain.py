"""Looking inside a trained CNN: saliency, CAM, Grad-CAM, overlays, feature
inversion and Deep Dream. Taught in chapter 13.

Every map function takes a built Keras model and a batch of images
(N, H, W, C) exactly as the model expects them (already preprocessed), and
returns a NumPy array (N, H, W) in [0, 1] at the input resolution, 1 at each
image's strongest evidence. The class score they explain is the class's
*logit*, the value before the softmax: if the model's last layer ends in a
softmax (as ``keras.applications`` models do), the softmax is skipped.

- :func:`saliency` — the gradient of the class score with respect to the
  input pixels (Simonyan et al., 2014): one value per pixel.
- :func:`cam` — class activation mapping (Zhou et al., 2016) for networks that
  end in global average pooling and one dense layer.
- :func:`grad_cam` — Grad-CAM (Selvaraju et al., 2017): the gradient of the
  class score with respect to a convolutional layer's *feature maps*, averaged
  over positions into one weight per channel, weights the maps.
- :func:`overlay` — a heatmap blended over its image, for plotting.
- :func:`invert_features` and :func:`deep_dream` — optimise an image's pixels
  through a frozen network with :func:`helpers.pixels.optimise_pixels`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers import model_graph
from helpers.pixels import PixelRun, check_range, optimise_pixels, total_variation
from helpers.validate import (finite_array, positive_int, real_number,
                              value_range_of)


def _tf():
    import tensorflow as tf

    return tf


# ------------------------------------------------------------------ checking


def _check_model(model) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model must be a Keras model, got {type(model).__name__}")
    try:
        model.inputs  # noqa: B018 - raises if the model has no graph yet
    except (AttributeError, ValueError):
        raise ValueError(
            f"model {model.name!r} is not built: create it with keras.Input "
            "(or call it once on a batch) before explaining it") from None
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"model {model.name!r} has {len(model.inputs)} inputs and "
            f"{len(model.outputs)} outputs; these maps need one image input "
            "and one output of class scores")


def _resolve_layer(model, layer) -> tuple:
    """``layer`` (None, a name, a path "outer/inner" or a layer of ``model``
    or of a model nested in it) as a path to a layer with a 4-D output."""
    four_d = model_graph.feature_map_paths(model)
    if layer is None:
        if not four_d:
            raise ValueError(
                f"model {model.name!r} has no layer with a 4-D (N, H, W, C) "
                "output, nested models included, so there are no feature maps "
                "to weight: Grad-CAM and CAM need a convolutional network "
                "(use saliency() for others)")
        return four_d[-1]
    path = model_graph.find_layer(model, layer)
    if not any(len(p) == len(path) and all(a is b for a, b in zip(p, path))
               for p in four_d):
        hint = ", ".join(repr(model_graph.path_name(p)) for p in four_d[-3:])
        shape = model_graph.output_shape(model, path)
        raise ValueError(
            f"layer {model_graph.path_name(path)!r} has output shape {shape}, "
            f"not (N, H, W, C): choose a convolutional layer such as "
            f"{hint or 'none'}")
    return path


def _check_images(model, images) -> np.ndarray:
    array = np.asarray(images)
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise TypeError(
            f"images must hold real numbers, got dtype {array.dtype}")
    expected = tuple(model.inputs[0].shape)
    if len(expected) != 4:
        raise ValueError(
            f"model {model.name!r} takes inputs of shape {expected}, not "
            "images (N, H, W, C)")
    if array.ndim != 4:
        extra = (" For a single image add a batch axis: image[None]."
                 if array.ndim == 3 else "")
        raise ValueError(
            f"images must be a batch (N, H, W, C), got shape {array.shape}."
            + extra)
    for got, want in zip(array.shape[1:], expected[1:]):
        if want is not None and got != want:
            raise ValueError(
                f"images have shape {array.shape} but model {model.name!r} "
                f"takes {expected}: resize or crop them first")
    if array.shape[0] == 0:
        raise ValueError("images is an empty batch")
    if not np.all(np.isfinite(array)):
        raise ValueError("images contain NaN or infinite values")
    return array.astype(np.float32)


def _class_count(model) -> int:
    shape = tuple(model.outputs[0].shape)
    if len(shape) != 2 or shape[-1] is None:
        raise ValueError(
            f"model {model.name!r} outputs shape {shape}; these maps explain "
            "a classifier whose output is (N, classes)")
    return int(shape[-1])


def _check_classes(class_index, n_images: int, n_classes: int):
    """None, or an int array of shape (n_images,) with values in range."""
    if class_index is None:
        return None
    values = np.atleast_1d(np.asarray(class_index, dtype=object))
    if values.ndim != 1:
        raise ValueError(
            f"class_index must be an int or one int per image, got shape "
            f"{values.shape}")
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(
                v, (int, np.integer)):
            raise TypeError(
                f"class_index must hold ints, got {type(v).__name__} {v!r}")
    if len(values) == 1:
        values = np.repeat(values, n_images)
    if len(values) != n_images:
        raise ValueError(
            f"class_index has {len(values)} entries for {n_images} images: "
            "give one int for all of them or one per image")
    out = values.astype(np.int64)
    bad = out[(out < 0) | (out >= n_classes)]
    if bad.size:
        raise ValueError(
            f"class index {int(bad[0])} is out of range: the model has "
            f"{n_classes} classes, 0 to {n_classes - 1}")
    return out


# ------------------------------------------------------------ scores and maps


def _scores_probe(model, paths, x):
    """model_graph.probe(model, paths), refused when its scores are not
    known to be logits and look like probabilities (rows >= 0 summing to 1)."""
    probe, kind = model_graph.probe(model, paths)
    if kind == "unknown":
        scores = np.asarray(model(x[:8], training=False))
        if np.all(scores >= 0) and np.allclose(scores.sum(axis=-1), 1.0,
                                               atol=1e-4):
            raise ValueError(
                f"model {model.name!r} outputs probabilities (each row sums to "
                "1) from a last layer whose softmax cannot be removed (a "
                "Lambda or custom layer); the maps explain logits: pass a model "
                "that ends before the softmax")
    return probe


def _pick(scores, class_index):
    """Each image's score of its class (its top class when None)."""
    tf = _tf()
    if class_index is None:
        class_index = tf.argmax(scores, axis=1)
    chosen = tf.constant(class_index, tf.int64) if not tf.is_tensor(
        class_index) else class_index
    return tf.gather(scores, chosen, axis=1, batch_dims=1)


def _normalise(maps, size: tuple[int, int]) -> np.ndarray:
    """(N, h, w) maps → (N, H, W): bilinear, ReLU, each divided by its max."""
    tf = _tf()
    maps = tf.nn.relu(tf.convert_to_tensor(maps, tf.float32))
    if tuple(maps.shape[1:3]) != tuple(size):
        maps = tf.image.resize(maps[..., None], size, method="bilinear")[..., 0]
    maps = np.maximum(maps.numpy(), 0.0)
    peak = maps.max(axis=(1, 2), keepdims=True)
    return np.divide(maps, peak, out=np.zeros_like(maps), where=peak > 0)


def saliency(model, images, class_index=None) -> np.ndarray:
    """Saliency maps: |∂ score / ∂ pixel|, the largest over colour channels.

    ``images``: (N, H, W, C) model inputs. ``class_index``: None (each image's
    top class), an int, or one int per image. Returns (N, H, W) in [0, 1].
    """
    tf = _tf()
    _check_model(model)
    x = _check_images(model, images)
    classes = _check_classes(class_index, len(x), _class_count(model))
    scorer = _scores_probe(model, [], x)
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        picked = _pick(scorer(x, training=False), classes)
    gradient = tape.gradient(picked, x)
    return _normalise(tf.reduce_max(tf.abs(gradient), axis=-1), x.shape[1:3])


def grad_cam(model, images, class_index=None, layer=None) -> np.ndarray:
    """Grad-CAM heatmaps, (N, H, W) in [0, 1] at the input resolution.

    For feature maps A (N, h, w, K) of ``layer`` and a class score y, each
    channel's weight is the mean over positions of ∂y/∂A, and the map is
    ReLU(Σ_k weight_k · A_k), upsampled bilinearly and divided by its maximum.
    The gradient is taken with respect to the feature maps, never the input
    image (that would be :func:`saliency`).

    - ``images``: (N, H, W, C) inputs exactly as the model takes them.
    - ``class_index``: None (each image's top class), an int, or one per image.
    - ``layer``: a name or a layer of the model; None takes the last layer
      with a 4-D output (for ``keras.applications.ResNet50``,
      ``conv5_block3_out``).
    """
    tf = _tf()
    _check_model(model)
    x = _check_images(model, images)
    classes = _check_classes(class_index, len(x), _class_count(model))
    target = _resolve_layer(model, layer)
    probe = _scores_probe(model, [target], x)
    with tf.GradientTape() as tape:
        maps, scores = probe(tf.constant(x), training=False)
        picked = _pick(scores, classes)
    gradient = tape.gradient(picked, maps)
    if gradient is None:
        raise ValueError(
            "the class scores do not depend on layer "
            f"{model_graph.path_name(target)!r}")
    weights = tf.reduce_mean(gradient, axis=(1, 2))  # (N, K)
    heat = tf.einsum("nhwk,nk->nhw", maps, weights)
    return _normalise(heat, x.shape[1:3])  # ReLU, upsample, divide by max


def _gap_head(model):
    """(path of the layer feeding GAP, the Dense layer) of a model ending
    GAP → Dense (→ softmax), nested models included; Dropout between the
    two is allowed (it does nothing at inference)."""
    import keras

    calls = [path for path, _ in model_graph.leaf_calls(model)]
    while calls and isinstance(calls[-1][-1], (keras.layers.Softmax,
                                               keras.layers.Activation)):
        calls.pop()
    head = calls.pop()[-1] if calls else None
    while calls and isinstance(calls[-1][-1], keras.layers.Dropout):
        calls.pop()
    gap = calls.pop()[-1] if calls else None
    if not (isinstance(head, keras.layers.Dense)
            and isinstance(gap, keras.layers.GlobalAveragePooling2D)
            and calls):
        raise ValueError(
            f"CAM needs a network that ends in global average pooling and one "
            f"Dense layer, which model {model.name!r} does not: use grad_cam()")
    return calls[-1], head


def cam(model, images, class_index=None) -> np.ndarray:
    """Class activation maps, (N, H, W) in [0, 1] at the input resolution.

    Only for networks that end in global average pooling and a Dense layer:
    the map is Σ_k w_k · A_k, the last feature maps weighted by the dense
    layer's weights of the class (negative values clipped to 0, then divided
    by the maximum, as :func:`grad_cam` does).
    """
    tf = _tf()
    import keras

    _check_model(model)
    x = _check_images(model, images)
    classes = _check_classes(class_index, len(x), _class_count(model))
    feeder, head = _gap_head(model)
    probe = _scores_probe(model, [feeder], x)
    maps, scores = probe(tf.constant(x), training=False)
    if classes is None:
        classes = np.argmax(scores.numpy(), axis=1)
    kernel = tf.convert_to_tensor(head.kernel)  # (K, classes)
    weights = tf.transpose(tf.gather(kernel, classes, axis=1))  # (N, K)
    return _normalise(tf.einsum("nhwk,nk->nhw", maps, weights), x.shape[1:3])


def _picture_range(picture: np.ndarray, value_range) -> tuple[float, float]:
    """The range an image's values are in: ``value_range`` if given (checked),
    (0, 255) for integers, and for floats (0, 1) when every value is at most 1
    and (0, 255) when the brightest is at least 2; between the two the image
    is refused rather than guessed."""
    if value_range is not None:
        bounds = check_range(value_range)
    elif picture.dtype.kind in "iu":
        bounds = (0.0, 255.0)
    else:
        top = float(picture.max())
        if 1.0 < top < 2.0:
            raise ValueError(
                f"image has values in [{float(picture.min()):g}, {top:g}]: "
                "is it in [0, 1] or in [0, 255]? Say so with value_range")
        bounds = (0.0, 1.0) if top <= 1.0 else (0.0, 255.0)
    value_range_of(picture, bounds, "image")
    return bounds


def overlay(image, heatmap, alpha: float = 0.5,
            cmap: str = "jet", value_range=None) -> np.ndarray:
    """Blend a heatmap (H, W) in [0, 1] over an RGB image (H, W, 3).

    ``image`` is uint8 (in [0, 255]) or float, in [0, 1] or in [0, 255]
    (``value_range`` says which when the values cannot tell: a float image
    whose brightest value lies between 1 and 2 is refused without it);
    ``alpha`` is the heatmap's share of the blend. Returns (H, W, 3) floats
    in [0, 1], ready for ``plt.imshow``.
    """
    import matplotlib

    picture = finite_array(image, "image")
    heat = finite_array(heatmap, "heatmap").astype(np.float32)
    if picture.ndim != 3 or picture.shape[-1] != 3:
        raise ValueError(
            f"image must be (H, W, 3) RGB, got shape {picture.shape}")
    if heat.shape != picture.shape[:2]:
        raise ValueError(
            f"heatmap has shape {heat.shape} but the image is "
            f"{picture.shape[:2]}: compute it at the image's resolution")
    alpha = real_number(alpha, "alpha")
    if alpha > 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    value_range_of(heat, (0.0, 1.0), "heatmap")
    low, high = _picture_range(picture, value_range)
    picture = (picture.astype(np.float32) - low) / (high - low)
    if cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap {cmap!r} is not a matplotlib colour map; "
                         "try 'jet', 'inferno' or 'viridis'")
    colours = matplotlib.colormaps[cmap](heat)[..., :3]
    return np.clip((1 - alpha) * picture + alpha * colours, 0.0, 1.0)


# ------------------------------------------------------- optimising the pixels


def _extractor(model, layer):
    _check_model(model)
    return model_graph.probe(model, [_resolve_layer(model, layer)],
                             scores=False)[0]


def _one_image(image, value_range=None, name="image") -> np.ndarray:
    array = finite_array(image, name).astype(np.float32)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[0] != 1:
        raise ValueError(
            f"{name} must be one image (H, W, C) or (1, H, W, C), got shape "
            f"{array.shape}")
    if value_range is not None:
        value_range_of(array, check_range(value_range), name)
    return array


def _variation(image, weight: float, span: float):
    """``weight`` × the mean squared neighbour difference, in range units."""
    pixels = float(np.prod(image.shape[1:]))
    return weight * total_variation(image) / (pixels * span**2)


def _span(value_range) -> float:
    low, high = check_range(value_range) or (None, None)
    if low is None:
        raise TypeError("value_range must be a pair (low, high), got None")
    return high - low


def invert_features(
    model,
    image,
    layer,
    *,
    steps: int,
    learning_rate: float = 4.0,
    tv_weight: float = 0.1,
    preprocess: Callable | None = None,
    value_range: tuple[float, float] = (0.0, 255.0),
    start=None,
) -> PixelRun:
    """Reconstruct ``image`` from its features at ``layer`` (feature inversion).

    Starting from ``start`` (default: a flat mid-grey image), the pixels are
    optimised so that the layer's features match the image's: the loss
    ``"features"`` is ||Φ(x) − Φ(image)||² / ||Φ(image)||², plus
    ``"variation"``, ``tv_weight`` times the mean squared difference between
    neighbouring pixels (in units of ``value_range``). ``preprocess`` maps
    pixels to model inputs (e.g. ``keras.applications.vgg16.preprocess_input``).
    Returns the :class:`helpers.pixels.PixelRun` (final image, loss curves).
    """
    tf = _tf()
    steps = positive_int(steps, "steps")
    tv_weight = real_number(tv_weight, "tv_weight")
    features = _extractor(model, layer)
    span = _span(value_range)
    target_image = _one_image(image, value_range)
    prep = _preprocessing(preprocess)
    target = tf.constant(features(prep(tf.constant(target_image))))
    scale = tf.reduce_sum(tf.square(target))
    if not float(scale) > 0:
        raise ValueError(
            "the image's features at this layer are all zero (a black or flat "
            "image?), so there is nothing to reconstruct: choose another image "
            "or an earlier layer")
    if start is None:
        start = np.full_like(target_image, check_range(value_range)[0] + span / 2)

    def loss(x):
        mismatch = tf.reduce_sum(tf.square(features(prep(x)) - target))
        return {"features": mismatch / scale,
                "variation": _variation(x, tv_weight, span)}

    return optimise_pixels(loss, _one_image(start, value_range, "start"),
                           steps=steps, learning_rate=learning_rate,
                           value_range=value_range)


def _preprocessing(preprocess):
    if preprocess is None:
        return lambda x: x
    if not callable(preprocess):
        raise TypeError("preprocess must be a function of an image batch, or "
                        f"None, got {type(preprocess).__name__}")
    return preprocess


def deep_dream(
    model,
    image,
    layer,
    *,
    steps: int,
    learning_rate: float = 2.0,
    tv_weight: float = 0.0,
    preprocess: Callable | None = None,
    value_range: tuple[float, float] = (0.0, 255.0),
) -> PixelRun:
    """Deep Dream: change ``image`` so that ``layer`` responds more strongly.

    Maximises the mean squared activation of the layer (the loss
    ``"activation"`` is its negative), with an optional smoothness term
    ``"variation"`` as in :func:`invert_features`. Returns the
    :class:`helpers.pixels.PixelRun`.
    """
    tf = _tf()
    steps = positive_int(steps, "steps")
    tv_weight = real_number(tv_weight, "tv_weight")
    features = _extractor(model, layer)
    span = _span(value_range)
    prep = _preprocessing(preprocess)
    start = _one_image(image, value_range)

    def loss(x):
        response = tf.reduce_mean(tf.square(features(prep(x))))
        return {"activation": -response,
                "variation": _variation(x, tv_weight, span)}

    return optimise_pixels(loss, start, steps=steps,
                           learning_rate=learning_rate, value_range=value_range)


__all__ = ["saliency", "cam", "grad_cam", "overlay",
                          "invert_features", "deep_dream"]
