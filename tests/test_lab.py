"""`make lab` starts JupyterLab, which serves a chapter and runs its kernel.

The server is started with the exact command line the Makefile's ``lab`` recipe runs
(read with ``make -n``; only the port, the no-browser switch and the Python differ), on
a free port, with a token and no browser, and with Jupyter's config and runtime folders
in a temporary directory so the tester's own settings play no part. Then, through
Jupyter's REST and websocket API, as JupyterLab's front end does:

- the server answers, but not without its token;
- the first notebook of the opened folder is listed and opens with all its cells;
- a kernel started for it runs ``import helpers; helpers.setup()`` in the notebook's
  folder and prints the setup banner, with the ``CNNBOOK_BUDGET`` and ``CNNBOOK_SEED``
  the server was started with;
- headless Chromium opens the notebook's lab URL and renders its cells.

Teardown shuts the server down through its API and then makes sure the server and every
process it started (kernels included) are gone, killing and failing otherwise.

Skipped only when JupyterLab is not installed in this Python (``make venv`` installs it
with the ``local`` extra, so ``make test`` runs this); without ``make`` or Chromium it
fails with what to install.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.book import ROOT

if importlib.util.find_spec("jupyterlab") is None:
    pytest.skip(f"JupyterLab is not installed in {sys.executable} "
                "(`make venv` installs it: extra `local`)", allow_module_level=True)

import psutil  # noqa: E402 - ipykernel's dependency, present wherever JupyterLab is
import websocket  # noqa: E402 - websocket-client, a dependency of jupyter_server

START_TIMEOUT = 60  # s for the server to answer (2-3 s on an idle machine)
CELL_TIMEOUT = 90  # s for the kernel to start and run the setup cell (~8 s idle)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_lab_command(port: int) -> list[str]:
    """The command `make lab NO_BROWSER=1 LAB_PORT=port` runs, for this Python."""
    if shutil.which("make") is None:
        pytest.fail("`make` is needed to read the lab recipe: install make")
    venv = Path(sys.prefix)
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "lab", f"LAB_PORT={port}", "NO_BROWSER=1",
         f"VENV={venv}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    lines = [line for line in dry.splitlines() if " -m tools.lab " in line]
    assert len(lines) == 1, f"`make -n lab` runs tools.lab {len(lines)} times:\n{dry}"
    argv = shlex.split(lines[0])
    assert argv[0] == str(venv / "bin" / "python"), argv
    assert "--no-browser" in argv and argv[argv.index("--port") + 1] == str(port), argv
    return argv


@dataclass
class Lab:
    url: str
    token: str
    folder: Path
    process: subprocess.Popen
    log: Path

    def request(self, method: str, path: str, body: dict | None = None,
                token: bool = True) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        if token:
            req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
                return r.status, json.loads(text) if text else {}
        except urllib.error.HTTPError as e:
            return e.code, {}

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_until_serving(lab: Lab) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            pytest.fail(f"`make lab` exited with {lab.process.returncode}:\n{lab.log_tail()}")
        try:
            if lab.request("GET", "/api/status")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT} s:\n{lab.log_tail()}")


def _stop(lab: Lab) -> list[str]:
    """Shut the server down and return what was still running and had to be killed."""
    try:
        family = [lab.process, *psutil.Process(lab.process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    if lab.process.poll() is None:
        try:
            lab.request("POST", "/api/shutdown")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:
            lab.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    _, alive = psutil.wait_procs(family, timeout=10)
    leftovers = []
    for proc in alive:
        try:
            leftovers.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    if lab.process.poll() is None:
        lab.process.kill()
    lab.process.wait(timeout=10)
    return leftovers


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("jupyter")
    port = _free_port()
    argv = make_lab_command(port)
    token = secrets.token_hex(16)
    # The landing page's `CNNBOOK_BUDGET=4 make lab`: the variables reach the kernels.
    env = dict(os.environ, JUPYTER_TOKEN=token, CNNBOOK_BUDGET="4", CNNBOOK_SEED="7")
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")]:
        env[var] = str(home / sub)
    log = home / "lab.log"
    # The Makefile's command, serving a copy of its folder: opening a notebook in
    # JupyterLab writes checkpoints (and may save it), which must not touch the checkout.
    served = home / "served"
    shutil.copytree(ROOT / argv[-1], served,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    argv = [*argv[:-1], str(served)]
    with log.open("w") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, served, process, log)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        leftovers = _stop(server)
    assert not leftovers, f"processes left running after shutdown (killed): {leftovers}"


def _first_notebook(lab: Lab) -> str:
    notebooks = sorted(p.name for p in lab.folder.glob("*.ipynb"))
    assert notebooks, f"{lab.folder} holds no notebooks"
    return notebooks[0]


def test_lab_needs_its_token(lab: Lab) -> None:
    assert lab.request("GET", "/api/contents/", token=False)[0] == 403
    assert lab.request("GET", "/api/contents/")[0] == 200


def test_lab_lists_and_opens_a_chapter(lab: Lab) -> None:
    name = _first_notebook(lab)
    status, listing = lab.request("GET", "/api/contents/")
    assert status == 200
    assert name in {item["name"] for item in listing["content"]}
    status, model = lab.request("GET", f"/api/contents/{name}?content=1")
    assert status == 200 and model["type"] == "notebook", model.get("type")
    stored = json.loads((lab.folder / name).read_text())
    assert len(model["content"]["cells"]) == len(stored["cells"])
    assert model["content"]["cells"][0]["source"] == "".join(stored["cells"][0]["source"])


def _execute(lab: Lab, kernel_id: str, code: str) -> tuple[dict, str]:
    """Run CODE in the kernel over the websocket; (execute_reply content, stdout)."""
    ws = websocket.create_connection(
        f"{lab.url.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels",
        header=[f"Authorization: token {lab.token}"], timeout=CELL_TIMEOUT)
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "channel": "shell",
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {},
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))
        reply, stdout, idle = None, [], False
        deadline = time.monotonic() + CELL_TIMEOUT
        while (reply is None or not idle) and time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream" and msg["content"]["name"] == "stdout":
                stdout.append(msg["content"]["text"])
            elif kind == "error":
                stdout.append("\n".join(msg["content"]["traceback"]))
            elif kind == "execute_reply":
                reply = msg["content"]
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        assert reply is not None, f"no reply within {CELL_TIMEOUT} s:\n{''.join(stdout)}"
        return reply, "".join(stdout)
    finally:
        ws.close()


def test_lab_kernel_runs_the_setup_in_the_notebook_folder(lab: Lab) -> None:
    name = _first_notebook(lab)
    status, session = lab.request("POST", "/api/sessions", {
        "path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}})
    assert status == 201, status
    kernel_id = session["kernel"]["id"]
    code = ("import os, sys\nimport helpers\nhelpers.setup()\n"
            "print('cwd', os.getcwd())\nprint('python', sys.executable)")
    reply, out = _execute(lab, kernel_id, code)
    assert reply["status"] == "ok", out
    assert f"cwd {lab.folder}" in out.splitlines(), out
    assert f"python {sys.executable}" in out.splitlines(), out
    assert "TensorFlow" in out and "seed 7 · budget ×4" in out, out  # the setup banner
    assert lab.request("DELETE", f"/api/sessions/{session['id']}")[0] == 204


def test_lab_renders_the_chapter_in_chromium(lab: Lab, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tools.check_pages import CHROMIUM_FLAGS, ChromiumNotFound, find_chromium

    try:
        executable = find_chromium()
    except ChromiumNotFound as err:
        pytest.fail(f"cannot open JupyterLab in a browser: {err}")
    name = _first_notebook(lab)
    stored = json.loads((lab.folder / name).read_text())
    title = "".join(stored["cells"][0]["source"]).splitlines()[0].lstrip("# ").replace("`", "")
    errors: list[str] = []
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=executable, headless=True,
            args=list(CHROMIUM_FLAGS), viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{lab.url}/lab/tree/{name}?token={lab.token}", timeout=60_000)
            heading = page.locator(".jp-NotebookPanel .jp-RenderedMarkdown h1").first
            heading.wait_for(timeout=60_000)
            assert heading.inner_text().rstrip("¶ \n") == title
            # JupyterLab attaches the cells one after another: wait for more than
            # the title cell rather than counting the moment the heading shows
            page.wait_for_function(
                "document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length > 1",
                timeout=60_000)
        finally:
            context.close()
    assert not errors, errors
