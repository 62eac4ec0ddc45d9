"""Reaching inside a Keras model's graph, nested models included.

Chapter 12's transfer models nest a whole network inside another
(``keras.Sequential([backbone, head])``); a layer of the backbone is then
not connected to the outer model's input, so ``keras.Model(model.input,
layer.output)`` fails. The functions here walk each model's own graph and
rebuild the path from the outer input to a layer inside, so that
:mod:`helpers.explain` (Grad-CAM, feature inversion, Deep Dream, chapter 13),
:mod:`helpers.style` (chapter 14) and :mod:`helpers.model_stats` (every call
of a reused layer) see nested models as they see flat ones.

Layers inside nested models are named by a path, ``"backbone/conv5_out"``,
or by their bare name when only one layer has it.
"""

from __future__ import annotations


def _keras():
    import keras

    return keras


def is_nested(layer) -> bool:
    """True for a model used as a layer of another model (it has a graph)."""
    keras = _keras()
    if not isinstance(layer, keras.Model):
        return False
    try:
        return bool(layer.outputs)
    except (AttributeError, ValueError):
        return False


def graph_nodes(model) -> list:
    """The call nodes of ``model``'s own graph, inputs first."""
    order: list = []
    seen: set[int] = set()

    def visit(tensor):
        operation, index, _ = tensor._keras_history
        node = operation._inbound_nodes[index]
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.input_tensors:
            visit(parent)
        order.append(node)

    for tensor in model.outputs:
        visit(tensor)
    return order


def leaf_calls(model, prefix: tuple = ()) -> list[tuple[tuple, object]]:
    """(path, node) for every call of a layer that is not a model, nested
    models' calls expanded (once per call of the nested model), in order.
    ``path`` is the tuple of layers from ``model``'s level down to it."""
    keras = _keras()
    calls = []
    for node in graph_nodes(model):
        operation = node.operation
        if isinstance(operation, keras.layers.InputLayer):
            continue
        if is_nested(operation):
            calls += leaf_calls(operation, prefix + (operation,))
        else:
            calls.append((prefix + (operation,), node))
    return calls


def path_name(path) -> str:
    return "/".join(layer.name for layer in path)


def _layer_paths(model, prefix: tuple = ()) -> list[tuple]:
    """Every layer (models included) as a path, in ``model.layers`` order."""
    keras = _keras()
    paths = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        path = prefix + (layer,)
        paths.append(path)
        if is_nested(layer):
            paths += _layer_paths(layer, path)
    return paths


def feature_map_paths(model) -> list[tuple]:
    """Paths of the layers whose output is (N, H, W, C), nested ones included,
    in order; a nested model comes before its own layers."""
    ranks: dict[int, dict[int, int]] = {}

    def rank(path) -> int | None:
        owner = model if len(path) == 1 else path[-2]
        if id(owner) not in ranks:
            ranks[id(owner)] = {
                id(n.operation): len(n.output_tensors[0].shape)
                for n in graph_nodes(owner) if n.output_tensors}
        return ranks[id(owner)].get(id(path[-1]))

    return [p for p in _layer_paths(model) if rank(p) == 4]


def output_shape(model, path) -> tuple | None:
    """The output shape of the layer at ``path`` (its first call)."""
    owner = model if len(path) == 1 else path[-2]
    for node in graph_nodes(owner):
        if node.operation is path[-1] and node.output_tensors:
            return tuple(node.output_tensors[0].shape)
    return None


def find_layer(model, layer) -> tuple:
    """``layer`` (a name, a path ``"outer/inner"`` or a layer object) as a
    path of layers inside ``model``; a ValueError/TypeError otherwise."""
    keras = _keras()
    paths = _layer_paths(model)
    maps = [path_name(p) for p in feature_map_paths(model)]
    hint = ", ".join(repr(n) for n in maps[-3:]) or "none"
    if isinstance(layer, keras.layers.Layer):
        found = [p for p in paths if p[-1] is layer]
        if not found:
            raise ValueError(
                f"layer {layer.name!r} is not one of model {model.name!r}'s "
                "layers (nested models searched too); pass one of its layers "
                "or its name")
    elif isinstance(layer, str):
        found = [p for p in paths if path_name(p) == layer]
        if not found:
            found = [p for p in paths if p[-1].name == layer]
        if not found:
            raise ValueError(
                f"model {model.name!r} has no layer named {layer!r}; its last "
                f"layers with 4-D output are {hint} (a layer inside a nested "
                "model is named 'outer/inner'; model.summary() lists them)")
        if len(found) > 1:
            names = ", ".join(repr(path_name(p)) for p in found)
            raise ValueError(
                f"{layer!r} names several layers of model {model.name!r} "
                f"({names}): give the full path")
    else:
        raise TypeError(
            "layer must be a layer name, a path 'outer/inner' or a layer of "
            f"the model, got {type(layer).__name__}")
    return found[0]


def _call_of(model, layer):
    """The one node of ``model``'s graph that calls ``layer``."""
    nodes = [n for n in graph_nodes(model) if n.operation is layer]
    if len(nodes) != 1:
        raise ValueError(
            f"layer {layer.name!r} is called {len(nodes)} times in model "
            f"{model.name!r}; choose a layer that is called once")
    if len(nodes[0].input_tensors) != 1 or len(nodes[0].output_tensors) != 1:
        raise ValueError(
            f"layer {layer.name!r} takes or returns several tensors; choose "
            "a layer with one input and one output")
    return nodes[0]


_SOFTMAX_NAMES = {"softmax", "softmax_v2"}


def _is_softmax(function) -> bool:
    return getattr(function, "__name__", "") in _SOFTMAX_NAMES


def _is_linear(function) -> bool:
    return function is None or getattr(function, "__name__", "") in {
        "linear", "identity"}


def scores_tensor(model):
    """``model``'s output with a final softmax removed, as a tensor of its
    graph, and what it is: ("logits", tensor) when the output had no softmax
    or it was removed, ("unknown", tensor) when the last layer is one whose
    effect cannot be told (a Lambda, a custom layer)."""
    keras = _keras()
    output = model.outputs[0]
    node = _last_node(output)
    head = node.operation
    if is_nested(head):
        kind, inner = scores_tensor(head)
        if inner is head.outputs[0]:
            return kind, output
        return kind, keras.Model(head.inputs, inner)(node.input_tensors[0])
    if isinstance(head, keras.layers.Softmax):
        return "logits", node.input_tensors[0]
    activation = getattr(head, "activation", None)
    if isinstance(head, keras.layers.Activation):
        if _is_softmax(activation):
            return "logits", node.input_tensors[0]
        return ("logits" if _is_linear(activation) else "unknown"), output
    if isinstance(head, keras.layers.Lambda) or type(head).__module__.split(
            ".")[0] != "keras":
        return "unknown", output
    if not _is_softmax(activation):
        return "logits", output
    # A layer with a built-in softmax (Dense in keras.applications): the same
    # layer without it, sharing nothing but a copy of the current weights.
    config = dict(head.get_config(), activation="linear",
                  name=f"{head.name}_logits")
    twin = type(head).from_config(config)
    scores = twin(node.input_tensors[0])
    twin.set_weights(head.get_weights())
    return "logits", scores


def _last_node(tensor):
    operation, index, _ = tensor._keras_history
    return operation._inbound_nodes[index]


def probe(model, paths: list[tuple], *, scores: bool = True):
    """(a model from ``model``'s input to [the outputs of each layer in
    ``paths``..., the class scores], what the scores are): the scores are
    the output with a final softmax removed, "logits", or "unknown" when the
    last layer's effect cannot be told (a Lambda or custom layer). With
    ``scores=False`` they are left out (and the kind is None). One pass.

    The paths must all lie at ``model``'s own level or all inside the same
    nested model (recursively)."""
    return _probe(model, [tuple(p) for p in paths], True if scores else None)


def _probe(model, paths, strip):
    """(probe model, kind of its scores) as described in :func:`probe`;
    with strip=False the scores are the raw output, and None leaves them out."""
    keras = _keras()

    def output_of(level):
        if strip is None:
            return [], None
        if strip:
            kind, tensor = scores_tensor(level)
            return [tensor], kind
        return [level.outputs[0]], "output"

    if all(len(p) == 1 for p in paths):
        tensors = [_call_of(model, p[0]).output_tensors[0] for p in paths]
        tail, kind = output_of(model)
        return keras.Model(model.inputs, tensors + tail), kind
    firsts = {id(p[0]) for p in paths}
    if len(firsts) != 1 or any(len(p) == 1 for p in paths):
        raise ValueError(
            "the layers asked for lie in different parts of the model ("
            + ", ".join(repr(path_name(p)) for p in paths)
            + "); ask for layers of one nested model at a time")
    nested = paths[0][0]
    node = _call_of(model, nested)
    here = node.output_tensors[0]
    last = here is model.outputs[0]
    inner_strip = None if strip is None else (strip and last)
    if not last and strip is not None:
        inner_strip = False
    inner, kind = _probe(nested, [p[1:] for p in paths], inner_strip)
    x = keras.Input(batch_shape=tuple(model.inputs[0].shape),
                    dtype=model.inputs[0].dtype)
    start = node.input_tensors[0]
    h = x if start is model.inputs[0] else keras.Model(model.inputs, start)(x)
    results = inner(h)
    results = results if isinstance(results, (list, tuple)) else [results]
    results = list(results)
    if strip is None:
        return keras.Model(x, results), None
    maps, inner_out = results[:-1], results[-1]
    if last:
        return keras.Model(x, maps + [inner_out]), kind
    tail, kind = output_of(model)
    if _reads_only(tail[0], here):
        scores = keras.Model(here, tail[0])(inner_out)
    else:  # the rest also reads tensors from before the nested model
        head = keras.Model([model.inputs[0], here], tail[0])
        scores = head([x, inner_out])
    return keras.Model(x, maps + [scores]), kind


def _reads_only(output, start) -> bool:
    """Whether ``output`` is computed from ``start`` alone, walking its graph
    back (Keras 3.10 builds a model from a tensor that does not reach every
    input, and fails only when it is called)."""
    stack, seen = [output], set()
    while stack:
        tensor = stack.pop()
        if tensor is start or id(tensor) in seen:
            continue
        seen.add(id(tensor))
        node = _last_node(tensor)
        if node.is_input or not node.input_tensors:
            return False  # an input or a constant other than start
        stack.extend(node.input_tensors)
    return True


__all__ = ["feature_map_paths", "find_layer", "graph_nodes", "is_nested",
           "leaf_calls", "output_shape", "path_name", "probe", "scores_tensor"]
