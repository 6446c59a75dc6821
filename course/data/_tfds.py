"""Loading a tensorflow-datasets builder, with one clear error when offline."""

import pathlib


class DatasetUnavailableError(RuntimeError):
    """A real dataset is neither prepared locally nor downloadable.

    Raised by the loaders backed by tensorflow-datasets (`tiny_shakespeare`,
    `celeba_gender`) when the dataset has not been prepared in `data_dir` and
    downloading it failed or was not allowed. The message names the dataset,
    the download that is missing and the offline alternative in `course.data`.
    """


def load_tfds_split(
    name,
    split,
    *,
    data_dir,
    download,
    download_description,
    offline_alternative,
    manual_dir=None,
):
    """Prepares (downloading if allowed) a tfds dataset and returns one split.

    Args:
        name: The tfds builder name, e.g. `"tiny_shakespeare"`.
        split: The split to return, e.g. `"train"`.
        data_dir: Where tfds keeps prepared datasets (`None`: tfds's default,
            `~/tensorflow_datasets`).
        download: Whether a missing dataset may be downloaded.
        download_description: What has to be downloaded, for the error
            message (e.g. "the 1.1 MB text file from the char-rnn repository").
        offline_alternative: The offline stand-in, for the error message.
        manual_dir: A directory holding manually downloaded source files;
            tfds uses a file found there instead of downloading it.

    Returns:
        The split as an unbatched `tf.data.Dataset` of feature dictionaries.

    Raises:
        DatasetUnavailableError: The dataset is not prepared and could not
            be (network error, failed or refused download, `download=False`).
    """
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.download import download_manager

    builder = tfds.builder(name, data_dir=data_dir)
    if not builder.is_prepared():
        where = builder.data_dir
        advice = (
            f"Either download it once with network access (it is then kept in "
            f"{where}), or use the offline alternative: {offline_alternative}."
        )
        if not download:
            raise DatasetUnavailableError(
                f"Dataset '{name}' is not prepared in {where} and download=False, "
                f"so {download_description} was not fetched. {advice}"
            )
        manual = pathlib.Path(manual_dir).expanduser() if manual_dir else None
        config = tfds.download.DownloadConfig(manual_dir=manual)
        try:
            builder.download_and_prepare(download_config=config)
        except (
            OSError,  # network errors (requests' ConnectionError is an OSError)
            tfds.download.DownloadError,  # an HTTP error status
            download_manager.NonMatchingChecksumError,  # e.g. a quota page
        ) as error:
            raise DatasetUnavailableError(
                f"Dataset '{name}' could not be prepared: downloading "
                f"{download_description} failed ({type(error).__name__}: "
                f"{error}). {advice}"
            ) from error
    return builder.as_dataset(split=split)
