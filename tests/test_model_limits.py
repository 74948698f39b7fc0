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
