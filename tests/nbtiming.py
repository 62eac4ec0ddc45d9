"""pytest plugin (loaded by pyproject's addopts) for the nbval run.

- Reports how long each notebook took (sum of its cells' call times), so the
  suite's time budget can be watched in every CI log without a timed test.
- Sets TF_CPP_MIN_LOG_LEVEL for the kernels it starts.
- Leaves stderr out of nbval's output comparison: TensorFlow's chatter there
  varies run to run. The notebook lint separately forbids stored stderr noise.
"""

from __future__ import annotations

import os
from collections import defaultdict

import pytest

_notebook_seconds: dict[str, float] = defaultdict(float)

# Quiet TensorFlow in every kernel nbval starts (they inherit this environment),
# also when a maintainer runs a bare `pytest --nbval` from the repository root.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        parent = getattr(item, "parent", None)
        skip = getattr(parent, "skip_compare", None)
        if skip is not None and "stderr" not in skip:
            parent.skip_compare = tuple(skip) + ("stderr",)


_failed: set[str] = set()
#: where the last run's times are kept (pytest's cache), for
#: ``python -m tools.landing --times-from-tests``
CACHE_KEY = "cnnbook/notebook_times"


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration
        if report.failed:
            _failed.add(path)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    tr = terminalreporter
    tr.section("notebook execution times")
    for path, secs in sorted(_notebook_seconds.items()):
        flag = "   <-- over the ~120 s chapter budget" if secs > 120 else ""
        tr.write_line(f"{secs:7.1f} s  {path}{flag}")
    tr.write_line(f"{sum(_notebook_seconds.values()):7.1f} s  all notebooks (cell time, summed)")
    cache = getattr(tr.config, "cache", None)
    if cache is not None:  # only notebooks that passed: a failed run's time means little
        cache.set(CACHE_KEY, {
            "cores": os.cpu_count(),
            "seconds": {p: round(s, 1) for p, s in _notebook_seconds.items() if p not in _failed},
        })
