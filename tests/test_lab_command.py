"""`python -m tools.lab` (what `make lab` runs) refuses bad input before starting Jupyter.

These need no JupyterLab; tests/test_lab.py starts the real server.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tools import lab


def test_command_serves_the_folder_on_localhost_and_the_port_only(tmp_path: Path) -> None:
    argv = lab.lab_command(tmp_path, port=8123, open_browser=False, python="py")
    assert argv[:3] == ["py", "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path}" in argv
    assert "--ServerApp.ip=localhost" in argv
    assert "--ServerApp.port=8123" in argv and "--ServerApp.port_retries=0" in argv
    assert "--ServerApp.open_browser=False" in argv
    assert "--ServerApp.open_browser=True" in lab.lab_command(tmp_path, port=1,
                                                              open_browser=True)


def test_a_folder_without_notebooks_is_refused(tmp_path: Path) -> None:
    with pytest.raises(lab.LabError, match="not a folder.*LAB_DIR="):
        lab.check_folder(tmp_path / "missing")
    with pytest.raises(lab.LabError, match=r"holds no notebooks \(\*\.ipynb\).*LAB_DIR="):
        lab.check_folder(tmp_path)
    (tmp_path / "a.ipynb").write_text("{}")
    assert lab.check_folder(tmp_path) == tmp_path.resolve()


def test_a_taken_or_impossible_port_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        with pytest.raises(lab.LabError, match=f"port {taken} is taken.*LAB_PORT={taken + 1}"):
            lab.check_port(taken)
    for port in (0, 70000):
        with pytest.raises(lab.LabError, match="not between 1 and 65535"):
            lab.check_port(port)


def test_main_reports_bad_input_without_starting(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(lab.os, "execv", lambda *a: pytest.fail(f"started {a}"))
    assert lab.main(["--port", "8123", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("make lab: error:") and "holds no notebooks" in err
    monkeypatch.setattr(lab.importlib.util, "find_spec", lambda name: None)
    (tmp_path / "a.ipynb").write_text("{}")  # a good folder, no JupyterLab
    assert lab.main(["--port", "8123", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "JupyterLab is not installed" in err and "make lab" in err
