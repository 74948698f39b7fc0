"""Output folders: written atomically, never replacing anything siting did not write.

A folder is built under a hidden temporary name next to its final place
(``.<name>.tmp-<pid>``) and swapped into place only when everything in it has been written:

* on Linux the new and the old folder are exchanged in one ``renameat2(RENAME_EXCHANGE)``
  call, so at every instant the output path holds either the complete old run or the complete
  new one; the old one (now under the temporary name) is deleted afterwards;
* elsewhere (or on a file system without it) the old folder is renamed aside
  (``.<name>.old-<pid>``) and the new one renamed in, with Ctrl-C held off in between; if the
  process dies between the two renames, the next run puts the old folder back.

Every output folder carries a marker file (:data:`MARKER`) naming its kind (``run``,
``compare``, ``sweep``). A command replaces an existing folder only when it is empty or an
output of the same kind (folders written before markers existed are recognised by their
files); anything else is refused before any work starts (:func:`check_output_dir`).

Writers of one output path are serialised by a lock file (``.<name>.lock`` beside it, an
``flock``): a second process exits with an error naming the first one's PID. Leftovers of
killed processes (temporary and set-aside folders) are cleaned by the next writer, under the
lock.

Renames are atomic on one file system, which is why the temporary names are siblings of the
target rather than living in the system temp directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from siting._errors import OutputError, ScenarioError

logger = logging.getLogger(__name__)

#: Marker file written into every output folder: ``{"kind": ..., "writer": "siting"}``.
MARKER = ".siting-output"
#: Output kinds, and the files that identify a folder of that kind written before markers.
KINDS: dict[str, tuple[str, ...]] = {
    "run": ("report.json", "stations.geojson"),
    "compare": ("compare.html",),
    "sweep": ("curve.csv",),
    "robust": ("robustness.csv", "samples.csv"),
}
_LABELS = {"run": "run", "compare": "comparison", "sweep": "sweep",
           "robust": "robustness study"}
#: ``errno`` values that mean "the disk or the folder cannot take this", not a bug.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                  errno.EFBIG, errno.ENAMETOOLONG}


# --------------------------------------------------------------------------- fault injection
def _checkpoint(step: str) -> None:
    """Named steps of the swap; a no-op. Tests replace it to interrupt at an exact step."""


# --------------------------------------------------------------------------- checks
def output_kind(path: Path) -> str | None:
    """The kind of siting output ``path`` holds (``None``: not a siting output folder)."""
    marker = path / MARKER
    if marker.is_file():
        try:
            kind = json.loads(marker.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            return None
        return kind if kind in KINDS else None
    for kind, files in KINDS.items():
        if all((path / f).is_file() for f in files):
            return kind
    return None


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def check_output_dir(out: str | os.PathLike[str], kind: str, *,
                     inputs: Iterable[str | os.PathLike[str]] = (),
                     option: str = "--out") -> Path:
    """Refuse an output folder whose replacement would destroy something siting did not write.

    Called before any work. ``out`` may not exist yet, be an empty folder, or hold an output
    of the same ``kind``; it may not be a file, equal or contain any of ``inputs`` (input run
    folders, the scenario's folder), or be any other non-empty folder.

    Parameters
    ----------
    out
        The output folder.
    kind
        ``"run"``, ``"compare"`` or ``"sweep"``.
    inputs
        Paths the command reads; the output may not be one of them or hold one of them.
    option
        The option that named ``out``, for the message.

    Returns
    -------
    pathlib.Path
        ``out`` as an absolute path.

    Raises
    ------
    ScenarioError
        With the fix in the one-line message (exit 2).
    """
    raw = os.fspath(out)
    if "\x00" in raw:
        msg = f"{option} {raw!r}: the path contains a NUL character; give a plain folder path"
        raise ScenarioError(msg)
    if not raw.strip():
        msg = f"{option}: the path is empty; give a folder path"
        raise ScenarioError(msg)
    path = Path(raw).absolute()
    real = path.resolve()
    for src in inputs:
        src_real = Path(src).resolve()
        if _is_within(src_real, real):
            what = "is" if src_real == real else "contains"
            msg = (f"{option} {raw}: {what} the input {src}; writing there would replace it — "
                   "choose a folder outside the inputs")
            raise ScenarioError(msg)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        what = "a link" if path.is_symlink() else "a file"
        msg = f"{option} {raw}: the output path is {what}, not a folder; give a new folder path"
        raise ScenarioError(msg)
    if path.is_dir() and any(path.iterdir()):
        found = output_kind(path)
        if found != kind:
            what = ("is not a siting " + _LABELS[kind] if found is None
                    else f"is a siting {_LABELS[found]}, not a siting {_LABELS[kind]}")
            msg = (f"{option} {raw}: the folder is not empty and {what}; siting replaces its "
                   "output folder as a whole, so choose a new or empty folder (or delete this "
                   "one yourself)")
            raise ScenarioError(msg)
    return path


# --------------------------------------------------------------------------- the lock
_held: dict[Path, int] = {}
_held_guard = threading.Lock()


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def _describe_holder(lock: Path) -> str:
    try:
        pid = lock.read_text(encoding="ascii").strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "another process"


@contextmanager
def output_lock(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the write lock of output folder ``out`` (re-entrant within a process).

    Raises
    ------
    OutputError
        Another process holds it (the message names its PID), or the parent folder cannot be
        written.
    """
    path = Path(out).absolute()
    with _held_guard:
        if path in _held:
            _held[path] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _held_guard:
                _held[path] -= 1
        return
    lock = _lock_path(path)
    fd = _acquire(lock, path)
    with _held_guard:
        _held[path] = 1
    try:
        yield path
    finally:
        with _held_guard:
            del _held[path]
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)


def _acquire(lock: Path, out: Path) -> int:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock, the swap is still safe
        return os.open(os.devnull, os.O_RDONLY)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _output_error(e, lock.parent) from None
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise _output_error(e, lock.parent) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            msg = (f"{out}: {_describe_holder(lock)} is writing this output folder; wait for it "
                   "to finish or choose another --out")
            raise OutputError(msg) from None
        # the holder may have removed the file between our open and flock: lock the new one
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode("ascii"))
            return fd
        os.close(fd)


# --------------------------------------------------------------------------- the swap
def _sibling(path: Path, tag: str) -> Path:
    return path.parent / f".{path.name}.{tag}-{os.getpid()}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def clean_leftovers(out: Path) -> None:
    """Remove temporary folders of killed writers of ``out``; restore a set-aside old folder.

    Call with the lock held: then no live process is writing these names.
    """
    if not out.parent.is_dir():
        return
    prefix = f".{out.name}."
    for entry in sorted(out.parent.iterdir()):
        name = entry.name
        if not name.startswith(prefix):
            continue
        tag = name[len(prefix):].split("-", 1)[0]
        if tag == "old" and not (out.exists() or out.is_symlink()):
            logger.warning("%s: restoring the previous output left aside by an interrupted run",
                           out)
            os.replace(entry, out)
        elif tag in ("old", "tmp"):
            logger.info("removing %s, left by an interrupted run", entry)
            _remove(entry)


def _rename_exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold off Ctrl-C and SIGTERM for a few renames (delivered right after)."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    sigs = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _swap_into_place(tmp: Path, out: Path) -> None:
    had_old = out.exists() or out.is_symlink()
    if not had_old:
        with _signals_held():
            os.replace(tmp, out)
        _checkpoint("renamed")
        return
    with _signals_held():
        exchanged = _rename_exchange(tmp, out)
        if not exchanged:
            old = _sibling(out, "old")
            _remove(old)
            os.replace(out, old)
            try:
                _checkpoint("aside")
                os.replace(tmp, out)
            except BaseException:
                os.replace(old, out)
                raise
    try:
        _checkpoint("swapped")
    finally:
        with _signals_held():  # the new output is in place: tidy up before Ctrl-C counts
            _remove(tmp if exchanged else _sibling(out, "old"))
    logger.debug("wrote %s", out)


def _output_error(e: OSError, path: Path) -> OutputError:
    reason = os.strerror(e.errno) if e.errno else str(e)
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some space or choose another --out"
    else:
        fix = "choose another --out or fix the folder's permissions"
    return OutputError(f"{path}: cannot write ({reason.lower()}); {fix}; previous outputs are "
                       "left as they were")


@contextmanager
def atomic_dir(out_dir: str | os.PathLike[str], *, kind: str = "run",
               inputs: Iterable[str | os.PathLike[str]] = ()) -> Iterator[Path]:
    """Build an output folder under a temporary sibling name; swap it into place on success.

    Parameters
    ----------
    out_dir
        Final folder. Its parent is created if needed. It must pass
        :func:`check_output_dir` for ``kind``; an existing output of that kind is replaced as
        a whole.
    kind
        ``"run"``, ``"compare"`` or ``"sweep"``; written into the folder's :data:`MARKER`.
    inputs
        Paths the output may not be or contain (see :func:`check_output_dir`).

    Yields
    ------
    pathlib.Path
        The empty temporary folder (``<parent>/.<name>.tmp-<pid>``) to write into.

    Raises
    ------
    OutputError
        The disk is full, the folder is read-only, or another process writes ``out_dir``.

    Notes
    -----
    Leaving the ``with`` block normally swaps the folder into place. Leaving it through any
    exception, ``KeyboardInterrupt`` included, deletes the temporary folder and re-raises;
    ``out_dir`` is then exactly as before.
    """
    out = Path(out_dir).absolute()
    with output_lock(out):
        clean_leftovers(out)
        check_output_dir(out, kind, inputs=inputs)
        tmp = _sibling(out, "tmp")
        try:
            _remove(tmp)
            tmp.mkdir()
            yield tmp
            (tmp / MARKER).write_text(json.dumps({"kind": kind, "writer": "siting"}) + "\n",
                                      encoding="utf-8")
            _checkpoint("written")
            _swap_into_place(tmp, out)
        except OSError as e:
            _remove(tmp)
            if e.errno in _OUTPUT_ERRNOS:
                raise _output_error(e, Path(e.filename) if e.filename else out) from None
            raise
        except BaseException:
            _remove(tmp)
            raise


def atomic_write_stream(path: str | os.PathLike[str],
                        write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` by ``write(file)`` into a temporary sibling file, then rename it.

    The one atomic file write of the package: an error or Ctrl-C in ``write`` removes the
    temporary file and leaves an existing ``path`` as it was.

    Parameters
    ----------
    path
        Target file; its folder must exist. An existing file is replaced.
    write
        Writes the content into the binary file it is given (e.g. ``numpy.savez``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = Path(path)
    tmp = _sibling(target, "tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write_stream`).

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
    return atomic_write_stream(path, lambda f: f.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str, *,
                      encoding: str = "utf-8") -> Path:
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
