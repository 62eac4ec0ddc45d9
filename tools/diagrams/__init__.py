"""Conceptual diagrams for the book, written as hand-built SVG (no plotting).

Regenerate every registered diagram, from the repository root::

    python -m tools.diagrams          # rewrite img/<name>.svg, every name
    python -m tools.diagrams --check  # write nothing; exit 1 naming stale ones
    python -m tools.diagrams --png    # redraw img/png/*.png (diagram_png.py)

The package is laid out like the book, so a diagram sits next to its chapter:

- ``kit.py``: the :class:`~tools.diagrams.kit.Svg` writer, the palette, the
  readability limits, the ``@diagram`` registry and the shared block pieces;
- ``intro.py``: the landing page's ``cnn_overview``;
- ``part1_convolution.py`` … ``part5_segmentation_detection.py``: one module
  per part of the book; each module's docstring lists its chapters' diagrams.

Each diagram is one function decorated with ``@diagram("name")``; it returns
the SVG text of ``img/name.svg``. The output is deterministic byte for byte,
and every number drawn in a diagram is computed (with NumPy or plain
arithmetic), never typed in. To add a diagram, write a decorated function in
its part's module with the kit and run the command above;
``tests/test_diagrams.py`` checks every registered diagram automatically. A
new module must be imported below, or its diagrams are not registered.

Readability rules the tests enforce: the viewBox is at most 640 units wide
(the book column is ~350 CSS px on a phone) and no text is smaller than 15.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tools.atomic import write_atomic

from .kit import (  # noqa: F401  (re-exported: the tests and tools use them)
    CHANNEL_COLOURS, DIAGRAMS, MAX_WIDTH, MIN_FONT, OKABE_ITO, Svg, _rich,
    _text_width, diagram, fmt, number,
)

# Importing a module registers its diagrams (in the order of the book).
from . import intro, part1_convolution, part2_classic  # noqa: F401
from . import part3_efficient, part4_using  # noqa: F401
from . import part5_segmentation_detection  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
IMG_DIR = ROOT / "img"


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with ``--check`` only compare) every registered diagram.

    Reads this module's ``ROOT`` and ``IMG_DIR`` at call time, so a test can
    point them at a temporary directory.
    """
    parser = argparse.ArgumentParser(prog="python -m tools.diagrams",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if any img/*.svg is stale")
    parser.add_argument("--png", action="store_true",
                        help="redraw img/png/NAME.png (for the reader "
                             "notebooks) for every SVG it was not drawn from; "
                             "with --check, only name them")
    args = parser.parse_args(argv)
    if args.png:
        from tools import diagram_png

        return diagram_png.main(["--check"] if args.check else [])
    stale = []
    for name, build in DIAGRAMS.items():
        path = IMG_DIR / f"{name}.svg"
        text = build()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT).as_posix())
        else:
            write_atomic(path, text)  # creates img/ if needed
            print(f"wrote {path.relative_to(ROOT).as_posix()}")
    if stale:
        print("stale diagrams (run `python -m tools.diagrams`):", *stale,
              sep="\n  ")
        return 1
    return 0
