"""course.data.scenes: the two-marks task and the shape scenes hold what
their docstrings promise, checked on the noise-free images."""

import numpy as np
import pytest
import scipy.ndimage

from course.data.images import SHAPES
from course.data.scenes import MARK_COLOURS
from course.data.scenes import SCENE_CLASSES
from course.data.scenes import shape_scenes
from course.data.scenes import two_marks


def _marks(image):
    """(colour index, top, left) of each mark, by quadrant order."""
    found = []
    for colour_index, colour in enumerate(MARK_COLOURS):
        labelled, count = scipy.ndimage.label((image == colour).all(-1))
        for region in scipy.ndimage.find_objects(labelled):
            found.append((colour_index, region[0].start, region[1].start))
    return found


def test_two_marks_labels_say_whether_the_diagonal_matches():
    images, labels = two_marks(400, noise=0.0, seed=3)
    noisy, noisy_labels = two_marks(400, seed=3)
    np.testing.assert_array_equal(labels, noisy_labels)  # noise moves nothing
    assert np.abs(noisy - images).std() > 0.05
    assert 0.4 < labels.mean() < 0.6
    half = images.shape[1] // 2
    kinds = set()
    for image, label in zip(images, labels, strict=True):
        marks = _marks(image)
        assert sorted(c for c, _, _ in marks) == [0, 0, 1, 1]
        by_quadrant = {(top >= half, left >= half): c for c, top, left in marks}
        assert len(by_quadrant) == 4  # one mark per quadrant
        diagonal = by_quadrant[(False, False)] == by_quadrant[(True, True)]
        assert diagonal == bool(label)
        rows = by_quadrant[(False, False)] == by_quadrant[(False, True)]
        kinds.add((diagonal, rows))
        for _, top, left in marks:  # margin 4 from the quadrant's edges
            assert 4 <= top % half <= half - 3 - 4
            assert 4 <= left % half <= half - 3 - 4
    assert kinds == {(True, False), (False, True), (False, False)}


def test_shape_scenes_label_every_pixel_of_non_overlapping_shapes():
    images, masks = shape_scenes(60, image_size=32, shapes_per_image=2, noise=0.0)
    assert images.shape == (60, 32, 32, 3) and masks.shape == (60, 32, 32)
    assert set(np.unique(masks)) == set(range(len(SCENE_CLASSES)))
    assert SCENE_CLASSES == ("background", *SHAPES)
    for image, mask in zip(images, masks, strict=True):
        # Each shape has a colour of its own (shapes may touch, never overlap).
        colours, shape_of_pixel = np.unique(
            image[mask > 0], axis=0, return_inverse=True
        )
        assert len(colours) == 2 and colours.min() >= 0.4
        classes = mask[mask > 0]
        for shape in range(2):
            assert len(np.unique(classes[shape_of_pixel.ravel() == shape])) == 1
        assert np.allclose(image[mask == 0], 0.1)  # the background, noise-free


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: two_marks(0), "positive integer"),
        (lambda: two_marks(10, image_size=20), "image_size"),
        (lambda: shape_scenes(10, image_size=8), "image_size"),
        (lambda: shape_scenes(10, shapes_per_image=4), "shapes_per_image"),
    ],
)
def test_bad_arguments_get_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
