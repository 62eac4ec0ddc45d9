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
