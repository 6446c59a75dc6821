"""The syllabus: the lecture's sections, the notebooks that teach them and
the layers / helpers each uses.

The Russian titles are the headings of the original lecture material: the
main deck "Рекуррентные нейронные сети" (Intel neon course, UNN) for most
sections, the second slide deck for 5 and 9 to 11. Section 13 follows a
supplementary reading without section headings, so its title joins the
names of the three topics there; section 15's is a phrase of the lecture's
conclusion, which names the papers it builds on; section 16's is the first
of the computer-vision tasks the lecture gives as a reason for the LSTM;
section 0 is this course's own and has none.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Section:
    """One lecture section.

    Attributes:
        number: Position in the lecture (0 = set-up).
        title: English title.
        title_ru: The section's title in the Russian lecture (`None` if the
            lecture has no such section).
        notebook: The notebook's file name in `notebooks/`.
        uses: The layers and helpers the notebook is built on.
    """

    number: int
    title: str
    title_ru: str | None
    notebook: str
    uses: tuple


SYLLABUS = (
    Section(
        0,
        "Course set-up: environment, GPU, mixed precision",
        None,
        "00_setup.ipynb",
        ("course.device",),
    ),
    Section(
        1,
        "What RNNs solve: sequence tasks and input/output modes",
        "Понятие рекуррентных сетей",
        "01_sequence_tasks.ipynb",
        ("Keras built-ins",),
    ),
    Section(
        2,
        "Unrolling a computational graph",
        "Обобщение понятия графа вычислений. Развертывание графа вычислений",
        "02_unrolling.ipynb",
        ("keras.layers.RNN", "a hand-written loop"),
    ),
    Section(
        3,
        "Elman and Jordan networks",
        "Сети Элмана и Джордана",
        "03_elman_jordan.ipynb",
        ("ElmanCell", "JordanCell"),
    ),
    Section(
        4,
        "Training: BPTT and truncated BPTT",
        "Обучение рекуррентных сетей",
        "04_bptt.ipynb",
        ("NumPy BPTT", "course.training"),
    ),
    Section(
        5,
        "Vanishing gradients and long-range dependencies",
        "Проблема исчезающего градиента",
        "05_vanishing_gradients.ipynb",
        ("adding problem", "course.plots"),
    ),
    Section(
        6,
        "Deep RNNs: DT-RNN, DO-RNN, stacked",
        "Глубокие рекуррентные нейронные сети",
        "06_deep_rnns.ipynb",
        ("DeepTransitionCell", "DeepOutputCell"),
    ),
    Section(
        7,
        "LSTM: the memory cell and its gates",
        "Нейронные сети долгой кратковременной памяти",
        "07_lstm.ipynb",
        ("LSTMCell", "state tracing"),
    ),
    Section(
        8,
        "GRU: update and reset gates",
        "Управляемые рекуррентные нейроны",
        "08_gru.ipynb",
        ("GRUCell",),
    ),
    Section(
        9,
        "Comparing LSTM variants (Greff et al.)",
        "Сравнение рекуррентных нейронов",
        "09_lstm_variants.ipynb",
        ("LSTMVariantCell",),
    ),
    Section(
        10,
        "Character-level language models",
        "Примеры генераторов текста",
        "10_char_language_models.ipynb",
        ("Python source corpus", "tiny_shakespeare"),
    ),
    Section(
        11,
        "Image captioning",
        "Составление описания изображения",
        "11_image_captioning.ipynb",
        ("CNN encoder", "LSTM decoder"),
    ),
    Section(
        12,
        "Gender from a photo: a conv encoder and SpatialRNN (ReSeg)",
        "Пример применения рекуррентных сетей для решения задачи "
        "классификации пола человека по фотографии",
        "12_spatial_rnn.ipynb",
        ("SpatialRNN", "course.models"),
    ),
    Section(
        13,
        "Beyond: Hopfield memory, attention, memory-augmented networks",
        "Сеть Хопфилда, нейронная машина Тьюринга, концепция внимания",
        "13_memory_and_attention.ipynb",
        ("Hopfield network", "attention"),
    ),
    Section(
        14,
        "Global context and ReSeg segmentation: what SpatialRNN sees",
        "Задача семантической сегментации",
        "14_global_context.ipynb",
        ("SpatialRNN", "course.data.scenes"),
    ),
    Section(
        15,
        "Sequence recognition: CTC and bidirectional RNNs (CRNN)",
        "Применение рекуррентных сетей при решении задач анализа и обработки "
        "изображений",
        "15_sequence_recognition.ipynb",
        ("course.crnn", "course.ctc", "keras.layers.Bidirectional"),
    ),
    Section(
        16,
        "Action recognition in video: the whole sequence decides (ConvLSTM)",
        "Задача распознавания движений человека",
        "16_action_recognition.ipynb",
        ("course.data.video", "LSTM", "ConvLSTM2D"),
    ),
)


def format_table(sections=SYLLABUS):
    """The syllabus as a plain-text table (Russian title under the English).

    Args:
        sections: The sections to show (default: all).

    Returns:
        The table as one string.
    """
    header = (
        "#",
        "Lecture section (English / Russian)",
        "Notebook",
        "Layers / helpers",
    )
    rows = [(str(s.number), s.title, s.notebook, ", ".join(s.uses)) for s in sections]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    lines = [line(header), line(["-" * w for w in widths])]
    for section, row in zip(sections, rows):
        lines.append(line(row))
        lines.append(line(["", section.title_ru or "—", "", ""]))
    return "\n".join(lines)
