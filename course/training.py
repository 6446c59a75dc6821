"""Training helpers: a resumable `fit` and truncated BPTT.

`fit` is `model.fit` with the callbacks every long run needs, all writing
into one work directory:

    workdir/
      backup/            BackupAndRestore: an interrupted run resumes here
      checkpoint.keras   the best model so far (ModelCheckpoint)
      history.csv        one row per finished epoch, across interruptions
      logs/              TensorBoard logs (optional)

`work_folder` says where a notebook keeps that directory: in its run's folder,
keyed by every setting that changes the result.

`truncated_bptt` trains a stateful recurrent model on one long sequence with
TBPTT(k1, k2) (Williams & Peng 1990; Sutskever's 2013 PhD thesis).
"""

import csv
import hashlib
import importlib.util
import math
import os
import pathlib
import re

import keras
import numpy as np

from course.execution import RUN_DIR_ENV

BACKUP_DIR = "backup"
CHECKPOINT_FILE = "checkpoint.keras"
HISTORY_FILE = "history.csv"
LOG_DIR = "logs"
# Without `course run` (in Jupyter, whose working directory is the notebook's
# folder, notebooks/): the repository's runs/, where `course run` writes too.
DEFAULT_RUNS_DIR = pathlib.Path("..", "runs")
_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]+")
_LONGEST_KEY = 120


def work_folder(notebook, base=None, **settings):
    """The folder for what a notebook writes besides its figures (checkpoints,
    histories, backups): `<run folder>/work/<key>`, or `<base>/<key>`.

    The run folder is the one `course run` chose for the notebook
    (`OUT/<notebook>/`, passed in the `COURSE_RUN_DIR` environment variable);
    without `course run` it is `../runs/<notebook>/`, the repository's
    `runs/<notebook>/` seen from the notebooks' folder. The key names every
    setting, `name=value` joined by `__`, so that a run with another seed,
    learning rate or number of epochs never resumes this one; a key longer
    than 120 characters is shortened and ends with a hash of the whole.

    Args:
        notebook: The notebook's name (e.g. `"05_vanishing_gradients"`).
        base: A folder to use instead of the run folder's `work/` (a
            notebook's `WORKDIR` parameter); `None` for the default.
        **settings: Every setting that changes what is trained, in the order
            they should appear.

    Returns:
        The `pathlib.Path` (not created; `fit` creates it).
    """
    if not settings:
        raise ValueError(
            "work_folder needs the settings that change the result (seed, "
            "learning rate, epochs, ...), so that runs with other settings "
            "get another folder."
        )
    if base is None:
        run_folder = os.environ.get(RUN_DIR_ENV) or DEFAULT_RUNS_DIR / notebook
        base = pathlib.Path(run_folder) / "work"
    key = "__".join(
        f"{name}={_UNSAFE.sub('-', _format(value)).strip('-')}"
        for name, value in settings.items()
    )
    if len(key) > _LONGEST_KEY:
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        key = f"{key[: _LONGEST_KEY - 13]}-{digest}"
    return pathlib.Path(base) / key


def _format(value):
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return "-".join(_format(v) for v in value)
    return str(value)


def fit(
    model,
    x=None,
    y=None,
    *,
    workdir,
    epochs=1,
    callbacks=(),
    tensorboard=False,
    **kwargs,
):
    """`model.fit` that survives interruptions and keeps its history.

    Adds, after the caller's `callbacks`:

    - `CSVLogger` writing one row per epoch to `workdir/history.csv`;
    - `TerminateOnNaN`: stops at the first NaN loss;
    - `ModelCheckpoint` saving the best model to `workdir/checkpoint.keras`
      (best `val_loss` when there is validation data, else best `loss`);
    - `BackupAndRestore` in `workdir/backup`: it saves the weights, the
      optimizer state and the epoch after every epoch;
    - optionally `TensorBoard` logs in `workdir/logs`.

    If `workdir/backup` exists (an earlier call was interrupted), training
    resumes: weights, optimizer state and epoch are restored, the run
    continues with the next epoch, `history.csv` is appended to and the
    checkpoint is only replaced by a model better than every epoch logged
    so far. Otherwise a new run starts: `history.csv` is rewritten. The
    backup is deleted when training completes, so a finished run started
    again is a new run (from the model's current weights).

    The model must be built and compiled. For a resumed run to continue
    exactly, rebuild the model and the data the same way in every attempt.

    Args:
        model: A built, compiled Keras model.
        x, y: Training data, as for `model.fit`.
        workdir: Directory for the backup, checkpoint, history and logs.
        epochs: Total number of epochs (counting those done before an
            interruption).
        callbacks: Extra callbacks, run before the ones above.
        tensorboard: Whether to write TensorBoard logs (needs the
            `tensorboard` package).
        **kwargs: Passed on to `model.fit` (`batch_size`, `validation_data`,
            `shuffle`, `verbose`, ...).

    Returns:
        The `keras.callbacks.History` of this call (only the epochs it ran;
        `read_history(workdir)` has all of them).

    Example:

    ```python
    history = course.training.fit(
        model, x, y, workdir="runs/adding", epochs=20, batch_size=64
    )
    ```
    """
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    resuming = (workdir / BACKUP_DIR).exists()
    validating = kwargs.get("validation_data") is not None or kwargs.get(
        "validation_split"
    )
    monitor = "val_loss" if validating else "loss"
    # A resumed run must beat the best epoch logged before the interruption.
    logged = read_history(workdir).get(monitor, []) if resuming else []
    best = min((v for v in logged if not math.isnan(v)), default=None)
    # The backup comes last: if the process dies between these callbacks'
    # end-of-epoch writes, the epoch is repeated (history.csv then holds it
    # twice; read_history keeps the later row) rather than lost.
    ours = [
        keras.callbacks.CSVLogger(str(workdir / HISTORY_FILE), append=resuming),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(
            str(workdir / CHECKPOINT_FILE),
            monitor=monitor,
            save_best_only=True,
            initial_value_threshold=best,
        ),
    ]
    if tensorboard:
        if importlib.util.find_spec("tensorboard") is None:
            raise ImportError(
                "tensorboard=True needs the 'tensorboard' package, which is not "
                "installed: pip install tensorboard"
            )
        ours.append(keras.callbacks.TensorBoard(log_dir=str(workdir / LOG_DIR)))
    ours.append(
        keras.callbacks.BackupAndRestore(
            str(workdir / BACKUP_DIR), double_checkpoint=True
        )
    )
    return model.fit(x, y, epochs=epochs, callbacks=[*callbacks, *ours], **kwargs)


def read_history(workdir):
    """The per-epoch metrics that `fit` logged in `workdir`, across restarts.

    Args:
        workdir: The directory given to `fit`.

    Returns:
        A dict like `History.history` (metric name -> list of floats, one
        per epoch in order) plus `"epoch"`. An epoch logged twice (the
        process died right after logging it) keeps its later row; metrics
        never logged (CSVLogger's `val_*` columns without validation data)
        are left out.
    """
    path = pathlib.Path(workdir) / HISTORY_FILE
    if not path.exists():
        raise ValueError(f"No {HISTORY_FILE} in {str(workdir)!r}: was fit() run there?")
    with path.open(newline="") as file:
        rows = {int(row["epoch"]): row for row in csv.DictReader(file)}
    epochs = sorted(rows)
    history = {"epoch": epochs}
    for name in (n for n in (rows[epochs[0]] if epochs else ()) if n != "epoch"):
        column = [rows[e][name] for e in epochs]
        if any(value != "NA" for value in column):  # CSVLogger's missing value
            history[name] = [math.nan if v == "NA" else float(v) for v in column]
    return history


def _stateful_layers(layer):
    """The stateful recurrent layers in `layer`, nested models included."""
    found = [layer] if getattr(layer, "stateful", False) else []
    for child in getattr(layer, "layers", []):
        found += _stateful_layers(child)
    return found


class _States:
    """Reads and writes the states of a model's stateful layers."""

    def __init__(self, layers):
        self.variables = [
            v for layer in layers for v in keras.tree.flatten(layer.states)
        ]

    def get(self):
        return [keras.ops.convert_to_numpy(v) for v in self.variables]

    def set(self, values):
        for variable, value in zip(self.variables, values):
            variable.assign(value)


def truncated_bptt(model, x, y, *, k1, k2=None, epochs=1, verbose=1):
    """Trains a stateful recurrent model on long sequences with TBPTT(k1, k2).

    Truncated backpropagation through time (Williams & Peng 1990, written
    BPTT(h; h') there; Sutskever's 2013 thesis, "TBPTT(k1, k2)"): the model reads the
    sequence forward, and every `k1` steps it updates the weights with the
    gradient of the loss of those `k1` newest steps, backpropagated at most
    `k2` steps into the past. The hidden state is carried across updates, so
    the model still sees the whole past; only the gradient is truncated.

    - `k1`: how often to update (every `k1` steps); each step's loss is
      counted in exactly one update.
    - `k2 >= k1`: how far back gradients flow. The update at step `t`
      re-runs the window of the last `k2` steps `[t - k2, t)` (shorter at
      the start of the sequence) from the state carried into the window,
      with the current weights, and takes the loss on its last `k1` steps.
      With `k2 == k1` the windows are the consecutive chunks of `k1` steps
      (Keras's usual stateful training); with `k2 > k1` they overlap by
      `k2 - k1` steps, and the state carried to the next window's start is
      computed, before the update, by a forward pass over the window's first
      `k1` steps.
    - `k1 == k2 == T` (the sequence length) is full BPTT: one update per
      epoch with the exact gradient.

    The model needs a static batch size (`keras.Input(batch_shape=(B, None,
    features))`), stateful recurrent layers (`stateful=True`) and one output
    per step (`return_sequences=True`: outputs of shape `(B, steps, ...)`). Each of the `B` rows of `x` is an
    independent stream. Every epoch starts with `reset_state()` on each
    stateful layer. Dropout is active in the update's forward pass but not
    in the forward pass that computes the carried state.

    Args:
        model: A compiled Keras model, as above. Needs the TensorFlow backend.
        x: Inputs of shape `(B, T, ...)`.
        y: Per-step targets of shape `(B, T, ...)`.
        k1: Steps between updates (>= 1).
        k2: Steps the gradient flows back (>= k1; default `k1`).
        epochs: Passes over the sequence.
        verbose: 1 shows Keras's progress bar for each epoch, 0 nothing.

    Returns:
        A dict `{"loss": [...]}` with the mean update loss of each epoch.

    Example:

    ```python
    inputs = keras.Input(batch_shape=(1, None, 1))
    h = keras.layers.SimpleRNN(8, stateful=True, return_sequences=True)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x, y = course.data.temporal_xor(3000)
    course.training.truncated_bptt(model, x, y, k1=6, k2=12, epochs=20)
    ```
    """
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"truncated_bptt needs the TensorFlow backend; the backend is "
            f"{keras.backend.backend()!r}."
        )
    import tensorflow as tf

    k2 = k1 if k2 is None else k2
    x, y = np.asarray(x), np.asarray(y)
    if not (isinstance(k1, int) and isinstance(k2, int) and 1 <= k1 <= k2):
        raise ValueError(
            f"Need integers 1 <= k1 <= k2 (update every k1 steps, backpropagate "
            f"k2 steps); got k1={k1!r}, k2={k2!r}."
        )
    if x.ndim < 2 or y.ndim < 2 or x.shape[:2] != y.shape[:2]:
        raise ValueError(
            f"x and y must be (batch, time, ...) with the same batch and time; "
            f"got x {x.shape} and y {y.shape}."
        )
    if not model.built or model.optimizer is None:
        raise ValueError(
            "The model must be built (keras.Input(batch_shape=...)) and compiled "
            "(with a loss and an optimizer)."
        )
    layers = _stateful_layers(model)
    if not layers:
        raise ValueError(
            "The model has no stateful layer, so no state would be carried "
            "between updates: build its recurrent layers with stateful=True and "
            "its input with keras.Input(batch_shape=(batch, None, features))."
        )
    states = _States(layers)
    steps = x.shape[1]
    overlap = k2 - k1

    @tf.function(reduce_retracing=True)
    def forward(window):
        model(window, training=False)

    @tf.function(reduce_retracing=True)
    def update(window, targets):
        with tf.GradientTape() as tape:
            outputs = model(window, training=True)
            if len(outputs.shape) < 3 or outputs.shape[1] != window.shape[1]:
                # (checked while tracing, shapes are static)
                raise ValueError(
                    f"The model must return one output per step "
                    f"(return_sequences=True): a window of {window.shape[1]} "
                    f"steps gave outputs of shape {tuple(outputs.shape)}."
                )
            counted = outputs[:, -tf.shape(targets)[1] :]
            loss = model.compute_loss(
                x=window, y=targets, y_pred=counted, training=True
            )
            scaled = model.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, model.trainable_variables)
        model.optimizer.apply(gradients, model.trainable_variables)
        return loss

    epoch_losses = []
    for _ in range(epochs):
        for layer in layers:
            layer.reset_state()
        progress = keras.utils.Progbar(-(-steps // k1), verbose=verbose)
        losses = []
        for start in range(0, steps, k1):
            stop = min(start + k1, steps)
            if overlap:
                window_start = max(0, start - overlap)
                next_start = max(0, stop - overlap)
                carried = states.get()
                if next_start > window_start:
                    forward(x[:, window_start:next_start])
                following = states.get()
                states.set(carried)
            else:
                window_start = start
            loss = float(update(x[:, window_start:stop], y[:, start:stop]))
            if overlap:
                states.set(following)
            losses.append(loss)
            progress.add(1, values=[("loss", loss)])
        epoch_losses.append(float(np.mean(losses)))
    return {"loss": epoch_losses}
