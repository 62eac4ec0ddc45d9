"""The local Sphinx extension (tools/sphinx_ext.py): author–year bibliography labels."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pybtex.database import Entry, Person, parse_string
from pybtex.plugin import find_plugin

from tools import sphinx_ext
from tools.sphinx_ext import AUTHOR_YEAR_STYLE, AuthorYearLabelStyle, author_year_label

ROOT = Path(__file__).resolve().parents[1]


def _entry(key: str, authors: list[str], year: str | None = "2019", **fields) -> Entry:
    entry = Entry("article", fields={**({"year": year} if year else {}), **fields})
    entry.key = key
    for name in authors:
        entry.add_person(Person(name), "author")
    return entry


@pytest.mark.parametrize("authors, label", [
    (["Zhang, Richard"], "Zhang, 2019"),
    (["Azulay, Aharon", "Weiss, Yair"], "Azulay and Weiss, 2019"),
    (["Araujo, Andr{\\'e}", "Norris, Wade", "Sim, Jack"], "Araujo et al., 2019"),
    (["{LeCun}, Yann"], "LeCun, 2019"),
    (["van der Maaten, Laurens"], "van der Maaten, 2019"),
])
def test_author_year_label(authors: list[str], label: str) -> None:
    assert author_year_label(_entry("k", authors)) == label


def test_label_without_authors_or_year() -> None:
    entry = _entry("keras", [], year=None, organization="The {Keras} team")
    assert author_year_label(entry) == "The Keras team, n.d."
    assert author_year_label(_entry("bare", [], year="2020")) == "bare, 2020"


def test_equal_labels_get_letters() -> None:
    entries = [_entry("he1", ["He, K.", "Zhang, X.", "Ren, S."], "2016"),
               _entry("he2", ["He, K.", "Sun, J.", "Ren, S."], "2016"),
               _entry("zh", ["Zhang, R."], "2019")]
    labels = list(AuthorYearLabelStyle().format_labels(entries))
    assert labels == ["He et al., 2016a", "He et al., 2016b", "Zhang, 2019"]


def test_style_is_registered_and_configured() -> None:
    """What the build uses: the registered pybtex style, named in _config.yml."""

    class App:
        def connect(self, *args, **kwargs) -> None:
            pass

    sphinx_ext.setup(App())
    style = find_plugin("pybtex.style.formatting", AUTHOR_YEAR_STYLE)()
    bib = parse_string(
        "@article{zhang2019, author={Zhang, Richard}, title={Shift}, journal={J},"
        " year={2019}}", "bibtex")
    formatted = list(style.format_entries(bib.entries.values()))
    assert [f.label for f in formatted] == ["Zhang, 2019"]
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx_config = config["sphinx"]["config"]
    assert sphinx_config["bibtex_default_style"] == AUTHOR_YEAR_STYLE
    assert sphinx_config["bibtex_reference_style"] == "author_year"
