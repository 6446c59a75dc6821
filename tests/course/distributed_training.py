"""Trains small models with and without `course.device.distribution()` and
prints the largest weight difference; run by test_distribution.py in a fresh
process (the simulated devices must be set before JAX or TensorFlow start).

    python distributed_training.py jax            # 4 simulated CPU devices
    python distributed_training.py tensorflow     # 2 logical CPU devices
    python distributed_training.py host ID PORT   # one of 2 jax.distributed processes
"""

import contextlib
import sys

import keras
import numpy as np

import course.device
import course.models
import custom_layers

GLOBAL_BATCH = 8
INITIAL_SCALE = 2.0**20


def probabilities():
    """2 class probabilities, the softmax in float32 whatever the policy
    (as the classifier's head)."""
    return [keras.layers.Dense(2), keras.layers.Activation("softmax", dtype="float32")]


def sequence_model(layer):
    """`layer` (8 units) over 6 steps of 3 features, then 2 probabilities."""
    return lambda: keras.Sequential([keras.Input((6, 3)), layer(8), *probabilities()])


def spatial_model():
    return keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            custom_layers.SpatialRNN(4, block_shape=(2, 2), cell="gru"),
            keras.layers.Flatten(),
            *probabilities(),
        ]
    )


def classifier():
    return course.models.spatial_rnn_classifier(
        input_shape=(16, 16, 3), num_classes=2, width=0.125
    )


lstm_model = sequence_model(custom_layers.LSTM)
# name -> (model builder, epochs of 4 steps); every cell family of
# custom_layers, the SpatialRNN and the lecture's classifier (one epoch:
# batch norm over 8 images amplifies float rounding quickly)
MODELS = {
    "elman": (sequence_model(custom_layers.ElmanRNN), 2),
    "jordan": (sequence_model(custom_layers.JordanRNN), 2),
    "gru": (sequence_model(custom_layers.GRU), 2),
    "lstm": (lstm_model, 2),
    "spatial_rnn": (spatial_model, 2),
    "classifier": (classifier, 1),
}
# Under MirroredStrategy: every cell family and SpatialRNN (the classifier,
# the slowest, only on JAX).
TENSORFLOW_MODELS = ("elman", "jordan", "gru", "lstm", "spatial_rnn")
# (model, policy): training in 16 bits under distribution, the policies
# setup() picks on GPUs (mixed_float16 on compute capability 7.x,
# mixed_bfloat16 on 8.0+)
MIXED_PRECISION = [
    ("lstm", "mixed_float16"),
    ("lstm", "mixed_bfloat16"),
    ("spatial_rnn", "mixed_bfloat16"),
]


def data(model):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4 * GLOBAL_BATCH, *model.input_shape[1:])).astype("float32")
    y = rng.integers(0, 2, size=len(x))
    return x, y


def optimizer():
    """SGD; under mixed_float16 with a loss scale too large for float16, so
    the first steps overflow, are skipped and halve it (as Keras's default
    scale does on larger losses)."""
    sgd = keras.optimizers.SGD(0.05)
    if keras.config.dtype_policy().name == "mixed_float16":
        return keras.optimizers.LossScaleOptimizer(sgd, initial_scale=INITIAL_SCALE)
    return sgd


def train(build, engine=None, epochs=2):
    """The model after `epochs` epochs of SGD from seed 0, built, compiled
    and trained under `engine` (a `distribution()` result) if given."""
    keras.utils.set_random_seed(0)
    with engine.scope() if engine is not None else contextlib.nullcontext():
        model = build()
        model.compile(optimizer(), "sparse_categorical_crossentropy")
        x, y = data(model)
        batch = GLOBAL_BATCH
        if engine is not None and jax_processes() > 1:  # this process's share
            import jax

            batch //= jax_processes()
            x, y = (
                a.reshape(-1, jax_processes(), batch, *a.shape[1:])[
                    :, jax.process_index()
                ].reshape(-1, *a.shape[1:])
                for a in (x, y)
            )
        model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    return model


def jax_processes():
    if keras.backend.backend() != "jax":
        return 1
    import jax

    return jax.process_count()


def largest_difference(a, b):
    return max(
        float(np.max(np.abs(p - q))) for p, q in zip(a.get_weights(), b.get_weights())
    )


def report(name, build, engine, epochs=2):
    reference = train(build, epochs=epochs)
    distributed = train(build, engine, epochs)
    print(name, "difference", largest_difference(reference, distributed))
    return reference, distributed


def start(make_engine):
    engine = make_engine()  # first: jax.distributed must start before JAX
    print("replicas", course.device.replicas(engine))
    # distribution() set the engine globally; the single-device references
    # must not run under it (train() enters engine.scope() itself)
    keras.distribution.set_distribution(None)
    course.device.check_global_batch(GLOBAL_BATCH, engine)
    return engine


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "jax":
        engine = start(course.device.distribution)
        for name, (build, epochs) in MODELS.items():
            report(name, build, engine, epochs)
        for name, precision in MIXED_PRECISION:
            course.device.setup(precision)  # as a notebook sets the policy
            models = report(f"{name}_{precision}", *MODELS[name][:1], engine)
            for model in models:
                print(name, precision, "weights", *{w.dtype for w in model.weights})
                if isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer):
                    scale = float(model.optimizer.dynamic_scale) / INITIAL_SCALE
                    applied = int(model.optimizer.iterations)  # steps not skipped
                    print(f"{name} {precision} loss scale {scale} applied {applied}")
    elif mode == "tensorflow":
        import tensorflow as tf

        (cpu,) = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        engine = start(course.device.distribution)
        for name in TENSORFLOW_MODELS:
            build, epochs = MODELS[name]
            report(name, build, engine, epochs)
    elif mode == "host":
        index, port = int(sys.argv[2]), sys.argv[3]
        engine = start(
            lambda: course.device.distribution(
                coordinator_address=f"127.0.0.1:{port}",
                num_processes=2,
                process_id=index,
                timeout_s=60,
            )
        )
        env = course.device.setup()  # after distribution(): sees every host
        print("devices", len(env.devices), "precision", env.precision)
        _, model = report("lstm", lstm_model, engine)
        weights = model.get_weights()
        print(
            "checksum", repr(float(sum(np.sum(w, dtype=np.float64) for w in weights)))
        )
