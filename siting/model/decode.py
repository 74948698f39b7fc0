"""Between solver columns and plans: a warm start as a column vector, a solution as a plan.

:func:`start_vector` writes a greedy plan (kept options) into the layout's columns;
the other functions read the solver's column values back into the input's indexing: opening
years, served shares, allocations, corridor flows covered, and the bound and gap on the
covered weight.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from siting.model.build import Layout
from siting.model.heuristics import GreedyPlan
from siting.model.inputs import BoolArray, FloatArray, IntArray, ModelInput, RawResult
from siting.model.reduce import Reduced, pattern

#: x columns above this value count as open.
_INT_TOL = 0.5


# =========================================================================== plan -> columns
def start_vector(lay: Layout, rd: Reduced, plan: GreedyPlan) -> FloatArray:
    """A full column vector for a greedy plan (feasible for every row)."""
    v = np.zeros(lay.A.shape[1])
    P = lay.P
    oy = plan.open_year
    X = (oy[:, None] >= 0) & (np.arange(P)[None, :] >= oy[:, None])
    v[:lay.n_x] = X.ravel().astype(float)
    v[lay.oy:lay.oz] = plan.served
    if lay.n_z and plan.z is not None:
        v[lay.oz:lay.oh] = plan.z[lay.z_pos] / rd.energy[lay.z_rows]
    v[lay.oh:] = kept_flows_covered(rd, oy)
    return v


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


def input_flows_covered(mi: ModelInput, open_year: IntArray, n_years: int) -> FloatArray:
    """(n_flows,) 1.0 where the input flow is covered by the plan, else 0.0."""
    fy = (np.full(len(mi.flows), n_years - 1) if mi.flow_year is None
          else np.asarray(mi.flow_year, dtype=np.int64))
    return np.array([float(bool(f.arc_sets) and all(
        ((open_year[np.asarray(a, dtype=np.int64)] >= 0)
         & (open_year[np.asarray(a, dtype=np.int64)] <= fy[k])).any() for a in f.arc_sets))
        for k, f in enumerate(mi.flows)])


def covered_by_plan(pat: sp.csr_matrix, open_year: IntArray, year: IntArray) -> BoolArray:
    """Rows with an option open by their year among their cover entries."""
    rows = np.repeat(np.arange(pat.shape[0]), np.diff(pat.indptr))
    oy = open_year[pat.indices]
    ok = (oy >= 0) & (oy <= year[rows])
    return np.bincount(rows[ok], minlength=pat.shape[0]) > 0


def nearest_alloc(cover: sp.csr_matrix, open_year: IntArray, year: IntArray,
                  served: FloatArray) -> sp.csr_matrix:
    """Each served row's share on its covering open option with the smallest cover value."""
    c = cover.tocoo()
    oy = open_year[c.col]
    ok = (oy >= 0) & (oy <= year[c.row])
    rows, cols, t = c.row[ok], c.col[ok], c.data[ok]
    order = np.lexsort((cols, t, rows))
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
                  objective: float) -> tuple[float, float]:
    """Bound on the covered weight and relative gap (to the objective, as HiGHS does).

    The solver's bound is on coverage − tie-breaker; the incumbent's tie-breaker term is
    added back. A solver stopped before it has a bound (HiGHS interrupted in presolve,
    a CBC log without one) gets the trivial bound: all coverable weight.
    """
    tie_term = float(lay.col_obj[:lay.n_x] @ vals[:lay.n_x]) if lay.n_x else 0.0
    trivial = rd.coverable_weight()
    if raw.status == "optimal":
        bound = raw.bound - tie_term if math.isfinite(raw.bound) else objective
        return max(bound, objective), 0.0
    bound = raw.bound - tie_term if math.isfinite(raw.bound) else trivial
    bound = max(min(bound, trivial), objective)
    gap = raw.gap if math.isfinite(raw.gap) and math.isfinite(raw.bound) else (
        (bound - objective) / abs(objective) if objective else math.inf)
    return bound, gap
