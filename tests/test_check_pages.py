"""The browser check of the built book (tools/check_pages.py).

Most tests need no browser. ``test_checker_catches_a_broken_page`` renders a page
broken on purpose in Chromium: without Chromium it FAILS with the install hint
(never skips), since `make test` must not pass without having checked the pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import check_pages
from tools.check_pages import (
    ChromiumNotFound,
    Problem,
    check_redirects,
    find_chromium,
    find_pages,
    problems_from_probe,
    raw_math,
    summary,
)

PAGE = "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{}</body></html>"


def _write(root: Path, rel: str, body: str = "<p>text</p>") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE.format(body), encoding="utf-8")


def test_page_discovery(tmp_path: Path) -> None:
    for rel in ("intro.html", "credits.html", "chapters/01_x.html", "search.html",
                "_static/x.html", "_sources/y.html", "mathjax/z.html",
                ".venv-oldest/lib/README.html"):
        _write(tmp_path, rel)
    _write(tmp_path, "genindex.html", "<h1>Index</h1><div class='genindex-jumpbox'>")
    (tmp_path / "index.html").write_text(
        '<meta http-equiv="Refresh" content="0; url=intro.html" />')
    pages = find_pages(tmp_path)
    assert [p.as_posix() for p in pages.render] == [
        "chapters/01_x.html", "credits.html", "intro.html", "search.html"]
    assert {p.as_posix(): t for p, t in pages.redirects.items()} == {
        "index.html": "intro.html"}
    assert [p.as_posix() for p in pages.skipped] == ["genindex.html"]
    assert check_redirects(tmp_path, pages.redirects) == []


def test_genindex_with_entries_is_checked(tmp_path: Path) -> None:
    _write(tmp_path, "genindex.html", "<table class='indextable'><td>x</td></table>")
    assert [p.as_posix() for p in find_pages(tmp_path).render] == ["genindex.html"]


def test_redirect_to_missing_page_is_a_problem(tmp_path: Path) -> None:
    problems = check_redirects(tmp_path, {Path("index.html"): "intro.html"})
    assert [str(p) for p in problems] == ["index.html: redirects to missing intro.html"]


@pytest.mark.parametrize("text, found", [
    ("the area is $a^2$ here", ["$a^2$"]),
    ("display $$\\sum_i x_i$$ maths", ["$$\\sum_i x_i$$"]),
    ("inline \\(x + 1\\) left", ["\\(x + 1\\)"]),
    ("it costs $5 and $10 at most", []),
    ("a lone $ sign", []),
    ("no maths at all", []),
])
def test_raw_math(text: str, found: list[str]) -> None:
    assert raw_math(text) == found


def _probe(**overrides: object) -> dict:
    probe = {"mathjax": "absent", "mathElements": 0, "mjx": 0, "mjxErrors": [],
             "brokenImages": [], "text": "", "innerWidth": 390, "scrollWidth": 390,
             "overflowing": [], "wideBlocks": [], "cutMaths": [], "brokenWords": [],
             "doubleSolutions": [], "searchSample": None}
    probe.update(overrides)
    return probe


def test_clean_probe_has_no_problems() -> None:
    assert problems_from_probe("p.html", 390, _probe()) == []


def test_probe_problems_are_worded_one_per_line() -> None:
    probe = _probe(
        mathElements=3, brokenImages=["../_images/a.svg"], scrollWidth=700,
        overflowing=[{"el": "pre", "right": 700, "text": "x = 1"}],
        wideBlocks=[{"kind": "code block", "scrollWidth": 900, "clientWidth": 354,
                     "sticksOut": 0, "text": "model = keras.Sequential(\n  [...])"}],
    )
    lines = [str(p) for p in problems_from_probe("ch.html", 390, probe)]
    assert lines == [
        "ch.html @390px: 3 maths elements but MathJax not loaded",
        "ch.html @390px: image not loaded: ../_images/a.svg",
        "ch.html @390px: page wider than viewport (700 > 390 px): "
        "pre (right edge 700 px) 'x = 1'",
        "ch.html @390px: code block wider than its column (900 > 354 px): "
        "'model = keras.Sequential( [...])'",
    ]


def test_summary_counts_pages_and_widths() -> None:
    text = summary({"a.html": {1280: 0, 390: 2}}, (1280, 390), 1.25, 2)
    assert "a.html" in text and " ok " in text + " "
    assert text.splitlines()[-1] == "1 pages × 2 widths checked in 1.2 s: 2 problems"


def test_chromium_override_must_be_executable(tmp_path: Path) -> None:
    with pytest.raises(ChromiumNotFound, match="sudo apt-get install chromium"):
        find_chromium({"CNNBOOK_CHROMIUM": str(tmp_path / "no-such-chrome")})


def test_no_chromium_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(check_pages.os, "access", lambda *a: False)
    with pytest.raises(ChromiumNotFound) as err:
        find_chromium({"PATH": str(tmp_path)})
    message = str(err.value)
    assert "brew install --cask chromium" in message and "CNNBOOK_CHROMIUM" in message


BROKEN = """
<article class="bd-article">
  <p>The area is $a^2$; <span class="math">\\(b^2\\)</span> has no MathJax.</p>
  <img src="missing.png" alt="gone">
  <div class="highlight"><pre>{wide}</pre></div>
  <script>console.error("deliberate console error");</script>
  <script>const THEBE_JS_URL = "x";</script><script>const THEBE_JS_URL = "x";</script>
</article>
"""


def test_checker_catches_a_broken_page(tmp_path: Path) -> None:
    try:
        executable = find_chromium()
    except ChromiumNotFound as err:
        pytest.fail(f"cannot check pages in a browser: {err}")
    _write(tmp_path, "broken.html", BROKEN.format(wide="x = " + "1 + " * 500 + "1"))
    _write(tmp_path, "fine.html", "<article class='bd-article'><p>Good.</p></article>")
    problems, counts, _ = check_pages.run(tmp_path, executable)
    text = "\n".join(str(p) for p in problems)
    assert counts["fine.html"] == {1280: 0, 390: 0}, text
    for width in (1280, 390):
        mine = [p.what for p in problems if (p.page, p.width) == ("broken.html", width)]
        assert any("console error: deliberate console error" in w for w in mine), text
        assert any(w.startswith("uncaught exception: ") and "THEBE_JS_URL" in w
                   for w in mine), text
        assert any("image not loaded: missing.png" in w for w in mine), text
        assert any("raw TeX not rendered: '$a^2$'" in w for w in mine), text
        assert "1 maths elements but MathJax not loaded" in mine, text
        assert any(w.startswith("code block wider than its column")
                   and "'x = 1 + 1 + " in w for w in mine), text
    assert all(isinstance(p, Problem) for p in problems)


def test_layout_problems_are_worded() -> None:
    probe = _probe(
        cutMaths=[{"content": 476, "visible": 358, "why": "scrolls with no visible cue",
                   "text": "x~=(1−M)⊙xi+M⊙xj"}],
        brokenWords=[{"word": "small", "head": "sm", "tail": "all"}],
        doubleSolutions=[{"exercise": "2", "widgets": 2}],
        searchSample="A kernel of \\(K \\times K\\) weights.",
    )
    assert [str(p) for p in problems_from_probe("ch.html", 390, probe)] == [
        "ch.html @390px: display maths cut off (476 px of maths, 358 px visible; "
        "scrolls with no visible cue): 'x~=(1−M)⊙xi+M⊙xj'",
        "ch.html @390px: word broken inside a table cell: 'small' ('sm' / 'all')",
        "ch.html @390px: 2 solution widgets for exercise 2 (expected one)",
        "ch.html @390px: search summaries quote raw TeX: '\\\\(K \\\\times K\\\\)'",
    ]
    assert problems_from_probe("ch.html", 390, _probe(searchSample="A kernel of K × K.")) == []


# Hand-made layout faults, each next to its fixed form. The maths is a bare
# mjx-container (what MathJax leaves in the page) holding a 2,000 px wide box, so
# that it is too wide at both widths without loading MathJax.
WIDE_MATHS = ('<mjx-container display="true" style="display:block;{}">'
              '<span style="display:inline-block;width:2000px">x</span></mjx-container>')
CUE = ("overflow-x:auto;mask-image:linear-gradient(to right,#000 calc(100% - 3rem),"
       "transparent)")
NARROW_TABLE = ('<table style="width:9rem"><tr><td style="overflow-wrap:{}">'
                'supercalifragilisticexpialidocious words here, well-known-compound-words</td>'
                '<td>x</td></tr></table>')
SOLUTIONS = """
<details><summary>Solution to exercise 2</summary><p>Prose.</p>{inside}</details>
{outside}
"""
CODE_FOLD = ('<div class="cell"><details><summary>Show the solution to exercise 2'
             '</summary><pre>x = 1</pre></details></div>')

LAYOUT_BROKEN = ("<article class='bd-article'>"
                 + WIDE_MATHS.format("overflow-x:auto")
                 + "<div style='overflow:hidden'>" + WIDE_MATHS.format("") + "</div>"
                 + NARROW_TABLE.format("anywhere")
                 + SOLUTIONS.format(inside="", outside=CODE_FOLD)
                 + "</article>")
LAYOUT_FIXED = ("<article class='bd-article'>"
                + WIDE_MATHS.format(CUE)
                + NARROW_TABLE.format("normal")
                + SOLUTIONS.format(inside=CODE_FOLD, outside="")
                + "</article>")


def test_checker_catches_cut_maths_broken_words_and_double_solutions(
        tmp_path: Path) -> None:
    try:
        executable = find_chromium()
    except ChromiumNotFound as err:
        pytest.fail(f"cannot check pages in a browser: {err}")
    _write(tmp_path, "broken.html", LAYOUT_BROKEN)
    _write(tmp_path, "fixed.html", LAYOUT_FIXED)
    problems, counts, _ = check_pages.run(tmp_path, executable)
    text = "\n".join(str(p) for p in problems)
    for width in (1280, 390):
        mine = [p.what for p in problems if (p.page, p.width) == ("broken.html", width)]
        cut = [w for w in mine if w.startswith("display maths cut off")]
        assert len(cut) == 2, text
        assert any("scrolls with no visible cue" in w for w in cut), text
        assert any("does not scroll" in w or "clipped" in w for w in cut), text
        assert any(w.startswith("word broken inside a table cell: "
                                "'supercalifragilisticexpialidocious'")
                   for w in mine), text
        assert "2 solution widgets for exercise 2 (expected one)" in mine, text
        # A compound breaks at its hyphens: that is not a broken word.
        assert not any("well-known" in w for w in mine), text
    # The fixed forms: a scrolling equation with a visible cue, a table that keeps its
    # words whole (and so is wider than asked), one fold per exercise.
    assert counts["fixed.html"] == {1280: 0, 390: 0}, text
