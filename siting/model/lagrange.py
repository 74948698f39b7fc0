r"""A Lagrangian bound, and plans, for capacitated models too large for their LP.

A large capacitated model (the synthetic 10k city: 1.4M allocation columns, 4.3M matrix
entries) stops before HiGHS has solved its root LP, so the only bounds left were relaxations
without geography (:mod:`siting.model.poolbound`): its plans were reported 11-14 % under a
bound that the stations' catchments cannot reach. This step prices each demand row instead.

**The relaxation.** Write the allocation as :math:`z_{ro}`, the share of row *r* an open
option *o* serves, so that the covered share is :math:`y_r = \sum_o z_{ro} \le 1`. For
integral stations :math:`z_{ro} \le x_{o,p_r}` holds (a closed option has no capacity).
Relaxing *"served at most once"* with a price :math:`\lambda_r \ge 0` per row leaves

.. math::

    L(\lambda) = \sum_r \lambda_r + \max_x \Big\{ \sum_{o,p} V_{o,p}(\lambda)\, x_{o,p}
                 + \sum_f w_f h_f \Big\}

over the station rows alone (built stays built, one option per site, budgets, zone
minimums, grid, corridor flows: :func:`station_problem`), where :math:`V_{o,p}(\lambda)` is
what option *o* open in year *p* earns alone: the rows of that year in its catchment, each
worth :math:`w_r - \lambda_r`, taken by worth per kWh (per kg of hydrogen) until its
capacity is full (a fractional knapsack per pool, :func:`fill`), and no more than the same
rows taken by worth per vehicle until its vehicles a day are (when it limits them). Weak
duality makes :math:`L(\lambda)` an upper bound on every plan's coverage for every
:math:`\lambda \ge 0`, with the station problem solved as an LP. Dropped besides, which only
loosens it: the corridor trucks' draws on capacity and the hydrogen supply limits.

Unlike the capacity-pool bound, a station here cannot take the densest demand of the whole
city: it serves its own catchment, at most once per row, and a station bought in part
serves that part of each row (the strong link :math:`z_{ro} \le x_{o,p}` that the compact
model leaves out, 1.4M rows on the 10k city, never built here).

**Method.** Subgradient steps on :math:`\lambda` (Polyak's step towards the best plan's
value, halved after :data:`STALL` steps without a better bound), starting from the prices of
the capacity-pool LP, :math:`\lambda_r = \max(0, w_r - \pi_r e_r)` (there :math:`L`
equalled the pool bound on the 10k city; from zero prices it starts at three times that).
Each step is one ordering of the rows (every knapsack ranks rows alike) and one
warm-started LP of the station problem. Now and then (:data:`PLAN_SHARE` of the time), the
station problem is solved with integral stations at the best prices and its stations are
allocated exactly (:func:`siting.model.decode.allocation_for_plan`): a plan, handed to the
solver as a start. Once the bound has nearly settled (the step length halved to
:data:`LATE_THETA`), plans get :data:`LATE_PLAN_SHARE` of the time, at the moving prices
too: the plans of nearby prices scatter by ~1 % on the 100k city, and the best is kept.
Their stations are mostly the same; once (at ``union_at``), the model restricted to the union
of the best plans' stations is solved for a mix of them (:mod:`siting.model.union`).

Measured (benchmarks/README.md, "Proving the plan", sixth and seventh sessions): the 10k
city at 30 s from 8,373 … 9,276 (gap 10.8 %) to 8,609 … 8,921 (3.6 %); the 100k city (0.98M
cover entries, 4,299 options) from 67,998 … 75,993 (11.8 %) to 70,230 … 70,884 (0.93 %) at
180 s with the priced plans alone (0.84-1.3 % in other runs: they scatter), and to 0.66-0.69 %
with the union of the best plans (70,396 … 70,881 at 180 s).
On the bundled scenario the LP's bound is tighter (1,848 against 1,869), so the step does
not run there.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from siting.model import decode, highs, union
from siting.model.build import Layout, layout
from siting.model.inputs import FloatArray, IntArray
from siting.model.reduce import Reduced

log = logging.getLogger(__name__)

#: Steps without a better bound after which the step length halves.
STALL: int = 50
#: The method stops when the step factor falls below this.
MIN_THETA: float = 1e-3
#: Share of the step's time spent on plans (integral station problem and its allocation) ...
PLAN_SHARE: float = 0.25
#: ... and once the step length has halved down to this (the bound has nearly settled: what
#: decides the gap then is the plan), the share, with plans at the moving prices too.
LATE_THETA: float = 0.125
LATE_PLAN_SHARE: float = 0.75
#: Share of the time left that one integral station problem may take ...
PLAN_MIP_SHARE: float = 0.1
#: ... and the relative gap it is solved to (the 100k city's 4,299 options: 0.1 s at 1e-3,
#: not proven in 60 s at 1e-4).
PLAN_MIP_GAP: float = 1e-3


@dataclass(frozen=True)
class Catchments:
    """The knapsacks of every (option, year): each cover entry (row *r*, option *o*) is an
    item of the knapsack of ``(o, p_r)``.

    Attributes
    ----------
    row
        (nnz,) reduced demand row of each entry.
    key
        (nnz,) column of ``x_{o,p_r}`` in the state form (``o * P + p_r``).
    energy_items
        (n_rows, 2 * n_keys) entry numbers plus one by row and energy knapsack
        (``2 * key + unit``: kWh and kg of hydrogen fill apart).
    capacity
        (nnz,) the option's capacity in the row's unit.
    vehicle_items
        (n_rows, n_keys) entry numbers plus one by row and (option, year), or None when no
        option limits vehicles.
    vehicles
        (n_rows,) vehicles a day a row sends (zero for rows without energy), or None.
    vehicle_cap
        (nnz,) the option's vehicles a day (inf = none), or None.
    n_keys
        Number of (option, year) pairs.
    """

    row: IntArray
    key: IntArray
    energy_items: sp.csr_matrix
    capacity: FloatArray
    vehicle_items: sp.csr_matrix | None
    vehicles: FloatArray | None
    vehicle_cap: FloatArray | None
    n_keys: int


def catchments(rd: Reduced) -> Catchments:
    """The knapsack items of every (option, year) of ``rd`` (see :class:`Catchments`)."""
    cov = rd.cover
    n = rd.n_rows
    row = np.repeat(np.arange(n), np.diff(cov.indptr))
    opt = cov.indices.astype(np.int64)
    key = opt * rd.n_years + rd.year[row]
    n_keys = rd.n_options * rd.n_years
    unit = rd.unit[row]
    capacity = np.where(unit == 0, rd.capacity[opt], rd.capacity_h2[opt])
    entry = np.arange(1, cov.nnz + 1, dtype=np.int64)  # 1-based: no stored zero to lose
    energy_items = sp.csr_matrix((entry, (row, 2 * key + unit)), shape=(n, 2 * n_keys))
    vehicle_items = vehicles = vehicle_cap = None
    if rd.has_vehicle_limits() and rd.vehicles is not None and rd.vehicles_cap is not None:
        # only rows with energy draw on a station's vehicles (build.add_vehicle_limits)
        vehicles = np.where(rd.energy > 0, rd.vehicles, 0.0)
        vehicle_cap = rd.vehicles_cap[opt]
        vehicle_items = sp.csr_matrix((entry, (row, key)), shape=(n, n_keys))
    return Catchments(row, key, energy_items, capacity, vehicle_items, vehicles, vehicle_cap,
                      n_keys)


def fill(items: sp.csr_matrix, worth: FloatArray, amount: FloatArray, capacity: FloatArray
         ) -> FloatArray:
    """Fractional knapsacks, one per column of ``items``: the share of each item taken.

    ``items`` is (n_rows, n_knapsacks) with the item's number plus one as data (a stored
    zero could be dropped by a sparse operation); an item is worth
    ``worth`` and uses ``amount`` of its row (the same in every knapsack of the row), and its
    knapsack holds ``capacity`` (per item: the same on each item of a knapsack; inf = no
    limit). Rows of positive worth are taken by worth per unit of amount, those of no amount
    first and whole, until the knapsack is full; the last one in part.

    Every knapsack ranks rows alike, so the rows are sorted once and each knapsack's items
    read in that order (a row permutation, then a column-major copy: no per-item sort).
    """
    take = np.zeros(len(capacity))
    rows = np.flatnonzero(worth > 0)
    if not len(rows):
        return take
    a = amount[rows]
    ratio = np.divide(worth[rows], a, out=np.full(len(rows), np.inf), where=a > 0)
    ranked = rows[np.argsort(-ratio, kind="stable")]
    by_knapsack = items[ranked].tocsc()  # within a column: rows in rank order
    ent = by_knapsack.data.astype(np.int64) - 1
    aa = amount[ranked[by_knapsack.indices]]
    used = np.cumsum(aa)
    counts = np.diff(by_knapsack.indptr)
    # amount of the knapsack's better rows: all earlier items less the earlier knapsacks'
    earlier = np.repeat(np.r_[0.0, used][by_knapsack.indptr[:-1]], counts)
    room = capacity[ent] - (used - aa - earlier)
    take[ent] = np.where(aa > 0, np.clip(room / np.where(aa > 0, aa, 1.0), 0.0, 1.0), 1.0)
    return take


def station_values(c: Catchments, weight: FloatArray, energy: FloatArray, price: FloatArray
                   ) -> tuple[FloatArray, FloatArray]:
    """``(V, share)``: what each (option, year) earns alone at row prices ``price``
    (:math:`V_{o,p}(\\lambda)`, state-form order) and the share of each cover entry it takes
    to earn it. ``weight`` and ``energy`` are per reduced row."""
    worth = weight - price
    gain = np.maximum(worth, 0.0)[c.row]
    share = fill(c.energy_items, worth, energy, c.capacity)
    V = np.bincount(c.key, weights=gain * share, minlength=c.n_keys).astype(float)
    if c.vehicle_items is not None and c.vehicles is not None and c.vehicle_cap is not None:
        vshare = fill(c.vehicle_items, worth, c.vehicles, c.vehicle_cap)
        Vv = np.bincount(c.key, weights=gain * vshare, minlength=c.n_keys)
        # each fill is a relaxation of the option's LP with both limits: the lower is valid
        tighter = Vv < V
        share = np.where(tighter[c.key], vshare, share)
        V = np.minimum(V, Vv)
    return V, share


def station_problem(rd: Reduced) -> Layout:
    """The model's station rows alone: ``rd`` without its demand rows, uncapacitated.

    Columns: ``x`` (state form, as the full layout's), ``y`` (none) and the corridor flows
    ``h`` at their weight; rows: built stays built, sites, budgets, zone minimums, grid,
    corridor flows.
    """
    n_in = len(rd.row_of)
    bare = replace(rd, cover=sp.csr_matrix((0, rd.n_options)), weight=np.zeros(0),
                   energy=np.zeros(0), year=np.zeros(0, np.int64),
                   unit=np.zeros(0, np.int64), row_of=np.full(n_in, -1, np.int64),
                   vehicles=None if rd.vehicles is None else np.zeros(0))
    return layout(bare, capacitated=False, strengthen=False, tau=0.0)


@dataclass(frozen=True)
class Lagrangian:
    """What :func:`lagrangian` found.

    Attributes
    ----------
    bound
        An upper bound on every plan's coverage (``inf`` when none was found in time).
    plan
        The best plan found, as a column vector of the full layout, or None.
    plan_value
        Its coverage (``-inf`` without a plan).
    stations
        The x blocks (state form) of the best plans found and of the start, best first
        (at most ``keep`` of :func:`lagrangian`): what :mod:`siting.model.union` mixes.
    steps
        Subgradient steps taken.
    seconds
        Wall time, s.
    """

    bound: float
    plan: FloatArray | None
    plan_value: float
    stations: tuple[FloatArray, ...]
    steps: int
    seconds: float


class _Dual:
    """:math:`L(\\lambda)` of one model: its knapsacks and its station LP, built once."""

    def __init__(self, rd: Reduced, lay: Layout, coverage_obj: FloatArray, threads: int
                 ) -> None:
        import highspy

        self.rd, self.lay, self.coverage_obj, self.threads = rd, lay, coverage_obj, threads
        self.weight = np.asarray(coverage_obj[lay.oy:lay.oy + lay.n_y], dtype=float)
        self.catch = catchments(rd)
        self.stations = station_problem(rd)
        st = self.stations
        self.base_obj = np.zeros(st.A.shape[1])
        self.base_obj[st.oh:st.oh + st.n_h] = coverage_obj[lay.oh:lay.oh + lay.n_h]
        self._h = h = highs.new_highs(msg=False, time_limit_s=math.inf, threads=threads)
        h.setOptionValue("presolve", "off")  # re-solved from its last basis
        highs.pass_layout(h, replace(st, col_obj=self.base_obj), integral=False)
        self._idx = np.arange(st.n_x, dtype=np.int32)
        self._optimal = highspy.HighsModelStatus.kOptimal

    def value(self, price: FloatArray, deadline: float
              ) -> tuple[float, FloatArray, FloatArray, FloatArray] | None:
        """``(L(price), x, V, share)``: the bound, the station LP's x (state form), each
        (option, year)'s value and each cover entry's share in its station's fill; None if
        the LP is not solved by ``deadline``."""
        V, share = station_values(self.catch, self.weight, self.rd.energy, price)
        h = self._h
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        h.setOptionValue("time_limit", float(left))
        h.changeColsCost(len(self._idx), self._idx, V)
        h.run()
        if h.getModelStatus() != self._optimal:
            return None
        x = np.asarray(h.getSolution().col_value, dtype=float)[:len(self._idx)]
        return float(price.sum()) + float(h.getInfo().objective_function_value), x, V, share


def value_at(rd: Reduced, lay: Layout, coverage_obj: FloatArray, price: FloatArray, *,
             threads: int = 2, time_limit_s: float = 60.0) -> float:
    """:math:`L(\\lambda)` at row prices ``price`` (>= 0): an upper bound on every plan's
    coverage (``inf`` if the station LP is not solved in ``time_limit_s``). Arguments as
    :func:`lagrangian`'s."""
    got = _Dual(rd, lay, coverage_obj, threads).value(
        np.maximum(np.asarray(price, dtype=float), 0.0), time.perf_counter() + time_limit_s)
    return math.inf if got is None else got[0]


def lagrangian(rd: Reduced, lay: Layout, coverage_obj: FloatArray, energy_price: FloatArray,
               *, start: FloatArray | None, deadline: float, threads: int, keep: int = 5,
               union_at: float = math.inf) -> Lagrangian:
    """Subgradient steps on :math:`L(\\lambda)` until ``deadline`` (see the module).

    Parameters
    ----------
    rd, lay
        The reduced instance and its capacitated (state-form) layout.
    coverage_obj
        The layout's objective without the cost tie-breaker (rows' and flows' weights).
    energy_price
        (n_rows,) price of a unit of each row's energy the first row prices are derived from,
        :math:`\\lambda_r = \\max(0, w_r - \\pi_r e_r)` (the capacity-pool LP's:
        :func:`siting.model.poolbound.pool_relaxation`; zeros start from the rows' weights).
    start
        The best plan known (a column vector of ``lay``) or None: its coverage is the
        steps' first target, and a plan must cover more to be returned.
    deadline
        ``time.perf_counter()`` instant by which the method stops.
    threads
        Solver threads.
    keep
        How many of the best plans' stations to keep (:attr:`Lagrangian.stations`).
    union_at
        ``time.perf_counter()`` instant after which, once, the model restricted to the union
        of the kept plans' stations is solved for a plan
        (:func:`siting.model.union.union_plan`); the steps then go on until ``deadline``.
    """
    t0 = time.perf_counter()
    dual = _Dual(rd, lay, coverage_obj, threads)
    c = dual.catch
    price = np.maximum(0.0, dual.weight - np.asarray(energy_price, dtype=float) * rd.energy)
    best = math.inf
    plan, plan_value = None, -math.inf if start is None else float(coverage_obj @ start)
    theta, stall, steps, plan_time = 1.0, 0, 0, 0.0
    tried: set[bytes] = set()
    kept: list[tuple[float, FloatArray]] = []
    if start is not None:  # its stations are known: no LP to value them again
        tried.add(decode.plan_key(start[:lay.n_x]))
        kept.append((plan_value, np.round(start[:lay.n_x])))
    while time.perf_counter() < deadline and theta >= MIN_THETA:
        if time.perf_counter() >= union_at:
            union_at = math.inf  # once
            kept, plan, plan_value = _mix(dual, kept, plan, plan_value, keep, deadline)
        got = dual.value(price, deadline)
        if got is None:
            break
        value, x, V, share = got
        steps += 1
        if not math.isfinite(best) or value < best - 1e-9 * abs(best):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= STALL:
                theta, stall = theta / 2, 0
        if _proven(best, plan_value):
            break
        late = theta <= LATE_THETA
        share_now = LATE_PLAN_SHARE if late else PLAN_SHARE
        if (stall == 0 or late) and plan_time <= share_now * (time.perf_counter() - t0):
            t1 = time.perf_counter()
            # at this step's prices (the best ones when it improved the bound)
            found = _plan_at(dual, V, tried, deadline=deadline)
            plan_time += time.perf_counter() - t1
            if found is not None:
                kept = _best_kept(kept, (found[1], np.round(found[0][:lay.n_x])), keep)
                if found[1] > plan_value:
                    plan, plan_value = found
        served = np.bincount(c.row, weights=share * x[c.key], minlength=rd.n_rows)
        g = 1.0 - served
        g[(price <= 0) & (g > 0)] = 0.0
        norm = float(g @ g)
        if norm <= 1e-12:
            break  # the LP's rows are served at most once, fully where priced: no step helps
        target = plan_value if math.isfinite(plan_value) else 0.0
        price = np.maximum(0.0, price - theta * max(value - target, 0.0) / norm * g)
    if (math.isfinite(union_at) and time.perf_counter() < deadline
            and not _proven(best, plan_value)):
        # the steps ended before the union's turn (step length spent): its turn now
        kept, plan, plan_value = _mix(dual, kept, plan, plan_value, keep, deadline)
    log.info("Lagrangian bound %.6g after %d steps, plan %.6g, in %.2f s", best, steps,
             plan_value, time.perf_counter() - t0)
    return Lagrangian(best, plan, plan_value, tuple(x for _, x in kept), steps,
                      time.perf_counter() - t0)


def _proven(bound: float, plan_value: float) -> bool:
    """Whether a plan of coverage ``plan_value`` meets the bound (to a relative 1e-9)."""
    return math.isfinite(bound) and bound <= plan_value + 1e-9 * max(1.0, abs(bound))


def _mix(dual: _Dual, kept: list[tuple[float, FloatArray]], plan: FloatArray | None,
         plan_value: float, keep: int, deadline: float
         ) -> tuple[list[tuple[float, FloatArray]], FloatArray | None, float]:
    """(kept, plan, plan_value) after :func:`siting.model.union.union_plan` on the kept
    plans' stations: its plan kept among them, and made the plan when it covers more."""
    mixed = union.union_plan(dual.lay, dual.coverage_obj, [x for _, x in kept],
                             deadline=deadline, threads=dual.threads)
    if mixed is None:
        return kept, plan, plan_value
    kept = _best_kept(kept, (mixed[1], mixed[0][:dual.lay.n_x]), keep)
    return (kept, *mixed) if mixed[1] > plan_value else (kept, plan, plan_value)


def _best_kept(kept: list[tuple[float, FloatArray]], new: tuple[float, FloatArray], keep: int
               ) -> list[tuple[float, FloatArray]]:
    """The ``keep`` best of ``kept`` and ``new`` ((coverage, stations) pairs), best first."""
    return sorted([*kept, new], key=lambda p: -p[0])[:keep]


def _plan_at(dual: _Dual, V: FloatArray, tried: set[bytes], *, deadline: float
             ) -> tuple[FloatArray, float] | None:
    """The integral station problem with the (option, year) values ``V``, its stations
    allocated exactly: (the full column vector, its coverage), or None (no time, a plan
    already tried, no allocation)."""
    st = dual.stations
    obj = dual.base_obj.copy()
    obj[:st.n_x] = V
    left = deadline - time.perf_counter()
    if left <= 0.05:
        return None
    raw = highs.solve_highs(replace(st, col_obj=obj), time_limit_s=PLAN_MIP_SHARE * left,
                            mip_gap=PLAN_MIP_GAP, threads=dual.threads, msg=False, start=None,
                            deadline=deadline)
    if raw.values is None:
        return None
    x = np.round(raw.values[:st.n_x])
    key = decode.plan_key(x)
    if key in tried:
        return None
    tried.add(key)
    full = decode.allocation_for_plan(dual.lay, x,
                                      time_limit_s=deadline - time.perf_counter())
    if full is None:
        return None
    value = float(dual.coverage_obj @ full)
    log.debug("Lagrangian plan: %d stations, coverage %.6g", int(x.sum()), value)
    return full, value
