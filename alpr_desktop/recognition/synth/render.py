"""Drawing synthetic US plates and turning them into localizer-like crops.

A plate is drawn flat at 320x160 px (the 2:1 shape of a 12x6 inch US plate), optionally
inside a dealer frame, warped into a scene with perspective and rotation, cropped the way
a localizer or a ground-truth box would crop it, and degraded (low resolution, blur,
lighting, noise, JPEG). Everything is driven by one ``numpy`` generator, so a seed fixes
the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from alpr_desktop.recognition.synth.fonts import FontSet, find_fonts
from alpr_desktop.recognition.synth.text import (
    DEALERS,
    MONTHS,
    SLOGANS,
    STATES,
    random_plate,
    small_text,
)

U8 = npt.NDArray[Any]  # uint8 images; Any because OpenCV's stubs return loose dtypes
F32 = npt.NDArray[Any]
Color = tuple[int, int, int]

PLATE_W = 320
PLATE_H = 160


@dataclass(frozen=True)
class SynthSample:
    """A degraded BGR crop of a synthetic plate and the characters on it (no separators)."""

    image: U8
    text: str


@lru_cache(maxsize=256)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _text_mask(text: str, font_path: Path, size: int) -> U8:
    """White-on-black mask of ``text``, cropped to its ink (cached; do not modify it)."""
    return _text_mask_cached(text, font_path, max(6, size // 2 * 2))


@lru_cache(maxsize=4096)
def _text_mask_cached(text: str, font_path: Path, size: int) -> U8:
    font = _font(font_path, size)
    left, top, right, bottom = font.getbbox(text)
    w, h = max(1, int(right - left) + 4), max(1, int(bottom - top) + 4)
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).text((2 - left, 2 - top), text, fill=255, font=font)
    arr = np.asarray(img, dtype=np.uint8)
    ys, xs = np.nonzero(arr > 40)
    if len(xs) == 0:
        return np.zeros((1, 1), np.uint8)
    return np.ascontiguousarray(arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


@lru_cache(maxsize=1024)
def _glyph(ch: str, font_path: Path, size: int) -> tuple[U8, int, int]:
    """A character drawn at a fixed anchor: (image, first ink row, last ink row)."""
    img = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(img).text((size // 2, size // 4), ch, fill=255, font=_font(font_path, size))
    arr = np.asarray(img, dtype=np.uint8)
    ys = np.nonzero(arr.max(axis=1) > 40)[0]
    return arr, (int(ys.min()) if len(ys) else 0), (int(ys.max()) if len(ys) else size)


def _char_masks(text: str, font_path: Path, size: int) -> list[U8]:
    """One mask per character sharing a common vertical extent (cap height)."""
    glyphs = [_glyph(ch, font_path, size) for ch in text]
    ref_top = min(g[1] for g in glyphs)
    ref_bottom = max(g[2] for g in glyphs)
    out = []
    for arr, _, _ in glyphs:
        band = arr[ref_top : ref_bottom + 1]
        xs = np.nonzero(band.max(axis=0) > 40)[0]
        out.append(np.ascontiguousarray(band[:, xs.min() : xs.max() + 1]) if len(xs) else band)
    return out


def _paste_mask(canvas: U8, mask: U8, x: int, y: int, color: Color) -> None:
    """Alpha-blend ``color`` through ``mask`` onto ``canvas`` at (x, y), clipped."""
    h, w = mask.shape
    ch, cw = canvas.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(cw, x + w), min(ch, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    m = mask[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)[..., None] / 255.0
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = (region * (1 - m) + np.array(color, np.float32) * m).astype(np.uint8)


def _rand_color(rng: np.random.Generator, lo: int, hi: int) -> Color:
    c = rng.integers(lo, hi + 1, size=3)
    return int(c[0]), int(c[1]), int(c[2])


def _text_color(rng: np.random.Generator, dark_plate: bool) -> Color:
    if dark_plate:
        return _rand_color(rng, 200, 255) if rng.random() < 0.7 else (40, 200, 230)
    palette: list[Color] = [
        (90, 30, 20),  # dark blue (BGR)
        (120, 40, 20),
        (20, 20, 20),
        (40, 40, 40),
        (30, 30, 140),  # dark red
        (40, 90, 30),  # dark green
        (60, 20, 70),  # maroon/purple
        (110, 60, 30),
    ]
    base = palette[int(rng.integers(len(palette)))]
    jitter = rng.integers(-20, 21, size=3)
    return tuple(int(np.clip(b + j, 0, 255)) for b, j in zip(base, jitter, strict=True))  # type: ignore[return-value]


def _background(rng: np.random.Generator, dark_plate: bool) -> U8:
    if dark_plate:
        base = _rand_color(rng, 10, 60)
        if rng.random() < 0.4:
            base = (int(rng.integers(60, 120)), int(rng.integers(10, 40)), int(rng.integers(0, 30)))
    else:
        options: list[Color] = [
            (245, 245, 245),
            (230, 240, 245),
            (200, 240, 250),  # cream
            (120, 220, 245),  # yellow
            (245, 225, 200),  # pale blue
            (225, 225, 225),
            (210, 230, 210),
        ]
        base = options[int(rng.integers(len(options)))]
    img = np.empty((PLATE_H, PLATE_W, 3), np.float32)
    img[:] = base
    if rng.random() < 0.5:  # vertical gradient (sky)
        top = np.array(_rand_color(rng, 120, 255), np.float32)
        t = np.linspace(1, 0, PLATE_H, dtype=np.float32)[:, None, None] ** rng.uniform(1, 3)
        img = img * (1 - 0.6 * t) + top * 0.6 * t
    if rng.random() < 0.5:  # soft scenery: hills/mountains
        pts = [(0, PLATE_H)]
        for x in np.linspace(0, PLATE_W, int(rng.integers(3, 8))):
            pts.append((int(x), int(rng.uniform(0.55, 0.95) * PLATE_H)))
        pts.append((PLATE_W, PLATE_H))
        layer = img.copy()
        cv2.fillPoly(layer, [np.array(pts, np.int32)], _rand_color(rng, 100, 240))
        a = rng.uniform(0.3, 0.8)
        img = img * (1 - a) + layer * a
    if rng.random() < 0.3:  # a big pale emblem behind the characters
        layer = img.copy()
        center = (int(rng.uniform(0.2, 0.8) * PLATE_W), int(rng.uniform(0.3, 0.7) * PLATE_H))
        cv2.circle(layer, center, int(rng.uniform(20, 60)), _rand_color(rng, 90, 250), -1)
        img = img * 0.7 + layer * 0.3
    img += rng.standard_normal(img.shape, dtype=np.float32) * rng.uniform(0, 6)
    return np.clip(img, 0, 255).astype(np.uint8)


def _separator(rng: np.random.Generator, char_h: int, color: Color) -> tuple[U8, U8 | None]:
    """A separator image: (mask, own colour image or None to use the text colour)."""
    kind = rng.choice(
        ["gap", "dash", "dot", "logo", "sticker", "none"], p=[0.25, 0.15, 0.08, 0.15, 0.27, 0.1]
    )
    if kind == "none":
        return np.zeros((char_h, max(1, int(char_h * 0.06))), np.uint8), None
    if kind == "gap":
        return np.zeros((char_h, max(1, int(char_h * rng.uniform(0.15, 0.5)))), np.uint8), None
    if kind == "dash":
        w = max(3, int(char_h * rng.uniform(0.2, 0.4)))
        m = np.zeros((char_h, w + 4), np.uint8)
        t = max(2, int(char_h * rng.uniform(0.06, 0.12)))
        cv2.rectangle(m, (2, char_h // 2 - t // 2), (w + 1, char_h // 2 + t // 2), 255, -1)
        return m, None
    if kind == "dot":
        r = max(2, int(char_h * rng.uniform(0.05, 0.09)))
        m = np.zeros((char_h, 4 * r), np.uint8)
        cv2.circle(m, (2 * r, int(char_h * rng.uniform(0.45, 0.55))), r, 255, -1)
        return m, None
    size = int(char_h * rng.uniform(0.35, 0.65))
    w = max(4, int(size * rng.uniform(0.6, 1.1)))
    m = np.zeros((char_h, w + 6), np.uint8)
    top = (char_h - size) // 2 + int(rng.integers(-3, 4))
    col = np.zeros((char_h, w + 6, 3), np.uint8)
    if kind == "sticker":
        sc = [(40, 220, 250), (40, 40, 220), (60, 180, 60), (230, 230, 230), (200, 120, 40)]
        c = sc[int(rng.integers(len(sc)))]
        cv2.rectangle(m, (3, top), (w + 2, top + size), 255, -1)
        col[:] = c
        txt = _text_mask(str(int(rng.integers(10, 30))), find_fonts().small[0], max(6, size // 3))
        th, tw = txt.shape
        if th < size and tw < w:
            _paste_mask(col, txt, 3 + (w - tw) // 2, top + (size - th) // 2, (30, 30, 30))
        return m, col
    # logo: a state-outline-like polygon, star or heart in its own colour
    n = int(rng.integers(4, 9))
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(0.6, 1.0, n) * size / 2
    cx, cy = (w + 6) / 2, top + size / 2
    pts = np.stack([cx + rad * np.cos(ang) * w / size, cy + rad * np.sin(ang)], 1).astype(np.int32)
    cv2.fillPoly(m, [pts], 255)
    col[:] = _rand_color(rng, 0, 230) if rng.random() < 0.6 else color
    return m, col


def _compose_chars(
    rng: np.random.Generator, groups: list[str], fonts: FontSet, color: Color
) -> tuple[U8, U8]:
    """The plate characters as (mask, colour image), cap height 100 px."""
    font_path = fonts.plate[int(rng.integers(len(fonts.plate)))]
    char_h = 100
    squeeze = rng.uniform(0.55, 1.0)
    spacing = int(char_h * rng.uniform(0.02, 0.14))
    pieces: list[tuple[U8, U8 | None]] = []
    for gi, group in enumerate(groups):
        if gi > 0:
            pieces.append(_separator(rng, char_h, color))
        for m in _char_masks(group, font_path, 140):
            w = max(1, int(m.shape[1] * char_h / m.shape[0] * squeeze))
            pieces.append((cv2.resize(m, (w, char_h), interpolation=cv2.INTER_AREA), None))
    total = sum(p[0].shape[1] for p in pieces) + spacing * (len(pieces) + 1)
    mask = np.zeros((char_h, total), np.uint8)
    colors = np.zeros((char_h, total, 3), np.uint8)
    colors[:] = color
    x = spacing
    for m, c in pieces:
        w = m.shape[1]
        mask[:, x : x + w] = np.maximum(mask[:, x : x + w], m)
        if c is not None:
            colors[:, x : x + w] = np.where(m[..., None] > 0, c, colors[:, x : x + w])
        x += w + spacing
    return mask, colors


def _blend(canvas: U8, mask: U8, colors: U8, x: int, y: int) -> None:
    h, w = mask.shape
    region = canvas[y : y + h, x : x + w]
    if region.shape[:2] != (h, w):
        return
    a = mask.astype(np.float32)[..., None] / 255.0
    canvas[y : y + h, x : x + w] = (region * (1 - a) + colors * a).astype(np.uint8)


def render_plate(
    rng: np.random.Generator, text_groups: list[str], fonts: FontSet | None = None
) -> tuple[U8, tuple[int, int, int, int], tuple[int, int, int, int]]:
    """Draw a flat plate (with or without a frame).

    Returns:
        The image, the plate's box and the characters' box, boxes as (x0, y0, x1, y1).
    """
    fonts = fonts or find_fonts()
    dark = rng.random() < 0.1
    plate = _background(rng, dark)
    color = _text_color(rng, dark)

    # characters
    mask, colors = _compose_chars(rng, text_groups, fonts, color)
    char_h = int(PLATE_H * rng.uniform(0.40, 0.58))
    width = int(mask.shape[1] * char_h / mask.shape[0])
    width = min(width, int(PLATE_W * rng.uniform(0.82, 0.95)))
    mask = cv2.resize(mask, (width, char_h), interpolation=cv2.INTER_AREA)
    colors = cv2.resize(colors, (width, char_h), interpolation=cv2.INTER_NEAREST)
    cx = PLATE_W / 2 + rng.uniform(-0.04, 0.04) * PLATE_W
    cy = PLATE_H * rng.uniform(0.48, 0.58)
    x0, y0 = int(cx - width / 2), int(cy - char_h / 2)
    x0 = int(np.clip(x0, 2, PLATE_W - width - 2))
    y0 = int(np.clip(y0, 2, PLATE_H - char_h - 2))

    # small print first (characters are drawn over it)
    small = fonts.small
    if rng.random() < 0.85:
        name = small_text(rng, STATES)
        if rng.random() < 0.5:
            name = name.upper()
        size = int(rng.uniform(0.11, 0.2) * PLATE_H)
        m = _text_mask(name, small[int(rng.integers(len(small)))], size)
        max_w = int(PLATE_W * rng.uniform(0.4, 0.85))
        if m.shape[1] > max_w:
            m = cv2.resize(m, (max_w, m.shape[0]), interpolation=cv2.INTER_AREA)
        sc = color if rng.random() < 0.5 else _rand_color(rng, 0, 200)
        top = int(rng.uniform(0.02, max(0.03, y0 / PLATE_H - 0.13)) * PLATE_H)
        _paste_mask(plate, m, (PLATE_W - m.shape[1]) // 2 + int(rng.integers(-20, 21)), top, sc)
    if rng.random() < 0.7:
        slogan = small_text(rng, SLOGANS)
        size = int(rng.uniform(0.07, 0.13) * PLATE_H)
        m = _text_mask(slogan, small[int(rng.integers(len(small)))], size)
        max_w = int(PLATE_W * 0.9)
        if m.shape[1] > max_w:
            m = cv2.resize(m, (max_w, m.shape[0]), interpolation=cv2.INTER_AREA)
        bottom = PLATE_H - int(rng.uniform(0.02, 0.08) * PLATE_H)
        sc = color if rng.random() < 0.5 else _rand_color(rng, 0, 200)
        _paste_mask(plate, m, (PLATE_W - m.shape[1]) // 2, bottom - m.shape[0], sc)
    for corner in range(4):  # registration stickers
        if rng.random() < (0.35 if corner < 2 else 0.1):
            sw, sh = int(rng.uniform(0.08, 0.15) * PLATE_W), int(rng.uniform(0.1, 0.2) * PLATE_H)
            sx = int(rng.uniform(0.01, 0.06) * PLATE_W)
            sx = sx if corner % 2 == 0 else PLATE_W - sx - sw
            sy = int(rng.uniform(0.02, 0.08) * PLATE_H)
            sy = sy if corner < 2 else PLATE_H - sy - sh
            sc = _rand_color(rng, 0, 255)
            cv2.rectangle(plate, (sx, sy), (sx + sw, sy + sh), sc, -1)
            label = small_text(rng, MONTHS) if rng.random() < 0.5 else str(rng.integers(10, 30))
            m = _text_mask(label, small[0], max(6, int(sh * 0.6)))
            if m.shape[1] < sw:
                _paste_mask(plate, m, sx + (sw - m.shape[1]) // 2, sy + 2, (20, 20, 20))
    if rng.random() < 0.5:  # bolt holes
        r = int(rng.integers(3, 7))
        for bx in (0.25, 0.75):
            for by in (0.1, 0.9) if rng.random() < 0.5 else (0.1,):
                cv2.circle(plate, (int(bx * PLATE_W), int(by * PLATE_H)), r, (40, 40, 40), -1)
    if rng.random() < 0.4:  # border line
        t = int(rng.integers(1, 4))
        cv2.rectangle(plate, (3, 3), (PLATE_W - 4, PLATE_H - 4), color, t)

    # emboss shadow, then the characters
    if rng.random() < 0.5:
        shade = mask // 2
        dx, dy = int(rng.integers(-3, 4)), int(rng.integers(1, 4))
        shadow_col = np.zeros_like(colors)
        _blend(plate, shade, shadow_col, x0 + dx if x0 + dx >= 0 else x0, y0 + dy)
    _blend(plate, mask, colors, x0, y0)
    char_box = (x0, y0, x0 + width, y0 + char_h)

    # dealer frame
    if rng.random() < 0.45:
        t_top, t_bot = int(rng.uniform(4, 24)), int(rng.uniform(8, 34))
        t_side = int(rng.uniform(4, 14))
        canvas = np.empty((PLATE_H + t_top + t_bot, PLATE_W + 2 * t_side, 3), np.uint8)
        fc = _rand_color(rng, 0, 60) if rng.random() < 0.6 else _rand_color(rng, 120, 220)
        canvas[:] = fc
        canvas[t_top : t_top + PLATE_H, t_side : t_side + PLATE_W] = plate
        inset = int(rng.uniform(0, 10))  # the frame covers the plate's edge
        if inset:
            cv2.rectangle(
                canvas,
                (0, 0),
                (canvas.shape[1] - 1, canvas.shape[0] - 1),
                fc,
                2 * inset + 2 * t_side,
                lineType=cv2.LINE_8,
            )
            canvas[: t_top + inset] = fc
            canvas[t_top + PLATE_H - inset :] = fc
        tc = (245, 245, 245) if sum(fc) < 300 else (20, 20, 20)
        if rng.random() < 0.5:
            tc = (40, 190, 220)
        for band_y, band_h in ((0, t_top + inset), (t_top + PLATE_H - inset, t_bot + inset)):
            if band_h >= 8 and rng.random() < 0.7:
                m = _text_mask(
                    small_text(rng, DEALERS),
                    small[int(rng.integers(len(small)))],
                    int(band_h * 0.7),
                )
                if m.shape[1] > canvas.shape[1] - 10:
                    m = cv2.resize(m, (canvas.shape[1] - 10, m.shape[0]))
                _paste_mask(
                    canvas,
                    m,
                    (canvas.shape[1] - m.shape[1]) // 2,
                    band_y + (band_h - m.shape[0]) // 2,
                    tc,
                )
        cb = char_box
        char_box = (cb[0] + t_side, cb[1] + t_top, cb[2] + t_side, cb[3] + t_top)
        return canvas, (t_side, t_top, t_side + PLATE_W, t_top + PLATE_H), char_box
    return plate, (0, 0, PLATE_W, PLATE_H), char_box


def _scene_background(rng: np.random.Generator, h: int, w: int, backgrounds: list[U8] | None) -> U8:
    if backgrounds and rng.random() < 0.7:
        src = backgrounds[int(rng.integers(len(backgrounds)))]
        sh, sw = src.shape[:2]
        ch = int(min(sh, rng.uniform(0.3, 1.0) * sh))
        cw = int(min(sw, ch * w / h))
        yy, xx = int(rng.integers(0, sh - ch + 1)), int(rng.integers(0, sw - cw + 1))
        return cv2.resize(src[yy : yy + ch, xx : xx + cw], (w, h))
    small = np.empty((max(2, h // 8), max(2, w // 8), 3), np.float32)
    small[:] = _rand_color(rng, 0, 255)
    g = np.linspace(rng.uniform(0.4, 1.0), rng.uniform(0.4, 1.0), small.shape[0], dtype=np.float32)
    small *= g[:, None, None]
    small += rng.standard_normal(small.shape, dtype=np.float32) * rng.uniform(0, 20)
    img = cv2.resize(np.clip(small, 0, 255).astype(np.uint8), (w, h))
    for _ in range(int(rng.integers(0, 6))):  # bumper edges, grille, lamps
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.rectangle(img, p1, p2, _rand_color(rng, 0, 255), int(rng.choice([-1, 2, 5])))
    return img


def _degrade(rng: np.random.Generator, crop: U8, clean: bool) -> U8:
    h, w = crop.shape[:2]
    target_w = (
        int(np.exp(rng.uniform(np.log(110), np.log(220))))
        if clean
        else int(np.exp(rng.uniform(np.log(56), np.log(240))))
    )
    target_h = max(8, round(target_w * h / w))
    img: F32 = cv2.resize(crop, (target_w, target_h), interpolation=cv2.INTER_AREA).astype(
        np.float32
    )
    if not clean:
        if rng.random() < 0.3:  # shadow across part of the plate
            pts = rng.uniform(0, 1, (3, 2)) * [target_w, target_h]
            far = np.array([[0, 0], [target_w, 0], [target_w, target_h], [0, target_h]])[
                int(rng.integers(4))
            ]
            poly = np.vstack([pts, far]).astype(np.int32)
            m = np.zeros((target_h, target_w), np.float32)
            cv2.fillConvexPoly(m, cv2.convexHull(poly), 1.0)
            m = cv2.GaussianBlur(m, (0, 0), max(0.5, target_w * 0.02))
            img *= 1 - m[..., None] * rng.uniform(0.3, 0.7)
        if rng.random() < 0.2:  # night / underexposed: dark and flat
            img = img * rng.uniform(0.3, 0.6) + rng.uniform(10, 50)
        else:
            img = (img - 128) * rng.uniform(0.6, 1.2) + 128 * rng.uniform(0.7, 1.2)
        img += rng.uniform(-25, 25, 3).astype(np.float32)  # colour cast
        if rng.random() < 0.15:  # glare
            cx, cy = rng.uniform(0, target_w), rng.uniform(0, target_h)
            yy, xx = np.mgrid[0:target_h, 0:target_w]
            d = ((xx - cx) ** 2 + (yy - cy) ** 2) / (0.1 + (rng.uniform(0.2, 0.6) * target_w) ** 2)
            img += (np.exp(-d) * rng.uniform(40, 120))[..., None]
        img = np.clip(img, 0, 255)
        if rng.random() < 0.6:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.3))
        if rng.random() < 0.15:
            k = int(rng.integers(3, 7))
            kern: F32 = np.zeros((k, k), np.float32)
            kern[k // 2, :] = 1.0 / k
            rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
            kern = cv2.warpAffine(kern, rot, (k, k))
            img = cv2.filter2D(img, -1, kern / max(kern.sum(), 1e-6))
        img += rng.standard_normal(img.shape, dtype=np.float32) * rng.uniform(0, 5)
    elif rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.2, 0.5))
    out: U8 = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < (0.4 if clean else 0.75):
        quality = int(rng.integers(70, 95)) if clean else int(rng.integers(15, 90))
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            out = decoded
    return out


def make_sample(
    rng: np.random.Generator,
    *,
    clean: bool = False,
    backgrounds: list[U8] | None = None,
    fonts: FontSet | None = None,
) -> SynthSample:
    """One synthetic plate crop, as a localizer or a ground-truth box would give it.

    Args:
        rng: the source of all randomness.
        clean: mild geometry and degradation (for tests and demos).
        backgrounds: BGR images to take scene backgrounds from (else drawn ones).
        fonts: fonts to use (else :func:`find_fonts`).
    """
    text, groups = random_plate(rng)
    plate, plate_box, char_box = render_plate(rng, groups, fonts)
    ph, pw = plate.shape[:2]

    # place the plate in a scene with a homography
    sw, sh = int(pw * 1.2), int(ph * 1.45)  # the scene is drawn at 0.6 scale
    scene = _scene_background(rng, sh, sw, backgrounds)
    scale = 0.6 * rng.uniform(0.9, 1.05)
    angle = np.deg2rad(rng.uniform(-3, 3) if clean else rng.uniform(-8, 8))
    persp = 0.03 if clean else 0.09
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    centered = (src - [pw / 2, ph / 2]) * scale
    yaw = rng.uniform(-0.15, 0.15) if not clean else 0.0  # one side shorter
    centered[:, 1] *= np.where(centered[:, 0] > 0, 1 + yaw, 1 - yaw)
    centered += rng.uniform(-persp, persp, (4, 2)) * [pw, ph]
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    dst = (centered @ rot.T + [sw / 2, sh / 2]).astype(np.float32)
    homo = cv2.getPerspectiveTransform(src, dst)
    cv2.warpPerspective(
        plate, homo, (sw, sh), dst=scene, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_TRANSPARENT
    )

    def project(box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = box
        pts = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32)
        q = cv2.perspectiveTransform(pts, homo)[0]
        return (
            float(q[:, 0].min()),
            float(q[:, 1].min()),
            float(q[:, 0].max()),
            float(q[:, 1].max()),
        )

    tx0, ty0, tx1, ty1 = project(char_box)
    px0, py0, px1, py1 = project(plate_box)
    mode = rng.random()
    if clean:
        mode = 0.6 if mode < 0.5 else 0.0
    if mode < 0.45:  # ground-truth-like: 2:1 box around the characters
        w = (tx1 - tx0) * rng.uniform(1.03, 1.3)
        h = w / 2 * rng.uniform(0.85, 1.15)
        cx = (tx0 + tx1) / 2 + rng.uniform(-0.04, 0.04) * w
        cy = (ty0 + ty1) / 2 + rng.uniform(-0.08, 0.08) * h
    elif mode < 0.87:  # detector-like: the plate
        w = (px1 - px0) * rng.uniform(0.92, 1.15)
        h = (py1 - py0) * rng.uniform(0.9, 1.2)
        cx = (px0 + px1) / 2 + rng.uniform(-0.05, 0.05) * w
        cy = (py0 + py1) / 2 + rng.uniform(-0.06, 0.06) * h
    else:  # loose
        w = (px1 - px0) * rng.uniform(1.15, 1.5)
        h = w / 2 * rng.uniform(0.8, 1.2)
        cx, cy = (px0 + px1) / 2, (py0 + py1) / 2
    cx0, cy0 = min(cx - w / 2, tx0 - 1), min(cy - h / 2, ty0 - 1)
    cx1, cy1 = max(cx + w / 2, tx1 + 1), max(cy + h / 2, ty1 + 1)
    cx0, cy0 = int(max(0, cx0)), int(max(0, cy0))
    cx1, cy1 = int(min(sw, cx1)), int(min(sh, cy1))
    crop = scene[cy0:cy1, cx0:cx1]
    return SynthSample(_degrade(rng, crop, clean), text)


def generate(
    count: int,
    seed: int,
    *,
    clean: bool = False,
    backgrounds: list[U8] | None = None,
    start: int = 0,
    fonts: FontSet | None = None,
) -> list[SynthSample]:
    """``count`` samples; sample ``i`` depends only on (``seed``, ``start + i``) and the fonts.

    ``fonts`` defaults to :func:`find_fonts` (PyPI and installed Debian fonts).
    """
    fonts = fonts or find_fonts()
    return [
        make_sample(
            np.random.default_rng([seed, start + i]),
            clean=clean,
            backgrounds=backgrounds,
            fonts=fonts,
        )
        for i in range(count)
    ]
