"""Image data: face crops, CelebA's gender attribute, image folders and a
synthetic captioning set.

The lecture's worked example classifies gender from a face photo (CelebA-like
data, 128x128 RGB). Offline, `lfw_faces` (scikit-image's face / non-face
crops) is the small default for the same kind of model; `celeba_gender` loads
the real task through tensorflow-datasets.
"""

import pathlib

import numpy as np
import skimage.data
import skimage.transform

from course.data._tfds import load_tfds_split
from course.data.text import WordVocabulary

CELEBA_SPLITS = ("train", "validation", "test")
#: Files tfds needs for CelebA; put them in `manual_dir` to skip the download.
CELEBA_FILES = (
    "img_align_celeba.zip",
    "list_eval_partition.txt",
    "list_attr_celeba.txt",
    "list_landmarks_align_celeba.txt",
    "identity_CelebA.txt",
)

#: RGB colours of the captioning set (each channel in [0, 1]).
SHAPE_COLOURS = {
    "red": (0.9, 0.1, 0.1),
    "green": (0.1, 0.75, 0.1),
    "blue": (0.15, 0.3, 0.95),
    "yellow": (0.95, 0.85, 0.1),
}
SHAPES = ("circle", "square", "triangle")
RELATIONS = ("above", "below", "left of", "right of")


def _check_size(image_size, name="image_size"):
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    image_size = tuple(image_size)
    if len(image_size) != 2 or any(not isinstance(s, int) or s < 1 for s in image_size):
        raise ValueError(
            f"{name} must be a positive int or a (height, width) pair; got {image_size!r}."
        )
    return image_size


def lfw_faces(image_size=25, channels=1):
    """Face / non-face crops shipped with scikit-image (offline default).

    `skimage.data.lfw_subset()`: 200 grey 25x25 crops, the first 100 faces
    from Labeled Faces in the Wild, the last 100 non-face patches. Label 1
    is "face", 0 "non-face"; the order is kept (shuffle before splitting).

    Args:
        image_size: Output size, an int or `(height, width)`; images are
            resized with anti-aliasing when it is not 25x25.
        channels: 1 (grey) or 3 (the grey value repeated, for models built
            for RGB input).

    Returns:
        `(images, labels)`: float32 of shape `(200, height, width, channels)`
        with values in [0, 1], and int32 labels of shape `(200,)`.
    """
    height, width = _check_size(image_size)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3; got {channels!r}.")
    images = skimage.data.lfw_subset()
    if images.shape[1:] != (height, width):
        images = np.stack(
            [
                skimage.transform.resize(image, (height, width), anti_aliasing=True)
                for image in images
            ]
        )
    images = np.repeat(images[..., None], channels, axis=-1).astype("float32")
    labels = np.repeat(np.array([1, 0], dtype="int32"), len(images) // 2)
    return np.clip(images, 0.0, 1.0), labels


def celeba_gender(
    split="train",
    image_size=128,
    batch_size=None,
    data_dir=None,
    manual_dir=None,
    download=True,
):
    """CelebA faces labelled by the `Male` attribute, through tensorflow-datasets.

    The real task of the lecture's SpatialRNN example (classifying gender
    from a face photo). CelebA (Liu et al. 2015) has 202 599 aligned 218x178
    face images with 40 binary attributes; tfds splits them 162 770 / 19 867
    / 19 962. The download (1.4 GB from Google Drive) often fails on Drive's
    quota: download the files of `CELEBA_FILES` by hand from the CelebA page
    and pass their folder as `manual_dir`.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        image_size: Size the images are resized to, an int or `(height, width)`.
        batch_size: Batch the dataset if given.
        data_dir: tfds data directory (`None`: `~/tensorflow_datasets`).
        manual_dir: Folder with manually downloaded `CELEBA_FILES`.
        download: Whether to download (or prepare from `manual_dir`) when the
            data is not prepared.

    Returns:
        A `tf.data.Dataset` of `(image, label)`: float32 images of shape
        `(height, width, 3)` in [0, 1], int32 label 1 for male, 0 for female.

    Raises:
        DatasetUnavailableError: Not prepared and not downloadable;
            `lfw_faces()` is the offline alternative.
    """
    import tensorflow as tf

    if split not in CELEBA_SPLITS:
        raise ValueError(f"split must be one of {CELEBA_SPLITS}; got {split!r}.")
    height, width = _check_size(image_size)
    dataset = load_tfds_split(
        "celeb_a",
        split,
        data_dir=data_dir,
        manual_dir=manual_dir,
        download=download,
        download_description=(
            "CelebA's images and attribute files (1.4 GB from Google Drive: "
            + ", ".join(CELEBA_FILES)
            + "; or put them in manual_dir)"
        ),
        offline_alternative="course.data.lfw_faces(image_size=..., channels=3)",
    )

    def to_pair(example):
        image = tf.image.resize(
            tf.cast(example["image"], "float32") / 255.0, (height, width)
        )
        return image, tf.cast(example["attributes"]["Male"], "int32")

    dataset = dataset.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size) if batch_size else dataset


def image_folder(
    directory,
    image_size=128,
    batch_size=32,
    validation_split=None,
    subset=None,
    seed=0,
):
    """Images sorted into one sub-directory per class, as a `tf.data.Dataset`.

    A thin wrapper over `keras.utils.image_dataset_from_directory` (labels
    are the sub-directory indices in alphabetical order) that also scales
    the pixels to [0, 1] like the other image loaders here.

    Args:
        directory: Folder with one sub-folder of images per class.
        image_size: Size the images are resized to, an int or `(height, width)`.
        batch_size: Batch size.
        validation_split: Fraction held out for validation, with `subset`.
        subset: `"training"` or `"validation"` when `validation_split` is set.
        seed: Shuffling / splitting seed.

    Returns:
        `(dataset, class_names)`: batches of float32 RGB images in [0, 1]
        with int32 labels, and the class names in label order.
    """
    import keras

    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise ValueError(f"directory {str(directory)!r} does not exist.")
    dataset = keras.utils.image_dataset_from_directory(
        directory,
        image_size=_check_size(image_size),
        batch_size=batch_size,
        validation_split=validation_split,
        subset=subset,
        seed=seed,
    )
    class_names = list(dataset.class_names)
    return dataset.map(lambda x, y: (x / 255.0, y)), class_names


def _shape_mask(shape, centre_y, centre_x, radius, size):
    yy, xx = np.mgrid[:size, :size]
    dy, dx = yy - centre_y, xx - centre_x
    if shape == "circle":
        return dy**2 + dx**2 <= radius**2
    if shape == "square":
        half = round(radius * 0.85)  # about the circle's area
        return (np.abs(dy) <= half) & (np.abs(dx) <= half)
    # An upright triangle: apex at the top, base `2 * radius` wide.
    return (np.abs(dy) <= radius) & (np.abs(dx) <= (dy + radius) / 2)


def shape_captions(n, image_size=32, seed=0):
    """A synthetic captioning set: two coloured shapes and a template caption.

    Each image shows two shapes (circle, square or triangle) of two
    different colours (`SHAPE_COLOURS`) on black, the first placed above,
    below, left of or right of the second (centres in opposite halves of the
    image); the caption says so: "a red circle above a blue square". The
    relation is never ambiguous: across its axis the centres differ by at
    most half their least distance along it, so the line joining them is
    within atan(1/2), about 27 degrees, of the axis and an image "above" is
    never also "left of". Stands
    in for the lecture's image-captioning example (a CNN encoder and an LSTM
    decoder) with data that a CPU learns in minutes.

    Args:
        n: Number of images.
        image_size: Side of the square images in pixels (at least 16).
        seed: Random seed.

    Returns:
        `(images, captions, tokens, vocab)`: float32 images of shape
        `(n, image_size, image_size, 3)` in [0, 1]; the captions (a list of
        `n` strings); int32 `tokens` of shape `(n, 10)`, each caption as
        `<start> ... <end>` padded with `<pad>`; and the `WordVocabulary`
        (the same for every seed and `n`).
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}.")
    if not isinstance(image_size, int) or image_size < 16:
        raise ValueError(f"image_size must be an int >= 16; got {image_size!r}.")
    rng = np.random.default_rng(seed)
    colours = sorted(SHAPE_COLOURS)
    words = ["a", *colours, *SHAPES] + sorted({w for r in RELATIONS for w in r.split()})
    vocab = WordVocabulary(words)
    radius = image_size // 6
    low, high = radius + 1, image_size // 2 - radius - 1  # range within one half
    # The least distance between a centre in one half's range and one in the other's.
    min_gap = image_size // 2 - (high - low)
    images = np.zeros((n, image_size, image_size, 3), dtype="float32")
    captions = []
    for i in range(n):
        shapes = rng.choice(SHAPES, size=2)
        first_colour, second_colour = rng.choice(colours, size=2, replace=False)
        relation = RELATIONS[rng.integers(len(RELATIONS))]
        # Along the relation's axis the first shape goes in one half, the
        # second in the other, at least `min_gap` apart; across it the second
        # stays within `min_gap // 2` of the first, so no image also shows the
        # perpendicular relation.
        near = rng.integers(low, high + 1, size=2)
        far = near + image_size // 2
        first_across = rng.integers(low, image_size - low)
        second_across = rng.integers(
            max(low, first_across - min_gap // 2),
            min(image_size - low, first_across + min_gap // 2 + 1),
        )
        across = (first_across, second_across)
        along_first, along_second = {
            "above": (near[0], far[1]),
            "below": (far[0], near[1]),
            "left of": (near[0], far[1]),
            "right of": (far[0], near[1]),
        }[relation]
        vertical = relation in ("above", "below")
        for shape, colour, along, other in (
            (shapes[0], first_colour, along_first, across[0]),
            (shapes[1], second_colour, along_second, across[1]),
        ):
            centre_y, centre_x = (along, other) if vertical else (other, along)
            mask = _shape_mask(shape, centre_y, centre_x, radius, image_size)
            images[i][mask] = SHAPE_COLOURS[colour]
        captions.append(
            f"a {first_colour} {shapes[0]} {relation} a {second_colour} {shapes[1]}"
        )
    tokens = np.stack([vocab.encode_sentence(c, length=10) for c in captions])
    return images, captions, tokens, vocab
