"""tools.seed_spread: the benchmark that reruns a chapter under several seeds."""

import json
import math

import nbformat
import pytest

from tools import seed_spread


def cells(*sources):
    return [nbformat.v4.new_code_cell(s) for s in sources]


def test_truncate_stops_at_the_first_code_cell_that_matches():
    nb = [nbformat.v4.new_markdown_cell("assert here too")] + cells("a = 1", "assert a", "b = 2")
    assert [c.source for c in seed_spread.truncate(nb, "assert")] == ["assert here too", "a = 1",
                                                                      "assert a"]
    assert len(seed_spread.truncate(nb, None)) == 4
    with pytest.raises(SystemExit, match="no code cell contains"):
        seed_spread.truncate(nb, "nowhere")


def test_probe_round_trips_through_a_printed_line():
    src = seed_spread.probe_source(["acc", "1 - acc"])
    scope = {"acc": 0.25}
    lines = []
    exec(src, scope | {"print": lambda *a: lines.append(" ".join(map(str, a)))})
    outputs = [{"output_type": "stream", "name": "stdout", "text": "noise\n" + lines[0] + "\n"}]
    assert seed_spread.read_probe(outputs) == {"acc": 0.25, "1 - acc": 0.75}
    assert seed_spread.read_probe([{"output_type": "error", "ename": "NameError"}]) is None


def test_first_error_names_the_cell():
    nb = cells("ok", "bad")
    nb[1].outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="",
                                            traceback=[])]
    assert seed_spread.first_error(nb) == "cell 1: AssertionError"
    assert seed_spread.first_error(cells("ok")) is None


def test_summary_uses_the_sample_standard_deviation_and_skips_failed_runs():
    runs = [{"values": {"x": 1.0}}, {"values": {"x": 3.0}}, {"values": None}]
    s = seed_spread.summarise(runs, ["x", "y"])
    assert s == {"x": {"n": 2, "mean": 2.0, "std": math.sqrt(2.0), "min": 1.0, "max": 3.0}}


def test_a_failing_seed_is_reported_and_fails_the_run(tmp_path, monkeypatch):
    def fake_run(path, seed, until, values):
        err = "cell 3: AssertionError" if seed == 2 else None
        return {"seed": seed, "seconds": 1.0, "error": err, "values": {"v": seed / 10}}

    monkeypatch.setattr(seed_spread, "run_once", fake_run)
    nb = tmp_path / "n.ipynb"
    nb.write_text("{}")
    report = tmp_path / "out" / "r.json"
    assert seed_spread.main([str(nb), "--seeds", "1", "2", "--value", "v",
                             "--report", str(report)]) == 1
    data = json.loads(report.read_text())
    assert [r["error"] for r in data["runs"]] == [None, "cell 3: AssertionError"]
    assert data["summary"]["v"]["mean"] == pytest.approx(0.15)
    assert seed_spread.main([str(nb), "--seeds", "1", "--value", "v"]) == 0


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(SystemExit):
        seed_spread.main([str(tmp_path / "missing.ipynb"), "--seeds", "1", "--value", "v"])
    nb = tmp_path / "n.ipynb"
    nb.write_text("{}")
    with pytest.raises(SystemExit):
        seed_spread.main([str(nb), "--seeds", "1", "1", "--value", "v"])


def test_each_run_sees_its_own_seed_in_a_real_kernel(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells("import os\nseed = int(os.environ['CNNBOOK_SEED'])",
                     "assert seed != 4  # fails under one seed", "never = 1")
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    runs = [seed_spread.run_once(path, s, "assert seed", ["seed * 2"]) for s in (3, 4)]
    assert [r["values"] for r in runs] == [{"seed * 2": 6.0}, {"seed * 2": 8.0}]
    assert [r["error"] for r in runs] == [None, "cell 1: AssertionError"]
    assert nbformat.read(path, as_version=4).cells[-1].source == "never = 1"  # untouched
