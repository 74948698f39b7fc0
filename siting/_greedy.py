"""Greedy warm start for the siting MIP: marginal covered weight per yuan.

The plan it returns respects every constraint of the model (budgets, one option per site,
zone minimums, grid groups, capacities), so a solver can use it as its first incumbent. It is
a heuristic: good, fast (a few sparse mat-vecs per opened station), never claimed optimal.

All indices here are those of the *reduced* model (see :mod:`siting.model`): options are the
kept options, demand rows the kept (possibly merged) rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

log = logging.getLogger(__name__)

_TOL = 1e-9


@dataclass(frozen=True)
class GreedyPlan:
    """A feasible plan found by :func:`greedy_plan`.

    Attributes
    ----------
    open_year
        (n_options,) year index in which each option opens, -1 = not built.
    served
        (n_demand,) share of each demand row served, 0-1.
    z
        (cover.nnz,) energy allocated along each cover entry (capacitated), else None.
    objective
        Covered weight Σ w·served plus the weight of the corridor flows covered.
    """

    open_year: npt.NDArray[np.int64]
    served: npt.NDArray[np.float64]
    z: npt.NDArray[np.float64] | None
    objective: float


@dataclass
class _State:
    """Mutable bookkeeping of one greedy run (local to the call, never shared)."""

    open_year: npt.NDArray[np.int64]
    site_used: npt.NDArray[np.bool_]
    spent_by_year: npt.NDArray[np.float64]
    grid_used: npt.NDArray[np.float64]
    rem_energy: npt.NDArray[np.float64]   # energy of each demand row still unserved
    unserved: npt.NDArray[np.bool_]       # rows with e = 0 still uncovered / rows not full
    z: npt.NDArray[np.float64] | None


def greedy_plan(
    cover: sp.csr_matrix,
    weight: npt.NDArray[np.float64],
    energy: npt.NDArray[np.float64],
    year: npt.NDArray[np.int64],
    n_years: int,
    option_site: npt.NDArray[np.int64],
    option_cost: npt.NDArray[np.float64],
    option_capacity: npt.NDArray[np.float64],
    option_existing: npt.NDArray[np.bool_],
    budget_total: float,
    budget_by_year: npt.NDArray[np.float64] | None,
    zone_min: list[tuple[npt.NDArray[np.int64], int, int]],
    grid: sp.csr_matrix | None,
    grid_spare: npt.NDArray[np.float64] | None,
    *,
    capacitated: bool,
    flows: Sequence[tuple[float, Sequence[npt.NDArray[np.int64]], int]] = (),
    forbidden: npt.NDArray[np.bool_] | None = None,
    cost_power: float = 1.0,
) -> GreedyPlan | None:
    """Open stations greedily by covered weight per yuan until nothing more fits.

    Zone minimums are met first with the cheapest eligible options (earliest affordable
    year); then, repeatedly, the option with the largest marginal covered weight per yuan is
    opened in the earliest year its cost fits both the yearly and the total budget.

    Parameters
    ----------
    cover
        (n_demand, n_options) CSR pattern, sorted indices; an entry = the option may serve
        the row.
    weight, energy, year
        Per demand row: objective weight, daily energy (capacity units), year index.
    n_years
        Number of planning years P.
    option_site, option_cost, option_capacity, option_existing
        Per option: site index, cost in CNY (existing: ignored), daily capacity (``inf`` =
        uncapacitated), existing flag (open from year 0 at no cost).
    budget_total
        Total capital budget, CNY.
    budget_by_year
        (P,) cap on new spending per year, CNY (``inf`` = no cap), or None.
    zone_min
        (option indices, minimum count, by-year index) per requirement.
    grid, grid_spare
        (n_groups, n_options) CSR of grid kW per option and spare kW per group, or None.
    capacitated
        Allocate energy within daily capacities (else coverage alone serves).
    flows
        Corridor flows: (weight, arc sets of option indices, year index). An option gains a
        flow's weight when opening it completes the flow (it lies in every arc set still
        without an open option).
    forbidden
        (n_options,) options the greedy may not open (existing ones still open); used by
        :func:`siting._local_search.improve_plan`.
    cost_power
        Rank options by gain / cost**cost_power: 1 = covered weight per yuan, 0 = covered
        weight alone (within what still fits the budget), in between a compromise.

    Returns
    -------
    GreedyPlan or None
        None when the greedy cannot meet the zone minimums (the solver then starts cold).
    """
    n_dem, n_opt = cover.shape
    cost = np.where(option_existing, 0.0, option_cost)
    st = _State(
        open_year=np.full(n_opt, -1, dtype=np.int64),
        site_used=np.zeros(int(option_site.max(initial=-1)) + 1, dtype=bool),
        spent_by_year=np.zeros(n_years),
        grid_used=np.zeros(0 if grid is None else grid.shape[0]),
        rem_energy=np.asarray(energy, dtype=float).copy(),
        unserved=np.ones(n_dem, dtype=bool),
        z=np.zeros(cover.nnz) if capacitated else None,
    )
    csc_perm = _csc_positions(cover)
    blocked = (np.zeros(n_opt, dtype=bool) if forbidden is None
               else np.asarray(forbidden, dtype=bool) & ~np.asarray(option_existing, dtype=bool))
    ctx = _Ctx(cover, cover.T.tocsr(), csc_perm, weight, np.asarray(energy, float), year, n_years,
               option_site, cost, option_capacity, budget_total, budget_by_year, grid,
               grid_spare, capacitated, blocked)
    for o in np.flatnonzero(option_existing):
        ctx.open(st, int(o), 0)
    for opts, m, by in sorted(zone_min, key=lambda r: r[2]):
        opts = np.asarray(opts, dtype=np.int64)
        while np.count_nonzero((st.open_year[opts] >= 0) & (st.open_year[opts] <= by)) < m:
            early = ctx.earliest_year(st, opts, last=by)
            ok = early >= 0
            if not ok.any():
                log.debug("greedy: cannot meet a zone minimum; no warm start")
                return None
            cand, yrs = opts[ok], early[ok]
            k = int(np.argmin(cost[cand]))
            ctx.open(st, int(cand[k]), int(yrs[k]))
    while True:
        early = ctx.earliest_year(st, np.arange(n_opt), last=n_years - 1)
        gain = ctx.gains(st, early) + _flow_gains(st.open_year, early, flows)
        gain[early < 0] = 0.0
        if not (gain > _TOL).any():
            break
        c = cost ** cost_power if cost_power != 1.0 else cost
        ratio = np.where(cost > 0, gain / np.where(cost > 0, c, 1.0), np.inf)
        ratio[gain <= _TOL] = -1.0
        best = np.flatnonzero(ratio == ratio.max())
        o = int(best[np.argmax(gain[best])])
        ctx.open(st, o, int(early[o]))
    served = ctx.served_share(st)
    covered = sum(w for w, sets, p in flows if not _open_sets(st.open_year, sets, p)[1])
    return GreedyPlan(st.open_year, served, st.z, float(weight @ served) + covered)


def _open_sets(open_year: npt.NDArray[np.int64], sets: Sequence[npt.NDArray[np.int64]],
               p: int) -> tuple[list[bool], list[npt.NDArray[np.int64]]]:
    """Per arc set: has an option open by year ``p``; and the sets still without one."""
    done = [bool(((open_year[s] >= 0) & (open_year[s] <= p)).any()) for s in sets]
    return done, [s for s, d in zip(sets, done, strict=True) if not d]


def _flow_gains(open_year: npt.NDArray[np.int64], early: npt.NDArray[np.int64],
                flows: Sequence[tuple[float, Sequence[npt.NDArray[np.int64]], int]]
                ) -> npt.NDArray[np.float64]:
    """Weight of the flows each option would complete if opened in its ``early`` year."""
    gain = np.zeros(len(open_year))
    for w, sets, p in flows:
        if not sets:
            continue
        _, todo = _open_sets(open_year, sets, p)
        if not todo:
            continue
        common = todo[0]
        for s in todo[1:]:
            common = np.intersect1d(common, s)
        common = np.asarray(common, dtype=np.int64)
        ok = common[(early[common] >= 0) & (early[common] <= p)]
        gain[np.unique(ok)] += w
    return gain


def _csc_positions(cover: sp.csr_matrix) -> sp.csc_matrix:
    """CSC matrix whose data are 1 + the CSR entry position (maps columns to z entries)."""
    pos = sp.csr_matrix((np.arange(1, cover.nnz + 1, dtype=np.float64), cover.indices,
                         cover.indptr), shape=cover.shape)
    return pos.tocsc()


@dataclass(frozen=True)
class _Ctx:
    """Read-only data of one greedy run, with the operations on a :class:`_State`."""

    cover: sp.csr_matrix
    cover_t: sp.csr_matrix
    csc_pos: sp.csc_matrix
    weight: npt.NDArray[np.float64]
    energy: npt.NDArray[np.float64]
    year: npt.NDArray[np.int64]
    n_years: int
    site: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]
    capacity: npt.NDArray[np.float64]
    budget_total: float
    budget_by_year: npt.NDArray[np.float64] | None
    grid: sp.csr_matrix | None
    grid_spare: npt.NDArray[np.float64] | None
    capacitated: bool
    blocked: npt.NDArray[np.bool_]

    def earliest_year(self, st: _State, opts: npt.NDArray[np.int64], *, last: int
                      ) -> npt.NDArray[np.int64]:
        """Earliest year ≤ ``last`` each option could open in now (-1: none)."""
        c = self.cost[opts]
        ok = (st.open_year[opts] < 0) & ~st.site_used[self.site[opts]] & ~self.blocked[opts]
        ok &= c <= self.budget_total - st.spent_by_year.sum() + _TOL * (1 + c)
        if self.grid is not None and self.grid_spare is not None and self.grid.nnz:
            g = self.grid[:, opts].tocoo()
            bad = g.data > self.grid_spare[g.row] - st.grid_used[g.row] + _TOL
            ok[np.unique(g.col[bad])] = False
        out = np.full(len(opts), -1, dtype=np.int64)
        for p in range(last, -1, -1):
            room = (np.inf if self.budget_by_year is None
                    else self.budget_by_year[p] - st.spent_by_year[p])
            fits = ok & (c <= room + _TOL * (1 + c))
            out[fits] = p
        return out

    def gains(self, st: _State, early: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Marginal covered weight of opening each option in its ``early`` year."""
        n_opt = self.cover.shape[1]
        gain = np.zeros(n_opt)
        with np.errstate(divide="ignore", invalid="ignore"):
            share_left = np.where(self.energy > 0, st.rem_energy / self.energy,
                                  st.unserved.astype(float))
        u = self.weight * share_left
        at = self.cover_t
        for p in range(self.n_years):
            in_p = self.year == p
            gw = at @ (u * in_p)
            if self.capacitated:
                ge = at @ (st.rem_energy * in_p)
                frac = np.where(ge > self.capacity, self.capacity / np.maximum(ge, _TOL), 1.0)
                gw = gw * frac
            gain += np.where((early >= 0) & (early <= p), gw, 0.0)
        return gain

    def open(self, st: _State, o: int, p: int) -> None:
        """Open option ``o`` in year ``p``; allocate capacity or mark rows served."""
        st.open_year[o] = p
        st.site_used[self.site[o]] = True
        st.spent_by_year[p] += self.cost[o]
        if self.grid is not None and self.grid.nnz:
            st.grid_used += self.grid[:, [o]].toarray().ravel()
        a, b = self.csc_pos.indptr[o], self.csc_pos.indptr[o + 1]
        rows = self.csc_pos.indices[a:b]
        pos = self.csc_pos.data[a:b].astype(np.int64) - 1
        later = self.year[rows] >= p
        rows, pos = rows[later], pos[later]
        zero = self.energy[rows] <= 0
        st.unserved[rows[zero]] = False
        if not self.capacitated:
            st.unserved[rows] = False
            st.rem_energy[rows] = 0.0
            return
        rows, pos = rows[~zero], pos[~zero]
        q = self.capacity[o]
        for yr in np.unique(self.year[rows]):
            sel = self.year[rows] == yr
            r, k = rows[sel], pos[sel]
            need = st.rem_energy[r]
            before = np.cumsum(need) - need
            take = need if np.isinf(q) else np.clip(q - before, 0.0, need)
            st.rem_energy[r] -= take
            assert st.z is not None
            st.z[k] += take
        st.unserved[rows[st.rem_energy[rows] <= _TOL * (1 + self.energy[rows])]] = False

    def served_share(self, st: _State) -> npt.NDArray[np.float64]:
        """Share served per row from the state (1 for covered zero-energy rows)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(self.energy > 0, 1.0 - st.rem_energy / self.energy,
                         (~st.unserved).astype(float))
        return np.clip(s, 0.0, 1.0)
