"""Author–year citation labels, shared by the HTML book and the reader notebooks.

The HTML bibliography (tools/sphinx_ext.py, pybtex label style
``cnnbook_author_year``) and the reader notebooks (tools/reader_notebooks.py) both
label a work "Krizhevsky et al., 2012"; when two works would get the same label
(He et al. published two papers in 2016), both add a, b, ... to the year in the
order pybtex's ``author_year_title`` sorting puts them: "He et al., 2016a" and
"He et al., 2016b". This module is the one place that rule is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pybtex.richtext import Text

SUFFIXES = "abcdefghijklmnopqrstuvwxyz"
#: pybtex sorting style of the HTML bibliography (``alpha``'s default).
SORTING_STYLE = "author_year_title"


def _plain(latex: str) -> str:
    """A BibTeX name or year as plain text: ``{LeCun}`` -> ``LeCun``,
    ``M{\\"u}ller`` -> ``Müller``."""
    return str(Text.from_latex(latex)).strip()


def author_year_parts(entry: Any) -> tuple[str, str]:
    """``("Surname", "year")``, ``("A and B", ...)`` or ``("A et al.", ...)``.

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
    return who, year


def author_year_label(entry: Any) -> str:
    """``"Surname, year"`` for one entry (no a/b suffix: see :func:`unique_labels`)."""
    who, year = author_year_parts(entry)
    return f"{who}, {year}"


def unique_suffixes(sorted_entries: Iterable[Any]) -> list[str]:
    """The suffix ("", "a", "b", ...) each entry's year gets, entries in sorted order."""
    labels = [author_year_label(entry) for entry in sorted_entries]
    total = Counter(labels)
    seen: Counter[str] = Counter()
    suffixes = []
    for label in labels:
        if total[label] == 1:
            suffixes.append("")
        else:
            suffixes.append(SUFFIXES[seen[label] % len(SUFFIXES)])
            seen[label] += 1
    return suffixes


def unique_labels(sorted_entries: Iterable[Any]) -> list[str]:
    """Author–year labels of entries in sorted order, a, b, ... added to repeats."""
    entries = list(sorted_entries)
    return [author_year_label(e) + s for e, s in zip(entries, unique_suffixes(entries))]


def sort_entries(entries: Iterable[Any]) -> list[Any]:
    """Entries in the order the HTML bibliography sorts (and suffixes) them."""
    from pybtex.plugin import find_plugin

    return list(find_plugin("pybtex.style.sorting", SORTING_STYLE)().sort(list(entries)))


def bibliography_labels(entries: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Key -> (who, year with its a/b suffix) for every entry of a bibliography."""
    ordered = sort_entries(entries.values())
    return {e.key: (author_year_parts(e)[0], author_year_parts(e)[1] + s)
            for e, s in zip(ordered, unique_suffixes(ordered))}
