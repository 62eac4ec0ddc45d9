"""helpers.data's chapter 12 task: Tux Paint cut-outs composited on textures.

Most tests use synthetic cut-outs and need no asset; the last ones read the cached
``tuxpaint_cutouts`` file (``make test`` fetches the cache first).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from helpers import assets, cache, catalogue, data


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (30, 20)) -> bytes:
    im = Image.new("RGBA", size, (*colour, 255))
    buffer = io.BytesIO()
    im.save(buffer, format="PNG")
    return buffer.getvalue()


def _cutouts(n: int = 4, size: int = 32) -> np.ndarray:
    cut = np.zeros((n, size, size, 4), np.uint8)
    cut[:, 8:24, 8:24] = (255, 0, 0, 255)  # an opaque red square on transparency
    return cut


@pytest.mark.parametrize("name, group", [
    ("lion-2", "lion"), ("lion", "lion"), ("pig_golden2", "pig"), ("garlics", "garlic"),
    ("heron_greatblue_flying", "heron"), ("Strawberry2", "strawberry"),
    ("flower10", "flower10"), ("flower2", "flower"), ("s", "s"),
])
def test_object_group(name, group):
    assert data.object_group(name) == group


@pytest.mark.parametrize("bad", ["", None, 3, b"lion"])
def test_object_group_refuses_non_names(bad):
    with pytest.raises(TypeError, match="file stem"):
        data.object_group(bad)


def test_the_split_keeps_each_object_on_one_side():
    names = ["lion", "lion-2", "tiger", "tiger_sumatran", "zebra", "yak", "wolf",
             "apple_red", "apple_green", "kiwi", "pear", "fig", "lime"]
    labels = [0] * 7 + [1] * 6
    test = data.stamp_split(names, labels)
    groups = np.array([data.object_group(n) for n in names])
    assert not set(groups[test]) & set(groups[~test])
    assert 0 < test.sum() < len(names)
    assert np.array_equal(test, data.stamp_split(names, labels))  # no seed: fixed
    with pytest.raises(ValueError, match="names but"):
        data.stamp_split(names, labels[:-1])


def test_composite_pastes_the_object_on_a_background():
    cut = _cutouts()
    x = data.composite(cut, size=48, half="top", seed=3)
    assert x.shape == (4, 48, 48, 3) and x.dtype == np.uint8
    red = (x[..., 0] > 200) & (x[..., 1] < 30) & (x[..., 2] < 30)
    assert (red.sum(axis=(1, 2)) > 50).all()  # the object is there
    assert np.array_equal(x, data.composite(cut, size=48, half="top", seed=3))
    assert not np.array_equal(x, data.composite(cut, size=48, half="top", seed=4))
    transparent = np.zeros_like(cut)
    bg_top = data.composite(transparent, size=48, half="top", seed=3)
    bg_bottom = data.composite(transparent, size=48, half="bottom", seed=3)
    assert not np.array_equal(bg_top, bg_bottom)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(size=48, half="left", seed=0), ValueError, "half"),
    (dict(size=8, half="top", seed=0), ValueError, "between 16 and 512"),
    (dict(size=48.0, half="top", seed=0), TypeError, "int number of pixels"),
    (dict(size=True, half="top", seed=0), TypeError, "int number of pixels"),
])
def test_composite_refuses_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.composite(_cutouts(), **kwargs)


@pytest.mark.parametrize("cut", [np.zeros((2, 32, 32, 3), np.uint8),
                                 np.zeros((32, 32, 4), np.uint8),
                                 np.zeros((2, 32, 32, 4), np.float32)])
def test_composite_refuses_what_is_not_rgba_uint8(cut):
    with pytest.raises(ValueError, match="RGBA"):
        data.composite(cut, size=32, half="top", seed=0)


@pytest.mark.parametrize("kwargs, error", [
    (dict(size=0), ValueError), (dict(size="96"), TypeError),
    (dict(copies=0), ValueError), (dict(copies=1.5), TypeError),
    (dict(test_copies=-1), ValueError), (dict(seed=-1), TypeError),
    (dict(seed=1.0), TypeError),
])
def test_load_stamp_scenes_checks_its_arguments_before_loading(kwargs, error, monkeypatch):
    monkeypatch.setattr(data, "load_stamp_cutouts", lambda: pytest.fail("loaded"))
    with pytest.raises(error):
        data.load_stamp_scenes(**kwargs)


def _fake_build(monkeypatch) -> bytes:
    members = [m for _, m in data._stamp_members()]
    files = {m: _png((i % 256, 50, 100)) for i, m in enumerate(members)}
    return data._build_stamps(lambda wanted: {m: files[m] for m in wanted})


def test_the_builder_fits_every_cutout_and_records_its_sources(monkeypatch, tmp_path):
    blob = _fake_build(monkeypatch)
    with np.load(io.BytesIO(blob), allow_pickle=False) as f:
        cut, labels, classes = f["cutouts"], f["labels"], f["classes"]
        digest = str(f["source_sha256"])
    assert cut.shape == (catalogue.TUXPAINT_COUNT, data.STAMP_SIZE, data.STAMP_SIZE, 4)
    assert list(classes) == sorted(catalogue.TUXPAINT_STAMPS)
    assert np.bincount(labels).tolist() == [35, 24, 26, 64, 18]
    # a 30 x 20 opaque image fills the width and 2/3 of the height, centred
    assert cut[0, 64, :, 3].min() == 255 and cut[0, 0, :, 3].max() == 0
    path = tmp_path / "fake.npz"
    path.write_bytes(blob)
    ok = cache.npz_source_check(digest, catalogue.TUXPAINT_COUNT)
    assert ok(path) is None
    # the fake PNGs are not the package's: the pinned digest refuses them
    assert "built from other files" in cache.npz_source_check(
        catalogue.TUXPAINT_SOURCE_DIGEST, catalogue.TUXPAINT_COUNT)(path)
    assert "expected 3 entries" in cache.npz_source_check(digest, 3)(path)
    path.write_bytes(blob[: len(blob) // 2])
    assert "not a readable .npz" in ok(path)


def test_a_missing_package_gives_an_actionable_error(monkeypatch, tmp_path):
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(data, "STAMPS_INSTALLED", tmp_path / "nowhere")
    monkeypatch.setenv(assets.NO_DOWNLOAD_ENV, "1")
    monkeypatch.setenv("PATH", "/nonexistent")  # no apt-get either
    monkeypatch.setattr(cache, "DOWNLOADS", cache._Downloads())
    with pytest.raises(assets.AssetError) as err:
        data.load_stamp_cutouts()
    msg = str(err.value)
    assert "'tuxpaint_cutouts'" in msg and "apt-get install tuxpaint-stamps-default" in msg
    assert "apt-get download tuxpaint-stamps-default" in msg
    assert "tuxpaint_cutouts.npz" in msg and "deb.debian.org" in msg
    assert "downloads disabled" in msg


def test_the_cached_cutouts_are_the_packages():
    cut = data.load_stamp_cutouts()
    assert cut.images.shape == (167, 128, 128, 4) and cut.images.dtype == np.uint8
    assert cut.classes == ("bird", "flower", "fruit", "mammal", "vegetable")
    assert len(set(cut.names.tolist())) == 167


def test_stamp_scenes_share_no_object_between_train_and_test():
    s = data.load_stamp_scenes(32, copies=1, test_copies=1, seed=5)
    assert s.x_train.shape[1:] == (32, 32, 3) and s.x_train.dtype == np.uint8
    assert len(s.x_train) + len(s.x_test) == 167
    assert not set(s.object_train) & set(s.object_test)
    groups = [data.object_group(str(n)) for n in s.names]
    assert not {groups[i] for i in s.object_train} & {groups[i] for i in s.object_test}
    assert np.array_equal(s.y_train, data.load_stamp_cutouts().labels[s.object_train])
    assert set(np.unique(s.y_test)) == set(range(5))
