"""The SVG diagrams in img/: reproducible from tools/diagrams.py and phone-readable.

If the first test fails, regenerate with ``python -m tools.diagrams`` and commit img/.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tools import diagrams

SVG_NS = "{http://www.w3.org/2000/svg}"
NAMES = sorted(diagrams.DIAGRAMS)
FORBIDDEN_TAGS = {"image", "script", "foreignObject", "iframe", "object", "embed"}


def _root(name: str) -> ET.Element:
    return ET.parse(diagrams.IMG_DIR / f"{name}.svg").getroot()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def test_the_part_one_diagrams_are_registered():
    expected = {"cross_correlation", "multichannel_kernel", "im2col",
                "receptive_field", "pooling"}
    assert expected <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_svg_matches_the_generator(name):
    path = diagrams.IMG_DIR / f"{name}.svg"
    assert path.exists(), f"{path} missing: run `python -m tools.diagrams`"
    assert path.read_text(encoding="utf-8") == diagrams.DIAGRAMS[name](), (
        f"{path.name} is stale: run `python -m tools.diagrams`"
    )


def test_generator_is_deterministic_and_check_mode_passes():
    assert all(fn() == fn() for fn in diagrams.DIAGRAMS.values())
    assert diagrams.main(["--check"]) == 0


def test_check_mode_names_stale_files_and_writing_fixes_them(tmp_path, monkeypatch,
                                                            capsys):
    monkeypatch.setattr(diagrams, "ROOT", tmp_path)
    monkeypatch.setattr(diagrams, "IMG_DIR", tmp_path / "img")
    assert diagrams.main(["--check"]) == 1  # nothing written yet: all missing
    assert not (tmp_path / "img").exists()
    assert diagrams.main([]) == 0
    stale = tmp_path / "img" / f"{NAMES[0]}.svg"
    stale.write_text(stale.read_text() + "<!-- edited -->\n")
    capsys.readouterr()
    assert diagrams.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert f"img/{NAMES[0]}.svg" in out and f"img/{NAMES[1]}.svg" not in out
    assert diagrams.main([]) == 0 and diagrams.main(["--check"]) == 0


@pytest.mark.parametrize("name", NAMES)
def test_svg_is_accessible_and_self_contained(name):
    root = _root(name)
    assert _local(root.tag) == "svg"
    assert root.get("role") == "img"
    assert root.get("font-family", "").startswith("DejaVu Sans")
    title, desc = root.find(f"{SVG_NS}title"), root.find(f"{SVG_NS}desc")
    assert title is not None and title.text and title.text.strip()
    assert desc is not None and desc.text and len(desc.text.strip()) > 40
    for el in root.iter():
        assert _local(el.tag) not in FORBIDDEN_TAGS, f"<{_local(el.tag)}> in {name}"
        for key, value in el.attrib.items():
            assert _local(key) != "href", f"href in {name}"
            assert not _local(key).startswith("on"), f"event handler in {name}"
            assert "url(" not in value or value.startswith("url(#"), value


@pytest.mark.parametrize("name", NAMES)
def test_svg_fits_a_phone_column(name):
    root = _root(name)
    x0, y0, width, height = map(float, root.get("viewBox").split())
    assert (x0, y0) == (0, 0)
    assert 0 < width <= diagrams.MAX_WIDTH and height > 0
    assert float(root.get("width")) == width and float(root.get("height")) == height
    texts = [el for el in root.iter() if _local(el.tag) in {"text", "tspan"}]
    assert texts, f"{name} has no text"
    for el in root.iter():
        assert "font-size" not in el.get("style", "")
        size = el.get("font-size")
        if size is not None:
            assert float(size) >= diagrams.MIN_FONT, f"font-size {size} in {name}"
    for el in root.iter(f"{SVG_NS}text"):
        assert el.get("font-size") is not None, f"text without a font-size in {name}"
        x, y = float(el.get("x")), float(el.get("y"))
        assert 0 <= x <= width and 0 <= y <= height, f"text outside the viewBox: {x, y}"


def _texts(name: str) -> list[str]:
    return ["".join(el.itertext()) for el in _root(name).iter(f"{SVG_NS}text")]


def test_pooling_draws_the_computed_outputs():
    texts = _texts("pooling")
    for value in ["6", "4", "9", "8", "3.75", "2.25", "7.0", "5.75"]:
        assert value in texts


def test_cross_correlation_draws_the_computed_sum():
    texts = _texts("cross_correlation")
    total = next(t for t in texts if t.startswith("= "))
    terms = [t for t in texts if re.fullmatch(r"\d+·\d+", t)]
    assert len(terms) == 9
    products = [np.prod([int(v) for v in t.split("·")]) for t in terms]
    assert total == f"= {sum(products)}"


def test_receptive_field_labels_grow_by_k_minus_one():
    labels = [t for t in _texts("receptive_field") if t.startswith("R = ")]
    assert sorted(int(t.split()[-1]) for t in labels) == [1, 3, 5, 7]


def test_number_formatting():
    assert diagrams.number(np.int64(3)) == "3"
    assert diagrams.number(np.float64(7.0)) == "7.0"
    assert diagrams.number(3.75) == "3.75"
    assert diagrams.number(-2) == "\u22122"
    assert diagrams.fmt(12.0) == "12" and diagrams.fmt(-0.001) == "0"
