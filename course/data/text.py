"""Text data: vocabularies, the Python-source corpus and tiny Shakespeare.

Karpathy's char-rnn (2015), quoted in the lecture, trains character-level
language models on Shakespeare, LaTeX and the Linux kernel's C source. Here
the offline default is a corpus made from the running Python installation's
own standard library (`python_source_corpus`), our stand-in for "Linux C
source"; `tiny_shakespeare` loads Karpathy's Shakespeare text through
tensorflow-datasets when a download is possible.
"""

import collections
import pathlib
import sysconfig

import numpy as np

from course.data._tfds import load_tfds_split

TINY_SHAKESPEARE_SPLITS = ("train", "validation", "test")


class _Vocabulary:
    """Token <-> integer id mapping shared by the character and word forms.

    Subclasses say how a text is split into tokens and joined back.
    """

    def __init__(self, tokens):
        tokens = tuple(tokens)
        if not tokens:
            raise ValueError("A vocabulary needs at least one token; got none.")
        duplicates = sorted(t for t, n in collections.Counter(tokens).items() if n > 1)
        if duplicates:
            raise ValueError(
                f"Vocabulary tokens must be unique; repeated: {duplicates}."
            )
        self._tokens = tokens
        self._ids = {token: i for i, token in enumerate(tokens)}

    @property
    def tokens(self):
        """The tokens, in id order (a tuple)."""
        return self._tokens

    def __len__(self):
        return len(self._tokens)

    def __contains__(self, token):
        return token in self._ids

    def __repr__(self):
        shown = ", ".join(repr(t) for t in self._tokens[:12])
        more = ", ..." if len(self) > 12 else ""
        return f"{type(self).__name__}({len(self)} tokens: {shown}{more})"

    def index(self, token):
        """Returns the id of one token (ValueError if it is unknown)."""
        if token not in self._ids:
            raise ValueError(f"{token!r} is not in this vocabulary.")
        return self._ids[token]

    def encode(self, text):
        """Encodes a text as token ids.

        Args:
            text: A string.

        Returns:
            An int32 array of shape `(n_tokens,)`.

        Raises:
            ValueError: The text contains tokens outside the vocabulary.
        """
        pieces = self._split(text)
        unknown = sorted({p for p in pieces if p not in self._ids})
        if unknown:
            raise ValueError(
                f"Cannot encode {len(unknown)} unknown token(s): "
                f"{unknown[:10]}{' ...' if len(unknown) > 10 else ''}. "
                f"Build the vocabulary from text that contains them."
            )
        return np.array([self._ids[p] for p in pieces], dtype="int32")

    def decode(self, ids):
        """Decodes token ids back to text.

        Args:
            ids: A sequence (or 1-D array) of integer ids.

        Returns:
            The text (a string).
        """
        ids = np.asarray(ids).reshape(-1)
        bad = ids[(ids < 0) | (ids >= len(self))]
        if bad.size:
            raise ValueError(
                f"Ids must lie in [0, {len(self)}); got {sorted(set(bad.tolist()))[:10]}."
            )
        return self._join([self._tokens[i] for i in ids.tolist()])

    def one_hot(self, ids):
        """One-hot encodes ids: float32 array of shape `ids.shape + (len(self),)`."""
        return np.eye(len(self), dtype="float32")[np.asarray(ids)]


class CharVocabulary(_Vocabulary):
    """A character vocabulary: one id per distinct character.

    Args:
        chars: The characters in id order (a string or any iterable of
            one-character strings), each once.

    Example:

    >>> vocab = CharVocabulary("helo")
    >>> vocab.encode("hello")
    array([0, 1, 2, 2, 3], dtype=int32)
    >>> vocab.decode([3, 2, 1])
    'ole'
    >>> len(CharVocabulary.from_text("abracadabra"))
    5
    """

    def __init__(self, chars):
        chars = tuple(chars)
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(
                f"CharVocabulary expects one-character strings; got {bad[:5]}."
            )
        super().__init__(chars)

    @classmethod
    def from_text(cls, text):
        """The vocabulary of the distinct characters of `text`, sorted."""
        return cls(sorted(set(text)))

    @property
    def chars(self):
        """The characters as one string, in id order."""
        return "".join(self._tokens)

    def _split(self, text):
        return list(text)

    def _join(self, tokens):
        return "".join(tokens)


class WordVocabulary(_Vocabulary):
    """A whitespace-separated word vocabulary with padding and sentence marks.

    Id 0 is `<pad>`, 1 is `<start>`, 2 is `<end>`; the words follow in the
    order given. `encode` returns the bare word ids; `encode_sentence` adds
    the marks and pads to a fixed length, as a caption decoder needs.

    Args:
        words: The words (without the special tokens), each once.

    Example:

    >>> vocab = WordVocabulary(["a", "red", "circle"])
    >>> vocab.encode_sentence("a red circle", length=6)
    array([1, 3, 4, 5, 2, 0], dtype=int32)
    >>> vocab.decode_sentence([1, 3, 4, 5, 2, 0])
    'a red circle'
    """

    PAD, START, END = "<pad>", "<start>", "<end>"
    pad_id, start_id, end_id = 0, 1, 2

    def __init__(self, words):
        words = tuple(words)
        specials = {self.PAD, self.START, self.END}
        if specials & set(words):
            raise ValueError(
                f"Pass the words without the special tokens {sorted(specials)}; "
                f"they are added as ids 0, 1, 2."
            )
        super().__init__((self.PAD, self.START, self.END) + words)

    def _split(self, text):
        return text.split()

    def _join(self, tokens):
        return " ".join(tokens)

    def encode_sentence(self, text, length):
        """`<start> words <end>` padded with `<pad>` to `length` ids (int32)."""
        ids = np.concatenate([[self.start_id], self.encode(text), [self.end_id]])
        if len(ids) > length:
            raise ValueError(
                f"{text!r} needs {len(ids)} ids with its marks; length={length}."
            )
        return np.pad(ids, (0, length - len(ids))).astype("int32")

    def decode_sentence(self, ids):
        """Decodes ids up to the first `<end>`, dropping marks and padding."""
        words = []
        for i in np.asarray(ids).reshape(-1).tolist():
            if i == self.end_id:
                break
            if i not in (self.pad_id, self.start_id):
                words.append(i)
        return self.decode(words)


def python_source_corpus(max_chars=1_000_000, stdlib_dir=None):
    """A text corpus of Python source code from the standard library.

    The offline stand-in for the lecture's "Linux C source" generator
    (Karpathy, "The Unreasonable Effectiveness of Recurrent Neural Networks",
    2015): the `.py` files of the running Python's standard library
    (`sysconfig.get_paths()["stdlib"]`, without `site-packages`), read depth
    first in name order and concatenated, each followed by two newlines, until
    `max_chars` characters. Files that are not valid UTF-8 are skipped. The
    result depends only on the Python version (the same on every machine with
    that version).

    Args:
        max_chars: Size cap in characters; the text is cut at exactly this
            length (or is shorter if the library is smaller).
        stdlib_dir: Directory to read instead of the standard library.

    Returns:
        The corpus as one string.

    Example:

    >>> text = python_source_corpus(max_chars=10_000)
    >>> vocab = CharVocabulary.from_text(text)
    >>> ids = vocab.encode(text)   # int32, shape (10000,)
    """
    if int(max_chars) != max_chars or max_chars < 1:
        raise ValueError(f"max_chars must be a positive integer; got {max_chars!r}.")
    root = pathlib.Path(stdlib_dir or sysconfig.get_paths()["stdlib"])
    if not root.is_dir():
        raise ValueError(f"stdlib_dir {str(root)!r} is not a directory.")
    pieces, total = [], 0
    for path in _python_files(root):
        try:
            text = path.read_text(encoding="utf-8") + "\n\n"
        except (UnicodeDecodeError, OSError):
            continue
        pieces.append(text)
        total += len(text)
        if total >= max_chars:
            break
    return "".join(pieces)[:max_chars]


def _python_files(directory):
    """`.py` files under `directory`, depth first, entries sorted by name,
    skipping installed packages and bytecode caches."""
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.is_dir():
            if entry.name not in ("site-packages", "dist-packages", "__pycache__"):
                yield from _python_files(entry)
        elif entry.suffix == ".py":
            yield entry


def tiny_shakespeare(split="train", data_dir=None, download=True):
    """Karpathy's tiny Shakespeare text through tensorflow-datasets.

    About 1.1 M characters of Shakespeare's plays (char-rnn's `input.txt`),
    split by tfds into train (~1.0 M characters), validation and test
    (~56 k each). Needs a one-time download (1.1 MB) unless already prepared
    in `data_dir`.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: tfds data directory (`None`: `~/tensorflow_datasets`).
        download: Whether to download when the data is not prepared.

    Returns:
        The split's text as one string.

    Raises:
        DatasetUnavailableError: Not prepared and not downloadable (e.g.
            offline); `python_source_corpus()` is the offline alternative.
    """
    if split not in TINY_SHAKESPEARE_SPLITS:
        raise ValueError(
            f"split must be one of {TINY_SHAKESPEARE_SPLITS}; got {split!r}."
        )
    dataset = load_tfds_split(
        "tiny_shakespeare",
        split,
        data_dir=data_dir,
        download=download,
        download_description="the 1.1 MB text file of char-rnn's tiny Shakespeare",
        offline_alternative="course.data.python_source_corpus()",
    )
    return "".join(example["text"].numpy().decode("utf-8") for example in dataset)


def sequence_windows(ids, length, stride=None):
    """Cuts a token stream into next-token training pairs.

    Window `i` starts at `i * stride`; its input is `length` tokens and its
    target the same tokens shifted by one (the next token at every step),
    the training set of a character-level language model.

    Args:
        ids: 1-D integer array, e.g. `vocab.encode(text)`.
        length: Steps per window.
        stride: Distance between window starts (default: `length`, i.e.
            non-overlapping windows).

    Returns:
        `(x, y)`, both int32 of shape `(n_windows, length)`, with
        `y[:, t] == x[:, t + 1]` for `t < length - 1`.
    """
    ids = np.asarray(ids)
    stride = length if stride is None else stride
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D; got shape {ids.shape}.")
    if length < 1 or stride < 1:
        raise ValueError(
            f"length and stride must be positive; got length={length}, stride={stride}."
        )
    if len(ids) < length + 1:
        raise ValueError(
            f"Need at least length + 1 = {length + 1} ids for one window; got {len(ids)}."
        )
    starts = np.arange(0, len(ids) - length, stride)
    offsets = np.arange(length)
    x = ids[starts[:, None] + offsets]
    y = ids[starts[:, None] + offsets + 1]
    return x.astype("int32"), y.astype("int32")
