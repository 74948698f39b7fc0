"""Warm start for the siting MIP: a greedy plan, improved by forbid-and-refill local search.

**Greedy** (:func:`greedy_plan`): marginal covered weight per yuan. The plan it returns
respects every constraint of the model (budgets, one option per site, zone minimums, grid
groups, capacities), so a solver can use it as its first incumbent. It is a heuristic: good,
fast (a few sparse mat-vecs per opened station), never claimed optimal.

**Local search** (:func:`improve_plan`): the greedy commits to its first choices: a station
that looked best per yuan early on can crowd out a pair of cheaper ones that together cover
more. The search re-runs the greedy with one of the plan's stations *forbidden* (and the
stations forbidden on the way to the current best still forbidden), under a few ranking rules
(gain per yuan, gain per √yuan, gain alone), and keeps a plan only when it covers more. Every
plan it returns is a greedy plan, so it respects every constraint the greedy respects.

What the search buys, measured: on small random instances it escapes the classic per-yuan
trap (one dear station crowding out two cheaper ones that cover more; see
tests/test_model.py) and often reaches the enumerated optimum. On the bundled Suizhou scenario
(3 years, 203 options, capacitated) it moves the start from 1,376.8 to 1,434.7 in 40 greedy
runs (~1.5 s on 2 cores). The better plans there (1,796) change several stations *and* their
opening years at once, which no forbid-one refill reaches; :mod:`siting.model.neighbourhood`
finds them. The search is cheap and bounded by ``time_budget_s``, so it stays.

All indices here are those of the *reduced* model (:class:`~siting.model.reduce.Reduced`):
options are the kept options, demand rows the kept (possibly merged) rows.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from siting.model.inputs import BoolArray, FloatArray, IntArray
from siting.model.reduce import Reduced, ReducedFlow

log = logging.getLogger(__name__)

#: Share of ``time_limit_s`` the warm start's local search may use (the solver gets the rest).
#: On the bundled scenario a better incumbent from 1 s of local search beats 1 s more of
#: HiGHS by far (see the module docstring).
LOCAL_SEARCH_SHARE: float = 0.15
#: Models with fewer columns start from the plain greedy: HiGHS solves or improves those
#: faster than the search would (a 2,000 × 200 MCLP is solved in 0.1 s; the search alone
#: took 0.5 s there).
LOCAL_SEARCH_MIN_COLUMNS: int = 20_000
#: Default cap on greedy runs per search.
MAX_RUNS = 40
#: Ranking rules tried by the search: gain / cost**power.
COST_POWERS: tuple[float, ...] = (1.0, 0.5, 0.0)

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

    open_year: IntArray
    served: FloatArray
    z: FloatArray | None
    objective: float


#: ``run(forbidden, cost_power)`` -> a greedy plan, or None when the greedy finds none.
GreedyRun = Callable[[BoolArray, float], "GreedyPlan | None"]


# =========================================================================== greedy
def greedy_plan(rd: Reduced, *, capacitated: bool, forbidden: BoolArray | None = None,
                cost_power: float = 1.0) -> GreedyPlan | None:
    """Open stations greedily by covered weight per yuan until nothing more fits.

    Zone minimums are met first with the cheapest eligible options (earliest affordable
    year); then, repeatedly, the option with the largest marginal covered weight per yuan is
    opened in the earliest year its cost fits both the yearly and the total budget. An
    option gains a corridor flow's weight when opening it completes the flow (it lies in
    every arc set still without an open option).

    Parameters
    ----------
    rd
        The reduced instance (cover pattern, rows, options, budgets, zones, grid, flows).
    capacitated
        Allocate energy within each option's daily capacities (else coverage alone serves):
        its kWh and kg-H2 pools, its vehicles a day, and the kg a day its hydrogen supply
        sites can still deliver, as the model's rows do. Corridor trucks drawing on
        capacity are not allocated here: the start built from the plan
        (:func:`siting.model.decode.start_vector`) re-allocates them by LP.
    forbidden
        (n_options,) options the greedy may not open (existing ones still open); used by
        :func:`improve_plan`.
    cost_power
        Rank options by gain / cost**cost_power: 1 = covered weight per yuan, 0 = covered
        weight alone (within what still fits the budget), in between a compromise.

    Returns
    -------
    GreedyPlan or None
        None when the instance has no option or the greedy cannot meet the zone minimums
        (the solver then starts cold).
    """
    if rd.n_options == 0:
        return None
    ctx = _Ctx.of(rd, capacitated=capacitated, forbidden=forbidden)
    st = ctx.initial_state()
    for e in np.flatnonzero(rd.existing).tolist():
        ctx.open(st, e, 0)
    if not ctx.meet_zone_minimums(st):
        log.debug("greedy: cannot meet a zone minimum; no warm start")
        return None
    n_opt = rd.n_options
    while True:
        early = ctx.earliest_year(st, np.arange(n_opt), last=rd.n_years - 1)
        gain = ctx.gains(st, early) + _flow_gains(st.open_year, early, rd.flows)
        gain[early < 0] = 0.0
        if not (gain > _TOL).any():
            break
        cost = ctx.cost
        c = cost ** cost_power if cost_power != 1.0 else cost
        ratio = np.where(cost > 0, gain / np.where(cost > 0, c, 1.0), np.inf)
        ratio[gain <= _TOL] = -1.0
        best = np.flatnonzero(ratio == ratio.max())
        o = int(best[np.argmax(gain[best])])
        ctx.open(st, o, int(early[o]))
    served = ctx.served_share(st)
    covered = sum(f.weight for f in rd.flows
                  if not _open_sets(st.open_year, f.arc_sets, f.year)[1])
    return GreedyPlan(st.open_year, served, st.z, float(rd.weight @ served) + covered)


def unit_capacities(rd: Reduced) -> FloatArray:
    """(n_options, 2) daily capacity of each kept option per pool: kWh (unit 0), kg H2 (1).

    The model has one capacity row per (option, year, unit) (see
    :func:`siting.model.build.add_capacity`); the greedy fills the same pools.
    """
    return np.column_stack([np.asarray(rd.capacity, dtype=float),
                            np.asarray(rd.capacity_h2, dtype=float)])


def vehicle_capacity(rd: Reduced) -> FloatArray:
    """(n_options,) vehicles a day each kept option serves, inf = no limit (both pools)."""
    if rd.vehicles_cap is None or rd.vehicles is None:
        return np.full(rd.n_options, np.inf)
    return np.asarray(rd.vehicles_cap, dtype=float)


def fill_in_order(need: FloatArray, unit: IntArray, per: FloatArray, left: FloatArray,
                  vehicles: float) -> FloatArray:
    """Energy each row takes from one station, rows served in order, within its pools.

    Row *i* takes ``min(need_i, pool left of its unit, vehicles left / per_i)``, as a loop
    over the rows in order would, where ``per`` is vehicles per unit of energy; a row whose
    pool or the vehicles ran out takes nothing (rows with ``per = 0`` need no vehicles).
    Vectorised: every round serves the rows that fit whole (a prefix), gives the first row
    that does not fit what is left, which empties a pool, and drops the rows that pool
    limits; so there are a few rounds, not one per row.

    Parameters
    ----------
    need
        (n,) energy each row still needs (kWh or kg a day, by its unit).
    unit
        (n,) pool of each row: 0 kWh, 1 kg H2.
    per
        (n,) vehicles per unit of the row's energy (0: no vehicle limit applies).
    left
        (2,) energy left in the kWh and kg pools (``inf`` = no limit).
    vehicles
        Vehicles a day left (``inf`` = no limit).

    Returns
    -------
    numpy.ndarray
        (n,) energy taken per row, ``0 <= take <= need``.
    """
    need = np.asarray(need, dtype=float)
    take = np.zeros(len(need))
    pool = np.asarray(left, dtype=float).copy()
    active = need > 0
    while True:
        idx = np.flatnonzero(active & (pool[unit] > _TOL) & ((per <= 0) | (vehicles > _TOL)))
        if not len(idx):
            return take
        e, u, pe = need[idx], unit[idx], per[idx]
        fits = ((np.cumsum(np.where(u == 0, e, 0.0)) <= pool[0] * (1 + 1e-12))
                & (np.cumsum(np.where(u == 1, e, 0.0)) <= pool[1] * (1 + 1e-12))
                & (np.cumsum(e * pe) <= vehicles * (1 + 1e-12)))
        n = len(idx) if fits.all() else int(np.argmin(fits))
        whole = idx[:n]
        take[whole] = need[whole]
        pool -= np.bincount(unit[whole], weights=need[whole], minlength=2)[:2]
        vehicles -= float(need[whole] @ per[whole])
        if n == len(idx):
            return take
        i = int(idx[n])
        t = min(float(need[i]), float(pool[unit[i]]),
                vehicles / float(per[i]) if per[i] > 0 else math.inf)
        take[i] = max(t, 0.0)
        pool[unit[i]] -= take[i]
        vehicles -= take[i] * float(per[i])
        active[idx[:n + 1]] = False
        pool[unit[i]] = max(float(pool[unit[i]]), 0.0)
        vehicles = max(vehicles, 0.0)


def _open_sets(open_year: IntArray, sets: Sequence[IntArray], p: int
               ) -> tuple[list[bool], list[IntArray]]:
    """Per arc set: has an option open by year ``p``; and the sets still without one."""
    done = [bool(((open_year[s] >= 0) & (open_year[s] <= p)).any()) for s in sets]
    return done, [s for s, d in zip(sets, done, strict=True) if not d]


def _flow_gains(open_year: IntArray, early: IntArray, flows: Sequence[ReducedFlow]
                ) -> FloatArray:
    """Weight of the flows each option would complete if opened in its ``early`` year."""
    gain = np.zeros(len(open_year))
    for f in flows:
        if not f.arc_sets:
            continue
        _, todo = _open_sets(open_year, f.arc_sets, f.year)
        if not todo:
            continue
        common = todo[0]
        for s in todo[1:]:
            common = np.intersect1d(common, s)
        common = np.asarray(common, dtype=np.int64)
        ok = common[(early[common] >= 0) & (early[common] <= f.year)]
        gain[np.unique(ok)] += f.weight
    return gain


def _csc_positions(cover: sp.csr_matrix) -> sp.csc_matrix:
    """CSC matrix whose data are 1 + the CSR entry position (maps columns to z entries)."""
    pos = sp.csr_matrix((np.arange(1, cover.nnz + 1, dtype=np.float64), cover.indices,
                         cover.indptr), shape=cover.shape)
    return pos.tocsc()


@dataclass
class _State:
    """Mutable bookkeeping of one greedy run (local to the call, never shared)."""

    open_year: IntArray
    site_used: BoolArray
    spent_by_year: FloatArray
    grid_used: FloatArray
    rem_energy: FloatArray   # energy of each demand row still unserved
    unserved: BoolArray      # rows with e = 0 still uncovered / rows not full
    z: FloatArray | None
    supply_left: FloatArray  # (n_supply, n_years) kg/day each supply site can still deliver


@dataclass(frozen=True)
class _Ctx:
    """Read-only data of one greedy run, with the operations on a :class:`_State`."""

    rd: Reduced
    cover_t: sp.csr_matrix
    csc_pos: sp.csc_matrix
    cost: FloatArray          # 0 for existing options
    capacity: FloatArray      # (n_options, 2) kWh and kg-H2 pools (unit_capacities)
    vehicles_cap: FloatArray  # (n_options,) vehicles a day, inf = none (vehicle_capacity)
    per_energy: FloatArray    # (n_rows,) vehicles per unit of each row's energy
    capacitated: bool
    blocked: BoolArray

    @classmethod
    def of(cls, rd: Reduced, *, capacitated: bool, forbidden: BoolArray | None) -> _Ctx:
        """The context of a greedy run on ``rd`` with ``forbidden`` new options blocked."""
        blocked = (np.zeros(rd.n_options, dtype=bool) if forbidden is None
                   else np.asarray(forbidden, dtype=bool) & ~rd.existing)
        energy = np.asarray(rd.energy, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_energy = (np.zeros(rd.n_rows) if rd.vehicles is None else
                          np.where(energy > 0, rd.vehicles / np.where(energy > 0, energy, 1.0),
                                   0.0))
        return cls(rd, rd.cover.T.tocsr(), _csc_positions(rd.cover),
                   np.where(rd.existing, 0.0, rd.cost), unit_capacities(rd),
                   vehicle_capacity(rd), per_energy, capacitated, blocked)

    def initial_state(self) -> _State:
        """Nothing open, nothing spent, every row unserved."""
        rd = self.rd
        return _State(
            open_year=np.full(rd.n_options, -1, dtype=np.int64),
            site_used=np.zeros(int(rd.site.max(initial=-1)) + 1, dtype=bool),
            spent_by_year=np.zeros(rd.n_years),
            grid_used=np.zeros(0 if rd.grid is None else rd.grid.shape[0]),
            rem_energy=np.asarray(rd.energy, dtype=float).copy(),
            unserved=np.ones(rd.n_rows, dtype=bool),
            z=np.zeros(rd.cover.nnz) if self.capacitated else None,
            supply_left=(np.zeros((0, rd.n_years)) if not rd.has_supply_limits()
                         or rd.supply_capacity is None else
                         np.tile(np.asarray(rd.supply_capacity, dtype=float)[:, None],
                                 (1, rd.n_years))),
        )

    def meet_zone_minimums(self, st: _State) -> bool:
        """Open the cheapest eligible options until each zone minimum holds; False if stuck."""
        for z in sorted(self.rd.zone_min, key=lambda r: r.by_year):
            opts = np.asarray(z.options, dtype=np.int64)
            by = z.by_year
            while np.count_nonzero((st.open_year[opts] >= 0)
                                   & (st.open_year[opts] <= by)) < z.minimum:
                early = self.earliest_year(st, opts, last=by)
                ok = early >= 0
                if not ok.any():
                    return False
                cand, yrs = opts[ok], early[ok]
                k = int(np.argmin(self.cost[cand]))
                self.open(st, int(cand[k]), int(yrs[k]))
        return True

    def earliest_year(self, st: _State, opts: IntArray, *, last: int) -> IntArray:
        """Earliest year ≤ ``last`` each option could open in now (-1: none)."""
        rd = self.rd
        c = self.cost[opts]
        ok = (st.open_year[opts] < 0) & ~st.site_used[rd.site[opts]] & ~self.blocked[opts]
        ok &= c <= rd.budget_total - st.spent_by_year.sum() + _TOL * (1 + c)
        if rd.grid is not None and rd.grid_spare is not None and rd.grid.nnz:
            g = rd.grid[:, opts].tocoo()
            bad = g.data > rd.grid_spare[g.row] - st.grid_used[g.row] + _TOL
            ok[np.unique(g.col[bad])] = False
        out = np.full(len(opts), -1, dtype=np.int64)
        for p in range(last, -1, -1):
            room = (np.inf if rd.budget_by_year is None
                    else rd.budget_by_year[p] - st.spent_by_year[p])
            fits = ok & (c <= room + _TOL * (1 + c))
            out[fits] = p
        return out

    def gains(self, st: _State, early: IntArray) -> FloatArray:
        """Marginal covered weight of opening each option in its ``early`` year."""
        rd = self.rd
        gain = np.zeros(rd.n_options)
        with np.errstate(divide="ignore", invalid="ignore"):
            share_left = np.where(rd.energy > 0, st.rem_energy / rd.energy,
                                  st.unserved.astype(float))
        u = rd.weight * share_left
        at = self.cover_t
        for p in range(rd.n_years):
            in_p = rd.year == p
            gw = self._capped_gain(st, u, in_p) if self.capacitated else at @ (u * in_p)
            gain += np.where((early >= 0) & (early <= p), gw, 0.0)
        return gain

    def _capped_gain(self, st: _State, u: FloatArray, in_p: BoolArray) -> FloatArray:
        """Covered weight each option could serve in one year within its daily capacities:
        per pool (kWh, kg H2) the weight scaled down by capacity / energy asked, then all of
        it by vehicles a day / vehicles asked."""
        rd, at = self.rd, self.cover_t
        gw = np.zeros(rd.n_options)
        for k in (0, 1):
            rows = in_p & (rd.unit == k)
            if not rows.any():
                continue
            w = at @ (u * rows)
            ge = at @ (st.rem_energy * rows)
            cap = self.capacity[:, k]
            gw += w * np.where(ge > cap, cap / np.maximum(ge, _TOL), 1.0)
        if np.isfinite(self.vehicles_cap).any():
            gv = at @ (st.rem_energy * self.per_energy * in_p)
            vc = self.vehicles_cap
            gw *= np.where(gv > vc, vc / np.maximum(gv, _TOL), 1.0)
        return gw

    def open(self, st: _State, o: int, p: int) -> None:
        """Open option ``o`` in year ``p``; allocate capacity or mark rows served."""
        rd = self.rd
        st.open_year[o] = p
        st.site_used[rd.site[o]] = True
        st.spent_by_year[p] += self.cost[o]
        if rd.grid is not None and rd.grid.nnz:
            st.grid_used += rd.grid[:, [o]].toarray().ravel()
        a, b = self.csc_pos.indptr[o], self.csc_pos.indptr[o + 1]
        rows = self.csc_pos.indices[a:b]
        pos = self.csc_pos.data[a:b].astype(np.int64) - 1
        later = rd.year[rows] >= p
        rows, pos = rows[later], pos[later]
        zero = rd.energy[rows] <= 0
        st.unserved[rows[zero]] = False
        if not self.capacitated:
            st.unserved[rows] = False
            st.rem_energy[rows] = 0.0
            return
        rows, pos = rows[~zero], pos[~zero]
        self._allocate(st, rows, pos, o)
        st.unserved[rows[st.rem_energy[rows] <= _TOL * (1 + rd.energy[rows])]] = False

    def _allocate(self, st: _State, rows: IntArray, pos: IntArray, o: int) -> None:
        """Fill option ``o``'s daily capacities, year by year, with ``rows``' remaining energy
        in row order: each row takes what its pool (kWh or kg H2) and the vehicles a day
        still allow, so the plan holds every capacity and vehicle row of the model."""
        rd = self.rd
        assert st.z is not None
        for yr in np.unique(rd.year[rows]).tolist():
            sel = rd.year[rows] == yr
            r, k = rows[sel], pos[sel]
            left = self.capacity[o].astype(float).copy()      # kWh, kg H2
            sites = self._supply_sites(o)
            if sites is not None:  # delivered hydrogen: no more than its sites have left
                left[1] = min(left[1], float(st.supply_left[sites, yr].sum()))
            take = fill_in_order(st.rem_energy[r], rd.unit[r], self.per_energy[r], left,
                                 float(self.vehicles_cap[o]))
            st.rem_energy[r] -= take
            st.z[k] += take
            if sites is not None:
                self._deliver(st, sites, yr, float(take[rd.unit[r] == 1].sum()))

    def _supply_sites(self, o: int) -> IntArray | None:
        """The supply sites option ``o`` draws its hydrogen from; None = produced on site."""
        sup = self.rd.supply
        if sup is None or not self.rd.has_supply_limits():
            return None
        a, b = sup.indptr[o], sup.indptr[o + 1]
        return sup.indices[a:b] if b > a else None

    @staticmethod
    def _deliver(st: _State, sites: IntArray, yr: int, kg: float) -> None:
        """Take ``kg`` a day from ``sites`` in order, in year ``yr``."""
        for k in sites.tolist():
            if kg <= 0:
                break
            d = min(kg, float(st.supply_left[k, yr]))
            st.supply_left[k, yr] -= d
            kg -= d

    def served_share(self, st: _State) -> FloatArray:
        """Share served per row from the state (1 for covered zero-energy rows)."""
        energy = self.rd.energy
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(energy > 0, 1.0 - st.rem_energy / energy,
                         (~st.unserved).astype(float))
        return np.clip(s, 0.0, 1.0)


# =========================================================================== local search
def improve_plan(run: GreedyRun, existing: BoolArray, *, time_budget_s: float,
                 powers: Sequence[float] = COST_POWERS, max_forbidden: int = 8,
                 max_runs: int = MAX_RUNS) -> GreedyPlan | None:
    """Best plan found by re-running the greedy with stations forbidden, within a time budget.

    Parameters
    ----------
    run
        ``run(forbidden, cost_power)``: the greedy on the model's data with the options
        where ``forbidden`` is True blocked, ranking by gain / cost**cost_power.
    existing
        (n_options,) existing stations (never forbidden; they are open anyway).
    time_budget_s
        Stop starting new greedy runs after this many seconds (the first run always
        completes; 0 = the plain greedy).
    powers
        Ranking rules to try; the first is the plain greedy's.
    max_forbidden
        Most stations forbidden at once (the depth of the walk).
    max_runs
        Most greedy runs in all (the bundled scenario converges in 24).

    Returns
    -------
    GreedyPlan or None
        The plan with the largest objective seen (ties: the earliest found), None when the
        greedy finds no plan at all.
    """
    t_end = time.perf_counter() + max(0.0, time_budget_s)
    none = np.zeros(len(existing), dtype=bool)
    best = run(none, powers[0])
    plain = -np.inf if best is None else best.objective
    first_s = max(time.perf_counter() - (t_end - max(0.0, time_budget_s)), 1e-6)
    search = _Search(run, t_end=t_end, first_s=first_s, max_runs=max_runs, best=best,
                     best_forbidden=none)
    for pw in powers[1:]:
        if not search.time_left():
            break
        search.consider(run(none, pw), none)
        search.runs += 1
    search.walk(existing, powers, max_forbidden)
    if search.best is not None:
        log.info("local search: %d greedy runs, objective %.6g -> %.6g", search.runs, plain,
                 search.best.objective)
    return search.best


@dataclass
class _Search:
    """State of one :func:`improve_plan` call: the best plan, its forbidden set, runs made."""

    run: GreedyRun
    t_end: float              # perf_counter() instant after which no greedy run starts
    first_s: float            # seconds the first greedy run took (at least 1e-6)
    max_runs: int
    best: GreedyPlan | None
    best_forbidden: BoolArray
    runs: int = 1

    def time_left(self) -> bool:
        """Another greedy run fits: fewer than ``max_runs`` so far and one more in time."""
        return self.runs < self.max_runs and time.perf_counter() + self.first_s < self.t_end

    def consider(self, plan: GreedyPlan | None, forbidden: BoolArray) -> bool:
        """Keep ``plan`` (found with ``forbidden``) if it covers more than the best; True if
        kept."""
        best = self.best
        if plan is None or (best is not None
                            and plan.objective <= best.objective * (1 + 1e-9) + 1e-9):
            return False
        self.best, self.best_forbidden = plan, forbidden
        return True

    def walk(self, existing: BoolArray, powers: Sequence[float], max_forbidden: int) -> None:
        """Forbid one more station of the best plan at a time while that improves it, until
        ``max_forbidden`` are forbidden or no run is left."""
        seen: set[bytes] = set()
        improved = self.best is not None
        while improved and self.time_left():
            assert self.best is not None
            opened = np.flatnonzero((self.best.open_year >= 0) & ~existing)
            if self.best_forbidden.sum() >= max_forbidden:
                break
            improved = self._forbid_one(opened, powers, seen)

    def _forbid_one(self, opened: IntArray, powers: Sequence[float], seen: set[bytes]
                    ) -> bool:
        """Re-run the greedy with each of ``opened`` forbidden in turn (on top of the best
        plan's forbidden set, each set tried once), under each rule in ``powers``; stop at
        the first better plan (True) or when no run is left (False)."""
        for o in opened.tolist():
            forbidden = self.best_forbidden.copy()
            forbidden[o] = True
            key = np.packbits(forbidden).tobytes()
            if key in seen:
                continue
            seen.add(key)
            for pw in powers:
                if not self.time_left():
                    break
                self.runs += 1
                if self.consider(self.run(forbidden, pw), forbidden):
                    return True
            if not self.time_left():
                break
        return False
