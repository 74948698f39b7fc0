"""The public MCLP API (siting.model.MCLP) against spopt and against independent optima.

Independent optima come from small MIPs written here with PuLP and solved with PuLP's own
CBC (no siting code), or from enumeration; spopt's MCLP is the reference the API imitates.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pulp
import pytest
import scipy.sparse as sp

from siting._errors import InputDataError, SolverError
from siting.model import MCLP, ModelInput, SitingModel
from siting.model import highs as H

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _instances as inst


def _cbc() -> pulp.LpSolver:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False)


def best_coverage(cov: sp.csr_matrix, w: np.ndarray, p: int) -> float:
    """Max covered weight with at most p facilities (PuLP + CBC, dense, independent)."""
    n, m = cov.shape
    prob = pulp.LpProblem("ref", pulp.LpMaximize)
    x = [prob.add_variable(f"x{j}", 0, 1, pulp.LpInteger) for j in range(m)]
    y = [prob.add_variable(f"y{i}", 0, 1) for i in range(n)]
    prob += pulp.lpSum(float(w[i]) * y[i] for i in range(n))
    prob += pulp.lpSum(x) <= p
    for i in range(n):
        prob += y[i] <= pulp.lpSum(x[j] for j in cov.indices[cov.indptr[i]:cov.indptr[i + 1]])
    prob.solve(_cbc())
    return float(pulp.value(prob.objective))


def fewest_facilities(cov: sp.csr_matrix, w: np.ndarray, w_star: float) -> int:
    """Fewest facilities covering at least w_star (PuLP + CBC, independent)."""
    n, m = cov.shape
    prob = pulp.LpProblem("fewest", pulp.LpMinimize)
    x = [prob.add_variable(f"x{j}", 0, 1, pulp.LpInteger) for j in range(m)]
    y = [prob.add_variable(f"y{i}", 0, 1) for i in range(n)]
    prob += pulp.lpSum(x)
    prob += pulp.lpSum(float(w[i]) * y[i] for i in range(n)) >= w_star - 1e-6
    for i in range(n):
        prob += y[i] <= pulp.lpSum(x[j] for j in cov.indices[cov.indptr[i]:cov.indptr[i + 1]])
    prob.solve(_cbc())
    return round(pulp.value(prob.objective))


def covered_weight(cov: sp.csr_matrix, w: np.ndarray, selected: np.ndarray) -> float:
    return float(w[np.asarray(cov[:, selected].sum(axis=1)).ravel() > 0].sum())


# =========================================================================== the defect
@pytest.mark.slow
@pytest.mark.parametrize(("seed", "radius", "p"), [(11, 1600, 8), (9, 2000, 12), (2, 2000, 8)])
def test_saturated_clustered_instance_returns_the_plan_it_proves(seed, radius, p) -> None:
    # 324 clustered points, every point a site: HiGHS 1.16 with a start reported an
    # objective no plan reaches and handed back the start (more stations than needed)
    case = inst.clustered_mclp(324, seed=seed, p=p)
    d = inst.sparse_cover(case.demand_xy, case.site_xy, radius)
    cov = sp.csr_matrix((np.ones(d.nnz, bool), d.indices, d.indptr), shape=d.shape)
    m = MCLP.from_coverage(cov, case.weight, p_facilities=p).solve()
    w_star = best_coverage(cov, case.weight, p)
    assert m.status == "optimal" and m.solution.cost_status == "optimal"
    assert m.covered_weight == pytest.approx(w_star)
    assert covered_weight(cov, case.weight, m.selected) == pytest.approx(w_star)
    assert len(m.selected) == fewest_facilities(cov, case.weight, w_star)
    assert m.bound == pytest.approx(w_star)


def test_highs_result_is_checked_against_the_objective_it_reports(monkeypatch) -> None:
    # a back-end run whose reported objective its own plan does not reach is repeated
    case = inst.clustered_mclp(60, seed=1, p=3)
    d = inst.sparse_cover(case.demand_xy, case.site_xy, 1500)
    model = SitingModel.from_input(inst.mclp_model_input(case, d), capacitated=False)
    lay = model.layout
    real = H._run
    calls: list[bool] = []

    def lying_once(layout, **kw):
        raw = real(layout, **kw)
        calls.append(kw["presolve"])
        if len(calls) == 1:  # claim a better objective than the plan reaches
            return type(raw)(raw.status, raw.values, raw.bound + 5, 0.0, raw.seconds,
                             float(layout.col_obj @ raw.values) + 5)
        return raw

    monkeypatch.setattr(H, "_run", lying_once)
    raw = H.solve_highs(lay, time_limit_s=30, mip_gap=0.0, threads=1, msg=False, start=None)
    assert calls == [calls[0], False]  # repeated once, without presolve
    assert raw.reported == pytest.approx(float(lay.col_obj @ raw.values))


# =========================================================================== API vs spopt
@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_from_cost_matrix_matches_spopt(seed: int) -> None:
    spopt_locate = pytest.importorskip("spopt.locate")
    rng = np.random.default_rng(seed)
    nd, nf, p = 60, 15, 4
    dist = rng.random((nd, nf)) * 10
    dist[rng.random((nd, nf)) < 0.05] = 0.0          # clients sitting on a site
    w = rng.integers(1, 10, nd).astype(float)
    ref = spopt_locate.MCLP.from_cost_matrix(dist, w, service_radius=3.0, p_facilities=p)
    ref.solve(pulp.HiGHS(msg=False))
    ref_obj = float(pulp.value(ref.problem.objective))
    m = MCLP.from_cost_matrix(dist, w, 3.0, p_facilities=p).solve()
    assert m.covered_weight == pytest.approx(ref_obj)
    assert len(m.selected) <= p
    assert covered_weight(sp.csr_matrix(dist <= 3.0), w, m.selected) == pytest.approx(ref_obj)


def test_from_geodataframe_matches_spopt() -> None:
    gpd = pytest.importorskip("geopandas")
    spopt_locate = pytest.importorskip("spopt.locate")
    case = inst.clustered_mclp(150, seed=3, p=5)
    crs = "EPSG:32649"
    dem = gpd.GeoDataFrame({"w": case.weight}, geometry=gpd.points_from_xy(*case.demand_xy.T),
                           crs=crs)
    fac = gpd.GeoDataFrame({"id": np.arange(len(case.site_xy))},
                           geometry=gpd.points_from_xy(*case.site_xy.T), crs=crs)
    ref = spopt_locate.MCLP.from_geodataframe(dem, fac, "geometry", "geometry", "w",
                                              service_radius=1000, p_facilities=5)
    ref.solve(pulp.HiGHS(msg=False))
    m = MCLP.from_geodataframe(dem, fac, "geometry", "geometry", "w", 1000,
                               p_facilities=5).solve()
    assert m.covered_weight == pytest.approx(float(pulp.value(ref.problem.objective)))
    assert m.perc_cov == pytest.approx(100 * (150 - m.n_cli_uncov) / 150)
    assert m.perc_weight == pytest.approx(100 * m.covered_weight / case.weight.sum())
    # every point covers itself at distance 0
    assert all(i in m.fac2cli()[i] for i in m.selected.tolist())


# =========================================================================== semantics
def test_stored_zero_in_a_boolean_coverage_does_not_cover() -> None:
    # client 0 sits on site 0 (distance 0): the usual np.where(D <= r, D, 0) loses it
    d = np.array([[0.0, 5.0], [5.0, 0.5], [0.8, 5.0]])
    w = np.array([10.0, 1.0, 1.0])
    m = MCLP.from_cost_matrix(d, w, 1.0, p_facilities=1).solve()
    assert m.selected.tolist() == [0] and m.covered_weight == 11.0
    m2 = MCLP.from_cost_matrix(sp.csr_matrix(np.where(d <= 1.0, d, 0.0)), w, 1.0,
                               p_facilities=1).solve()        # sparse: the 0.0 is dropped...
    assert m2.covered_weight == 1.0                           # ...so only explicit costs count
    b = sp.csr_matrix(np.array([[True, False], [False, True], [True, False]]))
    b.data[0] = False                                          # a stored False
    m3 = MCLP.from_coverage(b, w, p_facilities=1).solve()
    assert m3.covered_weight == 1.0 and m3.coverage.nnz == 2


def test_budgeted_mclp_matches_enumeration() -> None:
    rng = np.random.default_rng(4)
    nd, nf = 25, 7
    cov = rng.random((nd, nf)) < 0.3
    w = rng.integers(1, 20, nd).astype(float)
    cost = rng.integers(1, 6, nf).astype(float)
    best, cheapest = -1.0, np.inf
    for k in range(nf + 1):
        for s in itertools.combinations(range(nf), k):
            c = float(cost[list(s)].sum())
            if c > 9 or len(s) > 3:
                continue
            v = float(w[cov[:, list(s)].any(axis=1)].sum()) if s else 0.0
            if v > best + 1e-9 or (abs(v - best) <= 1e-9 and c < cheapest):
                best, cheapest = v, c
    m = MCLP.from_coverage(cov, w, p_facilities=3, facility_costs=cost, budget=9).solve()
    assert m.covered_weight == pytest.approx(best)
    assert float(cost[m.selected].sum()) == pytest.approx(cheapest)
    assert len(m.selected) <= 3


def test_predefined_facilities_stay_open_and_count_towards_p() -> None:
    cov = np.eye(4, dtype=bool)
    m = MCLP.from_coverage(cov, [1, 2, 3, 4], p_facilities=2,
                           predefined_facilities=[True, False, False, False]).solve()
    assert m.selected.tolist() == [0, 3] and m.covered_weight == 5.0


def test_problem_is_inspectable_and_errors_are_one_line() -> None:
    m = MCLP.from_coverage(np.eye(3, dtype=bool), [1, 1, 1], p_facilities=1, name="tiny")
    assert isinstance(m.problem, pulp.LpProblem) and m.problem.name == "tiny"
    assert m.solve() is m
    with pytest.raises(InputDataError, match="weights has 2 values"):
        MCLP.from_coverage(np.eye(3, dtype=bool), [1, 1], p_facilities=1)
    with pytest.raises(InputDataError, match="p_facilities, or facility_costs and budget"):
        MCLP.from_coverage(np.eye(3, dtype=bool), [1, 1, 1])
    # numpy scalars are named as plain numbers, not as their repr
    with pytest.raises(InputDataError, match=r"^weights\[1\] = -3.0 must be finite and >= 0$"):
        MCLP.from_coverage(np.eye(3, dtype=bool), np.array([5.0, -3.0, 4.0]), p_facilities=1)
    with pytest.raises(InputDataError, match=r"^service_radius = nan must be"):
        MCLP.from_cost_matrix(np.eye(3), [1, 1, 1], service_radius=np.float64("nan"),
                              p_facilities=1)
    with pytest.raises(InputDataError, match=r"^budget = -1.0 must be"):
        MCLP.from_coverage(np.eye(3, dtype=bool), [1, 1, 1], facility_costs=[1, 1, 1],
                           budget=np.float64(-1))
    with pytest.raises(SolverError, match="not solved yet"):
        _ = MCLP.from_coverage(np.eye(3, dtype=bool), [1, 1, 1], p_facilities=1).selected


def test_geodataframe_in_degrees_is_refused() -> None:
    gpd = pytest.importorskip("geopandas")
    dem = gpd.GeoDataFrame({"w": [1.0]}, geometry=gpd.points_from_xy([113.4], [31.7]),
                           crs="EPSG:4326")
    with pytest.raises(InputDataError, match=r"degrees.*estimate_utm_crs"):
        MCLP.from_geodataframe(dem, dem, "geometry", "geometry", "w", 1000, p_facilities=1)


def test_model_input_cover_has_no_stored_zero_semantics_left() -> None:
    # what the API hands to siting's model: every True pair, nothing else
    cov = sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=float))
    mi: ModelInput = MCLP.from_coverage(cov, [1, 1], p_facilities=1).model_input()
    assert mi.cover.nnz == 2 and set(mi.cover.data.tolist()) == {1.0}
