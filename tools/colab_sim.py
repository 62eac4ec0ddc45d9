"""``make test-colab``: every chapter run as a reader runs it on Colab, one notebook alone.

What Colab gives a reader, and how this module reproduces it:

- **Colab's Python and packages.** A venv on Python 3.12 holding the packages listed in
  ``tools/colab_preinstalled.txt`` at the versions of ``constraints-oldest.txt`` (the
  Makefile builds it; :func:`prepare_venv` records that set as the *baseline*).
- **A kernel where ``google.colab`` is imported**, so the setup cell's guarded install
  line really runs: a ``.pth`` file in that venv (and only there) registers a bare
  stand-in module under that name at interpreter start-up (:data:`STUB_SOURCE`).
- **The book installed by the setup cell itself**, from a ``git+file://`` URL of a bare
  clone of the current commit whose branch ``main`` is that commit; only the ``REPO =``
  line of the copied notebook is rewritten (:func:`rewrite_repo`).
- **A fresh runtime per notebook**: each chapter is copied alone into an empty
  temporary folder (the kernel's working directory; no checkout around it, no
  ``PYTHONPATH``), with an empty asset cache of its own, and after it everything the
  install added is uninstalled again, so the next chapter's setup cell installs the book
  and its small dependencies from scratch, as on Colab.
- **Nothing of Colab's set may change.** Before any notebook runs, pip's plan for the
  install (``--dry-run --report``) and then the real install are compared with the
  baseline; a changed or removed package stops the run with both versions named
  (:func:`plan_changes`, :func:`compare_sets`).

Each notebook runs under nbval with the book's sanitizer (``tests/nbval_sanitize.cfg``)
and its stderr-ignoring plugin (``tests/nbtiming.py``); oneDNN stays at TensorFlow's
default. pip runs without this machine's configuration files (``PIP_CONFIG_FILE`` is the
null device), as on Colab. The run prints each notebook's time and a summary, and exits
non-zero if any notebook failed, after running all of them.

The module uses the standard library only: the Makefile runs it with the Colab venv's
Python, and ``tests/test_colab_sim.py`` tests its pure parts.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The Python minor version Colab runs.
COLAB_PYTHON = (3, 12)
PACKAGE = "cnn-course-book"
SANITIZER = ROOT / "tests" / "nbval_sanitize.cfg"
NB_PLUGIN = ROOT / "tests" / "nbtiming.py"
BASELINE_NAME = "colab-baseline.json"
STUB_MODULE = "_cnnbook_colab_stub"
STUB_SOURCE = '''\
"""Written by the book's Colab simulation (tools/colab_sim.py) into .venv-colab only.

A Colab kernel starts with ``google.colab`` imported; the book's setup cell checks
``"google.colab" in sys.modules`` before installing the book. This registers an empty
stand-in under that name so the check is true in every Python of this venv. It offers
none of Colab's features (``import google.colab`` finds it, its attributes do not exist).
"""
import sys
import types

if "google.colab" not in sys.modules:
    _stub = types.ModuleType("google.colab", "Stand-in for Colab's module (simulation).")
    sys.modules["google.colab"] = _stub
'''
PTH_NAME = "cnnbook_colab_stub.pth"
REPO_LINE_RE = re.compile(r'^REPO = "[^"\n]*"$', re.MULTILINE)
PIP_LINE_RE = re.compile(r"^\s*!pip install (?P<args>.+)$", re.MULTILINE)
#: Environment variables of the book or of this machine that a Colab reader does not have.
STRIPPED_ENV_PREFIXES = ("CNNBOOK_", "PYTHONPATH", "PIP_CONFIG_FILE", "TF_ENABLE_ONEDNN_OPTS",
                         "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONHOME")


class SimulationError(Exception):
    """Something the maintainer must fix before the simulation can run; says what."""


# --------------------------------------------------------------------------- pure parts

def normalize(name: str) -> str:
    """A distribution name in PEP 503 form (``PyYAML`` and ``pyyaml`` are one package)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pip_list(text: str) -> dict[str, str]:
    """``pip list --format=json`` output as {normalized name: version}."""
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SimulationError(f"could not read pip's package list ({exc}): {text[:200]!r}")
    return {normalize(r["name"]): r["version"] for r in rows}


@dataclass
class SetChange:
    """How one set of installed packages differs from the baseline."""

    added: dict[str, str] = field(default_factory=dict)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (old, new)
    removed: dict[str, str] = field(default_factory=dict)

    @property
    def only_additions(self) -> bool:
        return not self.changed and not self.removed

    def problems(self) -> list[str]:
        out = [f"{n} would change from {a} to {b}" for n, (a, b) in sorted(self.changed.items())]
        out += [f"{n} {v} would be removed" for n, v in sorted(self.removed.items())]
        return out


def compare_sets(baseline: dict[str, str], current: dict[str, str]) -> SetChange:
    """What changed from ``baseline`` to ``current`` (both {name: version})."""
    base = {normalize(k): v for k, v in baseline.items()}
    cur = {normalize(k): v for k, v in current.items()}
    return SetChange(
        added={n: v for n, v in sorted(cur.items()) if n not in base},
        changed={n: (base[n], cur[n]) for n in sorted(base) if n in cur and cur[n] != base[n]},
        removed={n: v for n, v in sorted(base.items()) if n not in cur},
    )


def plan_changes(report: dict, installed: dict[str, str]) -> SetChange:
    """What pip's ``--dry-run --report`` plan would do to the ``installed`` packages.

    Every entry of the report's ``install`` list is either new (an addition) or
    replaces an installed distribution of the same name (a change, even at the same
    version: pip would reinstall it).
    """
    if "install" not in report:
        raise SimulationError("pip's --report has no 'install' list (pip older than 22.2?)")
    inst = {normalize(k): v for k, v in installed.items()}
    change = SetChange()
    for item in report["install"]:
        meta = item.get("metadata", {})
        name, version = normalize(meta.get("name", "?")), meta.get("version", "?")
        if name in inst:
            change.changed[name] = (inst[name], version)
        else:
            change.added[name] = version
    return change


def refusal(change: SetChange, what: str) -> str:
    """The message that stops the run when ``what`` (an install) changes Colab's set."""
    lines = [f"{what} would change packages that Colab pre-installs "
             "(a reader's runtime would then need a restart or break):"]
    lines += [f"  - {p}" for p in change.problems()]
    lines.append("Loosen the book's requirement in pyproject.toml so the version Colab "
                 "has is accepted (Colab's set: tools/colab_preinstalled.txt at the "
                 "versions of constraints-oldest.txt).")
    return "\n".join(lines)


def setup_cell(nb: dict) -> tuple[int, str]:
    """Index and source of the notebook's first code cell (the setup cell)."""
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            return i, "".join(src) if isinstance(src, list) else src
    raise SimulationError("the notebook has no code cell, so no setup cell")


def rewrite_repo(nb: dict, url: str, name: str = "notebook") -> dict:
    """A copy of ``nb`` whose setup cell's ``REPO = "…"`` line names ``url``; nothing else.

    The setup cell must hold exactly one ``REPO = "…"`` line and a ``!pip install`` line
    that uses ``{REPO}``, else the notebook is not installable the way Colab installs it.
    """
    if '"' in url or "\n" in url:
        raise SimulationError(f"repository URL {url!r} cannot go between double quotes")
    nb = json.loads(json.dumps(nb))
    index, src = setup_cell(nb)
    found = REPO_LINE_RE.findall(src)
    if len(found) != 1:
        raise SimulationError(
            f"{name}: the setup cell (first code cell) must have exactly one line "
            f'REPO = "…", found {len(found)}; run `make lint-setup-cells`')
    pip = PIP_LINE_RE.search(src)
    if not pip or "{REPO}" not in pip.group("args"):
        raise SimulationError(
            f"{name}: the setup cell has no `!pip install … git+{{REPO}}…` line; "
            "run `make lint-setup-cells`")
    new = REPO_LINE_RE.sub(lambda _: f'REPO = "{url}"', src)
    nb["cells"][index]["source"] = new
    return nb


def install_args(nb: dict, url: str, name: str = "notebook") -> list[str]:
    """The arguments of the setup cell's ``!pip install`` with ``{REPO}`` filled in."""
    _, src = setup_cell(nb)
    pip = PIP_LINE_RE.search(src)
    if not pip:
        raise SimulationError(f"{name}: the setup cell has no `!pip install` line")
    return shlex.split(pip.group("args").replace("{REPO}", url))


def distinct_installs(paths: list[Path], url: str) -> list[list[str]]:
    """Every different ``!pip install`` of the notebooks' setup cells, in order.

    Most chapters install the bare book; a chapter that needs an extra (chapter
    17's ``[deploy]``) installs more, and each distinct install is checked against
    Colab's set before any notebook runs.
    """
    seen: list[list[str]] = []
    for path in paths:
        args = install_args(json.loads(path.read_text()), url, path.name)
        if args not in seen:
            seen.append(args)
    return seen


def colab_env(base: dict[str, str], venv: Path, cache: Path | None) -> dict[str, str]:
    """The environment a simulated Colab process gets: none of the book's or this
    machine's overrides, the venv first on PATH, pip without local config files."""
    env = {k: v for k, v in base.items() if not k.startswith(STRIPPED_ENV_PREFIXES)}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{base.get('PATH', '')}"
    env["PIP_CONFIG_FILE"] = os.devnull
    if cache is not None:
        env["CNNBOOK_CACHE"] = str(cache)
    return env


def find_python(requested: str | None, run=subprocess.run, pyenv_root: str | None = None
                ) -> str:
    """A Python 3.12 interpreter: ``requested`` if given (it must be 3.12), else
    ``python3.12`` on PATH, else one under pyenv's versions. Raises with what to do."""
    want = ".".join(map(str, COLAB_PYTHON))
    probe = "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"

    def version_of(cmd: str) -> tuple[str | None, str]:
        try:
            r = run([cmd, "-c", probe], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, str(exc)
        if r.returncode != 0:
            said = (r.stderr or r.stdout).strip().splitlines()
            return None, said[0] if said else f"exit {r.returncode}"
        lines = r.stdout.split()
        return (lines[0], lines[1]) if len(lines) >= 2 else (None, r.stdout.strip())

    how = (f"Colab runs Python {want}; install one (pyenv install {want}, "
           f"apt-get install python{want}, or uv python install {want}) and pass "
           f"PYTHON_COLAB=/path/to/python{want}")
    if requested:
        version, info = version_of(requested)
        if version is None:
            raise SimulationError(f"PYTHON_COLAB={requested} does not run ({info}). {how}")
        if version != want:
            raise SimulationError(
                f"PYTHON_COLAB={requested} is Python {version}, not {want}. {how}")
        return info
    tried = []
    candidates = [f"python{want}"]
    root = pyenv_root if pyenv_root is not None else os.environ.get(
        "PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(root, "versions", f"{want}.*", "bin", "python")),
                         reverse=True)
    for cmd in candidates:
        version, info = version_of(cmd)
        if version == want:
            return info
        tried.append(f"{cmd}: {info if version is None else 'Python ' + version}")
    raise SimulationError(f"no Python {want} found (tried {'; '.join(tried)}). {how}")


@dataclass
class NotebookResult:
    name: str
    seconds: float
    passed: bool
    setup_seconds: float | None = None
    failures: list[str] = field(default_factory=list)


def read_junit(path: Path) -> tuple[float | None, list[str]]:
    """From a pytest JUnit XML file: the first cell's time, and the failed cells with the
    first line of each failure."""
    if not path.exists():
        return None, ["pytest wrote no report (did the kernel start?)"]
    root = ET.parse(path).getroot()
    setup_seconds, failures = None, []
    for case in root.iter("testcase"):
        if setup_seconds is None:
            setup_seconds = float(case.get("time", "nan"))
        for bad in list(case.findall("failure")) + list(case.findall("error")):
            text = bad.text or bad.get("message") or ""
            failures.append(f"{case.get('name')}: {failure_gist(text)}")
    return setup_seconds, failures


ANSI_RE = re.compile(r"(\x1b|#x1B)\[[0-9;]*m")
EXCEPTION_RE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*")


def failure_gist(text: str) -> str:
    """One line that says why an nbval cell failed: the exception raised, or which
    output differed and the first differing line."""
    clean = ANSI_RE.sub("", text)
    tail = clean.split("Traceback:", 1)[1] if "Traceback:" in clean else clean
    lines = [ln.strip() for ln in tail.splitlines() if ln.strip()]
    if not lines:
        return "(no message)"
    if lines[0].startswith("mismatch"):
        diff = next((ln for ln in lines[1:] if ln[:2] in ("- ", "+ ")), "")
        return f"{lines[0]}: {diff}"[:200] if diff else lines[0][:200]
    errors = [ln for ln in lines if EXCEPTION_RE.match(ln)]
    return (errors[-1] if errors else lines[0])[:200]


def summary(results: list[NotebookResult], install_seconds: float | None, total: float) -> str:
    """The table printed at the end of a run."""
    lines = ["", "== make test-colab summary"]
    if install_seconds is not None:
        lines.append(f"book install before the run (fresh, timed): {install_seconds:6.1f} s")
    lines.append(f"{'notebook':44} {'result':6} {'wall s':>7} {'setup cell s':>12}")
    for r in results:
        setup = f"{r.setup_seconds:12.1f}" if r.setup_seconds is not None else f"{'-':>12}"
        lines.append(f"{r.name:44} {'ok' if r.passed else 'FAIL':6} {r.seconds:7.1f} {setup}")
    nb_total = sum(r.seconds for r in results)
    lines.append(f"{'all notebooks':44} {'':6} {nb_total:7.1f}")
    lines.append(f"make test-colab total: {total:.1f} s")
    failed = [r for r in results if not r.passed]
    if failed:
        lines.append(f"FAILED {len(failed)} of {len(results)}:")
        for r in failed:
            lines.append(f"  {r.name}")
            lines += [f"      {f}" for f in r.failures] or ["      (see the log above)"]
    else:
        lines.append(f"all {len(results)} notebooks passed")
    return "\n".join(lines)


def notebook_paths(args: list[str]) -> list[Path]:
    """Notebooks named on the command line; a folder stands for its ``*.ipynb``."""
    out: list[Path] = []
    for a in args:
        p = Path(a)
        if p.is_dir():
            found = sorted(p.glob("*.ipynb"))
            if not found:
                raise SimulationError(f"{a}: no notebooks (*.ipynb) in this folder")
            out += found
        elif p.suffix == ".ipynb" and p.is_file():
            out.append(p)
        else:
            raise SimulationError(f"{a}: neither a notebook nor a folder of notebooks")
    if not out:
        raise SimulationError("no notebooks given (COLAB_NOTEBOOKS is empty)")
    return out


# --------------------------------------------------------------------------- the venv

def venv_python(venv: Path) -> Path:
    py = venv.absolute() / "bin" / "python"
    if not py.exists():
        raise SimulationError(f"{venv} has no bin/python; run `make venv-colab` (it builds it)")
    return py


def site_packages(py: Path) -> Path:
    probe = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    out = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def pip(py: Path, *args: str, env: dict[str, str], check: bool = True, quiet: bool = True,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    # -P: the caller's working directory (the checkout) must not be on pip's sys.path
    cmd = [str(py), "-P", "-m", "pip", *args]
    r = subprocess.run(cmd, env=env, capture_output=quiet, text=True, cwd=cwd)
    if check and r.returncode != 0:
        detail = (r.stderr or r.stdout or "").strip() if quiet else ""
        raise SimulationError(f"`{' '.join(cmd)}` failed (exit {r.returncode})\n{detail}")
    return r


def installed(py: Path, env: dict[str, str]) -> dict[str, str]:
    return parse_pip_list(pip(py, "list", "--format=json", "--disable-pip-version-check",
                              env=env).stdout)


def write_stub(py: Path) -> None:
    """The google.colab stand-in and the .pth line that loads it (idempotent)."""
    # imported here: the `_pytest` entry point runs this file as a script, with no
    # checkout on sys.path
    from tools.atomic import write_atomic

    sp = site_packages(py)
    write_atomic(sp / f"{STUB_MODULE}.py", STUB_SOURCE)
    write_atomic(sp / PTH_NAME, f"import {STUB_MODULE}\n")




def prepare_venv(venv: Path) -> None:
    """After the Makefile installed Colab's set: check the Python, write the stub,
    record the baseline (every installed distribution and version)."""
    py = venv_python(venv)
    check_python(py)
    env = colab_env(dict(os.environ), venv, None)
    write_stub(py)
    base = installed(py, env)
    if normalize(PACKAGE) in base:
        raise SimulationError(f"{venv} already holds {PACKAGE}; Colab's set must not. "
                              f"Delete {venv} and run `make venv-colab` again")
    r = pip(py, "check", env=env, check=False)
    if r.returncode != 0:
        raise SimulationError(f"Colab's set is inconsistent (pip check):\n{r.stdout}")
    from tools.atomic import write_atomic

    write_atomic(venv / BASELINE_NAME, json.dumps(base, indent=1, sort_keys=True) + "\n")
    print(f"{venv}: Colab's set recorded ({len(base)} distributions, "
          f"tensorflow {base.get('tensorflow')}, keras {base.get('keras')}, "
          f"numpy {base.get('numpy')})")


def check_python(py: Path) -> None:
    out = subprocess.run([str(py), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    want = ".".join(map(str, COLAB_PYTHON))
    if out != want:
        raise SimulationError(f"{py} is Python {out}; Colab runs {want}. Delete "
                              f"{py.parents[1]} and run `make venv-colab PYTHON_COLAB=…`")


def load_baseline(venv: Path) -> dict[str, str]:
    path = venv / BASELINE_NAME
    if not path.exists():
        raise SimulationError(f"{path} is missing; run `make venv-colab`")
    return json.loads(path.read_text())


def reset_to_baseline(py: Path, baseline: dict[str, str], env: dict[str, str]) -> list[str]:
    """Uninstall whatever was added since the baseline; refuse if Colab's set changed."""
    change = compare_sets(baseline, installed(py, env))
    if not change.only_additions:
        raise SimulationError(
            "Colab's set in the venv has changed:\n" +
            "\n".join(f"  - {p}" for p in change.problems()) +
            f"\nDelete {py.parents[1]} and run `make venv-colab` to rebuild it.")
    if change.added:
        pip(py, "uninstall", "-y", "-q", *change.added, env=env)
    return list(change.added)


# --------------------------------------------------------------------------- the run

def git(*args: str, cwd: Path = ROOT) -> str:
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SimulationError(f"`git {' '.join(args)}` failed: {r.stderr.strip()}")
    return r.stdout.strip()


def publish_commit(work: Path) -> tuple[str, str]:
    """A bare clone of the current commit with that commit as branch ``main``;
    returns (file:// URL, commit)."""
    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--", "helpers", "pyproject.toml")
    if dirty:
        print("test-colab: warning: uncommitted changes to helpers/ or pyproject.toml are "
              f"NOT in what the notebooks install (commit {commit[:10]}):\n{dirty}",
              file=sys.stderr)
    bare = work / "cnn-course-book.git"
    git("init", "-q", "--bare", str(bare))
    git("push", "-q", str(bare), f"{commit}:refs/heads/main")
    return bare.as_uri(), commit


def pytest_ini(work: Path) -> Path:
    ini = work / "harness" / "pytest.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text("[pytest]\n# empty: the simulation passes every option on the command line\n")
    return ini


def run_notebook(py: Path, nb_path: Path, url: str, work: Path, venv: Path, ini: Path,
                 fresh_cache: bool, timeout: int) -> NotebookResult:
    name = nb_path.name
    nb = rewrite_repo(json.loads(nb_path.read_text()), url, name)
    folder = Path(tempfile.mkdtemp(prefix=nb_path.stem[:2] + "-", dir=work / "runs"))
    target = folder / name
    target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work)) if fresh_cache else None
    env = colab_env(dict(os.environ), venv, cache)
    junit = work / "harness" / f"{nb_path.stem}.xml"
    cmd = [str(py), "-P", str(Path(__file__).resolve()), "_pytest",
           str(target), "-c", str(ini), "--rootdir", str(folder),
           "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
           "--nbval", "--nbval-current-env",
           "--nbval-sanitize-with", str(SANITIZER),
           "--nbval-cell-timeout", str(timeout),
           "--junitxml", str(junit)]
    print(f"\n== {name}  (alone in {folder}; "
          f"asset cache {cache if cache else 'shared'})", flush=True)
    start = time.monotonic()
    rc = subprocess.run(cmd, cwd=folder, env=env).returncode
    seconds = time.monotonic() - start
    setup_seconds, failures = read_junit(junit)
    if rc != 0 and not failures:
        failures = [f"pytest exited with {rc}"]
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
    return NotebookResult(name, seconds, rc == 0, setup_seconds, failures)


def run(venv: Path, notebooks: list[str], fresh_cache: bool, keep: bool, timeout: int,
        repo: str | None = None) -> int:
    start = time.monotonic()
    venv = venv.absolute()
    py = venv_python(venv)
    check_python(py)
    paths = notebook_paths(notebooks)
    write_stub(py)
    baseline = load_baseline(venv)
    env = colab_env(dict(os.environ), venv, None)
    leftovers = reset_to_baseline(py, baseline, env)
    if leftovers:
        print(f"test-colab: removed what an earlier run left installed: {', '.join(leftovers)}")
    work = Path(tempfile.mkdtemp(prefix="cnnbook-colab-"))
    (work / "runs").mkdir()
    try:
        if repo:
            url = repo
            print(f"test-colab: the book is installed from {url} (COLAB_REPO), "
                  "not from this checkout")
        else:
            url, commit = publish_commit(work)
            print(f"test-colab: the book is commit {commit[:10]} as branch main of {url}")
        print(f"test-colab: Python {'.'.join(map(str, COLAB_PYTHON))}, Colab's set from "
              f"{venv / BASELINE_NAME}: tensorflow {baseline.get('tensorflow')}, keras "
              f"{baseline.get('keras')}, numpy {baseline.get('numpy')}")
        installs = distinct_installs(paths, url)
        report_path = work / "harness" / "pip-report.json"
        report_path.parent.mkdir(parents=True, exist_ok=True)
        for args in installs:  # each different setup-cell install, planned by pip
            print(f"test-colab: a setup cell installs with: pip install {shlex.join(args)}")
            pip(py, "install", "--dry-run", "--report", str(report_path), *args, env=env,
                cwd=work)
            plan = plan_changes(json.loads(report_path.read_text()), baseline)
            if not plan.only_additions:
                raise SimulationError(refusal(plan, "Installing the book (pip's plan)"))
            print("test-colab: pip's plan adds only: " +
                  ", ".join(f"{n} {v}" for n, v in plan.added.items()))
        req = installs[0]

        t0 = time.monotonic()
        pip(py, "install", *req, env=env, cwd=work)
        install_seconds = time.monotonic() - t0
        after = compare_sets(baseline, installed(py, env))
        if not after.only_additions:
            raise SimulationError(refusal(after, "Installing the book (pip freeze after it)"))
        r = pip(py, "check", env=env, check=False)
        if r.returncode != 0:
            raise SimulationError(f"after installing the book, pip check fails:\n{r.stdout}")
        print(f"test-colab: fresh install of the book and {len(after.added) - 1} "
              f"dependencies took {install_seconds:.1f} s (pip's download cache may be warm); "
              f"added: {', '.join(f'{n} {v}' for n, v in after.added.items())}")
        reset_to_baseline(py, baseline, env)

        ini = pytest_ini(work)
        results = []
        for nb_path in paths:
            result = run_notebook(py, nb_path, url, work, venv, ini, fresh_cache, timeout)
            try:
                removed = reset_to_baseline(py, baseline, env)
            except SimulationError as exc:
                result.passed = False
                result.failures.append(str(exc).splitlines()[0])
                results.append(result)
                print(summary(results, install_seconds, time.monotonic() - start))
                raise
            if normalize(PACKAGE) not in removed:
                result.passed = False
                result.failures.append("the setup cell did not install the book "
                                       "(was google.colab in sys.modules?)")
            print(f"== {result.name}: {'ok' if result.passed else 'FAILED'} in "
                  f"{result.seconds:.1f} s", flush=True)
            results.append(result)
        print(summary(results, install_seconds, time.monotonic() - start))
        return 0 if all(r.passed for r in results) else 1
    finally:
        if keep:
            print(f"test-colab: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _pytest_main(args: list[str]) -> int:
    """pytest with the book's nbval plugin loaded from its file, so that neither this
    process's ``sys.path`` nor the kernel's environment points at the checkout."""
    import pytest

    spec = importlib.util.spec_from_file_location("cnnbook_nbtiming", NB_PLUGIN)
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    return int(pytest.main(args, plugins=[plugin]))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_pytest"]:
        return _pytest_main(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m tools.colab_sim",
                                 description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    fp = sub.add_parser("find-python", help="print the path of a Python 3.12")
    fp.add_argument("requested", nargs="?", default="")
    pv = sub.add_parser("prepare-venv", help="write the google.colab stand-in, record the baseline")
    pv.add_argument("--venv", type=Path, required=True)
    rn = sub.add_parser("run", help="run notebooks as Colab would")
    rn.add_argument("--venv", type=Path, required=True)
    rn.add_argument("--cache", choices=["fresh", "shared"], default="fresh",
                    help="fresh: an empty asset cache per notebook (as Colab); "
                         "shared: the usual ~/.cache/cnn-course-book")
    rn.add_argument("--keep", action="store_true", help="keep the temporary folders")
    rn.add_argument("--cell-timeout", type=int, default=900)
    rn.add_argument("--repo", default="",
                    help="install from this repository URL (e.g. the published one) "
                         "instead of a clone of the current commit")
    rn.add_argument("notebooks", nargs="+")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "find-python":
            print(find_python(a.requested or None))
            return 0
        if a.cmd == "prepare-venv":
            prepare_venv(a.venv)
            return 0
        return run(a.venv, a.notebooks, a.cache == "fresh", a.keep, a.cell_timeout,
                   a.repo or None)
    except SimulationError as exc:
        print(f"test-colab: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
