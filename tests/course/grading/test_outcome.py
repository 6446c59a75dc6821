"""What a grading child sends is parsed once, into typed values, and every
malformed or unexpected part of it is dropped and named."""

import base64
import json

import numpy as np
import pytest

from course.grading import outcome

CHECKS = ["shapes", "sequence"]
EXPECTED = {"shapes": ["h_shape"], "sequence": ["h", "y"]}


def _array(value, **changes):
    value = np.ascontiguousarray(value)
    encoded = {
        "dtype": value.dtype.str,
        "shape": list(value.shape),
        "data": base64.b64encode(value.tobytes()).decode(),
    }
    return {**encoded, **changes}


def _lines(*messages):
    return b"".join(
        (m if isinstance(m, bytes) else json.dumps(m).encode()) + b"\n"
        for m in messages
    )


def _check(name, **fields):
    return {"event": "check", "name": name, **fields}


def test_a_well_behaved_child_reads_as_it_was_sent():
    h = np.arange(6, dtype=np.float32).reshape(2, 3)
    data = _lines(
        {"event": "loaded", "missing": ["elman_bptt"]},
        _check("shapes", arrays={"h_shape": _array(np.array([2, 3]))}, seconds=0.1),
        _check("sequence", arrays={"h": _array(h), "y": _array(h[:, :1])}, seconds=1),
        {"event": "finished"},
    )
    parsed = outcome.parse(data, CHECKS, EXPECTED)
    assert parsed.finished and parsed.problems == () and parsed.import_error is None
    assert parsed.missing == ("elman_bptt",)
    sequence = parsed.checks["sequence"]
    assert sequence.done and sequence.error is None
    np.testing.assert_array_equal(sequence.arrays["h"], h)
    assert (
        sequence.arrays["h"].dtype == np.float32
        and sequence.arrays["h"].flags.writeable
    )


def test_errors_missing_names_and_memory_errors_are_typed():
    error = {"type": "ValueError", "message": "bad", "line": 7}
    data = _lines(
        _check("shapes", missing=["LSTMCell"]),
        _check("sequence", error=error, memory=True, seconds=2),
    )
    parsed = outcome.parse(data, CHECKS, EXPECTED)
    assert parsed.checks["shapes"].missing == ("LSTMCell",)
    assert parsed.checks["sequence"].error == outcome.ChildError("ValueError", "bad", 7)
    assert parsed.memory_error and not parsed.finished
    imported = outcome.parse(
        _lines(
            {"event": "import_error", "error": {**error, "line": None}, "memory": False}
        ),
        CHECKS,
    )
    assert imported.import_error.line is None and not imported.memory_error


def test_only_the_expected_arrays_are_kept_and_absent_ones_say_so():
    data = _lines(
        _check(
            "sequence",
            arrays={"h": _array(np.ones(2)), "planted": _array(np.ones(2))},
            seconds=0,
        )
    )
    arrays = outcome.parse(data, CHECKS, EXPECTED).checks["sequence"].arrays
    assert sorted(arrays) == ["h", "y"] and arrays["y"] == "not produced"
    trusted = outcome.parse(data, CHECKS).checks["sequence"].arrays
    assert list(trusted) == ["h", "planted"]  # the reference: every name, sorted


@pytest.mark.parametrize(
    "line, why",
    [
        (b"not json", "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        ({"event": "surprise"}, "an unknown message"),
        ({"event": "finished", "extra": 1}, "an unknown message"),
        (_check("gradients", missing=[]), "not asked for"),
        (_check("shapes", missing=["../x"]), "not a list of names"),
        (
            _check("shapes", error={"type": "E"}, memory=False),
            "not {type, message, line}",
        ),
        (
            _check(
                "shapes", error={"type": "E", "message": "m", "line": "7"}, memory=False
            ),
            "not a line number",
        ),
        (_check("shapes", arrays=[], seconds=0), "not a mapping"),
        (
            _check(
                "shapes", arrays={"h_shape": _array(np.ones(2), dtype="|O")}, seconds=0
            ),
            "not numeric",
        ),
        (
            _check(
                "shapes", arrays={"h_shape": _array(np.ones(2), dtype="<U1")}, seconds=0
            ),
            "not numeric",
        ),
        (
            _check(
                "shapes", arrays={"h_shape": _array(np.ones(2), shape=[3])}, seconds=0
            ),
            "does not match",
        ),
        (
            _check(
                "shapes", arrays={"h_shape": _array(np.ones(2), shape=[-2])}, seconds=0
            ),
            "list of sizes",
        ),
        (
            _check(
                "shapes",
                arrays={"h_shape": _array(np.ones(2), shape=[2**20, 2**10])},
                seconds=0,
            ),
            "larger than",
        ),
        (
            _check(
                "shapes", arrays={"h_shape": _array(np.ones(2), data="***")}, seconds=0
            ),
            "not base64",
        ),
        (
            _check("shapes", arrays={}, seconds=0, fake="10/10"),
            "a check message with fields",
        ),
    ],
)
def test_malformed_messages_are_dropped_and_named(line, why):
    parsed = outcome.parse(_lines(line, {"event": "finished"}), CHECKS, EXPECTED)
    assert parsed.checks == {} and parsed.finished
    assert len(parsed.problems) == 1 and why in parsed.problems[0], parsed.problems
    assert parsed.problems[0].startswith("line 1: ")


def test_repeated_checks_and_messages_after_finished_are_rejected():
    shapes = _check("shapes", arrays={"h_shape": _array(np.array([2, 3]))}, seconds=0)
    parsed = outcome.parse(
        _lines(
            shapes, shapes, {"event": "finished"}, _check("sequence", missing=["x"])
        ),
        CHECKS,
        EXPECTED,
    )
    assert list(parsed.checks) == ["shapes"]
    assert "sent twice" in parsed.problems[0]
    assert "after the child said it finished" in parsed.problems[1]


def test_a_flood_is_named_and_problems_are_bounded():
    parsed = outcome.parse(b"garbage\n" * 1000, CHECKS, EXPECTED, overflow=True)
    assert parsed.problems[0] == "it sent more than the grader reads"
    assert len(parsed.problems) == 20
