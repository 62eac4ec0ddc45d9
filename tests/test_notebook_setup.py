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


# ------------------------------------------------ the device and CPU-only claims


class _FakeGPU:
    """Stands for a tf.config.PhysicalDevice of type GPU."""

    device_type = "GPU"

    def __init__(self, index: int) -> None:
        self.name = f"/physical_device:GPU:{index}"


def _pretend_gpus(monkeypatch, names):
    """Make TensorFlow report one GPU per entry of `names` (None: no details)."""
    import tensorflow as tf

    gpus = [_FakeGPU(i) for i in range(len(names))]
    real = tf.config.list_physical_devices

    def list_physical_devices(kind=None):
        return list(gpus) if kind == "GPU" else real(kind)

    def get_device_details(gpu):
        name = names[gpus.index(gpu)]
        return {} if name is None else {"device_name": name,
                                        "compute_capability": (7, 5)}

    monkeypatch.setattr(tf.config, "list_physical_devices", list_physical_devices)
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        get_device_details)
    tf32 = []
    monkeypatch.setattr(tf.config.experimental, "enable_tensor_float_32_execution",
                        tf32.append)
    return tf32


def test_device_is_the_cpu_here():
    assert helpers.device() == "CPU"


@pytest.mark.parametrize("names, expected", [
    (["Tesla T4"], "GPU (Tesla T4)"),
    (["NVIDIA A100-SXM4-40GB"] * 2, "2 GPUs (NVIDIA A100-SXM4-40GB)"),
    (["Tesla T4", "NVIDIA L4"], "2 GPUs (Tesla T4, NVIDIA L4)"),
    ([None], "GPU"),
])
def test_device_names_the_gpus(monkeypatch, names, expected):
    _pretend_gpus(monkeypatch, names)
    assert helpers.device() == expected


def test_on_cpu_is_silent_and_true_on_a_cpu(capsys):
    assert helpers.on_cpu("the timings of section 3") is True
    assert capsys.readouterr().out == ""


def test_on_cpu_explains_the_skip_on_a_gpu(monkeypatch, capsys):
    _pretend_gpus(monkeypatch, ["Tesla T4"])
    ran = False
    if helpers.on_cpu("the separable layer's timings"):
        ran = True
    assert not ran
    out = capsys.readouterr().out
    assert out == ("Not checked on GPU (Tesla T4): what the text says about\n"
                   "the separable layer's timings describes a CPU.\n")
    assert all(len(line) <= 80 for line in out.splitlines())


@pytest.mark.parametrize("bad", ["", "  ", None, 3])
def test_on_cpu_needs_the_claim(bad):
    with pytest.raises(ValueError, match="takes the claim it guards"):
        helpers.on_cpu(bad)


def test_banner_on_a_cpu_is_unchanged(capsys):
    """The stored chapters print this line; it must stay byte-identical."""
    info = helpers.setup(42)
    run_line = capsys.readouterr().out.splitlines()[1]
    assert info.device == "CPU"
    assert run_line == f"CPU · seed 42 · budget ×{helpers.budget():g}"


def test_banner_names_the_gpu_and_setup_turns_tf32_off(monkeypatch, capsys):
    tf32 = _pretend_gpus(monkeypatch, ["Tesla T4"])
    monkeypatch.delenv("CNNBOOK_BUDGET", raising=False)
    info = helpers.setup(42)
    assert info.device == "GPU (Tesla T4)"
    assert capsys.readouterr().out.splitlines()[1] == \
        "GPU (Tesla T4) · seed 42 · budget ×1"
    assert tf32 == [False]


def test_setup_leaves_tf32_alone_on_a_cpu(monkeypatch, capsys):
    import tensorflow as tf

    calls = []
    monkeypatch.setattr(tf.config.experimental, "enable_tensor_float_32_execution",
                        calls.append)
    helpers.setup(42, verbose=False)
    assert calls == []


def test_quiet_hides_warnings_and_the_error_stream_then_restores_both(capfd):
    import os
    import warnings

    from helpers import quiet

    with quiet(), warnings.catch_warnings(record=True) as caught:
        os.write(2, b"chatter from C++\n")
        warnings.warn("a converter's warning")
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "chatter" not in err and "after" in err
    assert caught == []  # quiet() filtered it before it was recorded
