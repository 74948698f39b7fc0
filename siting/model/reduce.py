"""Exact reductions of a :class:`~siting.model.inputs.ModelInput` before the MIP is built.

Each is switchable through :class:`~siting.model.inputs.Reductions`, and all are exact:

* options that can never open are removed: new options at a site holding an existing station,
  options costing more than the budget (or than every yearly budget), options whose grid load
  alone exceeds a group's spare capacity;
* demand rows no kept option covers, or with zero weight, are dropped (they cannot add to the
  objective; uncapacitated, a zero-weight row still shows as served when the plan covers it);
* demand rows with the same coverage set and year are merged (weights and energies summed).
  Uncapacitated this is exact. Capacitated it is exact only when the rows also have the same
  weight per unit of energy :math:`w_i/e_i` — then the objective depends only on the total
  energy served from the group, and the merged row (energy :math:`e_1+e_2`, served share
  :math:`y_g`) spans exactly the same totals. Rows with different ratios are *not* merged
  (capacity would otherwise go to the group as a whole instead of its most valuable member);
* dominated options are removed, only when the model is uncapacitated, single-period and has
  no zone, grid or corridor constraints: option *a* is dominated by *b* at the **same site**
  when *b* covers every row *a* covers and costs no more (existing options are never removed).
  Across sites the one-option-per-site rule makes dominance unsound, so it is not attempted.

The result, :class:`Reduced`, is the typed view every later stage works on (the layout
builders, the greedy warm start); it keeps the maps back to the input's indices.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.model.inputs import (
    BoolArray,
    FloatArray,
    IntArray,
    ModelInput,
    Reductions,
    ZoneMinimum,
)


@dataclass(frozen=True, eq=False)
class ReducedFlow:
    """A corridor flow kept by the reductions, in kept-option indices.

    Attributes
    ----------
    index
        The flow's index in :attr:`ModelInput.flows`.
    weight
        Objective weight (> 0).
    arc_sets
        Kept-option index arrays, none empty.
    year
        Year index at which the flow is counted.
    """

    index: int
    weight: float
    arc_sets: list[IntArray]
    year: int
    energy: float = 0.0
    unit: int = 0
    vehicles: float = 0.0
    draw: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(frozen=True, eq=False)
class Reduced:
    """The instance after reductions, with maps back to the input's indices.

    Options are the kept options (``opt`` maps them to input options), demand rows the kept,
    possibly merged, rows (``row_of`` maps input rows to them, -1 = dropped).
    """

    opt: IntArray                   # kept option -> input option
    row_of: IntArray                # input demand row -> reduced row (-1 = dropped)
    weight: FloatArray
    energy: FloatArray
    year: IntArray
    cover: sp.csr_matrix            # (n_rows, n_kept) pattern, data 1, sorted indices
    site: IntArray
    cost: FloatArray                # 0 for existing
    tiebreak: FloatArray            # cost + option_tiebreak (0 for existing)
    capacity: FloatArray
    capacity_h2: FloatArray
    unit: IntArray                  # capacity pool per reduced row (0 kWh, 1 kg H2)
    existing: BoolArray
    zone_min: list[ZoneMinimum]     # kept-option indices
    grid: sp.csr_matrix | None      # (n_groups, n_kept) kW of new options
    grid_spare: FloatArray | None   # (n_groups,) spare kW
    flows: list[ReducedFlow]
    n_years: int
    budget_total: float             # CNY
    budget_by_year: FloatArray | None  # (n_years,) CNY, inf = no cap (ModelInput.yearly_budgets)
    report: dict[str, int]
    vehicles: FloatArray | None = None        # (n_rows,) vehicles, when limits apply
    vehicles_cap: FloatArray | None = None    # (n_kept,) vehicles/day, inf = none
    supply: sp.csr_matrix | None = None       # (n_kept, n_supply) allowed deliveries
    supply_capacity: FloatArray | None = None  # (n_supply,) kg/day

    @property
    def n_options(self) -> int:
        """Number of kept options."""
        return len(self.opt)

    @property
    def n_rows(self) -> int:
        """Number of reduced demand rows."""
        return int(self.cover.shape[0])

    def has_vehicle_limits(self) -> bool:
        """Whether some kept option limits vehicles per day."""
        return self.vehicles_cap is not None and bool(np.isfinite(self.vehicles_cap).any())

    def has_supply_limits(self) -> bool:
        """Whether some kept option draws hydrogen from a limited supply site."""
        return self.supply is not None and self.supply.nnz > 0

    def coverable_weight(self) -> float:
        """Total weight a plan could cover: every row and every kept flow."""
        return float(self.weight.sum()) + sum(f.weight for f in self.flows)


def nearest_options(cover: sp.spmatrix, k: int) -> sp.csr_matrix:
    """Keep, in each row, the ``k`` entries with the smallest values (travel times).

    Explicit zeros count as entries (a station on the fleet's own node); ties go to the lower
    column index. Rows with at most ``k`` entries are unchanged.

    The entries are ranked by :func:`row_order` (one stable sort, not a three-key
    ``lexsort``: 1.2 s against 16.3 s on the 100k city's 16M entries, 2026-12-07).

    Parameters
    ----------
    cover
        (n_demand, n_options) sparse matrix of travel times, s.
    k
        Entries to keep per row (>= 1).

    Returns
    -------
    scipy.sparse.csr_matrix
        Same shape, at most ``k`` entries per row, sorted indices.
    """
    c = sp.csr_matrix(cover, copy=True)
    c.sum_duplicates()
    c.sort_indices()
    counts = np.diff(c.indptr)
    if k <= 0 or counts.max(initial=0) <= k:
        return c
    rows = np.repeat(np.arange(c.shape[0]), counts)
    order = row_order(rows, c.data)  # by row, then time, then column (indices sorted)
    rank = np.empty(c.nnz, dtype=np.int64)
    rank[order] = np.arange(c.nnz) - c.indptr[rows[order]]
    keep = rank < k
    out = sp.csr_matrix((c.data[keep], (rows[keep], c.indices[keep])), shape=c.shape)
    # csr_matrix((data, (i, j))) drops nothing but sums duplicates; explicit zeros survive
    out.sort_indices()
    return out


def row_order(rows: IntArray, values: FloatArray) -> IntArray:
    """Positions of the entries sorted by row, then value; equal ones keep their order.

    One stable sort of ``row * span + value`` (``span`` the power of two above the largest
    value: the row part is exact and the sum rounds monotonically, so values closer than
    its spacing, ~3e-8 for 100k rows of travel times under 2,048 s, rank as ties). Negative
    or non-finite values fall back to a two-key ``lexsort`` (the same order, ~7× slower).
    """
    rows = np.asarray(rows)
    values = np.asarray(values, dtype=float)
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    if values.min() >= 0 and np.isfinite(values).all():
        span = 2.0 ** math.ceil(math.log2(float(values.max()) + 1.0))
        return np.argsort(rows * span + values, kind="stable")
    return np.lexsort((values, rows))


def pattern(cover: sp.spmatrix) -> sp.csr_matrix:
    """Binary CSR pattern of ``cover`` keeping explicit zeros as entries."""
    c = sp.csr_matrix(cover)
    p = sp.csr_matrix((np.ones(c.nnz), c.indices.copy(), c.indptr.copy()), shape=c.shape)
    p.sum_duplicates()
    p.data[:] = 1.0
    p.sort_indices()
    return p


def openable(mi: ModelInput, red: Reductions, *, by_cost: bool = True) -> BoolArray:
    """Options that may be open in some plan (existing always; new ones if not blocked).

    ``by_cost=False`` keeps options dearer than the budget (for messages that quote costs).
    """
    no = mi.n_options
    existing = np.asarray(mi.option_existing, dtype=bool)
    site = np.asarray(mi.option_site, dtype=np.int64)
    ok = np.ones(no, dtype=bool)
    # Semantic, always applied: a site with an existing station takes no new one.
    ok[~existing & np.isin(site, site[existing])] = False
    if red.remove_unopenable:
        cost = np.asarray(mi.option_cost, dtype=float)
        cap = float(mi.budget_total)
        yearly = mi.yearly_budgets()
        if yearly is not None:
            cap = min(cap, float(np.max(yearly)))
        if by_cost:
            ok[~existing & (cost > cap * (1 + 1e-12))] = False
        for g in mi.grid_groups:
            opts = np.asarray(g.options, dtype=np.int64)
            kw = np.asarray(g.kw, dtype=float)
            ok[opts[(kw > g.spare_kw * (1 + 1e-12)) & ~existing[opts]]] = False
    return ok | existing


def dominated(cover: sp.csr_matrix, site: IntArray, costs: Sequence[FloatArray],
              existing: BoolArray) -> BoolArray:
    """Options dominated by another option at the same site (see the module docstring).

    *a* is dominated by *b* when both sit at the same site, *b* covers every row *a* covers
    and *b* is no dearer in every array of ``costs`` (capex, tie-breaker cost). Of two
    identical options the higher index is dropped. Existing options are never dropped.
    """
    out = np.zeros(cover.shape[1], dtype=bool)
    csc = cover.tocsc()
    csc.sort_indices()
    order = np.argsort(site, kind="stable")
    bounds = np.flatnonzero(np.r_[True, site[order][1:] != site[order][:-1], True])
    for a0, b0 in itertools.pairwise(bounds):
        group = order[a0:b0].tolist()
        if len(group) < 2:
            continue
        rows = {o: set(csc.indices[csc.indptr[o]:csc.indptr[o + 1]].tolist()) for o in group}
        for a in group:
            if existing[a]:
                continue
            for b in group:
                if a == b or out[b] or any(c[b] > c[a] for c in costs):
                    continue
                if rows[a] <= rows[b]:
                    same = rows[a] == rows[b] and all(c[a] == c[b] for c in costs)
                    if same and b > a:
                        continue  # identical pair: keep the lower index, drop the other
                    out[a] = True
                    break
    return out


def reduce(mi: ModelInput, *, capacitated: bool, red: Reductions) -> Reduced:
    """Apply the reductions; return the reduced instance and its maps.

    Parameters
    ----------
    mi
        A validated model input.
    capacitated
        Whether the model allocates energy within capacities (rows merge only when they
        have the same weight per unit of energy, and no option is dropped as dominated).
    red
        Which reductions to apply.

    Returns
    -------
    Reduced
    """
    existing = np.asarray(mi.option_existing, dtype=bool)
    cost0 = np.where(existing, 0.0, np.asarray(mi.option_cost, dtype=float))
    tie0 = cost0 + (np.zeros(mi.n_options) if mi.option_tiebreak is None
                    else np.where(existing, 0.0, np.asarray(mi.option_tiebreak, float)))
    pat = pattern(mi.cover)
    keep, report = _kept_options(mi, pat, (cost0, tie0), capacitated=capacitated, red=red)
    opt = np.flatnonzero(keep)
    new_of = np.full(mi.n_options, -1, dtype=np.int64)
    new_of[opt] = np.arange(len(opt))
    sub = pat[:, opt]
    sub.sort_indices()
    rows = _reduce_rows(mi, sub, capacitated=capacitated, red=red, report=report)
    grid, spare = _grid_matrix(mi, new_of, len(opt))
    flows = _kept_flows(mi, new_of)
    report["flows_dropped"] = len(mi.flows) - len(flows)
    vcap = mi.vehicles_cap()[opt]
    limits = capacitated and bool(np.isfinite(vcap).any())
    supply = (sp.csr_matrix(mi.supply_pairs)[opt] if capacitated and mi.has_supply_limits()
              else None)
    return Reduced(
        opt=opt, row_of=rows.row_of, weight=rows.weight, energy=rows.energy, year=rows.year,
        cover=rows.cover, site=np.asarray(mi.option_site, dtype=np.int64)[opt],
        cost=cost0[opt], tiebreak=tie0[opt],
        capacity=np.asarray(mi.option_capacity, dtype=float)[opt],
        capacity_h2=mi.capacity_h2()[opt], unit=rows.unit, existing=existing[opt],
        zone_min=[_kept_zone(z, new_of) for z in mi.zone_min],
        grid=grid, grid_spare=spare, flows=flows, n_years=mi.n_years,
        budget_total=float(mi.budget_total), budget_by_year=mi.yearly_budgets(),
        report=report, vehicles=rows.vehicles if limits else None,
        vehicles_cap=vcap if limits else None, supply=supply,
        supply_capacity=(None if supply is None
                         else np.asarray(mi.supply_capacity, dtype=float)))


def _kept_options(mi: ModelInput, pat: sp.csr_matrix, costs: tuple[FloatArray, FloatArray],
                  *, capacitated: bool, red: Reductions) -> tuple[BoolArray, dict[str, int]]:
    """Options kept (openable, not dominated) and the counts of those removed."""
    keep = openable(mi, red)
    report = {"options_in": mi.n_options, "demand_in": mi.n_demand,
              "options_unopenable": int((~keep).sum())}
    single = (mi.n_years == 1 and not mi.zone_min and not mi.grid_groups and not mi.flows
              and not capacitated)
    if red.remove_dominated and single:
        idx = np.flatnonzero(keep)
        existing = np.asarray(mi.option_existing, dtype=bool)
        dom = dominated(pat[:, idx], np.asarray(mi.option_site)[idx],
                        tuple(c[idx] for c in costs), existing[idx])
        keep[idx[dom]] = False
        report["options_dominated"] = int(dom.sum())
    else:
        report["options_dominated"] = 0
    return keep, report


@dataclass(frozen=True, eq=False)
class _Rows:
    """The reduced demand rows (see :class:`Reduced`)."""

    row_of: IntArray
    weight: FloatArray
    energy: FloatArray
    year: IntArray
    unit: IntArray
    cover: sp.csr_matrix
    vehicles: FloatArray


def _reduce_rows(mi: ModelInput, sub: sp.csr_matrix, *, capacitated: bool, red: Reductions,
                 report: dict[str, int]) -> _Rows:
    """Drop uncoverable and weightless rows, merge rows alike; counts go into ``report``."""
    weight = np.asarray(mi.weight, dtype=float)
    energy = np.asarray(mi.energy, dtype=float)
    year = np.asarray(mi.year, dtype=np.int64)
    unit = mi.row_units()
    veh = mi.row_vehicles()
    rows = np.arange(mi.n_demand)
    if red.drop_uncovered:
        covered = np.diff(sub.indptr) > 0
        rows = rows[covered & (weight > 0)]
    report["demand_dropped"] = mi.n_demand - len(rows)
    row_of = np.full(mi.n_demand, -1, dtype=np.int64)
    if red.merge_demand and len(rows):
        group = _merge_groups(sub, rows, weight, energy, year, unit, capacitated=capacitated,
                              vehicles=veh if np.isfinite(mi.vehicles_cap()).any() else None)
        n_groups = int(group.max()) + 1
        first = np.full(n_groups, -1, dtype=np.int64)
        first[group[::-1]] = rows[::-1]
        row_of[rows] = group
        # (bincount with weights gives float64; its stubs say int)
        w = np.asarray(np.bincount(group, weights=weight[rows], minlength=n_groups), float)
        e = np.asarray(np.bincount(group, weights=energy[rows], minlength=n_groups), float)
        v = np.asarray(np.bincount(group, weights=veh[rows], minlength=n_groups), float)
        rcover, ryear, runit = sub[first], year[first], unit[first]
    else:
        row_of[rows] = np.arange(len(rows))
        w, e, ryear, runit = weight[rows], energy[rows], year[rows], unit[rows]
        v = veh[rows]
        rcover = sub[rows]
    rcover = sp.csr_matrix(rcover)
    rcover.sort_indices()
    report["demand_rows"] = int(rcover.shape[0])
    report["demand_merged"] = len(rows) - int(rcover.shape[0])
    return _Rows(row_of, w, e, ryear, runit, rcover, v)


def _merge_groups(sub: sp.csr_matrix, rows: IntArray, weight: FloatArray, energy: FloatArray,
                  year: IntArray, unit: IntArray, *, capacitated: bool,
                  vehicles: FloatArray | None = None) -> IntArray:
    """Group number of each of ``rows``: same year, pool and cover set (and w/e if capacitated,
    and vehicles/e when vehicles-per-day limits apply).

    Groups are numbered in order of their first row.
    """
    keys: dict[tuple[Any, ...], int] = {}
    group = np.empty(len(rows), dtype=np.int64)
    ind, ptr = sub.indices, sub.indptr
    for n, i in enumerate(rows.tolist()):
        ratio: float | None = None
        vratio: float | None = None
        if capacitated:
            ratio = math.inf if energy[i] <= 0 else float(f"{weight[i] / energy[i]:.12g}")
            if vehicles is not None:
                vratio = (math.inf if energy[i] <= 0
                          else float(f"{vehicles[i] / energy[i]:.12g}"))
        key = (int(year[i]), int(unit[i]), ratio, vratio, ind[ptr[i]:ptr[i + 1]].tobytes())
        group[n] = keys.setdefault(key, len(keys))
    return group


def _kept_zone(z: ZoneMinimum, new_of: IntArray) -> ZoneMinimum:
    """``z`` over the kept options (its dropped options could never open)."""
    kept = new_of[np.asarray(z.options, dtype=np.int64)]
    return ZoneMinimum(np.unique(kept[kept >= 0]), int(z.minimum), int(z.by_year))


def _grid_matrix(mi: ModelInput, new_of: IntArray, n_kept: int
                 ) -> tuple[sp.csr_matrix | None, FloatArray | None]:
    """(n_groups, n_kept) grid kW of the kept *new* options and the spare kW per group."""
    if not mi.grid_groups:
        return None, None
    existing = np.asarray(mi.option_existing, dtype=bool)
    opt = np.flatnonzero(new_of >= 0)
    r_, c_, v_ = [], [], []
    for g, grp in enumerate(mi.grid_groups):
        o = new_of[np.asarray(grp.options, dtype=np.int64)]
        kw = np.asarray(grp.kw, dtype=float)
        ok = (o >= 0) & (kw > 0)
        ok[ok] &= ~existing[opt[o[ok]]]
        r_.append(np.full(ok.sum(), g))
        c_.append(o[ok])
        v_.append(kw[ok])
    grid = sp.csr_matrix((np.concatenate(v_), (np.concatenate(r_), np.concatenate(c_))),
                         shape=(len(mi.grid_groups), n_kept))
    spare = np.array([g.spare_kw for g in mi.grid_groups], dtype=float)
    return grid, spare


def _kept_flows(mi: ModelInput, new_of: IntArray) -> list[ReducedFlow]:
    """Flows with weight whose every arc set keeps an option, in kept-option indices."""
    fy = (np.full(len(mi.flows), mi.n_years - 1, dtype=np.int64) if mi.flow_year is None
          else np.asarray(mi.flow_year, dtype=np.int64))
    out = []
    for f, flow in enumerate(mi.flows):
        sets = [new_of[np.asarray(a, dtype=np.int64)] for a in flow.arc_sets]
        sets = [s[s >= 0] for s in sets]
        if flow.weight > 0 and sets and all(len(s) for s in sets):
            draw = new_of[flow.draws()]
            out.append(ReducedFlow(f, float(flow.weight), sets, int(fy[f]),
                                   energy=float(flow.energy), unit=int(flow.unit),
                                   vehicles=float(flow.vehicles), draw=draw[draw >= 0]))
    return out
