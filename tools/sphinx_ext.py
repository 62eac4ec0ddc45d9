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
"""

from __future__ import annotations

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


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the handlers (late, after the theme and extensions added theirs)."""
    app.connect("html-page-context", _on_page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
