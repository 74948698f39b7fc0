r"""Least cost to a target, and minimum coverage shares: a transform of the MIP's layout.

Two additions to the model of :mod:`siting.model`, both applied to a built
:class:`~siting.model.build.Layout` (nothing else in the build changes):

**Coverage floors** (:class:`~siting.model.inputs.CoverageFloor`): for a group *G* of demand
rows (the final year's rows for a target; a zone's rows in one year for a zone's minimum
share), one row

.. math::

    \textstyle\sum_{r} c_r y_r \;\ge\; s \sum_{i \in G} w_i, \qquad
    c_r = \sum_{i \in G,\ i \mapsto r} w_i

over the reduced rows *r* (merged rows count with the weight of their members in *G*). The
right-hand side is the group's *whole* weight, rows that reach no station included: a 95 %
target on a fleet of which 10 % reaches no candidate cannot be met, and says so.

**Least cost** (``ModelInput.minimise_cost``): the objective becomes

.. math::

    \max\; -\textstyle\sum_o \frac{c_o}{C} x_{o,P-1}
      \;+\; \delta \frac{\sum_r w_r y_r + \sum_f w_f h_f}{W}
      \;-\; \delta \frac{\sum_o t_o x_{o,P-1}}{T}

capital cost (in units of the dearest option's cost *C*) minimised; every other row of the
model stays (budgets are caps, zone requirements, grid, hydrogen supply, capacities,
corridors). The two small terms break ties only, each worth at most
:math:`\delta = \tau\, c_{\min} / C` (:data:`TAU` = 1e-6 of the cheapest option's cost): among
plans of equal cost the one covering more (earlier years included, so stations open as early
as the yearly caps allow) and with less hydrogen delivery (*t*:
:attr:`ModelInput.option_tiebreak`) wins. No plan dearer by more than two millionths of the
cheapest station's cost is ever chosen for them.

:func:`explain_infeasible` names what blocks a floor that cannot be met: the demand's reach,
or the first rule (budget, yearly caps, grid, hydrogen supply, vehicles per day, capacities,
zone requirements) whose removal lets the floor be met, by re-solving relaxations.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from siting._errors import InfeasibleError
from siting.model.build import Layout
from siting.model.heuristics import GreedyPlan
from siting.model.inputs import CoverageFloor, FloatArray, ModelInput, RawResult, Reductions
from siting.model.reduce import Reduced, openable, pattern

if TYPE_CHECKING:
    from siting.model.inputs import Solution
    from siting.model.solve import SitingModel

#: Share of the time limit the first phase of a least-cost solve may use (the plan of
#: greatest coverage of the target's demand, the start of the second phase).
PHASE_ONE_SHARE: float = 0.5

#: Largest value of each tie-breaking term of the least-cost objective, as a share of the
#: cheapest new option's cost.
TAU: float = 1e-6
#: Shares are compared with this tolerance (solver feasibility tolerance on a share).
SHARE_TOL: float = 1e-6


# =========================================================================== the transform
def transform(lay: Layout, rd: Reduced, mi: ModelInput) -> Layout:
    """``lay`` with the floor rows of ``mi`` and, if asked, the least-cost objective."""
    if mi.coverage_floors:
        lay = add_floors(lay, rd, mi)
    if mi.minimise_cost:
        lay = least_cost_objective(lay, rd, mi)
    return lay


def floor_coefficients(fl: CoverageFloor, rd: Reduced, weight: FloatArray
                       ) -> tuple[FloatArray, float]:
    """(per reduced row: weight of its members in the floor's group, the group's weight)."""
    rows = np.unique(np.asarray(fl.rows, dtype=np.int64))
    w = weight[rows]
    total = float(w.sum())
    kept = rd.row_of[rows] >= 0
    c = np.bincount(rd.row_of[rows[kept]], weights=w[kept], minlength=rd.n_rows)
    return np.asarray(c, dtype=float), total


def add_floors(lay: Layout, rd: Reduced, mi: ModelInput) -> Layout:
    """Append one row ``Σ c_r y_r >= share × W`` per floor (scaled by its largest c)."""
    weight = np.asarray(mi.weight, dtype=float)
    rows, lbs, names = [], [], []
    for k, fl in enumerate(mi.coverage_floors):
        c, total = floor_coefficients(fl, rd, weight)
        need = fl.share * total
        if total <= 0 or need <= 0:
            continue
        big = float(c.max()) if len(c) else 0.0
        if big <= 0:
            big = 1.0  # nothing coverable: the row reads 0 >= need/1 (infeasible, as it is)
        nz = np.flatnonzero(c)
        rows.append(sp.csr_matrix((c[nz] / big, (np.zeros(len(nz), np.int64), lay.oy + nz)),
                                  shape=(1, lay.A.shape[1])))
        lbs.append(need / big * (1.0 - 1e-9))
        names.append(f"floor_{k}")
    if not rows:
        return lay
    A = sp.csr_matrix(sp.vstack([lay.A, *rows], format="csr"))
    A.sort_indices()
    return replace(lay, A=A, row_lb=np.r_[lay.row_lb, lbs],
                   row_ub=np.r_[lay.row_ub, np.full(len(lbs), np.inf)],
                   row_names=[*lay.row_names, *names])


def cost_unit(rd: Reduced) -> float:
    """The least-cost objective's unit, CNY: the dearest new option's cost (1 when free)."""
    new = rd.cost[~rd.existing] if len(rd.cost) else np.zeros(0)
    top = float(new.max()) if len(new) else 0.0
    return top if top > 0 else 1.0


def least_cost_objective(lay: Layout, rd: Reduced, mi: ModelInput) -> Layout:
    """The layout with the least-cost objective (see the module docstring)."""
    P = lay.P
    unit = cost_unit(rd)
    new = rd.cost[~rd.existing]
    cheapest = float(new[new > 0].min()) if (new > 0).any() else unit
    delta = TAU * cheapest / unit
    obj = np.zeros(lay.A.shape[1])
    xo = np.arange(rd.n_options) * P + (P - 1)
    extra = np.maximum(rd.tiebreak - rd.cost, 0.0)
    top = float(extra.max()) if len(extra) else 0.0
    obj[xo] = -rd.cost / unit - (delta * extra / top if top > 0 else 0.0)
    total = rd.coverable_weight()
    if total > 0:
        obj[lay.oy:lay.oz] = delta * rd.weight / total
        obj[lay.oh:lay.eh] = delta * np.array([f.weight for f in rd.flows]) / total
    return replace(lay, col_obj=obj, eps=unit)  # eps holds the cost unit (see decode)


def cost_bound_and_gap(raw: RawResult, spent: float, unit: float = 1.0) -> tuple[float, float]:
    """A lower bound on the capital cost (CNY) and the relative gap of the plan's ``spent``.

    The solver maximises ``-cost/unit + tie terms`` (tie terms >= 0), so its bound *B* gives
    ``cost >= -B × unit``.
    """
    if raw.status == "optimal":
        return spent, 0.0
    if not math.isfinite(raw.bound):
        return 0.0, (math.inf if spent > 0 else 0.0)
    low = min(max(0.0, -raw.bound * unit), spent)
    return low, ((spent - low) / spent if spent > 0 else 0.0)


# =========================================================================== solving
def solve_least_cost(model: SitingModel, solver: str, *, time_limit_s: float, mip_gap: float,
                     threads: int, msg: bool) -> Solution:
    """Solve a least-cost model in two phases (what :meth:`SitingModel.solve` does for it).

    1. The plan covering the most of the target's demand under every rule (budget caps,
       floors, zone requirements ...) — within :data:`PHASE_ONE_SHARE` of the time limit. If
       even its bound is below the target, the target is infeasible: the error names what
       blocks it (:func:`explain_infeasible`). If it reaches the target, it is the start of:
    2. the least-cost solve, in the time left.

    Raises
    ------
    InfeasibleError
        The target (or a floor) cannot be met; the message names what blocks it.
    SolverError
        No plan reaching the target was found in time (the message gives the best share
        found and the bound).
    """
    import time

    from siting._errors import SolverError

    mi = model.input
    t0 = time.perf_counter()
    goal = mi.coverage_floors[0] if mi.coverage_floors else None
    start = None
    found: tuple[float, float] | None = None
    phase: tuple[float, float, np.ndarray] | bool | None = False
    if goal is not None:
        rest = replace(mi, coverage_floors=mi.coverage_floors[1:])
        try:
            phase = _max_plan(rest, goal, capacitated=model.capacitated, solver=solver,
                              time_limit_s=PHASE_ONE_SHARE * time_limit_s, threads=threads)
        except SolverError:  # no plan at all in the first half: the second half tries
            phase = False
    if phase is not False:
        if phase is None:  # infeasible without the target: the zone requirements' message
            return model.solve(solver, time_limit_s=time_limit_s, mip_gap=mip_gap,
                               threads=threads, warm_start=False, msg=msg)
        assert goal is not None and not isinstance(phase, bool)
        achieved, upper, open_year = phase
        found = (achieved, upper)
        if upper < goal.share - SHARE_TOL:
            why = explain_infeasible(mi, capacitated=model.capacitated, solver=solver,
                                     time_limit_s=time_limit_s, threads=threads)
            raise InfeasibleError(why or _reach_message(mi, goal, upper))
        if achieved >= goal.share - SHARE_TOL:
            start = open_year
    left = max(time_limit_s - (time.perf_counter() - t0), 0.1 * time_limit_s)
    try:
        if start is not None:
            sol = model.solve(solver, time_limit_s=left, mip_gap=mip_gap, threads=threads,
                              msg=msg, start_plan=start)
        else:
            sol = model.solve(solver, time_limit_s=left, mip_gap=mip_gap, threads=threads,
                              warm_start=False, msg=msg)
        return _with_relaxed_cost_bound(model, sol, threads=threads,
                                        time_limit_s=max(1.0, 0.1 * time_limit_s))
    except SolverError:
        if goal is None or found is None:
            raise
        src = f"{mi.source}: " if mi.source else ""
        raise SolverError(
            f"{src}no plan reaching {goal.label} was found within the time limit of "
            f"{time_limit_s:g} s: the best plan found covers {_pct(found[0])} and the rules "
            f"allow at most {_pct(found[1])}; raise solver.time_limit_s or lower the target "
            f"to {_pct(found[0])}") from None


def _with_relaxed_cost_bound(model: SitingModel, sol: Solution, *, threads: int,
                             time_limit_s: float) -> Solution:
    """``sol`` with the least cost of the uncapacitated LP relaxation as its cost bound when
    that is higher (a capacitated solve stopped early often has no useful bound of its own):
    dropping the allocation and capacity rows and integrality only enlarges the feasible set,
    so that LP's least cost is a lower bound on the true one."""
    from siting.model import highs
    from siting.model.build import layout

    if sol.status == "optimal" or not model.capacitated or not highs.highs_available():
        return sol
    rd = model._rd  # the model package's own view of the instance
    lay = transform(layout(rd, capacitated=False, strengthen=False, tau=0.0), rd, model.input)
    value = highs.lp_bound(lay, time_limit_s=time_limit_s, threads=threads)
    if not math.isfinite(value):
        return sol
    low = min(max(0.0, -value * lay.eps), sol.spent)
    if math.isfinite(sol.bound) and low <= sol.bound:
        return sol
    gap = (sol.spent - low) / sol.spent if sol.spent > 0 else 0.0
    return replace(sol, bound=low, gap=gap)


def start_plan(rd: Reduced, open_year: np.ndarray) -> GreedyPlan:
    """A plan from opening years (input indexing), with no allocation yet."""
    oy = np.asarray(open_year, dtype=np.int64)[rd.opt]
    return GreedyPlan(open_year=oy, served=np.zeros(rd.n_rows), z=None, objective=math.nan)


def start_from_open_year(lay: Layout, rd: Reduced, open_year: np.ndarray) -> FloatArray:
    """Solver start for a given plan: its stations, and the best allocation of demand to
    them (an LP with the stations fixed; :func:`siting.model.decode.allocation_for_plan`)."""
    from siting.model import decode

    plan = start_plan(rd, open_year)
    v = decode.start_vector(lay, rd, plan)
    best = decode.allocation_for_plan(lay, v[:lay.n_x])
    return best if best is not None else v


def _max_plan(mi: ModelInput, fl: CoverageFloor, *, capacitated: bool, solver: str,
              time_limit_s: float, threads: int
              ) -> tuple[float, float, np.ndarray] | None:
    """(share reached, upper bound, opening years) of the plan covering the most of ``fl``'s
    rows under ``mi``'s rules (no cost objective); None when those rules are infeasible."""
    from siting.model.solve import SitingModel

    weight = np.asarray(mi.weight, dtype=float)
    rows = np.unique(np.asarray(fl.rows, dtype=np.int64))
    total = float(weight[rows].sum())
    w = np.zeros(mi.n_demand)
    w[rows] = weight[rows]
    sub = replace(mi, weight=w, flows=[], flow_year=None, minimise_cost=False)
    try:
        sol = SitingModel.from_input(sub, capacitated=capacitated).solve(
            solver, time_limit_s=time_limit_s, threads=threads)
    except InfeasibleError:
        return None
    if total <= 0:
        return 1.0, 1.0, np.asarray(sol.open_year)
    bound = sol.bound if math.isfinite(sol.bound) else total
    return sol.objective / total, min(1.0, bound / total), np.asarray(sol.open_year)


# =========================================================================== checks
def split_merged_rows(mi: ModelInput, rd: Reduced) -> bool:
    """Whether a merged row holds members inside and outside one floor's group.

    Merging such rows is not exact under a floor (capacity could go to the members inside
    the group first); the model is then built without merging.
    """
    if not mi.coverage_floors or rd.n_rows == mi.n_demand:
        return False
    for fl in mi.coverage_floors:
        inside = np.zeros(mi.n_demand, dtype=bool)
        inside[np.asarray(fl.rows, dtype=np.int64)] = True
        kept = rd.row_of >= 0
        n_in = np.bincount(rd.row_of[kept], weights=inside[kept], minlength=rd.n_rows)
        n_all = np.bincount(rd.row_of[kept], minlength=rd.n_rows)
        if ((n_in > 0) & (n_in < n_all)).any():
            return True
    return False


def reachable_share(mi: ModelInput, fl: CoverageFloor) -> float:
    """Share of a floor's weight whose rows some openable option covers (1 when weightless)."""
    weight = np.asarray(mi.weight, dtype=float)
    rows = np.unique(np.asarray(fl.rows, dtype=np.int64))
    total = float(weight[rows].sum())
    if total <= 0:
        return 1.0
    ok = openable(mi, Reductions(), by_cost=False)
    pat = pattern(mi.cover)[:, np.flatnonzero(ok)]
    reach = np.diff(sp.csr_matrix(pat).indptr) > 0
    return float(weight[rows][reach[rows]].sum()) / total


def precheck(mi: ModelInput) -> None:
    """Raise :class:`InfeasibleError` for a floor above the share of its demand in reach."""
    for fl in mi.coverage_floors:
        reach = reachable_share(mi, fl)
        if reach < fl.share - SHARE_TOL:
            raise InfeasibleError(_reach_message(mi, fl, reach))


def _reach_message(mi: ModelInput, fl: CoverageFloor, reach: float) -> str:
    src = f"{mi.source}: " if mi.source else ""
    return (f"{src}{fl.label or 'coverage floor'} cannot be met: only {_pct(reach)} of that "
            "demand reaches any candidate station within its threshold_min; lower it to at "
            f"most {_pct(reach)}, add candidate sites near that demand or raise the segments' "
            "threshold_min")


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %"


# =========================================================================== diagnosis
#: The rules relaxed one after another (cumulatively) to find what blocks a floor: (name in
#: messages, the fix, how to relax a ModelInput, whether it applies).
def _relaxations(mi: ModelInput) -> list[tuple[str, str, dict[str, object]]]:
    out: list[tuple[str, str, dict[str, object]]] = []
    if math.isfinite(mi.budget_total):
        out.append(("the budget (budget.total)", "raise budget.total",
                    {"budget_total": math.inf}))
    if mi.budget_by_year is not None and np.isfinite(np.asarray(mi.budget_by_year)).any():
        out.append(("the yearly budget caps (budget.by_year)", "raise budget.by_year",
                    {"budget_by_year": None}))
    if mi.grid_groups:
        out.append(("the substations' spare capacity ([grid])",
                    "raise spare_mw of the substations or lower the types' grid_kw",
                    {"grid_groups": [], "grid_labels": []}))
    if mi.has_supply_limits():
        out.append(("the hydrogen supply sites' kg_per_day", "add hydrogen supply",
                    {"supply_pairs": None, "supply_capacity": None}))
    if mi.option_vehicles_cap is not None and np.isfinite(mi.vehicles_cap()).any():
        out.append(("the station types' vehicles_per_day", "raise vehicles_per_day",
                    {"option_vehicles_cap": None}))
    out.append(("the stations' daily capacities", "add larger station types",
                {"_uncapacitated": True}))
    if mi.zone_min:
        out.append(("the zone requirements", "review zone_requirements",
                    {"zone_min": [], "zone_labels": []}))
    return out


def _max_share(mi: ModelInput, fl: CoverageFloor, *, capacitated: bool, solver: str,
               time_limit_s: float, threads: int) -> tuple[float, float] | None:
    """(achieved, upper bound) share of the floor's weight a coverage-maximising plan covers
    under ``mi``'s rules (floors and least cost off); None when those rules are infeasible."""
    from siting.model.solve import SitingModel

    weight = np.asarray(mi.weight, dtype=float)
    rows = np.unique(np.asarray(fl.rows, dtype=np.int64))
    total = float(weight[rows].sum())
    w = np.zeros(mi.n_demand)
    w[rows] = weight[rows]
    sub = replace(mi, weight=w, flows=[], flow_year=None, coverage_floors=[],
                  minimise_cost=False)
    try:
        sol: Solution = SitingModel.from_input(sub, capacitated=capacitated,
                                               cost_tiebreak=0.0).solve(
            solver, time_limit_s=time_limit_s, threads=threads)
    except InfeasibleError:
        return None
    bound = sol.bound if math.isfinite(sol.bound) else total
    return sol.objective / total, min(1.0, bound / total)


def explain_infeasible(mi: ModelInput, *, capacitated: bool, solver: str, time_limit_s: float,
                       threads: int) -> str | None:
    """Why the floors of ``mi`` cannot be met, in one line; None when the model is
    infeasible without them too (then the zone requirements are to blame: see
    :mod:`siting.model.diagnose`)."""
    src = f"{mi.source}: " if mi.source else ""
    for fl in mi.coverage_floors:
        reach = reachable_share(mi, fl)
        if reach < fl.share - SHARE_TOL:
            return _reach_message(mi, fl, reach)
    for fl in mi.coverage_floors:
        first = _max_share(mi, fl, capacitated=capacitated, solver=solver,
                           time_limit_s=time_limit_s, threads=threads)
        if first is None:
            return None
        achieved, upper = first
        if upper >= fl.share - SHARE_TOL:
            continue
        relaxed = mi
        cap = capacitated
        for name, fix, change in _relaxations(mi):
            change = dict(change)
            if change.pop("_uncapacitated", False):
                cap = False
            relaxed = replace(relaxed, **change)  # type: ignore[arg-type]
            res = _max_share(relaxed, fl, capacitated=cap, solver=solver,
                             time_limit_s=time_limit_s, threads=threads)
            if res is not None and res[0] >= fl.share - SHARE_TOL:
                return (f"{src}{fl.label} cannot be met: the rules allow at most "
                        f"{_pct(upper)}; {name} block it ({_pct(res[0])} is reached without "
                        f"{'them' if name.startswith('the') else 'it'}); lower the share to "
                        f"at most {_pct(achieved)} or {fix}")
        return (f"{src}{fl.label} cannot be met: the rules allow at most {_pct(upper)}, and "
                "relaxing budgets, grid, hydrogen supply, capacities and zone requirements "
                "one after another does not reach it (one station per site limits it); lower "
                f"the share to at most {_pct(achieved)}")
    labels = "; ".join(fl.label for fl in mi.coverage_floors)
    return (f"{src}the coverage floors cannot all be met together ({labels}); each alone can "
            "be: lower one of them")
