"""Facts the landing page states are true of the repository."""

import re

from tools.book import ROOT


def test_landing_page_versions_match_constraints():
    normalise = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # PEP 503 names
    pins = {
        normalise(name): version
        for name, version in (line.strip().split("==", 1) for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#"))
    }
    rows = re.findall(r"^\| ([\w.-]+) \| ([\w.]+) \|$", (ROOT / "intro.md").read_text(), re.M)
    assert len(rows) > 1, "intro.md has no version table"
    for package, version in rows[1:]:  # rows[0] is the header
        assert pins.get(normalise(package)) == version.lower(), f"intro.md says {package} {version}, constraints.txt {pins.get(normalise(package))}"


def test_credits_cover_every_photo_and_asset():
    from helpers.assets import REGISTRY, _load_catalogue
    from helpers.data import photo_names

    credits = (ROOT / "credits.md").read_text()
    for name in photo_names():
        assert f"`{name}`" in credits, f"credits.md does not credit the photo {name}"
    _load_catalogue()
    for asset in REGISTRY.values():
        assert asset.licence.split(" (")[0].split(";")[0] in credits or asset.name.startswith("photo_"), asset.name


def test_landing_page_chapter_cards_are_current():
    """intro.md's cards match _toc.yml and the notebooks' stored run times."""
    from tools import landing

    block = landing.render_cards()
    assert block in (ROOT / "intro.md").read_text(), (
        "intro.md's chapter cards are stale: run `python -m tools.landing`")
    for entry in landing._parts():
        for chapter in entry[1]:
            assert f"<{chapter}>" in block, f"{chapter} has no card"


def test_landing_cards_refuse_a_chapter_without_metadata(tmp_path, monkeypatch):
    import json

    import pytest

    from tools import landing

    nb = {"cells": [{"cell_type": "markdown", "source": ["# 99 · Probe\n"]}],
          "metadata": {"book": {"blurb": "x", "prerequisites": []}}}
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "99_probe.ipynb").write_text(json.dumps(nb))
    monkeypatch.setattr(landing, "ROOT", tmp_path)
    config = {"repository": {"url": "https://github.com/o/r", "branch": "main"}}
    with pytest.raises(landing.CardError, match="run_seconds.*make execute"):
        landing.chapter_card("chapters/99_probe", config)
    nb["metadata"]["book"].update(run_seconds=12.3, run_cores=2)
    (tmp_path / "chapters" / "99_probe.ipynb").write_text(json.dumps(nb))
    card = landing.chapter_card("chapters/99_probe", config)
    assert card["colab"] == ("https://colab.research.google.com/github/o/r/blob/main/"
                             "notebooks/99_probe.ipynb")  # the reader notebook
    assert card["title"] == "Probe" and card["seconds"] == 12.3


def test_landing_page_clone_command_uses_the_repository_url():
    """The landing page's `git clone URL` and `cd NAME` follow _config.yml's repository.url."""
    from tools.book import book_config

    url = book_config()["repository"]["url"].rstrip("/")
    intro = (ROOT / "intro.md").read_text()
    clones = re.findall(r"^git clone (\S+)\ncd (\S+)$", intro, re.M)
    assert clones, "intro.md has no `git clone URL` line followed by `cd NAME`"
    for clone_url, folder in clones:
        assert clone_url == url, f"intro.md clones {clone_url}; _config.yml says {url}"
        assert folder == url.rsplit("/", 1)[1].removesuffix(".git"), folder


def test_landing_page_make_targets_exist():
    """Every `make TARGET` the landing page tells a reader to run is a Makefile target."""
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    said = set(re.findall(r"\bmake (?:[A-Z_]+=\S+ )*([a-z][\w-]*)", (ROOT / "intro.md").read_text()))
    assert {"lab", "book", "test"} <= said, said
    assert said <= targets, f"intro.md names make targets the Makefile lacks: {said - targets}"
