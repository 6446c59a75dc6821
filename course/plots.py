"""The figures the lecture draws, with matplotlib.

Each function returns a `matplotlib.figure.Figure` (displayed by Jupyter when
it is a cell's last value) built without pyplot, so nothing is shown twice
and no figure is kept alive by pyplot. `save(fig, name)` writes a PNG into
the figures directory: the `COURSE_FIGURES_DIR` environment variable (which
`course run` sets to the run's folder), else `figures/`.
"""

import os
import pathlib
import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import MaxNLocator

FIGURES_ENV = "COURSE_FIGURES_DIR"
DEFAULT_FIGURES_DIR = "figures"


def _display_figures_in_ipython():
    """Registers IPython's PNG formatter for `Figure`, so a figure a cell
    returns (or passes to `display`) shows as an image whatever the
    matplotlib backend (the notebooks need no `%matplotlib` magic and no
    pyplot). This is the one way the course shows its figures."""
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        select_figure_formats(shell, {"png"})


_display_figures_in_ipython()


def save(fig, name, directory=None):
    """Saves a figure as a PNG.

    Args:
        fig: A matplotlib Figure.
        name: File name, with or without the `.png` suffix (no folders).
        directory: Target folder; default `$COURSE_FIGURES_DIR`, else
            `figures/` in the working directory. Created if missing.

    Returns:
        The `pathlib.Path` of the written file.
    """
    path = pathlib.PurePath(name)
    if path.name != name or not path.stem:
        raise ValueError(
            f"name must be a plain file name like 'lstm_gates'; got {name!r}."
        )
    if path.suffix not in ("", ".png"):
        raise ValueError(f"Figures are saved as PNG; got the suffix {path.suffix!r}.")
    folder = pathlib.Path(
        directory or os.environ.get(FIGURES_ENV) or DEFAULT_FIGURES_DIR
    )
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{path.stem}.png"
    fig.savefig(target, dpi=120, bbox_inches="tight")
    return target


def learning_curves(
    history, metrics=None, baselines=None, title=None, ylabels=None, baseline_label=None
):
    """Training (and validation) curves, one panel per metric.

    Args:
        history: A `keras.callbacks.History`, or a dict of metric name ->
            per-epoch values (e.g. `History.history` or
            `course.training.read_history(workdir)`).
        metrics: The metrics to plot (default: every one without a `val_`
            prefix); `val_<name>` is drawn in the same panel when present.
        baselines: Optional dict metric -> value drawn as a dotted line
            (e.g. `{"loss": course.data.ADDING_PROBLEM_BASELINE_MSE}`).
        title: Figure title.
        ylabels: Optional dict metric -> y-axis label with its unit (e.g.
            `{"loss": "cross-entropy (nats per word)"}`); default: the name.
        baseline_label: Legend entry of the baselines, saying what they are
            (e.g. "lowest possible held-out loss"); default "baseline".

    Returns:
        The Figure.
    """
    values = getattr(history, "history", history)
    epochs_axis = values.get("epoch")
    if metrics is None:
        metrics = [m for m in values if m != "epoch" and not m.startswith("val_")]
    missing = [m for m in metrics if m not in values]
    if missing or not metrics:
        raise ValueError(
            f"Nothing to plot for metrics {missing or metrics}; the history has "
            f"{sorted(values)}."
        )
    fig = Figure(figsize=(4.5 * len(metrics), 3.4), layout="constrained")
    for axes, metric in zip(np.atleast_1d(fig.subplots(1, len(metrics))), metrics):
        for name, style, label in (
            (metric, "-", "training"),
            (f"val_{metric}", "--", "validation"),
        ):
            if name in values:
                series = np.asarray(values[name], dtype=float)
                epochs = 1 + np.asarray(
                    range(len(series)) if epochs_axis is None else epochs_axis
                )
                axes.plot(epochs, series, style, marker="o", markersize=3, label=label)
        if baselines and metric in baselines:
            axes.axhline(
                baselines[metric],
                color="grey",
                linestyle=":",
                label=baseline_label or "baseline",
            )
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("epoch")
        axes.set_ylabel((ylabels or {}).get(metric, metric))
        axes.grid(alpha=0.3)
        axes.legend()
    if title:
        fig.suptitle(title)
    return fig


def sequence_heatmaps(traces, tokens=None, title=None):
    """Per-step heatmaps of gates and states along one sequence.

    Values in [0, 1] (gates) are drawn with a sequential colour map on
    [0, 1]; anything else (states) with a diverging map centred on 0.

    Args:
        traces: Dict name -> array of shape `(steps, units)`, e.g. the input,
            forget and output gates and the cell state of an LSTM.
        tokens: Optional labels of the steps (e.g. the characters read).
        title: Figure title.

    Returns:
        The Figure, one panel per trace (units down, steps across).
    """
    if not traces:
        raise ValueError("traces is empty: pass a dict name -> (steps, units) array.")
    arrays = {name: np.asarray(value, dtype=float) for name, value in traces.items()}
    lengths = {a.shape[0] for a in arrays.values()}
    if any(a.ndim != 2 for a in arrays.values()) or len(lengths) != 1:
        raise ValueError(
            "Every trace must be a (steps, units) array with the same number of "
            f"steps; got shapes { {n: a.shape for n, a in arrays.items()} }."
        )
    (steps,) = lengths
    if tokens is not None and len(tokens) != steps:
        raise ValueError(f"Got {len(tokens)} tokens for sequences of {steps} steps.")
    heights = [max(1.0, 0.18 * a.shape[1]) for a in arrays.values()]
    fig = Figure(
        figsize=(max(6.0, 0.3 * steps), 1.2 + sum(heights)),
        layout="constrained",
    )
    all_axes = np.atleast_1d(
        fig.subplots(len(arrays), 1, height_ratios=heights, sharex=True)
    )
    for axes, (name, values) in zip(all_axes, arrays.items()):
        if values.min() >= 0.0 and values.max() <= 1.0:
            image = axes.imshow(values.T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
        else:
            limit = float(np.abs(values).max()) or 1.0
            image = axes.imshow(
                values.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit
            )
        axes.set_ylabel(name)
        fig.colorbar(image, ax=axes, pad=0.01)
    if tokens is not None:
        all_axes[-1].set_xticks(range(len(tokens)), [repr(t)[1:-1] for t in tokens])
    all_axes[-1].set_xlabel("step")
    if title:
        fig.suptitle(title)
    return fig


def gradient_vs_lag(norms, log=True, title="Gradient norm versus time lag"):
    """How fast the gradient reaching earlier steps shrinks (or grows).

    Args:
        norms: Dict label -> 1-D array whose entry `k` is the norm of the
            gradient of the final loss with respect to the state `k` steps
            before the end, `||dL/dh_(T-k)||`.
        log: Logarithmic y axis (vanishing gradients are straight lines).
        title: Figure title.

    Returns:
        The Figure.
    """
    fig = Figure(figsize=(6, 3.8), layout="constrained")
    axes = fig.subplots()
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1:
            raise ValueError(f"norms[{label!r}] must be 1-D; got shape {values.shape}.")
        axes.plot(np.arange(len(values)), values, marker=".", label=label)
    if log:
        axes.set_yscale("log")
    axes.set_xlabel("time lag k (steps before the loss)")
    axes.set_ylabel(r"$\|\partial L / \partial h_{T-k}\|$")
    axes.grid(alpha=0.3, which="both")
    axes.legend()
    axes.set_title(title)
    return fig


def _node(axes, xy, text, colour):
    axes.add_patch(
        FancyBboxPatch(
            (xy[0] - 0.32, xy[1] - 0.22),
            0.64,
            0.44,
            boxstyle="round,pad=0.04",
            facecolor=colour,
            edgecolor="black",
        )
    )
    axes.text(*xy, text, ha="center", va="center", fontsize=11)


def _arrow(axes, start, end, label=None, **style):
    axes.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, **style)
    )
    if label:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        axes.text(
            middle[0] + 0.06, middle[1] + 0.06, label, fontsize=9, color="dimgray"
        )


def unrolled_graph(steps=3, outputs=True, folded=True):
    """Draws a recurrent network unrolled over `steps` time steps.

    Left (if `folded`): the recurrent graph with its loop, h -> h through W.
    Right: the unrolled graph, x(t) -> h(t) through U, h(t-1) -> h(t)
    through W, h(t) -> y(t) through V (if `outputs`), the same U, W, V at
    every step: the lecture's h(t) = f(h(t-1), x(t); theta).

    Args:
        steps: Number of time steps drawn (1 to 8).
        outputs: Draw the outputs y(t).
        folded: Draw the folded graph beside the unrolled one.

    Returns:
        The Figure.
    """
    if not isinstance(steps, int) or not 1 <= steps <= 8:
        raise ValueError(f"steps must be an int from 1 to 8; got {steps!r}.")
    offset = 2.2 if folded else 0.0
    width = offset + 1.4 * (steps + 1)
    top = 2.0 if outputs else 1.0
    fig = Figure(figsize=(1.2 * width, 1.3 * (top + 1)), layout="constrained")
    axes = fig.subplots()
    colours = {"x": "#cfe2f3", "h": "#d9ead3", "y": "#fce5cd"}
    if folded:
        _node(axes, (0.6, 0), "x", colours["x"])
        _node(axes, (0.6, 1), "h", colours["h"])
        _arrow(axes, (0.6, 0.26), (0.6, 0.74), "U")
        _arrow(axes, (0.95, 1.1), (0.95, 0.9), connectionstyle="arc3,rad=-2.5")
        axes.text(1.45, 1.0, "W", fontsize=9, color="dimgray", va="center")
        if outputs:
            _node(axes, (0.6, 2), "y", colours["y"])
            _arrow(axes, (0.6, 1.26), (0.6, 1.74), "V")
        axes.text(1.75, 1.0, "=", fontsize=20, ha="center", va="center")
    for step in range(steps + 1):
        x = offset + 0.4 + 1.4 * step
        name = "0" if step == 0 else str(step)
        _node(axes, (x, 1), f"h({name})", colours["h"] if step else "white")
        if step == 0:
            continue
        _arrow(axes, (x - 1.4 + 0.36, 1), (x - 0.36, 1), "W")
        _node(axes, (x, 0), f"x({step})", colours["x"])
        _arrow(axes, (x, 0.26), (x, 0.74), "U")
        if outputs:
            _node(axes, (x, 2), f"y({step})", colours["y"])
            _arrow(axes, (x, 1.26), (x, 1.74), "V")
    axes.set_xlim(-0.1, width)
    axes.set_ylim(-0.5, top + 0.5)
    axes.set_aspect("equal")
    axes.axis("off")
    return fig


def attention_matrix(weights, source_tokens=None, target_tokens=None, title=None):
    """An attention (alignment) matrix: which inputs each output looked at.

    Args:
        weights: Array of shape `(target_steps, source_steps)`; row `i` is
            the attention distribution of output step `i`.
        source_tokens, target_tokens: Optional labels for the axes.
        title: Figure title.

    Returns:
        The Figure.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(
            f"weights must be 2-D (target, source); got shape {weights.shape}."
        )
    for tokens, size, axis in (
        (source_tokens, weights.shape[1], "source"),
        (target_tokens, weights.shape[0], "target"),
    ):
        if tokens is not None and len(tokens) != size:
            raise ValueError(
                f"Got {len(tokens)} {axis} tokens for {size} {axis} steps."
            )
    fig = Figure(
        figsize=(1.5 + 0.45 * weights.shape[1], 1.0 + 0.45 * weights.shape[0]),
        layout="constrained",
    )
    axes = fig.subplots()
    image = axes.imshow(weights, cmap="Greys", vmin=0, aspect="equal")
    if source_tokens is not None:
        axes.set_xticks(range(len(source_tokens)), source_tokens, rotation=90)
    if target_tokens is not None:
        axes.set_yticks(range(len(target_tokens)), target_tokens)
    axes.set_xlabel("source (input) step")
    axes.set_ylabel("target (output) step")
    fig.colorbar(image, ax=axes, label="attention weight")
    if title:
        axes.set_title(title)
    return fig


def image_grid(images, labels, predictions=None, class_names=None, columns=8):
    """Images with their true (and predicted) labels; mistakes in red.

    Args:
        images: Array `(n, height, width)` or `(n, height, width, 1 or 3)`,
            values in [0, 1].
        labels: `n` true labels (class ids, or strings such as captions).
        predictions: Optional `n` predicted labels.
        class_names: Optional names for class ids.
        columns: Images per row.

    Returns:
        The Figure.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or len(labels) != len(images):
        raise ValueError(
            f"Need images (n, h, w[, c]) and n labels; got images {images.shape} "
            f"and {len(labels)} labels."
        )
    if predictions is not None and len(predictions) != len(images):
        raise ValueError(
            f"Got {len(predictions)} predictions for {len(images)} images."
        )

    def name(label):
        return class_names[label] if class_names is not None else str(label)

    rows = -(-len(images) // columns)
    columns = min(columns, len(images))
    fig = Figure(figsize=(1.7 * columns, 2.1 * rows), layout="constrained")
    all_axes = np.atleast_1d(fig.subplots(rows, columns)).reshape(-1)
    for i, axes in enumerate(all_axes):
        axes.axis("off")
        if i >= len(images):
            continue
        axes.imshow(
            images[i], cmap="gray" if images.ndim == 3 else None, vmin=0, vmax=1
        )
        text, colour = name(labels[i]), "black"
        if predictions is not None:
            wrong = predictions[i] != labels[i]
            text = (
                f"{name(predictions[i])}\n(true: {text})"
                if wrong
                else name(predictions[i])
            )
            colour = "red" if wrong else "green"
        wrapped = "\n".join(textwrap.fill(line, 22) for line in text.split("\n"))
        axes.set_title(wrapped, fontsize=8, color=colour)
    return fig
