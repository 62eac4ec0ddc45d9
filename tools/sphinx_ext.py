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

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from pybtex.markup import LaTeXParser
from pybtex.plugin import register_plugin
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx

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


def _on_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Give the template a script list with each ``<script>`` once."""
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        context["script_files"] = dedupe_scripts(scripts)


def _plain(latex: str) -> str:
    """A BibTeX name or year as plain text: ``{LeCun}`` -> ``LeCun``."""
    return LaTeXParser(latex).parse().render_as("text").strip()


def author_year_label(entry: Any) -> str:
    """``"Surname, year"``, ``"A and B, year"`` or ``"A et al., year"`` for one entry.

    The names are the authors' (else the editors') last names, as sphinxcontrib-bibtex
    writes author–year citations in the text. An entry without them falls back to its
    organisation or its key, one without a year to "n.d.".
    """
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    surnames = [_plain(" ".join(p.prelast_names + p.last_names)) for p in persons]
    surnames = [name for name in surnames if name]
    if len(surnames) == 1:
        who = surnames[0]
    elif len(surnames) == 2:
        who = f"{surnames[0]} and {surnames[1]}"
    elif surnames:
        who = f"{surnames[0]} et al."
    else:
        who = _plain(entry.fields.get("organization", "")) or entry.key
    year = _plain(entry.fields.get("year", "")) or "n.d."
    return f"{who}, {year}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """pybtex label style: author–year labels, made unique with a, b, ..."""

    def format_labels(self, sorted_entries: Iterable[Any]) -> Iterator[str]:
        labels = [author_year_label(entry) for entry in sorted_entries]
        total = Counter(labels)
        seen: Counter[str] = Counter()
        for label in labels:
            if total[label] == 1:
                yield label
            else:
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] % 26]
                seen[label] += 1


class AuthorYearStyle(AlphaStyle):
    """pybtex formatting style: ``alpha``'s entries and order, author–year labels."""

    default_label_style = AUTHOR_YEAR_STYLE


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the handlers (late, after the theme and extensions added theirs)."""
    app.connect("html-page-context", _on_page_context, priority=900)
    register_plugin("pybtex.style.labels", AUTHOR_YEAR_STYLE, AuthorYearLabelStyle,
                    force=True)
    register_plugin("pybtex.style.formatting", AUTHOR_YEAR_STYLE, AuthorYearStyle,
                    force=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
