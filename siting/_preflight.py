"""Checks that run before any work: option values, path text, input files, output folders.

A command calls these first (before reading the scenario, its layers or the network), so a
mistyped option or an output folder that cannot be written stops the command in a fraction of
a second with one line naming the option or path, instead of after a long solve. This module
imports nothing heavy (no geopandas, folium or solver) for the same reason.

Every function raises :class:`~siting._errors.ScenarioError` (exit code 2) with one line.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from siting._errors import ScenarioError, echo
from siting.i18n import LANGS

#: Basemaps the map writer knows (kept equal to ``siting.maps.BASEMAPS``; a test checks it).
BASEMAPS: tuple[str, ...] = ("osm", "tianditu", "amap", "none")
#: Folders GDAL opens as one dataset (an Esri File Geodatabase is a folder named ``*.gdb``).
DATASET_FOLDERS: tuple[str, ...] = (".gdb",)


# --------------------------------------------------------------------------- options
def check_lang(lang: str | None, option: str = "--lang") -> None:
    """Refuse a label language other than ``zh`` or ``en`` (None = the scenario's)."""
    if lang is not None and lang not in LANGS:
        msg = f"{option} {echo(lang)}: not a supported language; use one of {list(LANGS)}"
        raise ScenarioError(msg)


def check_basemap(basemap: str, tianditu_key: str | None, *, key_option: str | None =
                  "--tianditu-key") -> None:
    """Refuse an unknown basemap, or ``tianditu`` without a key.

    Parameters
    ----------
    basemap
        The ``--basemap`` value.
    tianditu_key
        The key given (option or ``TIANDITU_KEY``); only needed for ``tianditu``.
    key_option
        How the command takes the key, named in the message (None: it takes none).
    """
    if basemap not in BASEMAPS:
        msg = f"--basemap {echo(basemap)}: not a known basemap; use one of {list(BASEMAPS)}"
        raise ScenarioError(msg)
    if basemap == "tianditu" and not (tianditu_key or "").strip():
        how = (f"give your key with {key_option} KEY or the TIANDITU_KEY environment variable"
               if key_option else "set the TIANDITU_KEY environment variable")
        msg = (f"--basemap tianditu: needs a Tianditu key (free at "
               f"https://console.tianditu.gov.cn); {how}, or use --basemap osm, amap or none")
        raise ScenarioError(msg)


def check_path_text(path: str | os.PathLike[str], what: str) -> Path:
    """Refuse an empty path or one holding a NUL character; return it as a Path.

    Parameters
    ----------
    path
        As the user typed it.
    what
        Names it in the message (``"--out"``, ``"scenario"``, ``"field 'demand.path'"`` ...).
    """
    text = os.fspath(path)
    if not text.strip():
        msg = f"{what}: the path is empty; give a file or folder path"
        raise ScenarioError(msg)
    if "\x00" in text:
        msg = (f"{what}: the path {echo(text)} contains a NUL character (\\x00); type the "
               "path again")
        raise ScenarioError(msg)
    return Path(text)


# --------------------------------------------------------------------------- input files
def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file, or None when it is a regular file.

    A folder is refused unless GDAL reads it as one dataset (``*.gdb``); so is anything that
    is not a regular file (a named pipe would block the reader forever, ``/dev/zero`` never
    ends). The text names no path; callers prefix it.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return "file not found"
    except PermissionError:
        return "cannot be opened (permission denied)"
    except (OSError, ValueError) as e:
        return f"cannot be opened ({e})"
    if stat.S_ISDIR(st.st_mode):
        if path.suffix.lower() in DATASET_FOLDERS:
            return None
        return "is a folder, not a file"
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        return f"is {kind}, not a regular file"
    return None


# --------------------------------------------------------------------------- output folders
def _probe_dir(folder: Path) -> str | None:
    """None if a file can be created in ``folder``; else the reason.

    The probe is an anonymous temporary file (``O_TMPFILE`` where the file system has it, else
    a uniquely named file removed at once): it never takes an existing name, so it can
    neither overwrite nor delete anything, and nothing stays behind.
    """
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".siting-probe-"):
            pass
    except PermissionError:
        return "permission denied"
    except OSError as e:
        return e.strerror or type(e).__name__
    return None


def check_output_writable(out: str | os.PathLike[str], what: str = "--out") -> Path:
    """Refuse an output folder that cannot be written, before any work is done.

    The folder is built next to its final place and renamed into it, so its parent (or, when
    the parent does not exist yet, the nearest existing ancestor, where it will be created)
    must be a writable folder; an existing output folder must be a folder and writable too
    (its old content is replaced). Nothing is created or deleted.

    Parameters
    ----------
    out
        The output folder as given.
    what
        The option naming it in messages.

    Returns
    -------
    pathlib.Path
        ``out`` as a Path.
    """
    path = check_path_text(out, what)
    target = path.absolute()
    if target.exists() and not target.is_dir():
        msg = f"{what} {path}: is a file, not a folder; give a folder path"
        raise ScenarioError(msg)
    ancestor = target.parent
    while not ancestor.exists():
        if ancestor.is_symlink():  # a dangling link: mkdir would fail on it
            msg = (f"{what} {path}: cannot create its folder: {ancestor} is a broken "
                   "symbolic link; choose another output path")
            raise ScenarioError(msg)
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        msg = (f"{what} {path}: cannot create its folder: {ancestor} is a file, not a folder; "
               "choose another output path")
        raise ScenarioError(msg)
    checks = [ancestor] + ([target] if target.is_dir() else [])
    for folder in checks:
        why = _probe_dir(folder)
        if why is not None:
            role = "the output folder" if folder == target else (
                "its parent folder" if folder == target.parent else f"the folder {folder}")
            msg = (f"{what} {path}: {role} cannot be written ({why}); choose a folder you can "
                   "write to, or change its permissions")
            raise ScenarioError(msg)
    return path


def check_run_dir(run_dir: str | os.PathLike[str], what: str = "RUN_DIR", *,
                  writable: bool = False) -> Path:
    """Refuse a run folder argument that is empty, missing, not a folder or (if it will be
    written into) not writable."""
    path = check_path_text(run_dir, what)
    if not path.is_dir():
        why = "is a file, not a folder" if path.exists() else "folder not found"
        msg = (f"{what} {path}: {why}; give a run folder (with report.json) written by "
               "`siting run` or `siting demo`")
        raise ScenarioError(msg)
    if writable:
        problem = _probe_dir(path)
        if problem is not None:
            msg = (f"{what} {path}: the folder cannot be written ({problem}); copy the run folder "
                   "somewhere writable and run the command there")
            raise ScenarioError(msg)
    return path


__all__ = ["BASEMAPS", "check_basemap", "check_lang", "check_output_writable", "check_path_text",
           "check_run_dir", "file_problem"]
