"""Licence-plate-like strings rendered as images, for sequence recognition.

Each example is a string such as ``"A123BC"`` drawn in one of matplotlib's
bundled DejaVu fonts (so it renders offline, identically on every machine)
with a seeded horizontal offset and contrast, and, when asked for, a
random slant, blur and pixel noise (harder plates). The image is read
column by column by a CRNN; the string is its unaligned target for CTC.
"""

import numpy as np
import scipy.ndimage
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Symbols a plate may hold; index 0 of a CTC alphabet is kept for the blank.
PLATE_LETTERS = "ABCEHKMOPTXY"
PLATE_DIGITS = "0123456789"
PLATE_ALPHABET = PLATE_DIGITS + PLATE_LETTERS
#: Plate layout: L = letter, D = digit (the Russian pattern "A123BC").
PLATE_PATTERN = "LDDDLL"
PLATE_FONTS = ("DejaVu Sans", "DejaVu Sans Mono", "DejaVu Serif")


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}.")
    return value


def plate_strings(num_plates, seed=0, pattern=PLATE_PATTERN):
    """`num_plates` random plate strings following `pattern` (L letter, D digit)."""
    _check_positive_int(num_plates, "num_plates")
    if not pattern or set(pattern) - {"L", "D"}:
        raise ValueError(
            f"pattern must be a non-empty string of 'L' (letter) and 'D' (digit); "
            f"got {pattern!r}."
        )
    rng = np.random.default_rng(seed)
    pools = [PLATE_LETTERS if kind == "L" else PLATE_DIGITS for kind in pattern]
    return [
        "".join(pool[rng.integers(len(pool))] for pool in pools)
        for _ in range(num_plates)
    ]


def _check_range(value, name, high):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number; got {value!r}.")
    if not 0 <= value <= high:
        raise ValueError(f"{name} must be in [0, {high}]; got {value!r}.")
    return float(value)


def render_plates(texts, height=32, width=128, seed=0, slant=0.0, blur=0.0, noise=0.0):
    """Render `texts` as grey images in [0, 1], dark glyphs on a light plate.

    Returns float32 `(len(texts), height, width, 1)`. Font, horizontal
    offset and contrast are drawn from `seed`; the same arguments give the
    same pixels. Harder plates, each off by default (the defaults give
    the same pixels as without them):

    - `slant`: the text is rotated by an angle drawn uniformly from
      [-slant, slant] degrees (at most 30);
    - `blur`: a Gaussian blur of `blur` pixels standard deviation (at most 5);
    - `noise`: Gaussian noise of standard deviation `noise` added to every
      pixel (at most 1), before clipping to [0, 1].
    """
    _check_positive_int(height, "height")
    _check_positive_int(width, "width")
    slant = _check_range(slant, "slant", 30)
    blur = _check_range(blur, "blur", 5)
    noise = _check_range(noise, "noise", 1)
    texts = list(texts)
    if not texts or not all(isinstance(t, str) and t for t in texts):
        raise ValueError("texts must be a non-empty list of non-empty strings.")
    unknown = sorted(set("".join(texts)) - set(PLATE_ALPHABET))
    if unknown:
        raise ValueError(f"texts hold symbols {unknown} outside {PLATE_ALPHABET!r}.")
    rng = np.random.default_rng(seed)
    # The harder plates' draws come from a stream of their own, so a plate
    # with noise is the plain plate plus noise (same font, offset, contrast).
    harder = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
    dpi = 100
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    images = np.empty((len(texts), height, width, 1), np.float32)
    for i, text in enumerate(texts):
        figure.clear()
        x = 0.5 + rng.uniform(-0.05, 0.05)
        font = PLATE_FONTS[rng.integers(len(PLATE_FONTS))]
        figure.text(
            x,
            0.5,
            text,
            fontfamily=font,
            fontsize=0.6 * height * 72 / dpi,
            rotation=harder.uniform(-slant, slant) if slant else 0.0,
            rotation_mode="anchor",
            ha="center",
            va="center",
        )
        canvas.draw()
        ink = 1.0 - np.asarray(canvas.buffer_rgba())[..., 0] / 255.0  # (H, W)
        if blur:
            ink = scipy.ndimage.gaussian_filter(ink, blur)
        background = rng.uniform(0.8, 1.0)
        images[i, ..., 0] = background - rng.uniform(0.5, 0.75) * ink
        if noise:
            images[i, ..., 0] += harder.normal(0.0, noise, (height, width))
    return np.clip(images, 0.0, 1.0)
