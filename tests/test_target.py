"""Least cost to a target and coverage floors (siting.model.target) against brute force.

Every expected optimum is computed here by enumerating all plans (site -> option or nothing,
× opening year) and checking each one directly: coverage counted (uncapacitated) or the best
allocation found by ``scipy.optimize.linprog`` (capacitated), floors as LP rows. Nothing here
uses siting.model to compute an expected value.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from siting._errors import InfeasibleError
from siting.model import CoverageFloor, ModelInput, SitingModel, ZoneMinimum
from siting.model.inputs import RawResult
from siting.model.target import cost_bound_and_gap

TOL = 1e-6


@dataclass
class Case:
    """A small instance: options at sites, demand rows with cover sets, years."""

    site: list[int]
    cost: list[float]
    cover: list[list[int]]
    weight: list[float]
    year: list[int]
    P: int = 1
    energy: list[float] | None = None
    cap: list[float] | None = None
    budget: float = math.inf
    by_year: list[float] | None = None
    zones: list[tuple[list[int], int, int]] = field(default_factory=list)
    floors: list[tuple[list[int], float]] = field(default_factory=list)

    def model_input(self, *, minimise_cost: bool) -> ModelInput:
        rows = [i for i, c in enumerate(self.cover) for _ in c]
        cols = [o for c in self.cover for o in c]
        n = len(self.site)
        cov = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(self.cover), n))
        return ModelInput(
            weight=np.array(self.weight, float),
            energy=np.array(self.energy or [1.0] * len(self.weight), float),
            year=np.array(self.year, int), cover=cov, option_site=np.array(self.site),
            option_cost=np.array(self.cost, float),
            option_capacity=np.array(self.cap or [math.inf] * n, float),
            option_existing=np.zeros(n, bool), budget_total=self.budget,
            budget_by_year=None if self.by_year is None else np.array(self.by_year, float),
            zone_min=[ZoneMinimum(np.array(o), m, by) for o, m, by in self.zones],
            coverage_floors=[CoverageFloor(np.array(r), s, f"floor {k}")
                             for k, (r, s) in enumerate(self.floors)],
            minimise_cost=minimise_cost, year_labels=[str(2023 + p) for p in range(self.P)])


def plans(c: Case):
    sites = sorted(set(c.site))
    choices = []
    for s in sites:
        opts = [o for o in range(len(c.site)) if c.site[o] == s]
        choices.append([None] + [(o, p) for o in opts for p in range(c.P)])
    for combo in itertools.product(*choices):
        oy = np.full(len(c.site), -1)
        for part in combo:
            if part is not None:
                oy[part[0]] = part[1]
        yield oy


def rules_hold(c: Case, oy: np.ndarray) -> bool:
    new = [o for o in range(len(c.site)) if oy[o] >= 0]
    if sum(c.cost[o] for o in new) > c.budget + 1e-9:
        return False
    if c.by_year is not None and any(
            sum(c.cost[o] for o in new if oy[o] == p) > c.by_year[p] + 1e-9
            for p in range(c.P)):
        return False
    return all(sum(1 for o in opts if 0 <= oy[o] <= by) >= m for opts, m, by in c.zones)


def best_allocation(c: Case, oy: np.ndarray, capacitated: bool, objective_rows: list[int],
                    floors: list[tuple[list[int], float]]) -> float | None:
    """Max covered weight of ``objective_rows`` under the floors; None if a floor fails."""
    n = len(c.weight)
    open_for = [[o for o in c.cover[i] if 0 <= oy[o] <= c.year[i]] for i in range(n)]
    if not capacitated:
        y = np.array([1.0 if open_for[i] else 0.0 for i in range(n)])
        w = np.array(c.weight)
        for rows, s in floors:
            if (w[rows] * y[rows]).sum() < s * w[rows].sum() - 1e-9:
                return None
        return float((w[objective_rows] * y[objective_rows]).sum())
    e, cap = c.energy or [1.0] * n, c.cap or [math.inf] * len(c.site)
    pairs = [(i, o) for i in range(n) for o in open_for[i]]
    ny, nz = n, len(pairs)
    obj = np.zeros(ny + nz)
    obj[objective_rows] = -np.array(c.weight)[objective_rows]
    a_eq = np.zeros((ny, ny + nz))
    for k, (i, _o) in enumerate(pairs):
        a_eq[i, ny + k] = 1.0
    for i in range(ny):
        a_eq[i, i] = -e[i]
    a_ub, b_ub = [], []
    for o in range(len(c.site)):
        for p in range(c.P):
            ks = [k for k, (i, oo) in enumerate(pairs) if oo == o and c.year[i] == p]
            if ks and math.isfinite(cap[o]):
                row = np.zeros(ny + nz)
                row[[ny + k for k in ks]] = 1.0
                a_ub.append(row)
                b_ub.append(cap[o])
    for rows, s in floors:
        row = np.zeros(ny + nz)
        row[rows] = -np.array(c.weight)[rows]
        a_ub.append(row)
        b_ub.append(-s * np.array(c.weight)[rows].sum() + 1e-9)
    bounds = [(0.0, 1.0 if open_for[i] else 0.0) for i in range(ny)] + [(0, None)] * nz
    res = linprog(obj, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                  A_eq=a_eq, b_eq=np.zeros(ny), bounds=bounds, method="highs")
    if res.status == 2:
        return None
    assert res.status == 0
    return -float(res.fun)


def final_rows(c: Case) -> list[int]:
    return [i for i in range(len(c.weight)) if c.year[i] == c.P - 1]


def brute_least_cost(c: Case, capacitated: bool) -> float:
    best = math.inf
    for oy in plans(c):
        cost = sum(c.cost[o] for o in range(len(c.site)) if oy[o] >= 0)
        if cost >= best or not rules_hold(c, oy):
            continue
        if best_allocation(c, oy, capacitated, final_rows(c), c.floors) is not None:
            best = cost
    return best


def brute_max_cover(c: Case, capacitated: bool) -> float:
    best = -1.0
    for oy in plans(c):
        if rules_hold(c, oy):
            v = best_allocation(c, oy, capacitated, list(range(len(c.weight))), c.floors)
            if v is not None:
                best = max(best, v)
    return best


def random_case(seed: int, *, P: int = 1, capacitated: bool = False) -> Case:
    rng = np.random.default_rng(seed)
    n_sites = 4
    site = [s for s in range(n_sites) for _ in range(2)]
    cost = rng.integers(1, 9, len(site)).astype(float).tolist()
    n_rows = 6 * P
    cover = [sorted(rng.choice(len(site), size=int(rng.integers(0, 4)), replace=False).tolist())
             for _ in range(n_rows)]
    weight = rng.integers(1, 6, n_rows).astype(float).tolist()
    year = [i % P for i in range(n_rows)]
    kw: dict = {}
    if capacitated:
        kw["energy"] = rng.integers(1, 4, n_rows).astype(float).tolist()
        kw["cap"] = rng.integers(2, 7, len(site)).astype(float).tolist()
    return Case(site, cost, cover, weight, year, P=P, **kw)


def solve(c: Case, *, minimise_cost: bool, capacitated: bool):
    return SitingModel.from_input(c.model_input(minimise_cost=minimise_cost),
                                  capacitated=capacitated).solve(time_limit_s=30, threads=1)


# =========================================================================== least cost
@pytest.mark.slow
@pytest.mark.parametrize("capacitated", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_least_cost_to_target_matches_brute_force(seed: int, capacitated: bool) -> None:
    c = random_case(seed, P=2, capacitated=capacitated)
    c.by_year = [9.0, 30.0]
    w = np.array(c.weight)
    rows = final_rows(c)
    # a target every instance can reach: the best coverage of the final year, times 0.8
    reach = brute_max_cover(Case(**{**c.__dict__, "weight": [
        x if i in rows else 0.0 for i, x in enumerate(c.weight)]}), capacitated)
    share = 0.8 * reach / w[rows].sum()
    c.floors = [(rows, share)]
    expected = brute_least_cost(c, capacitated)
    sol = solve(c, minimise_cost=True, capacitated=capacitated)
    assert sol.status == "optimal"
    assert sol.spent == pytest.approx(expected)
    # the plan itself meets the target and the yearly caps, checked directly
    assert rules_hold(c, sol.open_year)
    covered = (w[rows] * sol.served[rows]).sum()
    assert covered >= share * w[rows].sum() - 1e-6
    assert sol.bound == pytest.approx(expected) and sol.gap == 0.0


def test_hand_calculated_least_cost() -> None:
    """Three sites; the target 0.75 of 4 rows needs 3 covered: the pair {B, C} (cost 5) is
    the cheapest of the plans covering 3 rows (A alone covers 2, A+B 3 at cost 7)."""
    c = Case(site=[0, 1, 2], cost=[4.0, 3.0, 2.0],
             cover=[[0, 1], [0], [1, 2], [2]], weight=[1, 1, 1, 1], year=[0, 0, 0, 0],
             floors=[([0, 1, 2, 3], 0.75)])
    sol = solve(c, minimise_cost=True, capacitated=False)
    assert sol.spent == 5.0
    assert sorted(np.flatnonzero(sol.open_year >= 0).tolist()) == [1, 2]
    assert sol.served.sum() == 3.0  # row 1 (only A reaches it) stays unserved


def test_target_all_demand_equals_cheapest_full_cover() -> None:
    c = random_case(3)
    rows = [i for i, cov in enumerate(c.cover) if cov]  # reachable rows only
    c.weight = [x if i in rows else 0.0 for i, x in enumerate(c.weight)]
    c.floors = [(list(range(len(c.weight))), 1.0)]
    assert solve(c, minimise_cost=True, capacitated=False).spent == pytest.approx(
        brute_least_cost(c, False))


# =========================================================================== floors
@pytest.mark.slow
@pytest.mark.parametrize("capacitated", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_zone_floor_in_coverage_mode_matches_brute_force(seed: int, capacitated: bool) -> None:
    c = random_case(100 + seed, capacitated=capacitated)
    c.budget = 9.0
    zone = [0, 1, 2]
    w = np.array(c.weight)
    best_zone = brute_max_cover(Case(**{**c.__dict__, "weight": [
        x if i in zone else 0.0 for i, x in enumerate(c.weight)]}), capacitated)
    if best_zone <= 0:
        pytest.skip("zone cannot be covered at all in this instance")
    c.floors = [(zone, 0.99 * best_zone / w[zone].sum())]
    expected = brute_max_cover(c, capacitated)
    sol = solve(c, minimise_cost=False, capacitated=capacitated)
    assert sol.objective == pytest.approx(expected, abs=1e-6)
    assert (w[zone] * sol.served[zone]).sum() >= c.floors[0][1] * w[zone].sum() - 1e-6


def test_floor_above_reach_names_the_reach() -> None:
    c = Case(site=[0, 1], cost=[1.0, 1.0], cover=[[0], [1], []], weight=[1, 1, 2],
             year=[0, 0, 0], floors=[([0, 1, 2], 0.6)])
    with pytest.raises(InfeasibleError, match=r"only 50\.0 % of that demand reaches"):
        solve(c, minimise_cost=True, capacitated=False)


def test_floor_blocked_by_yearly_caps_names_them() -> None:
    # rows of the final year need both stations; the yearly caps allow one
    c = Case(site=[0, 1], cost=[5.0, 5.0], cover=[[0], [1]], weight=[1, 1], year=[0, 0],
             by_year=[6.0], floors=[([0, 1], 1.0)])
    with pytest.raises(InfeasibleError) as e:
        solve(c, minimise_cost=True, capacitated=False)
    msg = str(e.value)
    assert "floor 0 cannot be met" in msg and "budget.by_year" in msg
    assert "at most 50.0 %" in msg and "100.0 % is reached without them" in msg


def test_floor_blocked_by_capacity_names_it() -> None:
    c = Case(site=[0], cost=[1.0], cover=[[0], [0]], weight=[1, 1], year=[0, 0],
             energy=[2.0, 2.0], cap=[2.0], floors=[([0, 1], 0.9)])
    with pytest.raises(InfeasibleError, match="daily capacities block it"):
        solve(c, minimise_cost=True, capacitated=True)


def test_cost_bound_of_a_stopped_solve() -> None:
    raw = RawResult("time_limit", None, bound=-4.0, gap=0.1, seconds=1.0)
    low, gap = cost_bound_and_gap(raw, 5e6, 1e6)
    assert low == 4e6 and gap == pytest.approx(0.2)


@pytest.mark.slow  # matplotlib and the font search: ~1-5 s the first time
@pytest.mark.parametrize(("lang", "xlabel", "legend"), [
    ("en", "target: share of the 2025 demand covered (%)", "proven least cost"),
    ("zh", "目标：2025 年需求覆盖率（%）", "已证明最低投资")])
def test_cost_curve_png_is_in_the_runs_language_and_names_the_year(tmp_path, monkeypatch,
                                                                    lang, xlabel, legend):
    from matplotlib.figure import Figure

    from siting.briefing.fonts import Fonts
    from siting.cost_curve import CostPoint, _plot

    if lang == "zh" and Fonts.resolve().cjk is None:
        pytest.skip("no CJK font: the chart falls back to English")
    seen: dict[str, object] = {}

    def capture(fig, path, **kw):
        ax = fig.axes[0]
        seen.update(x=ax.get_xlabel(), title=ax.get_title(),
                    legend=[x.get_text() for x in ax.get_legend().get_texts()])
        Path(path).write_bytes(b"png")

    monkeypatch.setattr(Figure, "savefig", capture)
    points = [CostPoint(0.8, 3e7, 0.81, "optimal", 0.0, 3e7, 9, "target_0.800"),
              CostPoint(0.9, 5e7, 0.9, "time_limit", 0.02, 4.9e7, 14, "target_0.900")]
    _plot(points, tmp_path / "cost_curve.png", lang=lang, year=2025)
    assert seen["x"] == xlabel and legend in seen["legend"]
    assert (seen["title"] == "达到覆盖率目标的最低投资") == (lang == "zh")


@pytest.mark.slow  # matplotlib and the font search
def test_budget_curve_png_names_the_year_its_share_counts(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from siting.sweep import SweepPoint, _plot_curve

    seen: dict[str, str] = {}

    def capture(fig, path, **kw):
        seen["y"] = fig.axes[0].get_ylabel()
        Path(path).write_bytes(b"png")

    monkeypatch.setattr(Figure, "savefig", capture)
    points = [SweepPoint(3e7, 2.9e7, 0.8, 1500.0, 9, "optimal", 0.0, False, "b30"),
              SweepPoint(6e7, 5.8e7, 0.9, 1800.0, 14, "time_limit", 0.02, False, "b60")]
    _plot_curve(points, None, tmp_path / "curve.png", lang="en", year=2025)
    assert seen["y"] == "share of the 2025 demand covered (%)"
