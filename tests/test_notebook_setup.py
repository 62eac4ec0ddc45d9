"""helpers.notebook: budget scaling and setup."""

import pytest

import helpers


def test_budget_default_and_scaling(monkeypatch):
    monkeypatch.delenv("CNNBOOK_BUDGET", raising=False)
    assert helpers.budget() == 1.0
    assert helpers.scaled(3) == 3
    monkeypatch.setenv("CNNBOOK_BUDGET", "4")
    assert helpers.scaled(3) == 12
    monkeypatch.setenv("CNNBOOK_BUDGET", "0.1")
    assert helpers.scaled(3) == 1  # never below the minimum


@pytest.mark.parametrize("bad", ["fast", "0", "-2"])
def test_budget_rejects_bad_values(monkeypatch, bad):
    monkeypatch.setenv("CNNBOOK_BUDGET", bad)
    with pytest.raises(ValueError, match="CNNBOOK_BUDGET"):
        helpers.budget()


def test_scaled_type_checks():
    with pytest.raises(TypeError):
        helpers.scaled(2.5)
    with pytest.raises(ValueError):
        helpers.scaled(-1)


def test_setup_is_deterministic(capsys):
    import numpy as np
    import tensorflow as tf

    info = helpers.setup(7)
    a = (np.random.rand(), float(tf.random.uniform(())))
    helpers.setup(7)
    b = (np.random.rand(), float(tf.random.uniform(())))
    assert a == b
    assert "seed 7" in str(info) and "TensorFlow" in capsys.readouterr().out
    with pytest.raises(ValueError):
        helpers.setup(-1)


def test_seed_comes_from_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("CNNBOOK_SEED", "7")
    info = helpers.setup()
    assert info.seed == 7 and "seed 7" in capsys.readouterr().out
    a = helpers.rng(1).random(3)
    monkeypatch.setenv("CNNBOOK_SEED", "8")
    helpers.setup(verbose=False)
    b = helpers.rng(1).random(3)
    assert not (a == b).all(), "another seed must give other numbers"
    helpers.setup(7, verbose=False)
    assert (helpers.rng(1).random(3) == a).all(), "the same seed repeats"
    assert (helpers.rng(2).random(3) != a).all(), "streams are independent"
    assert helpers.derived_seed(3) == helpers.derived_seed(3)


@pytest.mark.parametrize("bad", ["x", "-1", "1.5", "4 2"])
def test_seed_env_rejects_bad_values(monkeypatch, bad):
    monkeypatch.setenv("CNNBOOK_SEED", bad)
    with pytest.raises(ValueError, match="CNNBOOK_SEED"):
        helpers.setup(verbose=False)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_rng_stream_checked(bad):
    with pytest.raises(ValueError, match="stream"):
        helpers.rng(bad)


def test_banner_fits_the_code_column(capsys):
    helpers.setup(verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines), lines


def test_show_source_renders_markdown_and_refuses_long_lines():
    from helpers import geometry, notebook

    listing = helpers.show_source(notebook.rng)
    assert listing._repr_markdown_().startswith("```python\ndef rng(")
    assert repr(listing).startswith("def rng(")
    with pytest.raises(TypeError, match="function, class or module"):
        helpers.show_source(3)

    def wide():
        return "................................................................................"

    with pytest.raises(ValueError, match="over 80 characters"):
        helpers.show_source(wide)
    assert geometry  # imported to show modules are accepted types as well


def test_tensorflow_import_is_silent_on_fd2(tmp_path):
    """C++ start-up chatter written to file descriptor 2 never reaches the reader."""
    import subprocess
    import sys

    code = (
        "import os\n"
        "from helpers.notebook import _stderr_silenced\n"
        "with _stderr_silenced():\n"
        "    os.write(2, b'noise from C++\\n')\n"
        "os.write(2, b'after\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env={"PYTHONPATH": str(helpers.__path__[0] + "/..")})
    assert done.returncode == 0, done.stderr
    assert done.stderr == "after\n"
