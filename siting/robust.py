r"""Robust plans under uncertain fleets: sample the guesses, solve each sample, compare.

A scenario's ``[uncertainty]`` gives ranges of multipliers (1 = the scenario's value) per fleet
segment: fleet size (``vehicles``), adoption ramp (``nev_share``, every year), hydrogen uptake
(``hydrogen_share`` of the pathway split, the electric pathways sharing the rest in their own
proportions) and swap vs charging (``swap_share`` within the electric part). Each sample draws
every multiplier uniformly in its range (independently per segment, in a fixed order from
``seed``), which scales each demand row's vehicles, energy and weight by

.. math::

    f = a \cdot \frac{\min(1, b\,s_y)}{s_y} \cdot \frac{\sigma'_p}{\sigma_p}

(*a* fleet size, *b* ramp on the year's NEV share :math:`s_y`, :math:`\sigma_p` the pathway's
share before and after). Coverage sets do not change: a sample moves demand, not roads. A
pathway with no share in the scenario gets none in a sample.

For every sample the MIP is solved (its *own* plan), starting from the scenario's plan (the
*base* plan: a sample changes demand only, so the base plan is feasible for it and the own plan
is never worse), and the base plan (its stations and opening years fixed) is evaluated on the
sample's demand by an allocation solve. A sample solve stopped at its time limit leans toward
the base plan: its frequencies overstate the base plan's stations (``samples_not_proven``
says how many samples were not proven optimal). Reported: per candidate (site, station type)
the share of samples whose own plan builds it — *no-regret* at ``no_regret_share`` (default
90 %) or more — and the base plan's *regret* per sample: the final-year coverage share of the
sample's own plan minus the base plan's on that sample (share points; 0 when the base plan is
as good). Samples run in local worker
processes, or on a Dask cluster (:func:`siting._parallel.run_dask`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting._csv import write_csv
from siting._errors import InfeasibleError, ScenarioError, SolverError
from siting._parallel import default_workers, run_dask, run_local, shared
from siting._xlsx import write_xlsx
from siting.model import ArcCoverFlow, ModelInput, SitingModel, Solution
from siting.pipeline import Prepared
from siting.report import RobustnessFigures, RobustStation
from siting.results import SitingResult
from siting.scenario import Scenario, SegmentRanges

log = logging.getLogger(__name__)

#: The multipliers drawn per segment, in draw order.
PARAMETERS: tuple[str, ...] = ("vehicles", "nev_share", "hydrogen_share", "swap_share")
#: Extra layer key of the robustness layer (map and GeoPackage).
LAYER_KEY = "robustness"


# =========================================================================== sampling
def _ranges(sc: Scenario, seg: str) -> SegmentRanges:
    unc = sc.uncertainty
    assert unc is not None
    return unc.segments.get(seg, unc)


def draw_parameters(sc: Scenario, n: int, seed: int) -> pd.DataFrame:
    """(n samples) × (segment.parameter) multipliers, drawn uniformly in their ranges.

    Every parameter of every segment is drawn in the same order whatever the ranges (a fixed
    range or none draws too), so adding a range to one segment leaves the others' draws
    unchanged.
    """
    rng = np.random.default_rng(seed)
    u = rng.random((n, len(sc.segments), len(PARAMETERS)))
    cols: dict[str, np.ndarray] = {}
    for j, seg in enumerate(sc.segments):
        r = _ranges(sc, seg.id)
        for k, name in enumerate(PARAMETERS):
            lohi = getattr(r, name)
            lo, hi = (1.0, 1.0) if lohi is None else lohi
            cols[f"{seg.id}.{name}"] = lo + (hi - lo) * u[:, j, k]
    return pd.DataFrame(cols, index=pd.RangeIndex(n, name="sample"))


def row_factors(sc: Scenario, demand: pd.DataFrame, params: pd.DataFrame) -> np.ndarray:
    """(n_samples, n_demand) factor on each demand row's vehicles, energy and weight."""
    seg = demand["segment"].astype(str).to_numpy()
    pw = demand["pathway"].astype(str).to_numpy()
    year = demand["year"].to_numpy(dtype=int)
    out = np.ones((len(params), len(demand)))
    for s in sc.segments:
        rows = np.flatnonzero(seg == s.id)
        if not len(rows):
            continue
        a = params[f"{s.id}.vehicles"].to_numpy()[:, None]
        b = params[f"{s.id}.nev_share"].to_numpy()[:, None]
        c = params[f"{s.id}.hydrogen_share"].to_numpy()
        d = params[f"{s.id}.swap_share"].to_numpy()
        nev = np.array([s.nev_share[int(y)] for y in year[rows]])[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            ramp = np.where(nev > 0, np.minimum(1.0, b * nev) / nev, 0.0)
        split = {p: float(s.pathway_split.get(p, 0.0)) for p in ("swap", "charging",
                                                                  "hydrogen")}
        h = split["hydrogen"]
        e = split["swap"] + split["charging"]
        h2 = np.minimum(1.0, c * h)
        f = split["swap"] / e if e > 0 else 0.0
        f2 = np.minimum(1.0, d * f)
        new = {"hydrogen": h2, "swap": (1.0 - h2) * f2, "charging": (1.0 - h2) * (1.0 - f2)}
        ratio = np.ones((len(params), len(rows)))
        for p, base in split.items():
            cols = pw[rows] == p
            if base > 0 and cols.any():
                ratio[:, cols] = (new[p] / base)[:, None]
        out[:, rows] = a * ramp * ratio
    return out


def sample_input(mi: ModelInput, factor: np.ndarray) -> ModelInput:
    """``mi`` with every demand row's weight, energy and vehicles scaled by ``factor``."""
    veh = None if mi.vehicles is None else np.asarray(mi.vehicles, dtype=float) * factor
    return replace(mi, weight=np.asarray(mi.weight, dtype=float) * factor,
                   energy=np.asarray(mi.energy, dtype=float) * factor, vehicles=veh)


def fixed_plan_input(mi: ModelInput, open_year: np.ndarray) -> ModelInput:
    """``mi`` reduced to a fixed plan: only its stations, open from their opening year.

    The stations become fixed (existing, free) options and a demand row may use one only from
    the year it opens; budgets, zone requirements, grid limits and floors no longer apply
    (the plan met them). Solving this gives the plan's best allocation of ``mi``'s demand.
    """
    open_year = np.asarray(open_year, dtype=np.int64)
    idx = np.flatnonzero(open_year >= 0)
    new_of = np.full(mi.n_options, -1, dtype=np.int64)
    new_of[idx] = np.arange(len(idx))
    c = sp.coo_matrix(mi.cover)
    year = np.asarray(mi.year, dtype=np.int64)
    ok = (new_of[c.col] >= 0) & (open_year[c.col] <= year[c.row])
    cover = sp.csr_matrix((c.data[ok], (c.row[ok], new_of[c.col[ok]])),
                          shape=(mi.n_demand, len(idx)))

    def sub(a: Any) -> Any:
        return None if a is None else np.asarray(a)[idx]

    def remap(a: np.ndarray) -> np.ndarray:
        m = new_of[np.asarray(a, dtype=np.int64)]
        return m[m >= 0]

    flows = [ArcCoverFlow(f.weight, [remap(a) for a in f.arc_sets], energy=f.energy,
                          unit=f.unit, vehicles=f.vehicles,
                          draw_options=None if f.draw_options is None
                          else remap(f.draw_options)) for f in mi.flows]
    supply = None if mi.supply_pairs is None else sp.csr_matrix(mi.supply_pairs)[idx]
    return replace(mi, cover=cover, option_site=np.asarray(mi.option_site)[idx],
                   option_cost=np.zeros(len(idx)),
                   option_capacity=np.asarray(mi.option_capacity, dtype=float)[idx],
                   option_existing=np.ones(len(idx), dtype=bool), budget_total=math.inf,
                   budget_by_year=None, zone_min=[], zone_labels=[], grid_groups=[],
                   grid_labels=[], flows=flows, option_tiebreak=sub(mi.option_tiebreak),
                   option_capacity_h2=sub(mi.option_capacity_h2),
                   option_vehicles_cap=sub(mi.option_vehicles_cap), supply_pairs=supply,
                   supply_capacity=None if supply is None else mi.supply_capacity,
                   coverage_floors=[], minimise_cost=False)


# =========================================================================== one sample
def solve_sample(k: int) -> dict[str, Any]:
    """Worker: sample ``k``'s own plan and the base plan's coverage on it."""
    sh = shared()
    mi = sample_input(sh["model_input"], sh["factors"][k])
    opts = sh["solver"]

    def solve(m: ModelInput, start: np.ndarray | None = None) -> Solution:
        return SitingModel.from_input(m, capacitated=opts["capacitated"],
                                      max_alloc_options=opts["max_alloc_options"]).solve(
            opts["name"], time_limit_s=opts["time_limit_s"], mip_gap=opts["mip_gap"],
            threads=1, start_plan=start)

    out: dict[str, Any] = {"sample": k}
    try:
        # from the base plan: a sample changes demand only, so the plan is feasible for it
        # and the sample's own plan is never worse than it
        own = solve(mi, sh["base_open_year"])
    except (InfeasibleError, SolverError) as e:
        return {**out, "status": "infeasible" if isinstance(e, InfeasibleError) else "failed",
                "note": str(e)}
    base = solve(fixed_plan_input(mi, sh["base_open_year"]))
    out.update(status=own.status, gap=float(own.gap) if math.isfinite(own.gap) else None,
               own_share=mi.final_year_share(own.served),
               own_objective=float(own.objective), spent=float(own.spent),
               base_share=mi.final_year_share(base.served),
               base_objective=float(base.objective),
               chosen=np.flatnonzero(np.asarray(own.open_year) >= 0).astype(np.int32))
    return out


# =========================================================================== the study
@dataclass(frozen=True)
class RobustOutcome:
    """What :func:`robustness` found."""

    params: pd.DataFrame          # sampled multipliers (one row per sample)
    samples: pd.DataFrame         # per sample: status, shares, regret, spent
    stations: pd.DataFrame        # per option chosen anywhere: share of samples, flags
    figures: RobustnessFigures


def robustness(prep: Prepared, base: SitingResult, *, n: int | None = None,
               seed: int | None = None, workers: int | None = None,
               dask: str | Any | None = None, time_limit_s: float | None = None,
               progress: Callable[[int, int], None] | None = None) -> RobustOutcome:
    """Solve ``n`` sampled fleets and compare each one's own plan with the base plan.

    Parameters
    ----------
    prep
        The prepared scenario (its ``[uncertainty]`` gives the ranges).
    base
        The scenario's plan (:func:`siting.pipeline.solve_prepared`).
    n, seed
        Samples and seed (default: ``[uncertainty] samples`` and ``seed``).
    workers
        Local worker processes (default: the CPU cores, at most 8); ignored with ``dask``.
    dask
        A Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``.
    time_limit_s
        Solver time limit per sample (default ``[uncertainty] time_limit_s``, else the
        scenario's ``solver.time_limit_s``).

    Raises
    ------
    ScenarioError
        No ``[uncertainty]`` section, or a least-cost scenario.
    """
    sc = prep.scenario
    check_robust(sc)
    unc = sc.uncertainty
    assert unc is not None
    n = n or unc.samples
    seed = unc.seed if seed is None else seed
    params = draw_parameters(sc, n, seed)
    factors = row_factors(sc, prep.demand, params)
    mi = prep.model_input
    open_year = _base_open_year(prep, base)
    payload = {"model_input": mi, "factors": factors, "base_open_year": open_year,
               "solver": {"name": sc.solver.name,
                          "time_limit_s": time_limit_s or unc.time_limit_s
                          or sc.solver.time_limit_s,
                          "mip_gap": sc.solver.mip_gap, "capacitated": sc.solver.capacitated,
                          "max_alloc_options": sc.solver.max_alloc_options}}
    t0 = time.perf_counter()
    if dask is not None:
        raw = run_dask(solve_sample, list(range(n)), payload, address=dask, progress=progress)
        backend = f"dask {dask if isinstance(dask, str) else 'client'}"
    else:
        w = workers or default_workers()
        raw = run_local(solve_sample, list(range(n)), payload, workers=w, progress=progress)
        backend = f"processes ({min(w, n)})"
    seconds = time.perf_counter() - t0
    return _outcome(prep, base, params, raw, open_year, backend, seconds, seed,
                    unc.no_regret_share)


def check_robust(sc: Scenario) -> None:
    """Raise :class:`ScenarioError` unless ``sc`` can be studied: an ``[uncertainty]``
    section, coverage mode."""
    if sc.uncertainty is None:
        msg = (f"{sc.source_file}: no [uncertainty] section; add one with ranges of the fleet "
               "guesses, e.g. [uncertainty] vehicles = [0.8, 1.2] and nev_share = [0.75, 1.25]")
        raise ScenarioError(msg)
    if sc.objective.target_share is not None:
        msg = (f"{sc.source_file}: siting robust compares coverage plans within the budget; "
               "remove [objective] target_share (or run it on a copy without it)")
        raise ScenarioError(msg)


def _base_open_year(prep: Prepared, base: SitingResult) -> np.ndarray:
    """Opening year index of every option in the base plan (-1 = not built)."""
    st = base.stations
    years = {y: k for k, y in enumerate(prep.scenario.years)}
    built = {(str(s), str(t)): years[int(y)] for s, t, y in
             zip(st["site_id"], st["station_type"], st["year"], strict=True)}
    keys = zip(prep.options["site_id"].astype(str), prep.options["station_type"].astype(str),
               strict=True)
    return np.array([built.get(k, -1) for k in keys], dtype=np.int64)


def _outcome(prep: Prepared, base: SitingResult, params: pd.DataFrame, raw: list[dict],
             open_year: np.ndarray, backend: str, seconds: float, seed: int,
             no_regret: float) -> RobustOutcome:
    n = len(raw)
    ok = [r for r in raw if "own_share" in r]
    counts = np.zeros(len(prep.options))
    for r in ok:
        counts[r["chosen"]] += 1
    rows = []
    for r in raw:
        regret = (max(0.0, r["own_share"] - r["base_share"]) if "own_share" in r else np.nan)
        rows.append({"sample": r["sample"], "status": r["status"],
                     "own_share": r.get("own_share", np.nan),
                     "base_share": r.get("base_share", np.nan), "regret": regret,
                     "own_objective": r.get("own_objective", np.nan),
                     "base_objective": r.get("base_objective", np.nan),
                     "spent": r.get("spent", np.nan), "gap": r.get("gap"),
                     "note": r.get("note", "")})
    samples = pd.DataFrame(rows)
    opts = prep.options
    share = counts / max(len(ok), 1)
    keep = np.flatnonzero((counts > 0) | (open_year >= 0))
    names = prep.sites.set_index(prep.sites["site_id"].astype(str))
    zone = opts["zone"].astype(str).to_numpy() if "zone" in opts.columns else np.full(
        len(opts), "")
    st_rows = []
    for o in keep.tolist():
        sid = str(opts["site_id"].iat[o])
        name = str(names["name"].get(sid, "")) if "name" in names.columns else ""
        st_rows.append({"site_id": sid, "name": name,
                        "station_type": str(opts["station_type"].iat[o]), "zone": zone[o],
                        "existing": bool(opts["existing"].iat[o]),
                        "in_base_plan": bool(open_year[o] >= 0),
                        "base_open_year": (prep.scenario.years[int(open_year[o])]
                                           if open_year[o] >= 0 else None),
                        "samples_chosen": int(counts[o]), "chosen_share": float(share[o]),
                        "no_regret": bool(share[o] >= no_regret - 1e-12 and len(ok) > 0)})
    columns = ["site_id", "name", "station_type", "zone", "existing", "in_base_plan",
               "base_open_year", "samples_chosen", "chosen_share", "no_regret"]
    # no station in any plan (e.g. a budget below every station's cost): an empty table
    stations = pd.DataFrame(st_rows, columns=columns).sort_values(
        ["chosen_share", "in_base_plan", "site_id"], ascending=[False, False, True],
        kind="stable").reset_index(drop=True)
    reg = samples["regret"].dropna().to_numpy()
    own = samples["own_share"].dropna().to_numpy()
    bas = samples["base_share"].dropna().to_numpy()
    chosen = stations["chosen_share"].to_numpy(dtype=float)
    figures = RobustnessFigures(
        samples=n, seed=seed, no_regret_share=no_regret, backend=backend, seconds=seconds,
        own_share_mean=float(own.mean()) if len(own) else 0.0,
        base_share_mean=float(bas.mean()) if len(bas) else 0.0,
        regret_mean=float(reg.mean()) if len(reg) else 0.0,
        regret_p90=float(np.quantile(reg, 0.9)) if len(reg) else 0.0,
        regret_max=float(reg.max()) if len(reg) else 0.0,
        samples_not_proven=int((samples["status"] != "optimal").sum()),
        stations=[RobustStation(site_id=str(r.site_id), station_type=str(r.station_type),
                                name=str(r.name), zone=str(r.zone),
                                chosen_share=float(chosen[i]),
                                in_base_plan=bool(r.in_base_plan), existing=bool(r.existing),
                                no_regret=bool(r.no_regret))
                  for i, r in enumerate(stations.itertuples(index=False))])
    return RobustOutcome(params, samples, stations, figures)


# =========================================================================== outputs
def robustness_layer(prep: Prepared, outcome: RobustOutcome) -> gpd.GeoDataFrame:
    """The stations of :attr:`RobustOutcome.stations` as points (WGS84) for map and GeoPackage."""
    sites = prep.sites.to_crs(4326)
    geom = dict(zip(sites["site_id"].astype(str), sites.geometry, strict=True))
    st = outcome.stations.copy()
    return gpd.GeoDataFrame(st, geometry=[geom[s] for s in st["site_id"]], crs=4326)


def with_robustness(result: SitingResult, prep: Prepared, outcome: RobustOutcome
                    ) -> SitingResult:
    """The base result with the robustness report section and map layer."""
    report = result.report.model_copy(update={"robustness": outcome.figures})
    extra = {**result.extra_layers, LAYER_KEY: robustness_layer(prep, outcome)}
    return replace(result, report=report, extra_layers=extra)


def _year_cell(year: object) -> int | str:
    """A base-plan opening year for the CSV: the year, or "" where the plan does not build."""
    if isinstance(year, int | float | np.integer | np.floating) and not math.isnan(year):
        return int(year)
    return ""


def write_tables(outcome: RobustOutcome, folder: Path) -> None:
    """``robustness.csv`` and ``robustness.xlsx`` (per candidate) and ``samples.csv`` (per
    sample) into ``folder``."""
    st = outcome.stations
    header = ["site_id", "name", "station_type", "zone", "existing", "in_base_plan",
              "base_open_year", "samples_chosen", "chosen_share", "no_regret"]
    shares = st["chosen_share"].to_numpy(dtype=float).round(4)
    rows = [[r.site_id, r.name, r.station_type, r.zone, r.existing, r.in_base_plan,
             _year_cell(r.base_open_year), r.samples_chosen, float(share), r.no_regret]
            for r, share in zip(st.itertuples(index=False), shares, strict=True)]
    write_csv(folder / "robustness.csv",
              [[*row[:8], f"{share:.4f}", row[9]] for row, share in zip(rows, shares,
                                                                         strict=True)],
              header=header)
    # the same table with typed cells: a site id such as 001 stays text in a spreadsheet
    write_xlsx(folder / "robustness.xlsx", rows, header, sheet="robustness")
    sm = outcome.samples.join(outcome.params, on="sample")
    cols = list(sm.columns)

    def cell(v: Any) -> Any:
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.6g}"
        return "" if v is None else v

    write_csv(folder / "samples.csv", [[cell(v) for v in row] for row in
                                       sm.itertuples(index=False)], header=cols)
