"""``helpers.pretrained.read_legacy_torch`` on genuine, crafted and damaged files.

The reader must be safe on *any* bytes: a file that lies about a tensor's offset, size
or stride, or that is truncated, raises :class:`ValueError` naming the problem; it never
returns memory outside the file, garbage, or crashes the process. The files are built
by hand here in the layout PyTorch's legacy (non-zip) ``torch.save`` writes: five
pickles (magic number, protocol version, system info, the state dict, the sorted storage
keys) and then each storage as an int64 element count followed by its raw bytes.
"""

from __future__ import annotations

import pickle
import struct
from collections import OrderedDict

import numpy as np
import pytest

from helpers import pretrained

MAGIC = 0x1950A86A20F9469CFC6C
DTYPES = {"FloatStorage": "<f4", "LongStorage": "<i8", "ByteStorage": "u1"}


# Stand-ins pickled under this module's name, renamed to torch's in the bytes afterwards.
class FloatStorage:
    pass


class LongStorage:
    pass


class ByteStorage:
    pass


def _rebuild_tensor_v2(*args):  # pragma: no cover - only its pickled name is used
    raise AssertionError


class _StorageRef:
    def __init__(self, key, kind, numel):
        self.key, self.kind, self.numel = key, kind, numel


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, OrderedDict())

    def __reduce__(self):
        return _rebuild_tensor_v2, self.args


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            kind = {"FloatStorage": FloatStorage, "LongStorage": LongStorage,
                    "ByteStorage": ByteStorage}[obj.kind]
            return ("storage", kind, obj.key, "cpu", obj.numel)
        return None


def _torch_names(blob: bytes) -> bytes:
    """Rename this module's stand-ins to the globals a real legacy file names."""
    here = __name__.encode()
    blob = blob.replace(b"c" + here + b"\n_rebuild_tensor_v2\n",
                        b"ctorch._utils\n_rebuild_tensor_v2\n")
    for kind in DTYPES:
        blob = blob.replace(b"c" + here + b"\n" + kind.encode() + b"\n",
                            b"ctorch\n" + kind.encode() + b"\n")
    assert here not in blob
    return blob


def legacy_file(tensors: dict, storages: dict, *, keys=None, counts=None,
                state_extra=None) -> bytes:
    """Bytes of a legacy ``.pth``.

    ``tensors``: name → (storage key, offset, size, stride); ``storages``: key → array
    (its dtype picks the storage type). ``keys``/``counts`` override the storage key list
    and the element counts written before each storage (to craft inconsistent files).
    """
    kinds = {np.dtype(v): k for k, v in DTYPES.items()}
    refs = {k: _StorageRef(k, kinds[np.asarray(a).dtype], np.asarray(a).size)
            for k, a in storages.items()}
    state = OrderedDict((name, _Tensor(refs.get(key) or _StorageRef(key, "FloatStorage", 4),
                                       off, size, stride))
                        for name, (key, off, size, stride) in tensors.items())
    if state_extra:
        state.update(state_extra)
    out = [pickle.dumps(MAGIC, protocol=2), pickle.dumps(1001, protocol=2),
           pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2)]
    import io

    buf = io.BytesIO()
    _Pickler(buf, protocol=2).dump(state)
    out.append(_torch_names(buf.getvalue()))
    keys = sorted(storages) if keys is None else keys
    out.append(pickle.dumps(keys, protocol=2))
    for k in keys:
        if k not in storages:
            continue
        arr = np.ascontiguousarray(storages[k])
        count = arr.size if counts is None else counts.get(k, arr.size)
        out.append(struct.pack("<q", count) + arr.tobytes())
    return b"".join(out)


STORE = {"0": np.arange(12, dtype="<f4")}


def test_a_well_formed_file_round_trips():
    blob = legacy_file({"w": ("0", 0, (3, 4), (4, 1)),
                        "t": ("0", 1, (2, 3), (1, 4)),  # a transposed, offset view
                        "s": ("0", 5, (), ()),  # a scalar
                        "e": ("0", 12, (0, 4), (4, 1)),  # empty, at the very end
                        "n": ("1", 0, (2,), (1,))},
                       {**STORE, "1": np.array([7, 9], "<i8")})
    out = pretrained.read_legacy_torch(blob)
    assert list(out) == ["w", "t", "s", "e", "n"]
    np.testing.assert_array_equal(out["w"], np.arange(12).reshape(3, 4))
    np.testing.assert_array_equal(out["t"], [[1, 5, 9], [2, 6, 10]])
    assert out["s"].shape == () and out["s"] == 5
    assert out["e"].shape == (0, 4)
    assert out["n"].dtype == np.int64 and out["n"].tolist() == [7, 9]
    for arr in out.values():
        assert arr.flags.owndata  # copies: nothing refers back into the file's bytes


@pytest.mark.parametrize("offset, size, stride, why", [
    (10, (4,), (1,), "past the end"),  # offset + size runs past a 12-element storage
    (12, (1,), (1,), "past the end"),
    (0, (13,), (1,), "past the end"),  # bigger than the storage
    (0, (2,), (1000,), "past the end"),  # a huge stride
    (0, (2, 2), (6, 7), "past the end"),
    (10**6, (1,), (1,), "past the end"),
    (2**70, (1,), (1,), "past the end"),  # would overflow a C integer
    (-1, (4,), (1,), "offset"),  # reads before the buffer
    (4, (3,), (-1,), "stride"),  # a negative stride walks backwards out of the buffer
    (0, (-3,), (1,), "size"),
    (0, (2,), (1, 1), "differ in length"),
    (0.5, (2,), (1,), "offset"),
    (0, ("2",), (1,), "size"),
    (0, 2, 1, "size"),  # not sequences
    (True, (2,), (1,), "offset"),
    (0, (1,) * 70, (1,) * 70, "dimensions"),
])
def test_a_tensor_outside_its_storage_is_refused(offset, size, stride, why):
    blob = legacy_file({"ok": ("0", 0, (12,), (1,)), "bad.weight": ("0", offset, size, stride)},
                       STORE)
    with pytest.raises(ValueError, match=rf"bad\.weight.*{why}"):
        pretrained.read_legacy_torch(blob)


def test_a_size_one_dimension_may_have_any_stride():
    # PyTorch leaves arbitrary strides on length-1 dimensions; they move nothing.
    blob = legacy_file({"w": ("0", 2, (1, 3), (999, 1))}, STORE)
    np.testing.assert_array_equal(pretrained.read_legacy_torch(blob)["w"], [[2, 3, 4]])


def test_a_broadcast_tensor_larger_than_the_file_is_refused():
    # stride 0 stays inside the storage, but 2**40 copies of one float is a memory bomb
    blob = legacy_file({"bomb": ("0", 0, (2**20, 2**20), (0, 0))}, STORE)
    with pytest.raises(ValueError, match="bomb.*elements"):
        pretrained.read_legacy_torch(blob)


def test_a_truncated_storage_is_refused():
    blob = legacy_file({"w": ("0", 0, (12,), (1,))}, STORE)
    with pytest.raises(ValueError, match="storage '0'.*truncated"):
        pretrained.read_legacy_torch(blob[:-5])  # the last float is missing


@pytest.mark.parametrize("count", [-1, -8, 13, 2**62])
def test_a_lying_element_count_is_refused(count):
    blob = legacy_file({"w": ("0", 0, (12,), (1,))}, STORE, counts={"0": count})
    with pytest.raises(ValueError, match="storage '0'"):
        pretrained.read_legacy_torch(blob)


def test_a_tensor_whose_storage_is_not_in_the_file_is_refused():
    blob = legacy_file({"w": ("0", 0, (12,), (1,)), "orphan": ("9", 0, (1,), (1,))}, STORE)
    with pytest.raises(ValueError, match="orphan.*storage '9'"):
        pretrained.read_legacy_torch(blob)


def test_an_unreferenced_or_repeated_storage_key_is_refused():
    blob = legacy_file({"w": ("0", 0, (12,), (1,))}, STORE, keys=["0", "ghost"])
    with pytest.raises(ValueError, match="ghost"):
        pretrained.read_legacy_torch(blob)
    blob = legacy_file({"w": ("0", 0, (12,), (1,))}, STORE, keys=["0", "0"])
    with pytest.raises(ValueError, match="'0'.*twice"):
        pretrained.read_legacy_torch(blob)


def test_an_entry_that_is_not_a_tensor_is_named():
    blob = legacy_file({"w": ("0", 0, (12,), (1,))}, STORE, state_extra={"lr": 0.1})
    with pytest.raises(ValueError, match="'lr'.*not a tensor"):
        pretrained.read_legacy_torch(blob)


def test_every_truncation_raises_value_error():
    blob = legacy_file({"a": ("0", 0, (3, 4), (4, 1)), "b": ("1", 0, (2,), (1,))},
                       {**STORE, "1": np.array([7, 9], "<i8")})
    pretrained.read_legacy_torch(blob)
    for cut in range(len(blob)):
        with pytest.raises(ValueError):
            pretrained.read_legacy_torch(blob[:cut])


def test_flipped_bytes_never_crash_or_leak():
    """Every single-byte change is refused with ValueError or gives arrays of the file's
    own values (a changed float is still a value from the file, not from memory)."""
    blob = legacy_file({"a": ("0", 0, (3, 4), (4, 1))}, STORE)
    rng = np.random.default_rng(0)
    for pos in range(len(blob)):
        for value in {0, 0xFF, int(rng.integers(256)), blob[pos] ^ 0x80}:
            mutated = bytearray(blob)
            mutated[pos] = value
            try:
                out = pretrained.read_legacy_torch(bytes(mutated))
            except (ValueError, pickle.UnpicklingError):
                continue
            for arr in out.values():
                assert arr.nbytes <= len(blob)


def test_a_memo_bomb_is_refused_cleanly():
    # LONG_BINPUT with index 2**31 - 16: the C unpickler tries to allocate a 32 GB memo.
    bomb = b"\x80\x02K\x01r\xf0\xff\xff\x7f."
    with pytest.raises(ValueError, match="PyTorch legacy file"):
        pretrained.read_legacy_torch(bomb)


def test_garbage_and_empty_input_raise_value_error():
    for junk in (b"", b"\x00" * 64, b"PK\x03\x04 a zip file", pickle.dumps([1] * 5),
                 pickle.dumps(MAGIC, protocol=2) + b"\x80\x02]q\x00(K\x01"):
        with pytest.raises(ValueError):
            pretrained.read_legacy_torch(junk)


def test_code_in_the_pickle_is_still_refused():
    evil = b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."
    blob = pickle.dumps(MAGIC, protocol=2) + pickle.dumps(1001) + pickle.dumps({}) + evil
    with pytest.raises(pickle.UnpicklingError, match="refusing to load os.system"):
        pretrained.read_legacy_torch(blob)


def test_the_storage_type_cannot_be_modified_by_the_file():
    # BUILD (setstate) on the storage-type global must not reach a shared numpy dtype.
    blob = legacy_file({"w": ("0", 0, (12,), (1,))}, STORE)
    build = b"ctorch\nFloatStorage\n}X\x08\x00\x00\x00itemsizeK\x08sb0"
    header = pickle.dumps(MAGIC, protocol=2) + pickle.dumps(1001, protocol=2)
    info = pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2)
    assert blob.startswith(header + info)
    tampered = header + b"\x80\x02" + build + b"N." + blob[len(header + info):]
    with pytest.raises((ValueError, pickle.UnpicklingError)):
        pretrained.read_legacy_torch(tampered)
    assert np.dtype("<f4").itemsize == 4
    assert pretrained.read_legacy_torch(blob)["w"].dtype == np.float32


def test_the_real_checkpoint_still_loads():
    from helpers import assets

    state = pretrained.read_legacy_torch(assets.fetch("efficientnet_lite0_pth").read_bytes())
    assert sum(a.size for k, a in state.items() if "num_batches" not in k) == 4_694_024
    assert all(a.dtype in (np.float32, np.int64) for a in state.values())
