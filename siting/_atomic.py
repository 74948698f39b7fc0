"""Atomic file and folder writing: readers never see a half-written result.

A folder is built under a hidden temporary name next to its final place
(``.<name>.tmp-<pid>``) and only renamed into place when everything in it has been written.
The previous folder is first renamed aside (``.<name>.old-<pid>``), then the new one renamed
in, then the old one deleted. An exception or Ctrl-C (``KeyboardInterrupt``) at any point
before the swap removes the temporary folder and leaves the previous folder untouched; a
failure during the swap puts the previous folder back.

Renames are atomic on one file system, which is why the temporary names are siblings of the
target rather than living in the system temp directory.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)


def _sibling(path: Path, tag: str) -> Path:
    return path.parent / f".{path.name}.{tag}-{os.getpid()}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


@contextmanager
def atomic_dir(out_dir: str | Path) -> Iterator[Path]:
    """Build a folder under a temporary sibling name; swap it into place on success.

    Parameters
    ----------
    out_dir
        Final folder. Its parent is created if needed. An existing folder of that name is
        replaced as a whole (callers decide whether that is allowed).

    Yields
    ------
    pathlib.Path
        The empty temporary folder (``<parent>/.<name>.tmp-<pid>``) to write into.

    Notes
    -----
    Leaving the ``with`` block normally swaps the folder into place. Leaving it through any
    exception, ``KeyboardInterrupt`` included, deletes the temporary folder and re-raises;
    ``out_dir`` is then exactly as before.
    """
    out = Path(out_dir).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(out, "tmp")
    _remove(tmp)  # a leftover from a killed run with the same pid
    tmp.mkdir()
    try:
        yield tmp
        _swap_into_place(tmp, out)
    except BaseException:
        _remove(tmp)
        raise


def _swap_into_place(tmp: Path, out: Path) -> None:
    old = _sibling(out, "old")
    _remove(old)
    had_old = out.exists() or out.is_symlink()
    if had_old:
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        if had_old:
            os.replace(old, out)
        raise
    if had_old:
        _remove(old)
    logger.debug("wrote %s", out)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary sibling file and an atomic rename.

    Parameters
    ----------
    path
        Target file; its folder must exist. An existing file is replaced.
    data
        The bytes to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = Path(path)
    tmp = _sibling(target, "tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`).

    Parameters
    ----------
    path
        Target file; its folder must exist.
    text
        The text; written with ``encoding`` and no newline translation.
    encoding
        ``"utf-8"`` by default; ``"utf-8-sig"`` adds the BOM Excel needs.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return atomic_write_bytes(path, text.encode(encoding))
