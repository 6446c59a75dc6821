"""Data for the notebooks: every default works offline.

- `course.data.synthetic`: seeded sequence tasks (adding problem, copy
  memory, temporal XOR, Elman's letters, a driven oscillator, "hello").
- `course.data.text`: vocabularies, the Python standard-library source
  corpus, tiny Shakespeare (tensorflow-datasets), next-token windows.
- `course.data.images`: scikit-image's face crops, CelebA's `Male`
  attribute (tensorflow-datasets), image folders, a synthetic captioning set.
- `course.data.plates`: licence-plate strings rendered in DejaVu fonts.
- `course.data.video`: synthetic action clips whose classes begin alike,
  UCF101 (tensorflow-datasets).

The tensorflow-datasets loaders raise `DatasetUnavailableError` when the
data is neither prepared locally nor downloadable; the message names the
offline alternative.
"""

from course.data._tfds import DatasetUnavailableError
from course.data.images import celeba_gender
from course.data.images import image_folder
from course.data.images import lfw_faces
from course.data.images import shape_captions
from course.data.plates import plate_strings
from course.data.plates import render_plates
from course.data.synthetic import ADDING_PROBLEM_BASELINE_MSE
from course.data.synthetic import adding_problem
from course.data.synthetic import copy_memory
from course.data.synthetic import copy_memory_baseline
from course.data.synthetic import driven_oscillator
from course.data.synthetic import elman_letters
from course.data.synthetic import hello_example
from course.data.synthetic import simulate_oscillator
from course.data.synthetic import temporal_xor
from course.data.text import CharVocabulary
from course.data.text import WordVocabulary
from course.data.text import python_source_corpus
from course.data.text import sequence_windows
from course.data.text import tiny_shakespeare
from course.data.video import ACTIONS
from course.data.video import action_clips
from course.data.video import ucf101

__all__ = [
    "ACTIONS",
    "ADDING_PROBLEM_BASELINE_MSE",
    "CharVocabulary",
    "DatasetUnavailableError",
    "WordVocabulary",
    "action_clips",
    "adding_problem",
    "celeba_gender",
    "copy_memory",
    "copy_memory_baseline",
    "driven_oscillator",
    "elman_letters",
    "hello_example",
    "image_folder",
    "lfw_faces",
    "plate_strings",
    "python_source_corpus",
    "render_plates",
    "sequence_windows",
    "shape_captions",
    "simulate_oscillator",
    "temporal_xor",
    "tiny_shakespeare",
    "ucf101",
]
