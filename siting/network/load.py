"""Loading the road network a scenario names: dispatch on the file suffix, online downloads,
and the ``.npz`` cache of downloads and of large local files.

Sources (:func:`load_network` dispatches on ``spec.path``'s suffix, or downloads):

- online OpenStreetMap through osmnx (``spec.place`` or ``spec.bbox``, see
  :mod:`siting.network.download`), with osmnx's HTTP cache and our own ``.npz`` cache of the
  finished network in ``spec.cache_dir`` (local files of 5 MB or more are cached there too);
- OSM files ``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf`` (:mod:`siting.network.osm`);
- GraphML (:mod:`siting.network.graphml`), with the same fleet road filter as OSM files;
- GIS line layers (GeoPackage, Shapefile, GeoJSON), noded (:mod:`siting.network.lines`);
- ``.npz`` files written by :func:`~siting.network.npz.save_network`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siting._errors import NetworkError
from siting._files import file_suffix
from siting.network import download
from siting.network.graph import RoadNetwork, one_line
from siting.network.graphml import from_networkx, read_graphml
from siting.network.lines import from_lines, read_lines
from siting.network.npz import NPZ_FORMAT, npz_meta, read_npz, read_npz_meta, save_network
from siting.network.osm import overpass_truck_filter, read_osm
from siting.network.tags import LIMIT_TAGS

if TYPE_CHECKING:
    from siting.scenario import NetworkSpec

logger = logging.getLogger(__name__)

#: File suffixes :func:`load_network` reads.
SUPPORTED_SUFFIXES: tuple[str, ...] = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".graphml",
                                       ".gpkg", ".shp", ".geojson", ".json", ".npz")
_LINE_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json")
#: Local road files at least this large (bytes, a shapefile's sidecar files included) are
#: parsed once and kept as ``.npz`` in ``network.cache_dir`` (see :func:`load_network`);
#: smaller ones, such as the bundled demo network, are simply read again.
LOCAL_CACHE_MIN_BYTES = 5 * 2**20
#: Version of what the cache of local files stores; bump it whenever parsing changes the
#: result (filter, noding, lengths ...), so that old cache entries are no longer used.
#: 2: GraphML files get the fleet road filter. 3: line layers get it too. 4: posted limits
#: (``maxspeed``) and a line layer's GDAL ``other_tags``. 5: ``maxspeed:hgv``, limits by
#: direction, and the implied level of a line layer's bridges and tunnels.
LOCAL_CACHE_FORMAT = 5
_SIDECAR_SUFFIXES = {".shp": (".dbf", ".shx", ".prj", ".cpg", ".DBF", ".SHX", ".PRJ", ".CPG")}
#: NetworkSpec fields read while parsing a file (they are part of the cache key).
_PARSE_FIELDS = ("crs", "coords", "layer", "class_column", "oneway_column", "schematic",
                 "provenance")
_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf")

#: Largest share of nodes outside the main component before :func:`load_network` warns.
COMPONENT_WARN_SHARE = 0.95


def cache_key(spec: NetworkSpec) -> str:
    """Key of the online query (place or bbox + road filter) naming its ``.npz`` cache."""
    query = {"place": spec.place, "bbox": list(spec.bbox) if spec.bbox else None,
             "filter": overpass_truck_filter(), "format": NPZ_FORMAT}
    digest = hashlib.sha1(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]
    kind = "bbox" if spec.bbox else "place"
    return f"roads-{kind}-{digest}"


def _describe(spec: NetworkSpec, auto: str) -> str:
    return f"{auto}; {spec.provenance}" if spec.provenance else auto


def _load_online(spec: NetworkSpec, osmnx_settings: dict[str, Any] | None) -> RoadNetwork:
    cache_dir = Path(spec.cache_dir)
    cached = cache_dir / f"{cache_key(spec)}.npz"
    if cached.is_file():
        logger.info("road network from cache %s", cached)
        net, meta = read_npz_meta(cached)
        unread = [k for k in LIMIT_TAGS if k not in meta.get("reads", ())]
        if unread:
            logger.info("%s was downloaded before siting read the posted speed limits %s; "
                        "delete it to download the network again with them", cached,
                        ", ".join(unread))
        return net
    what = f"place '{spec.place}'" if spec.place else f"bbox {list(spec.bbox or ())}"
    http_cache = cache_dir / "http"
    with _removed_on_error(http_cache):
        G = download.download_graph(place=spec.place, bbox=spec.bbox, http_cache=http_cache,
                                    settings=osmnx_settings)
        auto = f"OpenStreetMap via Overpass/osmnx ({what}, fleet road filter)"
        net = from_networkx(G, source=_describe(spec, auto), schematic=spec.schematic)
    save_network(net, cached)
    logger.info("road network cached in %s", cached)
    return net


@contextlib.contextmanager
def _removed_on_error(folder: Path) -> Iterator[None]:
    """Create nothing, but if the block fails, delete the part of ``folder``'s path that did
    not exist before it (a download that failed leaves no cache folder it made behind)."""
    created: Path | None = None
    p = folder.absolute()
    while not p.exists() and p != p.parent:
        created = p
        p = p.parent
    try:
        yield
    except BaseException:
        if created is not None and created.is_dir():
            shutil.rmtree(created, ignore_errors=True)
            logger.info("removed %s (made by the failed download)", created)
        raise


def _load_path(spec: NetworkSpec, path: Path) -> RoadNetwork:
    suffix = file_suffix(path)
    supported = ", ".join(SUPPORTED_SUFFIXES)
    if suffix not in SUPPORTED_SUFFIXES:
        msg = f"{path}: unsupported road network format '{suffix}'; use one of {supported}"
        raise NetworkError(msg)
    if not path.is_file():
        msg = f"{path}: road network file not found; check network.path ({supported})"
        raise NetworkError(msg)
    if suffix == ".npz":
        return read_npz(path)
    cache = _LocalCache.for_file(spec, path)  # keyed before parsing: a file changing now
    net = cache.read() if cache is not None else None  # gets a new key next time
    if net is not None:
        return net
    net = _parse_file(spec, path, suffix)
    if cache is not None:
        cache.write(net)
    return net


def _parse_file(spec: NetworkSpec, path: Path, suffix: str) -> RoadNetwork:
    """Read an OSM, GraphML or line-layer file into a network (no cache)."""
    if suffix in _OSM_SUFFIXES:
        if spec.coords != "wgs84":
            logger.warning("%s: OSM data is WGS84; network.coords=%s ignored", path,
                           spec.coords)
        return read_osm(path, source=_describe(spec, f"OpenStreetMap file {path.name}"),
                        schematic=spec.schematic)
    if suffix == ".graphml":
        return read_graphml(path, source=_describe(spec, f"GraphML {path.name}"),
                            schematic=spec.schematic, coords=spec.coords, crs=spec.crs)
    gdf = read_lines(path, layer=spec.layer, crs=spec.crs, coords=spec.coords)
    from siting._checks import check_class_column  # a misspelt column must not pass silently

    gdf = check_class_column(gdf, spec.class_column, path=path,
                             explicit="class_column" in spec.model_fields_set)
    kind = "schematic line layer" if spec.schematic else "line layer"
    return from_lines(gdf, class_column=spec.class_column, oneway_column=spec.oneway_column,
                      source=_describe(spec, f"{kind} {path.name}"), schematic=spec.schematic)


def _source_files(path: Path) -> list[Path]:
    """The file and the sidecar files its reader also uses (shapefile .dbf/.shx/...,
    GeoPackage write-ahead log)."""
    files = [path]
    if path.suffix.lower() == ".shp":
        files += [path.with_suffix(s) for s in _SIDECAR_SUFFIXES[".shp"]]
    elif path.suffix.lower() == ".gpkg":
        files.append(path.with_name(path.name + "-wal"))
    return [f for f in files if f is path or f.is_file()]


@dataclass(frozen=True)
class _LocalCache:
    """The ``.npz`` cache entry of one local road file, as parsed with one spec.

    The key covers the resolved path, size and modification time (ns) of the file and its
    sidecars, the spec fields used while parsing, the OSM road filter and
    :data:`LOCAL_CACHE_FORMAT`; any change gives another entry. A file holds its key in its
    ``meta`` record, so a renamed, stale or damaged file is never taken for a hit.
    """

    path: Path
    key: str
    origin: str
    files: tuple[tuple[str, int, int], ...]

    @classmethod
    def for_file(cls, spec: NetworkSpec, path: Path) -> _LocalCache | None:
        """The entry for ``path`` parsed with ``spec``; None below the size threshold."""
        src = path.resolve()
        stats = [(f, f.stat()) for f in _source_files(src)]
        if sum(st.st_size for _, st in stats) < LOCAL_CACHE_MIN_BYTES:
            return None
        files = tuple((f.name, st.st_size, st.st_mtime_ns) for f, st in stats)
        state = {"origin": str(src), "files": files, "filter": overpass_truck_filter(),
                 "spec": {k: getattr(spec, k) for k in _PARSE_FIELDS},
                 "format": [LOCAL_CACHE_FORMAT, NPZ_FORMAT]}
        key = hashlib.sha1(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", src.name)[:48]
        return cls(Path(spec.cache_dir) / f"roads-file-{stem}-{key[:16]}.npz", key, str(src),
                   files)

    def read(self) -> RoadNetwork | None:
        """The cached network, or None (no entry; a damaged or stale one is ignored)."""
        if not self.path.is_file():
            return None
        try:
            net, meta = read_npz_meta(self.path)
        except NetworkError as e:
            logger.warning("road network cache ignored and rebuilt: %s", e)
            return None
        if meta.get("cache", {}).get("key") != self.key:
            logger.warning("road network cache %s belongs to another file or version; "
                           "rebuilding it", self.path)
            return None
        logger.info("road network %s from cache %s", self.origin, self.path)
        return net

    def write(self, net: RoadNetwork) -> None:
        """Store ``net``; a cache folder that cannot be written only costs a warning."""
        meta = {"key": self.key, "origin": self.origin, "files": self.files}
        try:
            save_network(net, self.path, compress=False, cache_meta=meta)
        except OSError as e:
            logger.warning("cannot write the road network cache %s (%s); the file is parsed "
                           "again next time - set network.cache_dir to a writable folder",
                           self.path, one_line(e))
            return
        logger.info("road network cached in %s", self.path)
        self._drop_outdated()

    def _drop_outdated(self) -> None:
        """Delete entries of earlier versions of the same file (they can never be hit)."""
        stem = self.path.name.rsplit("-", 1)[0]
        for other in self.path.parent.glob(f"{stem}-*.npz"):
            if other == self.path:
                continue
            cached = npz_meta(other).get("cache", {})
            if (cached.get("origin") == self.origin
                    and [tuple(f) for f in cached.get("files", [])] != list(self.files)):
                with contextlib.suppress(OSError):
                    other.unlink()
                    logger.info("outdated road network cache %s removed", other)


def load_network(spec: NetworkSpec, *,
                 osmnx_settings: dict[str, Any] | None = None) -> RoadNetwork:
    """Load the road network a scenario names.

    Parameters
    ----------
    spec
        ``NetworkSpec``: ``path`` (suffix picks the reader, see :data:`SUPPORTED_SUFFIXES`),
        or ``place`` / ``bbox`` (WGS84 ``[west, south, east, north]``) to download from
        OpenStreetMap through osmnx; downloads are cached in ``spec.cache_dir`` (osmnx HTTP
        cache in ``http/`` and the finished network as ``roads-*.npz``), so a second call
        needs no network access. Local OSM, GraphML and line-layer files of at least
        :data:`LOCAL_CACHE_MIN_BYTES` (5 MB) are parsed once and kept there too
        (``roads-file-<name>-<key>.npz``); the next call with the same file and settings
        reads that instead. The key covers the resolved path, size and modification time
        of the file (and of a shapefile's sidecars), the fields used while parsing (``crs``,
        ``coords``, ``layer``, ``class_column``, ``oneway_column``, ``schematic``,
        ``provenance``) and :data:`LOCAL_CACHE_FORMAT`, so editing or replacing the file
        rebuilds it (entries of the file's earlier versions are deleted). A damaged or stale
        entry is rebuilt, and a folder that cannot be written only logs a warning. Delete
        the folder to clear the cache.
    osmnx_settings
        Extra ``osmnx.settings`` values for a download (e.g. ``{"overpass_url": ...}`` for a
        mirror, ``{"nominatim_url": ...}`` for another geocoder, ``{"requests_timeout":
        300}``), restored afterwards. A download that fails removes the cache folders it
        created.

    Returns
    -------
    RoadNetwork
        Logs a warning when the largest weakly connected component holds less than 95% of
        the nodes, when the fleet road filter dropped edges of a GraphML file or line layer
        (:attr:`RoadNetwork.dropped`), and when ``maxspeed`` values held no readable limit
        (:attr:`RoadNetwork.unread_maxspeed`).

    Raises
    ------
    NetworkError
        Missing/unsupported/unreadable file, or no usable roads.
    DownloadError
        (a NetworkError) The geocoder or Overpass cannot be reached or found nothing; the
        message names the service, its URL and the option that changes it.
    CRSMismatchError
        A line layer without CRS (and no ``network.crs``), or coordinates that are not
        degrees after reprojection.
    InputDataError
        A line layer feature that is not a line.
    """
    if spec.path is not None:
        net = _load_path(spec, Path(spec.path))
    elif spec.place is not None or spec.bbox is not None:
        net = _load_online(spec, osmnx_settings)
    else:  # pragma: no cover - NetworkSpec validates this
        msg = "network: give one of path, place or bbox"
        raise NetworkError(msg)
    rep = net.components()
    logger.info("road network: %d nodes, %d directed edges, %d component(s) (%s)",
                net.n_nodes, net.n_edges, rep.n_components, net.source)
    if net.dropped:
        logger.warning("road network %s: %s; fleet vehicles do not drive on them (the "
                       "filter of OSM data, see README 'Road networks')", net.source,
                       net.filter_summary())
    if net.unread_maxspeed:
        logger.warning("road network %s: %s (see README 'Road networks')", net.source,
                       net.maxspeed_summary())
    if rep.largest_share < COMPONENT_WARN_SHARE:
        logger.warning(
            "road network %s: the largest connected part holds only %.1f%% of %d nodes "
            "(%d parts); points snapped to the other parts cannot reach most stations - "
            "check for missing links or a too-strict extract", net.source,
            100 * rep.largest_share, net.n_nodes, rep.n_components)
    return net
