"""Edit distance against TensorFlow's tf.edit_distance."""

import numpy as np
import pytest
import tensorflow as tf

from course.edit_distance import character_error_rate
from course.edit_distance import edit_distance


def _sparse(sequences):
    indices = [[i, j] for i, s in enumerate(sequences) for j in range(len(s))]
    values = [int(v) for s in sequences for v in s]
    width = max(len(s) for s in sequences)
    return tf.sparse.SparseTensor(indices, values, [len(sequences), width])


def test_edit_distance_matches_tensorflow():
    rng = np.random.default_rng(0)
    predicted = [list(rng.integers(0, 3, rng.integers(1, 7))) for _ in range(40)]
    targets = [list(rng.integers(0, 3, rng.integers(1, 7))) for _ in range(40)]
    expected = tf.edit_distance(_sparse(predicted), _sparse(targets), normalize=False)
    ours = [edit_distance(p, t) for p, t in zip(predicted, targets)]
    np.testing.assert_array_equal(ours, expected.numpy())


def test_character_error_rate():
    cer, exact = character_error_rate(["A123BC", "A12BC"], ["A123BC", "A123BX"])
    assert cer == pytest.approx(2 / 12) and exact == 0.5
    with pytest.raises(ValueError, match="as many predictions as targets"):
        character_error_rate(["A"], [])
