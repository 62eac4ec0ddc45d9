"""Re-execute chapter notebooks in place, each in a fresh kernel, top to bottom.

Used by ``make execute``. Stored outputs then come from one clean run, which is
what ``make test`` (nbval) compares against and what the book renders.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) outputs into one, as a reader saw them.

    A cell that prints as it goes (one line per trained model, say) sends each line
    as its own message; stored separately, every line would render as a box of its own.
    """
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:  # a copy, so that joining never changes the caller's outputs
            merged.append(copy.copy(out))
    return merged


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:  # drop per-run noise so diffs show only real changes
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # The landing page's chapter cards show how long this run took, and where.
    book = nb.metadata.setdefault("book", {})
    book["run_seconds"] = round(seconds, 1)
    book["run_cores"] = os.cpu_count()
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
    return seconds


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: execute_notebooks.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for p in paths:
        seconds = execute(Path(p))
        print(f"{seconds:7.1f} s  {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
