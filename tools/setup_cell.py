"""Check or rewrite every chapter's Colab setup lines from ``_config.yml``.

``python tools/setup_cell.py --write chapters/*.ipynb`` replaces the lines above
``import helpers`` in each notebook's first code cell with the canonical ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from tools.book import notebook_extras, setup_cell_prefix


def rewrite(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    marker = "import helpers"
    if marker not in cell.source:
        raise SystemExit(f"{path}: the first code cell has no '{marker}' line")
    body = cell.source[cell.source.index(marker):]
    new = setup_cell_prefix(extras=notebook_extras(nb)) + "\n" + body
    if new == cell.source:
        return False
    cell.source = new
    nbformat.write(nb, path)
    return True


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] != ["--write"] or len(args) < 2:
        raise SystemExit("usage: python tools/setup_cell.py --write NOTEBOOK.ipynb ...")
    for p in args[1:]:
        print(("rewrote " if rewrite(Path(p)) else "unchanged ") + p)
