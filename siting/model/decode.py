"""Between solver columns and plans: a warm start as a column vector, a solution as a plan.

:func:`start_vector` writes a greedy plan (kept options) into the layout's columns;
the other functions read the solver's column values back into the input's indexing: opening
years, served shares, allocations, corridor flows covered, and the bound and gap on the
covered weight.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from siting.model.build import Layout
from siting.model.heuristics import GreedyPlan
from siting.model.inputs import BoolArray, FloatArray, IntArray, ModelInput, RawResult
from siting.model.reduce import Reduced, pattern, row_order

#: x columns above this value count as open.
_INT_TOL = 0.5


# =========================================================================== plan -> columns
def start_vector(lay: Layout, rd: Reduced, plan: GreedyPlan, *,
                 time_limit_s: float = 60.0) -> FloatArray:
    """A full column vector for a greedy plan, feasible for every row.

    The greedy fills each option's kWh and kg-H2 pools within its vehicles a day. For a
    capacitated plan, or when its allocation breaks a row it does not model (hydrogen
    supply), or corridor trucks draw on the capacities, the plan's stations are kept and the
    rest of the vector is the best allocation for them (:func:`allocation_for_plan`, within
    ``time_limit_s``; if that LP does not solve in time, the greedy's own vector when it
    holds every row, else the stations alone with nothing served, which always does).
    """
    v = np.zeros(lay.A.shape[1])
    P = lay.P
    oy = plan.open_year
    X = (oy[:, None] >= 0) & (np.arange(P)[None, :] >= oy[:, None])
    v[:lay.n_x] = X.ravel().astype(float)
    v[lay.oy:lay.oz] = plan.served
    if lay.n_z and plan.z is not None:
        v[lay.oz:lay.oh] = plan.z[lay.z_pos] / rd.energy[lay.z_rows]
    v[lay.oh:lay.eh] = kept_flows_covered(rd, oy)
    cols = lay.cols
    if cols is not None and cols.n_g:
        v[lay.oh:lay.eh] = 0.0  # corridor trucks need an allocation: left to the LP below
    if cols is not None and cols.n_s:
        _fill_supply(v, lay, rd)
    holds = rows_hold(lay, v)
    if (cols is not None and cols.n_g) or lay.n_z or not holds:
        # corridor trucks covered by the plan count only once the LP allocates them; a
        # capacitated greedy allocation can be far from the best for its stations (the
        # synthetic 10k city: 6,708 against the LP's 8,373)
        fixed = allocation_for_plan(lay, v[:lay.n_x], time_limit_s=time_limit_s)
        if fixed is not None and (not holds or lay.col_obj @ fixed >= lay.col_obj @ v):
            return fixed
        if not holds:
            v[lay.n_x:] = 0.0  # the stations alone (nothing served) hold every row
    return v


def _fill_supply(v: FloatArray, lay: Layout, rd: Reduced) -> None:
    """Deliveries for the start's hydrogen: each (option, year) from its supply sites in
    order, within what each site has left that year (rows may still break: then the LP)."""
    cols = lay.cols
    assert cols is not None and rd.supply_capacity is not None
    P = lay.P
    need = np.zeros((rd.n_options, P))
    h2 = rd.unit[lay.z_rows] == 1
    np.add.at(need, (lay.z_opts[h2], rd.year[lay.z_rows[h2]]),
              v[lay.oz:lay.oh][h2] * rd.energy[lay.z_rows[h2]])
    left = np.tile(rd.supply_capacity[:, None], (1, P)).astype(float)
    for k in range(cols.n_s):
        o, site, p = int(cols.s_opts[k]), int(cols.s_site[k]), int(cols.s_year[k])
        take = min(need[o, p], left[site, p])
        v[cols.os + k] = take
        need[o, p] -= take
        left[site, p] -= take


def rows_hold(lay: Layout, v: FloatArray, tol: float = 1e-7) -> bool:
    """Whether every row of the layout holds at ``v`` (within ``tol``)."""
    r = lay.A @ v
    return bool(np.all(r >= lay.row_lb - tol) and np.all(r <= lay.row_ub + tol))


#: Expected seconds of :func:`allocation_for_plan`'s LP per matrix entry it keeps (measured
#: on the greedy plans: 1.6-2.2 s for the 10k city's 1.8M, 0.03 s for the bundled
#: scenario's 78k); the LP is not started when that exceeds its time limit.
ALLOC_LP_S_PER_NNZ: float = 1.5e-6


def allocation_for_plan(lay: Layout, x: FloatArray, *,
                        time_limit_s: float = 60.0) -> FloatArray | None:
    """The best full column vector with the x columns fixed to ``x`` (an LP; HiGHS).

    ``x`` is in the state form of :func:`siting.model.build.layout` (1 when the option is
    open in that year), not the opening form of :mod:`siting.model.reform`.

    Every other column is continuous, so with the stations fixed what remains is the
    allocation of demand and corridor trucks to them (and of hydrogen supply). Only the
    allocation columns of open (option, year) pairs go to HiGHS (the others are zero); on the
    synthetic 10k city (1.4M allocation columns, 93 stations open) that is 0.2M columns and
    1.4 s against 15 s for the whole layout with presolve, same optimum. None when HiGHS is
    missing or the LP is not solved within ``time_limit_s`` (the solver then starts cold).
    """
    from siting.model import highs

    if not highs.highs_available() or time_limit_s <= 0.01:
        return None
    import highspy

    x = np.round(x)
    lb, ub = lay.col_lb.copy(), lay.col_ub.copy()
    lb[:lay.n_x] = ub[:lay.n_x] = x
    keep = open_columns(lay, lb, ub)
    # every kept allocation column has two entries or more (its demand row and a capacity
    # row): a first check without counting the matrix's entries
    n_keep = int(keep.sum())
    if 2 * n_keep * ALLOC_LP_S_PER_NNZ > time_limit_s or np.bincount(
            lay.A.indices, minlength=len(keep))[keep].sum() * ALLOC_LP_S_PER_NNZ > time_limit_s:
        return None  # would overrun: the caller keeps its own allocation
    sub = column_subset(lay, keep, lb, ub)
    h = highs.new_highs(msg=False, time_limit_s=time_limit_s, threads=None)
    # with the stations fixed and the closed ones' columns gone, presolve finds little: the
    # 10k city's LP takes 1.4 s without it, 3.4 s with it (bundled scenario: 0.02 s either)
    h.setOptionValue("presolve", "off")
    highs.pass_layout(h, sub, integral=False)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    v = np.zeros(len(lb))
    v[keep] = np.asarray(h.getSolution().col_value, dtype=float)
    v = np.clip(v, lb, ub)
    return v if rows_hold(lay, v, tol=1e-6) else None


def plan_key(x: FloatArray) -> bytes:
    """A hashable key of a plan's stations (its x columns, rounded): to tell plans apart."""
    return np.round(np.asarray(x, dtype=float)).astype(np.int8).tobytes()


def close_others(lay: Layout, free: BoolArray) -> tuple[FloatArray, FloatArray]:
    """(lb, ub): ``lay``'s column bounds with every (option, year) outside ``free`` (n_x,)
    fixed closed (an existing station outside it too: callers keep those in ``free``)."""
    ub = lay.col_ub.copy()
    ub[:lay.n_x][~free] = 0.0
    return np.minimum(lay.col_lb, ub), ub


def open_columns(lay: Layout, lb: FloatArray, ub: FloatArray) -> BoolArray:
    """The columns that can be non-zero once the x bounds in ``lb``/``ub`` are set.

    An allocation column of an (option, year) whose x is fixed closed (``ub`` 0) is zero
    (the option's capacity row holds it there): its ``ub`` is set to 0 in place and it is
    left out, as is every other column fixed at zero. The x columns are always kept, so
    the first ``lay.n_x`` columns of :func:`column_subset` are still x. State-form layouts
    only (:func:`siting.model.build.layout`); others keep their allocation columns.
    """
    cols = lay.cols
    if lay.n_z and cols is not None and np.array_equal(cols.z_rows, lay.z_rows):
        x_ub = ub[:lay.n_x]
        ub[lay.oz:lay.oz + lay.n_z][x_ub[cols.x(cols.z_opts, cols.z_year)] < 0.5] = 0.0
    keep = (ub > 0) | (lb < 0)
    keep[:lay.n_x] = True
    return np.asarray(keep, dtype=bool)


def column_subset(lay: Layout, keep: BoolArray, lb: FloatArray, ub: FloatArray) -> Layout:
    """``lay`` with only the ``keep`` columns, bounded by ``lb``/``ub`` (for HiGHS only: its
    block offsets and names no longer describe the columns beyond the x block). Its matrix
    is column-wise, the form HiGHS is handed (:func:`siting.model.highs.pass_layout`)."""
    return replace(lay, A=lay.A.tocsc()[:, keep], col_lb=lb[keep],
                   col_ub=ub[keep], col_obj=lay.col_obj[keep], col_int=lay.col_int[keep])


def kept_flows_covered(rd: Reduced, open_year_kept: IntArray) -> FloatArray:
    """(n_kept_flows,) 1.0 where every arc set of the flow has an option open by its year."""
    out = np.zeros(len(rd.flows))
    for j, f in enumerate(rd.flows):
        ok = [(open_year_kept[s] >= 0) & (open_year_kept[s] <= f.year) for s in f.arc_sets]
        out[j] = float(all(a.any() for a in ok))
    return out


# =========================================================================== columns -> plan
def open_years(mi: ModelInput, rd: Reduced, lay: Layout, vals: FloatArray) -> IntArray:
    """(n_options,) opening year of each input option, -1 = not built (existing: 0)."""
    P = lay.P
    X = vals[:lay.n_x].reshape(-1, P) > _INT_TOL if lay.n_x else np.zeros((0, P), bool)
    any_open = X.any(axis=1)
    oy_kept = np.where(any_open, np.argmax(X, axis=1), -1).astype(np.int64)
    open_year = np.full(mi.n_options, -1, dtype=np.int64)
    open_year[rd.opt] = oy_kept
    open_year[np.asarray(mi.option_existing, dtype=bool)] = 0
    return open_year


def served_and_alloc(mi: ModelInput, rd: Reduced, lay: Layout, vals: FloatArray,
                     open_year: IntArray, *, capacitated: bool
                     ) -> tuple[FloatArray, sp.csr_matrix]:
    """Share served per input row and the allocation matrix (see :class:`Solution`).

    Capacitated: the solver's y (a row only counts when an option open by its year covers
    it) and the energy drawn along each cover entry. Uncapacitated: a row is served when
    the plan covers it, all of it by its nearest open covering option.
    """
    year = np.asarray(mi.year, dtype=np.int64)
    pat = pattern(mi.cover)
    if capacitated:
        y = np.clip(vals[lay.oy:lay.oz], 0.0, 1.0)
        served = (np.where(rd.row_of >= 0, y[np.maximum(rd.row_of, 0)], 0.0) if len(y)
                  else np.zeros(len(rd.row_of)))
        served[~covered_by_plan(pat, open_year, year)] = 0.0
        return served, alloc_capacitated(mi, rd, lay, vals[lay.oz:lay.oh])
    served = covered_by_plan(pat, open_year, year).astype(float)
    return served, nearest_alloc(sp.csr_matrix(mi.cover), open_year, year, served)


def input_flows_covered(mi: ModelInput, open_year: IntArray, n_years: int,
                        rd: Reduced | None = None, lay: Layout | None = None,
                        vals: FloatArray | None = None) -> FloatArray:
    """(n_flows,) share of each input flow covered by the plan (1.0 or 0.0 by arc cover).

    When the flows draw on station capacity (capacitated, flows with energy), a flow counts
    only as far as the solver's allocation refuels it: its ``h`` value, at most the arc-cover
    value.
    """
    fy = (np.full(len(mi.flows), n_years - 1) if mi.flow_year is None
          else np.asarray(mi.flow_year, dtype=np.int64))
    out = np.array([float(bool(f.arc_sets) and all(
        ((open_year[np.asarray(a, dtype=np.int64)] >= 0)
         & (open_year[np.asarray(a, dtype=np.int64)] <= fy[k])).any() for a in f.arc_sets))
        for k, f in enumerate(mi.flows)])
    if rd is not None and lay is not None and vals is not None and lay.cols is not None \
            and lay.cols.n_g:
        h = np.clip(vals[lay.oh:lay.eh], 0.0, 1.0)
        drawing = {rd.flows[j].index: j for j in np.unique(lay.cols.g_flow).tolist()}
        for k, j in drawing.items():
            out[k] = min(out[k], float(np.round(h[j], 6)))
    return out


def flow_alloc(mi: ModelInput, rd: Reduced, lay: Layout, vals: FloatArray) -> sp.csr_matrix:
    """(n_flows, n_options) daily energy each corridor flow's trucks take at each option."""
    cols = lay.cols
    out = sp.csr_matrix((len(mi.flows), mi.n_options))
    if cols is None or not cols.n_g:
        return out
    g = np.clip(vals[cols.og:cols.og + cols.n_g], 0.0, 1.0)
    flow_idx = np.array([rd.flows[j].index for j in cols.g_flow.tolist()], dtype=np.int64)
    energy = np.array([rd.flows[j].energy for j in cols.g_flow.tolist()], dtype=float)
    out = sp.csr_matrix((g * energy, (flow_idx, rd.opt[cols.g_opts])),
                        shape=(len(mi.flows), mi.n_options))
    out.eliminate_zeros()
    return out


def supply_use(mi: ModelInput, lay: Layout, vals: FloatArray) -> FloatArray | None:
    """(n_supply, n_years) hydrogen delivered by each supply site per year, kg/day."""
    cols = lay.cols
    if cols is None or not cols.n_s or mi.supply_capacity is None:
        return None
    use = np.zeros((len(np.asarray(mi.supply_capacity)), lay.P))
    np.add.at(use, (cols.s_site, cols.s_year), np.clip(vals[cols.os:cols.os + cols.n_s], 0,
                                                        None))
    return use


def covered_by_plan(pat: sp.csr_matrix, open_year: IntArray, year: IntArray) -> BoolArray:
    """Rows with an option open by their year among their cover entries."""
    rows = np.repeat(np.arange(pat.shape[0]), np.diff(pat.indptr))
    oy = open_year[pat.indices]
    ok = (oy >= 0) & (oy <= year[rows])
    return np.bincount(rows[ok], minlength=pat.shape[0]) > 0


def nearest_alloc(cover: sp.csr_matrix, open_year: IntArray, year: IntArray,
                  served: FloatArray) -> sp.csr_matrix:
    """Each served row's share on its covering open option with the smallest cover value
    (ties: the lower option index)."""
    c = sp.csr_matrix(cover).sorted_indices().tocoo()  # row-major, columns ascending
    oy = open_year[c.col]
    ok = (oy >= 0) & (oy <= year[c.row])
    rows, cols, t = c.row[ok], c.col[ok], c.data[ok]
    order = row_order(rows, t)  # ties: the lower column (COO of a sorted CSR: row-major)
    rows, cols = rows[order], cols[order]
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, dtype=bool)
    rows, cols = rows[first], cols[first]
    return sp.csr_matrix((served[rows], (rows, cols)), shape=cover.shape)


def alloc_capacitated(mi: ModelInput, rd: Reduced, lay: Layout, z: FloatArray
                      ) -> sp.csr_matrix:
    """Energy each input row draws from each option: its energy × the z share."""
    nr = rd.n_rows
    Z = sp.csr_matrix((np.clip(z, 0.0, 1.0), (lay.z_rows, rd.opt[lay.z_opts])),
                      shape=(nr, mi.n_options))
    energy = np.asarray(mi.energy, dtype=float)
    kept = np.flatnonzero(rd.row_of >= 0)
    M = sp.csr_matrix((energy[kept], (kept, rd.row_of[kept])), shape=(mi.n_demand, nr))
    out = sp.csr_matrix(M @ Z)
    out.eliminate_zeros()
    return out


def bound_and_gap(raw: RawResult, lay: Layout, rd: Reduced, vals: FloatArray,
                  objective: float, *, with_tiebreak: bool = True) -> tuple[float, float]:
    """Bound on the covered weight and relative gap ((bound − objective) / objective).

    ``with_tiebreak``: the solver's bound is on coverage − tie-breaker (the weighted
    objective), and the incumbent's tie-breaker term is added back; False: the bound is on
    covered weight already (the lexicographic solve, :mod:`siting.model.phases`). A solver
    stopped before it has a bound (HiGHS interrupted in presolve, a CBC log without one)
    gets the trivial bound: all coverable weight.
    """
    tie_term = (float(lay.col_obj[:lay.n_x] @ vals[:lay.n_x])
                if lay.n_x and with_tiebreak else 0.0)
    trivial = rd.coverable_weight()
    if raw.status == "optimal":
        bound = raw.bound - tie_term if math.isfinite(raw.bound) else objective
        return max(min(bound, trivial), objective), 0.0
    bound = raw.bound - tie_term if math.isfinite(raw.bound) else trivial
    bound = max(min(bound, trivial), objective)
    # from the bound reported, not the solver's own gap: the bound may come from another
    # relaxation (the uncapacitated one) than the solver's gap was measured against
    gap = (bound - objective) / abs(objective) if objective else (
        0.0 if bound <= objective else math.inf)
    return bound, gap
