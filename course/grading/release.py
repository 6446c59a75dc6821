"""Student notebooks from the instructor's solution notebooks.

A solution notebook (notebooks/assignments/solutions/) marks what students
must write with nbgrader's markers:

    def elman_loss(y, targets):
        ### BEGIN SOLUTION
        return 0.5 * np.sum((y - targets) ** 2)
        ### END SOLUTION

`release_notebook` replaces every marked region by a stub at the
region's indentation,

        # YOUR CODE HERE
        raise NotImplementedError

drops cells tagged `solution` (say, a worked answer to an exercise),
clears outputs and execution counts, and records the assignment's name in
the notebook's metadata (`metadata.course.assignment`, which `course
check` reads). It is deterministic, so the committed student notebooks
can be checked against their solutions (`course assignments release
--check`).
"""

import pathlib

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
SOLUTION_TAG = "solution"
SOLUTIONS_DIR = pathlib.Path("notebooks/assignments/solutions")
STUDENT_DIR = pathlib.Path("notebooks/assignments")


def release_source(source, where="the cell"):
    """A cell's source with every solution region replaced by the stub.

    Raises:
        ValueError: Unbalanced or nested markers (`where` names the cell).
    """
    released, region_start = [], None
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if region_start is not None:
                raise ValueError(
                    f"{where}, line {number}: {BEGIN} inside another region"
                )
            region_start = number
            indent = line[: len(line) - len(line.lstrip())]
            released.extend(indent + stub for stub in STUB)
        elif stripped.startswith(END):
            if region_start is None:
                raise ValueError(f"{where}, line {number}: {END} without {BEGIN}")
            region_start = None
        elif region_start is None:
            released.append(line)
    if region_start is not None:
        raise ValueError(f"{where}, line {region_start}: {BEGIN} is never closed")
    return "\n".join(released)


def release_notebook(solution):
    """The student version of a solution notebook (an nbformat node).

    Raises:
        ValueError: The notebook has no `metadata.course.assignment`, no
            solution region, or unbalanced markers.
    """
    assignment = solution.metadata.get("course", {}).get("assignment")
    if not assignment:
        raise ValueError(
            "a solution notebook needs metadata.course.assignment (the assignment's name)"
        )
    import nbformat

    student = nbformat.from_dict(solution)
    cells, regions = [], 0
    for index, cell in enumerate(student.cells, start=1):
        if SOLUTION_TAG in cell.metadata.get("tags", ()):
            continue
        if cell.cell_type == "code":
            regions += cell.source.count(BEGIN)
            cell.source = release_source(cell.source, f"cell {index}")
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    if not regions:
        raise ValueError(f"the solution of {assignment} marks no {BEGIN} region")
    student.cells = cells
    student.metadata["course"] = {"assignment": assignment}
    return student


def released_text(solution_path):
    """The student notebook of a solution file, as the text to write."""
    import nbformat

    solution = nbformat.read(solution_path, as_version=4)
    return nbformat.writes(release_notebook(solution))


def release(solutions=SOLUTIONS_DIR, out=STUDENT_DIR, check=False):
    """Releases every solution notebook in `solutions` into `out`.

    Args:
        solutions: Folder of solution notebooks (`*.ipynb`).
        out: Folder of the student notebooks (same file names).
        check: Write nothing; only report which are out of date.

    Returns:
        The student notebook paths that were (or, with `check`, would be)
        written because they differed from the solution's release.

    Raises:
        FileNotFoundError: No solution notebook in `solutions`.
        ValueError: A solution notebook that cannot be released.
    """
    solutions, out = pathlib.Path(solutions), pathlib.Path(out)
    sources = sorted(solutions.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no solution notebook (*.ipynb) in {solutions}")
    changed = []
    for source in sources:
        target = out / source.name
        text = released_text(source)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        changed.append(target)
        if not check:
            out.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return changed
