"""tools/execute_notebooks.merge_streams: one box per printout in the stored notebook."""

from nbformat.v4 import new_output

from tools.execute_notebooks import merge_streams


def test_consecutive_streams_of_one_kind_are_joined():
    outs = [new_output("stream", name="stdout", text="a\n"),
            new_output("stream", name="stdout", text=["b\n", "c\n"]),
            new_output("stream", name="stderr", text="warn\n"),
            new_output("stream", name="stdout", text="d\n"),
            new_output("display_data", data={"text/plain": "<Figure>"}),
            new_output("stream", name="stdout", text="e\n")]
    merged = merge_streams(outs)
    assert outs[0]["text"] == "a\n"  # the caller's outputs are left as they were
    assert [(o.get("name"), o.get("text")) for o in merged] == [
        ("stdout", "a\nb\nc\n"), ("stderr", "warn\n"), ("stdout", "d\n"),
        (None, None), ("stdout", "e\n")]


def test_nothing_to_merge_is_left_alone():
    outs = [new_output("stream", name="stdout", text="only\n")]
    assert merge_streams(outs) == outs
    assert merge_streams([]) == []


def test_parallel_notebook_runs_keep_each_notebook_on_one_worker():
    # nbval's items are a notebook's cells, run in order in one kernel: xdist must
    # hand out whole files (--dist loadfile), or cells land on different workers
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    runs = [line for line in makefile.splitlines() if "--nbval" in line and " -n " in line]
    assert len(runs) >= 3
    assert all("--dist loadfile" in line for line in runs), runs
