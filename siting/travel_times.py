"""The travel-time engine: road graph -> sparse matrix of shortest travel times (seconds).

One bounded shortest-path search per distinct source node gives the travel time to every node
reachable within a cutoff. The output is a ``scipy.sparse.csr_matrix`` of shape
``(n_sources, n_nodes)`` in seconds, where **an entry present means reachable** and explicit
zeros are kept (a source reaches its own node in 0 s).

How it is computed, and why (CPU seconds on the 2-core dev machine, scipy 1.17, old engine ->
this one measured side by side; "grid" = the benchmarks' jittered 100 m grid, 10 % of street
edges missing, primary roads every 10th line and trunks every 40th, light-vehicle speeds
25/50/70 km/h, random sources):

- The graph becomes one CSR adjacency (minimum weight over parallel edges) handed to
  ``scipy.sparse.csgraph.dijkstra`` with ``limit=cutoff_s``. Duplicate sources are searched
  once. scipy fills a dense ``sources x nodes`` float64 block, so a chunk runs in blocks of at
  most ``block_bytes`` (4 MiB), each turned into sparse rows at once.
- **Reach cut** (``method="bounded"``, and "auto" unless the cutoff is infinite): sources are
  ordered along a Z-curve and cut into chunks of :data:`CUT_CHUNK`; per chunk, one
  multi-source pass (``dijkstra(..., min_only=True)``, same limit) marks the nodes within the
  cutoff of at least one of its sources, and the chunk's searches run on the sub-graph
  induced by those nodes. The result is the full graph's, bit for bit: a shortest path of
  time <= cutoff only visits nodes within the cutoff of its source (weights >= 0), so it lies
  in the sub-graph, and the sub-graph has no shorter paths. "auto" uses the full graph for a
  chunk whose sub-graph holds more than :data:`AUTO_MAX_SHARE` of the nodes. This replaces a
  straight-line bound (the chunk's box grown by cutoff x the fastest edge's straight-line
  speed), which fast roads degenerate: 17.5 km for 15 min on a 70 km/h trunk, so every box
  covered most of a 45 km city and the engine ran on the full graph.
- Where the time goes: scipy's search costs ~260-300 ns per node *reached* (its heap work),
  nearly whatever the graph's size; the O(n_nodes) part per source (state, dense row, its
  conversion) is small beside it once the reach is large. 200k-node grid, cutoff 900 s, 35.7k
  nodes reached per source on average: ~9 ms of search per source on the full graph, ~10 %
  less on the tightest possible sub-graph. So on such graphs the cut gains little by itself;
  the gains below come from doing the rest once per chunk (one sub-graph, one reach pass)
  and no more than once per entry (no re-sorting, no re-concatenation, no per-half re-cut).
  A faster search needs a compiled kernel or fewer nodes to search.
- Figures (old -> new): grid 50k nodes, 1,000 sources, cutoff 432 s: 2.06 -> 1.50 s
  (networkx ``single_source_dijkstra_path_length``, same cutoff: ~34 s); grid 200k nodes,
  1,000 sources, cutoff 900 s: 14.1 -> 11.1 s (~9 s of it scipy's search); uniform 40 km/h
  grid of 250k nodes, 5,000 sources, 270 s: 3.17 -> 2.19 s; the tests' 50k grid (30 km/h,
  360 s): 0.45 -> 0.32 s (networkx 8.2 s).
- Memory: every chunk's rows are held until the output is assembled, so the output's
  ``data`` is filled first, freeing each chunk's data as it is copied (and handing the freed
  heap back to the OS), then ``indices``. Peak during a call, over (graph + result): 1.62x on
  the 50k grid and 1.63x on the 200k grid with tracemalloc, 1.62x and 1.59x resident (1.9-2.0x
  before, when the whole output and all chunks coexisted). The test allows 1.7x.

Node indices are positions in :class:`~siting.network.RoadNetwork` arrays; all times in seconds,
distances in metres of the network's metric CRS.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

if TYPE_CHECKING:
    from siting.network import RoadNetwork

logger = logging.getLogger(__name__)

#: Default memory budget for one dense dijkstra block (bytes).
DEFAULT_BLOCK_BYTES = 4 * 2**20
#: Largest number of sources per chunk without the reach cut.
MAX_CHUNK = 256
#: Sources per chunk with the reach cut (one multi-source pass and one sub-graph each).
CUT_CHUNK = 32
#: "auto" drops the reach cut of a chunk whose sub-graph holds more than this share of nodes.
AUTO_MAX_SHARE = 0.8
#: Rows at least this long (entries, on average) are copied into the output one slice each.
_LONG_ROWS = 256

Method = Literal["auto", "full", "bounded"]


# --------------------------------------------------------------------------- weights and graph
def edge_weights_s(net: RoadNetwork, speeds_table: dict[str, dict[str, float]],
                   vehicle_class: str) -> np.ndarray:
    """Travel time of every directed edge, in seconds.

    Parameters
    ----------
    net
        The road network.
    speeds_table
        ``{road_class: {"light": kph, "heavy": kph}}``; see
        :meth:`~siting.network.RoadNetwork.edge_speeds_kph` for the class fallbacks.
    vehicle_class
        ``"light"`` or ``"heavy"``.

    Returns
    -------
    numpy.ndarray
        float64, one per directed edge: ``edge_length_m / (speed_kph / 3.6)``.
    """
    speeds = net.edge_speeds_kph(speeds_table, vehicle_class)
    return np.asarray(net.edge_length_m, dtype=np.float64) / (speeds / 3.6)


def adjacency_csr(net: RoadNetwork, weights_s: np.ndarray, *,
                  reverse: bool = False) -> sp.csr_matrix:
    """The directed graph as a CSR matrix of edge weights (minimum over parallel edges).

    Parameters
    ----------
    net
        The road network (``edge_u -> edge_v`` directed edges, node indices).
    weights_s
        One non-negative weight per directed edge (seconds, or any additive unit).
    reverse
        Transpose the graph (every edge points the other way).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n_nodes, n_nodes)``; entry ``[u, v]`` = weight of the cheapest ``u -> v`` edge.
        Zero-weight edges are stored as explicit zeros (csgraph treats them as edges).
        Self-loops are dropped.
    """
    w = _check_weights(net, weights_s)
    u = np.asarray(net.edge_u, dtype=np.int64)
    v = np.asarray(net.edge_v, dtype=np.int64)
    if reverse:
        u, v = v, u
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    n = net.n_nodes
    # sort by (u, v) with one int64 key; parallel edges then sit together: keep their minimum
    key = u * n + v
    order = np.argsort(key, kind="stable")
    key, w = key[order], w[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    if not first.all():
        w = np.minimum.reduceat(w, np.nonzero(first)[0]) if len(w) else w
        key = key[first]
    u, v = key // n, key % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    idx_dtype = _index_dtype(n)
    return sp.csr_matrix((w, v.astype(idx_dtype), indptr.astype(idx_dtype)), shape=(n, n))


def _index_dtype(n: int) -> type:
    return np.int32 if n < 2**31 - 1 else np.int64


def _check_weights(net: RoadNetwork, weights_s: np.ndarray) -> np.ndarray:
    w = np.asarray(weights_s, dtype=np.float64)
    if w.shape != (net.n_edges,):
        msg = (f"weights_s has shape {w.shape}, expected ({net.n_edges},) - one weight per "
               "directed edge; compute it with edge_weights_s(net, ...)")
        raise ValueError(msg)
    if not np.all(np.isfinite(w)) or (w < 0).any():
        msg = "weights_s must be finite and >= 0; check the speeds table (no zero speeds)"
        raise ValueError(msg)
    return w


# --------------------------------------------------------------------------- the engine
#: One dense block's rows: per-source counts, column (node) indices, seconds - rows in order.
_Part = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Engine:
    """Everything one chunk needs (picklable; scattered once to dask workers)."""

    graph: sp.csr_matrix
    cutoff: float
    method: str              # "full", "bounded" or "auto"
    block_bytes: int

    def reach_set(self, sources: np.ndarray) -> np.ndarray | None:
        """Nodes within the cutoff of at least one source (sorted), or None for the full graph.

        One multi-source pass (``min_only``): a node is kept when its time from the nearest
        source is within the cutoff. "auto" skips the pass for an infinite cutoff and drops
        the cut when the set holds more than :data:`AUTO_MAX_SHARE` of the nodes.
        """
        n = self.graph.shape[0]
        if self.method == "full" or (self.method == "auto" and not np.isfinite(self.cutoff)):
            return None
        d = dijkstra(self.graph, directed=True, indices=sources, limit=self.cutoff,
                     min_only=True)
        sub = np.flatnonzero(np.isfinite(d))
        if self.method == "auto" and len(sub) > AUTO_MAX_SHARE * n:
            return None
        return sub

    def run(self, sources: np.ndarray) -> list[_Part]:
        """Times from ``sources`` (distinct node indices): dense blocks of ``block_bytes``.

        Returns the blocks' parts, covering ``sources`` in order.
        """
        sub = self.reach_set(sources)
        if sub is None:
            graph, local = self.graph, sources
        else:
            graph, local = _induced(self.graph, sub), np.searchsorted(sub, sources)
        per = int(np.clip(self.block_bytes // (8 * max(graph.shape[0], 1)), 1,
                          max(len(sources), 1)))
        idx_dtype = _index_dtype(self.graph.shape[0])
        return [_block(graph, local[i:i + per], self.cutoff, sub, idx_dtype)
                for i in range(0, len(local), per)]


def _induced(graph: sp.csr_matrix, sub: np.ndarray) -> sp.csr_matrix:
    """The sub-graph induced by the sorted node set ``sub`` (local index = position in sub)."""
    n, m = graph.shape[0], len(sub)
    local = np.full(n, -1, dtype=np.int64)
    local[sub] = np.arange(m)
    lo = graph.indptr[sub].astype(np.int64)
    cnt = graph.indptr[sub + 1].astype(np.int64) - lo
    offs = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(cnt, out=offs[1:])
    pos = np.repeat(lo - offs[:-1], cnt) + np.arange(int(offs[-1]), dtype=np.int64)
    col = local[graph.indices[pos]]
    keep = col >= 0
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(np.repeat(np.arange(m), cnt)[keep], minlength=m), out=indptr[1:])
    idx_dtype = _index_dtype(m)
    return sp.csr_matrix((graph.data[pos[keep]], col[keep].astype(idx_dtype),
                          indptr.astype(idx_dtype)), shape=(m, m))


def _block(graph: sp.csr_matrix, local: np.ndarray, cutoff: float, sub: np.ndarray | None,
           idx_dtype: type) -> _Part:
    """One dense dijkstra block turned into sparse rows (columns ascending)."""
    d = dijkstra(graph, directed=True, indices=local, limit=cutoff)
    finite = np.isfinite(d)
    counts = np.count_nonzero(finite, axis=1).astype(np.int64)
    flat = np.flatnonzero(finite)
    data = d.ravel()[flat]
    del d, finite
    cols = flat % max(graph.shape[0], 1)
    idx = cols if sub is None else sub[cols]  # sub is sorted: columns stay ascending
    return counts, idx.astype(idx_dtype), data


def _run_chunk(engine: _Engine, sources: np.ndarray) -> list[_Part]:
    """Module-level task function (dask pickles it by reference)."""
    return engine.run(sources)


def _z_order(xy: np.ndarray) -> np.ndarray:
    """Permutation sorting points along a Z (Morton) curve (2**21 steps a side)."""
    if len(xy) <= 1:
        return np.arange(len(xy))
    lo = xy.min(axis=0)
    span = float(np.max(np.ptp(xy, axis=0)))
    if not np.isfinite(span) or span <= 0:
        return np.arange(len(xy))
    q = np.floor((xy - lo) / (span / (2**21 - 1))).astype(np.uint64)
    q = np.minimum(q, np.uint64(2**21 - 1))

    def spread(a: np.ndarray) -> np.ndarray:
        a = a & np.uint64(0x1FFFFF)
        a = (a | (a << np.uint64(32))) & np.uint64(0x1F00000000FFFF)
        a = (a | (a << np.uint64(16))) & np.uint64(0x1F0000FF0000FF)
        a = (a | (a << np.uint64(8))) & np.uint64(0x100F00F00F00F00F)
        a = (a | (a << np.uint64(4))) & np.uint64(0x10C30C30C30C30C3)
        a = (a | (a << np.uint64(2))) & np.uint64(0x1249249249249249)
        return a

    key = spread(q[:, 0]) | (spread(q[:, 1]) << np.uint64(1))
    return np.argsort(key, kind="stable")


def _excl_cumsum(a: np.ndarray) -> np.ndarray:
    """Exclusive prefix sums (int64), length ``len(a)``."""
    out = np.zeros(len(a), dtype=np.int64)
    np.cumsum(a[:-1], out=out[1:])
    return out


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + l)`` for every start and length (int64)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return (np.repeat(np.asarray(starts, dtype=np.int64) - _excl_cumsum(lengths), lengths)
            + np.arange(int(lengths.sum()), dtype=np.int64))


def _copy_rows(out: np.ndarray, dst_start: np.ndarray, counts: np.ndarray, values: np.ndarray,
               p: np.ndarray) -> None:
    """Copy row ``p[k]`` of a part (``counts``, ``values``) to ``out[dst_start[k]:]``, all k."""
    offs = _excl_cumsum(counts)
    if len(counts) and len(values) >= _LONG_ROWS * len(counts):  # long rows: a slice each
        for q, at in zip(p.tolist(), dst_start.tolist(), strict=True):
            lo, c = int(offs[q]), int(counts[q])
            out[at:at + c] = values[lo:lo + c]
        return
    out[_ranges(dst_start, counts[p])] = values[_ranges(offs[p], counts[p])]


def _return_freed_memory() -> None:
    """Hand memory freed inside the C heap back to the OS (glibc ``malloc_trim``; else no-op).

    The blocks' arrays are small enough for glibc to serve them from its heap, which keeps
    freed pages resident; large new arrays are mapped afresh instead of reusing them.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        return


def _assemble(parts: list[list[Any]], inv: np.ndarray, n_unique: int, n_cols: int,
              idx_dtype: type) -> sp.csr_matrix:
    """Copy the blocks' rows into one CSR matrix; output row ``r`` is unique source ``inv[r]``.

    ``parts`` holds ``[unique ids, counts, indices, data]`` and is emptied. The output's
    ``data`` is filled first, freeing each part's data as it is copied, then ``indices``:
    the parts and the output never hold more than 20 bytes per entry together, not 24.
    """
    counts_u = np.zeros(n_unique, dtype=np.int64)
    for b, c, _, _ in parts:
        counts_u[b] = c
    indptr = np.zeros(len(inv) + 1, dtype=np.int64)
    np.cumsum(counts_u[inv], out=indptr[1:])
    nnz = int(indptr[-1])
    rows_by_u = np.argsort(inv, kind="stable")       # output rows grouped by unique source
    n_rows_u = np.bincount(inv, minlength=n_unique)
    first_u = _excl_cumsum(n_rows_u)
    for part in parts:  # where each part's rows go: (output row starts, row in the part)
        b = part[0]
        part[0] = (indptr[rows_by_u[_ranges(first_u[b], n_rows_u[b])]],
                   np.repeat(np.arange(len(b)), n_rows_u[b]))
    data = np.empty(nnz, dtype=np.float64)
    for part in parts:
        (dst, p), c, _, d = part
        _copy_rows(data, dst, c, d, p)
        part[3] = None  # the part's data is no longer needed
        del d
    _return_freed_memory()  # else the parts' freed data stays resident beside indices
    indices: np.ndarray = np.empty(nnz, dtype=idx_dtype)
    while parts:
        (dst, p), c, i, _ = parts.pop()
        _copy_rows(indices, dst, c, i, p)
        del dst, p, c, i
    if nnz <= int(np.iinfo(idx_dtype).max):
        indptr = indptr.astype(idx_dtype)
    out = sp.csr_matrix((data, indices, indptr), shape=(len(inv), n_cols))
    out.has_sorted_indices = True
    return out


def travel_times(net: RoadNetwork, sources: Sequence[int] | np.ndarray,
                 weights_s: np.ndarray, cutoff_s: float, *, reverse: bool = False,
                 client: Any = None, chunk: int | None = None, method: Method = "auto",
                 block_bytes: int = DEFAULT_BLOCK_BYTES,
                 progress: Callable[[float], None] | None = None) -> sp.csr_matrix:
    """Shortest travel times from each source node to every node within a cutoff.

    Parameters
    ----------
    net
        The road network (directed edges).
    sources
        Node indices (positions in ``net`` arrays), any order, duplicates allowed (each
        distinct node is searched once).
    weights_s
        Travel time of every directed edge, seconds (see :func:`edge_weights_s`).
    cutoff_s
        Largest travel time kept, seconds (inclusive). ``inf`` keeps everything reachable.
    reverse
        If True, row ``k`` holds the times from every node *to* ``sources[k]`` (the graph
        is transposed) - use it when the sources are destinations, e.g. stations.
    client
        Optional ``dask.distributed.Client``; chunks then run as independent tasks on its
        workers (the graph is scattered once).
    chunk
        Distinct sources per task (default :data:`CUT_CHUNK` with the reach cut, else as
        many as fit one ``block_bytes`` block, at most :data:`MAX_CHUNK`).
    method
        {"auto", "full", "bounded"}: run each chunk on the full graph, or on the sub-graph
        of the nodes within the cutoff of one of its sources (exact; see the module
        docstring). "auto" cuts unless the cutoff is infinite or the sub-graph holds more
        than :data:`AUTO_MAX_SHARE` of the nodes.
    block_bytes
        Memory budget (bytes) for one dense ``sources x nodes`` float64 block; a chunk runs
        in as many blocks as it needs.
    progress
        Called with the fraction of chunks done (0..1).

    Returns
    -------
    scipy.sparse.csr_matrix
        float64 seconds, shape ``(len(sources), net.n_nodes)``, sorted column indices. An
        entry is present exactly when the node is reachable within ``cutoff_s``; zeros are
        stored explicitly.
    """
    src = np.asarray(sources, dtype=np.int64).ravel()
    n = net.n_nodes
    if len(src) and (src.min() < 0 or src.max() >= n):
        msg = f"sources must be node indices in 0..{n - 1}; got values outside that range"
        raise ValueError(msg)
    cutoff = float(cutoff_s)
    if np.isnan(cutoff) or cutoff < 0:
        msg = f"cutoff_s must be >= 0 seconds, got {cutoff_s!r}"
        raise ValueError(msg)
    if method not in ("auto", "full", "bounded"):
        msg = f"method must be 'auto', 'full' or 'bounded', got {method!r}"
        raise ValueError(msg)
    graph = adjacency_csr(net, weights_s, reverse=reverse)
    idx_dtype = _index_dtype(n)
    if len(src) == 0:
        return sp.csr_matrix((0, n), dtype=np.float64)

    uniq, inv = np.unique(src, return_inverse=True)
    engine = _Engine(graph=graph, cutoff=cutoff, method=method, block_bytes=int(block_bytes))
    cut = method == "bounded" or (method == "auto" and np.isfinite(cutoff))
    if chunk is None:
        chunk = CUT_CHUNK if cut else int(np.clip(block_bytes // max(8 * n, 1), 1, MAX_CHUNK))
    chunk = max(int(chunk), 1)
    # with the cut, chunks of nearby sources (Z-curve) share most of their reach
    order = _z_order(np.column_stack([net.x[uniq], net.y[uniq]]).astype(np.float64)) \
        if cut else np.arange(len(uniq))
    batches = [order[i:i + chunk] for i in range(0, len(uniq), chunk)]
    parts = _run_batches(engine, uniq, batches, client, progress)
    del engine, graph
    out = _assemble(parts, inv.ravel(), len(uniq), n, idx_dtype)
    logger.debug("travel_times: %d sources (%d distinct), %d nodes, %d entries, cutoff %.0f s",
                 len(src), len(uniq), n, out.nnz, cutoff)
    return out


def _run_batches(engine: _Engine, uniq: np.ndarray, batches: list[np.ndarray], client: Any,
                 progress: Callable[[float], None] | None
                 ) -> list[list[Any]]:
    """Run every batch (ids into ``uniq``) locally or on a dask client.

    Returns ``[ids, counts, indices, data]`` per dense block, in batch order.
    """
    if client is None:
        results: Any = (engine.run(uniq[b]) for b in batches)
    else:
        eng_f = client.scatter(engine, broadcast=True)
        futures = client.map(_run_chunk, [eng_f] * len(batches), [uniq[b] for b in batches],
                             pure=False)
        results = (f.result() for f in futures)
    parts = []
    for k, (b, blocks) in enumerate(zip(batches, results, strict=True)):
        at = 0
        for c, i, d in blocks:
            parts.append([b[at:at + len(c)], c, i, d])
            at += len(c)
        if progress is not None:
            progress((k + 1) / len(batches))
    return parts


# --------------------------------------------------------------------------- straight line
def euclidean_times(src_xy: np.ndarray, dst_xy: np.ndarray, speed_kph: float,
                    cutoff_s: float) -> sp.csr_matrix:
    """Straight-line travel times between two point sets (screening mode, no road graph).

    Parameters
    ----------
    src_xy, dst_xy
        ``(n, 2)`` and ``(m, 2)`` coordinates in metres of one projected CRS.
    speed_kph
        Constant speed along the straight line, km/h (> 0).
    cutoff_s
        Largest travel time kept, seconds (inclusive).

    Returns
    -------
    scipy.sparse.csr_matrix
        float64 seconds, ``(n, m)``; an entry exists when ``distance / speed <= cutoff_s``,
        zeros (coincident points) stored explicitly.
    """
    a = np.asarray(src_xy, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(dst_xy, dtype=np.float64).reshape(-1, 2)
    if not speed_kph > 0:
        msg = f"speed_kph must be > 0, got {speed_kph!r}"
        raise ValueError(msg)
    if not cutoff_s >= 0:
        msg = f"cutoff_s must be >= 0 seconds, got {cutoff_s!r}"
        raise ValueError(msg)
    v = speed_kph / 3.6
    shape = (len(a), len(b))
    if len(a) == 0 or len(b) == 0:
        return sp.csr_matrix(shape, dtype=np.float64)
    r = cutoff_s * v
    ta, tb = cKDTree(a), cKDTree(b)
    pairs = ta.sparse_distance_matrix(tb, max_distance=r * (1 + 1e-12) + 1e-9,
                                      output_type="ndarray")  # keeps zero distances
    i = pairs["i"].astype(np.int64)
    j = pairs["j"].astype(np.int64)
    d = pairs["v"].astype(np.float64)
    t = d / v
    keep = t <= cutoff_s
    i, j, t = i[keep], j[keep], t[keep]
    order = np.lexsort((j, i))
    i, j, t = i[order], j[order], t[order]
    indptr = np.zeros(len(a) + 1, dtype=np.int64)
    np.cumsum(np.bincount(i, minlength=len(a)), out=indptr[1:])
    out = sp.csr_matrix((t, j.astype(np.int32), indptr), shape=shape)
    out.has_sorted_indices = True
    return out
