"""Small, honest timing utilities: best-of-repeats wall-clock and a matmul peak.

Taught in chapter 01 (the speed section); later chapters reuse them for timing reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], *, repeat: int = 5, number: int = 1) -> float:
    """Best (minimum) seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls.

    One untimed warm-up call runs first (tracing, caches). The minimum is the
    least noisy estimate of what the code costs on an otherwise idle machine.
    """
    if repeat < 1 or number < 1:
        raise ValueError(f"repeat and number must be >= 1 (got {repeat}, {number})")
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def matmul_peak_gflops(n: int = 2048, *, repeat: int = 5) -> float:
    """Measured float32 GFLOP/s of an ``n``×``n`` NumPy matrix product on this machine.

    A matmul does ``2·n³`` floating-point operations; it is the practical peak that
    the roofline chart of chapter 01 compares every convolution against.
    """
    import numpy as np

    if n < 16:
        raise ValueError(f"n must be at least 16 for a meaningful peak (got {n})")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    seconds = best_time(lambda: a @ b, repeat=repeat)
    return 2 * n**3 / seconds / 1e9
