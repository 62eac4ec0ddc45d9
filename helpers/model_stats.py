"""Per-layer output shapes, parameters and multiply-adds of a Keras model.

Multiply-adds (MACs) count the multiplications of the weighted layers,
one per weight use, as papers do: a convolution costs
H_out * W_out * C_out * k_h * k_w * C_in / groups, a dense layer
inputs * units per position. Biases, activations, pooling and batch
normalisation (foldable into the convolution before it) count 0.
Chapter 05 introduces the table; later chapters compare models with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LayerStats:
    name: str
    kind: str
    output_shape: tuple
    params: int
    trainable: int
    macs: int


def _shape(tensor_or_shape) -> tuple:
    shape = getattr(tensor_or_shape, "shape", tensor_or_shape)
    return tuple(None if d is None else int(d) for d in shape)


def _positions(shape: tuple) -> int:
    """Product of the non-batch, non-channel dimensions."""
    dims = shape[1:-1]
    if any(d is None for d in dims):
        raise ValueError(f"cannot count multiply-adds with an unknown "
                         f"spatial size {shape}; give the model a fixed "
                         f"input shape")
    return math.prod(dims)


def layer_macs(layer) -> int:
    """Multiply-adds of one call of `layer` on one example."""
    if not layer.weights:
        return 0
    return _call_macs(layer, _shape(layer.input), _shape(layer.output))


def _call_macs(layer, inp: tuple, out: tuple) -> int:
    """Multiply-adds of a call of `layer` from input shape `inp` to `out`."""
    from keras import layers as L

    kind = type(layer).__name__
    if not layer.weights:
        return 0
    if isinstance(layer, L.SeparableConv2D):
        kh, kw = layer.kernel_size
        c_in = inp[-1]
        mult = layer.depth_multiplier
        return _positions(out) * (kh * kw * c_in * mult + c_in * mult * out[-1])
    if isinstance(layer, L.DepthwiseConv2D):
        kh, kw = layer.kernel_size
        return _positions(out) * out[-1] * kh * kw
    if isinstance(layer, (L.Conv1D, L.Conv2D, L.Conv3D)) and not isinstance(
            layer, (L.Conv2DTranspose,)):
        k = math.prod(layer.kernel_size)
        groups = getattr(layer, "groups", 1)
        return _positions(out) * out[-1] * k * (inp[-1] // groups)
    if isinstance(layer, L.Dense):
        return _positions(out) * inp[-1] * out[-1]  # per position, if any
    if isinstance(layer, (L.BatchNormalization, L.LayerNormalization,
                          L.Normalization)):
        return 0
    raise NotImplementedError(
        f"layer {layer.name!r} ({kind}) has weights but no multiply-add "
        f"rule; add one to helpers.model_stats.layer_macs")


def _flat_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers and \
                not type(layer).__name__ == "InputLayer":
            yield from _flat_layers(layer)
        else:
            yield layer


def layer_stats(model) -> list[LayerStats]:
    """One LayerStats per layer (nested models flattened), input layers
    left out; a layer called several times (shared weights) has one row
    whose multiply-adds add up all its calls. The model must be built with
    a fixed input shape."""
    if not hasattr(model, "layers"):
        raise TypeError(f"layer_stats() takes a Keras model, got "
                        f"{type(model).__name__}")
    if not model.built:
        raise ValueError("the model is not built: give it an Input or call "
                         "model.build(input_shape) first")
    calls = _calls(model)
    rows = []
    for layer in _flat_layers(model):
        if type(layer).__name__ == "InputLayer":
            continue
        trainable = sum(math.prod(w.shape) for w in layer.trainable_weights)
        params = sum(math.prod(w.shape) for w in layer.weights)
        if calls is None:  # no graph to read (a subclassed model)
            shape, macs = _shape(layer.output), layer_macs(layer)
        else:
            mine = calls.get(id(layer), [])
            shape = mine[0][1] if mine else _shape(layer.output)
            macs = sum(_call_macs(layer, i, o) for i, o in mine)
        rows.append(LayerStats(layer.name, type(layer).__name__, shape[1:],
                               int(params), int(trainable), int(macs)))
    return rows


def _calls(model) -> dict[int, list[tuple[tuple, tuple]]] | None:
    """{id(layer): [(input shape, output shape) of each call]}, every call
    of a reused layer (and every call of a nested model) counted; None when
    the model has no graph to read."""
    from helpers.model_graph import leaf_calls

    try:
        found = leaf_calls(model)
    except (AttributeError, ValueError):
        return None
    calls: dict[int, list[tuple[tuple, tuple]]] = {}
    for path, node in found:
        if node.input_tensors and node.output_tensors:
            calls.setdefault(id(path[-1]), []).append(
                (_shape(node.input_tensors[0]), _shape(node.output_tensors[0])))
    return calls


def count_macs(model) -> int:
    """Total multiply-adds per example."""
    return sum(r.macs for r in layer_stats(model))


def stats_table(model, *, share: bool = False) -> str:
    """A text table (within 80 columns) of layer, output shape,
    parameters and multiply-adds, with a total row; share=True adds
    each layer's percentage of the parameters and of the MACs."""
    rows = layer_stats(model)
    total_p = sum(r.params for r in rows)
    total_m = sum(r.macs for r in rows)

    def pct(part, whole):
        return f"{100 * part / whole:5.1f}%" if whole else "     -"

    lines = []
    head = f"{'layer':<16}{'output':>15}{'params':>12}"
    head += f"{'':>7}" if share else ""
    head += f"{'MACs':>15}" + (f"{'':>7}" if share else "")
    lines.append(head)
    lines.append("-" * len(head))
    for r in rows:
        shape = "×".join(str(d) for d in r.output_shape)
        line = f"{r.name[:15]:<16}{shape:>15}{r.params:>12,}"
        line += f" {pct(r.params, total_p)}" if share else ""
        line += f"{r.macs:>15,}" + (f" {pct(r.macs, total_m)}" if share else "")
        lines.append(line)
    lines.append("-" * len(head))
    total = f"{'total':<16}{'':>15}{total_p:>12,}" + (" " * 7 if share else "")
    lines.append(total + f"{total_m:>15,}")
    return "\n".join(lines)


# ------------------------------------------------- the book's model cards


@dataclass(frozen=True)
class ModelCard:
    """One row of the comparison table every training chapter prints."""

    name: str
    params: int
    macs: int
    ms_per_image: float
    accuracy: float
    train_seconds: float


def cpu_ms_per_image(model, *, batch_size: int = 64, rounds: int = 30,
                     compiled: bool = True) -> float:
    """Inference time per image in milliseconds: the best of `rounds`
    timed calls of the model on a batch of zeros, after three untimed calls
    (on a quiet machine the best of 30 repeats to a few per cent; the best
    of a handful can be off by tens of per cent).

    compiled=True (the default) times the forward pass as one traced
    TensorFlow graph, as model.predict() and a deployed model run it; the
    first untimed call builds the graph. compiled=False times the model called
    eagerly, layer by layer from Python, which adds a fixed cost to every
    layer (a network of many small layers looks slower than it computes).
    """
    import time

    import tensorflow as tf

    from helpers.validate import positive_int

    from helpers.validate import check_allocation

    if not hasattr(model, "inputs"):
        raise TypeError(f"cpu_ms_per_image() takes a Keras model, got "
                        f"{type(model).__name__}")
    batch_size = positive_int(batch_size, "batch_size")
    rounds = positive_int(rounds, "rounds")
    shape = _shape(model.inputs[0])[1:]
    if any(d is None for d in shape):
        raise ValueError("cpu_ms_per_image() needs a fixed input shape")
    check_allocation(4 * batch_size * math.prod(shape),
                     f"a batch of {batch_size:,} inputs {shape}")

    def forward(x):
        return model(x, training=False)

    call = tf.function(forward, autograph=False) if compiled else forward
    x = tf.zeros((batch_size, *shape), "float32")
    for _ in range(3):
        call(x)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = call(x)
        for tensor in tf.nest.flatten(out):
            tensor.numpy()  # wait for the result, not only its dispatch
        best = min(best, time.perf_counter() - t0)
    return 1e3 * best / batch_size


def model_card(model, *, accuracy: float, train_seconds: float,
               name: str | None = None) -> ModelCard:
    """Parameters, multiply-adds and CPU time of a trained model, with
    its test accuracy and training time, as one ModelCard."""
    from helpers.validate import real_number

    accuracy = real_number(accuracy, "accuracy")
    if accuracy > 1:
        raise ValueError(f"accuracy must be a fraction in [0, 1], "
                         f"got {accuracy}")
    train_seconds = real_number(train_seconds, "train_seconds")
    return ModelCard(name or model.name, int(model.count_params()),
                     count_macs(model), cpu_ms_per_image(model),
                     float(accuracy), float(train_seconds))


def cards_table(cards) -> str:
    """The comparison table: model, parameters, multiply-adds, CPU ms per
    image, test accuracy and training time, one row per ModelCard."""
    cards = list(cards)
    if not cards:
        raise ValueError("cards_table() needs at least one ModelCard")
    for card in cards:
        if not isinstance(card, ModelCard):
            raise TypeError(f"cards_table() takes ModelCards (from "
                            f"model_card()), got {type(card).__name__}")
    head = (f"{'model':<18}{'params':>11}{'MACs':>13}{'ms/img':>8}"
            f"{'test acc':>10}{'train':>8}")
    lines = [head, "-" * len(head)]
    for c in cards:
        lines.append(f"{c.name[:17]:<18}{c.params:>11,}{c.macs:>13,}"
                     f"{c.ms_per_image:>8.3f}{c.accuracy:>9.2%}"
                     f"{c.train_seconds:>7.0f}s")
    return "\n".join(lines)


def pareto_front(costs, accuracies) -> list[int]:
    """Indices of the models that no other model beats: none is at most as
    costly and at least as accurate, and strictly better in one of the two.
    Sorted from the cheapest to the most costly."""
    import numpy as np

    from helpers.validate import finite_array

    costs = finite_array(costs, "costs").astype(float)
    accuracies = finite_array(accuracies, "accuracies").astype(float)
    if costs.shape != accuracies.shape or costs.ndim != 1 or not costs.size:
        raise ValueError(f"costs and accuracies must be two equally long "
                         f"non-empty lists, got shapes {costs.shape} and "
                         f"{accuracies.shape}")
    front = []
    for i in range(costs.size):
        dominated = ((costs <= costs[i]) & (accuracies >= accuracies[i])
                     & ((costs < costs[i]) | (accuracies > accuracies[i])))
        if not dominated.any():
            front.append(i)
    return sorted(front, key=lambda i: (costs[i], -accuracies[i]))
