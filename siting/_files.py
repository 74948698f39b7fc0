"""File-name helpers shared by the readers and the checks (no heavy imports).

One place decides what "the format of a file" is, so that the network loader, the memory
estimates and the messages agree: ``roads.osm.pbf`` is ``.osm.pbf`` (not ``.pbf``) and
``roads.osm.gz`` is ``.osm.gz`` (not ``.gz``).
"""

from __future__ import annotations

from pathlib import Path

#: Two-part suffixes recognised as one format (compressed OSM XML and OSM PBF).
COMPOUND_SUFFIXES: tuple[str, ...] = (".osm.pbf", ".osm.bz2", ".osm.gz")


def file_suffix(path: str | Path) -> str:
    """The lower-case format suffix of a file name, compound OSM suffixes included.

    Parameters
    ----------
    path
        A file path (need not exist).

    Returns
    -------
    str
        One of :data:`COMPOUND_SUFFIXES` when the name ends with it (any letter case), else
        the last suffix lower-cased (``".geojson"``, ``".shp"``, ``""`` for none).

    Examples
    --------
    >>> file_suffix("Roads.OSM.GZ"), file_suffix("city.osm.pbf"), file_suffix("a.Shp")
    ('.osm.gz', '.osm.pbf', '.shp')
    """
    p = Path(path)
    name = p.name.lower()
    for s in COMPOUND_SUFFIXES:
        if name.endswith(s):
            return s
    return p.suffix.lower()


__all__ = ["COMPOUND_SUFFIXES", "file_suffix"]
