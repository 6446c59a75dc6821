"""Reading a submission: the code the grader runs, and what it can tell
without running it.

A submission is a notebook (`.ipynb`) or a module (`.py`). From a notebook
the grader takes the code cells in order. Lines that start with `!` or `%`
(shell commands and IPython line magics) are dropped, and so are cells
that start with a `%%` cell magic. It then runs only what the answers need:
the top-level statements that define the answer names and, transitively,
the names those use, among

- `def` and `class` statements (with their decorators);
- assignments whose right-hand side calls nothing: constants such as
  `UNITS = 4` or `GATES = ("i", "f", "c", "o")`, aliases such as
  `Cell = MyCell`;
- `import` and `from ... import`.

Everything else (sanity checks, plots, training runs, the notebook's own
helpers, `if __name__ == "__main__":` blocks, and assignments that call
something, such as `rng = np.random.default_rng(0)`) is left out, so
answers are found by name wherever their cell sits, and a slow or failing
demonstration cell costs nothing. A syntax error anywhere still counts:
Python would not run the notebook either.

The statements kept, and those that would change a module, are then
reviewed by `course.grading.flags` for things an instructor should look at.
"""

import ast
import dataclasses
import json
import pathlib

from course.grading.flags import DEFAULT_RULES
from course.grading.flags import find_flags

MAX_SUBMISSION_BYTES = 20 * 2**20


@dataclasses.dataclass(frozen=True)
class Submission:
    """A submission, read and analysed without running it.

    Attributes:
        path: The file.
        code: The module the child runs (the kept statements).
        origins: For each line of `code`, where it came from: a
            `(cell label, line)` pair, or None for separator lines.
        defined: Top-level names the kept code defines.
        left_out: Names only statements left out would define.
        problem: Why the submission cannot run at all (unreadable file,
            syntax error), else None.
        flags: Reasons for an instructor's review, with their locations.
    """

    path: pathlib.Path
    code: str = ""
    origins: tuple = ()
    defined: frozenset = frozenset()
    left_out: frozenset = frozenset()
    problem: str | None = None
    flags: tuple = ()

    def origin(self, line):
        """Where line `line` (1-based) of `code` came from, as text."""
        if not isinstance(line, int) or not 1 <= line <= len(self.origins):
            return None
        origin = self.origins[line - 1]
        if origin is None:
            return None
        label, cell_line = origin
        return f"{label}, line {cell_line}" if label else f"line {cell_line}"


def _code_cells(path, text):
    """The (label, source) pairs of the code to read."""
    if path.suffix != ".ipynb":
        return [("", text)]
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
        sources = [
            (cell.get("source", ""), cell.get("cell_type"))
            for cell in cells
            if isinstance(cell, dict)
        ]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"not a Jupyter notebook (nbformat 4): {error}") from None
    result = []
    for source, cell_type in sources:
        if cell_type != "code":
            continue
        if isinstance(source, list):
            source = "".join(map(str, source))
        result.append((f"code cell {len(result) + 1}", str(source)))
    return result


def strip_magics(source):
    """Drops `!`/`%` lines (replaced by blank lines, keeping line numbers);
    a cell that starts with a `%%` cell magic becomes empty."""
    if source.lstrip().startswith("%%"):
        return ""
    lines = source.split("\n")
    return "\n".join(
        "" if line.lstrip().startswith(("!", "%")) else line for line in lines
    )


def _calls_something(node):
    """Whether evaluating `node` calls anything (lambda bodies excepted)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call):
            return True
        if isinstance(current, ast.Lambda):
            stack.extend(current.args.defaults + current.args.kw_defaults)
            continue
        stack.extend(child for child in ast.iter_child_nodes(current) if child)
    return False


def _is_kept(node):
    if isinstance(
        node,
        (
            ast.Import,
            ast.ImportFrom,
            ast.FunctionDef,
            ast.AsyncFunctionDef,
            ast.ClassDef,
        ),
    ):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return node.value is not None and not _calls_something(node.value)
    return False


def _is_unused_import(node, used):
    """An import none of whose names the kept code uses (not __future__)."""
    if isinstance(node, ast.ImportFrom) and (
        node.module == "__future__" or any(alias.name == "*" for alias in node.names)
    ):
        return False
    return isinstance(node, (ast.Import, ast.ImportFrom)) and not (
        _bound_names(node) & used
    )


def _bound_names(node):
    """Names a top-level statement binds (its targets, and the functions
    and classes it defines)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)
    return names


def _statement_text(lines, node):
    """The exact source of a top-level statement (decorators included)."""
    first_line, first_column = node.lineno, node.col_offset
    for decorator in getattr(node, "decorator_list", ()):
        if decorator.lineno < first_line or (
            decorator.lineno == first_line and decorator.col_offset < first_column
        ):
            first_line = decorator.lineno
            first_column = lines[first_line - 1].rfind("@", 0, decorator.col_offset)
    last_line, last_column = node.end_lineno, node.end_col_offset
    if first_line == last_line:
        return first_line, [lines[first_line - 1][first_column:last_column]]
    return first_line, (
        [lines[first_line - 1][first_column:]]
        + lines[first_line : last_line - 1]
        + [lines[last_line - 1][:last_column]]
    )


def _targets(node):
    """The targets of an assignment statement (none for other statements)."""
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return [node.target]
    return []


def _binds_only_names(target):
    """Whether an assignment target binds plain names only: `A`, `A, B`,
    `[A, *rest]` (not an attribute or item, such as `np.allclose`)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_binds_only_names(element) for element in target.elts)
    if isinstance(target, ast.Starred):
        return _binds_only_names(target.value)
    return isinstance(target, ast.Name)


def _changes_more_than_names(node):
    """An assignment to an attribute or item, such as `np.allclose = f`."""
    return not all(_binds_only_names(target) for target in _targets(node))


def _needed(statements, answers):
    """The statements the answers need: those binding an answer name and,
    transitively, every name those statements use (in their order)."""
    binders = {}
    for statement in statements:
        for name in _bound_names(statement[-1]):
            binders.setdefault(name, []).append(statement)
    selected, needed, queue = set(), set(), list(answers)
    while queue:
        name = queue.pop()
        if name in needed:
            continue
        needed.add(name)
        for statement in binders.get(name, ()):
            if id(statement) not in selected:
                selected.add(id(statement))
                queue += [
                    n.id for n in ast.walk(statement[-1]) if isinstance(n, ast.Name)
                ]
    return [statement for statement in statements if id(statement) in selected]


def read_submission(path, rules=DEFAULT_RULES, answers=()):
    """Reads and analyses one submission file (see `_read`); a file the
    analysis chokes on (nested too deeply, null bytes) is a problem of that
    submission, never an error of the grader."""
    try:
        return _read(path, rules, answers)
    except (RecursionError, MemoryError, ValueError) as error:
        return Submission(
            pathlib.Path(path),
            problem=f"cannot analyse the submission: {type(error).__name__}: {error}",
        )


def _read(path, rules, answers):
    """Reads and analyses one submission file.

    Args:
        path: A `.ipynb` or `.py` file.
        rules: The assignment's `FlagRules`.
        answers: The names the assignment asks for. Only what they need is
            kept; without names, every candidate statement is (imports
            only when something uses them).

    Returns:
        A `Submission`; `problem` says why it cannot run, if it cannot.
    """
    path = pathlib.Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_SUBMISSION_BYTES:
            raise ValueError(
                f"{size / 2**20:.1f} MiB is more than the "
                f"{MAX_SUBMISSION_BYTES // 2**20} MiB a submission may have"
            )
        text = path.read_text(encoding="utf-8")
        cells = _code_cells(path, text)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return Submission(path, problem=f"cannot read the submission: {error}")

    candidates, bound = [], set()  # (label, lines, node) that could be kept
    for label, source in cells:
        source = strip_magics(source)
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            where = ", ".join(
                filter(None, (label, error.lineno and f"line {error.lineno}"))
            )
            where = f" in {where}" if where else ""
            return Submission(path, problem=f"SyntaxError{where}: {error.msg}")
        lines = source.split("\n")
        for node in tree.body:
            bound |= _bound_names(node)
            if _is_kept(node) and not _changes_more_than_names(node):
                candidates.append((label, lines, node))
            elif _is_kept(node):  # never run, but reviewed: np.allclose = ...
                candidates.append((label, None, node))
    runnable = [s for s in candidates if s[1] is not None]
    if answers:
        kept = _needed(runnable, answers)
    else:
        used = {
            name.id
            for _, _, node in runnable
            if not isinstance(node, (ast.Import, ast.ImportFrom))
            for name in ast.walk(node)
            if isinstance(name, ast.Name)
        }
        kept = [s for s in runnable if not _is_unused_import(s[-1], used)]

    code_lines, origins, defined = [], [], set()
    for label, lines, node in kept:
        defined |= _bound_names(node)
        first_line, text_lines = _statement_text(lines, node)
        code_lines.extend(text_lines)
        origins.extend((label, first_line + i) for i in range(len(text_lines)))
        code_lines.append("")
        origins.append(None)
    submission = Submission(
        path,
        "\n".join(code_lines),
        tuple(origins),
        frozenset(defined),
        frozenset(bound - defined),
    )
    try:
        ast.parse(submission.code)
    except SyntaxError as error:  # e.g. a `from __future__` import in a later cell
        where = submission.origin(error.lineno) or f"line {error.lineno}"
        return dataclasses.replace(
            submission, problem=f"SyntaxError in {where}: {error.msg}"
        )
    side_effects = [s for s in candidates if s[1] is None]
    reviewed = (
        kept
        + _needed(
            runnable,
            [
                n.id
                for _, _, node in side_effects
                for n in ast.walk(node)
                if isinstance(n, ast.Name)
            ],
        )
        + side_effects
    )
    flags = find_flags(rules, [(label, node) for label, _, node in reviewed])
    return dataclasses.replace(submission, flags=tuple(flags))
