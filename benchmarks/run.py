"""Benchmarks: MCLP against spopt, travel times against networkx, the full pipeline, the demo,
loading an OSM extract against osmnx.

Run from the repository folder with the project's venv::

    .venv/bin/python benchmarks/run.py                       # everything (15-40 min, 2 cores)
    .venv/bin/python benchmarks/run.py --quick               # a few minutes
    .venv/bin/python benchmarks/run.py --only mclp,paths --out results.json

Every part prints a Markdown table (paste it into benchmarks/README.md) and the figures go to
``--out`` as JSON. Each part runs in its own child process, so the memory figures of one part
do not include what an earlier part left behind, and a part is stopped when the machine runs
short of memory (``--min-free-gb``; other people's work shares the machine).

The script checks what it compares: equal MCLP objectives when both tools prove optimality
(each plan's covered weight is recomputed from the coverage matrix, not taken from the tool),
bounds consistent with the other tool's plan, and equal travel times on every source networkx
was run on. A failed check is marked ✗ and makes the script exit with status 1 (after writing
the JSON). The OSM part checks that siting and osmnx build the graph the synthetic extract
was laid out to give (same drivable nodes and edges). Timings are measured, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata as md
import json
import logging
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import _instances as inst  # noqa: E402

PARTS = ("mclp", "paths", "pipeline", "demo", "osm")
MB = 2**20

#: Issue targets.
PIPELINE_TARGET_S = 300.0
PIPELINE_TARGET_GB = 8.0
MAP_TARGET_MB = 20.0
MAP_OPEN_TARGET_S = 5.0
DEMO_TARGET_S = 20.0
OSM_COLD_TARGET_S = 120.0
OSM_CACHED_TARGET_S = 5.0

#: osmnx runs on extracts of 1/4, 1/16 ... of the full size (no smaller than this many OSM
#: nodes) within this share of its budget, then on the full extract with what is left.
OSMNX_LADDER_MIN_NODES = 20_000
OSMNX_LADDER_SHARE = 0.5
#: Longest wait for the osmnx child to import its libraries (not part of its budget), s.
OSMNX_IMPORT_LIMIT_S = 120.0

#: spopt's dense model: seconds and bytes per demand x site cell before anything is measured
#: (2,000 x 200 measured 7-13 s to build, i.e. 18-31 us per cell, and about 0.5 KB per cell).
SPOPT_PRIOR_S_PER_CELL = 18e-6
SPOPT_PRIOR_BYTES_PER_CELL = 500.0


# =========================================================================== small helpers
class PeakRSS:
    """Sample the resident memory of this process (and its children), keep the peak (psutil).

    Use as a context manager; ``peak`` and ``baseline`` are bytes.
    """

    def __init__(self, interval_s: float = 0.1, *, children: bool = False) -> None:
        self.interval_s = interval_s
        self.children = children
        self.proc = psutil.Process()
        self.baseline = 0
        self.peak = 0
        self.hwm = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _rss(self) -> int:
        total = self.proc.memory_info().rss
        if not self.children:
            return total
        for c in self.proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += c.memory_info().rss
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakRSS:
        gc.collect()
        self.baseline = self._rss()
        self.peak = self.baseline
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, self._rss())
        # the kernel's high-water mark of this process catches peaks between samples (a
        # solver holding the GIL); it covers the whole process life, so it is exact only in
        # a process that runs nothing heavier (each part runs in its own child by default)
        self.hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        if self.children:  # the largest child that has ended
            self.hwm += resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024

    @property
    def delta(self) -> int:
        """Peak minus the resident memory at entry, bytes."""
        return self.peak - self.baseline


@contextlib.contextmanager
def timed(out: dict[str, float], key: str) -> Iterator[None]:
    """Store the wall time of the block in ``out[key]`` (s)."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        out[key] = time.perf_counter() - t0


def _cpu() -> float:
    """CPU seconds used so far by this process (user + system, all threads)."""
    c = psutil.Process().cpu_times()
    return c.user + c.system


def version(pkg: str) -> str:
    """Installed version of ``pkg`` or ``"-"``."""
    try:
        return md.version(pkg)
    except md.PackageNotFoundError:
        return "-"


def machine() -> dict[str, Any]:
    """CPU, cores, RAM and library versions."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu, "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(), "os": platform.platform(terse=True),
        "numpy": version("numpy"), "scipy": version("scipy"), "highspy": version("highspy"),
        "pulp": version("pulp"), "networkx": version("networkx"), "spopt": version("spopt"),
        "siting": version("siting"), "osmnx": version("osmnx"), "osmium": version("osmium"),
    }


def machine_line(m: dict[str, Any]) -> str:
    """One line describing the machine."""
    return (f"{m['cpu']}, {m['logical_cores']} logical cores ({m['physical_cores']} physical), "
            f"{m['ram_gb']} GB RAM, Python {m['python']}, numpy {m['numpy']}, scipy "
            f"{m['scipy']}, highspy {m['highspy']}, PuLP {m['pulp']}, networkx "
            f"{m['networkx']}, spopt {m['spopt']} ({m['os']})")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table with padded columns."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    width = [max(len(r[k]) for r in cells) for k in range(len(headers))]
    line = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, width)) + " |" for r in cells]
    line.insert(1, "|" + "|".join("-" * (w + 2) for w in width) + "|")
    return "\n".join(line)


def _fmt(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        if math.isinf(v):
            return "inf"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``"2000x200,5000x500"`` -> [(2000, 200), (5000, 500)]."""
    out = []
    for part in text.split(","):
        a, b = part.lower().strip().split("x")
        out.append((int(a), int(b)))
    return out


def parse_ints(text: str) -> list[int]:
    """``"1000,2000"`` -> [1000, 2000]."""
    return [int(float(p)) for p in text.split(",") if p.strip()]


@dataclass
class Checks:
    """Failed comparisons (the script exits 1 when there are any)."""

    failures: list[str] = field(default_factory=list)

    def expect(self, ok: bool, what: str) -> str:
        """Record ``what`` as failed unless ``ok``; return the mark to print."""
        if not ok:
            self.failures.append(what)
        return "✓" if ok else "✗"


# =========================================================================== MCLP
def covered_weight(cover_pattern: Any, weight: np.ndarray, open_sites: np.ndarray) -> float:
    """Weight of the demand rows with at least one open site among their cover entries."""
    sub = cover_pattern[:, np.asarray(open_sites, dtype=np.int64)]
    return float(weight[np.asarray(sub.getnnz(axis=1)) > 0].sum())


def run_ours(instance: inst.MclpInstance, radius: float, *, time_limit: float, mip_gap: float,
             cost_tiebreak: float | None) -> dict[str, Any]:
    """Sparse cover + ModelInput + SitingModel end to end."""
    from siting.model import SitingModel

    t: dict[str, float] = {}
    kw = {} if cost_tiebreak is None else {"cost_tiebreak": cost_tiebreak}
    cpu0 = _cpu()
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        with timed(t, "matrix_s"):
            cover = inst.sparse_cover(instance.demand_xy, instance.site_xy, radius)
        with timed(t, "build_s"):
            mi = inst.mclp_model_input(instance, cover)
            model = SitingModel.from_input(mi, capacitated=False, **kw)
        with timed(t, "solve_s"):
            sol = model.solve("highs", time_limit_s=time_limit, mip_gap=mip_gap)
        t["total_s"] = time.perf_counter() - t0
    t["cpu_s"] = _cpu() - cpu0
    open_sites = np.flatnonzero(sol.open_year >= 0)
    return {"tool": "ours", "status": sol.status, "objective": float(sol.objective),
            "objective_recomputed": covered_weight(cover, instance.weight, open_sites),
            "bound": float(sol.bound), "gap": float(sol.gap), "open": len(open_sites),
            "pairs": int(cover.nnz), "solver_s": float(sol.seconds),
            "model_cols": int(sol.n_vars), "model_rows": int(sol.n_cons),
            "warm_start_objective": float(sol.warm_start_objective),
            "peak_rss_mb": mem.delta / MB, "cover": cover, **t}


def run_spopt(instance: inst.MclpInstance, radius: float, *, time_limit: float,
              mip_gap: float, cover_pattern: Any) -> dict[str, Any]:
    """Dense cost matrix + spopt MCLP.from_cost_matrix + solve(HiGHS) end to end."""
    import pulp
    from spopt.locate import MCLP

    t: dict[str, float] = {}
    cpu0 = _cpu()
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        with timed(t, "matrix_s"):
            cost = inst.dense_cost_matrix(instance)
        with timed(t, "build_s"):
            model = MCLP.from_cost_matrix(cost, instance.weight, service_radius=radius,
                                          p_facilities=instance.p)
        with timed(t, "solve_s"):
            model.solve(pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=mip_gap))
        t["total_s"] = time.perf_counter() - t0
    t["cpu_s"] = _cpu() - cpu0
    h = model.problem.solverModel
    info = h.getInfo()
    status_name = str(h.getModelStatus()).rsplit(".", 1)[-1]
    status = {"kOptimal": "optimal", "kTimeLimit": "time_limit"}.get(status_name, status_name)
    chosen = np.array([j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5])
    # PuLP hands HiGHS "minimise -coverage": the dual bound comes back negated
    bound = -float(info.mip_dual_bound)
    return {"tool": "spopt", "status": status, "objective": float(pulp.value(
        model.problem.objective)), "objective_recomputed": covered_weight(
            cover_pattern, instance.weight, chosen), "bound": bound, "gap": float(info.mip_gap),
            "open": len(chosen), "solver_s": float(h.getRunTime()),
            "transfer_s": t["solve_s"] - float(h.getRunTime()),
            "peak_rss_mb": mem.delta / MB, **t}


def part_mclp(args: argparse.Namespace, checks: Checks) -> dict[str, Any]:
    """Random MCLP instances: ours vs spopt."""
    sizes = parse_sizes(args.mclp_sizes)
    radii = [float(r) for r in args.radii.split(",")]
    rows: list[dict[str, Any]] = []
    rate_s, rate_b = SPOPT_PRIOR_S_PER_CELL, SPOPT_PRIOR_BYTES_PER_CELL
    calibrated = "prior"
    avail = psutil.virtual_memory().available
    for k, (n, m) in enumerate(sizes):
        limit = args.time_limit
        if args.quick and k > 0:
            limit = args.quick_hard_limit
        instance = inst.random_mclp(n, m, side_m=1000.0 * args.square_km, seed=args.seed + k)
        for r in radii:
            name = f"{n:,}x{m:,}"
            base = {"instance": name, "n_demand": n, "n_sites": m, "radius_m": r,
                    "p": instance.p, "time_limit_s": limit,
                    "total_weight": float(instance.weight.sum())}
            ours = run_ours(instance, r, time_limit=limit, mip_gap=args.mip_gap,
                            cost_tiebreak=args.cost_tiebreak)
            cover = ours.pop("cover")
            pattern = cover.copy()
            pattern.data[:] = 1.0
            ok_recompute = abs(ours["objective"] - ours["objective_recomputed"]) <= 1e-6 * max(
                1.0, abs(ours["objective"]))
            ours["check"] = checks.expect(ok_recompute, f"{name} r={r:g}: our reported "
                                          f"objective {ours['objective']} != recomputed "
                                          f"{ours['objective_recomputed']}")
            rows.append({**base, **ours})
            _log(f"mclp {name} r={r:g}: ours {ours['status']} {ours['objective']:.0f} "
                 f"in {ours['total_s']:.1f} s")
            if args.also_no_tiebreak and args.cost_tiebreak != 0.0:
                t0r = run_ours(instance, r, time_limit=limit, mip_gap=args.mip_gap,
                               cost_tiebreak=0.0)
                del t0r["cover"]
                t0r["tool"] = "ours τ=0"
                both = ours["status"] == t0r["status"] == "optimal"
                same = abs(t0r["objective_recomputed"] - ours["objective_recomputed"]) <= 1e-6 * (
                    max(1.0, abs(ours["objective_recomputed"])))
                t0r["check"] = (checks.expect(same, f"{name} r={r:g}: optimal coverage with and "
                                              "without the cost tie-breaker differ") + " equal"
                                if both else "not both optimal")
                rows.append({**base, **t0r})
                _log(f"mclp {name} r={r:g}: ours tau=0 {t0r['status']} "
                     f"{t0r['objective']:.0f} in {t0r['total_s']:.1f} s")
            cells = n * m
            est_s, est_b = cells * rate_s, cells * rate_b
            reason = None
            if args.no_spopt:
                reason = "--no-spopt"
            elif est_b > min(0.5 * avail, args.spopt_max_gb * 2**30):
                reason = (f"dense model ~{est_b / 2**30:.1f} GB ({cells / 1e6:.0f}M cells x "
                          f"{rate_b:.0f} B, {calibrated}) would not fit the "
                          f"{args.spopt_max_gb:g} GB allowance")
            elif est_s > (args.spopt_build_limit_s or limit):
                reason = (f"building the dense PuLP model would take ~{est_s:.0f} s "
                          f"({cells / 1e6:.1f}M cells x {rate_s * 1e6:.0f} us, {calibrated})"
                          f" > time limit {limit:g} s")
            if reason:
                rows.append({**base, "tool": "spopt", "status": f"skipped: {reason}"})
                _log(f"mclp {name} r={r:g}: spopt skipped: {reason}")
                continue
            sp_row = run_spopt(instance, r, time_limit=limit, mip_gap=args.mip_gap,
                               cover_pattern=pattern)
            meas_s = (sp_row["build_s"] + sp_row["transfer_s"]) / cells
            meas_b = max(sp_row["peak_rss_mb"] * MB / cells, 1.0)
            if calibrated == "prior":
                rate_s, rate_b = meas_s, meas_b
            else:  # the largest rate seen so far
                rate_s, rate_b = max(rate_s, meas_s), max(rate_b, meas_b)
            calibrated = f"measured on {name}"
            mine = [x for x in rows if x["tool"].startswith("ours") and x["instance"] == name
                    and x["radius_m"] == r]
            sp_row["check"] = "; ".join(_compare(x, sp_row, name, r, args.mip_gap, checks)
                                        for x in mine)
            rows.append({**base, **sp_row})
            _log(f"mclp {name} r={r:g}: spopt {sp_row['status']} {sp_row['objective']:.0f} "
                 f"in {sp_row['total_s']:.1f} s")
    headers = ["instance", "radius m", "p", "pairs", "tool", "status", "objective",
               "cover %", "bound", "gap %", "matrix s", "build s", "solve s", "total s", "CPU s",
               "peak MB", "check"]
    out, notes = [], []
    for row in rows:
        if row["status"].startswith("skipped"):
            notes.append(f"[{len(notes) + 1}] {row['instance']} r={row['radius_m']:g}: "
                         f"{row['status']}")
            out.append([row["instance"], f"{row['radius_m']:g}", row["p"], None, row["tool"],
                        f"skipped [{len(notes)}]"] + [None] * 11)
            continue
        out.append([row["instance"], f"{row['radius_m']:g}", row["p"], row.get("pairs"),
                    row["tool"], row["status"], row["objective_recomputed"],
                    100 * row["objective_recomputed"] / row["total_weight"], row["bound"],
                    100 * row["gap"], row["matrix_s"], row["build_s"], row["solve_s"],
                    row["total_s"], row.get("cpu_s"), row["peak_rss_mb"], row.get("check")])
    print("\n### MCLP: ours (sparse) vs spopt (dense), HiGHS, same time limit and gap\n")
    print(table(headers, out))
    if notes:
        print("\n" + "\n".join(notes))
    ratios = []
    for a in rows:
        if not a["tool"].startswith("ours") or a["status"].startswith("skipped"):
            continue
        b = next((x for x in rows if x["tool"] == "spopt" and x["instance"] == a["instance"]
                  and x["radius_m"] == a["radius_m"] and "total_s" in x), None)
        if b is not None:
            sb, ob = b["build_s"] + b["matrix_s"], a["build_s"] + a["matrix_s"]
            ratios.append(f"{a['instance']} r={a['radius_m']:g}: spopt/{a['tool']} end to end "
                          f"{b['total_s'] / a['total_s']:.1f}x (matrix + build {sb:.1f} s vs "
                          f"{ob:.2f} s)")
    if ratios:
        print("\nRatios: " + "; ".join(ratios))
    return {"rows": rows, "mip_gap": args.mip_gap, "cost_tiebreak": args.cost_tiebreak}


def _compare(ours: dict[str, Any], sp_row: dict[str, Any], name: str, r: float, gap: float,
             checks: Checks) -> str:
    """Objectives equal when both are optimal; each plan within the other's bound."""
    a, b = ours["objective_recomputed"], sp_row["objective_recomputed"]
    tol = 1e-6 * max(1.0, abs(a)) + gap * max(abs(a), abs(b))
    who = ours["tool"]
    if ours["status"] == "optimal" and sp_row["status"] == "optimal":
        mark = checks.expect(abs(a - b) <= tol, f"{name} r={r:g}: optimal objectives differ: "
                             f"{who} {a} vs spopt {b}") + " equal"
    else:
        mark = "not both optimal"
    ok_bounds = (a <= sp_row["bound"] + tol) and (b <= ours["bound"] + tol)
    mark += ", " + checks.expect(ok_bounds, f"{name} r={r:g}: a plan beats the other tool's "
                                 f"bound ({who} {a} / bound {ours['bound']}, spopt {b} / bound "
                                 f"{sp_row['bound']})") + " bounds"
    return f"vs {who}: {mark}" if who != "ours" else mark


# =========================================================================== travel times
def part_paths(args: argparse.Namespace, checks: Checks) -> dict[str, Any]:
    """Bounded multi-source travel times: ours vs networkx single-source Dijkstra."""
    import networkx as nx

    from siting.scenario import DEFAULT_SPEEDS_KPH
    from siting.travel_times import adjacency_csr, edge_weights_s, travel_times

    rows = []
    for gi, n_nodes in enumerate(parse_ints(args.graph_sizes)):
        net = inst.road_grid(n_nodes, seed=args.seed + gi)
        w = edge_weights_s(net, DEFAULT_SPEEDS_KPH, "light")
        g = adjacency_csr(net, w)
        graph_bytes = g.data.nbytes + g.indices.nbytes + g.indptr.nbytes
        del g
        t0 = time.perf_counter()
        G = inst.to_networkx(net, w)
        nx_build = time.perf_counter() - t0
        rng = np.random.default_rng(args.seed + 100 + gi)
        for n_src in parse_ints(args.sources):
            src = rng.choice(net.n_nodes, size=min(n_src, net.n_nodes), replace=False)
            t0 = time.perf_counter()
            T = travel_times(net, src, w, args.cutoff_s)
            ours_s = time.perf_counter() - t0
            result_bytes = T.data.nbytes + T.indices.nbytes + T.indptr.nbytes
            gc.collect()
            tracemalloc.start()
            T2 = travel_times(net, src, w, args.cutoff_s)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            del T2
            # networkx on as many sources as the budget allows, then extrapolate
            done, bad, nx_s = 0, 0, 0.0
            order = rng.permutation(len(src))
            for k in order:
                s = int(src[k])
                t1 = time.perf_counter()
                d = nx.single_source_dijkstra_path_length(G, s, cutoff=args.cutoff_s,
                                                          weight="weight")
                nx_s += time.perf_counter() - t1
                done += 1
                bad += not _same_row(T, int(k), d, args.cutoff_s)
                if nx_s >= args.nx_budget_s and done < len(src):
                    break
            nx_total = nx_s / done * len(src)
            basis = (f"all {done:,}" if done == len(src)
                     else f"{done:,} of {len(src):,} sampled, extrapolated")
            mark = checks.expect(bad == 0, f"travel times {net.n_nodes} nodes x {len(src)} "
                                 f"sources: {bad} of {done} rows differ from networkx")
            row = {"nodes": net.n_nodes, "edges": net.n_edges, "sources": len(src),
                   "cutoff_s": args.cutoff_s, "entries": int(T.nnz), "ours_s": ours_s,
                   "networkx_s": nx_total, "networkx_measured_s": nx_s,
                   "networkx_sources_run": done, "networkx_basis": basis,
                   "networkx_graph_build_s": nx_build, "speedup": nx_total / ours_s,
                   "rows_checked": done, "rows_differing": bad, "check": mark,
                   "ours_peak_traced_mb": peak / MB, "graph_mb": graph_bytes / MB,
                   "result_mb": result_bytes / MB,
                   "peak_over_graph_plus_result": peak / (graph_bytes + result_bytes)}
            rows.append(row)
            _log(f"paths {net.n_nodes} x {len(src)}: ours {ours_s:.2f} s, networkx "
                 f"{nx_total:.1f} s ({basis})")
            del T
        del G, net
        gc.collect()
    headers = ["nodes", "sources", "cutoff s", "reached entries", "ours s", "networkx s",
               "networkx basis", "speed-up", "equal", "ours peak MB", "graph MB", "result MB",
               "peak / (graph+result)"]
    print("\n### Travel times: bounded multi-source (ours) vs networkx single-source Dijkstra\n")
    print(table(headers, [[r["nodes"], r["sources"], r["cutoff_s"], r["entries"], r["ours_s"],
                           r["networkx_s"], r["networkx_basis"], f"{r['speedup']:.0f}x",
                           f"{r['check']} ({r['rows_checked']:,} rows)",
                           r["ours_peak_traced_mb"], r["graph_mb"], r["result_mb"],
                           r["peak_over_graph_plus_result"]] for r in rows]))
    print(f"\nRoad-like graphs: jittered 100 m grid, 10 % of street edges removed, primary "
          f"roads every 10th line, trunks every 40th; light-vehicle speeds (25/50/70 km/h); "
          f"cutoff {args.cutoff_s:g} s = 3 km at 25 km/h. networkx graph build (not counted): "
          + ", ".join(f"{r['nodes']:,} nodes {r['networkx_graph_build_s']:.1f} s"
                      for r in rows[:: max(1, len(parse_ints(args.sources)))]))
    return {"rows": rows}


def _same_row(T: Any, k: int, d: dict[int, float], cutoff: float) -> bool:
    """Row ``k`` of our matrix holds exactly networkx's nodes and times (1e-9 relative)."""
    lo, hi = T.indptr[k], T.indptr[k + 1]
    ours = dict(zip(T.indices[lo:hi].tolist(), T.data[lo:hi].tolist()))
    if ours.keys() != d.keys():
        # a node exactly at the cutoff may fall either side of it through rounding
        diff = ours.keys() ^ d.keys()
        edge = all(abs(ours.get(v, d.get(v, math.inf)) - cutoff) <= 1e-9 * cutoff for v in diff)
        if not edge:
            return False
    return all(abs(ours[v] - d[v]) <= 1e-9 * max(1.0, d[v]) for v in ours.keys() & d.keys())


# =========================================================================== pipeline
def part_pipeline(args: argparse.Namespace, checks: Checks) -> dict[str, Any]:
    """Synthetic city scenario through siting.pipeline.run, with per-stage times."""
    from siting import pipeline
    from siting._errors import SitingError
    from siting.scenario import load_scenario

    n_dem, n_cand, n_nodes = parse_ints(args.pipeline_size)
    stages: dict[str, float] = {}
    rss_after: dict[str, float] = {}

    class Hooks(pipeline.StageHooks):
        def finish(self, stage: str, seconds: float) -> None:
            stages[stage] = seconds
            rss = psutil.Process().memory_info().rss / 2**30
            print(f"- stage {stage}: {seconds:.1f} s (RSS now {rss:.1f} GB)", flush=True)
            if args.out:  # kept by the parent if this process is stopped
                partial = {"stages_s": stages, "rss_gb_after": {**rss_after, stage: rss}}
                rss_after[stage] = rss
                _partial_path(args.out).write_text(json.dumps(partial), encoding="utf-8")

    with tempfile.TemporaryDirectory(prefix="siting-bench-") as tmp:
        t0 = time.perf_counter()
        files = inst.write_city_scenario(Path(tmp) / "city", n_demand=n_dem,
                                         n_candidates=n_cand, n_nodes=n_nodes, seed=args.seed,
                                         time_limit_s=args.pipeline_time_limit,
                                         capacitated=not args.uncapacitated,
                                         max_alloc_options=args.max_alloc)
        write_s = time.perf_counter() - t0
        out_dir = Path(tmp) / "out"
        print(f"\n### Full pipeline: synthetic city, {files.n_demand_expected:,} demand points "
              f"({files.n_fleet:,} fleet points), {n_cand:,} candidates, {files.n_nodes:,}-node "
              f"road graph, {'uncapacitated' if args.uncapacitated else 'capacitated'}\n")
        print(f"Stages as they finish (scenario written in {write_s:.1f} s, not counted):",
              flush=True)
        estimates: list[dict[str, Any]] = []
        try:
            with PeakRSS() as mem, _memory_check(args.enforce_memory_check,
                                                              estimates):
                t0 = time.perf_counter()
                sc = load_scenario(files.scenario)
                result = pipeline.run(sc, out_dir, hooks=Hooks())
                total = time.perf_counter() - t0
        except SitingError as e:
            msg = f"siting stopped the run: {type(e).__name__}: {e}"
            print(f"\n**{msg}**")
            checks.failures.append(f"pipeline: {msg}")
            return {"error": msg, "stages_s": stages, "memory_estimates": estimates}
        for est in estimates:
            print(f"- siting's pre-flight memory estimate ({est['what']}): "
                  f"{est['estimate_gb']:.1f} GB of {est['available_gb']:.1f} GB available"
                  f"{' - siting would refuse this run' if est['would_refuse'] else ''}"
                  f"{' (recorded, not enforced)' if not args.enforce_memory_check else ''}")
        map_mb = (out_dir / "map.html").stat().st_size / MB
        map_open_s = map_open_seconds(out_dir / "map.html")
        rep = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
        sizes = {p.name: p.stat().st_size / MB for p in sorted(out_dir.iterdir())}
    del result
    if args.out:
        _partial_path(args.out).unlink(missing_ok=True)
    peak = max(mem.peak, mem.hwm)
    solver = rep["solver"]
    res = {"demand_points": rep["inputs"]["demand_points"], "fleet_points": files.n_fleet,
           "candidates": n_cand, "options": rep["inputs"]["options"],
           "network_nodes": rep["inputs"]["network_nodes"],
           "network_edges": rep["inputs"]["network_edges"], "scenario_write_s": write_s,
           "stages_s": stages, "total_s": total, "peak_rss_gb": peak / 2**30,
           "peak_rss_sampled_gb": mem.peak / 2**30, "peak_rss_hwm_gb": mem.hwm / 2**30,
           "baseline_rss_gb": mem.baseline / 2**30, "map_mb": map_mb, "output_mb": sizes,
           "solver": solver, "coverage_share": rep["coverage_share"],
           "memory_estimates": estimates, "map_open_s": map_open_s,
           "capacitated": not args.uncapacitated, "max_alloc_options": args.max_alloc,
           "targets": {"total_s": PIPELINE_TARGET_S, "peak_rss_gb": PIPELINE_TARGET_GB,
                       "map_mb": MAP_TARGET_MB}}
    print(f"\n{res['demand_points']:,} demand rows, {res['options']:,} options "
          f"(site x type), {res['network_edges']:,} directed edges\n")
    rows = [[k, v] for k, v in stages.items()]
    rows.append(["**total** (load_scenario + run)", total])
    print(table(["stage", "seconds"], rows))
    print()
    print(table(["measure", "value", "target", "met"], [
        ["total time", f"{total:.0f} s", f"< {PIPELINE_TARGET_S:.0f} s",
         _met(total < PIPELINE_TARGET_S)],
        ["peak RSS", f"{peak / 2**30:.2f} GB",
         f"< {PIPELINE_TARGET_GB:g} GB", _met(peak / 2**30 < PIPELINE_TARGET_GB)],
        ["map.html", f"{map_mb:.1f} MB", f"< {MAP_TARGET_MB:g} MB", _met(map_mb < MAP_TARGET_MB)],
        ["map.html opens in headless Chromium",
         "-" if map_open_s is None else f"{map_open_s:.1f} s", f"< {MAP_OPEN_TARGET_S:g} s",
         "-" if map_open_s is None else _met(map_open_s < MAP_OPEN_TARGET_S)],
    ]))
    print(f"\nSolver: {solver['name']} {solver['status']}, gap "
          f"{_pct(solver.get('gap'))}, {solver['variables']:,} columns x "
          f"{solver['constraints']:,} rows, time limit {solver['time_limit_s']:g} s; coverage "
          f"{100 * rep['coverage_share']:.1f} %.")
    return res


def map_open_seconds(html: Path) -> float | None:
    """Seconds from navigation to a drawn Leaflet map in headless Chromium (None: no browser).

    The page is opened from ``file://`` with every non-file request blocked (offline, as a
    mailed map is read); timing ends when the load event has fired and the map container and
    its station markers are in the page.
    """
    from devtools import browser as chromium

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(chromium.CHROMIUM_PATH).exists():
        return None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium.CHROMIUM_PATH,
                                     args=list(chromium.CHROMIUM_ARGS))
        try:
            page = chromium.offline_page(browser)
            t0 = time.perf_counter()
            page.goto(html.resolve().as_uri(), wait_until="load", timeout=120_000)
            page.wait_for_selector(".leaflet-container", timeout=120_000)
            page.wait_for_selector(".siting-station", state="attached", timeout=120_000)
            return time.perf_counter() - t0
        finally:
            browser.close()


@contextlib.contextmanager
def _memory_check(enforce: bool, record: list[dict[str, Any]]) -> Iterator[None]:
    """Record siting's pre-flight memory estimates; raise on them only when ``enforce``.

    The benchmark measures the real peak, so by default the estimate is kept for comparison
    instead of stopping the run (the parent's watchdog protects the machine).
    """
    # Patched where the pipeline looks it up (the coverage stage of siting.pipeline.prepare):
    # patching another module's name would silently record nothing.
    from siting.pipeline import preparation as pipeline

    original = pipeline.check_fits

    def check(estimate: float, what: str, *rest: Any) -> None:  # rest: check_fits's hint
        from siting._resources import USABLE_SHARE, available_bytes

        avail = available_bytes()
        record.append({"what": what.rsplit(": ", 1)[-1], "estimate_gb": estimate / 1e9,
                       "available_gb": avail / 1e9,
                       "would_refuse": estimate > USABLE_SHARE * avail})
        if enforce:
            original(estimate, what, *rest)

    pipeline.check_fits = check
    try:
        yield
    finally:
        pipeline.check_fits = original


def _partial_path(out: Path) -> Path:
    """Where a part leaves what it measured so far (``<out>.partial.json``)."""
    return Path(out).with_name(Path(out).name + ".partial.json")


def _met(ok: bool) -> str:
    return "✓ met" if ok else "✗ missed"


def _pct(g: object) -> str:
    return "-" if g is None else f"{100 * float(g):.2f} %"


# =========================================================================== demo
def part_demo(args: argparse.Namespace, checks: Checks) -> dict[str, Any]:
    """`siting demo` as a user runs it (a fresh process), wall time."""
    exe = Path(sys.executable).with_name("siting")
    with tempfile.TemporaryDirectory(prefix="siting-demo-") as tmp:
        out = Path(tmp) / "suizhou"
        cmd = [str(exe), "demo", "--out", str(out), "--quiet"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        ok = checks.expect(proc.returncode == 0 and (out / "map.html").is_file(),
                           f"siting demo failed (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-300:]}")
        rep = (json.loads((out / "report.json").read_text(encoding="utf-8"))
               if (out / "report.json").is_file() else {})
        map_mb = (out / "map.html").stat().st_size / MB if (out / "map.html").is_file() else 0
    solver = rep.get("solver", {})
    res = {"wall_s": wall, "exit_code": proc.returncode, "ok": ok, "map_mb": map_mb,
           "stages_s": rep.get("timings", {}), "solver": solver,
           "coverage_share": rep.get("coverage_share"), "target_s": DEMO_TARGET_S}
    print("\n### Bundled Suizhou demo (`siting demo`, fresh process)\n")
    from siting.pipeline import STAGES

    order = [k for k in STAGES if k in res["stages_s"]]
    order += [k for k in res["stages_s"] if k not in STAGES]
    stages = ", ".join(f"{k} {res['stages_s'][k]:.1f}" for k in order)
    print(table(["measure", "value", "target", "met"], [
        ["wall time", f"{wall:.1f} s", f"< {DEMO_TARGET_S:g} s", _met(wall < DEMO_TARGET_S)],
        ["stages (s)", stages or "-", "", ""],
        ["solver", f"{solver.get('name', '-')} {solver.get('status', '-')}, gap "
         f"{_pct(solver.get('gap'))}, {solver.get('seconds', math.nan):.1f} s, time limit "
         f"{solver.get('time_limit_s', math.nan):g} s", "", ""],
        ["map.html", f"{map_mb:.1f} MB", f"< {MAP_TARGET_MB:g} MB", _met(map_mb < MAP_TARGET_MB)],
    ]))
    return res


# =========================================================================== OSM extract
_OSMNX_CHILD = """
import json, sys, time
import osmnx as ox
from siting.network import osm as _osm
open(sys.argv[3], "w").close()  # imported: the parent's clock starts now
t0 = time.perf_counter()
G = ox.graph_from_xml(sys.argv[1], simplify=False, retain_all=True)
seconds = time.perf_counter() - t0
edges = [(u, v) for u, v, d in G.edges(data=True) if _osm.is_truck_way(d)]
nodes = {n for e in edges for n in e}
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    json.dump({"seconds": seconds, "graph_nodes": len(G), "graph_edges": len(G.edges),
               "drivable_nodes": len(nodes), "drivable_edges": len(edges)}, fh)
"""


def run_osmnx(xml: Path, *, timeout_s: float, max_gb: float) -> dict[str, Any]:
    """``osmnx.graph_from_xml`` (unsimplified, all components) in a child process.

    The clock starts once the child has imported osmnx. The child is killed (by its pid)
    after ``timeout_s`` more seconds or when its resident memory passes ``max_gb``. Returns
    the status, the wall time after the import, the sampled peak RSS and, when it finished,
    osmnx's own time for the call and the graph's drivable nodes and edges (edges whose tags
    pass siting's fleet road filter).
    """
    with tempfile.TemporaryDirectory(prefix="siting-osmnx-") as tmp, \
            open(Path(tmp) / "stderr.txt", "w+b") as err:  # a pipe could fill and block
        out, ready = Path(tmp) / "out.json", Path(tmp) / "ready"
        proc = subprocess.Popen([sys.executable, "-c", _OSMNX_CHILD, str(xml), str(out),
                                 str(ready)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        status, peak, t0 = _watch(proc, ready, timeout_s, max_gb)
        wall = time.perf_counter() - t0
        res: dict[str, Any] = {"status": status, "wall_s": wall, "peak_rss_mb": peak / MB}
        if status == "finished":
            if proc.returncode != 0 or not out.is_file():
                err.seek(0)
                tail = err.read().decode(errors="replace").strip()[-300:]
                res["status"] = f"failed (exit {proc.returncode}): {tail}"
            else:
                res.update(json.loads(out.read_text(encoding="utf-8")))
    return res


def _watch(proc: subprocess.Popen, ready: Path, timeout_s: float,
           max_gb: float) -> tuple[str, int, float]:
    """Wait for the child; kill it at the budget or the memory cap.

    Returns the status, the peak RSS (bytes) and when its clock started (``ready`` seen).
    """
    child = psutil.Process(proc.pid)
    start = time.perf_counter()
    t0: float | None = None
    peak, status = 0, "finished"
    while proc.poll() is None:
        now = time.perf_counter()
        if t0 is None and ready.exists():
            t0 = now
        with contextlib.suppress(psutil.Error):
            peak = max(peak, child.memory_info().rss)
        if t0 is None and now - start > OSMNX_IMPORT_LIMIT_S:
            status = f"stopped: import took over {OSMNX_IMPORT_LIMIT_S:g} s"
        elif t0 is not None and now - t0 > timeout_s:
            status = f"stopped at the time budget ({timeout_s:.0f} s)"
        elif peak > max_gb * 2**30:
            status = f"stopped at the memory cap ({max_gb:g} GB)"
        else:
            time.sleep(0.2)
            continue
        proc.kill()
        break
    proc.wait()
    return status, peak, t0 if t0 is not None else time.perf_counter()


def _ours_load(path: Path, cache_dir: Path) -> tuple[Any, dict[str, Any]]:
    """siting's ``load_network`` on ``path``: the network and time / peak RSS figures."""
    from siting.network import load_network
    from siting.scenario import NetworkSpec

    with PeakRSS() as mem:
        t0 = time.perf_counter()
        net = load_network(NetworkSpec(path=path, cache_dir=cache_dir))
        sec = time.perf_counter() - t0
    return net, {"seconds": sec, "peak_rss_mb": mem.delta / MB,
                 "drivable_nodes": net.n_nodes, "drivable_edges": net.n_edges}


def _same_network(a: Any, b: Any) -> bool:
    """Every array of two RoadNetworks equal (the cached reload against the cold load)."""
    fields = ("node_id", "lon", "lat", "x", "y", "edge_u", "edge_v", "edge_length_m")
    return (all(np.array_equal(getattr(a, f), getattr(b, f)) for f in fields)
            and a.edge_class.tolist() == b.edge_class.tolist() and a.crs == b.crs)


def _graph_check(row: dict[str, Any], city: inst.OsmCity, checks: Checks, *,
                 exact: bool) -> str:
    """Drivable nodes/edges of ``row`` against the extract's layout (exact, or within 1 %)."""
    n, e = row["drivable_nodes"], row["drivable_edges"]
    en, ee = city.drivable_nodes, city.drivable_edges
    ok = (n, e) == (en, ee) if exact else abs(n - en) <= 0.01 * en and abs(e - ee) <= 0.01 * ee
    what = f"{row['tool']} on {Path(row['input']).name}"
    mark = checks.expect(ok, f"osm: {what} gave {n:,} nodes / {e:,} edges, the layout "
                         f"{en:,} / {ee:,}")
    return f"{mark} {'=' if (n, e) == (en, ee) else '≈'} layout"


def _osmnx_ladder(args: argparse.Namespace, n_full: int, folder: Path,
                  checks: Checks) -> list[dict[str, Any]]:
    """osmnx (and siting, on the same XML) on smaller extracts, while the budget allows."""
    sizes: list[int] = []
    n = n_full // 4
    while n >= OSMNX_LADDER_MIN_NODES:
        sizes.insert(0, n)
        n //= 4
    rows: list[dict[str, Any]] = []
    budget = OSMNX_LADDER_SHARE * args.osmnx_budget_s
    spent, last = 0.0, None
    for k, size in enumerate(sizes):
        if last is not None:  # skip a step that cannot finish in what is left
            predicted = last["wall_s"] * size / last["osm_nodes"]
            if spent + predicted > budget:
                break
        city = inst.write_osm_city([folder / f"ladder{k}.osm"], size, seed=args.seed)
        xml = city.paths[0]
        row = _osmnx_row(xml, city.n_nodes, timeout_s=budget - spent,
                         max_gb=args.osmnx_max_gb)
        spent += row["wall_s"]
        net, ours = _ours_load(xml, folder / f"cache-ladder{k}")
        del net
        rows.append(row)
        rows.append(_row("siting", xml, city.n_nodes, "cold (XML)", **ours))
        rows[-1]["check"] = _graph_check(rows[-1], city, checks, exact=True)
        if row["status"] != "finished":
            break
        row["check"] = _graph_check(row, city, checks, exact=False)
        last = row
        _log(f"osm ladder {size:,} nodes: osmnx {row['seconds']:.1f} s, siting "
             f"{ours['seconds']:.2f} s")
    return rows


def _osmnx_row(xml: Path, n_nodes: int, *, timeout_s: float, max_gb: float) -> dict[str, Any]:
    res = run_osmnx(xml, timeout_s=timeout_s, max_gb=max_gb)
    load = "graph_from_xml" if res["status"] == "finished" else res["status"]
    row = _row("osmnx", xml, n_nodes, load, seconds=res.pop("seconds", res["wall_s"]), **res)
    row["finished"] = res["status"] == "finished"
    return row


def _row(tool: str, path: Path, n_nodes: int, load: str, **figures: Any) -> dict[str, Any]:
    """One table row: the input file, the tool, how it loaded, and the figures."""
    return {"input": str(path), "file_mb": path.stat().st_size / MB, "osm_nodes": n_nodes,
            "tool": tool, "load": load, **figures}


def _extrapolate(rows: list[dict[str, Any]],
                 n_full: int) -> tuple[float, str, float | None] | None:
    """osmnx on ``n_full`` nodes from its finished ladder runs: seconds as a power law through
    the two largest (exponent at least 1, i.e. at least linear), or linear from one; peak RSS
    (MB) along the line through the two largest (None from one run: its import baseline
    would be scaled too)."""
    done = [r for r in rows if r["tool"] == "osmnx" and r.get("finished")]
    if not done:
        return None
    a = done[-1]
    alpha, mem = 1.0, None
    if len(done) >= 2:
        b = done[-2]
        alpha = max(1.0, math.log(a["seconds"] / b["seconds"])
                    / math.log(a["osm_nodes"] / b["osm_nodes"]))
        slope = (a["peak_rss_mb"] - b["peak_rss_mb"]) / (a["osm_nodes"] - b["osm_nodes"])
        mem = a["peak_rss_mb"] + slope * (n_full - a["osm_nodes"])
    est = a["seconds"] * (n_full / a["osm_nodes"]) ** alpha
    return est, (f"extrapolated from the {a['osm_nodes']:,}-node run, time ∝ nodes^"
                 f"{alpha:.2f}" + (", memory linear" if mem is not None else "")), mem


def part_osm(args: argparse.Namespace, checks: Checks) -> dict[str, Any]:
    """A synthetic .osm.pbf city extract: siting cold and cached vs osmnx graph_from_xml."""
    from siting.network import load as network

    # the part measures the cache, also when a --quick extract is below siting's threshold
    threshold = network.LOCAL_CACHE_MIN_BYTES
    network.LOCAL_CACHE_MIN_BYTES = 0
    try:
        with tempfile.TemporaryDirectory(prefix="siting-bench-osm-") as tmp:
            rows, city, write_s = _osm_measure(args, Path(tmp), checks)
    finally:
        network.LOCAL_CACHE_MIN_BYTES = threshold
    return _osm_report(args, rows, city, write_s, threshold)


def _osm_measure(args: argparse.Namespace, folder: Path,
                 checks: Checks) -> tuple[list[dict[str, Any]], inst.OsmCity, float]:
    """Write the extract, run siting and osmnx; rows in table order (ladder last)."""
    probe = inst.write_osm_city([folder / "probe.osm.pbf"], 20_000, seed=args.seed)
    per_node = probe.paths[0].stat().st_size / probe.n_nodes
    target = max(1_000, round(args.osm_mb * MB / per_node))
    t0 = time.perf_counter()
    city = inst.write_osm_city([folder / "city.osm.pbf", folder / "city.osm"], target,
                               seed=args.seed)
    write_s = time.perf_counter() - t0
    pbf_mb = city.paths[0].stat().st_size / MB
    _log(f"osm: wrote {pbf_mb:.1f} MB .osm.pbf ({city.n_nodes:,} nodes) in {write_s:.0f} s")
    rows = _ours_pbf_rows(city, folder, checks)
    xml = city.paths[1]
    net, ours_xml = _ours_load(xml, folder / "cache-xml")
    del net
    gc.collect()
    rows.append(_row("siting", xml, city.n_nodes, "cold (XML)", **ours_xml))
    rows[-1]["check"] = _graph_check(rows[-1], city, checks, exact=True)
    ladder = _osmnx_ladder(args, city.n_nodes, folder, checks)
    spent = sum(r["wall_s"] for r in ladder if r["tool"] == "osmnx")
    full = _osmnx_row(xml, city.n_nodes, timeout_s=max(1.0, args.osmnx_budget_s - spent),
                      max_gb=args.osmnx_max_gb)
    if full["finished"]:
        full["check"] = _graph_check(full, city, checks, exact=False)
    rows.append(full)
    return rows + ladder, city, write_s


def _ours_pbf_rows(city: inst.OsmCity, folder: Path, checks: Checks) -> list[dict[str, Any]]:
    """siting on the .osm.pbf: cold (parse + cache write), then the cached reload."""
    cache = folder / "cache"
    cold_net, cold = _ours_load(city.paths[0], cache)
    entry_mb = sum(p.stat().st_size for p in cache.glob("*.npz")) / MB
    net, warm = _ours_load(city.paths[0], cache)
    same = _same_network(net, cold_net)
    del net, cold_net
    gc.collect()
    pbf = city.paths[0]
    rows = [_row("siting", pbf, city.n_nodes, "cold (parse + cache write)", cache_mb=entry_mb,
                 **cold),
            _row("siting", pbf, city.n_nodes, "cached reload", **warm)]
    rows[0]["check"] = _graph_check(rows[0], city, checks, exact=True)
    rows[1]["check"] = checks.expect(same, "osm: the cached reload differs from the cold "
                                     "load") + " = cold load"
    return rows


def _osm_report(args: argparse.Namespace, rows: list[dict[str, Any]], city: inst.OsmCity,
                write_s: float, threshold: int) -> dict[str, Any]:
    """Print the tables; return the part's figures."""
    cold, warm, xml_ours, full = rows[0], rows[1], rows[2], rows[3]
    pbf_mb = cold["file_mb"]
    est = None if full["finished"] else _extrapolate(rows[4:], full["osm_nodes"])
    if est is not None:
        rows.insert(4, {**{k: full[k] for k in ("input", "file_mb", "osm_nodes")},
                        "tool": "osmnx", "load": est[1], "seconds": est[0],
                        "peak_rss_mb": est[2], "extrapolated": True})
    print(f"\n### OSM extract: {pbf_mb:.0f} MB `.osm.pbf` ({city.n_nodes:,} nodes, "
          f"{city.n_ways:,} ways) to a routable graph, siting vs osmnx `graph_from_xml`\n")
    headers = ["input", "file MB", "OSM nodes", "tool", "load", "seconds", "peak MB",
               "drivable nodes", "directed edges", "check"]
    print(table(headers, [[Path(r["input"]).name, r["file_mb"], r["osm_nodes"], r["tool"],
                           r["load"], r["seconds"], r.get("peak_rss_mb"),
                           r.get("drivable_nodes"), r.get("drivable_edges"), r.get("check")]
                          for r in rows]))
    osmnx_s = full["seconds"] if full["finished"] else (est[0] if est else None)
    print()
    print(table(["measure", "value", "target", "met"], [
        ["siting cold load", f"{cold['seconds']:.1f} s", f"< {OSM_COLD_TARGET_S:g} s",
         _met(cold["seconds"] < OSM_COLD_TARGET_S)],
        ["siting cached reload", f"{warm['seconds']:.2f} s", f"< {OSM_CACHED_TARGET_S:g} s",
         _met(warm["seconds"] < OSM_CACHED_TARGET_S)],
    ]))
    ratios = [f"cache entry {cold['cache_mb']:.0f} MB ({cold['cache_mb'] / pbf_mb:.1f}x the "
              f".osm.pbf)", f"cold / cached {cold['seconds'] / warm['seconds']:.0f}x"]
    if osmnx_s is not None:
        basis = "measured" if full["finished"] else "extrapolated"
        ratios += [f"osmnx ({basis}) / siting cold on the .pbf "
                   f"{osmnx_s / cold['seconds']:.0f}x, on the same XML "
                   f"{osmnx_s / xml_ours['seconds']:.0f}x, / siting cached "
                   f"{osmnx_s / warm['seconds']:.0f}x"]
    else:
        ratios += [f"osmnx did not finish within {full['wall_s']:.0f} s: more than "
                   f"{full['wall_s'] / cold['seconds']:.1f}x siting's cold load"]
    print("\nRatios: " + "; ".join(ratios) + ".")
    print(f"\nSynthetic extract (benchmarks/_instances.py `write_osm_city`, seed {args.seed}), "
          f"written in {write_s:.0f} s (not counted). siting's cache threshold "
          f"({threshold / MB:g} MB) is set to 0 for this part. osmnx: "
          f"`graph_from_xml(simplify=False, retain_all=True)` in a child process, import "
          f"not counted, budget {args.osmnx_budget_s:g} s, memory cap "
          f"{args.osmnx_max_gb:g} GB; 'layout' = the drivable nodes and edges the extract was "
          f"built to have.")
    return {"rows": rows, "pbf_mb": pbf_mb, "osm_nodes": city.n_nodes, "osm_ways": city.n_ways,
            "layout_drivable_nodes": city.drivable_nodes,
            "layout_drivable_edges": city.drivable_edges, "write_s": write_s,
            "osmnx_seconds": osmnx_s, "osmnx_basis": (
                "measured" if full["finished"] else (est[1] if est else "did not finish")),
            "targets": {"cold_s": OSM_COLD_TARGET_S, "cached_s": OSM_CACHED_TARGET_S}}


# =========================================================================== driver
RUNNERS: dict[str, Callable[[argparse.Namespace, Checks], dict[str, Any]]] = {
    "mclp": part_mclp, "paths": part_paths, "pipeline": part_pipeline, "demo": part_demo,
    "osm": part_osm,
}


def _log(msg: str) -> None:
    logging.getLogger("benchmarks").info(msg)


def build_parser() -> argparse.ArgumentParser:
    """Command-line options (``--quick`` changes the defaults of the size options)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes and short time limits")
    p.add_argument("--only", default=",".join(PARTS),
                   help=f"comma-separated parts: {', '.join(PARTS)}")
    p.add_argument("--out", type=Path, help="write the measured figures to this JSON file")
    p.add_argument("--seed", type=int, default=1)
    g = p.add_argument_group("MCLP")
    g.add_argument("--mclp-sizes", help="demand x candidates list "
                   "(default 2000x200,5000x500,10000x1000,50000x2000; quick 2000x200,5000x500)")
    g.add_argument("--radii", default="1500,3000", help="service radii, m")
    g.add_argument("--square-km", type=float, default=20.0,
                   help="side of the square the points are drawn in, km")
    g.add_argument("--time-limit", type=float, help="solver time limit, s "
                   "(default 120; quick 20)")
    g.add_argument("--quick-hard-limit", type=float, default=10.0,
                   help="quick mode: time limit of the instances after the first, s")
    g.add_argument("--mip-gap", type=float, default=0.0,
                   help="relative MIP gap for both tools (HiGHS's own default is 1e-4)")
    g.add_argument("--cost-tiebreak", type=float, default=None,
                   help="our cost tie-breaker tau (default: siting's default)")
    g.add_argument("--also-no-tiebreak", action="store_true",
                   help="also run ours with the cost tie-breaker off (tau = 0)")
    g.add_argument("--no-spopt", action="store_true", help="run ours only")
    g.add_argument("--spopt-build-limit-s", type=float, default=None,
                   help="skip spopt when building its dense model is estimated to take longer "
                   "than this (default: the time limit)")
    g.add_argument("--spopt-max-gb", type=float, default=6.0,
                   help="skip spopt when its dense model is estimated above this")
    g = p.add_argument_group("travel times")
    g.add_argument("--graph-sizes", help="node counts (default 50000,200000; quick 50000)")
    g.add_argument("--sources", help="source counts (default 1000,2000; quick 1000)")
    g.add_argument("--cutoff-s", type=float, default=432.0,
                   help="cutoff, s (432 s = 3 km at 25 km/h)")
    g.add_argument("--nx-budget-s", type=float, help="networkx seconds per case before "
                   "extrapolating (default 60; quick 10)")
    g = p.add_argument_group("pipeline")
    g.add_argument("--pipeline-size", help="demand,candidates,nodes "
                   "(default 100000,2000,200000; quick 10000,300,20000)")
    g.add_argument("--pipeline-time-limit", type=float, help="solver time limit written into "
                   "the synthetic scenario, s (default 120; quick 30)")
    g.add_argument("--uncapacitated", action="store_true",
                   help="synthetic scenario with solver.capacitated = false")
    g.add_argument("--max-alloc", type=int, default=10,
                   help="solver.max_alloc_options of the capacitated city (0 = exact, one "
                   "allocation column per coverage pair: ~28 GB at full size)")
    g.add_argument("--enforce-memory-check", action="store_true",
                   help="let siting's pre-flight memory check stop the run (default: record "
                   "its estimate and measure the real peak)")
    g = p.add_argument_group("OSM extract")
    g.add_argument("--osm-mb", type=float, help="size of the synthetic .osm.pbf, MB "
                   "(default 50; quick 2)")
    g.add_argument("--osmnx-budget-s", type=float, help="wall seconds for all osmnx runs "
                   "before extrapolating (default 300; quick 20)")
    g.add_argument("--osmnx-max-gb", type=float, default=6.0,
                   help="stop an osmnx run when its resident memory passes this")
    p.add_argument("--min-free-gb", type=float, default=1.5,
                   help="stop a part (child process) when the machine's available memory "
                   "falls below this")
    p.add_argument("--in-process", action="store_true",
                   help="run the parts in this process (default: one child process per part, "
                   "watched for memory)")
    p.add_argument("-v", "--verbose", action="store_true", help="progress log on stderr")
    return p


def _defaults(a: argparse.Namespace) -> argparse.Namespace:
    q = a.quick
    a.mclp_sizes = a.mclp_sizes or ("2000x200,5000x500" if q
                                    else "2000x200,5000x500,10000x1000,50000x2000")
    a.time_limit = a.time_limit or (20.0 if q else 120.0)
    a.graph_sizes = a.graph_sizes or ("50000" if q else "50000,200000")
    a.sources = a.sources or ("1000" if q else "1000,2000")
    a.nx_budget_s = a.nx_budget_s if a.nx_budget_s is not None else (10.0 if q else 60.0)
    a.pipeline_size = a.pipeline_size or ("10000,300,20000" if q else "100000,2000,200000")
    a.pipeline_time_limit = a.pipeline_time_limit or (30.0 if q else 120.0)
    a.osm_mb = a.osm_mb or (2.0 if q else 50.0)
    a.osmnx_budget_s = (a.osmnx_budget_s if a.osmnx_budget_s is not None
                        else (20.0 if q else 300.0))
    return a


def run_child(cmd: list[str], min_free_gb: float) -> tuple[int, str | None]:
    """Run one part in a child process; kill it (by its pid) if free memory runs out.

    Returns the exit code and, when the child was stopped, why. Other people's processes
    share the machine, so a part that would push it into swapping or the OOM killer is
    stopped instead, and the figures printed so far are kept.
    """
    proc = subprocess.Popen(cmd)
    child = psutil.Process(proc.pid)
    note = None
    while proc.poll() is None:
        avail = psutil.virtual_memory().available / 2**30
        if avail < min_free_gb:
            with contextlib.suppress(psutil.Error):
                rss = sum(p.memory_info().rss for p in [child, *child.children(True)])
                note = (f"stopped: machine's available memory fell to {avail:.1f} GB (< "
                        f"{min_free_gb:g} GB) while the part used {rss / 2**30:.1f} GB")
            for p in [*child.children(recursive=True), child]:
                with contextlib.suppress(psutil.Error):
                    p.kill()
            proc.wait()
            break
        time.sleep(0.5)
    return proc.returncode, note


def _child_argv(argv: Sequence[str], part: str, out: Path) -> list[str]:
    """argv for a child running one part (``--only`` and ``--out`` replaced)."""
    skip_next = False
    keep = []
    for a in argv:
        if skip_next:
            skip_next = False
            continue
        if a in ("--only", "--out"):
            skip_next = True
            continue
        if a.startswith(("--only=", "--out=")):
            continue
        keep.append(a)
    return [sys.executable, str(Path(__file__).resolve()), *keep, "--only", part,
            "--out", str(out), "--in-process"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; return the exit status (1 when a comparison check failed)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _defaults(build_parser().parse_args(argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for name in ("siting", "pyogrio"):
        logging.getLogger(name).setLevel(logging.WARNING)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        print(f"unknown part(s) {unknown}; choose from {list(PARTS)}", file=sys.stderr)
        return 2
    mach = machine()
    results: dict[str, Any] = {"machine": mach, "quick": args.quick,
                               "args": {k: (str(v) if isinstance(v, Path) else v)
                                        for k, v in vars(args).items()}}
    checks = Checks()
    if not args.in_process:
        print(f"Machine: {machine_line(mach)}")
        print(f"Mode: {'quick' if args.quick else 'full'}; parts: {', '.join(parts)}")
    if not args.in_process:
        with tempfile.TemporaryDirectory(prefix="siting-bench-parts-") as tmp:
            for part in parts:
                out = Path(tmp) / f"{part}.json"
                sys.stdout.flush()
                code, note = run_child(_child_argv(argv, part, out), args.min_free_gb)
                if out.is_file():
                    child = json.loads(out.read_text(encoding="utf-8"))
                    results.update({k: v for k, v in child.items() if k in PARTS})
                    checks.failures.extend(child.get("checks", {}).get("failures", []))
                if note:
                    results.setdefault(part, {})["aborted"] = note
                    if _partial_path(out).is_file():
                        results[part].update(json.loads(_partial_path(out).read_text(
                            encoding="utf-8")))
                    checks.failures.append(f"part {part}: {note}")
                    print(f"\n**{part}: {note}**")
                elif code not in (0, 1) or not out.is_file():
                    checks.failures.append(f"part {part} crashed (exit {code})")
    else:
        for part in parts:
            t0 = time.perf_counter()
            cpu0 = psutil.Process().cpu_times()
            load0 = os.getloadavg()[0]
            results[part] = RUNNERS[part](args, checks)
            cpu1 = psutil.Process().cpu_times()
            load1 = os.getloadavg()[0]
            wall = time.perf_counter() - t0
            cpu = sum(getattr(cpu1, f) - getattr(cpu0, f)
                      for f in ("user", "system", "children_user", "children_system"))
            results[part].update({"part_seconds": wall, "part_cpu_seconds": cpu,
                                  "load_avg_1min": [load0, load1]})
            # other people's jobs on the machine stretch wall times; say how busy it was
            print(f"\n_{part}: {wall:.0f} s wall, {cpu:.0f} s CPU (with children); 1-min "
                  f"load average {load0:.1f} at start, {load1:.1f} at end "
                  f"({os.cpu_count()} cores)._", flush=True)
    results["checks"] = {"ok": not checks.failures, "failures": checks.failures}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=_json),
                            encoding="utf-8")
    if not args.in_process:
        if checks.failures:
            print("\nCHECKS FAILED ✗:\n- " + "\n- ".join(checks.failures))
        else:
            print("\nAll comparison checks passed ✓")
    return 1 if checks.failures else 0


def _json(o: object) -> object:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


if __name__ == "__main__":
    sys.exit(main())
