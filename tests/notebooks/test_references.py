"""Static checks of the notebooks' prose (nothing is executed): every arXiv
paper a notebook cites is a link to its arXiv page, and every notebook with
exercises (the numbered lecture notebooks) has a collapsed answers cell right
after them, with an answer for each exercise and review question."""

import pathlib
import re

import nbformat
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"
IGNORED_FOLDERS = {"runs", ".ipynb_checkpoints"}
COMMITTED = sorted(
    path
    for path in NOTEBOOKS.rglob("*.ipynb")
    if not IGNORED_FOLDERS.intersection(path.relative_to(NOTEBOOKS).parts)
)

# A new-style arXiv identifier, YYMM.NNNN(N), optionally with a version.
ARXIV_ID = re.compile(r"(?<![\w.])\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}(?:v\d+)?(?![\w])")
# A Markdown link [text](url); the text may run over several lines.
LINK = re.compile(r"\[([^\]]*)\]\((\S+?)\)")
ARXIV_URL = re.compile(r"https://arxiv\.org/abs/(\d{4}\.\d{4,5}(?:v\d+)?)")


def _markdown(path):
    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def unlinked_arxiv_ids(markdown):
    """The arXiv identifiers in `markdown` that are not inside a link to
    their own arXiv page: outside every link, or in the text of a link
    that goes elsewhere."""
    problems = []
    for text, url in LINK.findall(markdown):
        target = ARXIV_URL.fullmatch(url)
        for found in ARXIV_ID.findall(text):
            if target is None or target.group(1) != found:
                problems.append(found)
    problems.extend(ARXIV_ID.findall(LINK.sub(" ", markdown)))
    return problems


def test_the_arxiv_check_finds_bare_and_mislinked_numbers():
    assert unlinked_arxiv_ids("see arXiv:1409.0473.") == ["1409.0473"]
    assert unlinked_arxiv_ids("[arXiv:1409.0473](https://arxiv.org/abs/1409.3215)") == [
        "1409.0473"
    ]
    assert unlinked_arxiv_ids("[arXiv:1409.0473](https://example.org/1409.0473)") == [
        "1409.0473"
    ]
    assert (
        unlinked_arxiv_ids("[arXiv:1409.0473](https://arxiv.org/abs/1409.0473)") == []
    )
    assert unlinked_arxiv_ids("[the paper](https://arxiv.org/abs/1409.0473)") == []
    # Numbers that are not arXiv identifiers are left alone.
    assert unlinked_arxiv_ids("0.0036 at load 0.138; 2554–2558; 1.1 MB") == []


@pytest.mark.parametrize("notebook", COMMITTED, ids=lambda path: path.name)
def test_every_arxiv_number_is_a_link_to_arxiv(notebook):
    problems = [
        found for source in _markdown(notebook) for found in unlinked_arxiv_ids(source)
    ]
    assert not problems, (
        f"{notebook.name}: arXiv numbers not inside a link to https://arxiv.org/abs/<number>: "
        f"{problems}"
    )


EXERCISES_HEADING = re.compile(r"^#+ Exercises\s*$", re.MULTILINE)
REVIEW_HEADING = re.compile(r"^#+ Review questions\s*$", re.MULTILINE)
ANY_HEADING = re.compile(r"^#+ ", re.MULTILINE)
NUMBERED_ITEM = re.compile(r"^\d+\. ", re.MULTILINE)
BULLET_ITEM = re.compile(r"^[-*] ", re.MULTILINE)
DETAILS_OPEN = "<details><summary>Show the answers</summary>"


def _section(source, heading):
    """The text after `heading` up to the next heading (or the end)."""
    found = heading.search(source)
    if found is None:
        return None
    rest = source[found.end() :]
    following = ANY_HEADING.search(rest)
    return rest if following is None else rest[: following.start()]


def answers_problems(sources):
    """What is wrong with the answers of a notebook given as the list of its
    markdown cells' sources, in order: the cell after the one with the
    exercises must start with **Answers**, hold them in a collapsed
    <details> block, and answer every numbered exercise and every review
    question (bullets under a review heading, or one **Review question.**)."""
    positions = [
        i for i, source in enumerate(sources) if EXERCISES_HEADING.search(source)
    ]
    if not positions:
        return []
    if len(positions) > 1:
        return [f"{len(positions)} exercise headings; expected one"]
    exercises_cell = sources[positions[0]]
    exercises = len(NUMBERED_ITEM.findall(_section(exercises_cell, EXERCISES_HEADING)))
    review = _section(exercises_cell, REVIEW_HEADING)
    if review is not None:
        questions = len(BULLET_ITEM.findall(review))
    else:
        questions = exercises_cell.count("**Review question.**")
    if positions[0] + 1 == len(sources):
        return ["no cell after the exercises"]
    answers = sources[positions[0] + 1]
    lines = answers.strip().splitlines()
    problems = []
    if lines[0].strip() != "**Answers**":
        problems.append(
            f"the cell after the exercises starts with {lines[0]!r}, not **Answers**"
        )
    if DETAILS_OPEN not in answers or not answers.rstrip().endswith("</details>"):
        problems.append(f"the answers are not wrapped in {DETAILS_OPEN} ... </details>")
    labels = [f"**Exercise {k}.**" for k in range(1, exercises + 1)]
    labels += [f"**Review question {k}.**" for k in range(1, questions + 1)]
    problems.extend(f"no answer {label}" for label in labels if label not in answers)
    return problems


def _answers(body):
    return f"**Answers**\n\n{DETAILS_OPEN}\n\n{body}\n\n</details>"


def test_the_answers_check_finds_missing_and_uncollapsed_answers():
    exercises = "## Exercises\n\n1. One.\n2. Two.\n\n## Review questions\n\n- Why?"
    complete = _answers(
        "**Exercise 1.** a\n\n**Exercise 2.** b\n\n**Review question 1.** c"
    )
    assert answers_problems(["# Title", exercises, complete]) == []
    assert answers_problems(["# Title, no exercises"]) == []
    assert answers_problems([exercises]) == ["no cell after the exercises"]
    assert answers_problems([exercises, complete.replace("**Exercise 2.**", "2.")]) == [
        "no answer **Exercise 2.**"
    ]
    assert answers_problems(
        [exercises, complete.replace("**Review question 1.**", "")]
    ) == ["no answer **Review question 1.**"]
    uncollapsed = complete.replace(DETAILS_OPEN, "").replace("</details>", "")
    assert answers_problems([exercises, uncollapsed]) == [
        f"the answers are not wrapped in {DETAILS_OPEN} ... </details>"
    ]
    assert answers_problems([exercises, "Some prose.", complete])[0].startswith(
        "the cell after the exercises starts with 'Some prose.'"
    )
    single = "## Exercises\n\n1. One.\n\n**Review question.** Name three tasks."
    assert answers_problems([single, _answers("**Exercise 1.** a")]) == [
        "no answer **Review question 1.**"
    ]


# The numbered lecture notebooks; the assignments' exercises are graded work,
# answered only in the instructors' solution notebooks.
LECTURE = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("notebook", LECTURE, ids=lambda path: path.name)
def test_every_notebook_with_exercises_has_collapsed_answers(notebook):
    problems = answers_problems(_markdown(notebook))
    assert not problems, f"{notebook.name}: {problems}"


def _text_outside_math(markdown):
    """The prose of `markdown` as the book's parser (myst's dollarmath) reads
    it: math removed, plain text kept."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    parser = MarkdownIt("commonmark").use(dollarmath_plugin, double_inline=True)
    return [
        child.content
        for token in parser.parse(markdown)
        if token.type == "inline"
        for child in token.children
        if child.type == "text"
    ]


def test_the_math_check_finds_a_display_broken_by_a_line_starting_with_plus():
    broken = "Text:\n$$\na = b\n  + c\n$$\nthat is $O(n)$ work."
    assert any("$" in text for text in _text_outside_math(broken))
    assert not any("$" in text for text in _text_outside_math("$x$ and\n$$\ny\n$$"))


@pytest.mark.parametrize("notebook", COMMITTED, ids=lambda path: path.name)
def test_every_dollar_sign_opens_math(notebook):
    # A `$` left in the prose is TeX the book prints raw (the browser test
    # sees it only after a full build).
    raw = [
        text
        for source in _markdown(notebook)
        for text in _text_outside_math(source)
        if "$" in text
    ]
    assert not raw, f"{notebook.name}: TeX outside math: {raw[:3]}"
