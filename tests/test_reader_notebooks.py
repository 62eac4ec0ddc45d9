"""The reader notebooks (notebooks/): current, free of MyST, solutions folded.

A plain CommonMark renderer (markdown-it-py's "commonmark" preset: what Jupyter,
Colab and GitHub implement) renders their Markdown; the lint fails on anything
MyST-only left, images that would not load outside the repository, relative
links, and solutions outside folds.
"""

from __future__ import annotations

import base64
import json
import re
import zipfile
from pathlib import Path

import pytest

from tools.book import ROOT, lint_markdown_for_readers, lint_reader_notebook
from tools.reader_notebooks import (
    OUT_DIR,
    Book,
    ChapterConverter,
    ReaderError,
    compare_with_html,
    dumps,
    load_book,
    number_figures,
    render_all,
    stale,
    write_all,
)
from tools.diagram_png import encode_png, png_path, svg_sha256
from tools.sphinx_ext import reader_colab_url, renumber_figures, write_notebook_zip

READER = sorted((ROOT / OUT_DIR).glob("*.ipynb"))
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


# ------------------------------------------------------------ the committed notebooks


def test_reader_notebooks_are_current():
    problems = stale(render_all(), ROOT / OUT_DIR)
    assert not problems, ("; ".join(problems)
                          + " -- run `python -m tools.reader_notebooks`")


def test_one_reader_notebook_per_chapter():
    assert [p.name for p in READER] == [p.name for p in CHAPTERS]


@pytest.mark.parametrize("path", READER, ids=lambda p: p.name)
def test_reader_notebook_shows_well_in_jupyter_and_colab(path: Path):
    assert lint_reader_notebook(path) == []


@pytest.mark.parametrize("path", READER, ids=lambda p: p.name)
def test_reader_notebook_is_valid_nbformat(path: Path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = [c["id"] for c in nb.cells]
    assert len(ids) == len(set(ids)), "cell ids repeat"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_fold_of_the_chapter_is_folded_for_readers(path: Path):
    """Each solution of the chapter, code or prose, is folded in its reader notebook,
    with the exercise number the HTML's fold names."""
    chapter = json.loads(path.read_text())
    reader = json.loads((ROOT / OUT_DIR / path.name).read_text())

    def text(cell):
        return "".join(cell["source"])

    prompts = [re.search(r"exercise (\d+)", c["metadata"]["mystnb"]["code_prompt_show"])[1]
               for c in chapter["cells"] if "hide-cell" in c["metadata"].get("tags", [])]
    titles = [re.match(r"#@title Solution to exercise (\d+)\n", text(c))[1]
              for c in reader["cells"] if "hide-cell" in c["metadata"].get("tags", [])]
    assert titles == prompts and prompts
    dropdowns = [m for c in chapter["cells"] if c["cell_type"] == "markdown"
                 for m in re.findall(r"^:{3,}\{dropdown\} (.*)$", text(c), re.MULTILINE)]
    summaries = [m for c in reader["cells"] if c["cell_type"] == "markdown"
                 for m in re.findall(r"^<summary>(.*)</summary>$", text(c), re.MULTILINE)
                 if not m.startswith("Description of Figure ")]  # a figure's alt text
    assert summaries == dropdowns


def test_the_chapters_themselves_would_show_raw_myst():
    """The lint is not vacuous: run on a chapter's MyST source it finds what the
    reader notebook fixed."""
    problems = " | ".join(lint_reader_notebook(ROOT / "chapters" /
                                               "02_padding_stride_receptive_fields.ipynb"))
    for expected in ("a MyST role is left as raw text: '{cite:p}<code>'",
                     "'{numref}<code>'", "':::' directive fence",
                     "relative link 01_dense_to_convolution.ipynb",
                     "first line is not '#@title Solution to exercise N'",
                     "metadata.cellView is not 'form'", "source_hidden is not set"):
        assert expected in problems


@pytest.mark.parametrize("markdown, expected", [
    ("See {numref}`fig-x`.", "a MyST role is left as raw text"),
    ("{cite:p}`he2016deep`", "a MyST role"),
    (":::{figure} ../img/a.svg\nCaption\n:::", "':::' directive fence"),
    ("```{note}\nText\n```", "a MyST directive fence ```{note}"),
    ("(sec-intro)=\n# Intro", "a '(label)=' target"),
    ("% a MyST comment\n\nText.", "a MyST comment"),
    ("![A diagram](../img/a.svg)", "would not load outside the repository"),
    ("![A diagram](http://example.org/a.png)", "would not load outside the repository"),
    ('<img src="../img/a.svg" alt="x">', "would not load outside the repository"),
    ("![](https://example.org/a.png)", "an image without alt text"),
    ('<img src="data:image/svg+xml;base64,bm90IHN2Zw==" alt="x">', "holds no <svg>"),
    ('<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">', "an image without alt text"),
    ("![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)", "image syntax this renderer refused"),
    ("[chapter 1](01_dense_to_convolution.ipynb)", "relative link"),
    ('<a href="../credits.md">credits</a>', "relative link"),
    ("<details>\n<summary>Solution to exercise 1</summary>\n**Answer.** 4\n</details>",
     "not rendered as Markdown"),
    ("<details>\n<summary>Solution</summary>\n\nText.\n", "unbalanced <details>"),
    ("**Solution to exercise 1.** It is 4.", "a solution stands outside a <details> fold"),
    ('<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" alt="x">',
     "an SVG data: image, which Colab's Markdown does not show"),
    ("The mean and the standard deviation\n1. Stripes need oriented filters.",
     "the line '1. Stripes need oriented filters.' directly after a paragraph line"),
    ("> Note\n> a line\n> 1) then this", "directly after a paragraph line starts a numbered"),
])
def test_lint_flags_what_commonmark_shows_badly(markdown, expected):
    assert expected in " | ".join(lint_markdown_for_readers(markdown, "cell")), markdown


def test_lint_accepts_what_commonmark_shows_well():
    good = ("Text with `{numref}` in code, $x_{i}$ maths and a "
            "[link](https://example.org/a#b).\n\n"
            "```python\n:::{figure} in a code block is code\n```\n\n"
            '<img src="data:image/png;base64,iVBORw0KGgo=" width="120" alt="A diagram">\n\n'
            "A paragraph whose line wraps before\n2. stays one paragraph (only 1 starts a "
            "list there).\n\nA list after a blank line:\n\n1. one\n2. two\n\n"
            "![A photo](https://example.org/a.png)\n\n"
            "<details>\n<summary>Solution to exercise 1</summary>\n\n"
            "**Solution.** It is 4.\n\n</details>")
    assert lint_markdown_for_readers(good, "cell") == []


def test_lint_flags_unfolded_solution_cells(tmp_path):
    nb = {"cells": [
        {"cell_type": "code", "metadata": {"tags": ["hide-cell"]},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "4\n"}],
         "source": 'assert check("01.1", 4)', "execution_count": 1},
        {"cell_type": "code", "metadata": {}, "outputs": [],
         "source": '#@title Solution to exercise 2\nassert check("01.2", 4)',
         "execution_count": 2},
        {"cell_type": "code", "metadata": {"tags": ["hide-input"]}, "outputs": [],
         "source": "plt.plot([1])", "execution_count": 3},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    problems = " | ".join(lint_reader_notebook(path))
    for expected in ("code cell 0 (a solution): first line is not '#@title",
                     "code cell 0 (a solution): metadata.cellView",
                     "code cell 0 (a solution): metadata.jupyter.source_hidden",
                     "code cell 0 (a solution): stores outputs, which show the answer",
                     "code cell 1 (a solution): not folded (tag hide-cell)",
                     "code cell 2: folded in the HTML (hide-input) but not in Jupyter",
                     "code cell 2: folded in the HTML (hide-input) but not in Colab"):
        assert expected in problems


# ------------------------------------------------------------- figure numbers and HTML


def test_figures_are_numbered_per_chapter_in_page_order():
    book, _ = load_book()
    by_chapter: dict[str, list[str]] = {}
    for stem, number in book.figures.values():
        by_chapter.setdefault(stem, []).append(number)
    for stem, numbers in by_chapter.items():
        n = int(stem[:2])
        assert sorted(numbers, key=lambda s: int(s.split(".")[1])) == [
            f"{n}.{k}" for k in range(1, len(numbers) + 1)]


def _built_html_is_current() -> bool:
    html = ROOT / "_build" / "html" / "chapters"
    if not html.is_dir():
        return False
    built = min(p.stat().st_mtime for p in html.glob("*.html"))
    return all(p.stat().st_mtime <= built for p in CHAPTERS)


@pytest.mark.skipif(not _built_html_is_current(),
                    reason="no book built from the current chapters in _build/html "
                           "(`make book`; `make book-strict` runs this comparison itself)")
def test_html_book_numbers_figures_as_the_reader_notebooks():
    book, chapters = load_book()
    assert compare_with_html(ROOT / "_build" / "html", book.figures, list(chapters)) == []


def test_html_comparison_finds_a_different_number(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "05_x.html").write_text(
        '<figure class="align-default" id="fig-a"><img src="a.png"/><figcaption><p>'
        '<span class="caption-number">Fig. 5.1 </span><span>A</span></p></figcaption>'
        '</figure><figure class="align-default" id="fig-b"><figcaption><p>'
        '<span class="caption-number">Fig. 31 </span></p></figcaption></figure>'
        '<a class="reference internal" href="#fig-a"><span class="std std-numref">'
        'Fig. 5.2</span></a>')
    figures = {"fig-a": ("05_x", "5.1"), "fig-b": ("05_x", "5.2"), "fig-c": ("05_x", "5.3")}
    problems = " | ".join(compare_with_html(tmp_path, figures, ["05_x", "06_y"]))
    assert "figure fig-b is Fig. 31 in the HTML but Figure 5.2" in problems
    assert "figure fig-c (5.3 here) has no numbered caption" in problems
    assert "refers to fig-a as Fig. 5.2, the reader notebook as 5.1" in problems
    assert "06_y.html is missing" in problems
    assert "fig-a is Fig." not in problems


def test_sphinx_figure_numbers_restart_in_each_chapter():
    numbers = {
        "intro": {"figure": {"fig-cover": (1,)}},
        "chapters/01_a": {"figure": {"fig-1b": (3,), "fig-1a": (2,)}},
        "chapters/05_b": {"figure": {"fig-5a": (40,), "fig-5b": (41,)},
                          "table": {"tab-5": (7,)}},
    }
    renumber_figures(numbers)
    assert numbers == {
        "intro": {"figure": {"fig-cover": (1,)}},
        "chapters/01_a": {"figure": {"fig-1a": (1, 1), "fig-1b": (1, 2)}},
        "chapters/05_b": {"figure": {"fig-5a": (5, 1), "fig-5b": (5, 2)},
                          "table": {"tab-5": (5, 1)}},
    }


def test_colab_button_opens_the_reader_notebook():
    base = "https://colab.research.google.com/github/o/r/blob/main/"
    assert (reader_colab_url(base + "chapters/05_lenet.ipynb")
            == base + "notebooks/05_lenet.ipynb")
    for other in (base + "intro.ipynb", "https://github.com/o/r/blob/main/chapters/05_a.ipynb"):
        assert reader_colab_url(other) == other


def test_notebook_zip_is_the_same_bytes_for_the_same_notebooks(tmp_path):
    src = tmp_path / "nb"
    src.mkdir()
    (src / "01_a.ipynb").write_text("{}")
    (src / "README.md").write_text("r")
    (src / "ignored.tmp").write_text("x")
    write_notebook_zip(src, tmp_path / "a.zip")
    (src / "01_a.ipynb").touch()
    write_notebook_zip(src, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert names == ["cnn-course-book-notebooks/01_a.ipynb", "cnn-course-book-notebooks/README.md"]


# ----------------------------------------------------------------- the converters

BIB = r"""
@article{solo2015, author = {Solo, Ann}, title = {One}, journal = {J}, year = {2015},
         doi = {10.1/one}}
@article{pair2016, author = {Pair, Bo and Duo, Cy}, title = {Two}, journal = {J},
         year = {2016}, url = {https://example.org/two}}
@inproceedings{many2017, author = {M{\"u}ller, Di and Ek, Ed and Fa, Fi},
               title = {Three}, booktitle = {Conf}, year = {2017}}
"""


def _png_copy(svg: Path) -> bytes:
    """A PNG copy of ``svg`` as tools/diagram_png.py writes it (white, hash stored)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 2), "white").save(buf, format="PNG")
    png = encode_png(buf.getvalue(), svg_sha256(svg))
    png_path(svg).parent.mkdir(exist_ok=True)
    png_path(svg).write_bytes(png)
    return png


@pytest.fixture()
def mini(tmp_path):
    """A two-chapter book in tmp_path with one diagram and a credits page."""
    from pybtex.database import parse_string

    (tmp_path / "chapters").mkdir()
    (tmp_path / "img").mkdir()
    svg = tmp_path / "img" / "d.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"/>')
    _png_copy(svg)
    (tmp_path / "credits.md").write_text("# Credits\n")
    for stem, title in (("05_five", "# 05 · Five"), ("06_six", "# 06 · Six")):
        nb = {"cells": [{"cell_type": "markdown", "id": "t", "metadata": {},
                         "source": title}], "metadata": {}, "nbformat": 4,
              "nbformat_minor": 5}
        (tmp_path / "chapters" / f"{stem}.ipynb").write_text(json.dumps(nb))
    book = Book(config={"repository": {"url": "https://github.com/o/r", "branch": "b"}},
                bib=parse_string(BIB, "bibtex"), root=tmp_path,
                figures={"fig-five-a": ("05_five", "5.1"), "fig-five-b": ("05_five", "5.2"),
                         "fig-six": ("06_six", "6.1")})
    return book


COLAB = "https://colab.research.google.com/github/o/r/blob/b/notebooks/"


def test_citations_become_author_year_with_a_reference_list(mini):
    conv = ChapterConverter(mini, "05_five")
    text = conv.markdown("As {cite:t}`many2017` showed {cite:p}`solo2015,pair2016`; "
                         "again {cite:p}`solo2015`.")
    assert text == ("As Müller et al. (2017) showed (Solo, 2015; Pair and Duo, 2016); "
                    "again (Solo, 2015).")
    refs = "".join(conv.references_cell()["source"])
    assert refs.startswith("## References")
    items = [ln for ln in refs.splitlines() if ln.startswith("- ")]
    assert [i.split(")")[0] for i in items] == ["- **Müller et al. (2017", "- **Pair and Duo (2016",
                                                "- **Solo (2015"]
    assert "[doi:10\\.1/one](https://doi.org/10.1/one)" in refs
    assert "(https://example.org/two)" in refs


def test_no_citation_no_reference_list(mini):
    conv = ChapterConverter(mini, "05_five")
    conv.markdown("Plain text.")
    assert conv.references_cell() is None


def test_unknown_citation_names_the_chapter_and_the_key(mini):
    conv = ChapterConverter(mini, "05_five")
    conv.where = "05_five: markdown cell 3"
    with pytest.raises(ReaderError, match=r"05_five: markdown cell 3: .*nosuch2020.*"
                                          r"not in references.bib"):
        conv.markdown("See {cite:p}`nosuch2020`.")


def test_numref_becomes_figure_text_or_a_link_to_the_other_chapter(mini):
    conv = ChapterConverter(mini, "05_five")
    assert conv.markdown("({numref}`fig-five-b`)") == "(Figure 5.2)"
    assert conv.markdown("{numref}`Panel %s <fig-five-a>`") == "Panel 5.1"
    assert (conv.markdown("{numref}`fig-six`")
            == f"[Figure 6.1]({COLAB}06_six.ipynb)")


def test_unknown_figure_names_the_chapter_and_the_name(mini):
    conv = ChapterConverter(mini, "05_five")
    conv.where = "05_five: markdown cell 7"
    with pytest.raises(ReaderError, match="05_five: markdown cell 7: .*fig-gone.*no figure"):
        conv.markdown("{numref}`fig-gone`")


def test_figure_directive_embeds_the_image_with_alt_text_and_caption(mini):
    conv = ChapterConverter(mini, "05_five")
    text = conv.markdown(":::{figure} ../img/d.svg\n:name: fig-five-a\n"
                         ':alt: A [small] "diagram"\n:width: 100%\n\n'
                         "Caption with {cite:p}`solo2015`\nover two lines.\n:::")
    image, caption = text.split("\n\n")
    png = base64.b64encode((mini.root / "img" / "png" / "d.png").read_bytes()).decode()
    # the PNG copy (Colab shows no SVG data: image), shown at the viewBox width
    assert image == (f'<img src="data:image/png;base64,{png}" width="120" '
                     'alt="A [small] &quot;diagram&quot;">')
    assert caption == "**Figure 5.1.** Caption with (Solo, 2015) over two lines."
    assert lint_markdown_for_readers(text, "cell") == []


def test_figure_directive_errors(mini):
    conv = ChapterConverter(mini, "05_five")
    with pytest.raises(ReaderError, match="no :alt: text"):
        conv.markdown(":::{figure} ../img/d.svg\n:name: fig-five-a\n\nC\n:::")
    with pytest.raises(ReaderError, match="does not exist"):
        conv.markdown(":::{figure} ../img/gone.svg\n:name: fig-five-a\n:alt: x\n\nC\n:::")
    with pytest.raises(ReaderError, match="never closed"):
        conv.markdown(":::{figure} ../img/d.svg\n:name: fig-five-a\n:alt: x\n\nC")


def test_a_missing_or_stale_png_copy_stops_with_the_file_and_the_command(mini):
    conv = ChapterConverter(mini, "05_five")
    conv.where = "05_five: markdown cell 2"
    figure = ":::{figure} ../img/d.svg\n:name: fig-five-a\n:alt: x\n\nC\n:::"
    svg = mini.root / "img" / "d.svg"
    svg.write_text(svg.read_text() + "\n")  # edited after its PNG was drawn
    with pytest.raises(ReaderError, match=r"05_five: markdown cell 2: img/d.svg is embedded "
                                          r"as a PNG, but img/png/d.png was not drawn from "
                                          r"the current d.svg: run `python -m tools.diagrams "
                                          r"--png`"):
        conv.markdown(figure)
    png_path(svg).unlink()
    with pytest.raises(ReaderError, match=r"img/png/d.png is missing: run `python -m "
                                          r"tools.diagrams --png`"):
        conv.markdown(figure)
    _png_copy(svg)
    assert "data:image/png;base64," in conv.markdown(figure)


def test_dropdown_becomes_details_that_render_markdown_inside(mini):
    conv = ChapterConverter(mini, "05_five")
    text = conv.markdown("Before.\n\n:::{dropdown} Solution to exercise `2`\n"
                         "**It is** $x^2$.\n\n- one\n:::\nAfter.")
    assert text == ("Before.\n\n<details>\n<summary>Solution to exercise <code>2</code>"
                    "</summary>\n\n**It is** $x^2$.\n\n- one\n\n</details>\nAfter.")
    assert lint_markdown_for_readers(text, "cell") == []


def test_admonitions_targets_comments_and_maths(mini):
    conv = ChapterConverter(mini, "05_five")
    text = conv.markdown("(sec-a)=\n## A\n\n% a comment\n"
                         "::::{note}\nInside {numref}`fig-five-a`.\n::::\n\n"
                         "$$\n% kept: a LaTeX comment inside maths\nx\n$$\n\n"
                         "```{math}\ny\n```\n\n{math}`z`")
    assert text == ("## A\n\n> **Note**\n>\n> Inside Figure 5.1.\n\n"
                    "$$\n% kept: a LaTeX comment inside maths\nx\n$$\n\n$$\ny\n$$\n\n$z$")


def test_unknown_directive_and_role_are_refused(mini):
    conv = ChapterConverter(mini, "05_five")
    with pytest.raises(ReaderError, match=r"directive \{glue:figure\} has no reader form"):
        conv.markdown("```{glue:figure} x\n```")
    with pytest.raises(ReaderError, match=r"role \{eq\}`eq-1` has no reader form"):
        conv.markdown("see {eq}`eq-1`")


def test_links_become_absolute(mini):
    conv = ChapterConverter(mini, "05_five")
    text = conv.markdown("[chapter 6](06_six.ipynb#sec) and [credits](../credits.md), "
                         "{doc}`06_six`, {doc}`the credits <../credits>`, "
                         "[web](https://example.org), `[code](06_six.ipynb)`.")
    assert text == (f"[chapter 6]({COLAB}06_six.ipynb#sec) and "
                    "[credits](https://github.com/o/r/blob/b/credits.md), "
                    f"[06 · Six]({COLAB}06_six.ipynb), "
                    "[the credits](https://github.com/o/r/blob/b/credits.md), "
                    "[web](https://example.org), `[code](06_six.ipynb)`.")
    with pytest.raises(ReaderError, match="link to 07_gone.ipynb, which does not exist"):
        conv.markdown("[gone](07_gone.ipynb)")


def test_code_fences_are_left_as_written(mini):
    conv = ChapterConverter(mini, "05_five")
    src = "```python\nx = {numref}`fig-gone`  # [a](b.ipynb)\n```"
    assert conv.markdown(src) == src


def test_solution_and_plot_cells_fold_in_colab_and_jupyter(mini):
    nb = {"cells": [
        {"cell_type": "code", "id": "s", "execution_count": 1,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "4\n"}],
         "source": ['assert check("05.2", 4)'],
         "metadata": {"tags": ["hide-cell"],
                      "mystnb": {"code_prompt_show": "Show the solution to exercise 2"}}},
        {"cell_type": "code", "id": "p", "execution_count": 2, "outputs": [],
         "source": ["plt.plot([1])"],
         "metadata": {"tags": ["hide-input"],
                      "mystnb": {"figure": {"name": "fig-five-b",
                                            "caption": "A line, see {cite:p}`pair2016`."},
                                 "image": {"alt": "A rising line <from 0 to 1>."}}}},
        {"cell_type": "code", "id": "q", "execution_count": 3, "outputs": [],
         "source": "show_table()", "metadata": {"tags": ["hide-input"]}},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    before = json.dumps(nb)
    reader = ChapterConverter(mini, "05_five").convert(nb)
    assert json.dumps(nb) == before  # the chapter is not changed
    solution, plot, caption, other, refs = reader["cells"]
    assert solution["source"] == ["#@title Solution to exercise 2\n",
                                  'assert check("05.2", 4)']
    assert solution["metadata"]["cellView"] == "form"
    assert solution["metadata"]["jupyter"] == {"source_hidden": True}
    # the answer output is left out, so nbval (make test-colab) must not compare it
    assert solution["metadata"]["tags"] == ["hide-cell", "nbval-ignore-output"]
    assert solution["outputs"] == [] and solution["execution_count"] is None
    assert plot["execution_count"] == 2
    # Colab folds a form cell to its title; JupyterLab reads source_hidden
    assert plot["source"] == ["#@title Plotting code for Figure 5.2\n", "plt.plot([1])"]
    assert plot["metadata"]["cellView"] == "form"
    assert plot["metadata"]["jupyter"] == {"source_hidden": True}
    assert other["source"] == ["#@title Plotting code\n", "show_table()"]
    assert other["metadata"]["cellView"] == "form"
    # the output image's alt text, which no notebook renderer shows, follows the caption
    assert caption == {"cell_type": "markdown", "id": "p-caption", "metadata": {},
                       "source": ["**Figure 5.2.** A line, see (Pair and Duo, 2016).\n", "\n",
                                  "<details>\n",
                                  "<summary>Description of Figure 5.2 (text alternative)"
                                  "</summary>\n", "\n",
                                  "A rising line &lt;from 0 to 1&gt;.\n", "\n", "</details>"]}
    assert lint_markdown_for_readers("".join(caption["source"]), "cell") == []
    assert refs["id"] == "references"
    assert dumps(ChapterConverter(mini, "05_five").convert(nb)) == dumps(reader)


def test_a_fold_that_names_no_exercise_is_refused(mini):
    nb = {"cells": [{"cell_type": "code", "id": "s", "execution_count": 1, "outputs": [],
                     "source": "x = 1", "metadata": {"tags": ["hide-cell"]}}],
          "metadata": {}}
    with pytest.raises(ReaderError, match="05_five: code cell 0: .*code_prompt_show"):
        ChapterConverter(mini, "05_five").convert(nb)


def test_figure_numbers_count_markdown_and_code_figures_together():
    nb = {"cells": [
        {"cell_type": "markdown", "source": ":::{figure} a.svg\n:name: fig-a\n:::\n\n"
                                            "::::{dropdown} D\n:::{figure} b.svg\n"
                                            ":name: fig-b\n:::\n::::"},
        {"cell_type": "code", "metadata": {"mystnb": {"figure": {"name": "fig-c"}}}},
        {"cell_type": "code", "metadata": {}},
        {"cell_type": "markdown", "source": ":::{figure} d.svg\n:name: fig-d\n:::"},
    ]}
    assert number_figures(nb, "07_x") == {"fig-a": "7.1", "fig-b": "7.2", "fig-c": "7.3",
                                          "fig-d": "7.4"}
    nb["cells"].append({"cell_type": "markdown", "source": ":::{figure} e.svg\n:::"})
    with pytest.raises(ReaderError, match="07_x: markdown cell 4: figure e.svg has no"):
        number_figures(nb, "07_x")


def test_write_all_is_atomic_and_removes_left_overs(tmp_path):
    out = tmp_path / "notebooks"
    out.mkdir()
    (out / "99_old.ipynb").write_text("{}")
    (out / "01_a.ipynb").write_text("old")
    files = {"01_a.ipynb": "new\n", "README.md": "r\n"}
    assert stale(files, out) == ["notebooks/01_a.ipynb is stale", "notebooks/README.md is missing",
                                 "notebooks/99_old.ipynb is left over (no such chapter)"]
    assert write_all(files, out) == ["01_a.ipynb", "README.md", "99_old.ipynb (removed)"]
    assert stale(files, out) == []
    assert sorted(p.name for p in out.iterdir()) == ["01_a.ipynb", "README.md"]
    assert write_all(files, out) == []


def test_the_two_he_et_al_2016_papers_are_told_apart_as_in_the_html():
    """Chapter 09 cites two papers by He et al. of 2016: the reader notebook labels
    them 2016a/2016b, as the HTML bibliography does (one function, tools/citations.py,
    over the whole bibliography), in the citations and in the References cell."""
    from pybtex.plugin import find_plugin

    from tools.sphinx_ext import AUTHOR_YEAR_STYLE, setup

    book, _ = load_book()
    assert book.labels["he2016deep"] == ("He et al.", "2016a")
    assert book.labels["he2016identity"] == ("He et al.", "2016b")
    conv = ChapterConverter(book, "09_resnet_densenet")
    text = conv.markdown("{cite:p}`he2016deep` and {cite:t}`he2016identity`")
    assert text == "(He et al., 2016a) and He et al. (2016b)"
    refs = "".join(conv.references_cell()["source"])
    assert "- **He et al. (2016a).** Kaiming He" in refs
    assert "- **He et al. (2016b).** Kaiming He" in refs
    assert refs.index("Deep residual learning") < refs.index("Identity mappings")

    class App:
        def connect(self, *args, **kwargs):
            pass

    setup(App())  # registers the HTML book's pybtex style
    style = find_plugin("pybtex.style.formatting", AUTHOR_YEAR_STYLE)()
    html_labels = {e.key: e.label for e in style.format_entries(
        style.sort(list(book.bib.entries.values())))}
    assert html_labels == {k: f"{who}, {year}" for k, (who, year) in book.labels.items()}
    reader = "".join("".join(c["source"]) for c in json.loads(
        (ROOT / OUT_DIR / "09_resnet_densenet.ipynb").read_text())["cells"])
    assert "He et al., 2016)" not in reader and "He et al. (2016)" not in reader
