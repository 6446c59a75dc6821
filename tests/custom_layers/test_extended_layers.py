"""Every layer beyond Elman/LSTM/GRU (Jordan, deep transition / output,
stacked, the nine LSTM variants) against its NumPy reference: outputs,
final states, masking, gradients (against central finite differences of the
reference), mixed precision, `.keras` files, dropout and tracing."""

import json

import keras
import numpy as np
import pytest

from course.compare import outputs_and_gradients
from course.gradcheck import central_differences
from custom_layers import trace_states
from tests.custom_layers.extended_cases import CASES
from tests.custom_layers.extended_cases import named_weights
from tests.custom_layers.extended_cases import random_weights
from tests.custom_layers.extended_cases import to_numpy
from tests.custom_layers.extended_cases import traced_output

BATCH, TIMESTEPS, FEATURES = 4, 6, 3
ON_JAX = keras.backend.backend() == "jax"


@pytest.fixture(params=sorted(CASES))
def case_name(request):
    return request.param


def inputs(shape=(BATCH, TIMESTEPS, FEATURES), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def built(case_name, features=FEATURES, seed=0, **kwargs):
    layer = CASES[case_name].layer(**kwargs)
    layer.build((None, None, features))
    random_weights(layer, seed=seed)
    return layer


def test_outputs_and_states_match_reference_with_and_without_mask(case_name):
    case = CASES[case_name]
    layer = built(case_name)
    x = inputs()
    weights = named_weights(layer)
    sequence, *states = to_numpy(layer(x))
    expected_sequence, expected_states = case.reference(weights, x.astype("float64"))
    np.testing.assert_allclose(sequence, expected_sequence, rtol=0, atol=1e-5)
    assert len(states) == len(expected_states)
    for state, expected in zip(states, expected_states):
        np.testing.assert_allclose(state, expected, rtol=0, atol=1e-5)

    mask = np.ones((BATCH, TIMESTEPS), dtype=bool)
    mask[0, 4:] = False  # right padding
    mask[1, 2] = False  # a hole
    mask[2, :2] = False  # left padding
    sequence, *states = to_numpy(layer(x, mask=mask))
    expected_sequence, expected_states = case.reference(
        weights, x.astype("float64"), mask=mask
    )
    np.testing.assert_allclose(sequence, expected_sequence, rtol=0, atol=1e-5)
    for state, expected in zip(states, expected_states):
        np.testing.assert_allclose(state, expected, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(sequence[0, 4:], sequence[0, [3, 3]])
    np.testing.assert_array_equal(sequence[1, 2], sequence[1, 1])


def test_gate_weights_cover_every_weight(case_name):
    layer = built(case_name)
    sizes = sum(value.size for value in named_weights(layer).values())
    assert sizes == layer.count_params()


# The TensorFlow pass differentiates a float64 layer, the JAX pass (without
# jax_enable_x64) a float32 one; finite differences are of the float64
# reference, central, step 1e-6.
GRADIENT_DTYPE, GRADIENT_ATOL = ("float32", 2e-4) if ON_JAX else ("float64", 1e-7)


class _Flat(keras.layers.Layer):
    """The layer's outputs as one flat list (a stack returns nested states)."""

    def __init__(self, inner):
        super().__init__(dtype=inner.dtype_policy)
        self.inner = inner

    def call(self, x):
        return keras.tree.flatten(self.inner(x))


def test_gradients_match_finite_differences(case_name):
    case = CASES[case_name]
    shape = (2, 3, 2)  # tiny: batch, timesteps, features
    layer = built(case_name, features=shape[-1], dtype=GRADIENT_DTYPE, seed=1)
    x = inputs(shape, seed=1).astype(GRADIENT_DTYPE)
    outputs, grad_x, grad_weights = outputs_and_gradients(_Flat(layer), x)

    # The probe outputs_and_gradients differentiates: sum(probe * outputs).
    rng = np.random.default_rng(99)
    probes = [rng.normal(size=out.shape).astype("float32") for out in outputs]

    def loss(weights, x_value):
        sequence, states = case.reference(weights, x_value)
        return sum(
            np.sum(probe * out) for probe, out in zip(probes, [sequence, *states])
        )

    weights = named_weights(layer)
    x64 = x.astype("float64")
    np.testing.assert_allclose(
        grad_x,
        central_differences(lambda: loss(weights, x64), x64),
        rtol=0,
        atol=GRADIENT_ATOL,
    )
    # Read the layer's per-variable gradients under the lecture's names by
    # putting them in the variables for a moment.
    values = layer.get_weights()
    layer.set_weights(grad_weights)
    named_gradients = named_weights(layer)
    layer.set_weights(values)
    for name, value in weights.items():
        expected = central_differences(lambda: loss(weights, x64), value)
        np.testing.assert_allclose(
            named_gradients[name],
            expected,
            rtol=0,
            atol=GRADIENT_ATOL,
            err_msg=name,
        )
        assert np.abs(expected).max() > 1e-4, name  # not trivially zero


@pytest.mark.parametrize(
    "policy, compute_dtype, atol",
    [("mixed_float16", "float16", 3e-3), ("mixed_bfloat16", "bfloat16", 3e-2)],
)
def test_mixed_precision(case_name, policy, compute_dtype, atol):
    x = inputs()
    reference_layer = built(case_name)
    expected = to_numpy(reference_layer(x))

    keras.mixed_precision.set_global_policy(policy)
    layer = CASES[case_name].layer()
    layer.build(x.shape)
    layer.set_weights(reference_layer.get_weights())
    outputs = keras.tree.flatten(layer(x))

    assert layer.compute_dtype == compute_dtype
    assert all(v.dtype == "float32" for v in layer.weights)
    for output, wanted in zip(outputs, expected):
        assert keras.backend.standardize_dtype(output.dtype) == compute_dtype
        output = keras.ops.convert_to_numpy(output).astype("float32")
        np.testing.assert_allclose(output, wanted, rtol=0, atol=atol)


def test_keras_file_round_trip(case_name, tmp_path):
    model = keras.Sequential(
        [
            keras.Input((TIMESTEPS, FEATURES)),
            keras.layers.Masking(),
            CASES[case_name].make(
                return_sequences=True, dropout=0.1, recurrent_dropout=0.2
            ),
            keras.layers.Dense(2),
        ]
    )
    random_weights(model, seed=5)
    path = tmp_path / f"{case_name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # registered: no custom_objects

    x = inputs()
    x[0, 4:] = 0.0  # masked by the Masking layer
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))
    restored, original = loaded.layers[1], model.layers[1]
    assert type(restored) is type(original)
    # (as JSON: a stack's cells carry build shapes, tuples before saving)
    assert as_json(restored.get_config()) == as_json(original.get_config())
    clone = type(original).from_config(original.get_config())
    assert as_json(clone.get_config()) == as_json(original.get_config())


def as_json(config):
    return json.loads(json.dumps(config))


def test_dropout_in_training_only(case_name):
    layer = built(case_name, dropout=0.3, recurrent_dropout=0.3, seed=2)
    x = inputs()
    reference = built(case_name, seed=2)
    inference = to_numpy(layer(x))
    for out, expected in zip(inference, to_numpy(reference(x))):
        np.testing.assert_array_equal(out, expected)
    training = to_numpy(layer(x, training=True))
    assert all(np.all(np.isfinite(out)) for out in training)
    assert np.abs(training[0] - inference[0]).max() > 1e-3


@pytest.mark.parametrize("go_backwards", [False, True])
def test_trace_reproduces_the_output_sequence(case_name, go_backwards):
    case = CASES[case_name]
    layer = built(case_name, go_backwards=go_backwards)
    x = inputs()
    sequence = to_numpy(layer(x))[0]
    trace = trace_states(layer, x)
    traced = traced_output(case, trace)
    if go_backwards:
        traced = traced[:, ::-1]
    assert traced.shape == sequence.shape
    if ON_JAX:  # XLA fuses the scanned step: rounding may differ by an ulp
        np.testing.assert_allclose(traced, sequence, rtol=0, atol=1e-6)
    else:
        np.testing.assert_array_equal(traced, sequence)
