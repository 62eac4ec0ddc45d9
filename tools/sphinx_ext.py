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

Colab and download serve the reader notebooks
    A chapter's MyST (figure directives, roles, dropdowns) shows as raw text in
    Colab and Jupyter, so the reader opens the generated ``notebooks/NN_*.ipynb``
    instead: the Colab launch button's ``.../chapters/X.ipynb`` becomes
    ``.../notebooks/X.ipynb``, and at the end of the build each chapter's
    ``_sources/chapters/X.ipynb`` (what the download button serves) is replaced by
    its reader notebook. The build also writes ``cnn-course-book-notebooks.zip``
    (every reader notebook; fixed timestamps, so the same notebooks give the same
    bytes), which the landing page links.

Author–year labels in the bibliography
    The chapters cite author–year ("Zhang, 2019", ``bibtex_reference_style:
    author_year``), but sphinxcontrib-bibtex's default formatting style, ``alpha``,
    labels the entries of the bibliography page "[Zha19]". The pybtex style
    ``cnnbook_author_year`` (``bibtex_default_style`` in ``_config.yml``) sorts like
    ``alpha`` and labels each entry with the text the chapters show: "Zhang, 2019",
    "Azulay and Weiss, 2019", "Krizhevsky et al., 2012" (a, b, ... appended when
    two entries would get the same label).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx

# author_year_label: re-exported, tests and callers import it from here too.
from tools.citations import author_year_label, unique_labels  # noqa: F401

AUTHOR_YEAR_STYLE = "cnnbook_author_year"


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


READER_DIR = "notebooks"
ZIP_NAME = "cnn-course-book-notebooks.zip"
COLAB_CHAPTER_RE = re.compile(r"^(https://colab\.research\.google\.com/github/.+?/blob/[^/]+/)"
                              r"chapters/(\d\d_[^/]+\.ipynb)$")


def reader_colab_url(url: str) -> str:
    """A chapter's Colab URL pointed at its reader notebook; other URLs unchanged."""
    return COLAB_CHAPTER_RE.sub(rf"\1{READER_DIR}/\2", url)


def _repoint_buttons(buttons: Any) -> Any:
    """The theme's header buttons with every chapter Colab link repointed."""
    if isinstance(buttons, list):
        return [_repoint_buttons(b) for b in buttons]
    if isinstance(buttons, dict):
        return {k: (reader_colab_url(v) if k == "url" and isinstance(v, str)
                    else _repoint_buttons(v)) for k, v in buttons.items()}
    return buttons


def _on_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Give the template a script list with each ``<script>`` once, and Colab
    buttons that open the reader notebook."""
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        context["script_files"] = dedupe_scripts(scripts)
    if "header_buttons" in context:
        context["header_buttons"] = _repoint_buttons(context["header_buttons"])


def write_notebook_zip(reader_dir: Path, target: Path) -> list[str]:
    """Zip every reader notebook (and its README) into ``target``; same input, same bytes."""
    names = sorted(p.name for p in reader_dir.glob("*") if p.suffix in (".ipynb", ".md"))
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            info = zipfile.ZipInfo(f"cnn-course-book-notebooks/{name}", (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, (reader_dir / name).read_bytes())
    tmp.replace(target)
    return names


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    """Serve the reader notebooks for download and as one zip."""
    if exception is not None or app.builder.format != "html":
        return
    reader_dir = Path(app.srcdir) / READER_DIR
    if not any(reader_dir.glob("*.ipynb")):
        raise RuntimeError(f"{reader_dir} holds no reader notebooks: run "
                           "`python -m tools.reader_notebooks` before building the book")
    sources = Path(app.outdir) / "_sources" / "chapters"
    for notebook in sorted(reader_dir.glob("*.ipynb")):
        if (sources / notebook.name).is_file():
            shutil.copyfile(notebook, sources / notebook.name)
    write_notebook_zip(reader_dir, Path(app.outdir) / ZIP_NAME)


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


class AuthorYearLabelStyle(BaseLabelStyle):
    """pybtex label style: author–year labels, made unique with a, b, ...
    (tools/citations.py, which the reader notebooks' citations use too)."""

    def format_labels(self, sorted_entries: Iterable[Any]) -> Iterator[str]:
        yield from unique_labels(sorted_entries)


class AuthorYearStyle(AlphaStyle):
    """pybtex formatting style: ``alpha``'s entries and order, author–year labels."""

    default_label_style = AUTHOR_YEAR_STYLE


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the handlers (late, after the theme and extensions added theirs)."""
    app.connect("html-page-context", _on_page_context, priority=900)
    # After the toc collector (default priority 500), which assigns the numbers.
    app.connect("env-get-updated", _on_env_updated, priority=900)
    app.connect("build-finished", _on_build_finished)
    register_plugin("pybtex.style.labels", AUTHOR_YEAR_STYLE, AuthorYearLabelStyle,
                    force=True)
    register_plugin("pybtex.style.formatting", AUTHOR_YEAR_STYLE, AuthorYearStyle,
                    force=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
