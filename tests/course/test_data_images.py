"""Image data: face crops, CelebA (mocked and offline), image folders and the
synthetic captioning set."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from course import data
from course.data import images as image_data


def test_lfw_faces_default():
    images, labels = data.lfw_faces()
    assert images.shape == (200, 25, 25, 1) and images.dtype == np.float32
    assert labels.shape == (200,) and labels.dtype == np.int32
    np.testing.assert_array_equal(labels, [1] * 100 + [0] * 100)
    assert 0.0 <= images.min() and images.max() <= 1.0


def test_lfw_faces_resized_to_rgb():
    grey, _ = data.lfw_faces()
    images, _ = data.lfw_faces(image_size=(50, 40), channels=3)
    assert images.shape == (200, 50, 40, 3)
    np.testing.assert_array_equal(images[..., 0], images[..., 2])
    # a resize, not a crop: the mean brightness of each image is kept
    np.testing.assert_allclose(
        images[..., 0].mean(axis=(1, 2)), grey.mean(axis=(1, 2, 3)), atol=0.02
    )
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        data.lfw_faces(channels=2)
    with pytest.raises(ValueError, match="image_size must be"):
        data.lfw_faces(image_size=(0, 5))


def test_celeba_gender_through_tfds_mock(tmp_path):
    with tfds.testing.mock_data(num_examples=4):
        dataset = data.celeba_gender(
            "validation", image_size=32, batch_size=2, data_dir=tmp_path
        )
        batches = list(dataset.as_numpy_iterator())
    assert len(batches) == 2
    images, labels = batches[0]
    assert images.shape == (2, 32, 32, 3) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert labels.dtype == np.int32 and set(labels.tolist()) <= {0, 1}
    with pytest.raises(ValueError, match="split must be one of"):
        data.celeba_gender("dev")


def test_celeba_offline_fails_with_one_clear_error(tmp_path, offline):
    manual = tmp_path / "manual"
    manual.mkdir()
    with pytest.raises(data.DatasetUnavailableError) as caught:
        data.celeba_gender(data_dir=tmp_path / "tfds", manual_dir=manual)
    message = str(caught.value)
    assert "celeb_a" in message and "img_align_celeba.zip" in message
    assert "manual_dir" in message and "course.data.lfw_faces" in message


def test_image_folder(tmp_path):
    import keras

    rng = np.random.default_rng(0)
    for name, count in (("cats", 3), ("dogs", 2)):
        (tmp_path / name).mkdir()
        for i in range(count):
            pixels = rng.integers(0, 256, size=(20, 30, 3)).astype("uint8")
            keras.utils.save_img(tmp_path / name / f"{i}.png", pixels)
    dataset, class_names = data.image_folder(tmp_path, image_size=16, batch_size=5)
    assert class_names == ["cats", "dogs"]
    images, labels = next(iter(dataset.as_numpy_iterator()))
    assert images.shape == (5, 16, 16, 3)
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.max() > 0.5
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1]
    with pytest.raises(ValueError, match="does not exist"):
        data.image_folder(tmp_path / "missing")


def classify_shape(mask):
    """circle / square / triangle from a shape's pixel mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    widths = mask[rows].sum(axis=1)
    box = len(rows) * widths.max()
    if mask.sum() == box:
        return "square"
    return "triangle" if widths[-1] > widths[0] + 2 else "circle"


def test_shape_captions_describe_their_images():
    images, captions, tokens, vocab = data.shape_captions(300, image_size=32, seed=0)
    assert images.shape == (300, 32, 32, 3) and images.dtype == np.float32
    assert tokens.shape == (300, 10) and tokens.dtype == np.int32
    seen_relations = set()
    for image, caption, ids in zip(images, captions, tokens):
        assert vocab.decode_sentence(ids) == caption
        words = caption.split()
        first_colour, first_shape = words[1], words[2]
        relation = " ".join(words[3:-3])
        second_colour, second_shape = words[-2], words[-1]
        seen_relations.add(relation)
        centres = []
        for colour, shape in (
            (first_colour, first_shape),
            (second_colour, second_shape),
        ):
            mask = np.all(np.isclose(image, image_data.SHAPE_COLOURS[colour]), axis=-1)
            assert classify_shape(mask) == shape, caption
            centres.append(np.argwhere(mask).mean(axis=0))  # (row, column)
        (y1, x1), (y2, x2) = centres
        assert {
            "above": y1 < y2 - 5,
            "below": y1 > y2 + 5,
            "left of": x1 < x2 - 5,
            "right of": x1 > x2 + 5,
        }[relation], caption
    assert seen_relations == set(image_data.RELATIONS)


def test_shape_captions_show_exactly_one_relation():
    # Along the caption's axis the centres are at least twice as far apart as
    # across it, so the image never also shows the perpendicular relation.
    images, captions, _, _ = data.shape_captions(1000, image_size=24, seed=3)
    for image, caption in zip(images, captions):
        words = caption.split()
        relation = " ".join(words[3:-3])
        centres = []
        for colour in (words[1], words[-2]):
            mask = np.all(np.isclose(image, image_data.SHAPE_COLOURS[colour]), axis=-1)
            pixels = np.argwhere(mask)
            centres.append((pixels.min(axis=0) + pixels.max(axis=0)) / 2)
        rows, columns = centres[0] - centres[1]
        along, across = (
            (rows, columns) if relation in ("above", "below") else (columns, rows)
        )
        sign = -1 if relation in ("above", "left of") else 1
        assert sign * along >= 2 * abs(across), caption


def test_shape_captions_are_deterministic_with_a_fixed_vocabulary():
    a = data.shape_captions(20, seed=5)
    b = data.shape_captions(20, seed=5)
    c = data.shape_captions(7, seed=6)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1] and a[1][:7] != c[1]
    assert a[3].tokens == c[3].tokens
    with pytest.raises(ValueError, match="image_size must be an int >= 16"):
        data.shape_captions(3, image_size=8)
