"""helpers.timing: honest timings on a noisy machine (taught in chapter 01)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from helpers.timing import (
    Timing,
    best_time,
    compare_times,
    matmul_operands,
    matmul_peak_gflops,
)


def test_best_time_warms_up_and_counts_calls():
    calls = []
    seconds = best_time(lambda: calls.append(1), repeat=3, number=4)
    assert len(calls) == 1 + 3 * 4
    assert 0 <= seconds < 0.01


@pytest.mark.parametrize(
    "kwargs", [{"repeat": 0}, {"number": 0}, {"repeat": 1.5}]
)
def test_best_time_rejects_bad_counts(kwargs):
    with pytest.raises(ValueError):
        best_time(lambda: None, **kwargs)


def test_compare_times_orders_and_batches():
    result = compare_times(
        {"fast": lambda: None, "slow": lambda: time.sleep(0.004)},
        rounds=3,
        min_batch_seconds=0.005,
    )
    assert set(result) == {"fast", "slow"}
    assert all(isinstance(t, Timing) for t in result.values())
    assert result["slow"].best >= 0.004
    assert result["fast"].best * result["fast"].calls_per_batch < 0.05
    assert result["fast"].best < result["slow"].best
    assert result["fast"].calls_per_batch > result["slow"].calls_per_batch
    for t in result.values():
        assert t.batches == 3 and t.median >= t.best and t.spread >= 1


def test_compare_times_interleaves_every_candidate_each_round():
    order = []
    compare_times(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")},
        rounds=4,
        min_batch_seconds=1e-9,
    )
    timed = order[-8:]  # one call per batch: 4 rounds of 2 candidates
    rounds = [sorted(timed[r : r + 2]) for r in range(0, 8, 2)]
    assert rounds == [["a", "b"]] * 4
    assert timed[:2] != timed[2:4], "the order should rotate between rounds"


def test_compare_times_stops_at_max_seconds_but_runs_three_rounds():
    result = compare_times(
        {"slow": lambda: time.sleep(0.01)},
        rounds=50,
        min_batch_seconds=0.001,
        max_seconds=0.001,
    )
    assert result["slow"].batches == 3


@pytest.mark.parametrize(
    "kwargs",
    [{"rounds": 0}, {"min_batch_seconds": 0}, {"max_seconds": -1.0}],
)
def test_compare_times_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        compare_times({"f": lambda: None}, **kwargs)
    with pytest.raises(ValueError):
        compare_times({})


def test_matmul_operands_and_peak():
    a, b = matmul_operands(64)
    assert a.shape == b.shape == (64, 64) and a.dtype == b.dtype == np.float32
    assert np.isfinite(a @ b).all()
    assert matmul_peak_gflops(64, repeat=2) > 0
    with pytest.raises(ValueError):
        matmul_operands(8)
