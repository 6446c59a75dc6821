"""Synthetic images where what matters is far apart: the tasks that show
what a SpatialRNN's view of the whole image buys.

- `two_marks`: four coloured marks, one in each quadrant; the label says
  whether the two on the main diagonal share a colour. Every image holds
  two red and two blue marks, so neither the colours present nor any
  neighbourhood of one mark tells the label: only comparing opposite
  corners does.
- `shape_scenes`: circles, squares and triangles of random colour and size
  with a label per pixel. Inside a large shape every pixel looks alike; only
  a view that reaches the shape's outline says which shape it is in.
"""

import numpy as np

from course.data.images import SHAPES
from course.data.images import _shape_mask

MARK_COLOURS = np.array([(0.95, 0.15, 0.1), (0.15, 0.3, 0.95)], dtype="float32")
QUADRANTS = ("top-left", "top-right", "bottom-left", "bottom-right")
SCENE_CLASSES = ("background", *SHAPES)


def _check(n, image_size, smallest):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}.")
    if not isinstance(image_size, int) or image_size < smallest:
        raise ValueError(
            f"image_size must be an int >= {smallest}; got {image_size!r}."
        )


def two_marks(n, image_size=32, mark_size=3, margin=4, noise=0.1, seed=0):
    """Images with four marks; label 1 when the diagonal pair matches.

    Each quadrant holds one `mark_size` square at a random position, at
    least `margin` pixels from the quadrant's edges, so marks in different
    quadrants are at least `2 * margin` pixels apart and no window of
    `2 * margin - 1` pixels (7 by default) reaches two of them. Two marks are red and two
    blue. Label 1 (half the images): the top-left and bottom-right marks
    share a colour (so do the other two). Label 0: the matching pairs are
    the rows or the columns instead, with equal probability.

    Returns:
        `(images, labels)`: float32 `(n, image_size, image_size, 3)` with
        Gaussian noise of std `noise`, and float32 labels `(n,)` in {0, 1}.
    """
    _check(n, image_size, 2 * (mark_size + 2 * margin))
    rng = np.random.default_rng(seed)
    half = image_size // 2
    images = rng.normal(0.0, noise, (n, image_size, image_size, 3)).astype("float32")
    labels = rng.integers(0, 2, n)
    corners = [(0, 0), (0, half), (half, 0), (half, half)]  # in QUADRANTS order
    for image, label in zip(images, labels, strict=True):
        first = rng.integers(2)  # the top-left mark's colour
        if label:
            colours = (first, 1 - first, 1 - first, first)  # diagonals match
        elif rng.integers(2):
            colours = (first, first, 1 - first, 1 - first)  # rows match
        else:
            colours = (first, 1 - first, first, 1 - first)  # columns match
        for (top, left), colour in zip(corners, colours, strict=True):
            row, column = rng.integers(margin, half - mark_size - margin + 1, size=2)
            image[
                top + row : top + row + mark_size,
                left + column : left + column + mark_size,
            ] += MARK_COLOURS[colour]
    return images, labels.astype("float32")


def shape_scenes(n, image_size=32, shapes_per_image=2, noise=0.05, seed=0):
    """Scenes of shapes with per-pixel labels, for segmentation.

    Each scene holds `shapes_per_image` shapes (circle, square, triangle),
    each of radius between image_size/6 and image_size/4 and a random
    colour (the same colours for every kind, so colour tells nothing),
    placed without overlap on a dark noisy background.

    Returns:
        `(images, masks)`: float32 images `(n, image_size, image_size, 3)`
        and int32 masks `(n, image_size, image_size)` holding the index of
        each pixel's class in `SCENE_CLASSES` (0 = background).
    """
    _check(n, image_size, 16)
    if not isinstance(shapes_per_image, int) or not 1 <= shapes_per_image <= 3:
        raise ValueError(
            f"shapes_per_image must be 1, 2 or 3; got {shapes_per_image!r}."
        )
    rng = np.random.default_rng(seed)
    images = rng.normal(0.1, noise, (n, image_size, image_size, 3)).astype("float32")
    masks = np.zeros((n, image_size, image_size), dtype="int32")
    smallest, largest = image_size // 6, image_size // 4
    for image, mask in zip(images, masks, strict=True):
        placed = 0
        while placed < shapes_per_image:
            kind = rng.integers(len(SHAPES))
            radius = int(rng.integers(smallest, largest + 1))
            centre_y, centre_x = rng.integers(radius, image_size - radius, size=2)
            region = _shape_mask(SHAPES[kind], centre_y, centre_x, radius, image_size)
            if (mask[region] != 0).any():
                continue  # overlaps a shape already drawn: draw another
            image[region] = rng.uniform(0.4, 1.0, size=3)
            mask[region] = kind + 1
            placed += 1
    return images, masks
