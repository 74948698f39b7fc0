"""Vehicles-per-day limits, hydrogen supply limits and corridor trucks drawing on station
capacity (issue 11 §2), checked against brute force.

For every plan (set of stations within the budget) the best allocation is found by an LP
written here from the problem statement with ``scipy.optimize.linprog`` (not the model's
layout); the best plan's value must equal the model's optimum.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from siting.model import ArcCoverFlow, ModelInput, SitingModel


def _instance(seed: int, *, vehicles_cap: bool, supply: bool, flow_energy: bool):
    rng = np.random.default_rng(seed)
    nd, no = 7, 4
    cover = (rng.random((nd, no)) < 0.6).astype(float)
    cover[np.arange(nd), rng.integers(0, no, nd)] = 1.0
    unit = (rng.random(nd) < 0.4).astype(np.int64)  # some hydrogen rows
    weight = rng.integers(2, 12, nd).astype(float)  # vehicles
    energy = weight * np.where(unit == 1, 3.0, 60.0)  # kg/day or kWh/day
    cap = rng.uniform(200, 500, no)
    cap_h2 = rng.uniform(10, 40, no)
    vcap = rng.uniform(6, 14, no) if vehicles_cap else None
    pairs = None
    kcap = None
    if supply:
        pairs = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=float))
        kcap = np.array([15.0, 20.0])  # option 3: on-site production (no pair)
    flows = []
    if flow_energy:
        flows = [ArcCoverFlow(weight=6.0, arc_sets=[np.array([0, 1]), np.array([1, 2])],
                              energy=150.0, unit=0, vehicles=6.0,
                              draw_options=np.array([0, 1, 2]))]
    mi = ModelInput(
        weight=weight, energy=energy, year=np.zeros(nd, np.int64), cover=sp.csr_matrix(cover),
        option_site=np.arange(no), option_cost=rng.uniform(1, 3, no),
        option_capacity=cap, option_capacity_h2=cap_h2, unit=unit,
        option_existing=np.zeros(no, bool), budget_total=5.0, flows=flows,
        vehicles=weight.copy(), option_vehicles_cap=vcap, supply_capacity=kcap,
        supply_pairs=pairs)
    return mi


def _best_allocation(mi: ModelInput, open_: np.ndarray) -> float:
    """max Σ w_i y_i + Σ w_f h_f for the open stations, as an LP built from the statement."""
    nd, no = mi.cover.shape
    C = mi.cover.toarray() > 0
    pairs = [(i, o) for i in range(nd) for o in range(no) if C[i, o] and open_[o]]
    flows = [f for f in mi.flows]
    fcov = [all(open_[np.asarray(a)].any() for a in f.arc_sets) for f in flows]
    gpairs = [(j, o) for j, f in enumerate(flows) for o in f.draws() if open_[o] and fcov[j]]
    K = 0 if mi.supply_pairs is None else mi.supply_pairs.shape[1]
    P = mi.supply_pairs.toarray() if K else np.zeros((no, 0))
    spairs = [(o, k) for o in range(no) for k in range(K) if P[o, k] and open_[o]]
    # columns: y (nd), z (pairs), h (flows), g (gpairs), s (spairs); z, g as energy shares
    ny, nz, nh, ng, ns = nd, len(pairs), len(flows), len(gpairs), len(spairs)
    n = ny + nz + nh + ng + ns
    c = np.zeros(n)
    c[:ny] = -mi.weight
    c[ny + nz:ny + nz + nh] = [-f.weight for f in flows]
    A_eq, b_eq, A_ub, b_ub = [], [], [], []
    for i in range(nd):  # Σ_o z_io = y_i
        row = np.zeros(n)
        row[i] = -1
        for k, (ii, _) in enumerate(pairs):
            if ii == i:
                row[ny + k] = 1
        A_eq.append(row)
        b_eq.append(0)
    for j in range(nh):  # Σ_o g_jo = h_j
        row = np.zeros(n)
        row[ny + nz + j] = -1
        for k, (jj, _) in enumerate(gpairs):
            if jj == j:
                row[ny + nz + nh + k] = 1
        A_eq.append(row)
        b_eq.append(0)
    unit = mi.row_units()
    vcap = mi.vehicles_cap()
    for o in range(no):
        if not open_[o]:
            continue
        for u, capacity in ((0, mi.option_capacity[o]), (1, mi.capacity_h2()[o])):
            row = np.zeros(n)
            for k, (i, oo) in enumerate(pairs):
                if oo == o and unit[i] == u:
                    row[ny + k] = mi.energy[i]
            for k, (j, oo) in enumerate(gpairs):
                if oo == o and flows[j].unit == u:
                    row[ny + nz + nh + k] = flows[j].energy
            A_ub.append(row)
            b_ub.append(capacity)
        if np.isfinite(vcap[o]):
            row = np.zeros(n)
            for k, (i, oo) in enumerate(pairs):
                if oo == o:
                    row[ny + k] = mi.vehicles[i]
            for k, (j, oo) in enumerate(gpairs):
                if oo == o:
                    row[ny + nz + nh + k] = flows[j].vehicles
            A_ub.append(row)
            b_ub.append(vcap[o])
        if K and P[o].any():  # hydrogen served at o <= delivered to o
            row = np.zeros(n)
            for k, (i, oo) in enumerate(pairs):
                if oo == o and unit[i] == 1:
                    row[ny + k] = mi.energy[i]
            for k, (oo, _) in enumerate(spairs):
                if oo == o:
                    row[ny + nz + nh + ng + k] = -1
            A_ub.append(row)
            b_ub.append(0)
    for kk in range(K):  # each site within its kg/day
        row = np.zeros(n)
        for k, (_, s) in enumerate(spairs):
            if s == kk:
                row[ny + nz + nh + ng + k] = 1
        A_ub.append(row)
        b_ub.append(mi.supply_capacity[kk])
    bounds = [(0, 1)] * (ny + nz) + [(0, 1 if fcov[j] else 0) for j in range(nh)] \
        + [(0, 1)] * ng + [(0, None)] * ns
    res = linprog(c, A_ub=np.array(A_ub) if A_ub else None, b_ub=b_ub or None,
                  A_eq=np.array(A_eq), b_eq=b_eq, bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return -res.fun


def _brute_force(mi: ModelInput) -> float:
    no = mi.n_options
    best = 0.0
    for plan in itertools.product([0, 1], repeat=no):
        open_ = np.array(plan, bool)
        if mi.option_cost[open_].sum() > mi.budget_total + 1e-9:
            continue
        best = max(best, _best_allocation(mi, open_))
    return best


CASES = [dict(vehicles_cap=True, supply=False, flow_energy=False),
         dict(vehicles_cap=False, supply=True, flow_energy=False),
         dict(vehicles_cap=False, supply=False, flow_energy=True),
         dict(vehicles_cap=True, supply=True, flow_energy=True)]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=["vehicles", "supply", "flow", "all"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_optimum_equals_brute_force(case, seed):
    mi = _instance(seed, **case)
    sol = SitingModel.from_input(mi, cost_tiebreak=0.0).solve(time_limit_s=30)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(_brute_force(mi), abs=1e-5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_limits_hold_in_the_plan(seed):
    mi = _instance(seed, vehicles_cap=True, supply=True, flow_energy=False)
    sol = SitingModel.from_input(mi).solve(time_limit_s=30)
    alloc = sol.alloc.toarray()  # energy per row and option
    share = alloc / mi.energy[:, None]
    veh = share.T @ mi.vehicles
    assert np.all(veh <= mi.vehicles_cap() + 1e-6)
    h2 = (alloc * (mi.row_units() == 1)[:, None]).sum(axis=0)  # kg/day served per option
    use = sol.supply_use[:, 0]
    assert np.all(use <= mi.supply_capacity + 1e-6)
    pairs = mi.supply_pairs.toarray() > 0
    delivered = pairs.any(axis=1)
    assert h2[delivered].sum() <= use.sum() + 1e-6
    # an option with no supply site in reach draws from none (on-site production)
    assert not pairs[3].any()


def test_limits_bind_against_the_unlimited_model():
    """The same instance without the limits covers strictly more: they are enforced."""
    mi = _instance(4, vehicles_cap=True, supply=True, flow_energy=True)
    limited = SitingModel.from_input(mi, cost_tiebreak=0.0).solve(time_limit_s=30)
    free = ModelInput(**{**mi.__dict__, "option_vehicles_cap": None, "supply_capacity": None,
                         "supply_pairs": None,
                         "flows": [ArcCoverFlow(f.weight, f.arc_sets) for f in mi.flows]})
    unlimited = SitingModel.from_input(free, cost_tiebreak=0.0).solve(time_limit_s=30)
    assert limited.objective < unlimited.objective - 1e-6


# --------------------------------------------------------------------------- warm starts
def _greedy_draws(mi: ModelInput, plan) -> tuple[np.ndarray, np.ndarray]:
    """(n_demand, n_options) energy the greedy draws per cover entry, and its share of rows
    (no reductions: reduced rows and options are the input's)."""
    C = sp.csr_matrix(mi.cover)
    E = np.zeros(C.shape)
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    np.add.at(E, (rows, C.indices), plan.z)
    return E, E.sum(axis=1) / mi.energy


@pytest.mark.parametrize("case", [CASES[0], CASES[1], dict(CASES[3], flow_energy=False)],
                         ids=["vehicles", "supply", "vehicles+supply"])
@pytest.mark.parametrize("seed", [1, 2, 3, 5, 8])
def test_greedy_serves_only_what_its_stations_can(case, seed):
    """The greedy's own allocation keeps every kWh, kg-H2, vehicles-a-day and supply limit:
    the coverage it claims is no more than the best allocation for its stations (computed
    here from the statement). It had claimed 1,542 on the bundled scenario where its
    stations could serve 1,002: it ignored the vehicles a day. (Corridor trucks drawing on
    capacity are left to the start's LP: next test.)"""
    from siting.model.heuristics import greedy_plan

    mi = _instance(seed, **case)
    m = SitingModel.from_input(mi, reductions=False, cost_tiebreak=0.0)
    plan = greedy_plan(m.reduced, capacitated=True)
    assert plan is not None
    E, share = _greedy_draws(mi, plan)
    open_ = plan.open_year >= 0
    assert not E[:, ~open_].any()
    unit = mi.row_units()
    assert np.all(E[unit == 0].sum(axis=0) <= mi.option_capacity + 1e-6)
    assert np.all(E[unit == 1].sum(axis=0) <= mi.option_capacity_h2 + 1e-6)
    if mi.option_vehicles_cap is not None:
        veh = (E / mi.energy[:, None]).T @ mi.vehicles
        assert np.all(veh <= mi.option_vehicles_cap + 1e-6)
    assert np.allclose(plan.served, share)
    assert plan.objective <= _best_allocation(mi, open_) + 1e-6


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_start_with_corridor_trucks_is_the_best_allocation_of_its_stations(seed):
    """A start whose stations carry corridor trucks is allocated by the LP: its coverage is
    the best for its stations (the flows it completes included)."""
    from siting.model import decode
    from siting.model.heuristics import greedy_plan

    mi = _instance(seed, vehicles_cap=True, supply=False, flow_energy=True)
    m = SitingModel.from_input(mi, reductions=False, cost_tiebreak=0.0)
    plan = greedy_plan(m.reduced, capacitated=True)
    start = decode.start_vector(m.layout, m.reduced, plan)
    assert float(m.layout.col_obj @ start) == pytest.approx(
        _best_allocation(mi, plan.open_year >= 0), abs=1e-6)


# --------------------------------------------------------------------------- LP neighbourhood
def _timed_instance(seed: int) -> ModelInput:
    """A capacitated instance whose cover holds travel times (explicit zeros included) and
    whose rows come in pairs on the same node (merged by the reductions)."""
    rng = np.random.default_rng(seed)
    nd, no = 16, 9
    T = rng.uniform(0, 900, (nd // 2, no)).round()
    T[rng.random(T.shape) < 0.3] = np.inf
    T[np.arange(nd // 2), rng.integers(0, no, nd // 2)] = 0.0  # a station on the node
    T = np.repeat(T, 2, axis=0)
    r, c = np.nonzero(np.isfinite(T))
    cover = sp.csr_matrix((T[r, c], (r, c)), shape=T.shape)
    weight = rng.integers(2, 12, nd).astype(float)
    return ModelInput(
        weight=weight, energy=weight * 60.0, year=np.zeros(nd, np.int64), cover=cover,
        option_site=np.arange(no), option_cost=rng.uniform(1, 3, no),
        option_capacity=rng.uniform(300, 700, no), option_existing=np.zeros(no, bool),
        budget_total=6.0, vehicles=weight.copy(), option_vehicles_cap=rng.uniform(6, 14, no))


@pytest.mark.parametrize("k", [1, 2, 4])
def test_nearest_cover_keeps_each_rows_k_fastest_options(k):
    from siting.model.neighbourhood import nearest_cover

    mi = _timed_instance(3)
    m = SitingModel.from_input(mi)
    rd = m.reduced
    near = nearest_cover(mi, rd, k)
    C = sp.csr_matrix(mi.cover)
    assert rd.n_rows < mi.n_demand  # rows on one node were merged
    for i in range(mi.n_demand):
        r = rd.row_of[i]
        if r < 0:
            continue
        a, b = C.indptr[i], C.indptr[i + 1]
        kept = {int(np.flatnonzero(rd.opt == o)[0]): t for o, t in
                zip(C.indices[a:b].tolist(), C.data[a:b].tolist()) if o in set(rd.opt.tolist())}
        allowed = set(rd.cover[r].indices.tolist())
        times = sorted((t, o) for o, t in kept.items() if o in allowed)
        got = set(near[r].indices.tolist())
        assert got <= allowed and len(got) == min(k, len(allowed))
        # every kept option is no slower than every dropped one
        worst = max(t for t, o in times if o in got)
        assert all(t >= worst for t, o in times if o not in got)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_lp_neighbourhood_plan_is_feasible_exact_and_no_worse(seed):
    """The neighbourhood's plan holds every row of the full model, is worth exactly the best
    allocation of its stations, is no worse than the start, and no better than the optimum
    found by enumeration."""
    import time

    from siting.model import decode
    from siting.model.neighbourhood import lp_neighbourhood

    mi = _timed_instance(seed)
    m = SitingModel.from_input(mi, reductions=False, cost_tiebreak=0.0)
    lay, rd = m.layout, m.reduced
    from siting.model.heuristics import greedy_plan

    start = decode.start_vector(lay, rd, greedy_plan(rd, capacitated=True))
    nb = lp_neighbourhood(mi, rd, lay, start, deadline=time.perf_counter() + 20, threads=1,
                          k_guide=2, k_sub=3)
    v = nb.start
    assert v is not None and decode.rows_hold(lay, v, tol=1e-6)
    got = float(lay.col_obj @ v)
    assert got >= float(lay.col_obj @ start) - 1e-9
    assert got == pytest.approx(_best_allocation(mi, v[:lay.n_x] > 0.5), abs=1e-6)
    assert got <= _brute_force(mi) + 1e-6
    assert nb.free >= int((start[:lay.n_x] > 0.5).sum())


def test_highs_hands_over_every_improving_plan():
    """on_plan sees each improving plan HiGHS finds, each a feasible plan, better than the
    one before, the last one the plan HiGHS returns."""
    from siting.model import decode, highs

    mi = _timed_instance(2)
    m = SitingModel.from_input(mi, reductions=False, cost_tiebreak=0.0)
    lay = m.layout
    seen: list[np.ndarray] = []
    raw = highs.solve_highs(lay, time_limit_s=20, mip_gap=0.0, threads=1, msg=False,
                            start=None, on_plan=seen.append)
    assert raw.status == "optimal" and seen
    values = [float(lay.col_obj @ v) for v in seen]
    assert all(decode.rows_hold(lay, v, tol=1e-6) for v in seen)
    assert values == sorted(values)
    assert values[-1] == pytest.approx(float(lay.col_obj @ raw.values), abs=1e-6)
    assert values[-1] == pytest.approx(_brute_force(mi), abs=1e-6)


def test_lp_neighbourhood_keeps_the_best_exact_plan_not_the_last(monkeypatch):
    """The sub-MIP's plans are valued on the full model; the best of them is kept even when
    the sub-MIP's last plan (worth more to the sub-MIP) is worth less there."""
    import itertools
    import time

    from siting.model import decode
    from siting.model import neighbourhood as nbh
    from siting.model.inputs import RawResult

    mi = _timed_instance(4)
    m = SitingModel.from_input(mi, reductions=False, cost_tiebreak=0.0)
    lay, rd = m.layout, m.reduced
    best_open, best = None, -1.0
    for bits in itertools.product([0, 1], repeat=mi.n_options):
        open_ = np.array(bits, bool)
        if mi.option_cost[open_].sum() <= mi.budget_total + 1e-9:
            v = _best_allocation(mi, open_)
            if v > best:
                best_open, best = open_, v
    assert best_open is not None and best > 0

    def fake_solve(sub, **kw):
        good = np.zeros(sub.A.shape[1])
        good[:lay.n_x] = best_open
        kw["on_plan"](good)
        last = np.zeros(sub.A.shape[1])  # no station: the sub-MIP's "last" plan
        return RawResult("time_limit", last, np.nan, np.nan, 0.0, 0.0)

    monkeypatch.setattr(nbh.highs, "solve_highs", fake_solve)
    nb = nbh.lp_neighbourhood(mi, rd, lay, None, deadline=time.perf_counter() + 20, threads=1,
                              k_guide=2, k_sub=3)
    assert nb.start is not None and decode.rows_hold(lay, nb.start, tol=1e-6)
    assert float(lay.col_obj @ nb.start) == pytest.approx(best, abs=1e-6)


def test_distinct_plans_come_last_found_first():
    from siting.model.neighbourhood import _distinct_latest_first

    a, b = np.array([1.0, 0.0, 1e-9]), np.array([0.0, 1.0, 0.0])
    out = _distinct_latest_first([a, b, a + 1e-8, b])
    assert [o.tolist() for o in out] == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_better_start_without_time_keeps_the_start():
    import time

    from siting.model import decode
    from siting.model.heuristics import greedy_plan
    from siting.model.neighbourhood import MIN_SECONDS, better_start

    mi = _timed_instance(1)
    m = SitingModel.from_input(mi)
    start = decode.start_vector(m.layout, m.reduced, greedy_plan(m.reduced, capacitated=True))
    out = better_start(mi, m.reduced, m.layout, start, deadline=time.perf_counter() + MIN_SECONDS,
                       threads=1)
    assert out is start


def _fill_by_loop(need, unit, per, left, vehicles):
    """The greedy's fill written as the plain loop over rows (the statement)."""
    left = list(left)
    take = np.zeros(len(need))
    for i, (e, u, pe) in enumerate(zip(need, unit, per, strict=True)):
        t = min(e, left[u], vehicles / pe if pe > 0 else np.inf)
        t = max(t, 0.0)
        take[i] = t
        left[u] -= t
        vehicles -= t * pe
    return take


@pytest.mark.parametrize("seed", range(200))
def test_vectorised_fill_equals_the_loop(seed):
    from siting.model.heuristics import fill_in_order

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    need = rng.uniform(0, 100, n) * (rng.random(n) < 0.9)
    unit = (rng.random(n) < 0.4).astype(np.int64)
    per = np.where(rng.random(n) < 0.8, rng.uniform(0.005, 0.05, n), 0.0)
    left = np.array([rng.choice([rng.uniform(0, 800), np.inf]),
                     rng.choice([rng.uniform(0, 300), np.inf])])
    vehicles = float(rng.choice([rng.uniform(0, 20), np.inf]))
    got = fill_in_order(need, unit, per, left, vehicles)
    assert np.allclose(got, _fill_by_loop(need, unit, per, left, vehicles), atol=1e-9)


def test_start_without_its_lp_falls_back_to_the_stations_alone(monkeypatch):
    """When the start's allocation LP does not solve in its time, a start that breaks a row
    is never handed on: the stations alone (nothing served) hold every row."""
    from dataclasses import replace as dc_replace

    from siting.model import decode
    from siting.model.heuristics import greedy_plan

    mi = _instance(2, vehicles_cap=True, supply=True, flow_energy=False)
    m = SitingModel.from_input(mi, reductions=False, cost_tiebreak=0.0)
    plan = greedy_plan(m.reduced, capacitated=True)
    broken = dc_replace(plan, z=plan.z * 5.0, served=np.ones_like(plan.served))
    monkeypatch.setattr(decode, "allocation_for_plan", lambda *a, **k: None)
    v = decode.start_vector(m.layout, m.reduced, broken, time_limit_s=0.0)
    lay = m.layout
    assert decode.rows_hold(lay, v, tol=1e-9)
    assert not v[lay.n_x:].any()
    assert (v[:lay.n_x] > 0.5).sum() == sum(
        lay.P - y for y in plan.open_year.tolist() if y >= 0)
