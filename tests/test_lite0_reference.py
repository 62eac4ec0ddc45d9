"""The EfficientNet-Lite0 evaluation crop, the stored reference logits and the book's
Lite0 against them (chapter 11)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import data, pretrained
from tools import lite0_reference


def test_lite0_crop_keeps_the_central_seven_eighths_of_the_short_side():
    image = np.zeros((300, 400, 3), np.uint8)
    side = int(224 / 256 * 300)  # 262
    top, left = (300 - side + 1) // 2, (400 - side + 1) // 2
    image[top:top + side, left:left + side] = 200  # exactly the crop is bright
    crop = pretrained.lite0_crop(image)
    assert crop.shape == (224, 224, 3) and crop.dtype == np.float32
    np.testing.assert_allclose(crop, 200, atol=1e-3)
    assert pretrained.lite0_crop(image, size=32).shape == (32, 32, 3)


@pytest.mark.parametrize("bad", [np.zeros((8, 8)), np.zeros((8, 8, 4)), np.zeros((2, 8, 8, 3))])
def test_lite0_crop_rejects_what_is_not_one_rgb_image(bad):
    with pytest.raises(ValueError, match="one \\(H, W, 3\\) RGB image"):
        pretrained.lite0_crop(bad)


@pytest.mark.parametrize("size", [0, -3, 2.0, True])
def test_lite0_crop_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="positive int"):
        pretrained.lite0_crop(np.zeros((8, 8, 3)), size=size)


def test_the_shipped_reference_covers_the_tools_photos():
    ref = pretrained.lite0_reference()
    assert ref.names == lite0_reference.PHOTOS
    assert ref.logits.shape == (6, 1000) and ref.logits.dtype == np.float32
    assert "efficientnet-lite-pytorch" in ref.source and "torch" in ref.source


def test_a_missing_or_broken_reference_says_how_to_regenerate_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="tools.lite0_reference"):
        pretrained.lite0_reference(tmp_path / "nothing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="tools.lite0_reference"):
        pretrained.lite0_reference(broken)
    short = tmp_path / "short.json"
    short.write_text(json.dumps({"names": ["chelsea"], "logits": [[0.0] * 10],
                                 "source": "test"}))
    with pytest.raises(ValueError, match=r"shape \(1, 1000\)"):
        pretrained.lite0_reference(short)


def test_the_books_lite0_computes_the_reference_logits():
    ref = pretrained.lite0_reference()
    x = pretrained.lite0_preprocess(
        np.stack([pretrained.lite0_crop(data.photo(n)) for n in ref.names]))
    model = pretrained.efficientnet_lite0()
    logits = pretrained.lite0_logits(model, x)
    assert np.abs(logits - ref.logits).max() < 1e-3
    # the logits are what the softmax turns into the model's probabilities
    probs = model.predict(x, verbose=0)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probs, shifted / shifted.sum(axis=1, keepdims=True), atol=1e-5)
