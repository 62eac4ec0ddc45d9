"""Every chapter notebook follows the house template (STYLE.md, 'A chapter notebook')."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.book import ROOT, lint_notebook, setup_cell_prefix, toc_files

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks under chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_follows_template(path: Path):
    assert lint_notebook(path) == []


def test_every_toc_entry_exists():
    for entry in toc_files():
        matches = [p for p in (ROOT / entry).parent.glob(Path(entry).name + ".*")]
        assert matches, f"_toc.yml lists {entry} but no such file exists"


def test_setup_prefix_comes_from_config():
    prefix = setup_cell_prefix({"repository": {"url": "https://example.org/r/", "branch": "dev"}})
    assert "git+https://example.org/r@dev" in prefix


def test_lint_catches_a_broken_notebook(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Untitled"),
        nbformat.v4.new_code_cell("print(1)", execution_count=2),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stderr", text="WARNING: x")]
    bad = ROOT / "chapters" / "zz_lint_probe.ipynb"
    try:
        nbformat.write(nb, bad)
        problems = " | ".join(lint_notebook(bad))
    finally:
        bad.unlink(missing_ok=True)
    for expected in ("title", "setup cell", "Summary", "Exercises", "execution counts",
                     "stderr noise", "_toc.yml"):
        assert expected in problems
