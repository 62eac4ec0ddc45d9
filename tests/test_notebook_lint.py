"""Every chapter notebook follows the house template (STYLE.md, 'A chapter notebook')."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.book import (BUDGET_LINE, NO_BUDGET_LINE, ROOT, lint_notebook, notebook_extras,
                        setup_cell_prefix, toc_files)

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks under chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_follows_template(path: Path):
    assert lint_notebook(path) == []


def test_every_toc_entry_exists():
    for entry in toc_files():
        matches = [p for p in (ROOT / entry).parent.glob(Path(entry).name + ".*")]
        assert matches, f"_toc.yml lists {entry} but no such file exists"


def test_setup_prefix_comes_from_config():
    prefix = setup_cell_prefix({"repository": {"url": "https://example.org/r/", "branch": "dev"}})
    assert 'REPO = "https://example.org/r"' in prefix
    assert "git+{REPO}@dev" in prefix
    assert '"cnn-course-book @ git+' in prefix


def test_setup_prefix_installs_the_extras_the_notebook_asks_for():
    config = {"repository": {"url": "https://example.org/r", "branch": "main"}}
    nb = {"metadata": {"book": {"extras": ["deploy"]}}}
    prefix = setup_cell_prefix(config, extras=notebook_extras(nb))
    assert '!pip install -q "cnn-course-book[deploy] @ git+{REPO}@main"' in prefix
    assert notebook_extras({"metadata": {}}) == ()
    with pytest.raises(ValueError, match="may install only"):
        notebook_extras({"metadata": {"book": {"extras": ["local"]}}})
    with pytest.raises(ValueError, match="list of names"):
        notebook_extras({"metadata": {"book": {"extras": "deploy"}}})
    with pytest.raises(ValueError, match="unknown extras"):
        setup_cell_prefix(config, extras=("dev",))


def test_lint_wants_the_setup_cell_to_match_the_notebooks_extras():
    from nbformat.v4 import new_code_cell, new_markdown_cell

    plain = setup_cell_prefix() + "\nimport helpers\n\nhelpers.setup()\n"
    deploy = (setup_cell_prefix(extras=("deploy",))
              + "\nimport helpers\n\nhelpers.setup()\n")
    for source, extras, ok in ((plain, [], True), (deploy, ["deploy"], True),
                               (plain, ["deploy"], False), (deploy, [], False)):
        problems = _probe([new_markdown_cell("# 99 · Probe\n\ntext\n\nmore"),
                           new_code_cell(source, execution_count=1)],
                          {"extras": extras})
        assert ("not the Colab setup cell" not in problems) == ok, (extras, problems)


def _probe(tmp_cells, book_metadata: dict | None = None) -> str:
    """Lint a throw-away notebook in chapters/ (so links resolve as a chapter's)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = tmp_cells
    if book_metadata is not None:
        nb.metadata["book"] = book_metadata
    bad = ROOT / "chapters" / "zz_lint_probe.ipynb"
    try:
        nbformat.write(nb, bad)
        return " | ".join(lint_notebook(bad))
    finally:
        bad.unlink(missing_ok=True)


def test_lint_catches_a_broken_notebook():
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

    cells = [
        new_markdown_cell("# Untitled"),
        new_code_cell("print(1)", execution_count=2),
    ]
    cells[1].outputs = [new_output("stream", name="stderr", text="WARNING: x")]
    problems = _probe(cells)
    for expected in ("title", "setup cell", "Summary", "Exercises", "execution counts",
                     "stderr noise", "_toc.yml"):
        assert expected in problems
    assert nbformat  # imported for the helpers above


def test_every_template_rule_fires():
    """One deliberately broken notebook trips each rule of the template."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

    setup = setup_cell_prefix() + "\nimport helpers\n\nhelpers.setup()\n" + "x = 1\n" * 12
    wide = "y = " + "1 + " * 30 + "1"
    plot = new_code_cell("plt.plot([1, 2])", execution_count=3)
    plot.outputs = [new_output("display_data", data={"image/png": "iVBOR",
                                                     "text/plain": "<Figure>"})]
    printed = new_code_cell("print('x' * 90)", execution_count=4)
    printed.outputs = [new_output("stream", name="stdout", text="x" * 90 + "\n"),
                       new_output("stream", name="stdout", text="y\n")]
    seeded = new_code_cell("rng = np.random.default_rng(0)", execution_count=5)
    answered = new_code_cell('answer = 2368\ncheck("01.1", answer)', execution_count=6)
    answered.outputs = [new_output("stream", name="stdout", text="Exercise 01.1: correct.\n")]
    unfolded = new_code_cell('assert check("01.2", 3)', execution_count=7)
    unfolded.metadata["tags"] = ["hide-cell"]
    cells = [
        new_markdown_cell("# 99 · Probe\n\nWhat the reader will do.\n\nMore."),
        new_code_cell(setup, execution_count=1),
        new_code_cell(wide, execution_count=2),
        plot, printed, seeded, answered, unfolded,
        new_markdown_cell("As chapter 1 showed, and chapter 42 will show. "
                          "[Chapter 2](01_dense_to_convolution.ipynb), "
                          "[gone](99_missing.ipynb), ![](../img/none.svg). "
                          "The seed's example is wrong, says one source text."),
        new_markdown_cell("## Summary\n\n## Exercises\n\n**Worked solution.** It is 4."),
        new_markdown_cell(":::{figure} ../img/missing.svg\nA caption\n:::"),
        new_markdown_cell("Their mean and standard deviation\n1. Stripes need filters."),
    ]
    problems = _probe(cells)
    expected = [
        "setup cell is longer",
        "code cell 2 line 1 is",
        "prints a 90-character line",
        "code cell 4 stores one printout as several boxes",
        "figure without a caption",
        "figure without a name",
        "figure without alt text",
        "plotting code is not folded",
        "hard-codes a seed",
        "must start with an empty slot",
        "must print 'not yet answered'",
        "needs mystnb.code_prompt_show",
        "exercise 01.1 has a check but no folded solution",
        "mentions chapter 1 as plain text: make it a link",
        "mentions chapter 42 as plain text: that chapter does not exist",
        "link text says chapter 2 but points at 01_dense_to_convolution.ipynb",
        "link to 99_missing.ipynb, which does not exist",
        "image ../img/none.svg has no alt text",
        "refers to internal sources",
        "a solution stands outside a dropdown fold",
        "figure ../img/missing.svg does not exist",
        "figure ../img/missing.svg has no :alt: text",
        "has no ':name: fig-...'",
        "must carry the GPU budget line",
        "the line '1. Stripes need filters.' directly after a paragraph line starts a "
        "numbered list",
    ]
    missing = [e for e in expected if e not in problems]
    assert not missing, f"rules that did not fire: {missing}\n{problems}"


def test_folded_solutions_and_links_pass():
    """The same rules accept a notebook written the way the template asks."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

    slot = new_code_cell('answer = ...  # your answer\ncheck("01.1", answer)',
                         execution_count=2)
    slot.outputs = [new_output("stream", name="stdout",
                               text="Exercise 01.1: not yet answered.\n")]
    solution = new_code_cell('assert check("01.1", 2368)', execution_count=3)
    solution.metadata["tags"] = ["hide-cell"]
    solution.metadata["mystnb"] = {"code_prompt_show": "Show the solution"}
    # the probe scales nothing (no helpers.scaled()), so it says the budget has no effect
    title = "# 99 · Probe\n\nWhat the reader will do.\n\nMore.\n\n" + NO_BUDGET_LINE.replace(
        " this chapter ", " this chapter\n")  # wrapped: the rule ignores line breaks
    cells = [
        new_markdown_cell(title),
        new_code_cell(setup_cell_prefix() + "\nimport helpers\n\nhelpers.setup()\n",
                      execution_count=1),
        new_markdown_cell("Two steps, after a blank line:\n\n1. one\n2. two\n\n"
                          ":::{note}\n1. A list opening a directive is no paragraph's.\n:::\n\n"
                          "See [chapter 1](01_dense_to_convolution.ipynb).\n\n"
                          "## Summary\n\n## Exercises\n\n"
                          ":::{dropdown} Solution to exercise 1\n"
                          "**Worked solution.** 2,368.\n:::"),
        slot, solution,
    ]
    problems = _probe(cells).split(" | ")
    expected = {"chapters/zz_lint_probe is not listed in _toc.yml",
                "kernelspec must be python3"}
    assert set(problems) == expected, problems


def test_the_budget_line_must_match_whether_the_chapter_scales():
    """A chapter that calls helpers.scaled() promises GPU readers more training; one
    that scales nothing must not."""
    from nbformat.v4 import new_code_cell, new_markdown_cell

    def problems(line, code):
        cells = [new_markdown_cell("# 99 · Probe\n\nWhat the reader will do.\n\n" + line),
                 new_code_cell(setup_cell_prefix() + "\nimport helpers\n\nhelpers.setup()\n"
                               + code, execution_count=1)]
        return [p for p in _probe(cells).split(" | ") if "budget line" in p]

    assert problems(BUDGET_LINE, "epochs = helpers.scaled(3)\n") == []
    assert problems(NO_BUDGET_LINE, "x = 1\n") == []
    assert problems(NO_BUDGET_LINE, "epochs = helpers.scaled(3)\n")
    assert problems(BUDGET_LINE, "x = 1\n")


def test_setup_cell_rewrite_installs_the_notebooks_extras(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell

    from tools.setup_cell import rewrite

    nb = nbformat.v4.new_notebook()
    nb.cells = [new_markdown_cell("# 99 · Probe"),
                new_code_cell(setup_cell_prefix() + "\nimport helpers\nhelpers.setup()\n")]
    nb.metadata["book"] = {"extras": ["deploy"]}
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    assert rewrite(path) is True
    source = nbformat.read(path, as_version=4).cells[1].source
    assert source.startswith(setup_cell_prefix(extras=("deploy",)))
    assert source.endswith("import helpers\nhelpers.setup()\n")
    assert rewrite(path) is False  # already canonical
