"""Maintainer tooling shared by the Makefile, the notebook lint and CI.

- :func:`setup_cell_prefix` renders the Colab install lines every chapter starts with,
  from the one repository URL in ``_config.yml``.
- :func:`lint_notebook` holds a chapter to the house template (STYLE.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TITLE_RE = re.compile(r"^# (\d\d) · \S")
MACHINE_PATH_RE = re.compile(r"(/work/|/root/|/home/\w|/tmp/|/Users/|[A-Z]:\\\\|site-packages)")
NOISE_RE = re.compile(r"Traceback|WARNING|Warning|E0000|I0000|oneDNN|cuda", re.IGNORECASE)


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def setup_cell_prefix(config: dict | None = None) -> str:
    """The first lines of every chapter's first code cell (the Colab install)."""
    repo = (config or book_config())["repository"]
    url, branch = repo["url"].rstrip("/"), repo.get("branch", "main")
    return (
        "# Setup: on Colab, install the book's `helpers` package; elsewhere it is installed.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "cnn-course-book @ git+{url}@{branch}"\n'
    )


def toc_files() -> list[str]:
    """Every file listed in ``_toc.yml`` (without extension), in book order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            files.append(ch["file"])
            files.extend(s["file"] for s in ch.get("sections", []))
    return files


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def lint_notebook(path: Path) -> list[str]:
    """Return every way the notebook departs from the chapter template (empty = clean)."""
    problems: list[str] = []
    nb = json.loads(Path(path).read_text())
    cells = nb.get("cells", [])
    if not cells or cells[0]["cell_type"] != "markdown":
        return ["the first cell must be a markdown title cell"]
    first = _text(cells[0])
    if not TITLE_RE.match(first):
        problems.append("title must read '# NN · Title'")
    if len(first.strip().splitlines()) < 3:
        problems.append("the title cell must say what the reader will be able to do")
    code = [c for c in cells if c["cell_type"] == "code" and _text(c).strip()]
    if not code:
        return problems + ["no code cells"]
    setup = _text(code[0])
    if not setup.startswith(setup_cell_prefix()):
        problems.append("the first code cell is not the Colab setup cell (make lint-setup-cells)")
    if "helpers.setup(" not in setup:
        problems.append("the setup cell must call helpers.setup()")
    headings = [line for c in cells if c["cell_type"] == "markdown" for line in _text(c).splitlines()]
    for needed in ("## Summary", "## Exercises"):
        if not any(h.strip() == needed for h in headings):
            problems.append(f"missing a '{needed}' section")
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append("not executed top to bottom in one run (execution counts must be 1..n)")
    for i, c in enumerate(code, 1):
        for out in c.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"code cell {i} stores an error ({out.get('ename')})")
            text = out.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            if out.get("name") == "stderr" and NOISE_RE.search(text):
                problems.append(f"code cell {i} stores stderr noise: {text[:80]!r}")
            blobs = [text] + [
                "".join(v) if isinstance(v, list) else str(v)
                for k, v in out.get("data", {}).items()
                if k.startswith("text/")
            ]
            if any(MACHINE_PATH_RE.search(b) for b in blobs):
                problems.append(f"code cell {i} output shows a machine-specific path")
    rel = Path(path).resolve().relative_to(ROOT).with_suffix("").as_posix()
    if rel not in toc_files():
        problems.append(f"{rel} is not listed in _toc.yml")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != "python3":
        problems.append("kernelspec must be python3")
    return problems
