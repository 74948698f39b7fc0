"""The commission's questions on small instances: hand calculations and brute force.

Robust plans (sampling, a fixed plan's coverage, regret and frequencies, local processes and
Dask), the price of mandates, levelised cost, diesel and CO2, and coverage by zone. Every
expected value is computed here, by hand or by enumeration, without the code under test.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from scipy.optimize import linprog

from siting._parallel import run_dask, run_local
from siting.economics import capital_recovery_factor, plan_economics, station_costs
from siting.figures import DemandArrays
from siting.mandates import Mandate, _priced, solve_without
from siting.model import ModelInput, SitingModel, ZoneMinimum
from siting.report import Report
from siting.robust import (
    draw_parameters,
    fixed_plan_input,
    row_factors,
    sample_input,
    solve_sample,
)
from siting.scenario import UncertaintySpec, load_scenario
from siting.zone_coverage import demand_in_zones, zone_coverage

DATA = Path(__file__).resolve().parents[1] / "data" / "suizhou"


@pytest.fixture(scope="module")
def bundled():
    return load_scenario(DATA / "scenario.toml")


# =========================================================================== small instances
def instance(weight, cover, site, cost, *, year=None, energy=None, cap=None, budget=math.inf,
             zone_min=()) -> ModelInput:
    n = len(site)
    rows = [i for i, c in enumerate(cover) for _ in c]
    cols = [o for c in cover for o in c]
    return ModelInput(
        weight=np.array(weight, float), energy=np.array(energy or [1.0] * len(weight), float),
        year=np.array(year or [0] * len(weight)),
        cover=sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(cover), n)),
        option_site=np.array(site), option_cost=np.array(cost, float),
        option_capacity=np.array(cap or [math.inf] * n, float),
        option_existing=np.zeros(n, bool), budget_total=budget,
        zone_min=[ZoneMinimum(np.array(o), m, by) for o, m, by in zone_min])


def brute_best(mi: ModelInput, *, capacitated: bool) -> tuple[float, np.ndarray]:
    """Best covered weight over every plan (one year) and one best plan's open options."""
    site = np.asarray(mi.option_site)
    cost = np.asarray(mi.option_cost)
    cover = mi.cover.tolil().rows
    best, best_plan = -1.0, np.zeros(0, int)
    sites = sorted(set(site.tolist()))
    choices = [[None] + [o for o in range(len(site)) if site[o] == s] for s in sites]
    for combo in itertools.product(*choices):
        opened = [o for o in combo if o is not None]
        if cost[opened].sum() > mi.budget_total + 1e-9:
            continue
        if any(sum(1 for o in z.options if o in opened) < z.minimum for z in mi.zone_min):
            continue
        v = covered(mi, set(opened), cover, capacitated)
        if v > best + 1e-9:
            best, best_plan = v, np.array(sorted(opened))
    return best, best_plan


def covered(mi: ModelInput, opened: set[int], cover, capacitated: bool) -> float:
    w = np.asarray(mi.weight)
    if not capacitated:
        return float(sum(w[i] for i, c in enumerate(cover) if opened & set(c)))
    e, q = np.asarray(mi.energy), np.asarray(mi.option_capacity)
    pairs = [(i, o) for i, c in enumerate(cover) for o in c if o in opened]
    n = len(w)
    if not pairs:
        return 0.0
    obj = np.r_[-w, np.zeros(len(pairs))]
    a_eq = np.zeros((n, n + len(pairs)))
    for k, (i, _o) in enumerate(pairs):
        a_eq[i, n + k] = 1.0
    a_eq[np.arange(n), np.arange(n)] = -e
    a_ub = np.zeros((len(opened), n + len(pairs)))
    for r, o in enumerate(sorted(opened)):
        for k, (_i, oo) in enumerate(pairs):
            if oo == o:
                a_ub[r, n + k] = 1.0
    b_ub = np.array([q[o] for o in sorted(opened)])
    res = linprog(obj, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.zeros(n),
                  bounds=[(0, 1)] * n + [(0, None)] * len(pairs), method="highs")
    return -float(res.fun)


# =========================================================================== robust: sampling
def test_samples_are_seeded_and_within_their_ranges(bundled) -> None:
    unc = {"vehicles": (0.8, 1.2), "nev_share": (0.5, 1.5), "segments": {
        "muck_truck": {"vehicles": (0.5, 0.6)}}}
    sc = bundled.model_copy(update={"uncertainty": UncertaintySpec(**unc)})
    a = draw_parameters(sc, 20, seed=3)
    b = draw_parameters(sc, 20, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(draw_parameters(sc, 20, seed=4))
    assert a["sanitation.vehicles"].between(0.8, 1.2).all()
    assert a["muck_truck.vehicles"].between(0.5, 0.6).all()
    assert (a["muck_truck.nev_share"] == 1.0).all()  # its own ranges replace the defaults
    assert (a["sanitation.swap_share"] == 1.0).all()  # no range: the scenario's value


def test_row_factor_by_hand(bundled) -> None:
    """Sanitation 2025 with the bundled ramp and split (read from the scenario).

    Draws a=1.2 (fleet), b=1.5 (ramp), c=2 (H2 share doubled), d=0.5 (swap within
    electric halved). New shares: H2 = 2h, swap = (1 − 2h) × 0.5 s/(s+c), charging the rest
    of electric; the factor of a pathway is a × b × new share / old share. And b=3 with a
    ramp that would pass 1: the share is capped at 1.
    """
    seg = next(s for s in bundled.segments if s.id == "sanitation")
    nev = seg.nev_share[2025]
    sw, ch, h2 = (seg.pathway_split.get(p, 0.0) for p in ("swap", "charging", "hydrogen"))
    assert 0 < 2 * h2 < 1 and sw > 0 and ch > 0 and 1.5 * nev < 1 < 3 * nev
    demand = pd.DataFrame({"segment": ["sanitation"] * 3, "pathway": ["swap", "charging",
                                                                     "hydrogen"],
                           "year": [2025] * 3})
    params = pd.DataFrame({f"{s.id}.{p}": [1.0, 1.0] for s in bundled.segments
                           for p in ("vehicles", "nev_share", "hydrogen_share", "swap_share")})
    params.loc[:, "sanitation.vehicles"] = [1.2, 1.0]
    params.loc[:, "sanitation.nev_share"] = [1.5, 3.0]
    params.loc[:, "sanitation.hydrogen_share"] = [2.0, 1.0]
    params.loc[:, "sanitation.swap_share"] = [0.5, 1.0]
    f = row_factors(bundled, demand, params)
    electric = 1.0 - 2 * h2
    new_swap = electric * 0.5 * sw / (sw + ch)
    new_charging = electric - new_swap
    assert f[0] == pytest.approx([1.8 * new_swap / sw, 1.8 * new_charging / ch, 1.8 * 2.0])
    assert f[1] == pytest.approx([1 / nev] * 3)


def test_sample_input_scales_rows() -> None:
    mi = instance([2.0, 3.0], [[0], [0]], [0], [1.0])
    mi = replace(mi, vehicles=np.array([2.0, 3.0]))
    s = sample_input(mi, np.array([0.5, 2.0]))
    assert s.weight.tolist() == [1.0, 6.0] and s.energy.tolist() == [0.5, 2.0]
    assert s.vehicles.tolist() == [1.0, 6.0]


@pytest.mark.parametrize("capacitated", [False, True])
def test_fixed_plan_coverage_matches_direct_count(capacitated: bool) -> None:
    """A phased plan: option 0 opens in year 0, option 2 in year 1; rows use only stations open
    by their year. Expected coverage computed by hand (uncapacitated) / LP (capacitated)."""
    mi = instance([1, 2, 4, 8], [[0, 1], [2], [2], [1]], [0, 1, 2], [1, 1, 1],
                  year=[0, 0, 1, 1], energy=[1, 1, 3, 1], cap=[5, 5, 2])
    mi = replace(mi, budget_by_year=np.array([1.0, 1.0]))
    fixed = fixed_plan_input(mi, np.array([0, -1, 1]))
    sol = SitingModel.from_input(fixed, capacitated=capacitated).solve(time_limit_s=20,
                                                                        threads=1)
    # row 0 (year 0): option 0 -> 1; row 1 (year 0): option 2 opens in year 1 -> 0;
    # row 2 (year 1): option 2, 3 kWh for capacity 2 -> 2/3 capacitated; row 3: option 1 closed
    expected = 1 + (4 * 2 / 3 if capacitated else 4)
    assert sol.objective == pytest.approx(expected)


# =========================================================================== robust: samples
def _payload(mi: ModelInput, factors: np.ndarray, base_open: np.ndarray) -> dict:
    return {"model_input": mi, "factors": factors, "base_open_year": base_open,
            "solver": {"name": "highs", "time_limit_s": 20.0, "mip_gap": 0.0,
                       "capacitated": True, "max_alloc_options": 0}}


def _robust_case():
    # three sites, budget for one station; which one is best depends on the sampled demand
    mi = instance([3.0, 2.0, 2.0], [[0], [1], [1, 2]], [0, 1, 2], [1.0, 1.0, 1.0],
                  energy=[1, 1, 1], cap=[10, 10, 10], budget=1.0)
    factors = np.array([[1.0, 1.0, 1.0], [0.5, 1.0, 1.0], [1.0, 2.0, 0.5], [2.0, 0.1, 0.1]])
    base_open = np.array([0, -1, -1])
    return mi, factors, base_open


def test_sample_own_plan_and_regret_match_brute_force() -> None:
    mi, factors, base_open = _robust_case()
    out = run_local(solve_sample, list(range(len(factors))), _payload(mi, factors, base_open),
                    workers=1)
    for k, r in enumerate(out):
        s = sample_input(mi, factors[k])
        best, _ = brute_best(s, capacitated=True)
        w = s.weight
        base_cov = w[0]  # the base plan (option 0) covers row 0 only
        assert r["own_objective"] == pytest.approx(best)
        assert r["own_share"] == pytest.approx(best / w.sum())
        assert r["base_share"] == pytest.approx(base_cov / w.sum())
        assert r["status"] == "optimal"
    # sample 1: row 0 shrinks to 1.5 < rows 1+2 = 4 (option 1): regret 2.5/5.5
    assert out[1]["own_share"] - out[1]["base_share"] == pytest.approx((4.0 - 1.5) / 5.5)
    assert out[1]["chosen"].tolist() == [1]


@pytest.mark.slow
def test_processes_and_dask_give_the_in_process_results() -> None:
    distributed = pytest.importorskip("dask.distributed")
    mi, factors, base_open = _robust_case()
    items = list(range(len(factors)))
    payload = _payload(mi, factors, base_open)
    here = run_local(solve_sample, items, payload, workers=1)
    procs = run_local(solve_sample, items, payload, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = run_dask(solve_sample, items, payload, address=client)
    for a, b, c in zip(here, procs, remote, strict=True):
        assert a["chosen"].tolist() == b["chosen"].tolist() == c["chosen"].tolist()
        assert a["own_share"] == pytest.approx(b["own_share"]) == pytest.approx(c["own_share"])
        assert a["base_share"] == pytest.approx(c["base_share"])


# =========================================================================== mandates
def test_price_of_a_zone_requirement_matches_brute_force() -> None:
    """The requirement forces the dear option 2 (zone) within a budget of 3: without it the
    budget buys options 0 and 1."""
    mi = instance([4.0, 3.0, 1.0], [[0], [1], [2]], [0, 1, 2], [1.0, 2.0, 3.0], budget=3.0,
                  zone_min=[([2], 1, 0)])
    mi = replace(mi, zone_labels=["zone 'z' needs 1 station(s) by 2025"])
    with_req, _ = brute_best(mi, capacitated=False)
    without, _ = brute_best(replace(mi, zone_min=[], zone_labels=[]), capacitated=False)
    assert (with_req, without) == (1.0, 7.0)
    m = Mandate("zone_requirement:1", "zone_requirement", mi.zone_labels[0],
                {"zone_min": [], "zone_labels": []})
    payload = {"model_input": mi, "scenario": None, "solver": {
        "name": "highs", "time_limit_s": 20.0, "mip_gap": 0.0, "capacitated": False,
        "max_alloc_options": 0}}
    [raw] = run_local(solve_without, [m], payload, workers=1)
    assert raw["objective"] == pytest.approx(without)
    assert raw["share"] == pytest.approx(7.0 / 8.0) and raw["spent"] == 3.0
    base = _report(coverage=1.0 / 8.0, spent=3.0, objective=1.0)
    priced = _priced(m, raw, base, least_cost=False)
    assert priced.coverage_gained == pytest.approx(6.0 / 8.0)
    assert priced.money_saved == 0.0 and priced.binding


def test_a_worse_re_solve_is_not_reported_as_a_negative_price() -> None:
    m = Mandate("grid", "grid", "the grid")
    base = _report(coverage=0.8, spent=10.0, objective=100.0)
    raw = {"key": "grid", "status": "time_limit", "objective": 99.0, "share": 0.79,
           "spent": 9.0, "gap": 0.05}
    p = _priced(m, raw, base, least_cost=False)
    assert p.coverage_gained == 0.0 and p.money_saved == 0.0 and not p.binding
    assert "time limit" in p.note


def _report(*, coverage: float, spent: float, objective: float) -> Report:
    return Report.model_validate({
        "scenario": {"name": "t", "years": [2025]}, "budget": 1.0, "spent": spent,
        "objective": objective, "coverage_share": coverage,
        "headline": {"year": 2025, "unit": "NEV vehicles", "covered": 0, "total": 0,
                     "share": coverage, "vehicles_covered": 0, "vehicles_total": 0},
        "by_year": {}, "by_type": {}, "solver": {"name": "highs", "status": "optimal"},
        "inputs": {"demand_points": 0, "fleet_points": 0, "candidates": 0,
                   "existing_stations": 0, "options": 0, "excluded_options": 0,
                   "network_nodes": 0, "network_edges": 0, "corridors": 0},
        "network": {"source": "x"}})


# =========================================================================== economics
def test_capital_recovery_factor_by_hand() -> None:
    # 0.08 × 1.08^10 / (1.08^10 − 1) = 0.149029...
    assert capital_recovery_factor(0.08, 10) == pytest.approx(0.1490295, rel=1e-6)
    assert capital_recovery_factor(0.0, 8) == 0.125


def test_levelised_cost_by_hand(bundled) -> None:
    """A DC hub (capex 2 M CNY, 10 years, 3 %/year O&M) delivering 4,800 kWh/day, 330 days,
    electricity 0.70 CNY/kWh: (2e6 × (0.1490295 + 0.03) + 1,584,000 × 0.7) / 1,584,000."""
    per_year = pd.DataFrame({"site_id": ["S1", "S2"], "station_type": ["charging_hub",
                                                                       "hydrogen"],
                             "year": [2025, 2025], "energy_kwh_per_day": [4800.0, 0.0],
                             "h2_kg_per_day": [0.0, 250.0]})
    options = pd.DataFrame({"site_id": ["S1", "S2"], "station_type": ["charging_hub",
                                                                      "hydrogen"],
                            "capex": [2.0e6, 1.0e7], "existing": [False, False]})
    out = station_costs(per_year, options, bundled)
    kwh = 4800 * 330
    expected = (2e6 * (0.1490295 + 0.03) + kwh * 0.7) / kwh
    assert out["levelised_cost"].iloc[0] == pytest.approx(expected, rel=1e-6)
    assert out["levelised_cost_unit"].iloc[0] == "CNY/kWh"
    # hydrogen, 15 years, 5 %: (1e7 × (CRF(0.08, 15) + 0.05) + kg × 35) / kg
    kg = 250 * 330
    crf15 = 0.08 * 1.08 ** 15 / (1.08 ** 15 - 1)
    assert out["levelised_cost"].iloc[1] == pytest.approx((1e7 * (crf15 + 0.05) + kg * 35) / kg)
    assert out["levelised_cost_unit"].iloc[1] == "CNY/kg"


def test_diesel_and_co2_by_hand(bundled) -> None:
    """One sanitation swap row: 130 kWh/day = 100 km at 1.3 kWh/km, half of it served.

    50 km/day × 330 days = 16,500 km/year; diesel per the scenario's L/100 km (or 1.3 × 0.30
    L/km); CO2 = diesel × 2.66 − kWh × 0.5395 (no hydrogen).
    """
    demand = pd.DataFrame({"segment": ["sanitation"], "pathway": ["swap"], "year": [2025],
                           "weight": [1.0], "vehicles": [1.0], "energy": [130.0]})
    dem = DemandArrays.from_demand(demand, [2025])
    costs = pd.DataFrame({"year": [2025], "station_type": ["swap_heavy"],
                          "h2_kg_per_year": [0.0], "kwh_per_year": [65.0 * 330],
                          "cost_cny_per_year": [1.0], "levelised_cost_unit": ["CNY/kWh"]})
    sc = bundled.model_copy(update={"years": [2025]})
    ec = sc.economics
    lpk = ec.diesel_l_per_100km.get("sanitation", 1.3 * ec.diesel_l_per_kwh * 100) / 100
    out = plan_economics(sc, demand, dem, np.array([0.5]), costs)
    y = out.by_year["2025"]
    assert y.vehicle_km_per_year == pytest.approx(16_500)
    assert y.diesel_l_per_year == pytest.approx(16_500 * lpk)
    assert y.electricity_kwh_per_year == pytest.approx(65 * 330)
    assert y.co2_avoided_t_per_year == pytest.approx(
        (16_500 * lpk * ec.diesel_co2_kg_per_l - 65 * 330 * ec.grid_co2_kg_per_kwh) / 1000)
    assert ec.grid_co2_kg_per_kwh == 0.5395  # the Central China grid's 2022 factor


# =========================================================================== zones
def test_zone_coverage_shares_by_hand(bundled) -> None:
    zones = gpd.GeoDataFrame({"zone_id": ["a", "b"]},
                             geometry=[shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)],
                             crs=4326)
    demand = gpd.GeoDataFrame({"year": [2025] * 4, "weight": [1.0, 2.0, 3.0, 4.0],
                               "vehicles": [1.0, 2.0, 3.0, 4.0], "energy": [1.0] * 4,
                               "pathway": ["charging"] * 4},
                              geometry=shapely.points([(0.5, 0.5), (1.5, 1.5), (2.5, 2.5),
                                                       (5, 5)]), crs=4326)
    inside = demand_in_zones(demand, zones)
    assert inside["a"].tolist() == [True, True, False, False]
    assert inside["b"].tolist() == [False, True, True, False]
    sc = bundled.model_copy(update={"years": [2025], "zone_coverage": []})
    dem = DemandArrays.from_demand(demand, [2025])
    zc = zone_coverage(sc, dem, np.array([1.0, 0.5, 0.0, 1.0]), inside, {"a": "A"})
    assert zc["a"].coverage_share == pytest.approx((1 + 1) / 3)
    assert zc["b"].coverage_share == pytest.approx(1 / 5)
    assert zc["a"].name == "A" and zc["a"].min_share is None
