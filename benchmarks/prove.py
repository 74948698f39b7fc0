"""Issue 12 — "is this the best plan for the money?": today's compact solve vs the new one.

Side by side on the same machine in the same run (each part in this process, one after the
other), printed as Markdown tables with ratios and written to JSON:

* ``bundled`` — the bundled Suizhou scenario at 0.5×, 0.75×, 1×, 1.5× and 2× its budget
  (total and yearly caps scaled together, as ``siting sweep`` does), capacitated; budgets
  the zone requirements cannot meet are reported as infeasible, and solved again without
  the zone requirements so that they still say something about the solver;
* ``demo`` — ``siting demo --quiet`` in a fresh process, wall time;
* ``mclp`` — the random 10k × 1k MCLP at 1.5 km (default cost tie-breaker) against spopt;
* ``hard`` — the hard random 5k × 500 MCLP at 1.5 km;
* ``clustered`` — real-world-like MCLPs (demand in towns, every point a site) against spopt;
* ``limit`` — how long a 1 s time limit takes;
* ``city`` — the capacitated synthetic city (10k demand points) with and without the
  Lagrangian step of large capacitated models.

"today" is the solve before issue 12, rebuilt here from the same model arrays: one weighted
objective (coverage − ε·cost), the state form of the phased model, HiGHS with its default
options (restarts, feasibility jump, presolve below 2M entries), the greedy + local-search
start, no check of the plan against HiGHS's reported objective. "new" is
``SitingModel.solve`` as shipped.

    .venv/bin/python benchmarks/prove.py --out prove.json           # everything, ~1 h
    .venv/bin/python benchmarks/prove.py --only bundled,limit --time-limit 60
    .venv/bin/python benchmarks/prove.py --quick                    # small, ~3 min
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _instances as inst
from run import covered_weight, machine, machine_line, table

ROOT = Path(__file__).resolve().parents[1]


# =========================================================================== the two solves
def solve_today(mi: Any, *, capacitated: bool, time_limit: float, threads: int = 2) -> dict:
    """The solve as it was before issue 12 (see the module docstring)."""
    from siting._errors import InfeasibleError
    from siting.model import SitingModel, decode, highs

    t0 = time.perf_counter()
    m = SitingModel.from_input(mi, capacitated=capacitated)
    try:
        m._precheck()
    except InfeasibleError as e:
        return {"status": "infeasible", "wall_s": time.perf_counter() - t0, "note": str(e)}
    plan = m._warm_plan(m._search_seconds(time_limit))
    lay = m.layout
    start = decode.start_vector(lay, m.reduced, plan) if plan is not None else None
    left = max(time_limit - (time.perf_counter() - t0), 0.1 * time_limit)
    h = highs.new_highs(msg=False, time_limit_s=left, threads=threads)
    h.setOptionValue("mip_rel_gap", 0.0)
    if lay.A.nnz > 2_000_000:
        h.setOptionValue("presolve", "off")
    highs.pass_layout(h, lay, integral=True)
    if start is not None:
        import highspy

        s = highspy.HighsSolution()
        s.col_value = np.clip(start, lay.col_lb, lay.col_ub).tolist()
        s.value_valid = True
        h.setSolution(s)
    t1 = time.perf_counter()
    highs.solve_interruptibly(h)
    raw = highs._result(h, lay, time.perf_counter() - t1)
    if raw.status == "infeasible":
        return {"status": "infeasible", "wall_s": time.perf_counter() - t0}
    if raw.status == "time_limit" and capacitated and lay.n_z:
        raw = m._with_relaxed_bound(raw, time_limit_s=max(1.0, 0.1 * time_limit),
                                    threads=threads)
    if raw.values is None:
        return {"status": raw.status, "wall_s": time.perf_counter() - t0}
    sol = m._decode(raw, "highs", plan, cost_status="weighted")
    return _row(sol, time.perf_counter() - t0)


def solve_new(mi: Any, *, capacitated: bool, time_limit: float, threads: int = 2,
              decompose: bool | None = None) -> dict:
    """``SitingModel.from_input(...).solve(...)`` as shipped."""
    from siting._errors import InfeasibleError, SolverError
    from siting.model import SitingModel

    t0 = time.perf_counter()
    m = SitingModel.from_input(mi, capacitated=capacitated)
    if decompose is not None:
        m.decompose = decompose
    try:
        sol = m.solve(time_limit_s=time_limit, threads=threads)
    except InfeasibleError as e:
        return {"status": "infeasible", "wall_s": time.perf_counter() - t0, "note": str(e)}
    except SolverError as e:
        return {"status": "no_plan", "wall_s": time.perf_counter() - t0, "note": str(e)}
    return _row(sol, time.perf_counter() - t0)


def _row(sol: Any, wall: float) -> dict:
    return {"status": sol.status, "cost_status": sol.cost_status,
            "objective": float(sol.objective), "bound": float(sol.bound),
            "gap": float(sol.gap), "spent": float(sol.spent),
            "open": int((sol.open_year >= 0).sum()), "solver_s": float(sol.seconds),
            "build_s": float(sol.build_seconds), "wall_s": wall,
            "year_bound": float(sol.year_bound),
            "open_year": sol.open_year.tolist()}


def _fmt(v: Any, nd: int = 1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return str(v)


def _pct(g: Any) -> str:
    return "-" if g is None or not math.isfinite(g) else f"{100 * g:.2f}"


ROW_HEAD = ["instance", "solve", "status", "cheapest", "objective", "bound", "gap %",
            "stations", "model s", "wall s"]


def _cells(name: str, tool: str, r: dict) -> list[str]:
    return [name, tool, r.get("status", "-"), r.get("cost_status", "-"),
            _fmt(r.get("objective"), 2), _fmt(r.get("bound"), 2), _pct(r.get("gap")),
            _fmt(r.get("open")), _fmt(r.get("build_s", 0.0) + r.get("solver_s", math.nan), 2),
            _fmt(r.get("wall_s"), 2)]


# =========================================================================== parts
def part_bundled(args: argparse.Namespace) -> dict:
    """The bundled scenario at several budgets, capacitated: today vs new."""
    from siting.cli import bundled_scenario
    from siting.pipeline import prepare
    from siting.scenario import load_scenario

    base = prepare(load_scenario(bundled_scenario())).model_input
    out, rows = [], []
    for f in args.budget_factors:
        by = None if base.budget_by_year is None else base.budget_by_year * f
        mi = replace(base, budget_total=base.budget_total * f, budget_by_year=by)
        variants = [("", mi)]
        for label, m in variants:
            today = solve_today(m, capacitated=True, time_limit=args.time_limit)
            new = solve_new(m, capacitated=True, time_limit=args.time_limit)
            name = f"{f:g}× budget{label}"
            if f == 1.0 and not label and args.benders:
                ben = solve_new(m, capacitated=True, time_limit=args.time_limit,
                                decompose=True)
                rows.append(_cells(name, "new, Benders", ben))
                out.append({"factor": f, "variant": "benders", "new": ben})
            if new["status"] == "infeasible" and not label:
                variants.append((" (zone minimums dropped)",
                                 replace(m, zone_min=[], zone_labels=[])))
            rows += [_cells(name, "today", today), _cells(name, "new", new)]
            out.append({"factor": f, "variant": label.strip(" ()") or "scenario",
                        "today": today, "new": new})
            print(f"- {name}: today {today['status']} {today['wall_s']:.1f} s, new "
                  f"{new['status']} {new['wall_s']:.1f} s", flush=True)
    print(f"\n### Bundled Suizhou scenario, capacitated, time limit {args.time_limit:g} s\n")
    print(table(ROW_HEAD, rows))
    return {"rows": out, "time_limit_s": args.time_limit}


def part_demo(args: argparse.Namespace) -> dict:
    """``siting demo --quiet`` in a fresh process."""
    exe = Path(sys.executable).with_name("siting")
    with tempfile.TemporaryDirectory(prefix="siting-demo-") as tmp:
        out = Path(tmp) / "suizhou"
        t0 = time.perf_counter()
        proc = subprocess.run([str(exe), "demo", "--out", str(out), "--quiet"], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        rep = (json.loads((out / "report.json").read_text(encoding="utf-8"))
               if (out / "report.json").is_file() else {})
    s = rep.get("solver", {})
    print("\n### `siting demo` (fresh process)\n")
    print(table(["wall s", "exit", "solver", "model stage s", "coverage 2025"], [[
        f"{wall:.1f}", proc.returncode, f"{s.get('status', '-')} (cheapest: "
        f"{s.get('cost_status', '-')}), {s.get('seconds', math.nan):.1f} s",
        _fmt(rep.get("timings", {}).get("model")), _fmt(100 * rep.get("coverage_share",
                                                                        math.nan)) + " %"]]))
    return {"wall_s": wall, "exit_code": proc.returncode, "solver": s,
            "timings": rep.get("timings", {})}


def _spopt(instance: inst.MclpInstance, radius: float, time_limit: float,
           cover: sp.csr_matrix) -> dict:
    from run import run_spopt

    r = run_spopt(instance, radius, time_limit=time_limit, mip_gap=0.0, cover_pattern=cover)
    return {"status": r["status"], "objective": r["objective_recomputed"], "bound": r["bound"],
            "gap": r["gap"], "open": r["open"], "solver_s": r["solver_s"],
            "build_s": r["build_s"] + r["matrix_s"], "wall_s": r["total_s"]}


def _mclp_case(name: str, instance: inst.MclpInstance, radius: float, args: argparse.Namespace,
               *, spopt: bool, today: bool = True) -> tuple[dict, list[list[str]]]:
    t0 = time.perf_counter()
    cover = inst.sparse_cover(instance.demand_xy, instance.site_xy, radius)
    mi = inst.mclp_model_input(instance, cover)
    cover_s = time.perf_counter() - t0
    res: dict[str, Any] = {"name": name, "radius": radius, "p": instance.p,
                           "pairs": int(cover.nnz)}
    res["new"] = solve_new(mi, capacitated=False, time_limit=args.time_limit)
    res["new"]["wall_s"] += cover_s
    if today:
        res["today"] = solve_today(mi, capacitated=False, time_limit=args.time_limit)
        res["today"]["wall_s"] += cover_s
    if spopt:
        res["spopt"] = _spopt(instance, radius, args.time_limit, cover)
    rows = [_cells(name, k, res[k]) for k in ("today", "new", "spopt") if k in res]
    for k in ("today", "new"):
        if k in res and "open_year" in res[k]:
            sel = np.flatnonzero(np.asarray(res[k].pop("open_year")) >= 0)
            res[k]["objective_recomputed"] = covered_weight(cover, instance.weight, sel)
    ref = res.get("spopt")
    if ref is not None:
        both = ref["status"] == "optimal" and res["new"]["status"] == "optimal"
        res["same_optimum"] = (abs(ref["objective"] - res["new"]["objective"])
                               <= 1e-6 * max(1.0, ref["objective"])) if both else None
        res["speedup_vs_spopt"] = ref["wall_s"] / res["new"]["wall_s"]
    if today:
        res["speedup_vs_today"] = res["today"]["wall_s"] / res["new"]["wall_s"]
    print(f"- {name}: " + ", ".join(f"{k} {res[k]['status']} {res[k]['wall_s']:.1f} s"
                                    for k in ("today", "new", "spopt") if k in res),
          flush=True)
    return res, rows


def _ratios(cases: list[dict]) -> str:
    lines = []
    for c in cases:
        parts = []
        if "speedup_vs_spopt" in c:
            same = {True: "same optimum", False: "DIFFERENT optimum", None: "not both proven"}
            parts.append(f"spopt / new {c['speedup_vs_spopt']:.1f}× ({same[c['same_optimum']]})")
        if "speedup_vs_today" in c:
            parts.append(f"today / new {c['speedup_vs_today']:.1f}×")
        lines.append(f"- {c['name']}: " + "; ".join(parts))
    return "\n".join(lines)


def part_mclp(args: argparse.Namespace) -> dict:
    """Random 10k × 1k MCLP at 1.5 km, default tie-breaker, against spopt."""
    n, m = (2000, 200) if args.quick else (10_000, 1_000)
    case, rows = _mclp_case(f"{n:,}×{m:,} r1500", inst.random_mclp(n, m, seed=args.seed),
                            1500.0, args, spopt=not args.no_spopt)
    print(f"\n### Random MCLP {n:,} × {m:,}, r = 1.5 km, p = {m // 10}, time limit "
          f"{args.time_limit:g} s\n")
    print(table(ROW_HEAD, rows))
    print("\n" + _ratios([case]))
    return {"cases": [case]}


def part_hard(args: argparse.Namespace) -> dict:
    """The hard random 5k × 500 MCLP at 1.5 km."""
    n, m = (2000, 200) if args.quick else (5_000, 500)
    case, rows = _mclp_case(f"{n:,}×{m:,} r1500", inst.random_mclp(n, m, seed=args.seed),
                            1500.0, args, spopt=False)
    print(f"\n### Hard random MCLP {n:,} × {m:,}, r = 1.5 km, time limit "
          f"{args.time_limit:g} s\n")
    print(table(ROW_HEAD, rows))
    print("\n" + _ratios([case]))
    return {"cases": [case]}


def part_clustered(args: argparse.Namespace) -> dict:
    """Clustered MCLPs (demand in towns, every point a site) against spopt."""
    sizes = ([int(x) for x in args.sizes.split(",")] if args.sizes
             else [324, 818] if args.quick else [324, 818, 2000, 5000])
    cases, rows = [], []
    for n in sizes:
        for radius in (800.0, 1600.0):
            for p in (8, 20):
                instance = inst.clustered_mclp(n, seed=args.seed, p=p)
                spopt = not args.no_spopt and n * n <= args.spopt_max_cells
                c, r = _mclp_case(f"{n}×{n} r{radius:g} p{p}", instance, radius, args,
                                  spopt=spopt, today=True)
                cases.append(c)
                rows += r
    print(f"\n### Clustered MCLP (towns; every point a candidate), time limit "
          f"{args.time_limit:g} s\n")
    print(table(ROW_HEAD, rows))
    print("\n" + _ratios(cases))
    return {"cases": cases}


def part_limit(args: argparse.Namespace) -> dict:
    """Wall time of ``solve(time_limit_s=1)`` on models HiGHS cannot finish in 1 s."""
    from siting.cli import bundled_scenario
    from siting.model import SitingModel
    from siting.pipeline import prepare
    from siting.scenario import load_scenario

    cases = {"bundled, capacitated": (prepare(load_scenario(bundled_scenario())).model_input,
                                      True)}
    for n, m in ((5000, 500), (10_000, 1_000)):
        i = inst.random_mclp(n, m, seed=args.seed)
        cases[f"MCLP {n:,}×{m:,} r1500"] = (
            inst.mclp_model_input(i, inst.sparse_cover(i.demand_xy, i.site_xy, 1500.0)), False)
    rows, out = [], []
    for name, (mi, cap) in cases.items():
        t0 = time.perf_counter()
        model = SitingModel.from_input(mi, capacitated=cap)
        build = time.perf_counter() - t0
        for which in ("today", "new"):
            t0 = time.perf_counter()
            if which == "today":   # solve_today builds the same model first: not counted
                r = solve_today(mi, capacitated=cap, time_limit=1.0)
                wall = time.perf_counter() - t0 - build
            else:
                r = _row(model.solve(time_limit_s=1.0), 0.0)
                wall = time.perf_counter() - t0
            out.append({"model": name, "solve": which, "solve_s": wall, "build_s": build,
                        "status": r.get("status")})
            rows.append([name, which, r.get("status"), f"{build:.2f}", f"{wall:.2f}",
                         "✓" if wall <= 1.2 else "✗"])
    print("\n### A 1 s time limit (the solve call, wall; the model build apart)\n")
    print(table(["model", "solve", "status", "build s", "solve s", "≤ 1.2 s"], rows))
    return {"rows": out}


def part_city(args: argparse.Namespace) -> dict:
    """The capacitated synthetic city (``run.py --quick``'s: 10k demand, 300 sites, 20k
    nodes), solved with and without the Lagrangian step (:mod:`siting.model.lagrange`)."""
    from siting.model import SitingModel
    from siting.pipeline import prepare
    from siting.scenario import load_scenario

    n_dem, n_cand, n_nodes = (2000, 100, 4000) if args.quick else (10_000, 300, 20_000)
    with tempfile.TemporaryDirectory(prefix="siting-prove-city-") as tmp:
        files = inst.write_city_scenario(Path(tmp) / "city", n_demand=n_dem,
                                         n_candidates=n_cand, n_nodes=n_nodes,
                                         seed=args.seed + 1, time_limit_s=args.time_limit,
                                         capacitated=True, max_alloc_options=0)
        mi = prepare(load_scenario(files.scenario)).model_input
    rows, out = [], []
    for which in ("without the step", "with the step"):
        t0 = time.perf_counter()
        model = SitingModel.from_input(mi, capacitated=True)
        if which == "without the step":  # the solve before: local search, pool bound
            model._too_large_for_lp = lambda seconds: False  # type: ignore[method-assign]
        r = _row(model.solve(time_limit_s=args.time_limit), time.perf_counter() - t0)
        out.append({"solve": which, **r})
        rows.append(_cells(f"city {n_dem:,} × {mi.n_options:,} options", which, r))
    print(f"\n### Capacitated city, time limit {args.time_limit:g} s\n")
    print(table(ROW_HEAD, rows))
    return {"rows": out}


PARTS = {"bundled": part_bundled, "demo": part_demo, "mclp": part_mclp, "hard": part_hard,
         "clustered": part_clustered, "limit": part_limit, "city": part_city}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--only", default=",".join(PARTS), help="parts, comma-separated")
    ap.add_argument("--time-limit", type=float, default=120.0, help="per solve, s")
    ap.add_argument("--budget-factors", default="0.5,0.75,1,1.5,2")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--no-spopt", action="store_true")
    ap.add_argument("--sizes", default="",
                    help="clustered: point counts, comma-separated (default 324,818,2000,5000)")
    ap.add_argument("--benders", action="store_true",
                    help="bundled: also solve the 1x budget by Benders decomposition")
    ap.add_argument("--spopt-max-cells", type=float, default=5e6,
                    help="skip spopt above this many matrix cells (its dense build)")
    ap.add_argument("--out", type=Path, default=None, help="JSON file to write")
    args = ap.parse_args(argv)
    args.budget_factors = [float(x) for x in args.budget_factors.split(",")]
    m = machine()
    import os

    print(f"Machine: {machine_line(m)}; load average at start "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    results: dict[str, Any] = {"machine": m, "args": {k: v for k, v in vars(args).items()
                                                      if k != "out"}}
    for part in args.only.split(","):
        t0 = time.perf_counter()
        results[part] = PARTS[part](args)
        results[part]["part_s"] = time.perf_counter() - t0
        if args.out:
            args.out.write_text(json.dumps(results, indent=1, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
