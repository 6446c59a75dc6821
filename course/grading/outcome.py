"""What a grading child sent, validated into typed values, in one place.

The child is untrusted: everything it writes to its channel (see
`course.grading.probes.child`) is parsed here, once, before any other code
of the grader sees it. A line that is not a well-formed message of a known
kind, names a check that was not asked for, repeats one, follows the
"finished" message, or carries an array that is not a bounded numeric array of the promised size is dropped
and counted in `ChildOutcome.problems`; the grader's status logic then
works on these objects only.
"""

import base64
import binascii
import dataclasses
import json
import math
import re

import numpy as np

MAX_ARRAY_BYTES = 16 * 2**20
MAX_DIMENSIONS = 8
MAX_TEXT = 2000
SAFE_NAME = re.compile(r"^[A-Za-z0-9_]{1,100}$")
_DTYPES = {
    np.dtype(name).str
    for name in (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
    )
}


class _Malformed(ValueError):
    """One message that does not follow the protocol."""


@dataclasses.dataclass(frozen=True)
class ChildError:
    """An exception the child reported: its type, message and the line of
    the submission where it happened (None if not in the submission)."""

    type: str
    message: str
    line: int | None


@dataclasses.dataclass(frozen=True)
class CheckOutcome:
    """One check as the child reported it: exactly one of `arrays` (done),
    `error` and `missing` is set.

    Attributes:
        arrays: Array name -> np.ndarray, or a string saying why there is
            none (for an expected name the child did not send).
        error: The `ChildError` the probe raised.
        missing: Answer names the check needs and the submission lacks.
        memory: Whether the error was a MemoryError.
    """

    arrays: dict | None = None
    error: ChildError | None = None
    missing: tuple = ()
    memory: bool = False

    @property
    def done(self):
        return self.arrays is not None


@dataclasses.dataclass(frozen=True)
class ChildOutcome:
    """Everything a child reported.

    Attributes:
        import_error: The `ChildError` running the definitions raised.
        memory_error: Whether the child reported a MemoryError.
        missing: Answer names the submission did not define.
        checks: Check name -> `CheckOutcome`, for the checks reported.
        finished: Whether the child said it finished.
        problems: Why messages were dropped (malformed, unexpected, too much).
    """

    import_error: ChildError | None = None
    memory_error: bool = False
    missing: tuple = ()
    checks: dict = dataclasses.field(default_factory=dict)
    finished: bool = False
    problems: tuple = ()


def _text(value, what, limit=MAX_TEXT):
    if not isinstance(value, str):
        raise _Malformed(f"{what} is not a string")
    return value[:limit]


def _names(value, what):
    if not isinstance(value, list) or not all(
        isinstance(n, str) and SAFE_NAME.match(n) for n in value
    ):
        raise _Malformed(f"{what} is not a list of names")
    return tuple(value)


def _error(value):
    if not isinstance(value, dict) or set(value) != {"type", "message", "line"}:
        raise _Malformed("an error is not {type, message, line}")
    line = value["line"]
    if line is not None and (
        not isinstance(line, int) or isinstance(line, bool) or line < 0
    ):
        raise _Malformed("an error's line is not a line number")
    return ChildError(
        _text(value["type"], "an error's type", 100),
        _text(value["message"], "an error's message"),
        line,
    )


def _array(value):
    if not isinstance(value, dict) or set(value) != {"dtype", "shape", "data"}:
        raise _Malformed("an array is not {dtype, shape, data}")
    if value["dtype"] not in _DTYPES:
        raise _Malformed(f"dtype {str(value['dtype'])[:20]!r} is not numeric")
    shape = value["shape"]
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_DIMENSIONS
        or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        )
    ):
        raise _Malformed("an array's shape is not a list of sizes")
    dtype = np.dtype(value["dtype"])
    size = math.prod(shape) * dtype.itemsize
    if size > MAX_ARRAY_BYTES:
        raise _Malformed(f"an array is larger than {MAX_ARRAY_BYTES // 2**20} MiB")
    try:
        data = base64.b64decode(
            _text(value["data"], "data", 4 * MAX_ARRAY_BYTES), validate=True
        )
    except binascii.Error as error:
        raise _Malformed("an array's data is not base64") from error
    if len(data) != size:
        raise _Malformed("an array's data does not match its shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _arrays(value, expected):
    """Name -> array; with `expected`, exactly those names (a string saying
    why for each one absent), without, every safe name."""
    if not isinstance(value, dict):
        raise _Malformed("arrays are not a mapping")
    if expected is None:  # sorted: the order the feedback names failures in
        expected = sorted(n for n in value if isinstance(n, str) and SAFE_NAME.match(n))
    names = expected
    return {
        name: _array(value[name]) if name in value else "not produced" for name in names
    }


def _check(message, expected):
    fields = set(message) - {"event", "name"}
    if fields == {"missing"}:
        return CheckOutcome(missing=_names(message["missing"], "missing"))
    if fields == {"error", "memory", "seconds"} or fields == {"error", "memory"}:
        return CheckOutcome(
            error=_error(message["error"]), memory=message["memory"] is True
        )
    if fields == {"arrays", "seconds"}:
        return CheckOutcome(arrays=_arrays(message["arrays"], expected))
    raise _Malformed(f"a check message with fields {sorted(fields)[:6]}")


def parse(data, checks, expected=None, overflow=False):
    """The `ChildOutcome` in the bytes a child sent.

    Args:
        data: The channel's bytes (JSON lines).
        checks: The names of the checks the child was asked to run.
        expected: Dict check -> the array names to accept; None accepts any
            safe name (the trusted reference run).
        overflow: Whether the child sent more than the reader kept.
    """
    found = {"checks": {}}
    problems = ["it sent more than the grader reads"] if overflow else []
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            if found.get("finished"):
                raise _Malformed("a message after the child said it finished")
            try:
                message = json.loads(line)
            except (ValueError, RecursionError) as error:
                raise _Malformed("not JSON") from error
            if not isinstance(message, dict):
                raise _Malformed("not a JSON object")
            event = message.get("event")
            if event == "import_error" and set(message) == {"event", "error", "memory"}:
                found["import_error"] = _error(message["error"])
                found["memory_error"] = message["memory"] is True
            elif event == "loaded" and set(message) == {"event", "missing"}:
                found["missing"] = _names(message["missing"], "missing")
            elif event == "check":
                name = message.get("name")
                if name not in checks or name in found["checks"]:
                    raise _Malformed(
                        f"a check not asked for or sent twice ({str(name)[:40]!r})"
                    )
                wanted = None if expected is None else list(expected.get(name, ()))
                found["checks"][name] = outcome = _check(message, wanted)
                found["memory_error"] = found.get("memory_error") or outcome.memory
            elif event == "finished" and set(message) == {"event"}:
                found["finished"] = True
            else:
                raise _Malformed(f"an unknown message {str(event)[:40]!r}")
        except _Malformed as error:
            problems.append(f"line {number}: {error}")
    return ChildOutcome(problems=tuple(problems[:20]), **found)
