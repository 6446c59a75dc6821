"""Environment report, GPU memory growth and the Keras dtype policy.

Every notebook starts with

    import course.device
    course.device.setup()

which reports the Python / TensorFlow / Keras versions, the backend and the
visible devices, lets TensorFlow grow its GPU memory on demand instead of
taking all of it, and sets the Keras dtype policy (mixed precision on GPUs
that profit from it).

`distribution()` is the one entry point for training on several devices
and hosts: it returns the backend's data-parallel engine.
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
    memory growth can only be turned on before TensorFlow uses the GPU);
    on several hosts, right after `distribution()`, which must start first.

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


KINDS = ("auto", "data_parallel", "mirrored", "multi_worker_mirrored")
COORDINATOR_ENV = ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID")


def _wait_for_coordinator(address, timeout_s):
    """Returns once `host:port` accepts a TCP connection; `ConnectionError`
    after `timeout_s` seconds (JAX itself would abort the process)."""
    import socket
    import time

    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=1.0):
                return
        except OSError as error:
            if time.monotonic() >= deadline:
                raise ConnectionError(
                    f"the jax.distributed coordinator {address} did not answer "
                    f"within {timeout_s:g} s ({error}); start process 0 first and "
                    f"check the address, or raise timeout_s."
                ) from None
            time.sleep(0.2)


def _cluster(coordinator_address, num_processes, process_id):
    """The multi-host set-up from the arguments, else the environment
    variables `JAX_COORDINATOR_ADDRESS`, `JAX_NUM_PROCESSES`,
    `JAX_PROCESS_ID`; `None` for a single host."""
    given = (coordinator_address, num_processes, process_id)
    values = [
        value if value is not None else os.environ.get(name)
        for value, name in zip(given, COORDINATOR_ENV)
    ]
    if all(value is None for value in values):
        return None
    if any(value is None for value in values):
        missing = [n for v, n in zip(values, COORDINATOR_ENV) if v is None]
        raise ValueError(
            f"a multi-host run needs the coordinator address, the process count "
            f"and this process's id; missing: {', '.join(missing)} (arguments "
            f"coordinator_address, num_processes, process_id or those variables)."
        )
    address, count, index = values
    host, _, port = str(address).rpartition(":")
    try:
        count, index, port = int(count), int(index), int(port)
    except ValueError:
        raise ValueError(
            f"expected coordinator 'host:port' and integer process count and id; "
            f"got {address!r}, {values[1]!r}, {values[2]!r}."
        ) from None
    if not host or count < 1 or not 0 <= index < count:
        raise ValueError(
            f"expected coordinator 'host:port', num_processes >= 1 and "
            f"0 <= process_id < num_processes; got {address!r}, {count}, {index}."
        )
    return str(address), count, index


def _jax_started():
    """Whether JAX has started its backends (listed the devices, computed);
    `jax.distributed.initialize` must come before."""
    from jax._src import xla_bridge  # the check jax.distributed makes

    return xla_bridge.backends_are_initialized()


def _jax_data_parallel(cluster, timeout_s):
    import jax

    if cluster is not None and cluster[1] > 1:
        address, count, index = cluster
        if not jax.distributed.is_initialized():
            if _jax_started():
                raise RuntimeError(
                    "a multi-host distribution() must come before anything that "
                    "starts JAX, course.device.setup() included (it lists the "
                    "devices): call course.device.distribution(...) first and "
                    "setup() after it, so that setup() sees every host's devices."
                )
            if index != 0:
                _wait_for_coordinator(address, timeout_s)
            jax.distributed.initialize(
                address,
                num_processes=count,
                process_id=index,
                initialization_timeout=max(1, int(timeout_s)),
            )
    return keras.distribution.DataParallel(
        devices=keras.distribution.list_devices(),
        # across hosts each process feeds its own share of every batch
        auto_shard_dataset=jax.process_count() == 1,
    )


def _tensorflow_mirrored():
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    devices = gpus if gpus else tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([d.name for d in devices])


def distribution(
    kind="auto",
    *,
    coordinator_address=None,
    num_processes=None,
    process_id=None,
    timeout_s=60.0,
):
    """Data-parallel training over every visible device (and host).

    On the JAX backend: `keras.distribution.DataParallel` over all devices,
    set as Keras's global distribution, so `model.fit` needs no scope.
    Across hosts, give the coordinator (`"host:port"` of process 0), the
    number of processes and this process's id, as arguments or as the
    variables `JAX_COORDINATOR_ADDRESS`, `JAX_NUM_PROCESSES` and
    `JAX_PROCESS_ID`; `jax.distributed.initialize` is then called, which
    must happen before anything starts JAX, so call `distribution()` before
    `setup()`. `setup()` then lists every host's devices and picks one
    dtype policy for all of them (the lowest compute capability decides),
    the same in every process. Every process runs the same script
    and feeds its own share of the data: `model.fit(batch_size=...)` is then
    the per-process batch, `global batch / num_processes`.

    On the TensorFlow backend: `tf.distribute.MirroredStrategy` over the
    local GPUs, else the local (logical) CPUs: one replica on a machine
    with a single GPU or none. `MultiWorkerMirroredStrategy` is not
    supported (it has open problems under Keras 3): use the JAX backend for
    several hosts.

    Both engines have `scope()`: build and compile the model inside
    `with engine.scope():` and the same code runs on either backend.

    Each batch is split over the replicas: `check_global_batch` says whether
    a batch size divides evenly.

    Args:
        kind: `"auto"` (the backend's engine), `"data_parallel"` (JAX) or
            `"mirrored"` (TensorFlow).
        coordinator_address, num_processes, process_id: The multi-host
            set-up (JAX only).
        timeout_s: How long a process waits for the coordinator.

    Returns:
        A `keras.distribution.DataParallel` (JAX) or a
        `tf.distribute.MirroredStrategy` (TensorFlow).

    Raises:
        ValueError: Unknown `kind`, or an incomplete or malformed multi-host
            set-up.
        RuntimeError: The engine does not fit the backend, or a multi-host
            set-up came after JAX had started.
        ConnectionError: The coordinator did not answer within `timeout_s`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}.")
    if kind == "multi_worker_mirrored":
        raise RuntimeError(
            "MultiWorkerMirroredStrategy is not supported (it has open problems "
            "under Keras 3); for several hosts use the JAX backend "
            "(KERAS_BACKEND=jax) with distribution(coordinator_address=..., "
            "num_processes=..., process_id=...)."
        )
    backend = keras.backend.backend()
    engines = {"jax": "data_parallel", "tensorflow": "mirrored"}
    if backend not in engines:
        raise RuntimeError(
            f"distribution() supports JAX and TensorFlow, not {backend!r}."
        )
    if kind == "auto":
        kind = engines[backend]
    if kind != engines[backend]:
        raise RuntimeError(
            f"{kind!r} needs the {'JAX' if kind == 'data_parallel' else 'TensorFlow'} "
            f"backend; the backend is {backend!r} (use kind='auto')."
        )
    cluster = _cluster(coordinator_address, num_processes, process_id)
    if backend == "tensorflow":
        if cluster is not None and cluster[1] > 1:
            raise RuntimeError(
                "multi-host training on the TensorFlow backend would need "
                "MultiWorkerMirroredStrategy, which is not supported; use the JAX "
                "backend (KERAS_BACKEND=jax)."
            )
        return _tensorflow_mirrored()
    data_parallel = _jax_data_parallel(cluster, timeout_s)
    keras.distribution.set_distribution(data_parallel)
    return data_parallel


def replicas(engine):
    """How many replicas a `distribution()` result splits each batch over."""
    if isinstance(engine, keras.distribution.DataParallel):
        return engine.device_mesh.shape[0]
    return engine.num_replicas_in_sync


def check_global_batch(batch_size, engine):
    """Raises `ValueError` unless `batch_size` splits evenly over the
    replicas of `engine`; returns the per-replica batch size."""
    count = replicas(engine)
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or batch_size < 1
    ):
        raise ValueError(
            f"the global batch size must be a positive int; got {batch_size!r}."
        )
    if batch_size % count:
        raise ValueError(
            f"the global batch size {batch_size} does not split over {count} "
            f"replicas; use a multiple of {count} (e.g. {count * max(1, batch_size // count)})."
        )
    return batch_size // count
