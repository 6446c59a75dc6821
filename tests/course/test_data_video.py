"""Video data: the synthetic action clips (shapes, seeding, the shared start
that tells nothing, each action's motion, bad arguments) and UCF101 (mocked
and offline)."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from course import data
from course.data import video

SHARED = 6


def figure_boxes(clips):
    """(top row, bottom row, left column, right column) of the figure in
    every frame of noise-free clips: `(n, frames, 4)`."""
    pixels = clips[..., 0] > 0
    rows, columns = pixels.any(axis=3), pixels.any(axis=2)  # (n, frames, size)

    def first_last(mask):
        first = mask.argmax(axis=-1)
        last = mask.shape[-1] - 1 - mask[..., ::-1].argmax(axis=-1)
        return first, last

    (top, bottom), (left, right) = first_last(rows), first_last(columns)
    return np.stack([top, bottom, left, right], axis=-1)


def test_shapes_dtypes_and_seeding():
    clips, labels = data.action_clips(50, seed=3)
    assert clips.shape == (50, 12, 16, 16, 1) and clips.dtype == np.float32
    assert labels.shape == (50,) and labels.dtype == np.int32
    assert set(labels.tolist()) == set(range(len(video.ACTIONS)))
    again, same_labels = data.action_clips(50, seed=3)
    np.testing.assert_array_equal(clips, again)
    np.testing.assert_array_equal(labels, same_labels)
    other, _ = data.action_clips(50, seed=4)
    assert not np.allclose(clips, other)
    longer, _ = data.action_clips(5, frames=20, shared_frames=8, frame_size=26)
    assert longer.shape == (5, 20, 26, 26, 1)


def test_the_noise_has_the_requested_spread():
    clips, _ = data.action_clips(40, noise=0.2, seed=0)
    clean, _ = data.action_clips(40, noise=0.0, seed=0)
    np.testing.assert_allclose((clips - clean).std(), 0.2, rtol=0.02)
    figure = clean > 0
    assert 0.6 <= clean[figure].min() and clean[figure].max() <= 1.0
    assert (clean[~figure] == 0).all()


def test_the_shared_frames_do_not_depend_on_the_class():
    # The same seed with each label in turn: the first SHARED frames are
    # identical bit for bit, so their distribution is the same per class.
    n = 30
    per_class = [
        data.action_clips(n, shared_frames=SHARED, seed=7, labels=np.full(n, k))[0]
        for k in range(len(video.ACTIONS))
    ]
    for clips in per_class[1:]:
        np.testing.assert_array_equal(clips[:, :SHARED], per_class[0][:, :SHARED])
        # ... and the action changes the frames after them.
        assert not np.array_equal(clips[:, SHARED:], per_class[0][:, SHARED:])


def test_drawn_labels_are_independent_of_the_motion():
    # Drawn labels come from their own stream: the clips with drawn labels
    # equal the clips generated with those labels given.
    clips, labels = data.action_clips(40, seed=2)
    given, _ = data.action_clips(40, seed=2, labels=labels)
    np.testing.assert_array_equal(clips, given)


def test_each_action_moves_the_figure_as_named():
    n = 40
    boxes = {
        action: figure_boxes(
            data.action_clips(
                n, noise=0.0, shared_frames=SHARED, seed=5, labels=np.full(n, k)
            )[0]
        )
        for k, action in enumerate(video.ACTIONS)
    }
    walk = boxes["walk on"]
    left = walk[..., 2]
    # The shared walk goes right, one column every one or two frames.
    steps = np.diff(left[:, :SHARED], axis=1)
    assert (steps >= 0).all() and (left[:, SHARED - 1] - left[:, 0] >= 2).all()
    for action, box in boxes.items():
        top, bottom, left, right = np.moveaxis(box, -1, 0)
        assert (right - left == video.FIGURE_WIDTH - 1).all()
        end = left[:, -1] - left[:, SHARED - 1]
        height = bottom - top + 1
        if action == "walk on":
            assert (end >= 2).all() and (height == video.FIGURE_HEIGHT).all()
        elif action == "turn back":
            assert (end <= -2).all() and (height == video.FIGURE_HEIGHT).all()
        elif action == "jump":
            rise = bottom[:, SHARED - 1 : SHARED][:, [0]] - bottom[:, SHARED:]
            assert (rise.max(axis=1) >= 2).all() and (rise[:, -1] == 0).all()
        else:  # sit down: stops, one row shorter
            assert (end == 0).all() and (np.diff(left[:, SHARED - 1 :]) == 0).all()
            assert (height[:, SHARED:] == video.FIGURE_HEIGHT - 1).all()
        assert (bottom[:, SHARED:] <= bottom[:, [0]]).all(), action


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0}, "n must be an int >= 1; got 0"),
        ({"n": 2.0}, "n must be an int >= 1"),
        ({"n": 4, "shared_frames": 0}, "shared_frames must be an int >= 1"),
        ({"n": 4, "frames": 7}, "frames must be an int >= 8; got 7"),
        ({"n": 4, "frame_size": 12}, "frame_size must be an int >= 14"),
        ({"n": 4, "frames": 20, "shared_frames": 8}, "frame_size must be an int >="),
        ({"n": 4, "noise": -0.1}, "noise must be a number >= 0"),
        ({"n": 2, "labels": [0, 1, 2]}, "labels must be 2 integer class ids"),
        ({"n": 2, "labels": [0.0, 1.0]}, "labels must be 2 integer class ids"),
        ({"n": 2, "labels": [0, 4]}, "class ids from 0 to 3"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.action_clips(**kwargs)


def test_ucf101_through_tfds_mock(tmp_path):
    with tfds.testing.mock_data(num_examples=2):
        dataset = data.ucf101(
            "test", frames=5, frame_size=8, batch_size=2, data_dir=tmp_path
        )
        clips, labels = next(iter(dataset.as_numpy_iterator()))
        # tfds's mock clips have 5 to 49 frames: none has 500.
        too_long = data.ucf101("test", frames=500, data_dir=tmp_path)
        assert list(too_long.as_numpy_iterator()) == []
    assert clips.shape == (2, 5, 8, 8, 1) and clips.dtype == np.float32
    assert 0.0 <= clips.min() and clips.max() <= 1.0
    assert labels.dtype == np.int32 and ((0 <= labels) & (labels < 101)).all()


def test_ucf101_bad_arguments():
    with pytest.raises(ValueError, match="split must be one of"):
        data.ucf101("validation")
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        data.ucf101(channels=2)
    with pytest.raises(ValueError, match="frame_size must be an int >= 1"):
        data.ucf101(frame_size=0)


def test_ucf101_offline_fails_with_one_clear_error(tmp_path, offline):
    with pytest.raises(data.DatasetUnavailableError) as caught:
        data.ucf101(data_dir=tmp_path)
    message = str(caught.value)
    assert "ucf101" in message and "UCF101.rar" in message
    assert "course.data.action_clips" in message


def test_ucf101_without_download_names_the_alternative(tmp_path):
    with pytest.raises(data.DatasetUnavailableError, match="download=False"):
        data.ucf101(data_dir=tmp_path, download=False)
