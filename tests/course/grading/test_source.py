"""Reading submissions without running them: which code is kept, magics,
syntax errors with their cell, names, and the review flags."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from nbformat.v4 import new_markdown_cell
from nbformat.v4 import new_notebook

from course.grading import assignments
from course.grading.flags import FlagRules
from course.grading.source import read_submission
from course.grading.source import strip_magics

LSTM_RULES = assignments.get("lstm_cell").flags
ELMAN_RULES = assignments.get("elman_bptt").flags


def notebook(tmp_path, *sources, name="submission.ipynb"):
    cells = [new_markdown_cell("# a submission")]
    cells += [new_code_cell(source) for source in sources]
    path = tmp_path / name
    nbformat.write(new_notebook(cells=cells), path)
    return path


def module(tmp_path, source, name="submission.py"):
    path = tmp_path / name
    path.write_text(source)
    return path


def test_definitions_are_kept_and_demonstrations_left_out(tmp_path):
    path = notebook(
        tmp_path,
        "FAST = False\nGATES = ('i', 'f', 'c', 'o')",
        "import numpy as np\nimport matplotlib.pyplot as plt\nimport course.device\n"
        "course.device.setup()",
        "@decorate\nclass Cell(Base):\n    size = 3\n\n    def call(self):\n"
        "        return np.zeros(self.size)\n\nrng = np.random.default_rng(0)\nAlias = Cell",
        "result = Cell().call()\nassert result.shape == (3,)\nfor i in range(3):\n    pass\n"
        "if __name__ == '__main__':\n    main()",
    )
    submission = read_submission(path)
    assert submission.problem is None
    assert submission.code.split("\n\n")[:3] == [
        "FAST = False",
        "GATES = ('i', 'f', 'c', 'o')",
        "import numpy as np",
    ]
    assert "class Cell(Base):" in submission.code and "@decorate" in submission.code
    assert "Alias = Cell" in submission.code
    for left_out in (
        "plt",
        "course",
        "setup()",
        "default_rng",
        "result",
        "assert",
        "range",
    ):
        assert left_out not in submission.code, left_out
    assert submission.defined == {"FAST", "GATES", "np", "Cell", "Alias"}
    assert {"rng", "result", "i"} <= submission.left_out
    # line numbers lead back to the notebook's cells
    lines = submission.code.split("\n")
    assert submission.origin(lines.index("@decorate") + 1) == "code cell 3, line 1"
    assert submission.origin(lines.index("Alias = Cell") + 1) == "code cell 3, line 9"


def test_magics_are_stripped():
    assert strip_magics("!pip install x\n%matplotlib inline\nx = 1\n  %time f()") == (
        "\n\nx = 1\n"
    )
    assert strip_magics("%%bash\nrm -rf /") == ""


def test_a_notebook_with_magics_reads(tmp_path):
    path = notebook(
        tmp_path, "%load_ext autoreload\n!ls\nUNITS = 4", "%%timeit\nnot python at all("
    )
    submission = read_submission(path)
    assert submission.problem is None and "UNITS = 4" in submission.code


def test_syntax_errors_name_the_cell(tmp_path):
    path = notebook(tmp_path, "import numpy as np", "def f(x)\n    return x")
    assert (
        read_submission(path).problem
        == "SyntaxError in code cell 2, line 1: expected ':'"
    )
    path = module(tmp_path, "x = (1,\n")
    assert read_submission(path).problem.startswith("SyntaxError in line 1")


def test_unreadable_submissions_are_reported(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert "not a Jupyter notebook" in read_submission(broken).problem
    binary = tmp_path / "binary.py"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "cannot read the submission" in read_submission(binary).problem


def test_cells_on_one_line_keep_only_definitions(tmp_path):
    path = module(tmp_path, "import os; os.system('echo hi'); X = 1\n")
    submission = read_submission(path)
    assert "system" not in submission.code and "X = 1" in submission.code


@pytest.mark.parametrize(
    "source, reason",
    [
        (
            "import keras\nclass LSTMCell(keras.layers.LSTMCell):\n    pass",
            "uses keras.layers.LSTMCell",
        ),
        (
            "from keras import layers\nclass LSTMCell:\n    def build(self):\n"
            "        self.inner = layers.LSTM(4)",
            "uses keras.layers.LSTM",
        ),
        (
            "from keras.layers import LSTMCell as Builtin\nLSTMCell = Builtin",
            "uses keras.layers.LSTMCell",
        ),
        (
            "import tensorflow as tf\ndef f():\n    return tf.keras.layers.LSTM(3)",
            "uses tensorflow.keras.layers.LSTM",
        ),
        (
            "import custom_layers\nLSTMCell = custom_layers.LSTMCell",
            "uses custom_layers",
        ),
        (
            "import numpy as np\nnp.allclose = lambda *a: True",
            "changes numpy.allclose (patching a module)",
        ),
        (
            "import numpy\ndef f():\n    numpy.testing.assert_allclose = None",
            "changes numpy.testing.assert_allclose (patching a module)",
        ),
        ("import course.grading.checks as c\nc.compare = None", "uses course.grading"),
        ("import os\ndef f():\n    return os.environ['SEED']", "uses os.environ"),
        (
            "from os import getenv\ndef f():\n    return getenv('SEED')",
            "uses os.getenv",
        ),
        ("import subprocess\ndef f():\n    subprocess.run('ls')", "imports subprocess"),
        ("def f():\n    return eval('1')", "uses eval"),
        (
            "import keras\ndef f():\n    return getattr(keras.layers, 'LS' + 'TM')",
            "uses getattr",
        ),
        ("def f():\n    return open('/tmp/x', 'w')", "uses open"),
        (
            "import keras\nL = keras.layers\nCell = L\ndef f():\n    return Cell.LSTMCell(3)",
            "uses keras.layers.LSTMCell",
        ),
        (
            "import keras\ndef f():\n    return keras.saving.deserialize_keras_object("
            "{'class_name': 'GRU' + 'Cell', 'config': {'units': 3}})",
            "uses keras.saving.deserialize_keras_object",
        ),
        (
            "from keras.layers import deserialize as d\ndef f():\n    return d('x')",
            "uses keras.layers.deserialize",
        ),
        (
            "from course.compare import custom_layers\nclass C(custom_layers.LSTMCell):\n"
            "    pass",
            "uses custom_layers",
        ),
        ("def f(o):\n    return o.__class__.__subclasses__()", "uses __subclasses__"),
        (  # another built-in recurrence than the one asked for
            "from keras import layers\nclass LSTMCell(layers.Layer):\n"
            "    def build(self, shape):\n        self.inner = layers.GRUCell(3)",
            "uses keras.layers.GRUCell",
        ),
        (
            "import tensorflow as tf\nC = tf.keras.layers.ConvLSTM2D",
            "uses tensorflow.keras.layers.ConvLSTM2D",
        ),
    ],
)
def test_suspicious_code_is_flagged(tmp_path, source, reason):
    flags = read_submission(module(tmp_path, source), LSTM_RULES).flags
    assert any(flag.startswith(reason) for flag in flags), flags


def test_flags_say_where(tmp_path):
    path = notebook(
        tmp_path, "import keras", "class LSTMCell(keras.layers.LSTMCell):\n    pass"
    )
    (flag,) = read_submission(path, LSTM_RULES).flags
    assert flag == (
        "uses keras.layers.LSTMCell (the assignment asks for your own LSTM "
        "cell) (code cell 2, line 1)"
    )


def test_an_honest_cell_is_not_flagged(tmp_path):
    path = notebook(
        tmp_path,
        "import keras\nfrom keras import ops\nimport numpy as np",
        "class LSTMCell(keras.layers.Layer):\n    def call(self, inputs, states):\n"
        "        h, c = states\n        z = ops.matmul(inputs, self.kernel)\n"
        "        return h, [h, c]",
        # the sanity checks may use the built-in layer: they are left out
        "builtin = keras.layers.LSTM(5)\nnp.testing.assert_allclose(builtin(x), x)",
        "from keras.layers import LSTM\nreference = LSTM(3)",
    )
    assert read_submission(path, LSTM_RULES).flags == ()


def test_a_numpy_assignment_flags_autodiff(tmp_path):
    path = module(
        tmp_path,
        "import tensorflow as tf\ndef elman_bptt():\n    return tf.GradientTape()",
    )
    (flag,) = read_submission(path, ELMAN_RULES).flags
    assert (
        flag
        == "uses tensorflow (the assignment asks for BPTT by hand in NumPy) (line 1)"
    )
    # keras is fine for the Keras assignments
    path = module(
        tmp_path, "import keras\ndef f():\n    return keras.ops.tanh", "keras_ok.py"
    )
    assert read_submission(path, FlagRules()).flags == ()


def test_oversized_submissions_are_refused(tmp_path, monkeypatch):
    import course.grading.source as source

    monkeypatch.setattr(source, "MAX_SUBMISSION_BYTES", 10)
    path = tmp_path / "big.ipynb"
    path.write_text(json.dumps({"cells": []}) + " " * 20)
    assert "MiB a submission may have" in read_submission(path).problem


def test_the_review_follows_what_the_answers_use(tmp_path):
    helper = "def make_inner(units):\n    return keras.layers.LSTMCell(units)"
    sanity = "def compare_with_keras(cell):\n    return keras.layers.LSTM(3)"
    answer = (
        "class LSTMCell(keras.layers.Layer):\n    def build(self, shape):\n"
        "        self.inner = make_inner(4)"
    )
    honest = answer.replace("make_inner(4)", "None")
    path = notebook(tmp_path, "import keras", helper, answer, sanity)
    assert read_submission(path, LSTM_RULES, ("LSTMCell",)).flags == (
        "uses keras.layers.LSTMCell (the assignment asks for your own LSTM cell) "
        "(code cell 2, line 2)",
    )
    path = notebook(
        tmp_path, "import keras", helper, honest, sanity, name="honest.ipynb"
    )
    assert read_submission(path, LSTM_RULES, ("LSTMCell",)).flags == ()
    # without answer names everything kept is reviewed
    assert len(read_submission(path, LSTM_RULES).flags) == 2


def test_only_what_the_answers_need_is_kept(tmp_path):
    path = notebook(
        tmp_path,
        "import numpy as np\nimport keras\nSCALE = 2.0\nUNUSED = 3",
        "def helper(x):\n    return SCALE * np.tanh(x)",
        "def answer(x):\n    return helper(x)",
        "values = np.arange(3)\nfirst = values[0]\ndef sanity():\n    return keras.layers.LSTM(2)",
        "np.allclose = lambda *a: True",
    )
    submission = read_submission(path, LSTM_RULES, ("answer",))
    assert submission.defined == {"np", "SCALE", "helper", "answer"}
    assert "first = values[0]" not in submission.code  # would fail: values is left out
    assert "sanity" not in submission.code and "allclose" not in submission.code
    assert {"first", "values", "sanity", "keras", "UNUSED"} <= submission.left_out
    # never run, but a patch still gets the submission reviewed
    assert submission.flags == (
        "changes numpy.allclose (patching a module) (code cell 5, line 1)",
    )


def test_constants_bound_by_any_plain_assignment_are_kept(tmp_path):
    # `A, B = 1, 0` once counted as patching: the answer lost its constants
    path = notebook(
        tmp_path,
        "import numpy as np\n__all__ = ['answer']\nA, B = 1, 0\n[C, *REST] = 2, 3, 4\n"
        "D: int = 5\nD += 1\nD *= 2\nE: float",
        "def answer(x):\n    return np.asarray(x) * A + B + C + sum(REST) + D",
        "np.pi, F = 3, 4",
    )
    submission = read_submission(path, LSTM_RULES, ("answer",))
    assert submission.problem is None
    assert submission.defined == {"np", "A", "B", "C", "REST", "D", "answer"}
    assert "np.pi" not in submission.code  # an attribute target is never run
    namespace = {}
    exec(compile(submission.code, "submission", "exec"), namespace)
    # 2 * 1 + 0 + 2 + (3 + 4) + (5 + 1) * 2
    assert namespace["answer"](2) == 23
    assert submission.flags == (
        "changes numpy.pi (patching a module) (code cell 3, line 1)",
    )


@pytest.mark.parametrize(
    "source, problem",
    [
        ("x = 1\x00", "SyntaxError: source code string cannot contain null bytes"),
        ("x = " + "-" * 200_000 + "1", "cannot analyse the submission: "),
        (
            "x = " + "(" * 300 + ")" * 300,
            "SyntaxError in line 1: too many nested parentheses",
        ),
    ],
)
def test_hostile_sources_are_a_problem_of_the_submission(tmp_path, source, problem):
    assert read_submission(module(tmp_path, source)).problem.startswith(problem)
