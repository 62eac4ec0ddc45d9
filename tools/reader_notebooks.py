"""Reader notebooks: the chapters as Jupyter, Colab and GitHub show them.

The chapters (``chapters/NN_*.ipynb``) are written in MyST for the HTML book:
figure directives, ``{numref}`` and ``{cite:p}`` roles, dropdown folds, links to
other chapters' files. A plain CommonMark renderer (JupyterLab, Notebook 7, Colab,
GitHub) shows all of that as raw text. This module turns each chapter, outputs
kept, into a *reader notebook* under ``notebooks/`` (same file name) that those
renderers show as the HTML book does:

- ``:::{figure} ../img/x.svg`` becomes the image itself, an ``<img>`` tag whose
  ``data:`` URI embeds the file (it loads in Colab, offline, in a downloaded
  notebook), with its alt text and a
  caption line "**Figure 5.3.** ...". An SVG is embedded as its PNG copy
  ``img/png/x.png`` (Colab's Markdown shows no SVG ``data:`` image; see
  tools/diagram_png.py), drawn at 2× and shown at the SVG's viewBox width; a
  missing or stale copy stops the generator, naming the command that redraws it.
  A code cell whose figure the HTML captions
  (``metadata.mystnb.figure``) is followed by a markdown cell with that caption
  and, folded under "Description of Figure N.k", the figure's alt text
  (``mystnb.image.alt``): neither JupyterLab nor Colab gives an output image alt
  text, so this is where a screen reader finds it.
  Figures are numbered per chapter in page order, as the HTML book numbers them
  (tools/sphinx_ext.py); a test compares the two.
- ``{numref}`` becomes "Figure 5.3"; ``{cite:p}``/``{cite:t}`` become
  "(Russakovsky et al., 2015)" / "Russakovsky et al. (2015)" and the notebook ends
  with a "References" cell listing the works it cites (from references.bib). Labels
  come from tools/citations.py, as the HTML bibliography's do: two works with the
  same label get years 2016a, 2016b (over the whole bibliography).
- links to other chapters and ``{doc}`` become absolute links to their reader
  notebooks on Colab; links to other files of the repository go to GitHub.
- dropdowns become ``<details>`` folds and admonitions block quotes.
- folded solution cells (tag ``hide-cell``) get a first line
  ``#@title Solution to exercise N`` and ``metadata.cellView = "form"`` (Colab
  folds them) and ``metadata.jupyter.source_hidden`` (JupyterLab, Notebook 7);
  their stored outputs, which show the answers, are left out (no renderer but
  JupyterLab can fold an output; running the cell shows it). Plotting cells folded
  in the HTML (``hide-input``) fold the same way, titled
  ``#@title Plotting code for Figure N.k`` (the figure they draw), their outputs kept.

Anything MyST-only without a reader form (another directive or role, an ``{eq}``
reference ...) stops the generator with an error naming the chapter and what to
do, rather than reaching a reader as raw text.

``python -m tools.reader_notebooks`` writes notebooks/ (each file atomically;
nothing is written unless every chapter converts). ``--check`` writes nothing and
exits 1 listing the reader notebooks that are missing, stale or left over.
``--check-html _build/html`` compares every figure number of the built HTML book
(captions and numbered references) with the reader notebooks' (``make book-strict``).
The output depends only on the chapters, references.bib, img/ and _config.yml.
"""

from __future__ import annotations

import base64
import copy
import html
import json
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from tools.atomic import write_atomic
from tools.book import ROOT, book_config, toc_files
from tools.citations import bibliography_labels
from tools.diagram_png import DiagramPngError, png_path, png_problem, viewbox_size

OUT_DIR = "notebooks"
ADMONITIONS = {
    "note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important",
    "warning": "Warning", "caution": "Caution", "attention": "Attention",
    "danger": "Danger", "error": "Error", "seealso": "See also", "admonition": "",
}
IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".gif": "image/gif"}
FENCE_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_INFO_RE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<args>.*)$")
OPTION_RE = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
TARGET_RE = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
#: A role (``{name}`text```) or an inline code span, whichever comes first.
INLINE_RE = re.compile(r"\{(?P<role>[\w:+-]+)\}(?P<rt>`+)(?P<body>.+?)(?P=rt)"
                       r"|(?P<ct>`+)(?P<code>.+?)(?P=ct)", re.DOTALL)
LINK_RE = re.compile(r"(?P<bang>!?)\[(?P<text>(?:[^\[\]]|\[[^\]]*\])*)\]"
                     r"\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")
EXPLICIT_RE = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
PLOT_TITLE = "Plotting code"
SOLUTION_RE = re.compile(r"solution to exercise (\d+)", re.IGNORECASE)
URL_RE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


class ReaderError(ValueError):
    """A chapter holds something the reader notebook cannot show; says what to do."""


# --------------------------------------------------------------------------- the book


@dataclass
class Book:
    """What converting any chapter needs: config, bibliography, figure numbers."""

    config: dict
    bib: object  # pybtex BibliographyData
    root: Path = ROOT
    #: figure name -> (chapter file stem, number such as "5.3")
    figures: dict[str, tuple[str, str]] = field(default_factory=dict)

    @cached_property
    def labels(self) -> dict[str, tuple[str, str]]:
        """Key -> (who, year) of every entry, years suffixed a, b, ... where two
        entries share a label, over the whole bibliography as the HTML book does."""
        return bibliography_labels(self.bib.entries)

    @property
    def _repo(self) -> tuple[str, str]:
        repo = self.config["repository"]
        return repo["url"].rstrip("/"), repo.get("branch", "main")

    def colab_url(self, relpath: str) -> str:
        """Colab's URL of a notebook of the repository (``relpath`` from its root)."""
        url, branch = self._repo
        slug = url.removeprefix("https://github.com/")
        return f"https://colab.research.google.com/github/{slug}/blob/{branch}/{relpath}"

    def blob_url(self, relpath: str) -> str:
        """GitHub's page of any other file of the repository."""
        url, branch = self._repo
        return f"{url}/blob/{branch}/{relpath}"


def load_bibliography(path: Path):
    from pybtex.database import parse_file

    return parse_file(str(path))


def chapter_entries(root: Path = ROOT) -> list[str]:
    """The chapters of the book (``chapters/NN_name``, no suffix), in toc order."""
    if root == ROOT:
        entries = toc_files()
    else:  # a test's miniature book: every chapter file there
        entries = [p.relative_to(root).with_suffix("").as_posix()
                   for p in sorted((root / "chapters").glob("*.ipynb"))]
    return [e for e in entries if re.match(r"chapters/\d\d_", e)]


def chapter_number(stem: str) -> int:
    m = re.match(r"(\d\d)_", stem)
    if not m:
        raise ReaderError(f"{stem}: a chapter's file name must start with its number NN_")
    return int(m.group(1))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


# ------------------------------------------------------------------ block structure


@dataclass
class Directive:
    name: str
    args: str
    options: dict[str, str]
    body: list[str]
    indent: str


def parse_blocks(lines: list[str], where: str) -> list[object]:
    """Split markdown lines into text lines (str), code fences (tuple of lines)
    and MyST directives (:class:`Directive`), in order."""
    out: list[object] = []
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        fence, info, indent = m.group("fence"), m.group("info").strip(), m.group("indent")
        d = DIRECTIVE_INFO_RE.match(info)
        if fence[0] == ":" and not d:
            raise ReaderError(f"{where}: a ':::' fence without a {{directive}}: {lines[i]!r}")
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        if j == len(lines):
            raise ReaderError(f"{where}: the fence {lines[i].strip()!r} is never closed")
        inner = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip()
                 for ln in lines[i + 1:j]]
        if d:
            options, body = _split_options(inner)
            out.append(Directive(d.group("name"), d.group("args").strip(), options, body,
                                 indent))
        else:
            out.append(tuple(lines[i:j + 1]))
        i = j + 1
    return out


def _split_options(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    k = 0
    if lines and lines[0].strip() == "---":  # YAML options block
        import yaml

        end = next((n for n in range(1, len(lines)) if lines[n].strip() == "---"), None)
        if end is not None:
            options = {str(a): str(b) for a, b in
                       (yaml.safe_load("\n".join(lines[1:end])) or {}).items()}
            return options, lines[end + 1:]
    while k < len(lines):
        m = OPTION_RE.match(lines[k].strip())
        if not m:
            break
        options[m.group("key")] = m.group("value").strip()
        k += 1
    return options, lines[k:]


def figure_names(markdown: str, where: str) -> list[str]:
    """Names of the figure directives in ``markdown``, in page order (nested too)."""
    names = []

    def walk(blocks):
        for b in blocks:
            if isinstance(b, Directive):
                if b.name == "figure":
                    if not b.options.get("name"):
                        raise ReaderError(f"{where}: figure {b.args} has no ':name: fig-...'"
                                          " (unnamed figures get no number)")
                    names.append(b.options["name"])
                walk(parse_blocks(b.body, where))

    walk(parse_blocks(markdown.split("\n"), where))
    return names


def number_figures(nb: dict, stem: str) -> dict[str, str]:
    """Figure name -> "N.k" for one chapter: markdown figures and captioned code-cell
    figures counted together in page order, as the HTML book numbers them."""
    n = chapter_number(stem)
    names: list[str] = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            names += figure_names(_source(cell), f"{stem}: markdown cell {i}")
        elif cell["cell_type"] == "code":
            fig = (cell.get("metadata", {}).get("mystnb") or {}).get("figure")
            if fig:
                if not fig.get("name"):
                    raise ReaderError(f"{stem}: code cell {i} has a figure caption but no "
                                      "mystnb.figure.name (unnamed figures get no number)")
                names.append(fig["name"])
    dupes = sorted({x for x in names if names.count(x) > 1})
    if dupes:
        raise ReaderError(f"{stem}: figure name {dupes[0]} is used twice")
    return {name: f"{n}.{k}" for k, name in enumerate(names, 1)}


# ----------------------------------------------------------------------- citations


def author_year(book: "Book", key: str) -> tuple[str, str]:
    """("He et al.", "2016a") for an entry of the book's bibliography: the label the
    HTML bibliography gives it (tools/citations.py), a/b suffix included."""
    entry = book.bib.entries[key]
    if not (entry.persons.get("author") or entry.persons.get("editor")
            or entry.fields.get("organization")):
        raise ReaderError(f"references.bib: {key} has no author, editor or organization")
    if not entry.fields.get("year"):
        raise ReaderError(f"references.bib: {key} has no year")
    return book.labels[key]


def _reference_text(bib, key: str) -> str:
    """One entry of references.bib as Markdown, as the HTML bibliography words it."""
    from pybtex.plugin import find_plugin

    style = find_plugin("pybtex.style.formatting", "unsrt")()
    formatted = next(iter(style.format_entries([bib.entries[key]])))
    return " ".join(formatted.text.render_as("markdown").split("\n"))


# ------------------------------------------------------------------ one chapter


class ChapterConverter:
    """Converts the markdown and cells of one chapter; collects what it cites."""

    def __init__(self, book: Book, stem: str):
        self.book, self.stem = book, stem
        self.number = chapter_number(stem)
        self.cited: list[str] = []
        self.where = stem

    # -- inline ------------------------------------------------------------------

    def _cite(self, role: str, body: str) -> str:
        keys = [k.strip() for k in body.split(",") if k.strip()]
        if not keys:
            raise ReaderError(f"{self.where}: empty {{{role}}} citation")
        parts = []
        for key in keys:
            if key not in self.book.bib.entries:
                raise ReaderError(f"{self.where}: {{{role}}}`{key}` cites {key}, which is not "
                                  "in references.bib: add the entry there or fix the key")
            if key not in self.cited:
                self.cited.append(key)
            parts.append(author_year(self.book, key))
        if role == "cite:t":
            return "; ".join(f"{who} ({year})" for who, year in parts)
        return "(" + "; ".join(f"{who}, {year}" for who, year in parts) + ")"

    def _numref(self, body: str) -> str:
        m = EXPLICIT_RE.match(body)
        text, target = (m.group("text"), m.group("target")) if m else ("", body.strip())
        if target not in self.book.figures:
            raise ReaderError(f"{self.where}: {{numref}}`{body}` refers to {target}, which is "
                              "no figure of the book (figure names: ':name: fig-...' or "
                              "mystnb.figure.name)")
        stem, number = self.book.figures[target]
        label = (text.replace("%s", number).replace("{number}", number) if text
                 else f"Figure {number}")
        if stem == self.stem:
            return label
        return f"[{label}]({self.book.colab_url(f'{OUT_DIR}/{stem}.ipynb')})"

    def _title_of(self, rel: str) -> str:
        for suffix in (".ipynb", ".md"):
            path = self.book.root / (rel + suffix)
            if path.is_file():
                text = (_source(json.loads(path.read_text())["cells"][0])
                        if suffix == ".ipynb" else path.read_text())
                for line in text.splitlines():
                    if line.startswith("# "):
                        return line[2:].strip()
        raise ReaderError(f"{self.where}: cannot find the title of {rel}")

    def _doc(self, body: str) -> str:
        m = EXPLICIT_RE.match(body)
        text, target = (m.group("text"), m.group("target")) if m else ("", body.strip())
        rel = self._resolve(target, doc=True)
        return f"[{text or self._title_of(rel)}]({self._url_of(rel, '')})"

    def _resolve(self, target: str, doc: bool = False) -> str:
        """``target`` (relative to chapters/, or /-rooted) as a path from the root."""
        base = self.book.root if target.startswith("/") else self.book.root / "chapters"
        path = (base / target.lstrip("/")).resolve()
        try:
            rel = path.relative_to(self.book.root.resolve()).as_posix()
        except ValueError:
            raise ReaderError(f"{self.where}: link {target} points outside the book") from None
        if doc:
            if not any((self.book.root / (rel + s)).is_file() for s in (".ipynb", ".md")):
                raise ReaderError(f"{self.where}: {{doc}}`{target}` names no page of the book")
        elif not path.exists():
            raise ReaderError(f"{self.where}: link to {target}, which does not exist")
        return rel

    def _url_of(self, rel: str, anchor: str) -> str:
        """Absolute URL of a repository file; chapters go to their reader notebook."""
        stem = Path(rel).name.removesuffix(".ipynb")
        if re.match(r"chapters/\d\d_", rel) and (
                rel.endswith(".ipynb") or (self.book.root / (rel + ".ipynb")).is_file()):
            return self.book.colab_url(f"{OUT_DIR}/{stem}.ipynb") + anchor
        if not Path(rel).suffix and (self.book.root / (rel + ".md")).is_file():
            rel += ".md"
        return self.book.blob_url(rel) + anchor

    def _embedded(self, rel: str, alt: str) -> str:
        """The ``<img>`` tag embedding the repository image ``rel``.

        An SVG diagram is embedded as its PNG copy (tools/diagram_png.py: Colab's
        Markdown shows no ``data:image/svg+xml`` image), drawn at 2× and shown at the
        SVG's viewBox width, so it is as large as in the HTML book and sharp on
        high-density screens.
        """
        path = self.book.root / rel
        mime = IMAGE_TYPES.get(path.suffix.lower())
        if mime is None:
            raise ReaderError(f"{self.where}: image {rel} is not one of "
                              f"{', '.join(sorted(IMAGE_TYPES))}")
        width = None
        if path.suffix.lower() == ".svg":
            problem = png_problem(path, self.book.root)
            if problem:
                raise ReaderError(f"{self.where}: {rel} is embedded as a PNG, but {problem}")
            try:
                width = round(viewbox_size(path)[0])
            except DiagramPngError as err:
                raise ReaderError(f"{self.where}: {err}") from None
            path, mime = png_path(path), "image/png"
        src = f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
        return _img_tag(src, alt, width)

    def _link(self, m: re.Match) -> str:
        target = m.group("target")
        if URL_RE.match(target) or target.startswith("#"):
            return m.group(0)
        file, _, anchor = target.partition("#")
        rel = self._resolve(file)
        if m.group("bang"):
            return self._embedded(rel, m.group("text"))
        return (f"[{m.group('text')}]({self._url_of(rel, '#' + anchor if anchor else '')}"
                f"{m.group('title') or ''})")

    def inline(self, text: str) -> str:
        """Roles and relative links in a run of Markdown text, resolved."""
        out, pos = [], 0
        for m in INLINE_RE.finditer(text):
            out.append(text[pos:m.start()])
            pos = m.end()
            if m.group("code") is not None:
                out.append(m.group(0))
                continue
            role, body = m.group("role"), m.group("body")
            if role in ("cite:p", "cite:t", "cite"):
                out.append(self._cite("cite:t" if role == "cite:t" else "cite:p", body))
            elif role == "numref":
                out.append(self._numref(body))
            elif role == "doc":
                out.append(self._doc(body))
            elif role == "math":
                out.append(f"${body}$")
            elif role in ("sub", "sup"):
                out.append(f"<{role}>{html.escape(body)}</{role}>")
            elif role == "ref" and EXPLICIT_RE.match(body):
                out.append(EXPLICIT_RE.match(body).group("text"))
            else:
                raise ReaderError(f"{self.where}: the role {{{role}}}`{body}` has no reader "
                                  "form: write it in plain Markdown or teach "
                                  "tools/reader_notebooks.py to convert it")
        out.append(text[pos:])
        joined = "".join(out)
        # Links outside inline code only: split on code spans again.
        pieces, pos = [], 0
        for m in re.finditer(r"(`+).+?\1", joined, re.DOTALL):
            pieces.append(LINK_RE.sub(self._link, joined[pos:m.start()]))
            pieces.append(m.group(0))
            pos = m.end()
        pieces.append(LINK_RE.sub(self._link, joined[pos:]))
        return "".join(pieces)

    # -- blocks ------------------------------------------------------------------

    def caption(self, name: str, caption: str) -> str:
        stem, number = self.book.figures[name]
        return f"**Figure {number}.** {self.inline(caption.strip())}"

    def description(self, name: str, alt: str) -> str:
        """A code-cell figure's alt text (``mystnb.image.alt``) as a fold after its
        caption: JupyterLab and Colab give an output image no alt text."""
        number = self.book.figures[name][1]
        return (f"<details>\n<summary>Description of Figure {number} (text alternative)"
                f"</summary>\n\n{html.escape(' '.join(alt.split()), quote=False)}\n\n</details>")

    def _figure(self, d: Directive) -> list[str]:
        name = d.options.get("name", "")
        if name not in self.book.figures:
            raise ReaderError(f"{self.where}: figure {d.args} has no ':name: fig-...' or one "
                              "the book does not know")
        alt = d.options.get("alt", "").strip()
        if not alt:
            raise ReaderError(f"{self.where}: figure {d.args} has no :alt: text")
        tag = (_img_tag(d.args, alt) if URL_RE.match(d.args)
               else self._embedded(self._resolve(d.args), alt))
        caption = "\n".join(d.body).strip()
        out = ["", tag, ""]
        if caption:
            out += [self.caption(name, " ".join(caption.split("\n"))), ""]
        return out

    def _fold(self, title: str, body: list[str], is_open: bool) -> list[str]:
        from markdown_it import MarkdownIt

        summary = MarkdownIt("commonmark").renderInline(self.inline(title)).strip()
        return ([f"<details{' open' if is_open else ''}>", f"<summary>{summary}</summary>", ""]
                + self.block(body) + ["", "</details>"])

    def _admonition(self, d: Directive) -> list[str]:
        title = d.args if d.name == "admonition" else ADMONITIONS[d.name]
        if "dropdown" in d.options.get("class", "").split():
            return self._fold(title or "Details", d.body, "open" in d.options)
        inner = self.block(d.body)
        quoted = [f"> **{self.inline(title)}**" if title else ">", ">"]
        quoted += [f"> {ln}" if ln.strip() else ">" for ln in inner]
        return quoted

    def block(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        in_math = False
        for b in parse_blocks(lines, self.where):
            if isinstance(b, str):
                if b.count("$$") % 2:
                    in_math = not in_math
                # A (label)= target or a MyST comment line: the HTML shows neither.
                if not in_math and (TARGET_RE.match(b) or b.startswith("%")):
                    continue
                out.append(b)
                continue
            if isinstance(b, tuple):
                out.extend(b)
                continue
            if b.name == "figure":
                rendered = self._figure(b)
            elif b.name == "dropdown":
                rendered = self._fold(b.args or "Details", b.body, "open" in b.options)
            elif b.name in ADMONITIONS:
                rendered = self._admonition(b)
            elif b.name == "math":
                rendered = ["$$", *b.body, "$$"]
            else:
                raise ReaderError(f"{self.where}: the directive {{{b.name}}} has no reader "
                                  "form: write it in plain Markdown or teach "
                                  "tools/reader_notebooks.py to convert it")
            out.extend(b.indent + ln if ln else ln for ln in rendered)
        return out

    def markdown(self, text: str) -> str:
        """A whole markdown cell: blocks first, then inline markup of the text runs."""
        converted = self.block(text.split("\n"))
        # Inline markup spans lines within a paragraph, so convert text runs between
        # code fences as a whole (code fences are kept verbatim).
        result, run, fence = [], [], None
        for line in converted:
            m = FENCE_RE.match(line)
            if fence is None and m and m.group("fence")[0] in "`~":
                result.append(self.inline("\n".join(run)) if run else None)
                run, fence = [], re.compile(
                    rf"^[ \t]*{re.escape(m.group('fence')[0])}{{{len(m.group('fence'))},}}\s*$")
                result.append(line)
            elif fence is not None:
                result.append(line)
                if fence.match(line):
                    fence = None
            else:
                run.append(line)
        if run:
            result.append(self.inline("\n".join(run)))
        text = "\n".join(x for x in result if x is not None)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")

    # -- cells -------------------------------------------------------------------

    def references_cell(self) -> dict | None:
        if not self.cited:
            return None
        rows = []
        for key in self.cited:
            who, year = author_year(self.book, key)
            rows.append((who.lower(), year, key, f"- **{who} ({year}).** "
                         + _reference_text(self.book.bib, key)))
        lines = ["## References", "",
                 "The works this chapter cites, from the book's bibliography.", ""]
        lines += [row[-1] for row in sorted(rows)]
        return _markdown_cell("references", "\n".join(lines))

    def convert(self, nb: dict) -> dict:
        """The reader notebook of the chapter ``nb`` (a new dict; ``nb`` unchanged)."""
        reader = copy.deepcopy(nb)
        cells = []
        for i, cell in enumerate(reader["cells"]):
            if cell["cell_type"] == "markdown":
                self.where = f"{self.stem}: markdown cell {i}"
                cell["source"] = _lines(self.markdown(_source(cell)))
                cells.append(cell)
                continue
            self.where = f"{self.stem}: code cell {i}"
            if cell["cell_type"] == "code":
                cells.append(self._code(cell))
                fig = (cell.get("metadata", {}).get("mystnb") or {}).get("figure")
                if fig and str(fig.get("caption", "")).strip():
                    cell_id = cell.get("id") or f"cell{i}"
                    text = self.caption(fig["name"], fig["caption"])
                    alt = str((cell["metadata"]["mystnb"].get("image") or {}).get("alt", ""))
                    if alt.strip():
                        text += "\n\n" + self.description(fig["name"], alt)
                    cells.append(_markdown_cell(f"{cell_id}-caption", text))
            else:
                cells.append(cell)
        self.where = self.stem
        refs = self.references_cell()
        if refs:
            cells.append(refs)
        reader["cells"] = cells
        return reader

    def _code(self, cell: dict) -> dict:
        meta = cell.setdefault("metadata", {})
        tags = set(meta.get("tags", []))
        removed = sorted(t for t in tags if t.startswith("remove-"))
        if removed:
            raise ReaderError(f"{self.where}: tag {removed[0]} has no reader form "
                              "(the cell would still show in Jupyter)")
        if "hide-cell" in tags:
            prompt = str((meta.get("mystnb") or {}).get("code_prompt_show", ""))
            m = SOLUTION_RE.search(prompt)
            if not m:
                raise ReaderError(f"{self.where}: a folded cell (hide-cell) needs "
                                  "mystnb.code_prompt_show 'Show the solution to exercise N'")
            src = _source(cell)
            title = f"#@title Solution to exercise {m.group(1)}"
            if not src.startswith("#@title"):
                src = f"{title}\n{src}"
            cell["source"] = _lines(src)
            meta["cellView"] = "form"
            meta.setdefault("jupyter", {})["source_hidden"] = True
            # Its output is the answer, and Colab and GitHub cannot fold an output:
            # the reader sees it by running the folded cell. nbval (make test-colab)
            # then has nothing to compare it with: it still runs and asserts.
            cell["outputs"], cell["execution_count"] = [], None
            if "nbval-ignore-output" not in tags:
                meta["tags"] = [*meta.get("tags", []), "nbval-ignore-output"]
        elif "hide-input" in tags:
            # Colab ignores source_hidden; a form cell shows only its title there.
            fig = (meta.get("mystnb") or {}).get("figure") or {}
            title = PLOT_TITLE
            if fig.get("name") in self.book.figures:
                title += f" for Figure {self.book.figures[fig['name']][1]}"
            src = _source(cell)
            if not src.startswith("#@title"):
                src = f"#@title {title}\n{src}"
            cell["source"] = _lines(src)
            meta["cellView"] = "form"
            meta.setdefault("jupyter", {})["source_hidden"] = True
        if "hide-output" in tags:
            meta.setdefault("jupyter", {})["outputs_hidden"] = True
        return cell


def _img_tag(src: str, alt: str, width: int | None = None) -> str:
    """An image as an HTML tag on a line of its own (an HTML block in CommonMark).

    Not Markdown's ``![alt](src)``, which cannot give a width (and which markdown-it,
    like other renderers guarding against scripts in SVG, refuses for a
    ``data:image/svg+xml`` target, showing the whole URI as text).
    """
    alt = html.escape(" ".join(alt.split()), quote=True)
    size = f' width="{width}"' if width else ""
    return f'<img src="{src}"{size} alt="{alt}">'


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _markdown_cell(cell_id: str, text: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _lines(text)}


# ------------------------------------------------------------------- the whole book


def load_book(root: Path = ROOT, config: dict | None = None) -> tuple[Book, dict[str, dict]]:
    """The book's config, bibliography and figure numbers, and its chapters by stem."""
    config = config or book_config()
    bibfiles = config.get("bibtex_bibfiles") or ["references.bib"]
    book = Book(config=config, bib=load_bibliography(root / bibfiles[0]), root=root)
    chapters = {}
    for entry in chapter_entries(root):
        path = root / f"{entry}.ipynb"
        stem = path.stem
        chapters[stem] = json.loads(path.read_text())
        for name, number in number_figures(chapters[stem], stem).items():
            if name in book.figures:
                raise ReaderError(f"{stem}: figure name {name} is also used in "
                                  f"{book.figures[name][0]}")
            book.figures[name] = (stem, number)
    return book, chapters


def dumps(nb: dict) -> str:
    """Notebook JSON as the repository stores notebooks (stable, so files compare)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


README = """# Reader notebooks (generated: do not edit)

These are the book's chapters as Jupyter, Colab and GitHub show them: figures
embedded, figure references and citations written out, solutions folded. They are
generated from `chapters/` by `python -m tools.reader_notebooks` (`make execute` runs
it); edit the chapters, then regenerate. The HTML book's Colab and download buttons
open these files.
"""


def render_all(root: Path = ROOT, config: dict | None = None) -> dict[str, str]:
    """File name -> text of everything notebooks/ should hold."""
    book, chapters = load_book(root, config)
    files = {"README.md": README}
    for stem, nb in chapters.items():
        files[f"{stem}.ipynb"] = dumps(ChapterConverter(book, stem).convert(nb))
    return files


def stale(files: dict[str, str], out: Path) -> list[str]:
    """Problems with ``out`` against ``files``: missing, stale, left over."""
    problems = []
    for name, text in files.items():
        path = out / name
        if not path.is_file():
            problems.append(f"{OUT_DIR}/{name} is missing")
        elif path.read_text() != text:
            problems.append(f"{OUT_DIR}/{name} is stale")
    for path in sorted(out.glob("*")) if out.is_dir() else []:
        # hidden entries (Jupyter's .ipynb_checkpoints) are a reader's, not left-overs
        if path.name not in files and not path.name.startswith("."):
            problems.append(f"{OUT_DIR}/{path.name} is left over (no such chapter)")
    return problems


def write_all(files: dict[str, str], out: Path) -> list[str]:
    """Write ``files`` into ``out`` (each atomically), remove left-overs; return changes."""
    out.mkdir(exist_ok=True)
    changed = []
    for name, text in files.items():
        path = out / name
        if path.is_file() and path.read_text() == text:
            continue
        write_atomic(path, text)
        changed.append(name)
    for path in sorted(out.glob("*")):
        if path.name not in files and path.is_file():
            path.unlink()
            changed.append(f"{path.name} (removed)")
    return changed


HTML_FIGURE_RE = re.compile(r'<figure\b[^>]*\bid="(?P<id>[^"]+)"[^>]*>.*?</figure>', re.DOTALL)
HTML_CAPTION_NUMBER_RE = re.compile(r'<span class="caption-number">Fig\. (?P<n>[\d.]+) </span>')
HTML_NUMREF_RE = re.compile(r'<a class="reference internal" href="(?:[\w.-]*\.html)?#(?P<id>[^"]+)">'
                            r'<span class="std std-numref">Fig\. (?P<n>[\d.]+)</span>')


def compare_with_html(html_dir: Path, figures: dict[str, tuple[str, str]],
                      stems: list[str]) -> list[str]:
    """Where the built HTML book numbers a figure differently from the reader
    notebooks (its captions and its numbered references), or misses one."""
    problems = []
    for stem in stems:
        page = html_dir / "chapters" / f"{stem}.html"
        if not page.is_file():
            problems.append(f"{page} is missing: build the book first")
            continue
        text = page.read_text()
        shown = {}
        for fig in HTML_FIGURE_RE.finditer(text):
            m = HTML_CAPTION_NUMBER_RE.search(fig.group(0))
            if m:
                shown[fig.group("id")] = m.group("n")
        ours = {name: n for name, (s, n) in figures.items() if s == stem}
        for name, number in sorted(ours.items()):
            if name not in shown:
                problems.append(f"{stem}: figure {name} ({number} here) has no numbered "
                                "caption in the HTML")
            elif shown[name] != number:
                problems.append(f"{stem}: figure {name} is Fig. {shown[name]} in the HTML "
                                f"but Figure {number} in the reader notebook")
        for name in sorted(set(shown) - set(ours)):
            problems.append(f"{stem}: the HTML numbers figure {name} ({shown[name]}), the "
                            "reader notebook does not")
        for ref in HTML_NUMREF_RE.finditer(text):
            want = figures.get(ref.group("id"), (None, None))[1]
            if want != ref.group("n"):
                problems.append(f"{stem}: the HTML refers to {ref.group('id')} as "
                                f"Fig. {ref.group('n')}, the reader notebook as {want}")
    return problems


def main(argv: list[str]) -> int:
    out = ROOT / OUT_DIR
    if "--check-html" in argv:
        html_dir = Path(argv[argv.index("--check-html") + 1])
        book, chapters = load_book()
        problems = compare_with_html(html_dir, book.figures, list(chapters))
        for p in problems:
            print(f"reader notebooks: {p}", file=sys.stderr)
        n = len(book.figures)
        print(f"reader notebooks: {n} figure numbers compared with {html_dir}: "
              f"{len(problems)} differ")
        return 1 if problems else 0
    try:
        files = render_all()
    except ReaderError as err:
        print(f"reader notebooks: error: {err}", file=sys.stderr)
        return 1
    if "--check" in argv:
        problems = stale(files, out)
        for p in problems:
            print(f"reader notebooks: {p}", file=sys.stderr)
        if problems:
            print("reader notebooks: run `python -m tools.reader_notebooks`", file=sys.stderr)
        return 1 if problems else 0
    for name in write_all(files, out):
        print(f"reader notebooks: wrote {OUT_DIR}/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
