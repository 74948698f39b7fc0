"""The price of each mandate: the plan re-solved without it.

Each zone requirement, each zone coverage floor and each rule family the scenario marks
(``[mandates] families``) is dropped in turn and the MIP solved again, in parallel worker
processes (:mod:`siting._parallel`). Coverage mode: the price is the final-year coverage gained
(share points) and the money saved; least-cost mode: the money saved at the same target.

Dropping a rule only enlarges the feasible set, so the re-solved plan is never worse than the
run's. When a re-solve stops at its time limit with a worse plan (the two solves were not
proven optimal), the run's plan is kept for it — its price then shows as 0 with a note: the
price is at most what the solver's gap leaves open.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from siting._errors import InfeasibleError, SolverError
from siting._parallel import default_workers, run_local, shared
from siting.model import ModelInput, SitingModel
from siting.report import MandatePrice, Report
from siting.scenario import Scenario

log = logging.getLogger(__name__)

#: A mandate binds when dropping it gains more than this (share points of the final year) ...
BINDING_GAIN = 0.0005
#: ... or saves more than this share of the plan's spending.
BINDING_SAVING = 0.001

#: Sentences for the families (English; the briefing labels them in its language).
FAMILY_LABELS: dict[str, str] = {
    "zone_requirements": "all zone requirements",
    "zone_coverage": "all zone coverage floors",
    "budget_by_year": "the yearly budget caps (budget.by_year)",
    "grid": "the substations' spare capacity ([grid])",
    "hydrogen_supply": "the hydrogen supply sites' kg_per_day",
    "setbacks": "the setbacks from sensitive sites ([setbacks])",
    "vehicles_per_day": "the station types' vehicles_per_day",
}


@dataclass(frozen=True)
class Mandate:
    """One mandate and how to drop it: ModelInput fields to change, or scenario keys to
    change before preparing again (setbacks decide which options exist)."""

    key: str
    kind: str
    label: str
    change: dict[str, Any] = field(default_factory=dict)
    scenario_change: dict[str, Any] = field(default_factory=dict)
    zone: str = ""


def mandates_of(sc: Scenario, mi: ModelInput) -> list[Mandate]:
    """The mandates of a scenario, in the order they are reported."""
    out = []
    zmin, zlab = list(mi.zone_min), list(mi.zone_labels)
    for k, req in enumerate(sc.zone_requirements):
        label = zlab[k] if k < len(zlab) else f"zone requirement {k + 1} ({req.zone})"
        out.append(Mandate(f"zone_requirement:{k + 1}", "zone_requirement", label,
                           {"zone_min": zmin[:k] + zmin[k + 1:],
                            "zone_labels": zlab[:k] + zlab[k + 1:]}, zone=req.zone))
    floors = list(mi.coverage_floors)
    first = 1 if sc.objective.target_share is not None else 0  # the target floor comes first
    for k, z in enumerate(sc.zone_coverage):
        j = first + k
        out.append(Mandate(f"zone_coverage:{k + 1}", "zone_floor", floors[j].label,
                           {"coverage_floors": floors[:j] + floors[j + 1:]}, zone=z.zone))
    families = list(sc.mandates.families)
    if len(sc.zone_requirements) >= 2 and "zone_requirements" not in families:
        families.insert(0, "zone_requirements")
    for fam in families:
        label = FAMILY_LABELS[fam]
        if fam == "zone_requirements" and mi.zone_min:
            out.append(Mandate(fam, fam, label, {"zone_min": [], "zone_labels": []}))
        elif fam == "zone_coverage" and len(floors) > first:
            out.append(Mandate(fam, fam, label, {"coverage_floors": floors[:first]}))
        elif fam == "budget_by_year" and mi.budget_by_year is not None:
            out.append(Mandate(fam, fam, label, {"budget_by_year": None}))
        elif fam == "grid" and mi.grid_groups:
            out.append(Mandate(fam, fam, label, {"grid_groups": [], "grid_labels": []}))
        elif fam == "hydrogen_supply" and mi.has_supply_limits():
            out.append(Mandate(fam, fam, label, {"supply_pairs": None,
                                                 "supply_capacity": None}))
        elif fam == "vehicles_per_day" and mi.option_vehicles_cap is not None:
            out.append(Mandate(fam, fam, label, {"option_vehicles_cap": None}))
        elif fam == "setbacks" and sc.setbacks is not None:
            out.append(Mandate(fam, fam, label, scenario_change={"setbacks": None}))
    return out


def solve_without(m: Mandate) -> dict[str, Any]:
    """Worker: solve the shared model input without mandate ``m`` (see :func:`price`)."""
    base: ModelInput = shared()["model_input"]
    opts = shared()["solver"]
    try:
        if m.scenario_change:
            from siting.pipeline import prepare

            sc: Scenario = shared()["scenario"]
            mi = prepare(sc.model_copy(update=m.scenario_change)).model_input
        else:
            mi = replace(base, **m.change)
        sol = SitingModel.from_input(mi, capacitated=opts["capacitated"],
                                     max_alloc_options=opts["max_alloc_options"]).solve(
            opts["name"], time_limit_s=opts["time_limit_s"], mip_gap=opts["mip_gap"],
            threads=1)
    except InfeasibleError as e:  # dropping a rule cannot make a feasible model infeasible
        return {"key": m.key, "status": "infeasible", "note": str(e)}
    except SolverError as e:
        return {"key": m.key, "status": "failed", "note": str(e)}
    return {"key": m.key, "status": sol.status, "objective": float(sol.objective),
            "share": mi.final_year_share(sol.served),
            "spent": float(sol.spent), "gap": None if not math.isfinite(sol.gap) else
            float(sol.gap)}


def price(sc: Scenario, mi: ModelInput, report: Report, *, workers: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> list[MandatePrice]:
    """Price every mandate of ``sc`` against the run's plan (``report``).

    Parameters
    ----------
    sc, mi
        The scenario and the model input the run solved.
    report
        The run's report (coverage, spending and objective with every mandate).
    workers
        Worker processes (default ``[mandates] workers``, else the CPU cores, at most 8).
    """
    todo = mandates_of(sc, mi)
    if not todo:
        return []
    n = workers or sc.mandates.workers or default_workers()
    payload = {"model_input": mi, "scenario": sc, "solver": {
        "name": sc.solver.name, "time_limit_s": sc.solver.time_limit_s,
        "mip_gap": sc.solver.mip_gap, "capacitated": sc.solver.capacitated,
        "max_alloc_options": sc.solver.max_alloc_options}}
    raw = run_local(solve_without, todo, payload, workers=n, progress=progress)
    least_cost = mi.minimise_cost
    return [_priced(m, r, report, least_cost) for m, r in zip(todo, raw, strict=True)]


def _priced(m: Mandate, r: dict[str, Any], report: Report, least_cost: bool) -> MandatePrice:
    base: dict[str, Any] = {"key": m.key, "kind": m.kind, "label": m.label, "zone": m.zone,
            "coverage_with": report.coverage_share, "spent_with": report.spent}
    if r["status"] in ("infeasible", "failed"):
        return MandatePrice(**base, status=r["status"], note=r.get("note", ""))
    share, spent, note = r["share"], r["spent"], ""
    worse = (spent > report.spent * (1 + 1e-9) if least_cost
             else r["objective"] < report.objective - 1e-6)
    if worse:
        share, spent = report.coverage_share, report.spent
        note = ("the re-solve stopped at its time limit with a plan no better than the run's; "
                "the price is within the solvers' gaps")
    gained = share - report.coverage_share
    saved = report.spent - spent
    binding = (saved > BINDING_SAVING * max(report.spent, 1.0) if least_cost
               else gained > BINDING_GAIN or saved > BINDING_SAVING * max(report.spent, 1.0))
    return MandatePrice(**base, coverage_without=share, spent_without=spent,
                        coverage_gained=gained, money_saved=saved, binding=binding,
                        status=r["status"], gap=r.get("gap"), note=note)
