"""Static checks of the notebooks' prose (nothing is executed): every arXiv
paper a notebook cites is a link to its arXiv page."""

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
