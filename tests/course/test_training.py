"""course.training.fit: resumes after the training process is killed."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from course.execution import RUN_DIR_ENV
from course.training import fit
from course.training import read_history
from course.training import work_folder

SCRIPT = pathlib.Path(__file__).parent / "fixtures" / "resumable_training.py"


def train(workdir, *kill_at_epoch):
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(workdir), *map(str, kill_at_epoch)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def final_weights(workdir):
    with np.load(workdir / "final.npz") as saved:
        return [
            saved[key]
            for key in sorted(saved.files, key=lambda k: int(k.split("_")[1]))
        ]


def test_a_killed_run_resumes_with_the_next_epoch_and_loses_nothing(tmp_path):
    interrupted, reference = tmp_path / "interrupted", tmp_path / "reference"

    first = train(interrupted, 3)
    assert first.returncode == -9, first.stderr[-3000:]  # SIGKILL
    assert read_history(interrupted)["epoch"] == [0, 1, 2]
    assert (interrupted / "backup").is_dir()

    second = train(interrupted)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "epochs run: [3, 4, 5]" in second.stdout
    history = read_history(interrupted)
    assert history["epoch"] == [0, 1, 2, 3, 4, 5]
    assert not (interrupted / "backup").exists()  # deleted once complete

    uninterrupted = train(reference)
    assert uninterrupted.returncode == 0, uninterrupted.stderr[-3000:]
    assert "epochs run: [0, 1, 2, 3, 4, 5]" in uninterrupted.stdout
    # Weights and optimizer state were restored: the same result as one run.
    for resumed, single in zip(final_weights(interrupted), final_weights(reference)):
        np.testing.assert_allclose(resumed, single, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        history["loss"], read_history(reference)["loss"], rtol=1e-5
    )


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(4, 2)),
            keras.layers.GRU(4),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def regression_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4, 2)).astype("float32")
    return x, x.mean(axis=(1, 2))[:, None]


def test_checkpoint_keeps_the_best_validation_model(tmp_path):
    x, y = regression_data()
    history = fit(
        small_model(),
        x,
        y,
        workdir=tmp_path,
        epochs=3,
        batch_size=8,
        verbose=0,
        validation_data=(x[:8], y[:8]),
    )
    assert history.epoch == [0, 1, 2]
    best = min(history.history["val_loss"])
    restored = keras.saving.load_model(tmp_path / "checkpoint.keras")
    assert restored.evaluate(x[:8], y[:8], verbose=0) == pytest.approx(best, rel=1e-5)
    logged = read_history(tmp_path)
    assert set(logged) == {"epoch", "loss", "val_loss"}
    np.testing.assert_allclose(
        logged["val_loss"], history.history["val_loss"], rtol=1e-6
    )


def test_tensorboard_logs(tmp_path):
    pytest.importorskip("tensorboard", reason="the optional tensorboard package")
    x, y = regression_data()
    fit(small_model(), x, y, workdir=tmp_path, epochs=1, verbose=0, tensorboard=True)
    assert list((tmp_path / "logs").rglob("events.out.tfevents.*"))


def test_tensorboard_without_the_package_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    x, y = regression_data()
    with pytest.raises(ImportError, match="pip install tensorboard"):
        fit(small_model(), x, y, workdir=tmp_path, epochs=1, tensorboard=True)


class Interrupt(Exception):
    pass


class InterruptAt(keras.callbacks.Callback):
    """Raises in the middle of an epoch, like a Ctrl-C in a notebook."""

    def __init__(self, epoch):
        super().__init__()
        self.stop_epoch, self.epoch = epoch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == self.stop_epoch and batch == 1:
            raise Interrupt


def test_a_resumed_run_replaces_the_checkpoint_only_with_a_better_model(tmp_path):
    x, y = regression_data()
    model = small_model()
    with pytest.raises(Interrupt):
        fit(
            model,
            x,
            y,
            workdir=tmp_path,
            epochs=4,
            batch_size=8,
            verbose=0,
            callbacks=[InterruptAt(2)],
        )
    saved = (tmp_path / "checkpoint.keras").read_bytes()
    # Pretend epoch 0 reached a loss no later epoch can beat.
    history = tmp_path / "history.csv"
    lines = history.read_text().splitlines()
    lines[1] = "0,0.0," + lines[1].split(",", 2)[2]
    history.write_text("\n".join(lines) + "\n")

    resumed = fit(model, x, y, workdir=tmp_path, epochs=4, batch_size=8, verbose=0)

    assert resumed.epoch == [2, 3]
    assert read_history(tmp_path)["epoch"] == [0, 1, 2, 3]
    assert (tmp_path / "checkpoint.keras").read_bytes() == saved


def test_a_finished_run_started_again_is_a_new_run(tmp_path):
    x, y = regression_data()
    model = small_model()
    fit(model, x, y, workdir=tmp_path, epochs=3, verbose=0)
    again = fit(model, x, y, workdir=tmp_path, epochs=2, verbose=0)
    assert again.epoch == [0, 1]
    logged = read_history(tmp_path)
    assert logged["epoch"] == [0, 1]
    np.testing.assert_allclose(logged["loss"], again.history["loss"], rtol=1e-6)


def test_training_stops_at_the_first_nan(tmp_path):
    x = np.ones((16, 4, 2), "float32")
    y = np.full((16, 1), np.nan, "float32")
    history = fit(
        small_model(), x, y, workdir=tmp_path, epochs=5, batch_size=4, verbose=0
    )
    assert len(history.epoch) == 1
    assert np.isnan(history.history["loss"][0])


def test_read_history_needs_a_fit_workdir(tmp_path):
    with pytest.raises(ValueError, match="history.csv"):
        read_history(tmp_path)


def test_work_folder_is_in_the_run_folder_and_keyed_by_every_setting(monkeypatch):
    monkeypatch.setenv(RUN_DIR_ENV, "/out/05_vanishing_gradients")
    folder = work_folder(
        "05_vanishing_gradients", model="tanh RNN", lr=1e-3, seed=0, sizes=(2, 3)
    )
    assert folder == pathlib.Path(
        "/out/05_vanishing_gradients/work/model=tanh-RNN__lr=0.001__seed=0__sizes=2-3"
    )
    assert work_folder("05_vanishing_gradients", seed=1) != work_folder(
        "05_vanishing_gradients", seed=0
    )
    # Without `course run`: the repository's runs/, seen from notebooks/.
    monkeypatch.delenv(RUN_DIR_ENV)
    assert work_folder("10_x", seed=0) == pathlib.Path("../runs/10_x/work/seed=0")
    # A notebook's explicit WORKDIR replaces the run folder's work/.
    assert work_folder("10_x", base="/kept", seed=0) == pathlib.Path("/kept/seed=0")


def test_a_long_work_folder_key_is_shortened_and_stays_unique():
    long = {f"setting{i}": i for i in range(30)}
    one = work_folder("nb", **long).name
    other = work_folder("nb", **{**long, "setting29": 0}).name
    assert len(one) == len(other) == 120 and one != other
    with pytest.raises(ValueError, match="needs the settings"):
        work_folder("nb")
