"""Open the book's notebooks in JupyterLab on the reader's own machine (``make lab``).

Usage: ``python -m tools.lab [--port N] [--no-browser] FOLDER``

Starts JupyterLab from this Python (the project's ``.venv``, where ``make lab`` installed
it) with FOLDER as its root, listening on ``localhost`` only. Without ``--no-browser`` it
opens the reader's browser on the lab; with it (a remote machine), it prints the URL
with its access token, to open through an SSH tunnel
(``ssh -L PORT:localhost:PORT host``). The token is JupyterLab's own: a new random one
each start, or ``$JUPYTER_TOKEN`` when set.

Every check that can fail before JupyterLab starts is made here, with a message that
says what to do: JupyterLab missing from this Python, a folder without notebooks, a
port out of range or already taken. Then this process *becomes* JupyterLab
(``os.execv``), so Ctrl-C and the exit status are JupyterLab's own.

``tests/test_lab.py`` starts the exact command line ``make lab`` runs and checks that
the server lists and opens a chapter, and that its kernel imports the book's helpers.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
from pathlib import Path

DEFAULT_PORT = 8888
INSTALL_HINT = (
    "run `make lab` from the repository (it installs JupyterLab into .venv), or\n"
    "  pip install -c constraints.txt -e '.[local]'   in the Python you use"
)


class LabError(Exception):
    """Something to fix before JupyterLab can start; the message says what."""


def lab_command(folder: Path, *, port: int, open_browser: bool,
                python: str = sys.executable) -> list[str]:
    """The JupyterLab command line: FOLDER as root, this port only, localhost only."""
    return [
        python, "-m", "jupyterlab",
        f"--ServerApp.root_dir={folder}",
        "--ServerApp.ip=localhost",
        f"--ServerApp.port={port}",
        # The port asked for or an error, never a silent move to another one.
        "--ServerApp.port_retries=0",
        f"--ServerApp.open_browser={open_browser}",
        # Jupyter refuses to start as root unless told; containers and CI often are root.
        # The server still listens on localhost only and asks for its token.
        *(["--ServerApp.allow_root=True"] if is_root() else []),
    ]


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def check_jupyterlab() -> None:
    if importlib.util.find_spec("jupyterlab") is None:
        raise LabError(f"JupyterLab is not installed in {sys.executable}:\n  {INSTALL_HINT}")


def check_folder(folder: Path) -> Path:
    """FOLDER, resolved, if it holds at least one notebook."""
    if not folder.is_dir():
        raise LabError(f"{folder} is not a folder: name the folder of notebooks to open "
                       "(make lab LAB_DIR=chapters)")
    if not any(folder.glob("*.ipynb")):
        raise LabError(f"{folder} holds no notebooks (*.ipynb): name the folder of "
                       "notebooks to open (make lab LAB_DIR=chapters)")
    return folder.resolve()


def check_port(port: int) -> int:
    """PORT, if it is a valid port that nothing on localhost listens on."""
    if not 1 <= port <= 65535:
        raise LabError(f"port {port} is not between 1 and 65535 (make lab LAB_PORT=8890)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            raise LabError(
                f"port {port} is taken ({e.strerror}): another Jupyter may be running "
                f"there. Open that one, or choose another port: make lab LAB_PORT={port + 1}"
            ) from None
    return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lab",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="folder of notebooks to open")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port on localhost (default {DEFAULT_PORT})")
    parser.add_argument("--no-browser", action="store_true",
                        help="print the URL instead of opening a browser (remote machines)")
    args = parser.parse_args(argv)
    try:
        folder = check_folder(args.folder)  # the reader's arguments first
        port = check_port(args.port)
        check_jupyterlab()
    except LabError as e:
        print(f"make lab: error: {e}", file=sys.stderr)
        return 2
    command = lab_command(folder, port=port, open_browser=not args.no_browser)
    how = ("open the URL with the token printed below"
           if args.no_browser else "your browser opens it")
    print(f"JupyterLab on {folder} at http://localhost:{port}/lab ({how}); "
          "Ctrl-C twice stops it.", flush=True)
    os.execv(command[0], command)
    return 0  # not reached: execv replaced this process


if __name__ == "__main__":
    sys.exit(main())
