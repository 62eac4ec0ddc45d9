"""Small, honest timing utilities for a shared, noisy machine.

Taught in chapter 01 (the speed section); later chapters reuse them for timing
reports. Noise on a shared CPU (other processes, frequency changes, a busy
second core) only ever adds time, so every function here warms up first,
times batches of calls long enough to swamp the clock's resolution, and
reports the fastest batch. `compare_times` also interleaves the candidates,
round after round, so that a slow spell of the machine hits all of them
rather than the one that happened to run during it.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


def _check_counts(**counts: int) -> None:
    for name, value in counts.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an int >= 1 (got {value!r})")


def _calls_per_batch(fn: Callable[[], object], min_seconds: float) -> int:
    """How many calls of `fn` make a batch of about `min_seconds` when the
    machine is quiet: the fastest of a few single calls sets the pace."""
    single, spent = float("inf"), 0.0
    for probe in range(5):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        single, spent = min(single, elapsed), spent + elapsed
        if probe >= 1 and spent > 5 * min_seconds:
            break
    return max(1, min(1_000_000, math.ceil(min_seconds / max(single, 1e-7))))


def best_time(
    fn: Callable[[], object], *, repeat: int = 5, number: int = 1
) -> float:
    """Best (minimum) seconds per call of `fn` over `repeat` batches.

    Each batch makes `number` calls. One untimed warm-up call runs first
    (tracing, caches). The minimum is the least noisy estimate of what the
    code costs on an otherwise idle machine.
    """
    _check_counts(repeat=repeat, number=number)
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one candidate in `compare_times`.

    `best` is the fastest batch (what the book reports), `median` the middle
    one; `median / best` (the `spread`) shows how noisy the machine was.
    """

    best: float
    median: float
    calls_per_batch: int
    batches: int

    @property
    def spread(self) -> float:
        return self.median / self.best


def compare_times(
    candidates: Mapping[str, Callable[[], object]],
    *,
    rounds: int = 9,
    min_batch_seconds: float = 0.02,
    max_seconds: float | None = None,
) -> dict[str, Timing]:
    """Time several functions fairly against each other on a noisy machine.

    Every candidate is called once to warm up, then calibrated: a batch of
    calls lasts about `min_batch_seconds` on a quiet machine, the same for
    every candidate (unless one call takes longer). Then `rounds` rounds
    each time one batch of every candidate, in a rotated order, so all
    candidates see the same mix of quiet and busy moments. With
    `max_seconds`, no new round starts once that much time has passed (at
    least 3 rounds always run). Returns, per name, a `Timing` whose `best`
    is the fastest batch's seconds per call.
    """
    _check_counts(rounds=rounds)
    if not candidates:
        raise ValueError("compare_times needs at least one candidate")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds must be > 0 (got {max_seconds})")
    if not min_batch_seconds > 0:
        raise ValueError(
            f"min_batch_seconds must be > 0 (got {min_batch_seconds})"
        )
    names = list(candidates)
    for name in names:
        candidates[name]()  # warm-up: tracing, caches, lazy allocations
    number = {
        n: _calls_per_batch(candidates[n], min_batch_seconds) for n in names
    }
    samples: dict[str, list[float]] = {n: [] for n in names}
    started = time.perf_counter()
    for r in range(rounds):
        late = max_seconds is not None and (
            time.perf_counter() - started > max_seconds
        )
        if late and r >= 3:
            break
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            fn, calls = candidates[name], number[name]
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[name].append((time.perf_counter() - start) / calls)
    return {
        n: Timing(
            best=min(samples[n]),
            median=statistics.median(samples[n]),
            calls_per_batch=number[n],
            batches=len(samples[n]),
        )
        for n in names
    }


def matmul_operands(n: int = 2048):
    """Two float32 (n, n) matrices for measuring a matmul peak.

    Their values do not affect the speed, so they are fixed, not random.
    """
    import numpy as np

    from helpers.validate import check_allocation

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 16:
        raise ValueError(
            f"n must be an int >= 16 for a meaningful peak (got {n!r})"
        )
    n = int(n)
    check_allocation(16 * n * n, f"two {n:,} x {n:,} matrices")
    a = np.linspace(-1.0, 1.0, n * n, dtype=np.float32).reshape(n, n)
    return a, np.ascontiguousarray(a.T[::-1])


def matmul_peak_gflops(n: int = 2048, *, repeat: int = 5) -> float:
    """Measured float32 GFLOP/s of an n x n NumPy matrix product here.

    A matmul does 2 n^3 floating-point operations; it is the practical peak
    that the roofline chart of chapter 01 compares every convolution against.
    """
    a, b = matmul_operands(n)
    seconds = best_time(lambda: a @ b, repeat=repeat)
    return 2 * n**3 / seconds / 1e9
