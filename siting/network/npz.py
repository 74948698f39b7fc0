"""The compact ``.npz`` network file: :func:`save_network` and :func:`read_npz`.

Used for networks fetched once and used offline (``siting network fetch``), for the download
cache and for the cache of parsed local files (:mod:`siting.network.load`).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from siting._atomic import atomic_write_stream
from siting._errors import NetworkError
from siting.network.graph import RoadNetwork, component_report, one_line
from siting.network.tags import LIMIT_TAGS

#: Version of the ``.npz`` layout; files of another version are refused.
NPZ_FORMAT = 1
# what a truncated or damaged .npz raises (np.load, zipfile, zlib, json, the dataclass checks)
_NPZ_ERRORS = (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def save_network(net: RoadNetwork, path: str | Path, *, compress: bool = True,
                 cache_meta: dict[str, Any] | None = None) -> Path:
    """Write a network to a compact ``.npz`` (atomic: temp file then rename).

    Read it back with :func:`load_network` (suffix ``.npz``) or :func:`read_npz`. The file
    also holds the weak component of every node, so reading it needs no graph search.

    Parameters
    ----------
    net
        The network.
    path
        Output file; its folder is created.
    compress
        Deflate the arrays (about 2x smaller). Off, the file also keeps the projected
        ``x``/``y``, and a 7-million-node network is written in ~1 s instead of ~40 s and
        read in ~2 s instead of ~5 s (the cache of local files uses that).
    cache_meta
        JSON-serialisable description of what the file caches (used by
        :func:`load_network`'s cache of local files to recognise its own entries).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OSError
        The folder or file cannot be written (no temp file is left behind).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    classes, codes = np.unique(net.edge_class.astype(str), return_inverse=True)
    meta: dict[str, Any] = {"format": NPZ_FORMAT, "source": net.source,
                            "schematic": bool(net.schematic), "crs": net.crs,
                            "reads": list(LIMIT_TAGS)}  # what the source was read for
    if net.dropped:
        meta["dropped"] = {str(k): int(v) for k, v in net.dropped.items()}
    if net.unread_maxspeed:
        meta["unread_maxspeed"] = {str(k): int(v) for k, v in net.unread_maxspeed.items()}
    if cache_meta is not None:
        meta["cache"] = cache_meta
    code_type = np.uint8 if len(classes) <= 256 else np.int32
    arrays = {"node_id": net.node_id, "lon": net.lon, "lat": net.lat, "edge_u": net.edge_u,
              "edge_v": net.edge_v, "edge_length_m": net.edge_length_m, "classes": classes,
              "class_code": codes.ravel().astype(code_type),
              "component": net.components().labels,
              "meta": np.array(json.dumps(meta, ensure_ascii=False))}
    for name in ("edge_maxspeed_kph", "edge_maxspeed_hgv_kph"):
        if getattr(net, name) is not None:
            arrays[name] = np.asarray(getattr(net, name), dtype=np.float32)
    if not compress:  # reading then skips the reprojection (~40% of the read time)
        arrays.update(x=net.x, y=net.y)
    save = np.savez_compressed if compress else np.savez
    return atomic_write_stream(path, lambda fh: save(fh, allow_pickle=False, **arrays))


def read_npz(path: str | Path) -> RoadNetwork:
    """Read a network written by :func:`save_network`.

    Raises
    ------
    NetworkError
        The file is missing, truncated, corrupt, of another format version, or not a
        network file.
    """
    return read_npz_meta(path)[0]


def npz_meta(path: Path) -> dict[str, Any]:
    """The ``meta`` record of a network file (reads nothing else; {} when unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    except _NPZ_ERRORS:
        return {}
    return meta if isinstance(meta, dict) else {}


def read_npz_meta(path: str | Path) -> tuple[RoadNetwork, dict[str, Any]]:
    """:func:`read_npz`, and the file's ``meta`` record (format, source, cache key ...)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != NPZ_FORMAT:
                msg = (f"{path}: network cache format {meta.get('format')} is not "
                       f"{NPZ_FORMAT}; delete the file to rebuild it")
                raise NetworkError(msg)
            lon, lat = z["lon"], z["lat"]
            crs = meta["crs"]
            if "x" in z.files and "y" in z.files:
                x, y = z["x"], z["y"]
            else:
                x, y = Transformer.from_crs("EPSG:4326", crs,
                                            always_xy=True).transform(lon, lat)
            net = RoadNetwork(
                node_id=z["node_id"], lon=lon, lat=lat, x=np.asarray(x), y=np.asarray(y),
                crs=crs, edge_u=z["edge_u"], edge_v=z["edge_v"],
                edge_length_m=z["edge_length_m"],
                edge_class=z["classes"].astype(object)[z["class_code"]],
                source=meta["source"], schematic=bool(meta["schematic"]),
                dropped=_counts(meta, "dropped"),
                edge_maxspeed_kph=_limits(z, "edge_maxspeed_kph"),
                unread_maxspeed=_counts(meta, "unread_maxspeed"),
                edge_maxspeed_hgv_kph=_limits(z, "edge_maxspeed_hgv_kph"))
            if "component" in z.files:  # written since the cache of local files
                labels = z["component"]
                if len(labels) != net.n_nodes:
                    msg = f"{len(labels)} component labels for {net.n_nodes} nodes"
                    raise ValueError(msg)
                # RoadNetwork.components() is a cached_property: fill its slot
                net.__dict__["_components"] = component_report(labels)
    except _NPZ_ERRORS as e:
        if isinstance(e, NetworkError):
            raise
        msg = f"{path}: not a siting network file ({one_line(e)}); delete it or re-fetch"
        raise NetworkError(msg) from None
    return net, meta


def _limits(z: Any, name: str) -> np.ndarray | None:
    """The posted limits array ``name`` of an open ``.npz`` (None when not stored)."""
    return z[name].astype(np.float32) if name in z.files else None


def _counts(meta: dict[str, Any], key: str) -> dict[str, int]:
    """The counts under ``key`` of a ``meta`` record (the filter's ``dropped``, the
    ``unread_maxspeed`` values; files written before they existed: none)."""
    raw = meta.get(key) or {}
    try:
        return {str(k): int(v) for k, v in dict(raw).items()}
    except (TypeError, ValueError):
        msg = f"meta '{key}' is not a mapping of counts"
        raise ValueError(msg) from None
