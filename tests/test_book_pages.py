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
