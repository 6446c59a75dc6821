"""Video clips for action recognition: synthetic actions that begin alike,
and UCF101 through tensorflow-datasets.

The lecture's point about recognising actions in video (its example is the
KTH action database: walking, jogging, running, boxing, hand waving, hand
clapping) is that different kinds of movement may begin with the same
frames, so the decision needs the whole sequence. `action_clips` builds that
property in: a small figure walks to the right for the first
`shared_frames` frames of every clip, whatever its class, and only then does
its class's action. `ucf101` loads real clips (101 actions) for the same
models.
"""

import numpy as np

from course.data._tfds import load_tfds_split

#: The classes of `action_clips`, in label order: what the figure does
#: after the shared walk.
ACTIONS = ("walk on", "turn back", "jump", "sit down")
#: The figure's poses, rows top to bottom (1 = figure pixel): walking with
#: the legs apart and together, and sitting (one row shorter, knees bent).
POSES = {
    "legs apart": ((0, 1, 0), (1, 1, 1), (0, 1, 0), (1, 0, 1)),
    "legs together": ((0, 1, 0), (1, 1, 1), (0, 1, 0), (0, 1, 0)),
    "sitting": ((0, 1, 0), (1, 1, 1), (1, 1, 1)),
}
FIGURE_HEIGHT, FIGURE_WIDTH = 4, 3
#: Walking speed range, pixels per frame.
SPEEDS = (0.5, 0.9)
#: Jump height range, pixels.
JUMP_HEIGHTS = (2.5, 4.0)
UCF101_SPLITS = ("train", "test")


def _check_int(name, value, smallest):
    if not isinstance(value, int) or isinstance(value, bool) or value < smallest:
        raise ValueError(f"{name} must be an int >= {smallest}; got {value!r}.")
    return value


def _check_labels(labels, n):
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be {n} integer class ids (one per clip); got an array "
            f"of shape {labels.shape} and dtype {labels.dtype}."
        )
    if labels.min() < 0 or labels.max() >= len(ACTIONS):
        raise ValueError(
            f"labels must be class ids from 0 to {len(ACTIONS) - 1} "
            f"({', '.join(ACTIONS)}); got values from {labels.min()} to {labels.max()}."
        )
    return labels.astype("int32")


def _draw(frame, pose, feet_row, left_column, brightness):
    """Adds `pose` to `frame` with its bottom row at `feet_row`."""
    sprite = np.asarray(POSES[pose], dtype="float32")
    top = feet_row - len(sprite) + 1
    frame[top : feet_row + 1, left_column : left_column + FIGURE_WIDTH] += (
        brightness * sprite
    )


def _track(action, frames, shared_frames, start, speed, jump_height, phase):
    """The figure's (pose, feet row, left column) in each frame.

    The first `shared_frames` entries depend only on the start, the speed
    and the stride's phase, never on `action`.
    """
    row, column = start
    track = []
    for t in range(frames):
        walking_pose = "legs apart" if (t + phase) % 2 == 0 else "legs together"
        after = t - shared_frames + 1  # frames since the shared walk ended (> 0)
        if after <= 0 or action == "walk on":
            x, y, pose = column + speed * t, row, walking_pose
        elif action == "turn back":
            x, y, pose = (
                column + speed * (2 * (shared_frames - 1) - t),
                row,
                walking_pose,
            )
        elif action == "jump":
            # A parabola from the ground back to it by the last frame.
            arc = after * (frames - shared_frames - after)
            top = ((frames - shared_frames) / 2) ** 2
            x = column + speed * t
            y, pose = row - jump_height * arc / top, "legs together"
        else:  # "sit down": stops where the walk ended
            x, y, pose = column + speed * (shared_frames - 1), row, "sitting"
        track.append((pose, int(round(y)), int(round(x))))
    return track


def action_clips(
    n,
    frames=12,
    shared_frames=6,
    frame_size=16,
    noise=0.15,
    seed=0,
    labels=None,
):
    """Grey clips of a small figure that walks, then does one of `ACTIONS`.

    In every clip a 4x3-pixel figure (`POSES`) walks to the right for the
    first `shared_frames` frames, alternating its legs, at a random speed
    (`SPEEDS`, pixels per frame) from a random start, with a random
    brightness; then it walks on, turns back (walks left at the same
    speed), jumps (a parabola of random height `JUMP_HEIGHTS`, landing on
    the last frame) or sits down (stops; a one-row-shorter pose). Gaussian
    noise of std `noise` is added to every pixel.

    By construction the first `shared_frames` frames carry no information
    about the class: the random start, speed, phase, brightness and noise
    are drawn from streams of their own, independent of the labels, and the
    frames before the action are drawn from them alone. Clips with the same
    seed and different labels are identical in those frames (a test checks
    it), so no classifier that sees only them can beat chance, 1/4.

    Args:
        n: Number of clips.
        frames: Frames per clip (at least `shared_frames + 2`).
        shared_frames: Frames of the walk every class begins with (>= 1).
        frame_size: Side of the square frames, pixels; large enough for the
            figure to walk the whole clip inside the frame.
        noise: Standard deviation of the pixel noise (>= 0).
        seed: Random seed.
        labels: Optional `n` class ids to generate (default: drawn
            uniformly, independently of everything else).

    Returns:
        `(clips, labels)`: float32 clips of shape `(n, frames, frame_size,
        frame_size, 1)` (the figure's pixels are 0.6 to 1 above the
        background 0, before noise), int32 labels `(n,)` indexing `ACTIONS`.
    """
    _check_int("n", n, 1)
    _check_int("shared_frames", shared_frames, 1)
    _check_int("frames", frames, shared_frames + 2)
    # Walking on takes the figure furthest right, speed * (frames - 1)
    # pixels; turning back takes it left of its start when the way back is
    # longer than the shared walk.
    ahead = int(np.ceil(SPEEDS[1] * (frames - 1)))
    behind = int(np.ceil(SPEEDS[1] * max(0, frames - 1 - 2 * (shared_frames - 1))))
    reach = behind + ahead + FIGURE_WIDTH
    # The feet stand at this row or lower (row 0 is the top), so a jump
    # stays in the frame.
    highest_feet_row = int(np.ceil(JUMP_HEIGHTS[1])) + FIGURE_HEIGHT - 1
    smallest = max(reach, highest_feet_row + 1)
    if not isinstance(frame_size, int) or frame_size < smallest:
        raise ValueError(
            f"frame_size must be an int >= {smallest} for clips of {frames} "
            f"frames (the figure may cover {reach - FIGURE_WIDTH} pixels); "
            f"got {frame_size!r}."
        )
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or noise < 0:
        raise ValueError(f"noise must be a number >= 0; got {noise!r}.")
    label_stream, motion_stream, noise_stream = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    if labels is None:
        labels = label_stream.integers(len(ACTIONS), size=n)
    labels = _check_labels(labels, n)
    # Every clip's random parameters, drawn whatever its label.
    feet_rows = motion_stream.integers(highest_feet_row, frame_size, size=n)
    columns = motion_stream.integers(behind, frame_size - reach + behind + 1, size=n)
    speeds = motion_stream.uniform(*SPEEDS, size=n)
    jump_heights = motion_stream.uniform(*JUMP_HEIGHTS, size=n)
    phases = motion_stream.integers(2, size=n)
    brightness = motion_stream.uniform(0.6, 1.0, size=n)
    clips = noise_stream.normal(0.0, noise, (n, frames, frame_size, frame_size))
    clips = clips.astype("float32")
    for clip, label, row, column, speed, height, phase, level in zip(
        clips, labels, feet_rows, columns, speeds, jump_heights, phases, brightness
    ):
        track = _track(
            ACTIONS[label], frames, shared_frames, (row, column), speed, height, phase
        )
        for frame, (pose, feet_row, left_column) in zip(clip, track, strict=True):
            _draw(frame, pose, feet_row, left_column, level)
    return clips[..., None], labels


def ucf101(
    split="train",
    frames=12,
    frame_size=16,
    channels=1,
    batch_size=None,
    data_dir=None,
    download=True,
):
    """UCF101's clips (Soomro et al., 2012), through tensorflow-datasets.

    13 320 YouTube clips of 101 human actions (25 frames per second),
    the kind of real data the synthetic `action_clips` stand in for. tfds's
    default configuration (`ucf101_1_256`, split 1: 9 537 training and
    3 783 test clips) downloads a 6.5 GB archive and decodes the videos with
    ffmpeg, which must be installed.

    Args:
        split: `"train"` or `"test"`.
        frames: The number of frames kept from the start of each clip;
            clips shorter than that are left out (UCF101's shortest has 29).
        frame_size: Side the frames are resized to, pixels.
        channels: 1 (grey) or 3 (RGB).
        batch_size: Batch the dataset if given.
        data_dir: tfds data directory (`None`: `~/tensorflow_datasets`).
        download: Whether to download and prepare the data when it is not
            prepared yet.

    Returns:
        A `tf.data.Dataset` of `(clip, label)`: float32 clips `(frames,
        frame_size, frame_size, channels)` in [0, 1], int32 labels (0 to 100).

    Raises:
        DatasetUnavailableError: Not prepared and not downloadable;
            `action_clips()` is the offline alternative.
    """
    import tensorflow as tf

    if split not in UCF101_SPLITS:
        raise ValueError(f"split must be one of {UCF101_SPLITS}; got {split!r}.")
    _check_int("frames", frames, 1)
    _check_int("frame_size", frame_size, 1)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3; got {channels!r}.")
    dataset = load_tfds_split(
        "ucf101",
        split,
        data_dir=data_dir,
        download=download,
        download_description="the UCF101 videos (UCF101.rar, 6.5 GB, from crcv.ucf.edu)",
        offline_alternative="course.data.action_clips(n, ...)",
    )

    def to_pair(example):
        video = tf.cast(example["video"][:frames], "float32") / 255.0  # (T, H, W, 3)
        video = tf.image.resize(video, (frame_size, frame_size))
        if channels == 1:
            video = tf.image.rgb_to_grayscale(video)
        return video, tf.cast(example["label"], "int32")

    long_enough = dataset.filter(
        lambda example: tf.shape(example["video"])[0] >= frames
    )
    dataset = long_enough.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size) if batch_size else dataset
