"""helpers.pixels: the pixel-optimisation loop and the total-variation penalty."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from helpers.pixels import PixelRun, optimise_pixels, total_variation


def test_total_variation_by_hand():
    image = np.zeros((1, 3, 3, 1), np.float32)
    image[0, 1, 1, 0] = 2.0  # one bright pixel: 4 neighbours differ by 2
    assert float(total_variation(image)) == pytest.approx(4 * 2.0 ** 2)
    flat = np.full((2, 5, 4, 3), 0.7, np.float32)
    assert float(total_variation(flat)) == 0.0


def test_total_variation_is_a_batch_mean():
    a = np.random.default_rng(0).random((1, 6, 6, 3)).astype(np.float32)
    both = np.concatenate([a, np.zeros_like(a)])
    assert float(total_variation(both)) == pytest.approx(float(total_variation(a)) / 2)


def test_total_variation_refuses_other_ranks():
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        total_variation(np.zeros((4, 4, 3), np.float32))


def test_optimise_pixels_reaches_a_target_and_records_every_term():
    target = np.random.default_rng(1).random((1, 8, 8, 3)).astype(np.float32)

    def losses(image):
        return {"fit": tf.reduce_mean(tf.square(image - target)),
                "smooth": 1e-4 * total_variation(image)}

    start = np.zeros_like(target)
    run = optimise_pixels(losses, start, steps=300, learning_rate=0.05)
    assert isinstance(run, PixelRun)
    assert set(run.history) == {"fit", "smooth", "total"}
    assert all(len(curve) == 300 for curve in run.history.values())
    assert run.history["fit"][-1] < 0.01 * run.history["fit"][0]
    np.testing.assert_allclose(
        run.history["total"], np.add(run.history["fit"], run.history["smooth"]), rtol=1e-5)
    assert np.all(start == 0), "the start image must not be changed"


def test_value_range_clips_every_step():
    def push_up(image):
        return -tf.reduce_mean(image)  # maximise the mean: pixels run to the top

    run = optimise_pixels(push_up, np.full((1, 4, 4, 1), 0.5), steps=50,
                          learning_rate=0.1, value_range=(0.0, 1.0))
    assert run.image.max() <= 1.0 and run.image.min() >= 0.0
    assert run.image.min() == pytest.approx(1.0)
    assert list(run.history) == ["loss", "total"]


# ------------------------------------------------------------- L-BFGS

from helpers.pixels import optimise_pixels_lbfgs  # noqa: E402


def test_lbfgs_reaches_a_target_in_few_iterations_and_records_every_term():
    target = np.random.default_rng(1).random((1, 8, 8, 3)).astype(np.float32)

    def losses(image):
        return {"fit": tf.reduce_mean(tf.square(image - target)),
                "smooth": 1e-4 * total_variation(image)}

    start = np.zeros_like(target)
    run = optimise_pixels_lbfgs(losses, start, steps=20)
    assert isinstance(run, PixelRun)
    assert set(run.history) == {"fit", "smooth", "total"}
    lengths = {len(curve) for curve in run.history.values()}
    assert len(lengths) == 1 and 2 <= lengths.pop() <= 21  # the start + each iteration
    assert run.history["fit"][0] == pytest.approx(float(np.mean(target ** 2)), rel=1e-5)
    assert run.history["fit"][-1] < 0.01 * run.history["fit"][0]
    np.testing.assert_allclose(
        run.history["total"], np.add(run.history["fit"], run.history["smooth"]), rtol=1e-5)
    assert run.image.dtype == np.float32 and run.image.shape == target.shape
    assert np.all(start == 0), "the start image must not be changed"
    assert run.evaluations >= len(run.history["total"]) - 1  # >= 1 per iteration
    # one count per history entry, starting at 1 (the start), never falling,
    # rising by at least 1 per iteration and ending at the total
    assert len(run.evaluated) == len(run.history["total"])
    assert run.evaluated[0] == 1 and run.evaluated[-1] <= run.evaluations
    assert all(b > a for a, b in zip(run.evaluated, run.evaluated[1:]))


def test_adam_counts_one_evaluation_per_step():
    run = optimise_pixels(lambda x: tf.reduce_sum(x ** 2), np.ones((1, 2, 2, 1)), steps=7)
    assert run.evaluations == 7
    assert run.evaluated == [1, 2, 3, 4, 5, 6, 7]


def test_lbfgs_history_matches_the_final_image():
    target = np.linspace(0, 1, 16, dtype=np.float32).reshape(1, 4, 4, 1)

    def loss(image):
        return tf.reduce_sum(tf.square(image - target)) + tf.reduce_sum(image ** 4)

    run = optimise_pixels_lbfgs(loss, np.zeros_like(target), steps=5)
    assert run.history["loss"][-1] == pytest.approx(float(loss(run.image)), rel=1e-5)


def test_lbfgs_value_range_is_a_bound():
    def push_up(image):
        return -tf.reduce_mean(image)

    run = optimise_pixels_lbfgs(push_up, np.full((1, 4, 4, 1), 0.5), steps=10,
                                value_range=(0.0, 1.0))
    assert run.image.max() <= 1.0 and run.image.min() >= 0.0
    assert run.image.min() == pytest.approx(1.0)
    assert list(run.history) == ["loss", "total"]


BOTH = [optimise_pixels, optimise_pixels_lbfgs]
#: (optimiser, keyword arguments, error, message) the two optimisers refuse
BAD_ARGUMENTS = [
    *[(opt, kwargs, error, match) for opt in BOTH for kwargs, error, match in [
        (dict(steps=0), ValueError, "steps"),
        (dict(steps=2.0), TypeError, "steps"),
        (dict(steps=3, value_range=(1.0, 0.0)), ValueError, "low < high"),
        (dict(steps=3, value_range="01"), TypeError, "value_range"),
        (dict(steps=3, value_range=3), TypeError, "value_range"),
    ]],
    (optimise_pixels, dict(steps=3, learning_rate=0), ValueError, "learning_rate"),
    (optimise_pixels, dict(steps=3, learning_rate=float("nan")), ValueError, "learning_rate"),
    (optimise_pixels_lbfgs, dict(steps=3, memory=0), ValueError, "memory"),
]


@pytest.mark.parametrize("optimiser, kwargs, error, match", BAD_ARGUMENTS)
def test_bad_arguments(optimiser, kwargs, error, match):
    with pytest.raises(error, match=match):
        optimiser(lambda x: tf.reduce_sum(x), np.zeros((1, 2, 2, 1)), **kwargs)


@pytest.mark.parametrize("optimiser", BOTH)
def test_bad_start_and_bad_losses(optimiser):
    loss = lambda x: tf.reduce_sum(x)  # noqa: E731
    with pytest.raises(ValueError, match=r"image\[None\]"):
        optimiser(loss, np.zeros((2, 2, 1)), steps=1)
    with pytest.raises(ValueError, match="NaN"):
        optimiser(loss, np.full((1, 2, 2, 1), np.nan), steps=1)
    with pytest.raises(TypeError, match="must be real"):
        optimiser(loss, np.zeros((1, 2, 2, 1), complex), steps=1)
    with pytest.raises(TypeError, match="callable"):
        optimiser("loss", np.zeros((1, 2, 2, 1)), steps=1)
    with pytest.raises(ValueError, match="scalar"):
        optimiser(lambda x: x * 2, np.zeros((1, 2, 2, 1)), steps=1)
    with pytest.raises(ValueError, match="'total'"):
        optimiser(lambda x: {"total": tf.reduce_sum(x)}, np.zeros((1, 2, 2, 1)), steps=1)
    with pytest.raises(ValueError, match="does not depend"):
        optimiser(lambda x: tf.constant(1.0), np.zeros((1, 2, 2, 1)), steps=1)
