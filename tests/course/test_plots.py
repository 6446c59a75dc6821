"""course.plots: each function returns a Figure with the expected content;
save() writes PNGs where COURSE_FIGURES_DIR points."""

import keras
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from course import plots


def png_size(path):
    import matplotlib.image

    return matplotlib.image.imread(path).shape


def test_save_honours_the_environment_variable(tmp_path, monkeypatch):
    fig = plots.gradient_vs_lag({"a": [1.0, 0.5]})
    monkeypatch.setenv(plots.FIGURES_ENV, str(tmp_path / "run" / "figures"))
    path = plots.save(fig, "lag")
    assert path == tmp_path / "run" / "figures" / "lag.png"
    height, width, _ = png_size(path)
    assert height > 100 and width > 100
    assert plots.save(fig, "again.png", directory=tmp_path).name == "again.png"


def test_save_defaults_to_figures_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(plots.FIGURES_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    path = plots.save(plots.unrolled_graph(2), "graph")
    assert path.resolve() == tmp_path / "figures" / "graph.png"
    with pytest.raises(ValueError, match="plain file name"):
        plots.save(Figure(), "sub/graph")
    with pytest.raises(ValueError, match="saved as PNG"):
        plots.save(Figure(), "graph.pdf")


def test_learning_curves_from_a_keras_history():
    history = keras.callbacks.History()
    history.history = {
        "loss": [1.0, 0.5, 0.25],
        "val_loss": [1.1, 0.7, 0.6],
        "mae": [3, 2, 1],
    }
    fig = plots.learning_curves(
        history,
        baselines={"loss": 1 / 6},
        title="t",
        ylabels={"loss": "cross-entropy (nats)"},
        baseline_label="lowest possible loss",
    )
    loss_axes, mae_axes = fig.axes
    labels = [line.get_label() for line in loss_axes.get_lines()]
    assert labels == ["training", "validation", "lowest possible loss"]
    assert loss_axes.get_ylabel() == "cross-entropy (nats)"
    assert mae_axes.get_ylabel() == "mae"
    np.testing.assert_array_equal(loss_axes.get_lines()[1].get_ydata(), [1.1, 0.7, 0.6])
    np.testing.assert_array_equal(loss_axes.get_lines()[0].get_xdata(), [1, 2, 3])
    assert [line.get_label() for line in mae_axes.get_lines()] == ["training"]
    with pytest.raises(ValueError, match="Nothing to plot"):
        plots.learning_curves({"loss": [1]}, metrics=["accuracy"])


def test_learning_curves_use_logged_epochs():
    fig = plots.learning_curves({"epoch": [0, 1, 2], "loss": [3.0, 2.0, 1.0]})
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), [1, 2, 3])


def test_sequence_heatmaps():
    rng = np.random.default_rng(0)
    gates = rng.random((7, 4))
    state = rng.normal(size=(7, 4))
    fig = plots.sequence_heatmaps(
        {"forget gate": gates, "cell": state}, tokens="hello w"
    )
    gate_axes, cell_axes = fig.axes[:2]  # (the colour bars come after the panels)
    gate_image, cell_image = gate_axes.get_images()[0], cell_axes.get_images()[0]
    np.testing.assert_array_equal(
        gate_image.get_array(), gates.T
    )  # units down, steps across
    assert gate_image.get_clim() == (0, 1)
    low, high = cell_image.get_clim()
    assert low == -high == -np.abs(state).max()
    assert [t.get_text() for t in cell_axes.get_xticklabels()] == list("hello w")
    with pytest.raises(ValueError, match="same number of steps"):
        plots.sequence_heatmaps({"a": gates, "b": state[:5]})
    with pytest.raises(ValueError, match="Got 3 tokens"):
        plots.sequence_heatmaps({"a": gates}, tokens="abc")


def test_gradient_vs_lag():
    fig = plots.gradient_vs_lag({"tanh": 0.5 ** np.arange(10), "lstm": np.ones(10)})
    axes = fig.axes[0]
    assert axes.get_yscale() == "log"
    assert [line.get_label() for line in axes.get_lines()] == ["tanh", "lstm"]
    with pytest.raises(ValueError, match="must be 1-D"):
        plots.gradient_vs_lag({"x": np.ones((2, 2))})


def test_unrolled_graph_draws_every_step():
    def labels(fig):
        return sorted(t.get_text() for t in fig.axes[0].texts)

    fig = plots.unrolled_graph(3)
    texts = labels(fig)
    for node in ("h(0)", "h(1)", "h(3)", "x(3)", "y(3)", "x", "h", "y"):
        assert node in texts
    assert texts.count("W") == 4 and texts.count("U") == 4  # 3 steps + the folded loop
    assert "y(1)" not in labels(plots.unrolled_graph(2, outputs=False, folded=False))
    with pytest.raises(ValueError, match="steps must be an int from 1 to 8"):
        plots.unrolled_graph(0)


def test_attention_matrix():
    weights = np.eye(3)[::-1]
    fig = plots.attention_matrix(weights, ["a", "b", "c"], ["x", "y", "z"])
    np.testing.assert_array_equal(fig.axes[0].get_images()[0].get_array(), weights)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["x", "y", "z"]
    with pytest.raises(ValueError, match="Got 2 source tokens for 3 source steps"):
        plots.attention_matrix(weights, ["a", "b"])


def test_image_grid_marks_mistakes():
    images = np.random.default_rng(0).random((5, 8, 8, 3))
    fig = plots.image_grid(
        images,
        [0, 1, 1, 0, 1],
        predictions=[0, 1, 0, 0, 1],
        class_names=["cat", "dog"],
        columns=3,
    )
    titles = [(a.get_title(), a.title.get_color()) for a in fig.axes[:5]]
    assert titles[0] == ("cat", "green")
    assert titles[2] == ("cat\n(true: dog)", "red")
    assert len(fig.axes) == 6 and not fig.axes[5].get_images()  # empty last cell
    grey = plots.image_grid(np.zeros((2, 8, 8, 1)), ["a red circle", "b"])
    assert grey.axes[0].get_title() == "a red circle"
    with pytest.raises(ValueError, match="n labels"):
        plots.image_grid(images, [0])
