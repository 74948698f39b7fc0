"""Formulation choices of the siting MIP, measured side by side on the same MCLP instances.

Each variant changes one thing against the formulation siting uses (``baseline``): continuous
coverage variables y in [0, 1], the budget as ``Σ c·x ≤ B`` (p stations at most, cost 1 each),
the cost tie-breaker τ = 1e-6, the model reductions, HiGHS's presolve and symmetry detection on.
Every variant is exact (the same optimum; the script checks the covered weight, recomputed
from the plan, against the baseline's whenever both prove optimality, and exits 1 otherwise).

    .venv/bin/python benchmarks/formulations.py                 # about 15 min on 2 cores
    .venv/bin/python benchmarks/formulations.py --quick         # about 1 min
    .venv/bin/python benchmarks/formulations.py --time-limit 60 --sizes 5000x500 --radii 1500

The findings are recorded where the choices are made (``siting/model/__init__.py``, the package
docstring, "Formulation choices").
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _instances as inst
from run import covered_weight, machine, machine_line, parse_sizes, table

from siting.model import ModelInput, Reductions, SitingModel, decode, highs
from siting.model.build import Layout


@dataclass(frozen=True)
class Variant:
    """One formulation: how to build the model and which HiGHS options to add."""

    name: str
    what: str
    build: Callable[[ModelInput], SitingModel]
    edit: Callable[[Layout], Layout] = lambda lay: lay
    options: tuple[tuple[str, Any], ...] = ()


def _baseline(mi: ModelInput) -> SitingModel:
    return SitingModel.from_input(mi, capacitated=False)


def _y_binary(lay: Layout) -> Layout:
    col_int = lay.col_int.copy()
    col_int[lay.oy:lay.oz] = True
    return replace(lay, col_int=col_int)


def _budget_equal(lay: Layout) -> Layout:
    rows = [k for k, n in enumerate(lay.row_names) if n.startswith("budget_total")]
    lb = lay.row_lb.copy()
    lb[rows] = lay.row_ub[rows]
    return replace(lay, row_lb=lb)


VARIANTS: tuple[Variant, ...] = (
    Variant("baseline", "siting's formulation", _baseline),
    Variant("y binary", "coverage variables y integer", _baseline, _y_binary),
    Variant("budget =", "Σ c·x = B (exactly p stations)", _baseline, _budget_equal),
    Variant("τ = 0", "no cost tie-breaker",
            lambda mi: SitingModel.from_input(mi, capacitated=False, cost_tiebreak=0.0)),
    Variant("no reductions", "rows not merged, nothing dropped",
            lambda mi: SitingModel.from_input(mi, capacitated=False,
                                              reductions=Reductions.none())),
    Variant("no presolve", "HiGHS presolve off", _baseline, options=(("presolve", "off"),)),
    Variant("no symmetry", "HiGHS symmetry detection off", _baseline,
            options=(("mip_detect_symmetry", False),)),
)


def solve_variant(v: Variant, mi: ModelInput, *, time_limit: float) -> dict[str, Any]:
    """Build, solve with HiGHS from the greedy start, and decode the open sites."""
    t0 = time.perf_counter()
    model = v.build(mi)
    lay = v.edit(model._lay)
    model._lay = lay
    plan = model._greedy()
    start = decode.start_vector(lay, model._rd, plan) if plan is not None else None
    real = highs.new_highs

    def with_options(**kw: Any) -> Any:
        h = real(**kw)
        for key, value in v.options:
            h.setOptionValue(key, value)
        return h

    highs.new_highs = with_options
    try:
        raw = highs.solve_highs(lay, time_limit_s=time_limit, mip_gap=0.0, threads=2,
                                msg=False, start=start)
    finally:
        highs.new_highs = real
    total = time.perf_counter() - t0
    sol = model._decode(raw, "highs", plan)
    return {"variant": v.name, "status": sol.status, "open_sites": sol.open_year >= 0,
            "bound": float(sol.bound), "total_s": total, "columns": lay.A.shape[1],
            "rows": lay.A.shape[0]}


def main(argv: Sequence[str] | None = None) -> int:
    """Run every variant on every instance; print a table per instance and the ratios."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small instances, 20 s limit")
    p.add_argument("--sizes", help="demand x candidates (default 2000x200,5000x500)")
    p.add_argument("--radii", default="1500,3000", help="service radii, m")
    p.add_argument("--time-limit", type=float, help="per solve, s (default 60; quick 20)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    sizes = parse_sizes(a.sizes or ("1000x100,2000x200" if a.quick else "2000x200,5000x500"))
    radii = [float(r) for r in a.radii.split(",")]
    limit = a.time_limit or (20.0 if a.quick else 60.0)
    print(f"Machine: {machine_line(machine())}\n")
    print(f"HiGHS time limit {limit:g} s per solve, gap 0, 2 threads, greedy warm start.\n")
    warm = inst.random_mclp(200, 20, seed=a.seed)  # first HiGHS call pays its set-up: untimed
    solve_variant(VARIANTS[0], inst.mclp_model_input(
        warm, inst.sparse_cover(warm.demand_xy, warm.site_xy, radii[0])), time_limit=limit)
    failures: list[str] = []
    summary: dict[str, list[float]] = {v.name: [] for v in VARIANTS}
    for n_dem, n_site in sizes:
        instance = inst.random_mclp(n_dem, n_site, seed=a.seed)
        for r in radii:
            cover = inst.sparse_cover(instance.demand_xy, instance.site_xy, r)
            mi = inst.mclp_model_input(instance, cover)
            rows, base = [], None
            for v in VARIANTS:
                res = solve_variant(v, mi, time_limit=limit)
                obj = covered_weight(cover, instance.weight, np.flatnonzero(res["open_sites"]))
                base = base or {**res, "objective": obj}
                check = ""
                if res["status"] == "optimal" and base["status"] == "optimal":
                    ok = abs(obj - base["objective"]) <= 1e-6 * max(1.0, obj)
                    check = "✓ same optimum" if ok else "✗ differs"
                    if not ok:
                        failures.append(f"{n_dem}x{n_site} r={r:g} {v.name}: {obj} vs "
                                        f"{base['objective']}")
                ratio = res["total_s"] / base["total_s"]
                summary[v.name].append(ratio)
                rows.append([v.name, v.what, res["status"], f"{obj:,.0f}",
                             f"{res['bound']:,.0f}", f"{res['total_s']:.2f}", f"{ratio:.2f}",
                             f"{res['columns']:,} × {res['rows']:,}", check])
            print(f"### {n_dem:,} × {n_site:,}, r = {r:g} m, p = {max(1, n_site // 10)}\n")
            print(table(["variant", "change", "status", "covered", "bound", "s", "× baseline",
                         "columns × rows", "check"], rows))
            print()
    print("Time relative to the baseline, per instance (geometric mean; > 1 = slower):\n")
    print(table(["variant", "× baseline (geo. mean)", "min", "max"], [
        [k, f"{np.exp(np.mean(np.log(v))):.2f}", f"{min(v):.2f}", f"{max(v):.2f}"]
        for k, v in summary.items()]))
    if failures:
        print("\nFAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
