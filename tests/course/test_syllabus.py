"""The syllabus table: every lecture section, in order, with its notebook."""

import pathlib
import re

import pytest

from course.syllabus import SYLLABUS
from course.syllabus import format_table

SEEDS = pathlib.Path(__file__).resolve().parents[3] / "shared" / "seeds"


def test_sections_are_numbered_in_lecture_order():
    assert [s.number for s in SYLLABUS] == list(range(len(SYLLABUS)))
    for section in SYLLABUS:
        assert re.fullmatch(rf"{section.number:02d}_[a-z_]+\.ipynb", section.notebook)
        assert section.uses


def test_russian_titles_are_cyrillic_except_the_setup():
    assert SYLLABUS[0].title_ru is None
    for section in SYLLABUS[1:]:
        assert re.search("[а-яА-Я]", section.title_ru), section


def test_russian_titles_come_from_the_lecture():
    if not SEEDS.is_dir():
        pytest.skip(f"the lecture material is not beside the repository ({SEEDS})")
    lecture = " ".join(p.read_text() for p in SEEDS.glob("*.txt")).lower()
    lecture = re.sub(r"\s+", " ", lecture)
    for section in SYLLABUS[1:13]:
        assert section.title_ru.lower() in lecture, section.title_ru


def test_table_lists_every_section():
    table = format_table()
    for section in SYLLABUS:
        assert section.notebook in table
        assert (section.title_ru or "—") in table
    assert table.splitlines()[0].split()[:2] == ["#", "Lecture"]
