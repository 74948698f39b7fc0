"""Tests of the siting MIP against brute-force enumeration on small hand-built instances.

Every expected optimum here is computed by the test itself: all choices of (site → option or
nothing [× opening year]) are enumerated, checked against the constraints and valued —
uncapacitated by counting covered rows, capacitated by solving the allocation LP with
``scipy.optimize.linprog``. None of that uses :mod:`siting.model`.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field, replace

import numpy as np
import pulp
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from siting._errors import InfeasibleError, InputDataError
from siting.model import (
    ArcCoverFlow,
    GridGroup,
    ModelInput,
    Reductions,
    SitingModel,
    ZoneMinimum,
)

TOL = 1e-6


# =========================================================================== test instances
@dataclass
class Inst:
    """A small instance in plain Python lists (the test's own description of the problem)."""

    site: list[int]
    cost: list[float]
    cover: list[list[int]]                  # per demand row: the options that may serve it
    weight: list[float]
    energy: list[float] | None = None
    cap: list[float] | None = None
    existing: list[bool] | None = None
    year: list[int] | None = None
    P: int = 1
    budget: float = math.inf
    by_year: list[float] | None = None
    zones: list[tuple[list[int], int, int]] = field(default_factory=list)
    grid: list[tuple[list[int], list[float], float]] = field(default_factory=list)
    flows: list[tuple[float, list[list[int]]]] = field(default_factory=list)

    @property
    def n_opt(self) -> int:
        return len(self.site)

    def energy_(self) -> list[float]:
        return self.energy if self.energy is not None else [1.0] * len(self.weight)

    def cap_(self) -> list[float]:
        return self.cap if self.cap is not None else [math.inf] * self.n_opt

    def existing_(self) -> list[bool]:
        return self.existing if self.existing is not None else [False] * self.n_opt

    def year_(self) -> list[int]:
        return self.year if self.year is not None else [0] * len(self.weight)

    def to_input(self, **kw: object) -> ModelInput:
        rows = [i for i, c in enumerate(self.cover) for _ in c]
        cols = [o for c in self.cover for o in c]
        cov = sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                            shape=(len(self.cover), self.n_opt))
        args: dict[str, object] = dict(
            weight=np.array(self.weight, float), energy=np.array(self.energy_(), float),
            year=np.array(self.year_(), int), cover=cov, option_site=np.array(self.site),
            option_cost=np.array(self.cost, float), option_capacity=np.array(self.cap_()),
            option_existing=np.array(self.existing_(), bool), budget_total=self.budget,
            budget_by_year=None if self.by_year is None else np.array(self.by_year, float),
            zone_min=[ZoneMinimum(np.array(o), m, by) for o, m, by in self.zones],
            grid_groups=[GridGroup(np.array(o), np.array(k, float), s) for o, k, s in self.grid],
            flows=[ArcCoverFlow(w, [np.array(a, int) for a in arcs]) for w, arcs in self.flows],
        )
        args.update(kw)
        return ModelInput(**args)  # type: ignore[arg-type]


def plans(inst: Inst):
    """Every assignment option -> opening year (-1 = closed) with ≤ 1 option per site."""
    ex = inst.existing_()
    sites = sorted(set(inst.site))
    choices = []
    for s in sites:
        opts = [o for o in range(inst.n_opt) if inst.site[o] == s]
        if any(ex[o] for o in opts):
            choices.append([tuple((o, 0) for o in opts if ex[o])])
            continue
        c: list[tuple[tuple[int, int], ...]] = [()]
        c += [((o, p),) for o in opts for p in range(inst.P)]
        choices.append(c)
    for combo in itertools.product(*choices):
        oy = np.full(inst.n_opt, -1)
        for part in combo:
            for o, p in part:
                oy[o] = p
        yield oy


def feasible(inst: Inst, oy: np.ndarray) -> bool:
    """All constraints except coverage, checked directly."""
    ex = inst.existing_()
    new = [o for o in range(inst.n_opt) if oy[o] >= 0 and not ex[o]]
    if sum(inst.cost[o] for o in new) > inst.budget + 1e-9:
        return False
    if inst.by_year is not None:
        for p in range(inst.P):
            if sum(inst.cost[o] for o in new if oy[o] == p) > inst.by_year[p] + 1e-9:
                return False
    for opts, m, by in inst.zones:
        if sum(1 for o in opts if 0 <= oy[o] <= by) < m:
            return False
    for opts, kw, spare in inst.grid:
        if sum(k for o, k in zip(opts, kw, strict=True) if oy[o] >= 0 and not ex[o]) > spare + 1e-9:
            return False
    per_site: dict[int, int] = {}
    for o in range(inst.n_opt):
        if oy[o] >= 0 and not ex[o]:
            per_site[inst.site[o]] = per_site.get(inst.site[o], 0) + 1
    return all(v <= 1 for v in per_site.values())


def flow_value(inst: Inst, oy: np.ndarray) -> float:
    last = inst.P - 1
    return sum(w for w, arcs in inst.flows
               if arcs and all(any(0 <= oy[o] <= last for o in a) for a in arcs))


def value(inst: Inst, oy: np.ndarray, capacitated: bool) -> float:
    """Covered weight of a plan: counted (uncapacitated) or by the allocation LP."""
    yr = inst.year_()
    open_for = [[o for o in inst.cover[i] if 0 <= oy[o] <= yr[i]]
                for i in range(len(inst.weight))]
    if not capacitated:
        return sum(w for w, c in zip(inst.weight, open_for, strict=True) if c) + flow_value(
            inst, oy)
    e, cap = inst.energy_(), inst.cap_()
    pairs = [(i, o) for i, c in enumerate(open_for) for o in c]
    n_y, n_z = len(inst.weight), len(pairs)
    if n_z == 0:
        return sum(w for i, w in enumerate(inst.weight) if open_for[i] and e[i] == 0) + \
            flow_value(inst, oy)
    c = np.r_[-np.array(inst.weight, float), np.zeros(n_z)]
    a_eq = np.zeros((n_y, n_y + n_z))
    for k, (i, _o) in enumerate(pairs):
        a_eq[i, n_y + k] = 1.0
    for i in range(n_y):
        a_eq[i, i] = -e[i]
    keys = sorted({(o, yr[i]) for i, o in pairs if math.isfinite(cap[o])})
    a_ub = np.zeros((len(keys), n_y + n_z))
    for k, (i, o) in enumerate(pairs):
        if (o, yr[i]) in keys:
            a_ub[keys.index((o, yr[i])), n_y + k] = 1.0
    b_ub = np.array([cap[o] for o, _p in keys])
    bounds = [(0.0, 1.0 if open_for[i] else 0.0) for i in range(n_y)] + [(0, None)] * n_z
    res = linprog(c, A_ub=a_ub if len(keys) else None, b_ub=b_ub if len(keys) else None,
                  A_eq=a_eq, b_eq=np.zeros(n_y), bounds=bounds, method="highs")
    assert res.status == 0
    return -res.fun + flow_value(inst, oy)


def brute_force(inst: Inst, capacitated: bool = False) -> tuple[float, float]:
    """(best covered weight, least new capex among the plans reaching it)."""
    best, cheapest = -1.0, math.inf
    ex = inst.existing_()
    for oy in plans(inst):
        if not feasible(inst, oy):
            continue
        v = value(inst, oy, capacitated)
        cost = sum(inst.cost[o] for o in range(inst.n_opt) if oy[o] >= 0 and not ex[o])
        if v > best + TOL:
            best, cheapest = v, cost
        elif abs(v - best) <= TOL:
            cheapest = min(cheapest, cost)
    return best, cheapest


def check(inst: Inst, capacitated: bool = False, **solve_kw: object):
    """Solve with the model, compare with brute force, verify the plan independently."""
    best, cheapest = brute_force(inst, capacitated)
    model = SitingModel.from_input(inst.to_input(), capacitated=capacitated)
    sol = model.solve(**solve_kw)  # type: ignore[arg-type]
    assert sol.status == "optimal"
    assert feasible(inst, sol.open_year)
    assert sol.objective == pytest.approx(best, abs=1e-6 * max(1.0, best))
    assert value(inst, sol.open_year, capacitated) == pytest.approx(best, abs=1e-6 * max(1, best))
    assert sol.spent == pytest.approx(cheapest)
    return sol, best


def random_inst(rng: np.random.Generator, n_sites: int = 5, n_dem: int = 12,
                two_types: bool = True, density: float = 0.3) -> Inst:
    site, cost = [], []
    for s in range(n_sites):
        for _ in range(1 + int(two_types and rng.random() < 0.6)):
            site.append(s)
            cost.append(float(rng.integers(1, 6)))
    n_opt = len(site)
    cover = [sorted(set(np.flatnonzero(rng.random(n_opt) < density).tolist()))
             for _ in range(n_dem)]
    weight = rng.integers(1, 20, n_dem).astype(float).tolist()
    return Inst(site=site, cost=cost, cover=cover, weight=weight,
                budget=float(rng.integers(4, 10)))


# =========================================================================== the tests
@pytest.mark.parametrize("seed", range(4))
def test_uncapacitated_mclp_matches_enumeration(seed: int) -> None:
    check(random_inst(np.random.default_rng(seed)))


def test_budget_binds_and_changes_the_plan() -> None:
    # three sites: a (cost 5, covers 30), b (cost 3, covers 20), c (cost 3, covers 15)
    inst = Inst(site=[0, 1, 2], cost=[5, 3, 3], cover=[[0], [1], [2]], weight=[30, 20, 15],
                budget=6)
    sol, best = check(inst)
    assert best == 35  # b + c beat a alone
    assert set(np.flatnonzero(sol.open_year >= 0)) == {1, 2}
    inst.budget = 5
    sol, best = check(inst)
    assert best == 30 and list(np.flatnonzero(sol.open_year >= 0)) == [0]
    inst.budget = 11
    sol, best = check(inst)
    assert best == 65 and sol.spent == 11


def test_one_option_per_site() -> None:
    # site 0 has two cheap types serving different rows; only one may be built there
    inst = Inst(site=[0, 0, 1], cost=[1, 1, 4], cover=[[0], [1], [2], [2]],
                weight=[10, 8, 3, 3], budget=10)
    sol, best = check(inst)
    assert best == 16  # type 0 at site 0 (10) + site 1 (6); not both types at site 0
    assert (sol.open_year[[0, 1]] >= 0).sum() == 1
    assert model_constraint_names(inst) >= {"site_0"}


def model_constraint_names(inst: Inst) -> set[str]:
    model = SitingModel.from_input(inst.to_input(), capacitated=False)
    return {c.name for c in model.problem.constraints()}


def test_capacity_changes_the_optimum() -> None:
    # option 0 covers everything but holds 10 kWh/day; options 1 and 2 cover part each
    inst = Inst(site=[0, 1, 2], cost=[4, 3, 3], cover=[[0, 1], [0, 1], [0, 2], [0, 2]],
                weight=[6, 6, 6, 6], energy=[6, 6, 6, 6], cap=[10, 12, 12], budget=6)
    unc, best_unc = check(inst, capacitated=False)
    cap, best_cap = check(inst, capacitated=True)
    assert best_unc == 24 and list(np.flatnonzero(unc.open_year >= 0)) == [0]  # cheapest
    assert best_cap == 24 and list(np.flatnonzero(cap.open_year >= 0)) == [1, 2]
    # allocation: rows fully served, per-option load within capacity
    alloc = cap.alloc.toarray()
    np.testing.assert_allclose(alloc.sum(axis=1), np.array(inst.energy_()) * cap.served,
                               atol=1e-6)
    assert (alloc.sum(axis=0) <= np.array(inst.cap_()) + 1e-6).all()


@pytest.mark.parametrize("seed", range(3))
def test_capacitated_random_matches_enumeration(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    inst = random_inst(rng, n_sites=4, n_dem=9)
    inst.energy = rng.integers(1, 8, len(inst.weight)).astype(float).tolist()
    inst.cap = rng.choice([6.0, 10.0, 15.0], inst.n_opt).tolist()
    _, best = check(inst, capacitated=True)
    strong = SitingModel.from_input(inst.to_input(), capacitated=True, strengthen=True)
    assert strong.n_cons > SitingModel.from_input(inst.to_input(), capacitated=True).n_cons
    assert strong.solve().objective == pytest.approx(best, rel=1e-6)


def test_zone_minimum_changes_the_optimum() -> None:
    # options 2/3 are the only ones in the zone; without the requirement the budget goes to 0+1
    inst = Inst(site=[0, 1, 2, 3], cost=[2, 2, 2, 3], cover=[[0], [1], [2], [3]],
                weight=[10, 9, 1, 2], budget=4)
    free, best = check(inst)
    assert best == 19 and set(np.flatnonzero(free.open_year >= 0)) == {0, 1}
    inst.zones = [([2, 3], 1, 0)]
    req, best = check(inst)
    assert best == 11 and req.open_year[2] >= 0 and req.open_year[3] < 0


def test_phasing_matches_enumeration_over_opening_years() -> None:
    # demand grows: rows exist per year; per-year budgets force staging
    inst = Inst(site=[0, 1, 2, 2], cost=[3, 3, 2, 4],
                cover=[[0], [1], [2, 3], [0], [1, 3], [2], [0, 1], [3], [2]],
                weight=[5, 4, 3, 6, 5, 4, 8, 7, 2], year=[0, 0, 0, 1, 1, 1, 2, 2, 2],
                P=3, budget=9, by_year=[3, 4, 4])
    sol, best = check(inst)
    # built stays built and per-year spending within the caps
    yrs = sol.open_year[sol.open_year >= 0]
    assert (np.bincount(yrs, weights=np.array(inst.cost)[sol.open_year >= 0], minlength=3)
            <= np.array(inst.by_year) + 1e-9).all()
    np.testing.assert_allclose(sol.spent_by_year.sum(), sol.spent)
    # phasing matters: with everything in year 0 allowed, the answer differs
    inst2 = Inst(**{**inst.__dict__, "by_year": None})
    _, best2 = check(inst2)
    assert best2 > best


def test_grid_group_changes_the_optimum() -> None:
    inst = Inst(site=[0, 1, 2], cost=[1, 1, 1], cover=[[0], [1], [2]], weight=[5, 4, 3],
                budget=3)
    _, best = check(inst)
    assert best == 12
    inst.grid = [([0, 1], [600.0, 500.0], 1000.0)]  # substation fits one of options 0, 1
    sol, best = check(inst)
    assert best == 8 and sol.open_year[1] < 0


def test_corridor_flow_coverage() -> None:
    # flow needs an open station in each of two arc sets; a demand row competes for budget
    inst = Inst(site=[0, 1, 2, 3], cost=[2, 2, 2, 2], cover=[[3], [3]], weight=[4, 4],
                budget=4, flows=[(10.0, [[0, 1], [1, 2]]), (3.0, [[2], [0]])])
    sol, best = check(inst)
    assert best == 18  # option 1 alone covers flow 0 (it is in both sets), option 3 the rows
    assert sol.flow_covered.tolist() == [1.0, 0.0]
    assert sol.open_year.tolist() == [-1, 0, -1, 0]
    inst.budget = 2
    sol, best = check(inst)
    assert best == 10 and sol.open_year.tolist() == [-1, 0, -1, -1]  # flow beats the rows
    inst.flows = [(10.0, [[0], [2]])]  # now the flow needs two stations
    sol, best = check(inst)
    assert best == 8 and sol.flow_covered.tolist() == [0.0]


def test_existing_stations_fixed_open_and_free() -> None:
    inst = Inst(site=[0, 0, 1, 2], cost=[9, 1, 2, 2], cover=[[0], [1], [2], [3]],
                weight=[5, 9, 4, 3], existing=[True, False, False, False], budget=2)
    sol, best = check(inst)
    assert sol.open_year[0] == 0          # existing is open from year 0
    assert sol.open_year[1] == -1         # its site takes no second station
    assert best == 9 and sol.spent == 2   # cost 9 of the existing one is not spent


def test_infeasible_zone_requirement_names_the_zone() -> None:
    inst = Inst(site=[0, 1, 2], cost=[12e6, 15e6, 1e6], cover=[[0], [1], [2]],
                weight=[1, 1, 1], budget=8e6,
                zones=[([0, 1], 1, 0)])
    mi = inst.to_input(zone_labels=["zone 'hedian' needs 1 hydrogen station(s) by 2025"],
                       source="scenario.toml")
    with pytest.raises(InfeasibleError) as err:
        SitingModel.from_input(mi, capacitated=False).solve()
    msg = str(err.value)
    assert "zone 'hedian'" in msg and "12.0 M CNY" in msg and "8.0 M CNY" in msg
    assert msg.startswith("scenario.toml: ") and "\n" not in msg


def test_infeasible_second_requirement_after_the_first_uses_the_budget() -> None:
    inst = Inst(site=[0, 1, 2], cost=[5e6, 5e6, 4e6], cover=[[0], [1], [2]],
                weight=[1, 1, 1], budget=8e6, zones=[([0], 1, 0), ([1, 2], 1, 0)])
    mi = inst.to_input(zone_labels=["zone 'xihe' needs 1 hydrogen station(s) by 2025",
                                    "zone 'hedian' needs 1 hydrogen station(s) by 2025"])
    with pytest.raises(InfeasibleError, match=r"zone 'hedian'.*4\.0 M CNY.*3\.0 M CNY"):
        SitingModel.from_input(mi, capacitated=False).solve()


def test_infeasibility_found_by_the_solver_is_diagnosed() -> None:
    # both requirements share site 1, so the pre-checks cannot add them up; the solver can
    inst = Inst(site=[0, 1, 1, 2], cost=[4, 4, 4, 4], cover=[[0], [1], [2], [3]],
                weight=[1, 1, 1, 1], budget=8,
                zones=[([0, 1], 2, 0), ([2, 3], 2, 0)])
    assert brute_force(inst)[0] < 0  # no feasible plan at all
    mi = inst.to_input(zone_labels=["zone 'a' needs 2", "zone 'b' needs 2"])
    with pytest.raises(InfeasibleError, match="zone 'b' needs 2 but no plan meets it together"):
        SitingModel.from_input(mi, capacitated=False).solve()


def _hard_instance(seed: int = 0, nd: int = 2500, no: int = 240) -> ModelInput:
    rng = np.random.default_rng(seed)
    dp, op = rng.random((nd, 2)), rng.random((no, 2))
    d = np.hypot(dp[:, None, 0] - op[None, :, 0], dp[:, None, 1] - op[None, :, 1])
    cover = sp.csr_matrix((d < 0.12).astype(float))
    e = rng.gamma(2, 5, nd)
    return ModelInput(weight=rng.random(nd) * e, energy=e, year=np.zeros(nd, int),
                      cover=cover, option_site=np.arange(no) // 2,
                      option_cost=rng.integers(2, 6, no).astype(float),
                      option_capacity=rng.choice([60.0, 150.0], no),
                      option_existing=np.zeros(no, bool), budget_total=no * 0.6)


def test_time_limit_returns_the_best_plan_found() -> None:
    model = SitingModel.from_input(_hard_instance(), capacitated=True)
    sol = model.solve(time_limit_s=0.3)
    if sol.status == "optimal":
        pytest.skip("instance solved within the time limit on this machine")
    assert sol.status == "time_limit"
    assert (sol.open_year >= 0).any() and sol.objective > 0
    assert sol.objective >= sol.warm_start_objective - 1e-6
    assert sol.bound >= sol.objective - 1e-6 and sol.gap > 0


def test_falls_back_to_cbc_when_highs_is_missing(monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    inst = random_inst(np.random.default_rng(7))
    inst.energy = [3.0] * len(inst.weight)
    inst.cap = [7.0] * inst.n_opt
    model = SitingModel.from_input(inst.to_input(), capacitated=True)
    highs = model.solve("highs")
    monkeypatch.setattr(pulp.HiGHS, "available", lambda self: False)
    with caplog.at_level(logging.WARNING, logger="siting.model"):
        cbc = model.solve("highs")
    assert highs.solver == "highs" and cbc.solver == "cbc"
    assert "HiGHS" in caplog.text and "CBC" in caplog.text
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-6)
    assert cbc.spent == pytest.approx(highs.spent)
    assert cbc.objective == pytest.approx(brute_force(inst, capacitated=True)[0], rel=1e-6)


def test_pulp_problem_is_the_same_model() -> None:
    inst = random_inst(np.random.default_rng(3))
    inst.energy = [2.0] * len(inst.weight)
    inst.cap = [5.0] * inst.n_opt
    inst.zones = [([0, 1, 2], 1, 0)]
    model = SitingModel.from_input(inst.to_input(), capacitated=True)
    sol = model.solve()
    prob = model.problem
    assert len(prob.variables()) == sol.n_vars and len(prob.constraints()) == sol.n_cons
    prob.solve(pulp.HiGHS(msg=False))  # PuLP's own HiGHS interface, from the PuLP objects
    assert pulp.LpStatus[prob.status] == "Optimal"
    # the PuLP objective includes the tie-breaker: coverage − eps × capex
    assert pulp.value(prob.objective) == pytest.approx(sol.objective - model.eps * sol.spent,
                                                       rel=1e-6)


def test_tiebreak_prefers_the_cheaper_of_equal_plans() -> None:
    # two sites cover the same rows; opening both adds nothing; the cheaper one must win
    inst = Inst(site=[0, 1], cost=[5, 3], cover=[[0, 1], [0, 1]], weight=[4, 4], budget=20)
    sol, _ = check(inst)
    assert sol.open_year.tolist() == [-1, 0] and sol.spent == 3
    model = SitingModel.from_input(inst.to_input(), capacitated=False)
    # the cost term can never outweigh a millionth of the coverable weight
    assert model.eps * (5 + 3) <= 1e-6 * 8 + 1e-15


def test_warm_start_is_feasible_and_not_better_than_the_optimum() -> None:
    rng = np.random.default_rng(11)
    for _ in range(5):
        inst = random_inst(rng)
        inst.zones = [([0, 1, 2], 1, 0)]
        best, _ = brute_force(inst)
        if best < 0:
            continue
        model = SitingModel.from_input(inst.to_input(), capacitated=False,
                                       reductions=Reductions.none())
        plan = model._greedy()
        assert plan is not None
        assert feasible(inst, plan.open_year)
        assert plan.objective <= best + 1e-9
        assert plan.objective == pytest.approx(value(inst, plan.open_year, False))


def test_warm_start_counts_corridor_flows_it_completes() -> None:
    inst = Inst(site=[0, 1, 2, 3], cost=[2, 2, 2, 2], cover=[[3], [3]], weight=[4, 4],
                budget=2, flows=[(10.0, [[0, 1], [1, 2]])])
    model = SitingModel.from_input(inst.to_input(), capacitated=False)
    plan = model._greedy()
    assert plan is not None and feasible(inst, plan.open_year)
    assert plan.open_year.tolist() == [-1, 0, -1, -1]  # option 1 completes the flow: 10 > 8
    assert plan.objective == pytest.approx(value(inst, plan.open_year, False)) == 10


def test_explicit_zero_travel_time_counts_as_cover() -> None:
    cov = sp.csr_matrix((np.array([0.0, 120.0]), np.array([0, 1]), np.array([0, 1, 2])),
                        shape=(2, 2))
    assert cov.nnz == 2
    mi = ModelInput(weight=np.array([5.0, 1.0]), energy=np.ones(2), year=np.zeros(2, int),
                    cover=cov, option_site=np.array([0, 1]), option_cost=np.ones(2),
                    option_capacity=np.full(2, np.inf), option_existing=np.zeros(2, bool),
                    budget_total=1.0)
    sol = SitingModel.from_input(mi).solve()
    assert sol.open_year.tolist() == [0, -1] and sol.objective == 5.0
    assert sol.alloc.toarray().tolist() == [[1.0, 0.0], [0.0, 0.0]]


def test_uncapacitated_alloc_goes_to_the_nearest_open_station() -> None:
    # rows 2 and 3 make both stations worth building; rows 0 and 1 could use either
    cov = sp.csr_matrix(np.array([[300.0, 100.0], [50.0, 400.0], [10.0, 0.0], [0.0, 10.0]]))
    mi = ModelInput(weight=np.ones(4), energy=np.ones(4), year=np.zeros(4, int), cover=cov,
                    option_site=np.array([0, 1]), option_cost=np.ones(2),
                    option_capacity=np.full(2, np.inf), option_existing=np.zeros(2, bool),
                    budget_total=2.0)
    sol = SitingModel.from_input(mi).solve()
    assert sol.alloc.toarray().tolist() == [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]


def test_bad_shapes_raise_one_line_input_errors() -> None:
    inst = random_inst(np.random.default_rng(0))
    mi = inst.to_input(weight=np.ones(3), source="demand.gpkg")
    with pytest.raises(InputDataError, match=r"^demand\.gpkg: weight has shape"):
        SitingModel.from_input(mi)
    mi = inst.to_input(option_capacity=np.zeros(inst.n_opt))
    with pytest.raises(InputDataError, match="option_capacity"):
        SitingModel.from_input(mi)


def test_dominated_options_are_removed_without_changing_the_optimum() -> None:
    # at site 0, type 1 covers a superset of type 0 for the same cost: type 0 is dominated
    inst = Inst(site=[0, 0, 1], cost=[2, 2, 3], cover=[[0, 1], [1], [2], [1, 2]],
                weight=[3, 5, 4, 2], budget=5)
    best, _ = brute_force(inst)
    model = SitingModel.from_input(inst.to_input(), capacitated=False)
    assert model.reductions["options_dominated"] == 1
    assert model.solve().objective == pytest.approx(best)


def test_reductions_report_merges_and_drops() -> None:
    inst = Inst(site=[0, 1], cost=[1, 1], cover=[[0], [0], [1], []], weight=[2, 3, 4, 5],
                energy=[2, 3, 4, 5], cap=[10, 10], budget=2)
    model = SitingModel.from_input(inst.to_input(), capacitated=True)
    assert model.reductions["demand_dropped"] == 1
    assert model.reductions["demand_merged"] == 1  # rows 0 and 1: same cover, same w/e
    sol = model.solve()
    assert sol.objective == pytest.approx(9.0)
    np.testing.assert_allclose(sol.alloc.toarray()[:, 0], [2, 3, 0, 0])


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), capacitated=st.booleans(), years=st.integers(1, 2))
def test_reductions_on_or_off_give_the_same_optimum(seed: int, capacitated: bool,
                                                    years: int) -> None:
    rng = np.random.default_rng(seed)
    inst = random_inst(rng, n_sites=6, n_dem=30, density=0.25)
    # duplicate coverage patterns so that merging happens; varied w/e ratios
    inst.cover = inst.cover[:15] + inst.cover[:15]
    inst.energy = rng.integers(0, 6, 30).astype(float).tolist()
    inst.weight = (np.array(inst.energy) * rng.choice([1.0, 2.0], 30) + (
        np.array(inst.energy) == 0)).tolist()
    inst.cap = rng.choice([4.0, 9.0, math.inf], inst.n_opt).tolist()
    inst.year = rng.integers(0, years, 30).tolist()
    inst.P = years
    inst.existing = (rng.random(inst.n_opt) < 0.1).tolist()
    mi = inst.to_input()
    on = SitingModel.from_input(mi, capacitated=capacitated).solve()
    off = SitingModel.from_input(mi, capacitated=capacitated,
                                 reductions=Reductions.none()).solve()
    assert on.objective == pytest.approx(off.objective, rel=1e-6, abs=1e-6)
    assert on.spent == pytest.approx(off.spent)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # spopt uses PuLP's old API
def test_matches_spopt_mclp() -> None:
    spopt_locate = pytest.importorskip("spopt.locate")
    rng = np.random.default_rng(5)
    nd, nf, p = 40, 10, 3
    dist = rng.random((nd, nf)) * 10
    w = rng.integers(1, 10, nd).astype(float)
    radius = 3.0
    mclp = spopt_locate.MCLP.from_cost_matrix(dist, w, service_radius=radius,
                                              p_facilities=p)
    mclp.solve(pulp.HiGHS(msg=False))
    ref = float(pulp.value(mclp.problem.objective))
    cover = sp.csr_matrix(np.where(dist <= radius, dist, 0.0))
    mi = ModelInput(weight=w, energy=np.ones(nd), year=np.zeros(nd, int),
                    cover=sp.csr_matrix((dist <= radius).astype(float)),
                    option_site=np.arange(nf), option_cost=np.ones(nf),
                    option_capacity=np.full(nf, np.inf), option_existing=np.zeros(nf, bool),
                    budget_total=float(p))
    sol = SitingModel.from_input(mi, capacitated=False).solve()
    assert cover.nnz > 0
    assert sol.objective == pytest.approx(ref)
    assert int((sol.open_year >= 0).sum()) <= p


@pytest.mark.slow
def test_builds_a_10k_by_1k_capacitated_model() -> None:
    rng = np.random.default_rng(0)
    nd, no = 10_000, 1_000
    cover = sp.random(nd, no, density=0.05, format="csr", random_state=1)
    mi = ModelInput(weight=rng.random(nd), energy=rng.random(nd), year=rng.integers(0, 2, nd),
                    cover=cover, option_site=np.arange(no) // 2,
                    option_cost=rng.integers(1, 5, no).astype(float),
                    option_capacity=np.full(no, 40.0), option_existing=np.zeros(no, bool),
                    budget_total=50.0, budget_by_year=np.array([25.0, 25.0]))
    model = SitingModel.from_input(mi, capacitated=True)
    assert model.n_vars > cover.nnz  # one z per cover entry (minus merged rows)


def test_existing_stations_can_share_a_site_and_meet_a_zone_minimum() -> None:
    # site 0 holds two existing stations (swap + charging); the zone needs 2 stations
    inst = Inst(site=[0, 0, 0, 1, 2], cost=[0, 0, 3, 3, 3], cover=[[0], [1], [2], [3], [4]],
                weight=[1, 1, 9, 4, 2], existing=[True, True, False, False, False],
                budget=3, zones=[([0, 1, 4], 2, 0)])
    sol, best = check(inst)
    assert sol.open_year[:3].tolist() == [0, 0, -1]  # no third station at site 0
    assert best == 6 and sol.open_year[3] == 0


def test_too_few_sites_in_a_zone_is_reported_before_solving() -> None:
    inst = Inst(site=[0, 0, 1], cost=[1, 1, 1], cover=[[0], [1], [2]], weight=[1, 1, 1],
                budget=10, zones=[([0, 1], 2, 0)])
    mi = inst.to_input(zone_labels=["zone 'xihe' needs 2 charging_hub station(s) by 2025"])
    with pytest.raises(InfeasibleError, match=r"zone 'xihe'.*only 1 eligible site"):
        SitingModel.from_input(mi).solve()


def test_yearly_budget_limits_an_early_zone_requirement() -> None:
    inst = Inst(site=[0, 1], cost=[6e6, 1e6], cover=[[0], [1]], weight=[1, 1], P=2,
                year=[0, 1], budget=20e6, by_year=[5e6, 15e6], zones=[([0], 1, 0)])
    assert brute_force(inst)[0] < 0
    mi = inst.to_input(zone_labels=["zone 'hedian' needs 1 hydrogen station(s) by 2024"])
    with pytest.raises(InfeasibleError, match=r"6\.0 M CNY and the budget left is 5\.0 M CNY"):
        SitingModel.from_input(mi).solve()
    inst.zones = [([0], 1, 1)]  # by the second year it fits
    check(inst)


# Excerpts of real CBC 2.10.3 logs (maximisation problems written by PuLP).
_CBC_STOPPED = """
Cbc0005I Partial search - best objective 4834.3803 (best possible -5017.5863), took 0 \
iterations and 0 nodes (148.79 seconds)

Result - Stopped on time limit

Objective value:                4834.38028320
Upper bound:                    5017.586
Gap:                            -0.04
Enumerated nodes:               0
"""
_CBC_OPTIMAL = """
Cbc0001I Search completed - best objective -270.1214239646485, took 84 iterations and 0 \
nodes (0.36 seconds)

Result - Optimal solution found

Objective value:                270.12142396
Enumerated nodes:               0
"""


def test_parse_cbc_log() -> None:
    from siting.model import parse_cbc_log

    head, bound, gap = parse_cbc_log(_CBC_STOPPED)
    assert head == "stopped on time limit" and bound == 5017.586 and gap == 0.04
    head, bound, gap = parse_cbc_log(_CBC_OPTIMAL)
    assert head == "optimal solution found" and math.isnan(bound) and math.isnan(gap)
    head, bound, _ = parse_cbc_log(_CBC_STOPPED.replace("Upper bound:", "Other:"))
    assert bound == pytest.approx(5017.5863)  # from "best possible", sign flipped


def test_integrated_station_has_separate_kwh_and_h2_pools():
    # One integrated option serving an electric row (100 kWh) and a hydrogen row (10 kg).
    # Pools: 100 kWh/day and 5 kg/day -> the hydrogen row is served half: optimum 1.5.
    # One shared pool of 100 (the old behaviour) would mix units: 110 'units' in 100 -> 1.9.
    from siting.model import ModelInput, SitingModel

    cover = sp.csr_matrix(np.ones((2, 1)))
    base = dict(weight=np.array([1.0, 1.0]), energy=np.array([100.0, 10.0]),
                year=np.zeros(2, dtype=int), cover=cover, option_site=np.array([0]),
                option_cost=np.array([1.0]), option_capacity=np.array([100.0]),
                option_existing=np.array([False]), budget_total=1.0)
    pooled = SitingModel.from_input(ModelInput(**base), capacitated=True).solve()
    split = SitingModel.from_input(
        ModelInput(**base, unit=np.array([0, 1]), option_capacity_h2=np.array([5.0])),
        capacitated=True).solve()
    assert pooled.objective == pytest.approx(1.9, abs=1e-6)
    assert split.objective == pytest.approx(1.5, abs=1e-6)
    assert split.served == pytest.approx([1.0, 0.5], abs=1e-6)


# =========================================================================== local search
def test_local_search_escapes_the_per_yuan_trap() -> None:
    """Greedy per yuan takes the 6-yuan station and has 4 left; the two 5-yuan ones win."""
    inst = Inst(site=[0, 1, 2], cost=[6.0, 5.0, 5.0],
                cover=[[0], [0], [1], [2]], weight=[3.5, 3.5, 5.5, 5.5], budget=10.0)
    best, _ = brute_force(inst)
    model = SitingModel.from_input(inst.to_input(), capacitated=False,
                                   reductions=Reductions.none())
    plain = model._greedy()
    assert plain is not None and plain.objective == pytest.approx(7.0)
    better = model._warm_plan(time_budget_s=5.0)
    assert better is not None
    assert better.objective == pytest.approx(best) == pytest.approx(11.0)
    assert feasible(inst, better.open_year)
    assert value(inst, better.open_year, False) == pytest.approx(better.objective)


@pytest.mark.slow
@pytest.mark.parametrize("capacitated", [False, True])
def test_local_search_plans_are_feasible_and_never_worse(capacitated: bool) -> None:
    rng = np.random.default_rng(5)
    n_better = 0
    for _ in range(12):
        inst = random_inst(rng)
        if capacitated:
            inst.energy = rng.integers(1, 5, len(inst.weight)).astype(float).tolist()
            inst.cap = rng.integers(3, 12, inst.n_opt).astype(float).tolist()
        best, _ = brute_force(inst, capacitated)
        model = SitingModel.from_input(inst.to_input(), capacitated=capacitated,
                                       reductions=Reductions.none())
        plain, improved = model._greedy(), model._warm_plan(time_budget_s=5.0)
        assert plain is not None and improved is not None
        assert feasible(inst, improved.open_year)
        assert improved.objective >= plain.objective - 1e-9
        assert improved.objective <= best + 1e-6
        # the plan's own figure is one the plan really achieves
        assert improved.objective <= value(inst, improved.open_year, capacitated) + 1e-6
        n_better += improved.objective > plain.objective + 1e-9
    assert n_better >= 1  # the instances include greedy traps


def test_local_search_with_no_time_is_the_plain_greedy() -> None:
    inst = Inst(site=[0, 1, 2], cost=[6.0, 5.0, 5.0],
                cover=[[0], [0], [1], [2]], weight=[3.5, 3.5, 5.5, 5.5], budget=10.0)
    model = SitingModel.from_input(inst.to_input(), capacitated=False)
    plan = model._warm_plan(time_budget_s=0.0)
    assert plan is not None and plan.objective == pytest.approx(7.0)


@pytest.mark.slow
def test_uncapacitated_lp_bound_bounds_the_capacitated_optimum() -> None:
    """The relaxed bound used when HiGHS stops before its root LP is a true upper bound."""
    from siting.model.build import layout
    from siting.model.highs import lp_bound
    from siting.model.inputs import RawResult

    rng = np.random.default_rng(9)
    for _ in range(6):
        inst = random_inst(rng)
        inst.energy = rng.integers(1, 5, len(inst.weight)).astype(float).tolist()
        inst.cap = rng.integers(3, 12, inst.n_opt).astype(float).tolist()
        best, _ = brute_force(inst, capacitated=True)
        model = SitingModel.from_input(inst.to_input(), capacitated=True, cost_tiebreak=0.0)
        lay = layout(model.reduced, capacitated=False, strengthen=False, tau=0.0)
        # threads as in every other solve of this process: HiGHS keeps one global scheduler
        bound = lp_bound(lay, time_limit_s=10.0, threads=2)
        assert math.isfinite(bound) and bound >= best - 1e-6
        # a solver result without a bound takes it
        raw = RawResult("time_limit", None, math.nan, math.nan, 0.0)
        assert model._with_relaxed_bound(raw, time_limit_s=10.0, threads=2).bound == \
            pytest.approx(bound)


# =========================================================================== nearest options
@pytest.mark.parametrize("values", ["ties", "seconds", "negative"])
def test_nearest_options_keeps_the_k_fastest_per_row(values: str) -> None:
    from siting.model import nearest_options

    rng = np.random.default_rng(3)
    dense = {"ties": rng.integers(0, 6, (40, 15)).astype(float),   # many ties, zeros included
             "seconds": rng.random((40, 15)) * 1800.0,              # travel times
             "negative": rng.normal(0.0, 50.0, (40, 15))}[values]   # the lexsort fallback
    mask = rng.random((40, 15)) < 0.5
    rows, cols = np.nonzero(mask)
    cover = sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)
    for k in (1, 3, 7, 15):
        got = nearest_options(cover, k)
        for i in range(40):
            entries = sorted((dense[i, j], j) for j in np.flatnonzero(mask[i]))[:k]
            a, b = got.indptr[i], got.indptr[i + 1]
            assert sorted(got.indices[a:b].tolist()) == sorted(j for _, j in entries)
            assert np.allclose(np.sort(got.data[a:b]), sorted(t for t, _ in entries))
    assert nearest_options(cover, 15).nnz == cover.nnz      # explicit zeros kept


@pytest.mark.parametrize("values", ["ties", "seconds", "negative", "infinite", "empty"])
def test_row_order_is_the_stable_order_by_row_then_value(values: str) -> None:
    from siting.model.reduce import row_order

    rng = np.random.default_rng(5)
    n = 0 if values == "empty" else 500
    rows = rng.integers(0, 60, n)
    v = {"ties": rng.integers(0, 4, n).astype(float), "seconds": rng.random(n) * 1800.0,
         "negative": rng.normal(0.0, 9.0, n), "empty": np.zeros(0),
         "infinite": np.where(rng.random(n) < 0.1, np.inf, rng.random(n))}[values]
    assert (row_order(rows, v) == np.lexsort((np.arange(n), v, rows))).all()


def test_max_alloc_options_is_the_optimum_of_the_restricted_instance() -> None:
    """k nearest: the model equals brute force on the instance with each row's k nearest."""
    rng = np.random.default_rng(21)
    for _ in range(4):
        inst = random_inst(rng, density=0.5)
        inst.energy = rng.integers(1, 5, len(inst.weight)).astype(float).tolist()
        inst.cap = rng.integers(3, 9, inst.n_opt).astype(float).tolist()
        times = rng.permutation(len(inst.weight) * inst.n_opt).reshape(
            len(inst.weight), inst.n_opt).astype(float)        # distinct travel times
        mi = inst.to_input()
        rows = np.repeat(np.arange(mi.cover.shape[0]), np.diff(mi.cover.indptr))
        mi = replace(mi, cover=sp.csr_matrix((times[rows, mi.cover.indices],
                                              mi.cover.indices, mi.cover.indptr),
                                             shape=mi.cover.shape))
        k = 2
        near = [sorted(c, key=lambda o, i=i: times[i, o])[:k] for i, c in enumerate(inst.cover)]
        best, _ = brute_force(replace(inst, cover=near), capacitated=True)
        sol = SitingModel.from_input(mi, capacitated=True, max_alloc_options=k).solve()
        assert sol.status == "optimal"
        assert sol.objective == pytest.approx(best, abs=1e-6 * max(1.0, best))


def _highs_seen(monkeypatch) -> list:
    """A list that receives every ``highspy.Highs`` the solve creates (``new_highs`` spied)."""
    import siting.model.highs as H

    seen: list = []
    real = H.new_highs

    def spy(**kw):
        h = real(**kw)
        seen.append(h)
        return h

    monkeypatch.setattr(H, "new_highs", spy)
    return seen


def test_large_models_solve_without_presolve_to_the_same_optimum(monkeypatch) -> None:
    """Above PRESOLVE_MAX_NNZ HiGHS runs without presolve; the optimum must not change."""
    import siting.model.highs as H

    rng = np.random.default_rng(17)
    inst = random_inst(rng)
    best, cheapest = brute_force(inst)
    seen = _highs_seen(monkeypatch)
    monkeypatch.setattr(H, "PRESOLVE_MAX_NNZ", 0)
    sol = SitingModel.from_input(inst.to_input(), capacitated=False).solve()
    assert seen and all(h.getOptionValue("presolve")[1] == "off" for h in seen)
    assert sol.status == "optimal" and sol.objective == pytest.approx(best)
    assert sol.spent == pytest.approx(cheapest)


def test_local_search_runs_only_on_large_models(monkeypatch) -> None:
    import siting.model.heuristics as M

    inst = Inst(site=[0, 1, 2], cost=[6.0, 5.0, 5.0],
                cover=[[0], [0], [1], [2]], weight=[3.5, 3.5, 5.5, 5.5], budget=10.0)
    small = SitingModel.from_input(inst.to_input(), capacitated=False).solve()
    assert small.warm_start_objective == pytest.approx(7.0)      # the plain greedy
    monkeypatch.setattr(M, "LOCAL_SEARCH_MIN_COLUMNS", 0)
    large = SitingModel.from_input(inst.to_input(), capacitated=False).solve()
    assert large.warm_start_objective == pytest.approx(11.0)     # improved by the search
    assert small.objective == pytest.approx(large.objective) == pytest.approx(11.0)


# =========================================================================== package layout
def _every_family() -> Inst:
    """Two years, yearly budgets, a shared site, a zone, a substation, a corridor flow,
    finite and infinite capacities: every constraint family has rows."""
    return Inst(site=[0, 0, 1, 2, 3], cost=[2, 3, 2, 2, 2],
                cover=[[0, 2], [1], [2, 3], [4]], weight=[5, 4, 3, 2], energy=[2, 2, 2, 2],
                cap=[3, math.inf, 3, 3, math.inf], year=[0, 1, 1, 1], P=2, budget=8,
                by_year=[4, 6], zones=[([2, 3], 1, 1)], grid=[([0, 1, 2], [50, 50, 50], 120)],
                flows=[(3.0, [[0, 2], [4]])])


def test_every_constraint_family_builds_its_rows_in_the_documented_order() -> None:
    import re

    inst = _every_family()
    sol, _best = check(inst, capacitated=True)       # the optimum of the enumeration
    model = SitingModel.from_input(inst.to_input(), capacitated=True)
    blocks = ("mono", "site", "budget_total", "budget_year", "zone", "grid", "cover", "alloc",
              "cap", "link", "flow")
    rx = re.compile(rf"^({'|'.join(blocks)})_")
    seen: list[str] = []
    for con in model.problem.constraints():
        m = rx.match(con.name)
        assert m, con.name
        if not seen or seen[-1] != m.group(1):
            seen.append(m.group(1))
    assert seen == list(blocks)   # each family once, in the order SitingModel documents
    assert len(model.problem.constraints()) == sol.n_cons


def test_plain_tuples_are_accepted_as_the_named_groups() -> None:
    """Callers written before ZoneMinimum/GridGroup/ArcCoverFlow get the same model."""
    inst = _every_family()
    named = inst.to_input()
    plain = inst.to_input(
        zone_min=[(np.array(o), m, by) for o, m, by in inst.zones],
        grid_groups=[(np.array(o), np.array(k, float), s) for o, k, s in inst.grid],
        flows=[(w, [np.array(a, int) for a in arcs]) for w, arcs in inst.flows])
    assert all(isinstance(z, ZoneMinimum) for z in plain.zone_min)
    assert all(isinstance(g, GridGroup) for g in plain.grid_groups)
    assert all(isinstance(f, ArcCoverFlow) for f in plain.flows)
    a = SitingModel.from_input(named, capacitated=True)
    b = SitingModel.from_input(plain, capacitated=True)
    assert [c.name for c in a.problem.constraints()] == [c.name for c in b.problem.constraints()]
    sa, sb = a.solve(), b.solve()
    assert sa.objective == pytest.approx(sb.objective)
    assert sa.open_year.tolist() == sb.open_year.tolist()


def test_zone_check_takes_the_model_input_and_stays_importable_from_siting_diagnose() -> None:
    from siting.diagnose import check_zone_requirements
    from siting.model.reduce import openable

    inst = Inst(site=[0, 1, 2], cost=[12e6, 15e6, 1e6], cover=[[0], [1], [2]],
                weight=[1, 1, 1], budget=8e6, zones=[([0, 1], 1, 0)])
    mi = inst.to_input(zone_labels=["zone 'hedian' needs 1 hydrogen station(s) by 2025"],
                       source="scenario.toml")
    with pytest.raises(InfeasibleError, match=r"^scenario.toml: zone 'hedian' needs 1 .* "
                                              r"costs 12\.0 M CNY .* budget left is 8\.0 M CNY"):
        check_zone_requirements(mi, openable(mi, Reductions(), by_cost=False))
    ok = inst.to_input(budget_total=20e6)
    check_zone_requirements(ok, openable(ok, Reductions(), by_cost=False))   # no error


# =========================================================================== issue 12: proofs
def random_phased(rng: np.random.Generator, *, capacitated: bool) -> Inst:
    """4 sites, up to 2 options each, 2 years with yearly caps, growing demand per year."""
    inst = random_inst(rng, n_sites=4, n_dem=6)
    n0 = len(inst.weight)
    inst.cover = inst.cover + inst.cover                   # the same points, a year later
    inst.weight = inst.weight + [w * 1.5 for w in inst.weight]
    inst.year = [0] * n0 + [1] * n0
    inst.P = 2
    inst.by_year = [float(rng.integers(2, 6)), float(rng.integers(3, 7))]
    if capacitated:
        e = rng.integers(1, 8, n0).astype(float).tolist()
        inst.energy = e + [v * 1.5 for v in e]
        inst.cap = rng.choice([6.0, 10.0, 15.0], inst.n_opt).tolist()
    return inst


@pytest.mark.slow
@pytest.mark.parametrize("decompose", [False, True], ids=["compact", "benders"])
@pytest.mark.parametrize("seed", range(4))
def test_capacitated_phased_random_matches_enumeration(seed: int, decompose: bool) -> None:
    """Capacitated and phased: the proven optimum and its cost are brute force's."""
    inst = random_phased(np.random.default_rng(300 + seed), capacitated=True)
    best, cheapest = brute_force(inst, capacitated=True)
    model = SitingModel.from_input(inst.to_input(), capacitated=True)
    model.decompose = decompose
    sol = model.solve()
    assert sol.status == "optimal" and sol.cost_status in ("optimal", "none")
    assert feasible(inst, sol.open_year)
    assert sol.objective == pytest.approx(best, abs=1e-6 * max(1.0, best))
    assert value(inst, sol.open_year, True) == pytest.approx(best, abs=1e-6 * max(1, best))
    assert sol.spent == pytest.approx(cheapest)
    assert sol.bound == pytest.approx(best, abs=1e-6 * max(1.0, best))


def test_opening_form_keeps_every_plan_feasible_or_not() -> None:
    """State form and opening-year form accept exactly the same plans."""
    from siting.model.decode import rows_hold
    from siting.model.reform import opening_form

    inst = random_phased(np.random.default_rng(7), capacitated=False)
    inst.zones = [([0, 1, 2], 1, 0)]
    model = SitingModel.from_input(inst.to_input(), capacitated=False,
                                   reductions=Reductions.none())
    lay = model.layout
    form = opening_form(lay)
    seen = {True: 0, False: 0}
    for oy in plans(inst):
        v = np.zeros(lay.A.shape[1])
        X = (oy[:, None] >= 0) & (np.arange(lay.P)[None, :] >= oy[:, None])
        v[:lay.n_x] = X.ravel()
        w = form.from_state(v)
        ok = rows_hold(lay, v)
        assert rows_hold(form.layout, w) == ok
        assert ok == feasible(inst, oy)
        np.testing.assert_allclose(form.to_state(w), v)
        seen[ok] += 1
    assert seen[True] and seen[False]


def test_year_bound_bounds_every_plans_final_year() -> None:
    inst = random_phased(np.random.default_rng(11), capacitated=True)
    model = SitingModel.from_input(inst.to_input(), capacitated=True)
    import time as _time
    bound = model.year_bound(1, deadline=_time.perf_counter() + 30)
    w, yr = np.array(inst.weight), np.array(inst.year_())
    best_final = 0.0
    for oy in plans(inst):
        if not feasible(inst, oy):
            continue
        covered = [any(0 <= oy[o] <= yr[i] for o in inst.cover[i]) for i in range(len(w))]
        best_final = max(best_final, float(w[(yr == 1) & np.array(covered)].sum()))
    # solved to optimality: the uncapacitated final-year optimum, no more and no less
    assert bound == pytest.approx(best_final)


def test_a_deadline_stops_highs_with_the_plan_in_hand() -> None:
    import time as _time

    from siting.model import decode
    from siting.model import highs as H

    inst = random_inst(np.random.default_rng(3), n_sites=5, n_dem=12)
    model = SitingModel.from_input(inst.to_input(), capacitated=False)
    plan = model._warm_plan(0.0)
    start = decode.start_vector(model.layout, model.reduced, plan)
    raw = H.solve_highs(model.layout, time_limit_s=60, mip_gap=0.0, threads=2, msg=False,
                        start=start, deadline=_time.perf_counter() - 1.0, presolve=False)
    assert raw.status in ("time_limit", "optimal") and raw.values is not None
    assert float(model.layout.col_obj @ raw.values) >= float(model.layout.col_obj @ start) - 1e-9


def test_cost_step_proves_the_cheapest_of_equal_coverage() -> None:
    # options 0 and 1 both cover everything; 1 is cheaper
    inst = Inst(site=[0, 1], cost=[5, 3], cover=[[0, 1], [0, 1]], weight=[4, 4], budget=10)
    sol, best = check(inst)
    assert best == 8 and sol.open_year.tolist() == [-1, 0]
    assert sol.cost_status == "optimal"


def test_a_given_start_plan_is_used_when_it_beats_the_greedy(monkeypatch) -> None:
    """A sweep hands the smaller budget's plan on: it becomes the solver's start."""
    import siting.model.phases as PH

    inst = Inst(site=[0, 1, 2], cost=[6.0, 5.0, 5.0], cover=[[0], [0], [1], [2]],
                weight=[3.5, 3.5, 5.5, 5.5], budget=10.0)          # greedy 7, optimum 11
    starts: list[float] = []
    real = PH.solve_lexicographic

    def spy(lay, cost, run, **kw):
        starts.append(float(lay.col_obj @ kw["start"]))
        return real(lay, cost, run, **kw)

    monkeypatch.setattr(PH, "solve_lexicographic", spy)
    model = SitingModel.from_input(inst.to_input(), capacitated=False, cost_tiebreak=0.0)
    assert model.solve().objective == pytest.approx(11.0)
    assert starts == [pytest.approx(7.0)]                          # the greedy's
    sol = model.solve(start_plan=np.array([-1, 0, 0]))
    assert sol.objective == pytest.approx(11.0)
    assert starts[-1] == pytest.approx(11.0)                       # the given plan's
    # an infeasible plan (over budget) is ignored, the greedy start is kept
    sol2 = SitingModel.from_input(inst.to_input(), capacitated=False).solve(
        start_plan=np.array([0, 0, 0]))
    assert sol2.objective == pytest.approx(11.0)


def test_big_models_run_without_sub_mip_heuristics(monkeypatch) -> None:
    """Above SUBMIP_MAX_NNZ HiGHS's RENS, RINS and root-reduced-cost sub-MIPs are off (their
    presolve ignores the time limit); below it they stay on. The optimum is the same."""
    import siting.model.highs as H

    inst = random_inst(np.random.default_rng(23))
    best, _ = brute_force(inst)
    seen = _highs_seen(monkeypatch)
    names = ("rens", "rins", "root_reduced_cost")
    for limit, on in ((10**9, True), (0, False)):
        seen.clear()
        monkeypatch.setattr(H, "SUBMIP_MAX_NNZ", limit)
        sol = SitingModel.from_input(inst.to_input(), capacitated=False).solve()
        assert sol.status == "optimal" and sol.objective == pytest.approx(best)
        mips = [h for h in seen if h.getOptionValue("mip_allow_restart")[1] is False]
        assert mips
        for h in mips:
            assert all(h.getOptionValue(f"mip_heuristic_run_{n}")[1] is on for n in names)


def test_the_final_year_bound_runs_no_feasibility_jump(monkeypatch) -> None:
    """``year_bound`` wants HiGHS's bound only; the feasibility-jump heuristic cannot be
    interrupted (it held 1 s solves of a 10k × 1k MCLP to 1.6 s), so it is off there."""
    import time as _time

    inst = random_inst(np.random.default_rng(31))
    model = SitingModel.from_input(inst.to_input(), capacitated=False)
    seen = _highs_seen(monkeypatch)
    bound = model.year_bound(0, deadline=_time.perf_counter() + 30)
    best, _ = brute_force(inst)
    assert bound >= best - 1e-6
    mips = [h for h in seen if h.getOptionValue("mip_allow_restart")[1] is False]
    assert mips and all(
        h.getOptionValue("mip_heuristic_run_feasibility_jump")[1] is False for h in mips)


def test_nearest_alloc_gives_each_served_row_its_nearest_station_open_that_year() -> None:
    from siting.model.decode import nearest_alloc

    # rows × options travel times; option 2 opens in year 1, option 3 never
    times = np.array([[5.0, 3.0, 1.0, 0.5],
                      [2.0, 2.0, 0.0, 9.0],
                      [0.0, 0.0, 0.0, 0.0],
                      [7.0, 0.0, 0.0, 0.0]])
    mask = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1], [1, 0, 0, 0]], bool)
    r, c = np.nonzero(mask)
    cover = sp.csr_matrix((times[r, c], (r, c)), shape=times.shape)
    open_year = np.array([0, 0, 1, -1])
    year = np.array([1, 0, 0, 1])
    served = np.array([1.0, 0.5, 0.0, 0.25])
    got = nearest_alloc(cover, open_year, year, served).toarray()
    want = np.zeros((4, 4))
    want[0, 2] = 1.0   # option 2 (1.0) is open in row 0's year 1; option 3 (0.5) never
    want[1, 0] = 0.5   # year 0: option 2 not open yet; a tie 2.0/2.0 goes to option 0
    want[3, 0] = 0.25  # its only option
    assert np.array_equal(got, want)  # row 2 reaches option 2 only, not open in year 0
