"""Render every page of the built book in headless Chromium and report what is broken.

Usage: ``python -m tools.check_pages [_build/html]`` (``make browser-test``).

Each page is opened at 1280 px and at 390 px viewport width and fails on:

- a console error, an uncaught exception, or a request that goes to the network
  (the book must render offline; such requests are blocked, so results do not
  depend on the machine having internet);
- maths not rendered: on a page with maths, MathJax absent or producing no
  ``mjx-container``, a MathJax error, or ``$...$``, ``$$...$$``, ``\\(...\\)`` or
  ``\\[...\\]`` left as raw text (checked on every page);
- an ``<img>`` (PNG, SVG, ...) that did not load (``naturalWidth`` 0);
- the page wider than the viewport (``scrollWidth > innerWidth``), naming the
  elements that stick out;
- a code block (``div.highlight pre``) or cell output ``pre`` wider than its column
  (``scrollWidth > clientWidth + 1``, or sticking out of the article), quoting its
  first characters. Collapsed cells and dropdowns are opened first;
- a display equation (``mjx-container[display]``) whose typeset content is wider
  than what can be seen of it (its own box, any ancestor that clips, the window),
  unless the box itself scrolls sideways *and* shows that it does (a gradient mask
  or background: the faded edge of ``_static/book.css``; phones hide scroll bars);
- a word broken inside a table cell: a line break within a word where there is no
  break point (after a hyphen, dash or slash, at a soft hyphen or a zero-width
  space), as ``overflow-wrap: anywhere`` does ("sm/all");
- two solution widgets for one exercise: two folds titled "... solution to exercise
  N" for the same N, neither inside the other;
- on the search page, a search summary that would quote raw TeX: Sphinx's
  ``Search.htmlToText`` is run on a small page with maths.

Pages checked: every ``*.html`` under the build directory except the theme's and
Sphinx's own folders (``_static``, ``_sources``, ``_images``, ...), the vendored
``mathjax/`` and hidden folders (a stray virtualenv is not part of the book). A
redirect stub (``index.html``, a ``<meta http-equiv="refresh">``) is
not rendered; its target must exist. ``genindex.html`` is skipped while the book has
no index entries (an empty page no reader reaches). ``search.html`` is checked: it is
where the search box leads.

Chromium: ``$CNNBOOK_CHROMIUM`` if set, else ``chromium`` (Debian), ``chromium-browser``
or Google Chrome found on ``PATH`` or in the usual macOS place. It is driven through
Playwright (PyPI) with that executable; Playwright's own browser download is never
used. Exit status: 0 clean, 1 problems found, 2 cannot run (no browser, no build).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WIDTHS: tuple[int, ...] = (1280, 390)
HEIGHT = 900
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
INSTALL_HINT = (
    "Chromium is needed to check the built pages. Install it:\n"
    "  Debian/Ubuntu: sudo apt-get install chromium\n"
    "  macOS:         brew install --cask chromium\n"
    "or point CNNBOOK_CHROMIUM=/path/to/chrome at a Chromium or Chrome executable."
)
SKIP_DIRS = {"mathjax"}  # besides every folder whose name starts with "_"
PAGE_TIMEOUT_MS = 30_000

REFRESH_RE = re.compile(
    r"<meta[^>]+http-equiv=[\"']?refresh[\"']?[^>]*content=[\"']\s*\d+\s*;\s*"
    r"url=([^\"'>]+)",
    re.IGNORECASE,
)
# Maths the dollarmath/amsmath parsers did not turn into a .math element.
RAW_MATH_RE = re.compile(
    r"\$\$.+?\$\$"
    r"|\\\(.+?\\\)"
    r"|\\\[.+?\\\]"
    r"|(?<![\\$\w])\$[^\s$](?:[^$\n]{0,200}?[^\s$\\])?\$(?![\w$])",
    re.DOTALL,
)


class ChromiumNotFound(RuntimeError):
    """No Chromium or Chrome executable could be found."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one page at one viewport width."""

    page: str
    width: int
    what: str

    def __str__(self) -> str:
        at = f" @{self.width}px" if self.width else ""
        return f"{self.page}{at}: {self.what}"


@dataclass(frozen=True)
class Pages:
    """What the build directory holds: pages to render, redirects, pages skipped."""

    render: list[Path]
    redirects: dict[Path, str]
    skipped: dict[Path, str]


def find_chromium(env: dict[str, str] | None = None) -> str:
    """The browser executable to use, or :class:`ChromiumNotFound` saying how to get it.

    ``CNNBOOK_CHROMIUM`` wins when set (and must then point at an executable file).
    """
    env = os.environ if env is None else env
    override = env.get("CNNBOOK_CHROMIUM", "").strip()
    if override:
        path = shutil.which(override) or override
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        raise ChromiumNotFound(
            f"CNNBOOK_CHROMIUM={override} is not an executable file.\n{INSTALL_HINT}"
        )
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    for name in names:
        if found := shutil.which(name, path=env.get("PATH")):
            return found
    for app in (
        "/Applications/Chromium.app/Contents/MacOS/Chromium",
        "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    ):
        if os.access(app, os.X_OK):
            return app
    raise ChromiumNotFound(INSTALL_HINT)


def _has_index_entries(html: str) -> bool:
    """Whether Sphinx's general index lists anything (entries or letter pages)."""
    return re.search(r"class=[\"']indextable|href=[\"']genindex-\w", html) is not None


def find_pages(root: Path) -> Pages:
    """Sort the build's HTML files into pages to render, redirect stubs and skips."""
    render: list[Path] = []
    redirects: dict[Path, str] = {}
    skipped: dict[Path, str] = {}
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root)
        folders = rel.parts[:-1]
        if folders and (folders[0] in SKIP_DIRS or folders[0].startswith("_")):
            continue
        if any(part.startswith(".") for part in folders):
            continue  # e.g. a virtualenv Sphinx picked up: not part of the book
        html = path.read_text(encoding="utf-8", errors="replace")
        if match := REFRESH_RE.search(html[:4000]):
            redirects[rel] = match.group(1).strip()
        elif rel.as_posix() == "genindex.html" and not _has_index_entries(html):
            skipped[rel] = "no index entries"
        else:
            render.append(rel)
    return Pages(render, redirects, skipped)


def check_redirects(root: Path, redirects: dict[Path, str]) -> list[Problem]:
    """A redirect stub whose target page does not exist is a problem."""
    problems = []
    for rel, target in redirects.items():
        local = target.split("#", 1)[0].split("?", 1)[0]
        if "://" in local or not (root / rel.parent / local).is_file():
            what = f"redirects to missing {target}"
            problems.append(Problem(rel.as_posix(), 0, what))
    return problems


def raw_math(text: str) -> list[str]:
    """Snippets of TeX left as raw text (``$x$``, ``\\(x\\)``...) in ``text``."""
    return [m.group(0) for m in RAW_MATH_RE.finditer(text)]


def _snippet(text: str, n: int = 50) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


# Runs in the page once it has loaded: opens collapsed content, waits for images,
# fonts and MathJax, then measures. Returns plain data; Python words the problems.
PROBE_JS = r"""
async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const withTimeout = (p, ms) => Promise.race([p, sleep(ms).then(() => 'timeout')]);
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('button.toggle-button-hidden').forEach(b => b.click());
  const imgs = [...document.images];
  imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
  await withTimeout(Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener('load', r, {once: true});
    i.addEventListener('error', r, {once: true});
  }))), 10000);
  const out = {mathjax: 'absent'};
  const mathEls = document.querySelectorAll('.math, .amsmath');
  out.mathElements = mathEls.length;
  if (mathEls.length) {
    for (let t = 0; t < 100 && !(window.MathJax && MathJax.startup &&
         MathJax.startup.promise); t++) await sleep(100);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      const r = await withTimeout(MathJax.startup.promise.then(() => 'done',
        e => 'failed: ' + e), 20000);
      out.mathjax = r;
    }
  }
  if (document.fonts) await withTimeout(document.fonts.ready, 5000);
  // The book's script (book.js) fits display maths once MathJax is done: wait for it.
  const bookJs = [...document.scripts].some(s => /(^|\/)book\.js(\?|$)/.test(
    s.getAttribute('src') || ''));
  if (bookJs && out.mathElements) {
    for (let t = 0; t < 50 && !document.documentElement.dataset.cnnbookMathsFitted; t++)
      await sleep(100);
  }
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  out.mjx = document.querySelectorAll('mjx-container').length;
  out.untypeset = [...mathEls].filter(e => !e.querySelector('mjx-container'))
    .map(e => (e.textContent || '').slice(0, 200));
  out.mjxErrors = [...document.querySelectorAll('mjx-merror, merror')]
    .map(e => (e.getAttribute('data-mjx-error') || e.textContent || '').trim());
  out.brokenImages = imgs.filter(i => !i.complete || i.naturalWidth === 0)
    .map(i => i.getAttribute('src') || i.currentSrc || '(no src)');

  // Text a reader sees, without code, maths and scripts: raw TeX is searched here.
  const article = document.querySelector('.bd-article, main, body');
  const skip = 'pre, code, script, style, textarea, mjx-container, .math, '
    + '.amsmath, .MathJax, [class*="highlight"], .cell_output';
  const texts = [];
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement.closest(skip)) texts.push(n.nodeValue);
  }
  out.text = texts.join('');

  out.innerWidth = window.innerWidth;
  out.scrollWidth = document.documentElement.scrollWidth;
  const clips = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.position === 'fixed' || ['auto', 'scroll', 'hidden', 'clip']
          .includes(cs.overflowX)) return true;
    }
    return false;
  };
  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = [...el.classList].slice(0, 3).join('.');
    if (cls) s += '.' + cls;
    return s;
  };
  out.overflowing = [];
  if (out.scrollWidth > out.innerWidth) {
    // An element sticks out if its box does, or (overflow visible) its content does.
    const wide = [...document.body.querySelectorAll('*')].filter(el => {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (!r.width || cs.position === 'fixed' || clips(el)) return false;
      const left = r.left + window.scrollX;
      const right = cs.overflowX === 'visible' ? Math.max(r.right + window.scrollX,
        left + el.scrollWidth) : r.right + window.scrollX;
      return right > out.innerWidth + 1;
    });
    const leaves = wide.filter(el => !wide.some(o => o !== el && el.contains(o)));
    out.overflowing = leaves.slice(0, 3).map(el => ({
      el: describe(el), right: Math.round(Math.max(el.getBoundingClientRect().right,
        el.getBoundingClientRect().left + el.scrollWidth)),
      text: (el.textContent || el.getAttribute('src') || '').slice(0, 200)}));
  }

  const col = document.querySelector('.bd-article') || document.body;
  const colRight = col.getBoundingClientRect().right;
  const blocks = document.querySelectorAll(
    'div.highlight pre, .cell_output pre, div.output pre');
  out.wideBlocks = [...new Set(blocks)].filter(pre => pre.offsetParent !== null)
    .map(pre => ({pre, r: pre.getBoundingClientRect()}))
    .filter(({pre, r}) => pre.scrollWidth > pre.clientWidth + 1
      || r.right > colRight + 1)
    .map(({pre, r}) => ({
      kind: pre.closest('.cell_output, div.output') ? 'output' : 'code block',
      scrollWidth: pre.scrollWidth, clientWidth: pre.clientWidth,
      sticksOut: Math.round(r.right - colRight),
      text: (pre.textContent || '').slice(0, 200)}));

  // Display maths: typeset content wider than the part of it one can see.
  const viewRight = document.documentElement.clientWidth;
  out.cutMaths = [];
  for (const m of document.querySelectorAll('mjx-container[display="true"]')) {
    if (!m.getClientRects().length) continue;
    const box = m.getBoundingClientRect();
    const cs = getComputedStyle(m);
    const scrolls = ['auto', 'scroll'].includes(cs.overflowX);
    const clipsSelf = scrolls || ['hidden', 'clip'].includes(cs.overflowX);
    const contentRight = box.left + m.scrollWidth - m.scrollLeft;
    let visibleRight = Math.min(viewRight, clipsSelf ? box.right : Infinity);
    for (let a = m.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX))
        visibleRight = Math.min(visibleRight, a.getBoundingClientRect().right);
    }
    if (contentRight <= visibleRight + 1) continue;
    const cue = [cs.maskImage, cs.webkitMaskImage, cs.backgroundImage]
      .some(v => /gradient\(/.test(v || ''));
    const ownBoxIsTheView = box.right <= visibleRight + 1;
    if (scrolls && ownBoxIsTheView && cue) continue;
    out.cutMaths.push({
      content: Math.round(m.scrollWidth),
      visible: Math.round(Math.max(0, visibleRight - box.left)),
      why: !scrolls ? 'does not scroll' : !ownBoxIsTheView ? 'clipped outside its scroll box'
        : 'scrolls with no visible cue',
      text: (m.textContent || '').trim().slice(0, 200)});
  }

  // Words broken inside a table cell where the word has no break point.
  const breakAfter = /[-\u2010\u2011\u2012\u2013\u2014\/\u00ad\u200b]$/;
  const breakBefore = /^[\u2013\u2014\u200b]/;
  out.brokenWords = [];
  const range = document.createRange();
  for (const cell of document.querySelectorAll('table td, table th')) {
    if (!cell.getClientRects().length || out.brokenWords.length >= 20) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const re = /\S{2,}/g;
      for (let w = re.exec(n.nodeValue); w; w = re.exec(n.nodeValue)) {
        range.setStart(n, w.index);
        range.setEnd(n, w.index + w[0].length);
        const lines = [...range.getClientRects()].filter(r => r.width > 0);
        if (lines.length < 2) continue;
        let lastTop = null;
        for (let i = 0; i < w[0].length; i++) {
          range.setStart(n, w.index + i);
          range.setEnd(n, w.index + i + 1);
          const r = range.getBoundingClientRect();
          if (!r.width) continue;
          if (lastTop !== null && r.top > lastTop + r.height / 2) {
            const head = w[0].slice(0, i), tail = w[0].slice(i);
            if (!breakAfter.test(head) && !breakBefore.test(tail))
              out.brokenWords.push({word: w[0], head, tail});
          }
          lastTop = r.top;
        }
      }
    }
  }

  // One solution widget per exercise: folds titled "solution to exercise N".
  const solutionNumber = d => {
    const summary = d.querySelector(':scope > summary');
    const m = /solution to exercise\s+([\w.]+)/i.exec(summary ? summary.textContent : '');
    return m ? m[1] : null;
  };
  const widgets = {};
  for (const d of document.querySelectorAll('details')) {
    const n = solutionNumber(d);
    if (n === null) continue;
    let outer = d.parentElement && d.parentElement.closest('details');
    while (outer && solutionNumber(outer) !== n) {
      outer = outer.parentElement && outer.parentElement.closest('details');
    }
    if (!outer) widgets[n] = (widgets[n] || 0) + 1;
  }
  out.doubleSolutions = Object.entries(widgets).filter(([, k]) => k > 1)
    .map(([n, k]) => ({exercise: n, widgets: k}));

  // Search summaries are cut from the page text: maths in it must read as text.
  out.searchSample = null;
  if (/(^|\/)search\.html$/.test(location.pathname) && typeof Search !== 'undefined'
      && Search && typeof Search.htmlToText === 'function') {
    out.searchSample = Search.htmlToText('<div role="main"><p>A kernel of '
      + '<span class="math notranslate nohighlight">\\(K \\times K\\)</span>'
      + ' weights.</p></div>', '');
  }
  return out;
}
"""


def problems_from_probe(page: str, width: int, probe: dict[str, Any]) -> list[Problem]:
    """Turn the in-page measurements into one :class:`Problem` per defect."""
    found: list[str] = []
    if probe["mathElements"]:
        if probe["mathjax"] == "absent":
            n = probe["mathElements"]
            found.append(f"{n} maths elements but MathJax not loaded")
        elif probe["mathjax"] != "done":
            found.append(f"MathJax did not finish typesetting ({probe['mathjax']})")
        elif not probe["mjx"]:
            found.append("MathJax ran but rendered no mjx-container")
        elif untypeset := probe.get("untypeset", []):
            found.append(
                f"{len(untypeset)} of {probe['mathElements']} maths elements not "
                f"typeset, first: {_snippet(untypeset[0])!r}"
            )
    for err in probe["mjxErrors"]:
        found.append(f"MathJax error: {_snippet(err)}")
    for tex in raw_math(probe["text"]):
        found.append(f"raw TeX not rendered: {_snippet(tex)!r}")
    for src in probe["brokenImages"]:
        found.append(f"image not loaded: {src}")
    if probe["scrollWidth"] > probe["innerWidth"]:
        culprits = "; ".join(
            f"{o['el']} (right edge {o['right']} px) {_snippet(o['text'], 40)!r}"
            for o in probe["overflowing"]
        )
        found.append(
            f"page wider than viewport ({probe['scrollWidth']} > "
            f"{probe['innerWidth']} px)" + (f": {culprits}" if culprits else "")
        )
    for block in probe["wideBlocks"]:
        how = (
            f"{block['scrollWidth']} > {block['clientWidth']} px"
            if block["scrollWidth"] > block["clientWidth"] + 1
            else f"sticks out {block['sticksOut']} px"
        )
        found.append(
            f"{block['kind']} wider than its column ({how}): "
            f"{_snippet(block['text'])!r}"
        )
    for cut in probe.get("cutMaths", []):
        found.append(
            f"display maths cut off ({cut['content']} px of maths, {cut['visible']} px "
            f"visible; {cut['why']}): {_snippet(cut['text'])!r}"
        )
    for broken in probe.get("brokenWords", []):
        found.append(
            f"word broken inside a table cell: {broken['word']!r} "
            f"({broken['head']!r} / {broken['tail']!r})"
        )
    for double in probe.get("doubleSolutions", []):
        found.append(
            f"{double['widgets']} solution widgets for exercise {double['exercise']} "
            "(expected one)"
        )
    sample = probe.get("searchSample")
    if sample is not None and (tex := raw_math(sample)):
        found.append(f"search summaries quote raw TeX: {_snippet(tex[0])!r}")
    return [Problem(page, width, what) for what in found]


def _launch(playwright: Any, executable: str, profile: str) -> Any:
    """A persistent context on a fresh profile, so no state leaks between runs."""
    return playwright.chromium.launch_persistent_context(
        profile,
        executable_path=executable,
        headless=True,
        args=list(CHROMIUM_FLAGS),
        viewport={"width": WIDTHS[0], "height": HEIGHT},
        device_scale_factor=1,
        service_workers="block",
    )


def check_page(context: Any, root: Path, rel: Path, width: int) -> list[Problem]:
    """Open one page at one width and return everything wrong with it."""
    name = rel.as_posix()
    events: list[str] = []
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": HEIGHT})

    def on_console(msg: Any) -> None:
        # A failed load is reported once: by requestfailed, the route or the probe.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            loc = msg.location or {}
            where = Path(str(loc.get("url", ""))).name
            line = loc.get("lineNumber")
            at = f" ({where}:{line})" if where and line is not None else ""
            events.append(f"console error: {_snippet(msg.text, 160)}{at}")

    def on_route(route: Any) -> None:
        url = route.request.url
        events.append(f"network request blocked (must work offline): {url}")
        route.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda err: events.append(f"uncaught exception: {err}"))
    def on_failed(req: Any) -> None:
        # <img> failures are reported by the probe, with the src as written.
        if req.url.startswith("file:") and req.resource_type != "image":
            events.append(f"failed to load {req.url} ({req.failure})")

    page.on("requestfailed", on_failed)
    page.route(re.compile(r"^(https?|wss?)://"), on_route)
    try:
        page.goto((root / rel).resolve().as_uri(), wait_until="load",
                  timeout=PAGE_TIMEOUT_MS)
        probe = page.evaluate(PROBE_JS)
    except Exception as err:  # a page that cannot load or be measured is a problem
        what = f"could not be checked: {_snippet(str(err), 160)}"
        return [Problem(name, width, what)]
    finally:
        page.close()
    problems = [Problem(name, width, what) for what in dict.fromkeys(events)]
    return problems + problems_from_probe(name, width, probe)


def run(
    root: Path, executable: str, widths: Iterable[int] = WIDTHS
) -> tuple[list[Problem], dict[str, dict[int, int]], Pages]:
    """Check every page at every width; also returns problem counts per page/width."""
    from playwright.sync_api import sync_playwright

    pages = find_pages(root)
    problems = check_redirects(root, pages.redirects)
    counts: dict[str, dict[int, int]] = {}
    with sync_playwright() as pw, tempfile.TemporaryDirectory(
        prefix="cnnbook-chromium-"
    ) as profile:
        context = _launch(pw, executable, profile)
        try:
            for rel in pages.render:
                for width in widths:
                    found = check_page(context, root, rel, width)
                    counts.setdefault(rel.as_posix(), {})[width] = len(found)
                    problems.extend(found)
        finally:
            context.close()
    return problems, counts, pages


def summary(
    counts: dict[str, dict[int, int]],
    widths: Iterable[int],
    seconds: float,
    total: int,
) -> str:
    """A small table: one row per page, problems per width, and a total line."""
    widths = list(widths)
    name_w = max([len("page")] + [len(p) for p in counts])
    head = "page".ljust(name_w) + "".join(f"  {w:>6}px" for w in widths)
    rows = [head, "-" * len(head)]
    for page, per_width in counts.items():
        cells = "".join(
            f"  {('ok' if per_width.get(w, 0) == 0 else str(per_width[w])):>8}"
            for w in widths
        )
        rows.append(page.ljust(name_w) + cells)
    rows.append(
        f"{len(counts)} pages × {len(widths)} widths checked in {seconds:.1f} s: "
        + (f"{total} problems" if total else "no problems")
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: check the build directory, print problems and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", default="_build/html", type=Path,
                        help="the built book (default: _build/html)")
    args = parser.parse_args(argv)
    root: Path = args.html
    if not (root / "index.html").is_file() and not any(root.glob("*.html")):
        print(f"check_pages: no built book in {root}: run `make book` first",
              file=sys.stderr)
        return 2
    try:
        executable = find_chromium()
    except ChromiumNotFound as err:
        print(f"check_pages: {err}", file=sys.stderr)
        return 2
    start = time.monotonic()
    problems, counts, pages = run(root, executable)
    seconds = time.monotonic() - start
    for problem in problems:
        print(f"PROBLEM {problem}")
    skipped = ", ".join(f"{p} ({why})" for p, why in pages.skipped.items())
    redirects = ", ".join(f"{p} → {t}" for p, t in pages.redirects.items())
    print(summary(counts, WIDTHS, seconds, len(problems)))
    if redirects:
        print(f"redirects (target checked, not rendered): {redirects}")
    if skipped:
        print(f"skipped: {skipped}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
