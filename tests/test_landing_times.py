"""tools.landing --times-from-tests: card times from the last nbval run."""

from __future__ import annotations

import json

import nbformat
import pytest

from tools.landing import CardError, record_test_times


def _notebook(path, seconds):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 · T")])
    nb.metadata["book"] = {"blurb": "b", "prerequisites": [], "run_seconds": seconds,
                           "run_cores": 8}
    nbformat.write(nb, path)


def test_times_of_passed_notebooks_replace_the_stored_ones(tmp_path):
    (tmp_path / "chapters").mkdir()
    _notebook(tmp_path / "chapters" / "01_a.ipynb", 300.0)
    _notebook(tmp_path / "chapters" / "02_b.ipynb", 50.0)
    before = (tmp_path / "chapters" / "02_b.ipynb").read_text()
    source = tmp_path / "times"
    source.write_text(json.dumps({"cores": 2, "seconds": {
        "chapters/01_a.ipynb": 71.25, "chapters/gone.ipynb": 3.0}}))
    assert record_test_times(source, root=tmp_path) == ["chapters/01_a.ipynb"]
    book = nbformat.read(tmp_path / "chapters" / "01_a.ipynb", 4).metadata["book"]
    assert (book["run_seconds"], book["run_cores"], book["blurb"]) == (71.25, 2, "b")
    assert (tmp_path / "chapters" / "02_b.ipynb").read_text() == before
    assert not list(tmp_path.rglob("*.tmp"))


def test_without_a_test_run_the_error_says_what_to_do(tmp_path):
    with pytest.raises(CardError, match="make test"):
        record_test_times(tmp_path / "nothing", root=tmp_path)
