"""Synthetic benchmark inputs: random MCLP instances, road-like graphs, a synthetic city scenario,
a road-like OpenStreetMap extract (.osm.pbf / .osm XML).

Everything is seeded (``numpy.random.default_rng``), so two runs with the same arguments build
the same bytes. Geometry is made in UTM zone 49N (EPSG:32649, metres) around Suizhou and
converted to WGS84 (EPSG:4326) where a layer or a :class:`~siting.network.RoadNetwork` needs
it. Nothing here is real data: the city scenario is a stress test, not a plan.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from siting.model import ModelInput
from siting.network import RoadNetwork, save_network

log = logging.getLogger(__name__)

#: Metric CRS of every synthetic coordinate (UTM 49N, metres).
METRIC_CRS = "EPSG:32649"
#: South-west corner of the synthetic areas (WGS84), a little south-west of Suizhou's centre.
ORIGIN_LONLAT = (113.20, 31.55)

_TO_M = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_TO_LL = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


# =========================================================================== MCLP
@dataclass(frozen=True)
class MclpInstance:
    """A random maximal-covering instance: points in a square, integer weights.

    Attributes
    ----------
    demand_xy
        (n_demand, 2) metres, uniform in ``[0, side_m]²``.
    site_xy
        (n_sites, 2) metres, uniform in the same square.
    weight
        (n_demand,) float64 integer weights 1..100.
    p
        Number of facilities to open (``n_sites // 10``).
    """

    demand_xy: npt.NDArray[np.float64]
    site_xy: npt.NDArray[np.float64]
    weight: npt.NDArray[np.float64]
    p: int

    @property
    def n_demand(self) -> int:
        """Number of demand points."""
        return len(self.demand_xy)

    @property
    def n_sites(self) -> int:
        """Number of candidate sites."""
        return len(self.site_xy)


def random_mclp(n_demand: int, n_sites: int, *, side_m: float = 20_000.0, seed: int = 0,
                p: int | None = None) -> MclpInstance:
    """A uniform random MCLP instance.

    Parameters
    ----------
    n_demand, n_sites
        Numbers of demand points and candidate sites.
    side_m
        Side of the square, metres.
    seed
        Random seed.
    p
        Facilities to open; default ``max(1, n_sites // 10)``.

    Returns
    -------
    MclpInstance
    """
    rng = np.random.default_rng(seed)
    dem = rng.uniform(0.0, side_m, (n_demand, 2))
    site = rng.uniform(0.0, side_m, (n_sites, 2))
    w = rng.integers(1, 101, n_demand).astype(np.float64)
    return MclpInstance(dem, site, w, max(1, n_sites // 10) if p is None else int(p))


def clustered_mclp(n_points: int, *, seed: int = 0, side_m: float = 12_000.0,
                   n_towns: int | None = None, p: int = 8) -> MclpInstance:
    """A real-world-like MCLP instance: demand concentrated in towns, sites = demand points.

    Like the instances of the MCLP literature built from a city's blocks (a few hundred to a
    few thousand points, every point a candidate site), unlike :func:`random_mclp`'s uniform
    square: ``n_towns`` centres (default ``n_points // 40``, at least 3) uniform in a
    ``side_m`` square, town sizes Pareto(1.2)-distributed, points normal around their town
    with a spread of 200-900 m, integer weights lognormal(4, 1) (a few large blocks, many
    small ones). Each point is also a candidate site (``site_xy`` is ``demand_xy``), so every
    point covers itself at distance 0.

    Parameters
    ----------
    n_points
        Demand points (= candidate sites).
    seed
        Random seed.
    side_m
        Side of the square holding the town centres, metres.
    n_towns
        Number of towns.
    p
        Facilities to open.

    Returns
    -------
    MclpInstance
    """
    rng = np.random.default_rng(seed)
    k = n_towns or max(3, n_points // 40)
    centre = rng.uniform(0.0, side_m, (k, 2))
    size = rng.pareto(1.2, k) + 1.0
    town = rng.choice(k, n_points, p=size / size.sum())
    spread = rng.uniform(200.0, 900.0, k)
    xy = centre[town] + rng.normal(0.0, 1.0, (n_points, 2)) * spread[town, None]
    w = np.maximum(1.0, np.round(rng.lognormal(4.0, 1.0, n_points)))
    return MclpInstance(xy, xy.copy(), w, int(p))


def sparse_cover(demand_xy: npt.NDArray[np.float64], site_xy: npt.NDArray[np.float64],
                 radius_m: float) -> sp.csr_matrix:
    """Sparse (n_demand, n_sites) straight-line distances, m, kept where ``<= radius_m``.

    Uses a pair of KD-trees (``cKDTree.sparse_distance_matrix``); a coincident pair is kept
    as an explicit 0.0 entry (an entry present means "covers").
    """
    a, b = cKDTree(demand_xy), cKDTree(site_xy)
    pairs = a.sparse_distance_matrix(b, max_distance=float(radius_m), output_type="ndarray")
    i, j, d = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64), pairs["v"]
    order = np.lexsort((j, i))
    i, j, d = i[order], j[order], d[order]
    indptr = np.zeros(len(demand_xy) + 1, dtype=np.int64)
    np.cumsum(np.bincount(i, minlength=len(demand_xy)), out=indptr[1:])
    out = sp.csr_matrix((d.astype(np.float64), j.astype(np.int32), indptr),
                        shape=(len(demand_xy), len(site_xy)))
    out.has_sorted_indices = True
    return out


def mclp_model_input(inst: MclpInstance, cover: sp.csr_matrix) -> ModelInput:
    """The MCLP as a siting :class:`~siting.model.ModelInput`.

    One option per site, cost 1 (so the budget is the facility count ``p``), uncapacitated,
    weight = energy = the instance weight, a single period.
    """
    m = inst.n_sites
    return ModelInput(
        weight=inst.weight, energy=inst.weight.copy(),
        year=np.zeros(inst.n_demand, dtype=np.int64), cover=cover,
        option_site=np.arange(m, dtype=np.int64), option_cost=np.ones(m),
        option_capacity=np.full(m, np.inf), option_existing=np.zeros(m, dtype=bool),
        budget_total=float(inst.p), source=f"random MCLP {inst.n_demand}x{m}")


def dense_cost_matrix(inst: MclpInstance) -> npt.NDArray[np.float64]:
    """Full (n_demand, n_sites) straight-line distance matrix, m (what spopt takes)."""
    from scipy.spatial.distance import cdist

    return cdist(inst.demand_xy, inst.site_xy)


# =========================================================================== road graphs
#: Road classes of the synthetic grid: local streets, arterials every 10th line, trunks
#: every 40th (speeds come from the scenario defaults: 25 / 50 / 70 km/h for light vehicles).
GRID_CLASSES = ("residential", "primary", "trunk")


def road_grid(n_nodes: int, *, spacing_m: float = 100.0, drop: float = 0.10,
              arterial_every: int = 10, trunk_every: int = 40, jitter: float = 0.3,
              seed: int = 0, origin_lonlat: tuple[float, float] = ORIGIN_LONLAT,
              source: str | None = None) -> RoadNetwork:
    """A road-like graph: a jittered square grid with missing blocks and fast arterials.

    Parameters
    ----------
    n_nodes
        Target node count; the grid is ``k x ceil(n/k)`` with ``k = ceil(sqrt(n))``, then
        reduced to its largest connected component (a few percent fewer nodes).
    spacing_m
        Block size, metres.
    drop
        Share of local-street edges removed at random (arterials and trunks are kept whole).
    arterial_every, trunk_every
        Every n-th grid row/column is a ``primary`` / ``trunk`` road.
    jitter
        Node displacement, as a share of ``spacing_m`` (uniform in ±jitter).
    seed
        Random seed.
    origin_lonlat
        WGS84 position of the grid's south-west corner.
    source
        Description kept on the network.

    Returns
    -------
    RoadNetwork
        Two-way roads (each edge in both directions), straight-line edge lengths in metres,
        ``x``/``y`` in EPSG:32649, ``node_id`` = 0..n-1, marked schematic.
    """
    rng = np.random.default_rng(seed)
    k = max(2, math.ceil(math.sqrt(n_nodes)))
    rows = max(2, math.ceil(n_nodes / k))
    ix, iy = np.meshgrid(np.arange(k), np.arange(rows))
    ix, iy = ix.ravel(), iy.ravel()
    x0, y0 = _TO_M.transform(*origin_lonlat)
    x = x0 + (ix + rng.uniform(-jitter, jitter, ix.size)) * spacing_m
    y = y0 + (iy + rng.uniform(-jitter, jitter, iy.size)) * spacing_m
    node = np.arange(ix.size).reshape(rows, k)

    def line_class(idx: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        c = np.zeros(idx.size, dtype=np.int64)
        c[idx % arterial_every == 0] = 1
        c[idx % trunk_every == 0] = 2
        return c

    # horizontal edges along row iy, vertical along column ix
    hu, hv = node[:, :-1].ravel(), node[:, 1:].ravel()
    hc = line_class(np.repeat(np.arange(rows), k - 1))
    vu, vv = node[:-1, :].ravel(), node[1:, :].ravel()
    vc = line_class(np.tile(np.arange(k), rows - 1))
    u = np.concatenate([hu, vu])
    v = np.concatenate([hv, vv])
    c = np.concatenate([hc, vc])
    keep = (c > 0) | (rng.random(u.size) >= drop)
    u, v, c = u[keep], v[keep], c[keep]
    # the largest connected component only
    n = ix.size
    adj = sp.coo_matrix((np.ones(u.size), (u, v)), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    big = np.argmax(np.bincount(label))
    alive = label == big
    remap = np.cumsum(alive) - 1
    ok = alive[u] & alive[v]
    u, v, c = remap[u[ok]], remap[v[ok]], c[ok]
    x, y = x[alive], y[alive]
    lon, lat = _TO_LL.transform(x, y)
    length = np.hypot(x[v] - x[u], y[v] - y[u])
    classes = np.asarray(GRID_CLASSES, dtype=object)[np.concatenate([c, c])]
    return RoadNetwork(
        node_id=np.arange(x.size, dtype=np.int64), lon=np.asarray(lon, dtype=np.float64),
        lat=np.asarray(lat, dtype=np.float64), x=np.asarray(x, dtype=np.float64),
        y=np.asarray(y, dtype=np.float64), crs=METRIC_CRS,
        edge_u=np.concatenate([u, v]).astype(np.int32),
        edge_v=np.concatenate([v, u]).astype(np.int32),
        edge_length_m=np.concatenate([length, length]), edge_class=classes,
        source=source or f"synthetic jittered grid ({x.size} nodes, seed {seed})",
        schematic=True)


def to_networkx(net: RoadNetwork, weights_s: npt.NDArray[np.float64]):  # -> nx.DiGraph
    """A networkx DiGraph of ``net`` with edge attribute ``weight`` (s; min over parallels)."""
    import networkx as nx

    G = nx.DiGraph()
    G.add_nodes_from(range(net.n_nodes))
    best: dict[tuple[int, int], float] = {}
    for a, b, w in zip(net.edge_u.tolist(), net.edge_v.tolist(), weights_s.tolist()):
        if a != b and w < best.get((a, b), math.inf):
            best[(a, b)] = w
    G.add_weighted_edges_from((a, b, w) for (a, b), w in best.items())
    return G


# =========================================================================== city scenario
#: Segments of the synthetic city (as in the bundled Suizhou scenario, one year).
_SEGMENTS = """
[[segments]]
id = "sanitation"
name = "环卫作业车辆"
vehicle_class = "heavy"
threshold_min = 15.0
kwh_per_km = 1.3
h2_kg_per_km = 0.07
nev_share = { "2025" = 0.4 }
pathway_split = { swap = 0.45, charging = 0.45, hydrogen = 0.1 }

[[segments]]
id = "municipal"
name = "市政园林车辆"
vehicle_class = "light"
threshold_min = 15.0
kwh_per_km = 0.6
h2_kg_per_km = 0.03
nev_share = { "2025" = 0.4 }
pathway_split = { charging = 0.9, hydrogen = 0.1 }

[[segments]]
id = "logistics"
name = "城市物流配送车辆"
vehicle_class = "light"
threshold_min = 10.0
kwh_per_km = 0.35
h2_kg_per_km = 0.02
nev_share = { "2025" = 0.4 }
pathway_split = { swap = 0.1, charging = 0.8, hydrogen = 0.1 }

[[segments]]
id = "muck_truck"
name = "渣土车"
vehicle_class = "heavy"
threshold_min = 20.0
kwh_per_km = 1.9
h2_kg_per_km = 0.09
nev_share = { "2025" = 0.3 }
pathway_split = { swap = 0.7, hydrogen = 0.3 }
"""

_STATION_TYPES = """
[[station_types]]
id = "swap_heavy"
serves = ["swap"]
capex = 6000000.0
capacity = 15000.0
capacity_unit = "kWh/day"

[[station_types]]
id = "charging_hub"
serves = ["charging"]
capex = 2000000.0
capacity = 9600.0
capacity_unit = "kWh/day"

[[station_types]]
id = "depot_charging"
serves = ["charging"]
capex = 800000.0
capacity = 4800.0
capacity_unit = "kWh/day"

[[station_types]]
id = "hydrogen_onsite"
serves = ["hydrogen"]
capex = 19000000.0
capacity = 500.0
capacity_unit = "kg/day"
onsite_production = true

[[station_types]]
id = "integrated"
serves = ["swap", "charging", "hydrogen"]
capex = 16500000.0
capacity = 24600.0
capacity_unit = "kWh/day"
h2_capacity_kg = 500.0
"""

#: Segment shares of fleet points and their number of pathways (demand rows per point).
_SEGMENT_MIX = {"sanitation": (0.40, 3), "logistics": (0.45, 3), "municipal": (0.10, 2),
                "muck_truck": (0.05, 2)}
#: allowed_types of candidate sites and their shares.
_SITE_MIX = {"depot_charging;charging_hub": 0.40, "charging_hub;swap_heavy": 0.30,
             "swap_heavy;hydrogen_onsite": 0.15, "charging_hub;swap_heavy;integrated": 0.15}


@dataclass(frozen=True)
class CityFiles:
    """What :func:`write_city_scenario` wrote."""

    scenario: Path
    n_fleet: int
    n_demand_expected: int
    n_candidates: int
    n_nodes: int
    n_edges: int


def write_city_scenario(folder: Path, *, n_demand: int = 100_000, n_candidates: int = 2_000,
                        n_nodes: int = 200_000, seed: int = 7, time_limit_s: float = 120.0,
                        capacitated: bool = True, budget_stations: int | None = None,
                        max_alloc_options: int = 0
                        ) -> CityFiles:
    """Write a synthetic city (road .npz, fleet and candidate GeoPackages, scenario.toml).

    Parameters
    ----------
    folder
        Output folder (created).
    n_demand
        Target number of demand rows (fleet points × pathways, one year); the fleet layer
        gets about ``n_demand / 2.85`` points.
    n_candidates
        Candidate sites.
    n_nodes
        Road graph size (see :func:`road_grid`, 100 m blocks: 200k nodes ≈ 45 km square).
    seed
        Random seed.
    time_limit_s
        Solver time limit written into the scenario, s.
    capacitated
        Scenario ``solver.capacitated``.
    max_alloc_options
        Scenario ``solver.max_alloc_options`` (0 = every option within the threshold).
    budget_stations
        Budget as a number of average stations (3 M CNY each); default ``n_candidates / 12``.

    Returns
    -------
    CityFiles
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    net = road_grid(n_nodes, seed=seed, source=f"synthetic city grid ({n_nodes} nodes)")
    save_network(net, folder / "roads.npz")
    xmin, xmax = float(net.x.min()), float(net.x.max())
    ymin, ymax = float(net.y.min()), float(net.y.max())

    # fleet points: clustered around depots/parks (70 %) plus scattered work areas (30 %)
    avg_rows = sum(s * r for s, r in _SEGMENT_MIX.values())
    n_fleet = max(1, round(n_demand / avg_rows))
    n_centres = max(5, n_fleet // 700)
    cx = rng.uniform(xmin, xmax, n_centres)
    cy = rng.uniform(ymin, ymax, n_centres)
    clustered = rng.random(n_fleet) < 0.7
    pick = rng.integers(0, n_centres, n_fleet)
    fx = np.where(clustered, cx[pick] + rng.normal(0, 1500, n_fleet), rng.uniform(xmin, xmax,
                                                                                  n_fleet))
    fy = np.where(clustered, cy[pick] + rng.normal(0, 1500, n_fleet), rng.uniform(ymin, ymax,
                                                                                  n_fleet))
    fx, fy = np.clip(fx, xmin, xmax), np.clip(fy, ymin, ymax)
    segs = list(_SEGMENT_MIX)
    seg = rng.choice(segs, n_fleet, p=[_SEGMENT_MIX[s][0] for s in segs])
    vehicles = rng.integers(1, 21, n_fleet)
    daily_km = rng.integers(40, 161, n_fleet)
    flon, flat = _TO_LL.transform(fx, fy)
    fleet = gpd.GeoDataFrame(
        {"fleet_id": [f"F{i:06d}" for i in range(n_fleet)], "segment": seg,
         "vehicles": vehicles, "daily_km": daily_km},
        geometry=gpd.points_from_xy(flon, flat), crs="EPSG:4326")
    fleet.to_file(folder / "fleet.gpkg", driver="GPKG", engine="pyogrio")
    n_rows = int(sum(_SEGMENT_MIX[s][1] for s in seg))

    # candidates: near the fleet clusters (60 %) or anywhere (40 %)
    near = rng.random(n_candidates) < 0.6
    pick = rng.integers(0, n_centres, n_candidates)
    sx = np.where(near, cx[pick] + rng.normal(0, 2500, n_candidates),
                  rng.uniform(xmin, xmax, n_candidates))
    sy = np.where(near, cy[pick] + rng.normal(0, 2500, n_candidates),
                  rng.uniform(ymin, ymax, n_candidates))
    sx, sy = np.clip(sx, xmin, xmax), np.clip(sy, ymin, ymax)
    kinds = list(_SITE_MIX)
    allowed = rng.choice(kinds, n_candidates, p=list(_SITE_MIX.values()))
    slon, slat = _TO_LL.transform(sx, sy)
    cand = gpd.GeoDataFrame(
        {"site_id": [f"S{i:05d}" for i in range(n_candidates)],
         "name": [f"候选站点 {i}" for i in range(n_candidates)], "allowed_types": allowed},
        geometry=gpd.points_from_xy(slon, slat), crs="EPSG:4326")
    cand.to_file(folder / "candidates.gpkg", driver="GPKG", engine="pyogrio")

    stations = budget_stations or max(5, n_candidates // 12)
    toml = f"""# Synthetic benchmark city (benchmarks/_instances.py, seed {seed}); NOT real data.
name = "合成基准城市 {n_fleet} 车队点"
name_en = "Synthetic benchmark city ({n_fleet} fleet points)"
years = [2025]
weight = "vehicles"
lang = "en"

[network]
path = "roads.npz"
schematic = true
provenance = "synthetic jittered grid, {net.n_nodes} nodes, seed {seed} (benchmark only)"

[demand]
path = "fleet.gpkg"

[candidates]
path = "candidates.gpkg"

[budget]
total = {stations * 3_000_000.0}

[solver]
name = "highs"
time_limit_s = {float(time_limit_s)}
mip_gap = 0.0
threads = 2
capacitated = {"true" if capacitated else "false"}
max_alloc_options = {int(max_alloc_options)}
{_SEGMENTS}{_STATION_TYPES}"""
    path = folder / "scenario.toml"
    path.write_text(toml, encoding="utf-8")
    log.info("synthetic city in %s: %d fleet points, %d candidates, %d nodes", folder,
             n_fleet, n_candidates, net.n_nodes)
    return CityFiles(path, n_fleet, n_rows, n_candidates, net.n_nodes, net.n_edges)


# =========================================================================== OSM extract
#: Highway class of the synthetic extract's grid lines (every n-th line; the rest residential).
_OSM_LINE_CLASSES = ((40, "trunk"), (10, "primary"), (5, "secondary"))
#: Extra tags per class (a real extract carries names, speeds and lanes on most roads).
_OSM_CLASS_TAGS = {"trunk": {"maxspeed": "70", "lanes": "4", "surface": "asphalt"},
                   "primary": {"maxspeed": "50", "lanes": "4", "surface": "asphalt"},
                   "secondary": {"maxspeed": "40", "lanes": "2"},
                   "residential": {}}
#: Mean shape (intermediate) vertices per street segment; share of segments with a spur
#: (a ``service`` driveway or a ``footway``, which siting leaves out and osmnx keeps).
_OSM_SHAPE_MEAN = 3.0
_OSM_SPUR_SHARE = 0.2
_OSM_SPUR_NODES = 2


@dataclass(frozen=True)
class OsmCity:
    """What :func:`write_osm_city` wrote.

    Attributes
    ----------
    paths
        The files (one per requested path; the suffix picks the format).
    n_nodes, n_ways
        OSM nodes and ways in each file.
    drivable_nodes
        Nodes on the ways siting's fleet road filter keeps (the expected graph size).
    drivable_edges
        Directed edges those ways give (two per segment, one on ``oneway`` ways).
    """

    paths: tuple[Path, ...]
    n_nodes: int
    n_ways: int
    drivable_nodes: int
    drivable_edges: int


@dataclass(frozen=True)
class _OsmPlan:
    """Node coordinates and ways of a synthetic extract (ids are 1-based, in file order)."""

    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    signal_ids: frozenset[int]
    ways: list[tuple[npt.NDArray[np.int64], dict[str, str]]]


def osm_city_nodes_per_junction() -> float:
    """Average OSM nodes the synthetic extract spends per grid junction."""
    return 1.0 + 2.0 * _OSM_SHAPE_MEAN + 2.0 * _OSM_SPUR_SHARE * _OSM_SPUR_NODES


def _line_class(line: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    cls = np.full(line.size, "residential", dtype=object)
    for every, name in reversed(_OSM_LINE_CLASSES):  # the rarest class wins
        cls[line % every == 0] = name
    return cls


def _osm_city_plan(n_nodes: int, *, seed: int, spacing_m: float = 150.0,
                   drop: float = 0.08) -> _OsmPlan:
    """Lay out a road-like OSM extract of about ``n_nodes`` nodes (see :func:`write_osm_city`)."""
    rng = np.random.default_rng(seed)
    k = max(3, math.ceil(math.sqrt(n_nodes / osm_city_nodes_per_junction())))
    x0, y0 = _TO_M.transform(*ORIGIN_LONLAT)
    gx, gy = np.meshgrid(np.arange(k), np.arange(k))
    jx = x0 + (gx.ravel() + rng.uniform(-0.25, 0.25, k * k)) * spacing_m
    jy = y0 + (gy.ravel() + rng.uniform(-0.25, 0.25, k * k)) * spacing_m
    # street segments along each grid line, in line order: rows (lines 0..k-1), then columns
    pos = np.tile(np.arange(k - 1), k)
    fixed = np.repeat(np.arange(k), k - 1)
    a = np.concatenate([fixed * k + pos, pos * k + fixed])
    b = np.concatenate([fixed * k + pos + 1, (pos + 1) * k + fixed])
    line = np.concatenate([fixed, fixed + k])
    cls = _line_class(line % k)
    keep = (cls != "residential") | (rng.random(a.size) >= drop)
    a, b, line, cls, pos = a[keep], b[keep], line[keep], cls[keep], np.tile(pos, 2)[keep]
    # shape vertices: evenly along the segment, pushed sideways by up to 8 m
    n_shape = rng.poisson(_OSM_SHAPE_MEAN, a.size)
    seg = np.repeat(np.arange(a.size), n_shape)
    rank = np.arange(seg.size) - np.repeat(np.cumsum(n_shape) - n_shape, n_shape)
    t = (rank + 1) / (n_shape[seg] + 1)
    dx, dy = jx[b[seg]] - jx[a[seg]], jy[b[seg]] - jy[a[seg]]
    side = rng.uniform(-8.0, 8.0, seg.size) / np.maximum(np.hypot(dx, dy), 1e-9)
    sx = jx[a[seg]] + t * dx - side * dy
    sy = jy[a[seg]] + t * dy + side * dx
    shape_id = k * k + 1 + np.arange(seg.size)
    # per segment: its first junction then its shape vertices (ways are slices of this)
    flat = np.empty(a.size + seg.size, dtype=np.int64)
    off = np.cumsum(1 + n_shape) - (1 + n_shape)
    flat[off] = a + 1
    flat[off[seg] + 1 + rank] = shape_id
    # a way ends at a gap, at the end of a line, or at random (1-8 segments, ~4 on average)
    new = np.ones(a.size, dtype=bool)
    new[1:] = (line[1:] != line[:-1]) | (pos[1:] != pos[:-1] + 1) | (rng.random(a.size - 1)
                                                                     < 0.25)
    first = np.flatnonzero(new)
    last = np.append(first[1:], a.size) - 1
    ways = []
    for f, e in zip(first.tolist(), last.tolist()):
        nodes = np.append(flat[off[f]:off[e] + 1 + n_shape[e]], b[e] + 1)
        c = str(cls[f])
        ln = int(line[f])
        tags = {"highway": c, "name": (f"纬{ln}路" if ln < k else f"经{ln - k}路"),
                **_OSM_CLASS_TAGS[c]}
        if c == "residential":
            r = rng.random()
            if r < 0.05:
                tags["oneway"] = "yes"
            elif r < 0.06:
                tags["oneway"] = "-1"
            elif r < 0.08:
                tags["access"] = "private"
        ways.append((nodes, tags))
    # spurs from a segment's first vertex: service driveways and footways, 40-70 m long
    spur_seg = np.flatnonzero(rng.random(a.size) < 2 * _OSM_SPUR_SHARE)
    base = flat[off[spur_seg] + (n_shape[spur_seg] > 0)] - 1
    bx = np.concatenate([jx, sx])[base]
    by = np.concatenate([jy, sy])[base]
    vert = line[spur_seg] < k  # spurs leave a horizontal street northwards, a vertical east
    step = rng.uniform(20.0, 35.0, spur_seg.size)
    px = np.concatenate([bx + np.where(vert, 0, step * (i + 1)) for i in range(_OSM_SPUR_NODES)])
    py = np.concatenate([by + np.where(vert, step * (i + 1), 0) for i in range(_OSM_SPUR_NODES)])
    spur_id = shape_id[-1] + 1 if seg.size else k * k + 1
    ids = spur_id + np.arange(px.size).reshape(_OSM_SPUR_NODES, -1)
    kinds = np.where(rng.random(spur_seg.size) < 0.7, "service", "footway")
    for n, kind in enumerate(kinds.tolist()):
        ways.append((np.array([base[n] + 1, *ids[:, n]], dtype=np.int64), {"highway": kind}))
    lon, lat = _TO_LL.transform(np.concatenate([jx, sx, px]), np.concatenate([jy, sy, py]))
    major = np.asarray(cls != "residential")
    signals = frozenset((np.unique(np.concatenate([a[major], b[major]])) + 1).tolist()[::7])
    return _OsmPlan(np.asarray(lon), np.asarray(lat), signals, ways)


def write_osm_city(paths: Sequence[Path], n_nodes: int, *, seed: int = 0) -> OsmCity:
    """Write a synthetic road-like OpenStreetMap extract with pyosmium.

    A jittered grid of junctions 150 m apart; each street segment has ~3 shape vertices
    pushed up to 8 m sideways; every 40th line is a ``trunk``, every 10th ``primary``, every
    5th ``secondary``, the rest ``residential`` (8 % of their segments missing, 5 % of their
    ways ``oneway=yes``, 1 % ``oneway=-1``, 2 % ``access=private``). Ways run 1-8 segments
    (new way at gaps). 20 % of segments carry a 3-node ``service`` or ``footway`` spur, every
    way has a ``name`` (UTF-8), main roads ``maxspeed``/``lanes``/``surface``, and some
    junctions ``highway=traffic_signals``. Nothing is real data.

    Parameters
    ----------
    paths
        Files to write, the same data to each; the suffix picks the format (``.osm.pbf``,
        ``.osm`` XML, ``.osm.bz2`` ...). Existing files are overwritten.
    n_nodes
        Target OSM node count (the grid side is chosen to give about this many).
    seed
        Random seed.

    Returns
    -------
    OsmCity
        Counts, including the graph siting's road filter should build (drivable nodes and
        directed edges), worked out from the layout itself.
    """
    import osmium
    from osmium.osm.mutable import Node, Way

    plan = _osm_city_plan(n_nodes, seed=seed)
    writers = [osmium.SimpleWriter(str(p), overwrite=True) for p in paths]
    drivable: list[npt.NDArray[np.int64]] = []
    n_edges = 0
    try:
        signal = {"highway": "traffic_signals"}
        node = Node(id=1, location=(0.0, 0.0))  # one object, refilled: 2x faster
        for nid, lon, lat in zip(range(1, plan.lon.size + 1), plan.lon.tolist(),
                                 plan.lat.tolist()):
            node.id, node.location = nid, (lon, lat)
            node.tags = signal if nid in plan.signal_ids else None
            for w in writers:
                w.add_node(node)
        for wid, (nodes, tags) in enumerate(plan.ways, start=1):
            way = Way(id=wid, nodes=nodes.tolist(), tags=tags)
            for w in writers:
                w.add_way(way)
            if tags["highway"] not in ("service", "footway") and "access" not in tags:
                drivable.append(nodes)
                n_edges += (len(nodes) - 1) * (1 if "oneway" in tags else 2)
    finally:
        for w in writers:
            w.close()
    n_drivable = int(np.unique(np.concatenate(drivable)).size) if drivable else 0
    return OsmCity(tuple(Path(p) for p in paths), int(plan.lon.size), len(plan.ways),
                   n_drivable, n_edges)
