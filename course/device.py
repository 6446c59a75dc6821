"""Environment report, GPU memory growth and the Keras dtype policy.

Every notebook starts with

    import course.device
    course.device.setup()

which reports the Python / TensorFlow / Keras versions, the backend and the
visible devices, lets TensorFlow grow its GPU memory on demand instead of
taking all of it, and sets the Keras dtype policy (mixed precision on GPUs
that profit from it).
"""

import dataclasses
import importlib.metadata
import os
import platform

import keras

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
_PURE_POLICIES = {"float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


@dataclasses.dataclass(frozen=True)
class Device:
    """One visible device.

    Attributes:
        name: The backend's name for it (e.g. `"/physical_device:GPU:0"`).
        kind: `"CPU"`, `"GPU"` or `"TPU"`.
        description: Model name where the backend reports one.
        compute_capability: `(major, minor)` for NVIDIA GPUs, else `None`.
    """

    name: str
    kind: str
    description: str = ""
    compute_capability: tuple | None = None

    def __str__(self):
        details = [self.description] if self.description else []
        if self.compute_capability:
            details.append("compute capability {}.{}".format(*self.compute_capability))
        return self.name + (f" ({', '.join(details)})" if details else "")


@dataclasses.dataclass(frozen=True, repr=False)
class Environment:
    """What `setup()` found and set; prints as a small table.

    Attributes:
        python, tensorflow, keras: Versions (`tensorflow` is `None` when it
            is not installed).
        backend: The Keras backend and its version, e.g. `"jax 0.4.30"`.
        devices: The visible devices (a tuple of `Device`).
        precision: The Keras dtype policy now in force.
        precision_reason: Why that policy (explicit, or what `auto` saw).
        memory_growth: What was done about GPU memory growth.
    """

    python: str
    tensorflow: str
    keras: str
    backend: str
    devices: tuple
    precision: str
    precision_reason: str
    memory_growth: str

    @property
    def hardware(self):
        """What computes, in words: the GPUs' model names if there are any,
        else the CPU's (e.g. for a results table beside the lecture's K40)."""
        gpus = [d.description or d.name for d in self.devices if d.kind == "GPU"]
        if gpus:
            return ", ".join(gpus)
        return f"{_cpu_model()}, {os.cpu_count()} logical cores (CPU only)"

    def rows(self):
        """The report as `(label, value)` pairs."""
        return [
            ("Python", self.python),
            ("TensorFlow", self.tensorflow or "not installed"),
            ("Keras", self.keras),
            ("Backend", self.backend),
            ("Devices", "; ".join(str(d) for d in self.devices) or "none found"),
            ("Hardware", self.hardware),
            ("Precision", f"{self.precision} ({self.precision_reason})"),
            ("GPU memory", self.memory_growth),
        ]

    def __repr__(self):
        width = max(len(label) for label, _ in self.rows())
        return "\n".join(f"{label:<{width}}  {value}" for label, value in self.rows())

    def _repr_markdown_(self):
        lines = ["| | |", "|---|---|"]
        lines += [f"| **{label}** | {value} |" for label, value in self.rows()]
        return "\n".join(lines)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _tensorflow_devices():
    """Visible devices on the TensorFlow backend; turns on memory growth."""
    import tensorflow as tf

    devices, growth = [], []
    for device in tf.config.list_physical_devices():
        details = {}
        if device.device_type == "GPU":
            details = tf.config.experimental.get_device_details(device)
            try:
                tf.config.experimental.set_memory_growth(device, True)
                growth.append(True)
            except RuntimeError:  # the GPU was initialised before setup()
                growth.append(tf.config.experimental.get_memory_growth(device))
        devices.append(
            Device(
                name=device.name,
                kind=device.device_type,
                description=details.get("device_name", ""),
                compute_capability=details.get("compute_capability"),
            )
        )
    if not growth:
        memory = "no GPU"
    elif all(growth):
        memory = "grows on demand (memory growth on)"
    else:
        memory = (
            "memory growth could not be turned on: TensorFlow had already "
            "initialised the GPU; call course.device.setup() first"
        )
    return tuple(devices), memory


def _jax_devices():
    """Visible devices on the JAX backend."""
    import jax

    devices = []
    for device in jax.devices():
        capability = getattr(device, "compute_capability", None)
        kind = {"cpu": "CPU", "tpu": "TPU"}.get(device.platform, "GPU")
        devices.append(
            Device(
                name=f"{device.platform}:{device.id}",
                kind=kind,
                description=device.device_kind,
                compute_capability=(
                    tuple(int(p) for p in capability.split(".")) if capability else None
                ),
            )
        )
    has_gpu = any(d.kind == "GPU" for d in devices)
    memory = (
        "managed by JAX (XLA_PYTHON_CLIENT_PREALLOCATE=false limits it)"
        if has_gpu
        else "no GPU"
    )
    return tuple(devices), memory


def _auto_precision(devices):
    """The policy `auto` picks for these devices, and why."""
    gpus = [d for d in devices if d.kind == "GPU"]
    if not gpus:
        return "float32", "auto: no GPU"
    capabilities = [d.compute_capability for d in gpus if d.compute_capability]
    if not capabilities:
        return "float32", "auto: GPU compute capability unknown"
    lowest = min(capabilities)
    label = "auto: GPU compute capability {}.{}".format(*lowest)
    if lowest >= (8, 0):
        return "mixed_bfloat16", label
    if lowest >= (7, 0):
        return "mixed_float16", label
    return "float32", label + " (no tensor cores)"


def _check_precision(precision):
    if precision in PRECISIONS:
        return
    hint = ""
    if precision in _PURE_POLICIES:
        hint = (
            f" Did you mean {_PURE_POLICIES[precision]!r}? The pure {precision!r}"
            f" policy also keeps the weights in {precision}, which trains badly."
        )
    raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}.{hint}")


def setup(precision="auto"):
    """Reports the environment and sets the Keras dtype policy.

    Call it once, at the top of a notebook, before any model is built (GPU
    memory growth can only be turned on before TensorFlow uses the GPU).

    `precision="auto"` picks `"mixed_bfloat16"` on GPUs of compute
    capability 8.0 or higher (Ampere, Hopper), `"mixed_float16"` on 7.x
    (Volta, Turing: float16 tensor cores, no bfloat16) and `"float32"` on
    CPU or older GPUs. Mixed policies keep the weights in float32 and
    compute in 16 bits; Keras scales the loss for `mixed_float16`.

    Args:
        precision: `"auto"`, `"float32"`, `"mixed_float16"` or
            `"mixed_bfloat16"`.

    Returns:
        An `Environment` (prints as a table; renders as one in Jupyter).

    Raises:
        ValueError: `precision` is not one of the values above.

    Example:

    >>> env = setup()          # on a CPU-only machine
    >>> env.precision
    'float32'
    """
    _check_precision(precision)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        devices, memory = _tensorflow_devices()
    elif backend == "jax":
        devices, memory = _jax_devices()
    else:
        devices, memory = (), f"not inspected on the {backend} backend"
    if precision == "auto":
        policy, reason = _auto_precision(devices)
    else:
        policy, reason = precision, "explicit"
    keras.mixed_precision.set_global_policy(policy)
    backend_version = _version(backend)
    return Environment(
        python=platform.python_version(),
        tensorflow=_version("tensorflow"),
        keras=keras.__version__,
        backend=f"{backend} {backend_version}" if backend_version else backend,
        devices=devices,
        precision=keras.mixed_precision.global_policy().name,
        precision_reason=reason,
        memory_growth=memory,
    )


def strategy():
    """A TensorFlow distribution strategy for the visible GPUs.

    `tf.distribute.MirroredStrategy` (data parallel, one model replica per
    GPU) when more than one GPU is visible, otherwise TensorFlow's default
    strategy. Build and compile the model inside `with strategy().scope():`;
    `fit` then splits every batch across the GPUs.

    Returns:
        A `tf.distribute.Strategy`.

    Raises:
        RuntimeError: The Keras backend is not TensorFlow (with JAX, use
            `keras.distribution` instead).
    """
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            f"strategy() returns a tf.distribute strategy and needs the "
            f"TensorFlow backend; the backend is {backend!r} "
            f"(use keras.distribution.DataParallel there)."
        )
    import tensorflow as tf

    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
