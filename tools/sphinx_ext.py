"""Local Sphinx extension: fixes to the page chrome of the built book.

Loaded from ``_config.yml`` (``sphinx: local_extensions: {tools.sphinx_ext: "."}``).

One inline ``<script>`` once
    Sphinx 7.4 registers a script added with ``app.add_js_file(None, body=...)``
    after ``Builder.init()`` twice: once as ``_JavaScript(None, ...)`` when it is
    added, once more as ``_JavaScript("", ...)`` when ``prepare_writing`` re-reads
    the registry, and the two do not compare equal (``None != ""``). sphinx-thebe
    (``const THEBE_JS_URL = ...``, added at ``env-before-read-docs``) and
    sphinx-togglebutton (``var togglebuttonSelector = ...``, at ``builder-inited``)
    add theirs that late, so every page declared ``THEBE_JS_URL`` twice:
    "Uncaught SyntaxError: Identifier 'THEBE_JS_URL' has already been declared".
    Fixed upstream in Sphinx 8.2 (sphinx-doc/sphinx#13402), but jupyter-book 1.x
    requires ``sphinx~=7.0``; so each page's script list is deduplicated here.

Figures numbered per chapter ("Fig. 5.3")
    Sphinx prefixes figure numbers with the chapter's section number only when the
    table of contents is numbered, and a numbered toc would print every chapter's
    number a second time ("5. 05 · LeNet-5 ...": the titles carry their numbers).
    So the toc stays unnumbered, Sphinx counts figures through the whole book, and
    :func:`renumber_figures` turns each chapter's run into ``(NN, 1)``, ``(NN, 2)``,
    ... in page order, NN from the file name ``chapters/NN_*``. The reader notebooks
    (tools/reader_notebooks.py) number the same way; a test compares the two.
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx


def _script_key(script: Any) -> tuple:
    """What makes two entries of ``script_files`` the same ``<script>`` tag."""
    filename = getattr(script, "filename", script)
    attributes = getattr(script, "attributes", {})
    return (
        str(filename or ""),
        getattr(script, "priority", None),
        tuple(sorted((k, str(v)) for k, v in attributes.items())),
    )


def dedupe_scripts(scripts: list[Any]) -> list[Any]:
    """``scripts`` without repeats, first occurrence kept, order unchanged."""
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    return unique


def _on_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Give the template a script list with each ``<script>`` once."""
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        context["script_files"] = dedupe_scripts(scripts)


CHAPTER_DOC_RE = re.compile(r"^chapters/(\d\d)_")


def renumber_figures(fignumbers: dict[str, dict[str, dict[str, tuple]]]) -> None:
    """Number each chapter's figures (and tables, code blocks) ``(NN, 1), (NN, 2), ...``.

    ``fignumbers`` is Sphinx's ``env.toc_fignumbers``: docname -> figure type ->
    node id -> number tuple, counted in page order. Pages outside ``chapters/``
    keep their numbers. Changed in place.
    """
    for docname, kinds in fignumbers.items():
        m = CHAPTER_DOC_RE.match(docname)
        if not m:
            continue
        chapter = int(m.group(1))
        for figtype, numbers in kinds.items():
            in_order = sorted(numbers, key=lambda node_id: numbers[node_id])
            kinds[figtype] = {node_id: (chapter, i) for i, node_id in enumerate(in_order, 1)}


def _on_env_updated(app: Sphinx, env: Any) -> list[str]:
    """After Sphinx's toc collector has numbered the figures, number them per chapter."""
    renumber_figures(env.toc_fignumbers)
    return []


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the handlers (late, after the theme and extensions added theirs)."""
    app.connect("html-page-context", _on_page_context, priority=900)
    # After the toc collector (default priority 500), which assigns the numbers.
    app.connect("env-get-updated", _on_env_updated, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
