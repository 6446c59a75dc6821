"""Removing what a grading child left behind, whatever modes it gave it."""

import contextlib
import os
import shutil


def remove_tree(path):
    """Removes the folder `path` and everything in it, making each folder
    writable again where a child took that away."""

    def make_writable_and_retry(function, failed_path, _):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed_path), 0o700)
            os.chmod(failed_path, 0o700)
        with contextlib.suppress(OSError):
            function(failed_path)

    shutil.rmtree(path, onerror=make_writable_and_retry)


def empty_folder(path, keep=()):
    """Removes everything in the folder `path` but the folders named in
    `keep`, which are emptied; True where nothing else is left."""
    for entry in os.scandir(path):
        if entry.name in keep and entry.is_dir(follow_symlinks=False):
            empty_folder(entry.path)
        elif entry.is_dir(follow_symlinks=False):
            remove_tree(entry.path)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
    for name in keep:
        with contextlib.suppress(OSError):
            os.chmod(os.path.join(path, name), 0o700)
    left = sorted(os.listdir(path))
    return left == sorted(keep) and not any(
        os.listdir(os.path.join(path, name)) for name in keep
    )
