"""The synthetic plate generator: deterministic, well-formed crops and plate strings."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PIL")  # the generator draws with Pillow (the 'ocr' extra)

from alpr_desktop.recognition.synth import (
    ALPHABET,
    find_fonts,
    generate,
    random_plate,
    render_plate,
)


def _fonts_or_skip() -> None:
    try:
        find_fonts()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


def test_plate_strings_are_plate_like() -> None:
    rng = np.random.default_rng(0)
    for _ in range(500):
        text, groups = random_plate(rng)
        assert "".join(groups) == text
        assert 2 <= len(text) <= 8
        assert set(text) <= set(ALPHABET)


def test_same_seed_same_samples() -> None:
    _fonts_or_skip()
    a = generate(4, seed=123)
    b = generate(4, seed=123)
    c = generate(4, seed=124)
    assert [s.text for s in a] == [s.text for s in b]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))
    assert [s.text for s in a] != [s.text for s in c]


def test_sample_index_is_independent_of_batching() -> None:
    _fonts_or_skip()
    whole = generate(3, seed=7)
    tail = generate(2, seed=7, start=1)
    assert [s.text for s in whole[1:]] == [s.text for s in tail]
    assert np.array_equal(whole[2].image, tail[1].image)


@pytest.mark.parametrize("clean", [False, True])
def test_crops_look_like_localizer_crops(clean: bool) -> None:
    _fonts_or_skip()
    for sample in generate(12, seed=5, clean=clean):
        h, w = sample.image.shape[:2]
        assert sample.image.dtype == np.uint8
        assert sample.image.shape[2] == 3
        assert 40 <= w <= 260
        assert 1.0 <= w / h <= 4.5
        assert sample.image.std() > 3  # not blank


def test_render_plate_boxes_inside_image() -> None:
    _fonts_or_skip()
    rng = np.random.default_rng(3)
    for _ in range(10):
        img, plate_box, char_box = render_plate(rng, ["ABC", "1234"])
        h, w = img.shape[:2]
        assert 0 <= plate_box[0] < plate_box[2] <= w
        assert 0 <= plate_box[1] < plate_box[3] <= h
        assert plate_box[0] <= char_box[0] < char_box[2] <= plate_box[2]
        assert plate_box[1] <= char_box[1] < char_box[3] <= plate_box[3]


def test_missing_debian_fonts_name_their_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    from alpr_desktop.recognition.synth import fonts

    assert len(set(fonts.DEBIAN_FONT_PACKAGES)) == len(fonts.DEBIAN_FONT_PACKAGES)
    assert {pkg for pkg, _, _ in fonts._SYSTEM_FONTS} == set(fonts.DEBIAN_FONT_PACKAGES)
    monkeypatch.setattr(
        fonts,
        "_SYSTEM_FONTS",
        (
            ("fonts-nowhere", "/nonexistent/a.ttf", True),
            ("fonts-nowhere", "/nonexistent/b.ttf", False),
            ("fonts-elsewhere", "/nonexistent/c.ttf", True),
            ("fonts-here", __file__, True),  # present
        ),
    )
    assert [str(p) for p in fonts.missing_system_fonts()] == [
        "/nonexistent/a.ttf",
        "/nonexistent/b.ttf",
        "/nonexistent/c.ttf",
    ]
    assert fonts.missing_font_packages() == ["fonts-nowhere", "fonts-elsewhere"]


def test_font_table_names_the_package_that_installs_each_file() -> None:
    import shutil
    import subprocess
    from pathlib import Path

    from alpr_desktop.recognition.synth import fonts

    if shutil.which("dpkg") is None:
        pytest.skip("not a Debian system")
    installed = [(pkg, name) for pkg, name, _ in fonts._SYSTEM_FONTS if Path(name).is_file()]
    if not installed:
        pytest.skip("none of the Debian fonts is installed")
    for pkg, name in installed:
        owner = subprocess.run(["dpkg", "-S", name], capture_output=True, text=True, check=False)
        assert owner.stdout.split(":")[0] == pkg, (name, owner.stdout, owner.stderr)
