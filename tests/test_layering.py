"""The helpers modules import each other in one direction only: no import cycles.

The graph is read from the source with :mod:`ast`, so it covers imports inside
functions too (the ones that hide a cycle until some code path runs). Among the
asset modules the layers are::

    helpers.cache  →  helpers.catalogue  →  helpers.assets, helpers.data,
                                            helpers.imagenet, helpers.pretrained

The catalogue names the builders of converted weights as ``"module:function"``
strings, resolved only when a build runs, so it never imports the loaders.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parents[1] / "helpers"
PACKAGE = "helpers"


def _modules(package_dir: Path) -> dict[str, Path]:
    """``helpers.X`` → its file, for every ``helpers/*.py`` except the package ``__init__``."""
    return {f"{PACKAGE}.{p.stem}": p for p in sorted(package_dir.glob("*.py"))
            if p.name != "__init__.py"}


def _imported(node: ast.Import | ast.ImportFrom, importer: str) -> list[str]:
    """Dotted names an import statement may load (``from P import X`` may load ``P.X``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: ``from . import x`` / ``from .x import y`` inside helpers
        parts = importer.split(".")[: -node.level]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module → the helpers modules it imports anywhere in its source (self-imports ignored)."""
    modules = _modules(package_dir)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for dotted in _imported(node, name):
                # ``import helpers.a.b`` loads helpers.a; ``from helpers import budget`` only
                # the package __init__, which is not a node.
                parts = dotted.split(".")
                for i in range(len(parts), 1, -1):
                    if ".".join(parts[:i]) in modules:
                        edges.add(".".join(parts[:i]))
                        break
        edges.discard(name)  # `python -m helpers.x` re-importing itself is not a cycle
        graph[name] = edges
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every simple cycle ``[a, b, …, a]``, each starting at its smallest module name."""
    cycles: set[tuple[str, ...]] = set()

    def walk(start: str, v: str, path: list[str]) -> None:
        for w in sorted(graph.get(v, ())):
            if w == start:
                cycles.add(tuple(path + [start]))
            elif w > start and w not in path:
                walk(start, w, path + [w])

    for start in sorted(graph):
        walk(start, start, [start])
    return sorted(list(c) for c in cycles)


def _describe(cycles: list[list[str]]) -> str:
    return "import cycles among helpers modules:\n" + "\n".join(
        "  " + " -> ".join(c) for c in cycles)


def test_helpers_modules_import_in_one_direction():
    graph = import_graph(HELPERS)
    assert len(graph) >= 8, f"found only {sorted(graph)} in {HELPERS}"
    cycles = find_cycles(graph)
    print(_describe(cycles) if cycles else "no import cycles")
    assert not cycles, _describe(cycles)


def test_asset_layers():
    """The fetch machinery imports no helpers module; the catalogue only the machinery."""
    graph = import_graph(HELPERS)
    assert graph["helpers.cache"] == set()
    assert graph["helpers.catalogue"] == {"helpers.cache"}
    for user in ("helpers.assets", "helpers.data", "helpers.imagenet", "helpers.pretrained"):
        # helpers.validate imports no helpers module: any layer may use it
        allowed = {"helpers.cache", "helpers.catalogue", "helpers.assets", "helpers.validate"}
        if user == "helpers.pretrained":  # it loads weights into the book's own models
            allowed |= {"helpers.models", "helpers.imagenet"}  # and crops as ImageNet does
        assert graph[user] <= allowed, user
    assert graph["helpers.models"] <= {"helpers.validate"}  # no assets


def test_the_catalogue_loads_without_the_loaders():
    """Importing the catalogue registers every asset but imports none of the loaders."""
    probe = (
        "import sys, helpers.catalogue as c, helpers.cache as k\n"
        "loaded = [m for m in ('helpers.assets', 'helpers.data', 'helpers.imagenet',"
        " 'helpers.pretrained') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "assert 'resnet50' in k.REGISTRY and 'mnist' in k.REGISTRY\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=HELPERS.parent, timeout=120)


def test_every_lazy_builder_resolves():
    from helpers import assets, cache

    assets._load_catalogue()
    builders = [s.fetch for a in cache.REGISTRY.values() for s in a.sources if s.kind == "build"]
    assert len(builders) >= 2
    for b in builders:
        assert isinstance(b, cache.LazyBuilder) and callable(b.resolve()), b


def _write_package(root: Path, files: dict[str, str]) -> Path:
    pkg = root / PACKAGE
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from helpers.a import thing\n")
    for name, text in files.items():
        (pkg / name).write_text(text)
    return pkg


def test_the_checker_sees_function_level_and_from_package_imports(tmp_path):
    pkg = _write_package(tmp_path, {
        "a.py": "from helpers.b import f\nthing = 1\n",
        "b.py": "def f():\n    from helpers import c\n    return c\n",
        "c.py": "import os\nfrom helpers import thing\n\ndef g():\n"
                "    import helpers.a as a\n    return a\n",
        "d.py": "from helpers import a, thing\nfrom . import e\n",
        "e.py": "if __name__ == '__main__':\n    from helpers.e import main\n",
    })
    graph = import_graph(pkg)
    assert graph == {"helpers.a": {"helpers.b"}, "helpers.b": {"helpers.c"},
                     "helpers.c": {"helpers.a"}, "helpers.d": {"helpers.a", "helpers.e"},
                     "helpers.e": set()}
    assert find_cycles(graph) == [["helpers.a", "helpers.b", "helpers.c", "helpers.a"]]
    del graph["helpers.c"]
    assert find_cycles(graph) == []


@pytest.mark.parametrize("edges, expected", [
    ({"x": {"y"}, "y": {"x"}}, [["x", "y", "x"]]),
    ({"x": {"y"}, "y": {"z"}, "z": set()}, []),
    ({"p": {"q"}, "q": {"p"}, "r": {"s"}, "s": {"t"}, "t": {"r"}},
     [["p", "q", "p"], ["r", "s", "t", "r"]]),
])
def test_find_cycles(edges, expected):
    assert find_cycles(edges) == expected


def test_explain_needs_only_the_pixel_loop():
    """helpers.explain (chapter 13) builds on helpers.pixels, not on assets or models;
    helpers.model_graph (reaching into nested models) needs nothing of ours."""
    graph = import_graph(HELPERS)
    assert graph["helpers.explain"] <= {"helpers.pixels", "helpers.validate",
                                        "helpers.model_graph"}
    assert graph["helpers.model_graph"] <= {"helpers.validate"}


def test_style_builds_on_the_pixel_loop_and_needs_no_assets():
    """helpers.style (chapter 14) uses helpers.pixels; the network is passed in."""
    graph = import_graph(HELPERS)
    assert graph["helpers.style"] <= {"helpers.pixels", "helpers.validate",
                                      "helpers.model_graph"}
    assert graph["helpers.pixels"] <= {"helpers.validate"}


def test_detection_needs_no_assets_or_models():
    """helpers.detection (chapter 16: boxes, anchors, NMS, AP) is NumPy and
    TensorFlow only; the scenes and the detector are passed in."""
    graph = import_graph(HELPERS)
    assert graph["helpers.detection"] <= {"helpers.validate"}


def test_segmentation_needs_only_the_validation_rules():
    """helpers.segmentation (chapter 15: metrics, losses, colourised masks)
    takes masks and tensors; the networks it scores come from helpers.models,
    which it does not import."""
    graph = import_graph(HELPERS)
    assert graph["helpers.segmentation"] <= {"helpers.validate"}
