"""Will it fit? Memory estimates for a run and for reading big input files.

A city-wide run with tens of thousands of demand points and long thresholds can need more
memory than a planning-bureau desktop has; without a check it dies minutes later with a
``MemoryError`` (or the operating system kills it). These functions estimate the need up front
and raise :class:`~siting._errors.ResourceError` with the estimate and the memory available.

The estimates are deliberately rough (a factor of two either way) and err on the high side.
Calibration (peak RSS, 2-core machine, HiGHS 1.16): the bundled Suizhou run (2,919 demand
rows, 196 options, 93k coverage pairs, capacitated) peaks at ~0.72 GB; a synthetic city
(100k demand rows, 4,299 options on 2,000 sites, 200k-node network, 15.5M coverage pairs)
peaked at 3.7 GB uncapacitated and 19.3 GB capacitated with one allocation column per pair
(~1.2 kB per allocation column, most of it in HiGHS), which is why ``solver.max_alloc_options``
exists.

Memory figures are bytes; messages give GB (10^9 bytes).
"""

from __future__ import annotations

import logging
from pathlib import Path

import psutil

from siting._errors import ResourceError
from siting._files import file_suffix

logger = logging.getLogger(__name__)

#: Bytes per allocation column (demand, option) of a capacitated model, build and solve.
BYTES_PER_PAIR = 1500.0
#: Bytes per coverage pair as a matrix entry only (coverage rows, CSR copies, reductions).
BYTES_PER_COVER_PAIR = 200.0
#: HiGHS workspaces, threads and model copies beyond the per-pair figures.
SOLVER_BASE_BYTES = 250e6
#: Bytes per demand point and per option (GeoDataFrame rows, model rows/columns, results).
BYTES_PER_ROW = 2000.0
#: Bytes per network node (coordinates, ids, KD-tree, component labels) and per directed edge.
BYTES_PER_NODE = 300.0
BYTES_PER_EDGE = 200.0
#: Bytes per stored travel time (float64 + int32 index, twice: build and CSR).
BYTES_PER_TIME = 24.0
#: Vehicle classes the travel-time stage runs for (light and heavy).
N_CLASSES = 2
#: Python, numpy, geopandas, HiGHS ... once imported.
BASE_BYTES = 400e6
#: Share of the available memory a run may plan to use (the rest: OS, other programs).
USABLE_SHARE = 0.8

#: In-memory size of a file's content ÷ its size on disk, by suffix. Measured on the bundled
#: data and rounded up: a GeoJSON layer takes about 7× its size as a GeoDataFrame, a road line
#: layer about 40× once noded into a network. OSM XML is about 20× as an osmnx graph; the
#: compressed forms (``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``; see
#: :func:`siting._files.file_suffix`) are about 10× smaller on disk than the XML.
FILE_FACTORS: dict[str, float] = {
    ".geojson": 10.0, ".json": 10.0, ".gpkg": 10.0, ".shp": 10.0, ".csv": 10.0,
    ".txt": 10.0, ".graphml": 20.0, ".osm": 20.0, ".osm.bz2": 200.0, ".osm.gz": 200.0,
    ".osm.pbf": 200.0, ".pbf": 200.0, ".npz": 5.0,
}
#: Extra factor for a line layer read as a road network (noding, graph arrays).
NETWORK_LINE_FACTOR = 5.0
#: Factor for suffixes not listed.
DEFAULT_FILE_FACTOR = 20.0

_GB = 1e9


def estimate_run_bytes(n_demand: int, n_options: int, density: float, n_nodes: int,
                       n_edges: int, *, n_sites: int | None = None, capacitated: bool = True,
                       max_alloc_options: int = 0) -> int:
    """Peak memory of a run, bytes (rough, on the high side).

    Parameters
    ----------
    n_demand
        Demand points (fleet points × pathways × years).
    n_options
        Buildable (site, station type) options.
    density
        Share (0-1) of demand × option pairs within the travel-time threshold, i.e.
        ``cover.nnz / (n_demand * n_options)``. Before coverage is known, 0.2 is typical of a
        city with 10-20 minute thresholds; 1.0 is the worst case.
    n_nodes, n_edges
        Road network size (directed edges).
    n_sites
        Candidate sites (travel times run per site, not per option); None = ``n_options``.
    capacitated, max_alloc_options
        The solver settings: a capacitated model has one allocation column per coverage
        pair, at most ``max_alloc_options`` per demand row when that is > 0 (which also caps
        the coverage pairs).

    Returns
    -------
    int
        Estimated bytes, Python and libraries included.
    """
    density = min(max(float(density), 0.0), 1.0)
    pairs = float(n_demand) * float(n_options) * density
    if capacitated and max_alloc_options > 0:
        pairs = min(pairs, float(n_demand) * max_alloc_options)
    alloc = pairs if capacitated else 0.0
    # Travel times: every site × the nodes within the cutoff; the coverage density is the
    # share of nodes a site reaches, roughly.
    sites = float(n_options if n_sites is None else n_sites)
    times = sites * float(n_nodes) * density * N_CLASSES
    solver = SOLVER_BASE_BYTES if n_demand and n_options else 0.0
    total = (BASE_BYTES + solver + BYTES_PER_COVER_PAIR * pairs + BYTES_PER_PAIR * alloc
             + BYTES_PER_ROW * (float(n_demand) + float(n_options))
             + BYTES_PER_NODE * float(n_nodes) + BYTES_PER_EDGE * float(n_edges)
             + BYTES_PER_TIME * times)
    return int(total)


def available_bytes() -> int:
    """Memory the operating system can give this process now (psutil ``available``), bytes."""
    return int(psutil.virtual_memory().available)


#: What to do when a run does not fit (the default hint of :func:`check_fits`).
SMALLER_RUN_HINT = ("close other programs, use a machine with more memory, or make the problem "
                    "smaller (fewer or aggregated fleet points, shorter threshold_min, fewer "
                    "candidate types, a smaller network extract)")
#: The hint for the MIP: first the capacitated model's allocation columns.
SMALLER_MIP_HINT = ("set [solver] max_alloc_options = 10 (or capacitated = false), close "
                    "other programs, or make the problem smaller (fewer or aggregated fleet "
                    "points, shorter threshold_min, a smaller network extract)")


def check_fits(estimate: int | float, what: str, hint: str = SMALLER_RUN_HINT) -> None:
    """Raise :class:`ResourceError` when ``estimate`` bytes exceed the usable memory.

    Parameters
    ----------
    estimate
        Bytes needed (:func:`estimate_run_bytes`, :func:`file_bytes_in_memory`).
    what
        The file or stage needing it, e.g. ``"data/x/scenario.toml: the MIP"``; starts the
        message.
    hint
        What to do, ending the message.

    Raises
    ------
    ResourceError
        One line with the estimate and the available memory in GB, and what to do.
    """
    avail = available_bytes()
    usable = USABLE_SHARE * avail
    logger.debug("%s: needs ~%.2f GB, %.2f GB available", what, estimate / _GB, avail / _GB)
    if estimate > usable:
        msg = (f"{what}: needs about {estimate / _GB:.1f} GB of memory but only "
               f"{avail / _GB:.1f} GB is available; {hint}")
        raise ResourceError(msg)


def file_bytes_in_memory(path: str | Path, *, network: bool = False) -> int:
    """Estimated memory, bytes, of a file's content once read (size × :data:`FILE_FACTORS`).

    Parameters
    ----------
    path
        The file (a Shapefile counts its ``.shp`` and ``.dbf``).
    network
        True when the file is read as a road network (a line layer is noded into a graph,
        :data:`NETWORK_LINE_FACTOR` more).

    Returns
    -------
    int
        Bytes; 0 when the file does not exist (its absence is reported elsewhere).
    """
    p = Path(path)
    if not p.is_file():
        return 0
    size = p.stat().st_size
    suffix = file_suffix(p)
    if suffix == ".shp":
        dbf = [q for q in p.parent.glob(p.stem + ".*") if q.suffix.lower() == ".dbf"]
        size += sum(q.stat().st_size for q in dbf)
    factor = FILE_FACTORS.get(suffix, DEFAULT_FILE_FACTOR)
    if network and suffix in (".geojson", ".json", ".gpkg", ".shp", ".csv", ".txt"):
        factor *= NETWORK_LINE_FACTOR
    return int(size * factor)


def check_file_size(path: str | Path, what: str, *, network: bool = False) -> None:
    """Refuse a file whose content would not fit in memory once read.

    Parameters
    ----------
    path
        The input file.
    what
        The scenario field naming it (``"demand.path"``, ``"network.path"`` ...).
    network
        The file is the road network (see :func:`file_bytes_in_memory`).

    Raises
    ------
    ResourceError
        With the file size, the estimate and the available memory.
    """
    p = Path(path)
    need = file_bytes_in_memory(p, network=network)
    if need == 0:
        return
    size_mb = p.stat().st_size / 1e6
    check_fits(BASE_BYTES + need, f"{p} (field '{what}', {size_mb:,.0f} MB on disk, about "
                                  f"{need / _GB:.1f} GB once read)")


def check_scenario_files(sc: object) -> None:
    """:func:`check_file_size` for the network and every layer a scenario names.

    Parameters
    ----------
    sc
        A :class:`siting.scenario.Scenario`.

    Raises
    ------
    ResourceError
        For the first file that would not fit.
    """
    specs: list[tuple[str, object, bool]] = [
        ("network.path", getattr(sc, "network", None), True),
        ("demand.path", getattr(sc, "demand", None), False),
        ("candidates.path", getattr(sc, "candidates", None), False),
        ("existing.path", getattr(sc, "existing", None), False),
        ("zones.path", getattr(sc, "zones", None), False),
        ("hydrogen.supply.path", getattr(getattr(sc, "hydrogen", None), "supply", None), False),
        ("setbacks.sites.path", getattr(getattr(sc, "setbacks", None), "sites", None), False),
        ("grid.substations.path", getattr(getattr(sc, "grid", None), "substations", None),
         False),
    ]
    for field, spec, network in specs:
        path = getattr(spec, "path", None) if spec is not None else None
        if path is not None:
            check_file_size(path, field, network=network)


__all__ = ["available_bytes", "check_file_size", "check_fits", "check_scenario_files",
           "estimate_run_bytes", "file_bytes_in_memory"]
