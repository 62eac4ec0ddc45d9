"""Maintainer tooling shared by the Makefile, the notebook lint and CI.

- :func:`setup_cell_prefix` renders the Colab install lines every chapter starts with,
  from the one repository URL in ``_config.yml``.
- :func:`lint_notebook` holds a chapter to the house template (STYLE.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tools.execute_notebooks import merge_streams

ROOT = Path(__file__).resolve().parents[1]
TITLE_RE = re.compile(r"^# (\d\d) · \S")
MACHINE_PATH_RE = re.compile(r"(/work/|/root/|/home/\w|/tmp/|/Users/|[A-Z]:\\\\|site-packages)")
NOISE_RE = re.compile(r"Traceback|WARNING|Warning|E0000|I0000|oneDNN|cuda", re.IGNORECASE)
#: Widest line of code or text output that fits the book's code column.
MAX_COLUMNS = 80
#: Longest setup cell (Colab install, imports, helpers.setup()).
MAX_SETUP_LINES = 16
# Every chapter's title cell tells GPU readers how to scale the compute budget
# (helpers.notebook.budget() reads CNNBOOK_BUDGET whenever it is called, so
# %env in a cell above the setup cell is enough). Compared with whitespace
# collapsed, so the line may wrap anywhere in the cell.
BUDGET_LINE = ("**With a GPU**, put `%env CNNBOOK_BUDGET=4` in a cell above the setup "
               "cell to train on four times the epochs, data and steps; 1, the default, "
               "is what the book shows.")
#: The same place in a chapter that scales nothing (no helpers.scaled()/budget() call):
#: promising four times the training there would be false.
NO_BUDGET_LINE = ("**With a GPU** nothing here changes: this chapter trains nothing, so "
                  "`CNNBOOK_BUDGET` has no effect on it.")
SCALES_RE = re.compile(r"\b(scaled|budget)\(")
HARD_SEED_RE = re.compile(
    r"(default_rng|set_random_seed|random\.seed|set_seed|RandomState)\(\s*\d"
    r"|\bseed\s*=\s*\d"
)
#: Words that point at the book's internal sources instead of published work.
INTERNAL_RE = re.compile(
    r"\b(seed texts?|source texts?|the seeds\b|the seed's|seeds' "
    r"|an earlier version|earlier versions? of this)",
    re.IGNORECASE,
)
CHAPTER_MENTION_RE = re.compile(r"\bchapters?\s+(\d{1,2})\b", re.IGNORECASE)
MD_LINK_RE = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]*)\)")
DOC_ROLE_RE = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")
CHECK_CALL_RE = re.compile(r"\bcheck\(\s*[\"'](\d\d\.\d+)[\"']")
FENCE_RE = re.compile(r"^(`{3,}|:{3,})\s*\{(\w[\w-]*)\}(.*)$")


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


#: Extras a chapter may ask the Colab setup cell to install (`book.extras` in the
#: notebook's metadata); the others (`local`, `dev`) are for a reader's machine and CI.
COLAB_EXTRAS = ("deploy",)


def notebook_extras(nb: dict) -> tuple[str, ...]:
    """The extras a notebook's metadata asks for (``metadata.book.extras``), sorted.

    A chapter that needs more than the helpers (chapter 17's ONNX and LiteRT
    runtimes) lists the optional dependency groups of pyproject.toml here, and
    its setup cell then installs ``cnn-course-book[those] @ ...`` on Colab.
    """
    extras = nb.get("metadata", {}).get("book", {}).get("extras", [])
    if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
        raise ValueError(f"metadata.book.extras must be a list of names, got {extras!r}")
    return _known_extras(extras, "metadata.book.extras")


def _known_extras(extras, where: str) -> tuple[str, ...]:
    """`extras` sorted and without repeats; a ValueError naming any unknown one."""
    unknown = sorted(set(extras) - set(COLAB_EXTRAS))
    if unknown:
        raise ValueError(f"{where}: unknown extras {unknown}; a setup cell may install "
                         f"only {list(COLAB_EXTRAS)} (see pyproject.toml)")
    return tuple(sorted(set(extras)))


def setup_cell_prefix(config: dict | None = None, extras: tuple[str, ...] = ()) -> str:
    """The first lines of every chapter's first code cell (the Colab install).

    `extras` (from :func:`notebook_extras`) adds optional dependency groups to
    the install, e.g. ``cnn-course-book[deploy] @ git+...``.
    """
    extras = _known_extras(extras, "extras")
    repo = (config or book_config())["repository"]
    url, branch = repo["url"].rstrip("/"), repo.get("branch", "main")
    package = "cnn-course-book"
    if extras:
        package += "[" + ",".join(extras) + "]"
    return (
        "# Setup: on Colab, install the book's helpers (local runs have them).\n"
        "import sys\n"
        "\n"
        f'REPO = "{url}"\n'
        'if "google.colab" in sys.modules:\n'
        f'    !pip install -q "{package} @ git+{{REPO}}@{branch}"\n'
    )


def toc_files() -> list[str]:
    """Every file listed in ``_toc.yml`` (without extension), in book order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            files.append(ch["file"])
            files.extend(s["file"] for s in ch.get("sections", []))
    return files


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _mystnb(cell: dict) -> dict:
    return cell.get("metadata", {}).get("mystnb", {}) or {}


def _output_texts(out: dict) -> list[str]:
    """Text a reader sees from one output: stream text, text/plain, text/markdown."""
    texts = []
    if out.get("output_type") == "stream":
        t = out.get("text", "")
        texts.append("".join(t) if isinstance(t, list) else t)
    data = out.get("data", {})
    for mime in ("text/plain", "text/markdown"):
        if mime in data and not ({"image/png", "image/svg+xml", "text/html"} & data.keys()
                                 and mime == "text/plain"):
            v = data[mime]
            texts.append("".join(v) if isinstance(v, list) else v)
    return texts


def split_dropdowns(markdown: str) -> tuple[str, str]:
    """Split markdown into (text outside folds, text inside dropdown folds)."""
    outside, inside, stack = [], [], []
    for line in markdown.splitlines():
        m = FENCE_RE.match(line.strip())
        if m:
            opener = m.group(1)
            is_fold = m.group(2) == "dropdown" or "dropdown" in m.group(3)
            stack.append((opener, is_fold))
            (inside if any(f for _, f in stack) else outside).append(line)
            continue
        if stack and line.strip() == stack[-1][0]:
            (inside if any(f for _, f in stack) else outside).append(line)
            stack.pop()
            continue
        if stack and line.strip().startswith(":class:") and "dropdown" in line:
            stack[-1] = (stack[-1][0], True)
        (inside if any(f for _, f in stack) else outside).append(line)
    return "\n".join(outside), "\n".join(inside)


def _chapter_files() -> dict[int, str]:
    """Chapter number -> TOC path of every chapter notebook that exists."""
    found = {}
    for entry in toc_files():
        m = re.match(r"chapters/(\d\d)_", entry)
        if m and (ROOT / (entry + ".ipynb")).exists():
            found[int(m.group(1))] = entry
    return found


def _lint_links(markdown: str, nb_dir: Path, problems: list[str], where: str) -> None:
    chapters = _chapter_files()
    toc = set(toc_files())
    for bang, text, target in MD_LINK_RE.findall(markdown):
        if bang:
            if not text.strip():
                problems.append(f"{where}: image {target} has no alt text")
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        file = target.split("#", 1)[0]
        resolved = (nb_dir / file).resolve()
        if not resolved.exists():
            problems.append(f"{where}: link to {target}, which does not exist")
            continue
        if resolved.suffix in (".ipynb", ".md"):
            rel = resolved.relative_to(ROOT).with_suffix("").as_posix()
            if rel not in toc:
                problems.append(f"{where}: link to {target}, which is not in _toc.yml")
            for num in CHAPTER_MENTION_RE.findall(text):
                if chapters.get(int(num)) != rel:
                    problems.append(f"{where}: link text says chapter {num} "
                                    f"but points at {target}")
    for target in DOC_ROLE_RE.findall(markdown):
        rel = (nb_dir / target).resolve()
        if not any(rel.with_suffix(s).exists() for s in (".ipynb", ".md")):
            problems.append(f"{where}: {{doc}} reference to {target}, which does not exist")
    bare = MD_LINK_RE.sub("", DOC_ROLE_RE.sub("", markdown))
    for num in CHAPTER_MENTION_RE.findall(bare):
        n = int(num)
        what = ("make it a link to the chapter" if n in chapters
                else "that chapter does not exist yet; do not refer to it")
        problems.append(f"{where}: mentions chapter {n} as plain text: {what}")


def _lint_figures(i: int, cell: dict, problems: list[str]) -> None:
    images = [o for o in cell.get("outputs", [])
              if {"image/png", "image/svg+xml", "image/jpeg"} & o.get("data", {}).keys()]
    if not images:
        return
    meta = _mystnb(cell)
    if len(images) > 1:
        problems.append(f"code cell {i} shows {len(images)} figures; one figure per cell")
    fig, img = meta.get("figure", {}), meta.get("image", {})
    if not str(fig.get("caption", "")).strip():
        problems.append(f"code cell {i}: figure without a caption (mystnb.figure.caption)")
    if not str(fig.get("name", "")).startswith("fig-"):
        problems.append(f"code cell {i}: figure without a name 'fig-...' "
                        "(mystnb.figure.name), so it gets no number")
    if len(str(img.get("alt", "")).strip()) < 20:
        problems.append(f"code cell {i}: figure without alt text (mystnb.image.alt)")
    if not _tags(cell) & {"hide-input", "remove-input", "hide-cell"}:
        problems.append(f"code cell {i}: plotting code is not folded (tag hide-input)")


def _lint_exercises(code: list[dict], problems: list[str]) -> None:
    slots, solutions = set(), set()
    for i, cell in enumerate(code, 1):
        src = _text(cell)
        keys = CHECK_CALL_RE.findall(src)
        if not keys:
            continue
        outs = "".join(t for o in cell.get("outputs", []) for t in _output_texts(o))
        prompt = str(_mystnb(cell).get("code_prompt_show", ""))
        if "hide-cell" in _tags(cell):
            if "solution" not in prompt.lower():
                problems.append(f"code cell {i}: a folded solution needs "
                                "mystnb.code_prompt_show naming it a solution")
            if "assert check(" not in src:
                problems.append(f"code cell {i}: a solution must 'assert check(...)' "
                                "so it stays tested")
            solutions.update(keys)
        else:
            if not re.search(r"=\s*\.\.\.", src):
                problems.append(f"code cell {i}: an exercise check must start with an "
                                "empty slot (answer = ...)")
            if "not yet answered" not in outs:
                problems.append(f"code cell {i}: an exercise check must print "
                                "'not yet answered' in the stored output")
            slots.update(keys)
    if not slots:
        problems.append("no exercise check for the reader (answer = ...; check(...))")
    if not solutions:
        problems.append("no worked solution in a folded cell (tag hide-cell)")
    for key in sorted(slots - solutions):
        problems.append(f"exercise {key} has a check but no folded solution that tests it")


def lint_notebook(path: Path) -> list[str]:
    """Return every way the notebook departs from the chapter template (empty = clean)."""
    problems: list[str] = []
    nb = json.loads(Path(path).read_text())
    cells = nb.get("cells", [])
    if not cells or cells[0]["cell_type"] != "markdown":
        return ["the first cell must be a markdown title cell"]
    first = _text(cells[0])
    if not TITLE_RE.match(first):
        problems.append("title must read '# NN · Title'")
    if len(first.strip().splitlines()) < 3:
        problems.append("the title cell must say what the reader will be able to do")
    code = [c for c in cells if c["cell_type"] == "code" and _text(c).strip()]
    scales = any(SCALES_RE.search(_text(c)) for c in code)
    line = BUDGET_LINE if scales else NO_BUDGET_LINE
    if " ".join(line.split()) not in " ".join(first.split()):
        problems.append(f"the title cell must carry the GPU budget line: {line}")
    if not code:
        return problems + ["no code cells"]
    setup = _text(code[0])
    try:
        prefix = setup_cell_prefix(extras=notebook_extras(nb))
    except ValueError as err:
        return problems + [str(err)]
    if not setup.startswith(prefix):
        problems.append("the first code cell is not the Colab setup cell (make lint-setup-cells)")
    if "helpers.setup(" not in setup:
        problems.append("the setup cell must call helpers.setup()")
    headings = [line for c in cells if c["cell_type"] == "markdown" for line in _text(c).splitlines()]
    for needed in ("## Summary", "## Exercises"):
        if not any(h.strip() == needed for h in headings):
            problems.append(f"missing a '{needed}' section")
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append("not executed top to bottom in one run (execution counts must be 1..n)")
    for i, c in enumerate(code, 1):
        outs = c.get("outputs", [])
        if len(merge_streams(outs)) < len(outs):
            problems.append(f"code cell {i} stores one printout as several boxes "
                            "(re-execute with tools/execute_notebooks.py, which merges them)")
        for out in outs:
            if out.get("output_type") == "error":
                problems.append(f"code cell {i} stores an error ({out.get('ename')})")
            text = out.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            if out.get("name") == "stderr" and NOISE_RE.search(text):
                problems.append(f"code cell {i} stores stderr noise: {text[:80]!r}")
            blobs = [text] + [
                "".join(v) if isinstance(v, list) else str(v)
                for k, v in out.get("data", {}).items()
                if k.startswith("text/")
            ]
            if any(MACHINE_PATH_RE.search(b) for b in blobs):
                problems.append(f"code cell {i} output shows a machine-specific path")
    nb_dir = Path(path).resolve().parent
    if len(setup.strip().splitlines()) > MAX_SETUP_LINES:
        problems.append(f"the setup cell is longer than {MAX_SETUP_LINES} lines")
    for i, c in enumerate(code, 1):
        src = _text(c)
        for n, line in enumerate(src.splitlines(), 1):
            if len(line) > MAX_COLUMNS:
                problems.append(f"code cell {i} line {n} is {len(line)} characters "
                                f"(> {MAX_COLUMNS})")
        for out in c.get("outputs", []):
            for t in _output_texts(out):
                wide = [ln for ln in t.splitlines() if len(ln) > MAX_COLUMNS]
                if wide:
                    problems.append(f"code cell {i} prints a {len(wide[0])}-character "
                                    f"line (> {MAX_COLUMNS}): {wide[0][:40]!r}")
        if HARD_SEED_RE.search(src):
            problems.append(f"code cell {i} hard-codes a seed; derive it from "
                            "helpers.rng() / helpers.derived_seed() (CNNBOOK_SEED)")
        comments = "\n".join(ln.split("#", 1)[1] for ln in src.splitlines() if "#" in ln)
        if INTERNAL_RE.search(comments):
            problems.append(f"code cell {i} refers to internal sources "
                            f"({INTERNAL_RE.search(comments).group(0)!r})")
        _lint_figures(i, c, problems)
    _lint_exercises(code, problems)
    for j, c in enumerate(cells):
        if c["cell_type"] != "markdown":
            continue
        md = _text(c)
        where = f"markdown cell {j}"
        outside, _ = split_dropdowns(md)
        bold = re.findall(r"\*\*(?=\S)([^*]+?)(?<=\S)\*\*", outside)
        # \b: a bold **resolution** is not a solution
        if any(re.search(r"\bsolution", b, re.IGNORECASE) for b in bold) or re.search(
                r"^#+ .*\bsolution", outside, re.IGNORECASE | re.MULTILINE):
            problems.append(f"{where}: a solution stands outside a dropdown fold")
        if INTERNAL_RE.search(md):
            problems.append(f"{where} refers to internal sources "
                            f"({INTERNAL_RE.search(md).group(0)!r}); cite published work")
        _lint_links(md, nb_dir, problems, where)
        problems += interrupting_lists(md, where)
        for fence in re.finditer(r"^(`{3,}|:{3,})\{(figure|image)\}\s*(\S+)(.*?)^\1\s*$",
                                 md, re.MULTILINE | re.DOTALL):
            target, body = fence.group(3), fence.group(4)
            if not (nb_dir / target).exists():
                problems.append(f"{where}: figure {target} does not exist")
            if not re.search(r"^:alt:\s*\S", body, re.MULTILINE):
                problems.append(f"{where}: figure {target} has no :alt: text")
            if fence.group(2) == "figure" and not re.search(r"^:name:\s*fig-", body,
                                                            re.MULTILINE):
                problems.append(f"{where}: figure {target} has no ':name: fig-...'")
    rel = Path(path).resolve().relative_to(ROOT).with_suffix("").as_posix()
    if rel not in toc_files():
        problems.append(f"{rel} is not listed in _toc.yml")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != "python3":
        problems.append("kernelspec must be python3")
    return problems


# ------------------------------------------------------------ reader notebooks

#: MyST left in rendered Markdown: a role (``{numref}`` rendered as ``{numref}<code>``),
#: a directive fence, a ``(label)=`` target, a MyST comment.
MYST_LEFT_RES = [
    (re.compile(r"\{[a-z][\w:+-]*\}(?:<code>|`)"), "a MyST role"),
    (re.compile(r"^\s*:{3,}", re.MULTILINE), "a ':::' directive fence"),
    (re.compile(r"\{(?:figure|dropdown|note|admonition|glue|eval|math|eq|numref|cite|doc|"
                r"ref|toctree|bibliography)[}:]"), "a MyST directive or role name"),
    (re.compile(r"(?:^|<p>)\s*\([\w:.-]+\)=\s*(?:$|</p>)", re.MULTILINE),
     "a '(label)=' target"),
    (re.compile(r"(?:^|<p>)%\s", re.MULTILINE), "a MyST comment ('% ...')"),
    # markdown-it, like other careful renderers, refuses some targets (data:image/svg+xml,
    # javascript:) and then prints the Markdown image as text.
    (re.compile(r"!\[[^\]]*\]\("), "Markdown image syntax this renderer refused"),
]
DETAILS_RE = re.compile(r"<details\b[^>]*>.*?</details>", re.DOTALL)
SRC_RE = re.compile(r"""\b(src|href)\s*=\s*["']([^"']*)["']""")
SOLUTION_TEXT_RE = re.compile(r"\bsolution\b", re.IGNORECASE)


def interrupting_lists(markdown: str, where: str) -> list[str]:
    """Lines ``1. ...`` / ``1) ...`` that directly follow a paragraph line.

    CommonMark lets a list starting at 1 interrupt a paragraph, so a sentence
    wrapped before "1. Stripes ..." ends the paragraph there and shows a numbered
    list (markdown-it, MyST, Jupyter, Colab and GitHub alike). Leave a blank line
    before a list, or rewrap the sentence so no line starts with "1.".
    """
    from markdown_it import MarkdownIt

    problems = []
    tokens = MarkdownIt("commonmark").parse(markdown)
    lines = markdown.split("\n")
    last_paragraph: dict[int, tuple[int, str]] = {}  # nesting level -> (end line, first line)
    for token in tokens:
        if token.type == "paragraph_open" and token.map:
            last_paragraph[token.level] = (token.map[1], lines[token.map[0]].strip())
        elif token.type == "ordered_list_open" and token.map:
            end, first = last_paragraph.get(token.level, (-1, ""))
            # A MyST directive fence (":::{note}") is a paragraph to CommonMark only.
            if end == token.map[0] and not re.match(r"^(:{3,}|`{3,}|~{3,})", first):
                line = lines[token.map[0]].strip()
                problems.append(f"{where}: the line {line[:40]!r} directly after a paragraph "
                                "line starts a numbered list (CommonMark): put a blank line "
                                "before a list, or rewrap so no line starts with '1.'")
    return problems


def _visible_text(html_text: str) -> str:
    """Rendered HTML without its code (code is shown as written, MyST or not)."""
    text = re.sub(r"<pre\b.*?</pre>", "", html_text, flags=re.DOTALL)
    return re.sub(r"<code>.*?</code>", lambda m: "<code></code>", text, flags=re.DOTALL)


def _check_url(kind: str, url: str, where: str, problems: list[str]) -> None:
    import base64

    if url.startswith("data:"):
        if kind != "src":
            problems.append(f"{where}: a link to a data: URI")
            return
        head, _, payload = url.partition(",")
        try:
            raw = base64.b64decode(payload, validate=True) if head.endswith(";base64") else b""
        except ValueError:
            raw = b""
        if not raw:
            problems.append(f"{where}: image data: URI does not decode ({head})")
        elif "svg" in head and b"<svg" not in raw[:1000]:
            problems.append(f"{where}: image data: URI {head} holds no <svg>")
        return
    if kind == "src" and not url.startswith("https://"):
        problems.append(f"{where}: image {url[:60]} would not load outside the "
                        "repository (embed it as a data: URI or use an https URL)")
    if kind == "href" and not re.match(r"^(https?://|mailto:)", url):
        problems.append(f"{where}: relative link {url[:60]} (points nowhere in Colab "
                        "or a downloaded notebook)")


def lint_markdown_for_readers(markdown: str, where: str) -> list[str]:
    """What a plain CommonMark renderer (Jupyter, Colab, GitHub) would show wrong."""
    from markdown_it import MarkdownIt

    problems: list[str] = []
    md = MarkdownIt("commonmark")
    rendered = md.render(markdown)
    visible = _visible_text(rendered)
    for pattern, what in MYST_LEFT_RES:
        m = pattern.search(visible)
        if m:
            problems.append(f"{where}: {what} is left as raw text: {m.group(0).strip()!r}")
    tokens = md.parse(markdown)
    for token in tokens:
        if token.type == "fence" and token.info.strip().startswith("{"):
            problems.append(f"{where}: a MyST directive fence ```{token.info.strip()}")
        for child in token.children or []:
            if child.type == "image":
                _check_url("src", child.attrGet("src") or "", where, problems)
                if not child.content.strip():
                    problems.append(f"{where}: an image without alt text")
            elif child.type == "link_open":
                _check_url("href", child.attrGet("href") or "", where, problems)
    raw_html = "".join(t.content for t in tokens if t.type == "html_block") + "".join(
        c.content for t in tokens for c in t.children or [] if c.type == "html_inline")
    for kind, url in SRC_RE.findall(raw_html):
        _check_url(kind, url, where, problems)
    for tag in re.findall(r"<img\b[^>]*>", raw_html):
        if not re.search(r"""\balt\s*=\s*["'][^"']*\S""", tag):
            problems.append(f"{where}: an image without alt text")
    problems += interrupting_lists(markdown, where)
    for tag in re.findall(r"<img\b[^>]*>", raw_html):
        if re.search(r"""\bsrc\s*=\s*["']data:image/svg""", tag):
            problems.append(f"{where}: an SVG data: image, which Colab's Markdown does not "
                            "show (embed the PNG copy: tools/diagram_png.py)")
    if rendered.count("<details") != rendered.count("</details>"):
        problems.append(f"{where}: unbalanced <details> fold")
    for fold in DETAILS_RE.findall(rendered):
        body = re.sub(r"^<details\b[^>]*>\s*(<summary>.*?</summary>)?", "", fold,
                      flags=re.DOTALL)
        if not re.search(r"<(p|ul|ol|pre|blockquote|img|h\d|table)\b", body):
            problems.append(f"{where}: a <details> fold whose inside is not rendered as "
                            "Markdown (blank lines after <summary> and before </details>)")
    outside = DETAILS_RE.sub("", rendered)
    for m in re.finditer(r"<(strong|h\d)>(.*?)</\1>", outside, re.DOTALL):
        if SOLUTION_TEXT_RE.search(m.group(2)):
            problems.append(f"{where}: a solution stands outside a <details> fold: "
                            f"{m.group(2)[:50]!r}")
    return problems


def lint_reader_notebook(path: Path) -> list[str]:
    """Every way a reader notebook (notebooks/) would show badly in Jupyter or Colab."""
    nb = json.loads(Path(path).read_text())
    problems: list[str] = []
    for j, cell in enumerate(nb.get("cells", [])):
        src = _text(cell)
        if cell["cell_type"] == "markdown":
            problems += lint_markdown_for_readers(src, f"markdown cell {j}")
            continue
        if cell["cell_type"] != "code":
            continue
        meta = cell.get("metadata", {})
        folded = "hide-cell" in _tags(cell)
        if folded or "assert check(" in src:
            where = f"code cell {j} (a solution)"
            if not folded:
                problems.append(f"{where}: not folded (tag hide-cell)")
            if not re.match(r"#@title Solution to exercise \d+\n", src):
                problems.append(f"{where}: first line is not '#@title Solution to exercise N'")
            if meta.get("cellView") != "form":
                problems.append(f"{where}: metadata.cellView is not 'form' (Colab shows it)")
            if not (meta.get("jupyter") or {}).get("source_hidden"):
                problems.append(f"{where}: metadata.jupyter.source_hidden is not set "
                                "(JupyterLab shows it)")
            if cell.get("outputs"):
                problems.append(f"{where}: stores outputs, which show the answer "
                                "unfolded in Colab and GitHub")
        if "hide-input" in _tags(cell) and not folded:
            if not (meta.get("jupyter") or {}).get("source_hidden"):
                problems.append(f"code cell {j}: folded in the HTML (hide-input) but not in "
                                "Jupyter (metadata.jupyter.source_hidden)")
            if not src.startswith("#@title ") or meta.get("cellView") != "form":
                problems.append(f"code cell {j}: folded in the HTML (hide-input) but not in "
                                "Colab (a first line '#@title ...' and metadata.cellView "
                                "'form')")
    return problems
