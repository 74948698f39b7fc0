"""Where the starter puts each layer: copied into the folder (a Shapefile with its sidecar
files), referenced where it is, or already in the folder; and the copies, made atomically, never
over a different file."""

from __future__ import annotations

import filecmp
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from siting._errors import ScenarioError

#: Files that belong to a Shapefile, copied with it.
_SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd",
                       ".shp.xml")


@dataclass(frozen=True)
class PlacedLayer:
    """Where a layer ended up: the path written into the scenario and how it got there."""

    section: str
    source: Path
    path: str
    how: str  # "copied", "referenced", "in the folder"


def place(src: Path, folder: Path, section: str, link: bool,
          placed: dict[Path, str]) -> PlacedLayer:
    """Where layer ``src`` goes: its path as written in the scenario, and how it gets there.

    A file inside ``folder`` is referenced there; with ``link`` any other file is referenced
    by a path relative to ``folder``; else it is to be copied under its own name (``_2``,
    ``_3`` ... when another layer took the name). ``placed`` (source -> name in the folder)
    is updated, so a file given twice is copied once. Nothing is copied here.
    """
    real = src.resolve()
    base = folder.resolve()
    if real.is_relative_to(base):
        return PlacedLayer(section, src, real.relative_to(base).as_posix(), "in the folder")
    if link:
        try:
            rel = Path(os.path.relpath(real, base)).as_posix()
        except ValueError:  # another drive (Windows): only an absolute path reaches it
            rel = real.as_posix()
        return PlacedLayer(section, src, rel, "referenced")
    if real in placed:
        return PlacedLayer(section, src, placed[real], "copied")
    name = src.name
    taken = set(placed.values())
    stem, suffix = (name[:-len(src.suffix)], src.suffix) if src.suffix else (name, "")
    n = 2
    while name in taken:
        name = f"{stem}_{n}{suffix}"
        n += 1
    placed[real] = name
    return PlacedLayer(section, src, name, "copied")


def _files_of(src: Path) -> list[Path]:
    """A layer file and, for a Shapefile, its sidecar files."""
    if src.suffix.lower() != ".shp":
        return [src]
    stem = src.name[:-4]
    return [src, *(p for p in sorted(src.parent.iterdir()) if p != src
                   and p.name.lower().startswith(stem.lower() + ".")
                   and p.name[len(stem):].lower() in _SHAPEFILE_SIDECARS)]


def copy_plan(layers: Iterable[PlacedLayer], folder: Path) -> list[tuple[Path, Path]]:
    """The ``(source, destination)`` copies the layers need, sidecar files included.

    Raises
    ------
    ScenarioError
        A destination exists with different content (init never overwrites a file).
    """
    plan: dict[Path, Path] = {}
    for lay in layers:
        if lay.how != "copied":
            continue
        files = _files_of(lay.source)
        new_stem = lay.path[:-len(lay.source.suffix)] if lay.source.suffix else lay.path
        old_stem = lay.source.name[:-len(lay.source.suffix)] if lay.source.suffix else (
            lay.source.name)
        for f in files:
            dest = folder / (new_stem + f.name[len(old_stem):])
            plan[dest] = f
    for dest, f in plan.items():
        if dest.exists() and not filecmp.cmp(dest, f, shallow=False):
            msg = (f"{dest}: a different file of this name is already in the folder; init does "
                   "not overwrite files: rename or remove it, or use --link to reference the "
                   "layers where they are")
            raise ScenarioError(msg)
    return [(f, dest) for dest, f in plan.items()]


def copy_file(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` through a temporary file (kept: ``dest`` of the same content)."""
    if dest.exists():
        return  # the same content (checked by copy_plan)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    shutil.copy2(src, tmp)
    os.replace(tmp, dest)
