"""The SVG diagrams in img/: reproducible from tools/diagrams/ and phone-readable.

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


# ------------------------------------------------- architecture block diagrams

ARCHITECTURES = ["vgg_block", "nin_block", "inception_module", "residual_blocks",
                 "dense_block", "depthwise_separable", "inverted_residual",
                 "channel_shuffle", "compound_scaling", "transfer_learning",
                 "unet", "detector_head"]


def _desc(name: str) -> str:
    return _root(name).find(f"{SVG_NS}desc").text


def test_the_architecture_diagrams_are_registered_and_written():
    assert set(ARCHITECTURES) <= set(NAMES)
    for name in ARCHITECTURES:
        assert (diagrams.IMG_DIR / f"{name}.svg").exists()


def _boxes(name: str) -> list[tuple[str, float, float, float, float]]:
    """(text, left, top, right, bottom) of every text element, estimated."""
    out = []
    for el in _root(name).iter(f"{SVG_NS}text"):
        content, size = "".join(el.itertext()), float(el.get("font-size"))
        width = diagrams._text_width(content, size)
        x, y = float(el.get("x")), float(el.get("y"))
        left = {"start": x, "middle": x - width / 2, "end": x - width}[
            el.get("text-anchor")]
        out.append((content, left, y - 0.75 * size, left + width, y + 0.2 * size))
    return out


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_architecture_labels_do_not_overlap_or_leave_the_drawing(name):
    root = _root(name)
    width = float(root.get("width"))
    boxes = _boxes(name)
    for i, (text, left, top, right, bottom) in enumerate(boxes):
        assert 0 <= left and right <= width, f"{text!r} leaves the drawing in {name}"
        for other, l2, t2, r2, b2 in boxes[i + 1:]:
            overlap = min(right, r2) > max(left, l2) and min(bottom, b2) > max(top, t2)
            assert not overlap, f"{text!r} overlaps {other!r} in {name}"


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_architecture_text_is_large(name):
    sizes = [float(el.get("font-size")) for el in _root(name).iter(f"{SVG_NS}text")]
    assert min(sizes) >= 16 and np.median(sizes) >= 17


def test_vgg_block_shapes_and_parameters():
    texts = _texts("vgg_block")
    c, c_out = 128, 256
    first, second = 3 * 3 * c * c_out + c_out, 3 * 3 * c_out * c_out + c_out
    assert f"{first:,}" in texts and f"{second:,}" in texts
    assert f"total: {first + second:,} parameters" in texts
    assert "input 56 × 56 × 128" in texts and "output 28 × 28 × 256" in texts
    assert texts.count("56 × 56 × 256") == 2  # the shapes on the arrows
    assert "28 × 28 × 256" in _desc("vgg_block")


def test_nin_block_draws_the_dense_layer_note_and_the_gap_head():
    texts = _texts("nin_block")
    assert f"{32 * 32 + 32:,} parameters" in texts
    assert texts.count("1×1 conv, 32") == 2
    assert "7 × 7 × 10" in texts and "10 logits" in texts
    assert [t for t in texts if t.isdigit() and len(t) == 1] == [str(i) for i in
                                                                 range(10)]
    assert f"{7 * 7} values" in texts
    desc = _desc("nin_block")
    assert "dense layer" in desc and "7 × 7 × 10" in desc and "10 logits" in desc


def test_inception_module_concatenates_to_the_computed_channel_count():
    texts = _texts("inception_module")
    outs = [64, 128, 32, 32]
    assert f"{' + '.join(map(str, outs))} = {sum(outs)}" in texts
    assert "output 28 × 28 × 256" in texts and "input 28 × 28 × 192" in texts
    assert "28 × 28 × 256" in _desc("inception_module")
    with_1x1, without = 192 * 16 + 5 * 5 * 16 * 32, 5 * 5 * 192 * 32
    assert f"{with_1x1:,}" in _desc("inception_module")
    assert f"{without:,}" in _desc("inception_module")


def test_inception_bottlenecks_have_their_own_colour():
    root = _root("inception_module")
    green = diagrams.OKABE_ITO["green"]
    one_by_one = [r for r in root.iter(f"{SVG_NS}rect")
                  if r.get("stroke") == green and float(r.get("width")) > 100]
    assert len(one_by_one) == 4  # 64; 96 and 16 before 3×3 / 5×5; 32 after pooling
    orange = diagrams.OKABE_ITO["orange"]
    assert sum(r.get("stroke") == orange for r in root.iter(f"{SVG_NS}rect")) == 3


def test_residual_blocks_add_f_of_x_and_x_three_times():
    root = _root("residual_blocks")
    texts = _texts("residual_blocks")
    circles = [c for c in root.iter(f"{SVG_NS}circle") if float(c.get("r")) > 10]
    assert len(circles) == 3  # one circled plus per block
    assert texts.count("F(x) + x") == 3 and texts.count("F(x)") == 3
    assert texts.count("identity") == 2
    assert "128, stride 2" in texts and "28 × 28 × 128" in texts
    assert "1×1 conv, 256" in texts and "1×1 conv, 64" in texts  # 64 · 4 = 256
    shortcuts = [p for p in root.iter(f"{SVG_NS}path")
                 if p.get("stroke") == diagrams.OKABE_ITO["blue"]]
    assert len(shortcuts) == 3 and all(" Q " in p.get("d") for p in shortcuts)
    neck = 256 * 64 + 9 * 64 * 64 + 64 * 256
    assert f"{neck:,}" in _desc("residual_blocks")


def test_dense_block_grows_by_k_and_the_transition_halves():
    texts = _texts("dense_block")
    c0, k, layers = 64, 32, 4
    totals = [int(t) for t in texts if t.isdigit() and int(t) > k]
    assert totals == [c0 + i * k for i in range(layers + 1)]  # 64, 96, ..., 192
    assert texts.count(str(k)) == layers * (layers + 1) // 2  # the bar segments
    assert f"C0 + L·k = {c0} + {layers}·{k} = {c0 + layers * k}" in texts
    half = (c0 + layers * k) // 2
    assert f"output 28 × 28 × {half}" in texts
    desc = _desc("dense_block")
    assert str(c0 + layers * k) in desc and f"28 × 28 × {half}" in desc


def test_depthwise_separable_counts_weights_and_multiply_adds():
    texts = _texts("depthwise_separable")
    h = w = 8
    c_in, c_out, k = 16, 32, 3
    standard, depthwise, pointwise = k * k * c_in * c_out, k * k * c_in, c_in * c_out
    separable = depthwise + pointwise
    assert (standard, depthwise, pointwise, separable) == (4608, 144, 512, 656)
    assert f"3·3·16·32 = {standard:,} weights" in texts
    assert f"3·3·16 + 16·32 = {depthwise} + {pointwise} = {separable} weights" in texts
    assert f"{standard:,} / {separable} = {standard / separable:.1f}× fewer weights " \
           "and multiply-adds" in texts
    assert "7.0×" in texts[-1]
    assert f"8·8·{standard:,} = {h * w * standard:,} multiply-adds" in texts  # 294,912
    assert f"8·8·{separable} = {h * w * separable:,} multiply-adds" in texts  # 41,984
    assert texts.count("8 × 8 × 32") == 2 and texts.count("input 8 × 8 × 16") == 2
    assert "8 × 8 × 16" in texts  # between the depthwise and the pointwise step
    assert texts.count("one filter reads all 16") == 2
    root = _root("depthwise_separable")
    one_to_one = [el for el in root.iter(f"{SVG_NS}line")
                  if el.get("x1") == el.get("x2") and el.get("stroke-width") == "2.5"]
    assert len(one_to_one) == c_in  # one depthwise filter per channel
    assert "4,608" in _desc("depthwise_separable") and "656" in _desc("depthwise_separable")


def test_inverted_residual_expands_by_t_and_projects_linearly():
    texts = _texts("inverted_residual")
    c, t = 24, 6
    assert "1×1 conv, 144" in texts and 6 * 24 == 144
    assert f"t = {t}: {c} → {t}·{c} = {t * c}" in texts
    assert texts.count(str(t * c)) == 2 and texts.count(str(c)) == 2  # the bars
    assert ["3×3 depthwise", "stride 1", "BN, ReLU6"] == texts[
        texts.index("3×3 depthwise"):texts.index("3×3 depthwise") + 3]
    assert "BN, linear" in texts and "1×1 conv, 24" in texts
    assert texts.count("BN, ReLU6") == 2  # the projection has no activation
    assert texts.count("ReLU") == 1  # after the ResNet addition only
    assert texts.count("F(x) + x") == 2
    assert "56 × 56 × 24" in texts and "56 × 56 × 256" in texts
    weights = c * t * c + 9 * t * c + t * c * c
    assert f"{weights:,} weights (vs {256 * 64 + 9 * 64 * 64 + 64 * 256:,})" in texts
    desc = _desc("inverted_residual")
    assert "linear bottleneck" in desc and "stride is 1" in desc and "144" in desc


def test_channel_shuffle_draws_the_numpy_permutation():
    g, n = 3, 3
    perm = np.arange(g * n).reshape(g, n).T.flatten()
    texts = _texts("channel_shuffle")
    cells = [int(t) for t in texts if t.isdigit()]
    # old order, new order, then the reshaped and the transposed 3 × 3 grids
    assert cells[: g * n] == list(range(g * n))
    assert cells[g * n: 2 * g * n] == perm.tolist() == [0, 3, 6, 1, 4, 7, 2, 5, 8]
    assert cells[2 * g * n:] == list(range(g * n)) + perm.tolist()
    assert ", ".join(map(str, perm)) in texts
    # every group of the second group convolution gets one channel of every group
    for k in range(g):
        assert sorted(perm[k * n:(k + 1) * n] // n) == list(range(g))
    root = _root("channel_shuffle")
    colours = diagrams.CHANNEL_COLOURS
    moves = [el for el in root.iter(f"{SVG_NS}line") if el.get("stroke") in colours]
    assert [el.get("stroke") for el in moves] == [colours[c // n] for c in perm]
    starts = [float(el.get("x1")) for el in moves]
    ends = [float(el.get("x2")) for el in moves]
    assert ends == sorted(ends)  # the j-th line ends at new position j ...
    assert np.argsort(np.argsort(starts)).tolist() == perm.tolist()  # ... from perm[j]
    assert ", ".join(map(str, perm)) in _desc("channel_shuffle")


def test_compound_scaling_labels_the_coefficients():
    alpha, beta, gamma, phi = 1.2, 1.1, 1.15, 3
    base = alpha * beta**2 * gamma**2
    assert f"{base:.2f}" == "1.92"
    texts = _texts("compound_scaling")
    assert "α = 1.2, β = 1.1, γ = 1.15 (grid search at φ = 1)" in texts
    assert "FLOPs ∝ d·w²·r²: α·β²·γ² = 1.92 ≈ 2, so FLOPs ≈ 2φ" in texts
    assert f"d ×{alpha**phi:.2f}" in texts and f"w ×{beta**phi:.2f}" in texts
    assert f"r ×{gamma**phi:.2f}" in texts
    assert f"FLOPs ×{base**phi:.2f}" in texts and f"FLOPs ×{gamma**(2 * phi):.2f}" in texts
    assert texts.count(f"d ×{alpha**phi:.2f}") == 2  # depth alone and compound
    root = _root("compound_scaling")
    sups = [el for el in root.iter(f"{SVG_NS}tspan") if el.text == "φ"]
    assert sups and all(int(el.get("dy", "0")) <= 0 for el in sups)  # raised
    layers = round(4 * alpha**phi)
    assert f"{4} → {layers} layers" in _desc("compound_scaling")


def test_superscripts_are_raised_and_subscripts_lowered():
    rich = diagrams._rich("C_{in} = 2^{φ} x", 20)
    assert rich == ('C<tspan dy="6" font-size="16">in</tspan><tspan dy="-6"> = 2'
                    '</tspan><tspan dy="-8" font-size="16">φ</tspan>'
                    '<tspan dy="8"> x</tspan>')
    assert diagrams._text_width("2^{φ}", 20) == diagrams._text_width("2φ", 20)


def test_svg_path_rounds_corners_and_ends_in_an_arrowhead():
    svg = diagrams.Svg("t", 100, 100, "t", "d")
    svg.path([(0, 0), (50, 0), (50, 50)], radius=10, head=8)
    body = "\n".join(svg.body)
    assert 'd="M 0 0 L 40 0 Q 50 0 50 10 L 50 42"' in body
    assert '<polygon points="50,50 46,42 54,42"' in body


def test_style_transfer_losses_names_the_layers_and_the_three_terms():
    texts = _texts("style_transfer_losses")
    assert "block4_conv2" in texts and "block1…5_conv1" in texts
    assert "style loss, 5 layers" in texts and "content loss" in texts
    assert "total variation" in texts
    assert "loss = wc·content + ws·style + wtv·TV" in texts  # subscripts flattened
    assert [t for t in texts if t in "PFGA" and len(t) == 1] == ["P", "F", "G", "A"]
    desc = _desc("style_transfer_losses")
    for name in [f"block{b}_conv1" for b in range(1, 6)]:
        assert name in desc


def test_transfer_learning_counts_the_frozen_models_trainable_parameters():
    texts = _texts("transfer_learning")
    assert "trainable parameters, frozen: 1280 × 5 + 5 = 6,405" in texts
    for title in ("from scratch", "frozen + new head", "fine-tuned (top)"):
        assert title in texts
    assert texts.count("frozen") == 3  # two frozen boxes and the legend
    assert "inference mode" in _desc("transfer_learning")


# ------------------------------------------------------------ Part V diagrams

def test_the_part_five_diagrams_are_registered_in_their_part():
    from tools.diagrams import part5_segmentation_detection as part5

    for name in ("transposed_conv", "unet", "detector_head"):
        assert diagrams.DIAGRAMS[name].__module__ == part5.__name__
        assert (diagrams.IMG_DIR / f"{name}.svg").exists()


def _transposed_by_gathering(x: np.ndarray, k: np.ndarray, s: int
                             ) -> np.ndarray:
    """Each output cell gathers x[i, j]·k[p − s·i, q − s·j] (no stamping)."""
    side = (np.array(x.shape) - 1) * s + np.array(k.shape)
    out = np.zeros(side, int)
    for p in range(side[0]):
        for q in range(side[1]):
            out[p, q] = sum(x[i, j] * k[p - s * i, q - s * j]
                            for i in range(x.shape[0])
                            for j in range(x.shape[1])
                            if 0 <= p - s * i < k.shape[0]
                            and 0 <= q - s * j < k.shape[1])
    return out


def test_transposed_conv2d_stamps_by_hand_and_agrees_with_gathering():
    from tools.diagrams.part5_segmentation_detection import transposed_conv2d

    row = transposed_conv2d(np.array([[1, 1]]), np.array([[1, 1, 1]]), 2)
    assert row.tolist() == [[1, 1, 2, 1, 1]]  # the middle cell gets two copies
    rng = np.random.default_rng(0)
    for s in (1, 2, 3):
        x, k = rng.integers(-3, 4, (3, 2)), rng.integers(-3, 4, (2, 4))
        np.testing.assert_array_equal(transposed_conv2d(x, k, s),
                                      _transposed_by_gathering(x, k, s))


def _sized(name: str, size: str) -> list[str]:
    return ["".join(el.itertext()) for el in _root(name).iter(f"{SVG_NS}text")
            if el.get("font-size") == size]


def test_transposed_conv_draws_the_summed_output_and_the_overlap_count():
    cells = [int(t) for t in _sized("transposed_conv", "20") if t.isdigit()]
    x, k = np.reshape(cells[:4], (2, 2)), np.reshape(cells[4:], (3, 3))
    drawn_y = [int(t) for t in _sized("transposed_conv", "18")]
    assert drawn_y == _transposed_by_gathering(x, k, 2).ravel().tolist()
    count = [int(t) for t in _sized("transposed_conv", "16") if t.isdigit()]
    ones = _transposed_by_gathering(np.ones((2, 2), int),
                                    np.ones((3, 3), int), 2)
    assert count == ones.ravel().tolist() and set(count) == {1, 2, 4}
    stamps = [t for t in _texts("transposed_conv") if t.endswith("·K")]
    assert stamps == [f"{v}·K" for v in x.ravel()]
    assert "output: (2 − 1)·2 + 3 = 5" in _texts("transposed_conv")
    assert "checkerboard" in _desc("transposed_conv")


def test_unet_halves_down_doubles_up_and_copies_across():
    texts = _texts("unet")
    levels = [(64, 16), (32, 32), (16, 64)]
    for side, c in levels:
        assert texts.count(f"{side} × {side} × {c}") == 2  # encoder and decoder
        assert f"copy {side} × {side} × {c}" in texts
    assert "8 × 8 × 128" in texts  # the bottom: 64 / 2³ px, 16 · 2³ channels
    assert "64 × 64 × 3" in texts and "64 × 64 × 6" in texts  # input size out
    assert texts.count("max pool") == 3 and texts.count("up-conv") == 3
    assert texts.count("3×3 conv ×2") == 4
    assert texts.count("concat, conv ×2") == 3
    skips = [el for el in _root("unet").iter(f"{SVG_NS}line")
             if el.get("stroke") == diagrams.OKABE_ITO["blue"]
             and el.get("stroke-dasharray")]
    assert len(skips) == 3 + 1  # three skips and the legend's sample
    assert all(el.get("y1") == el.get("y2") for el in skips)  # straight across


def test_detector_head_counts_anchors_and_head_channels():
    texts = _texts("detector_head")
    a, classes, cells = 3, 5, 64 // 2**3
    assert f"{cells}·{cells}·{a} = {cells * cells * a} anchors" in texts
    assert f"3×3 conv, {a}·({classes} + 1) = {a * (classes + 1)}" in texts
    assert f"3×3 conv, {a}·4 = {a * 4}" in texts
    assert f"8 × 8 × {a * (classes + 1)}" in texts
    assert f"8 × 8 × {a * 4}" in texts
    assert f"{a} × {classes + 1} = {a * (classes + 1)} scores" in texts
    assert texts[texts.index("bg"):texts.index("bg") + classes + 1] == [
        "bg", *map(str, range(1, classes + 1))]
    root = _root("detector_head")
    anchor_colours = {diagrams.OKABE_ITO[c]
                      for c in ("vermillion", "blue", "green")}
    outlines = [r for r in root.iter(f"{SVG_NS}rect")
                if r.get("stroke") in anchor_colours
                and r.get("fill") == "none"]
    drawn = outlines[:a]  # on the image; then one small copy per row of numbers
    assert len(outlines) == a + 2 * a  # and one per row of the two grids
    centres = {(float(r.get("x")) + float(r.get("width")) / 2,
                float(r.get("y")) + float(r.get("height")) / 2) for r in drawn}
    assert len(centres) == 1  # all anchors of a location share its centre
    ratios = [float(r.get("width")) / float(r.get("height")) for r in drawn]
    np.testing.assert_allclose(ratios, [1, 2, 0.5], rtol=1e-3)  # 0.01 units
    areas = [float(r.get("width")) * float(r.get("height")) for r in drawn]
    np.testing.assert_allclose(areas, areas[0], rtol=1e-3)  # one size, 3 shapes


# ------------------------------------------------------- PNG copies (reader notebooks)

from tools import diagram_png  # noqa: E402

SVGS = sorted(diagrams.IMG_DIR.glob("*.svg"))


@pytest.mark.parametrize("svg", SVGS, ids=lambda p: p.name)
def test_every_svg_has_a_current_png_copy(svg):
    """Fast (no browser): the PNG the reader notebooks embed was drawn from this SVG."""
    problem = diagram_png.png_problem(svg)
    assert problem is None, problem
    from PIL import Image

    with Image.open(diagram_png.png_path(svg)) as png:
        width, height = diagram_png.viewbox_size(svg)
        assert png.size == (round(width) * diagram_png.SCALE,
                            round(height) * diagram_png.SCALE)


def test_png_copies_are_few_and_small():
    pngs = sorted((diagrams.IMG_DIR / diagram_png.PNG_SUBDIR).glob("*.png"))
    assert [p.stem for p in pngs] == [s.stem for s in SVGS], "a PNG without its SVG"
    assert sum(p.stat().st_size for p in pngs) < 3_000_000


def _tiny_svg(path, colour="#D55E00"):
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20" '
                    f'width="40" height="20"><rect x="0" y="0" width="20" height="20" '
                    f'fill="{colour}"/></svg>', encoding="utf-8")


def test_a_stale_or_missing_png_is_named_with_the_command(tmp_path):
    from PIL import Image

    svg = tmp_path / "img" / "d.svg"
    svg.parent.mkdir()
    _tiny_svg(svg)
    assert "img/png/d.png is missing: run `python -m tools.diagrams --png`" in (
        diagram_png.png_problem(svg, tmp_path))
    buf = __import__("io").BytesIO()
    Image.new("RGB", (80, 40), "white").save(buf, format="PNG")
    png = diagram_png.encode_png(buf.getvalue(), diagram_png.svg_sha256(svg))
    diagram_png.png_path(svg).parent.mkdir()
    diagram_png.png_path(svg).write_bytes(png)
    assert diagram_png.png_text_chunks(png)[diagram_png.HASH_KEY] == diagram_png.svg_sha256(svg)
    assert diagram_png.png_problem(svg, tmp_path) is None
    assert diagram_png.stale_pngs(svg.parent) == []
    _tiny_svg(svg, "#0072B2")  # the SVG changes: its PNG is stale
    assert "was not drawn from the current d.svg" in diagram_png.png_problem(svg, tmp_path)
    assert diagram_png.stale_pngs(svg.parent) == [svg]


def test_an_svg_without_a_viewbox_is_refused(tmp_path):
    svg = tmp_path / "x.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    with pytest.raises(diagram_png.DiagramPngError, match="no viewBox"):
        diagram_png.viewbox_size(svg)


def _chromium() -> str | None:
    from tools.check_pages import ChromiumNotFound, find_chromium

    try:
        find_chromium()
    except ChromiumNotFound:
        return None
    try:
        import playwright  # noqa: F401
    except ImportError:
        return None
    return find_chromium()


@pytest.mark.skipif(_chromium() is None,
                    reason="no Chromium (or no playwright): the rasteriser cannot run here; "
                           "`make test` installs Chromium")
def test_rasteriser_draws_the_svg_at_twice_its_size_on_white(tmp_path):
    from PIL import Image

    svg = tmp_path / "d.svg"
    _tiny_svg(svg)
    [png] = diagram_png.rasterise([svg], _chromium())
    assert png == tmp_path / "png" / "d.png" and not list(png.parent.glob("*.tmp"))
    assert diagram_png.stored_hash(png) == diagram_png.svg_sha256(svg)
    with Image.open(png) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (80, 40)
        assert rgb.getpixel((10, 20)) == (0xD5, 0x5E, 0x00)  # the rect, left half
        assert rgb.getpixel((70, 20)) == (255, 255, 255)  # white, not transparent


def test_png_check_command_passes_on_the_committed_copies(capsys):
    assert diagrams.main(["--png", "--check"]) == 0
