"""Which SSDA903 extract a run uses, and its fingerprint: no pandas, so the report's parent
process (which only settles the folder and hashes its files) stays light.

Which extract is used (:func:`requested_folder`): the folder given (``--private-dir``), else
``SOLIHULL_PRIVATE_DIR``, else ``data/private/`` when it holds any file. Relative paths are
resolved against the working directory of the process that calls it (the user's), never the
notebook kernel's. A synthetic extract is used only when none of the three asks for one.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class SSDA903Error(ValueError):
    """The extract cannot be used at all; the message says what is wrong and what to do."""


def _is_data_file(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and not name.startswith((".", "~$"))
        and not name.lower().startswith("readme")
    )


def _is_visible_folder(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(".")


def requested_folder(folder: str | Path | None = None) -> Path | None:
    """The folder of the extract the user asked for, or None when none was asked for.

    Parameters
    ----------
    folder : str or Path, optional
        The folder given explicitly (``--private-dir``); empty or None when not given.

    Returns
    -------
    Path or None
        ``folder``, else ``SOLIHULL_PRIVATE_DIR``, else ``<data>/private`` when it holds a file
        or folder (README files and hidden files aside), as an absolute path resolved against
        the current working directory. Whether it exists is not checked here:
        :func:`load_extract` says so. None means "no extract asked for": only then may a
        synthetic extract stand in.
    """
    from solihull_analytics import paths

    for given in (folder, os.environ.get("SOLIHULL_PRIVATE_DIR")):
        if given is not None and str(given).strip():
            return Path(str(given).strip()).expanduser().resolve()
    default = paths.data_dir() / "private"
    if default.is_dir() and any(
        _is_data_file(p) or _is_visible_folder(p) for p in default.iterdir()
    ):
        return default
    return None


def fingerprint(folder: Path | None) -> str:
    """A hash of the extract in ``folder``: its path and every file's name and content.

    Used in the render cache key, so a changed extract re-renders page 04.
    """
    if folder is None:
        return "synthetic"
    h = hashlib.sha256(str(folder).encode())
    if not folder.is_dir():
        return h.hexdigest() + "-missing"
    for p in sorted(folder.iterdir()):
        if p.is_file():
            h.update(p.name.encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()
