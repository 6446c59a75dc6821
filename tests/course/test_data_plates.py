"""Licence-plate strings and their rendered images."""

import numpy as np
import pytest

from course.data import plates


def test_plate_strings_follow_the_pattern_and_seed():
    texts = plates.plate_strings(50, seed=3)
    assert texts == plates.plate_strings(50, seed=3)
    assert texts != plates.plate_strings(50, seed=4)
    for text in texts:
        assert len(text) == 6
        assert text[0] in plates.PLATE_LETTERS and set(text[4:]) <= set(
            plates.PLATE_LETTERS
        )
        assert text[1:4].isdigit()
    with pytest.raises(ValueError, match="num_plates must be a positive int"):
        plates.plate_strings(0)
    with pytest.raises(ValueError, match="pattern must be"):
        plates.plate_strings(3, pattern="LQ")


def test_render_plates_is_seeded_and_shows_the_text():
    images = plates.render_plates(["A123BC", "A123BC", "X999YY"], height=32, width=128)
    assert images.shape == (3, 32, 128, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    again = plates.render_plates(["A123BC", "A123BC", "X999YY"], height=32, width=128)
    np.testing.assert_array_equal(images, again)
    # glyphs are darker than the plate: every image has ink in its middle
    for image in images[..., 0]:
        assert image.min() < image.max() - 0.3
    # the ink spans more columns for a longer string
    short, long = plates.render_plates(["A1", "A123BC"], seed=1)[..., 0]
    assert _inked_columns(long) > _inked_columns(short)


def _inked_columns(image):
    return ((image.max() - image) > 0.2).any(axis=0).sum()


def test_render_plates_rejects_bad_arguments():
    with pytest.raises(ValueError, match="outside"):
        plates.render_plates(["A12Z"])
    with pytest.raises(ValueError, match="non-empty list"):
        plates.render_plates([])
    with pytest.raises(ValueError, match="height must be a positive int"):
        plates.render_plates(["A1"], height=0)


def test_harder_plates_rotate_blur_and_add_noise():
    texts = plates.plate_strings(16, seed=3)
    plain = plates.render_plates(texts, seed=5)
    # each is off by default: the defaults are the plain images
    same = plates.render_plates(texts, seed=5, slant=0, blur=0, noise=0)
    np.testing.assert_array_equal(same, plain)
    # noise: the plain plate plus noise of the asked-for standard deviation
    noisy = plates.render_plates(texts, seed=5, noise=0.05)
    inside = (plain > 0.2) & (plain < 0.8)  # where no clipping happens
    assert abs((noisy - plain)[inside].std() - 0.05) < 0.005
    # blur: smoother rows (less change from one column to the next)
    blurred = plates.render_plates(texts, seed=5, blur=1.0)
    assert (
        np.abs(np.diff(blurred, axis=2)).mean()
        < 0.7 * np.abs(np.diff(plain, axis=2)).mean()
    )
    # slant: rotated text covers more rows of the plate than straight text
    slanted = plates.render_plates(texts, seed=5, slant=20)

    def inked_rows(images):  # per image, the rows holding ink
        grey = images[..., 0]
        ink = grey.max(axis=(1, 2), keepdims=True) - grey
        return (ink > 0.2).any(axis=2).sum(axis=1)

    assert inked_rows(slanted).mean() > inked_rows(plain).mean() + 2


@pytest.mark.parametrize(
    "argument, value, message",
    [
        ("slant", 45, r"slant must be in \[0, 30\]"),
        ("blur", -1, r"blur must be in \[0, 5\]"),
        ("noise", "0.1", "noise must be a number"),
        ("noise", True, "noise must be a number"),
    ],
)
def test_harder_plates_reject_bad_arguments(argument, value, message):
    with pytest.raises(ValueError, match=message):
        plates.render_plates(["A1"], **{argument: value})
