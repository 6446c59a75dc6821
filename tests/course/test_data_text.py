"""Text data: vocabularies, the Python-source corpus, next-token windows and
tiny Shakespeare (mocked: no test touches the network)."""

import sysconfig

import numpy as np
import pytest
import requests
import tensorflow_datasets as tfds

from course import data


def test_char_vocabulary_round_trip():
    vocab = data.CharVocabulary.from_text("hello world")
    assert vocab.chars == " dehlorw" and len(vocab) == 8
    ids = vocab.encode("hello world")
    assert ids.dtype == np.int32 and ids.shape == (11,)
    assert vocab.decode(ids) == "hello world"
    assert vocab.one_hot(ids).shape == (11, 8)
    np.testing.assert_array_equal(vocab.one_hot(ids).argmax(axis=-1), ids)
    assert "h" in vocab and "z" not in vocab
    with pytest.raises(ValueError, match=r"unknown token\(s\): \['z'\]"):
        vocab.encode("zhe")
    with pytest.raises(ValueError, match=r"Ids must lie in \[0, 8\)"):
        vocab.decode([9])
    with pytest.raises(ValueError, match="unique"):
        data.CharVocabulary("abca")
    with pytest.raises(ValueError, match="one-character strings"):
        data.CharVocabulary(["ab"])


def test_word_vocabulary_marks_and_padding():
    vocab = data.WordVocabulary(["a", "red", "circle"])
    assert vocab.tokens[:3] == ("<pad>", "<start>", "<end>")
    ids = vocab.encode_sentence("a red circle", length=7)
    np.testing.assert_array_equal(ids, [1, 3, 4, 5, 2, 0, 0])
    assert vocab.decode_sentence(ids) == "a red circle"
    with pytest.raises(ValueError, match="needs 5 ids"):
        vocab.encode_sentence("a red circle", length=4)
    with pytest.raises(ValueError, match="without the special tokens"):
        data.WordVocabulary(["<end>"])


def test_python_source_corpus_is_capped_and_deterministic():
    text = data.python_source_corpus(max_chars=200_000)
    assert len(text) == 200_000
    assert text == data.python_source_corpus(max_chars=200_000)
    assert data.python_source_corpus(max_chars=1000) == text[:1000]
    assert "def " in text and "import " in text
    compile(text.split("\n\n\n\n")[0], "<first file>", "exec")  # real Python source
    vocab = data.CharVocabulary.from_text(text)
    assert vocab.decode(vocab.encode(text[:5000])) == text[:5000]


def test_python_source_corpus_reads_sorted_files_and_skips_installed_packages(tmp_path):
    (tmp_path / "b.py").write_text("B = 2\n")
    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "notes.txt").write_text("not python")
    (tmp_path / "site-packages").mkdir()
    (tmp_path / "site-packages" / "pkg.py").write_text("INSTALLED = True\n")
    (tmp_path / "latin1.py").write_bytes("X = 'caf\xe9'\n".encode("latin-1"))
    assert data.python_source_corpus(stdlib_dir=tmp_path) == "A = 1\n\n\nB = 2\n\n\n"
    assert sysconfig.get_paths()["stdlib"]  # the default source exists
    with pytest.raises(ValueError, match="positive integer"):
        data.python_source_corpus(max_chars=0)
    with pytest.raises(ValueError, match="is not a directory"):
        data.python_source_corpus(stdlib_dir=tmp_path / "missing")


def test_sequence_windows():
    ids = np.arange(23)
    x, y = data.sequence_windows(ids, length=5)
    assert x.shape == y.shape == (4, 5) and x.dtype == np.int32
    np.testing.assert_array_equal(x[1], [5, 6, 7, 8, 9])
    np.testing.assert_array_equal(y, x + 1)
    x, _ = data.sequence_windows(ids, length=5, stride=2)
    assert x.shape == (9, 5) and x[-1, -1] == 20
    x, y = data.sequence_windows(ids, length=5, stride=1)
    assert x.shape == (18, 5) and y[-1, -1] == 22  # every start that has a target
    with pytest.raises(ValueError, match="at least length \\+ 1"):
        data.sequence_windows(np.arange(5), length=5)


def test_tiny_shakespeare_through_tfds_mock(tmp_path):
    with tfds.testing.mock_data(num_examples=2):
        text = data.tiny_shakespeare("validation", data_dir=tmp_path)
    assert isinstance(text, str) and len(text) > 0
    with pytest.raises(ValueError, match="split must be one of"):
        data.tiny_shakespeare("dev")


def test_tiny_shakespeare_offline_fails_with_one_clear_error(tmp_path, offline):
    with pytest.raises(data.DatasetUnavailableError) as caught:
        data.tiny_shakespeare(data_dir=tmp_path)
    message = str(caught.value)
    assert "tiny_shakespeare" in message
    assert "1.1 MB text file" in message and "ConnectionError" in message
    assert "course.data.python_source_corpus()" in message
    assert isinstance(caught.value.__cause__, requests.exceptions.ConnectionError)


def test_tiny_shakespeare_without_download_names_the_missing_data(tmp_path, offline):
    with pytest.raises(data.DatasetUnavailableError, match="download=False"):
        data.tiny_shakespeare(data_dir=tmp_path, download=False)
