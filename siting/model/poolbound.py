r"""A quick upper bound for capacitated models: the budget buys capacity, capacity serves demand.

When a large capacitated model stops before HiGHS has solved its root LP (the 10k-point,
648-option synthetic city: 1.4M allocation columns), the only bound left was the
uncapacitated one, often every coverable row's weight: a reported gap of 100 % or more. This
relaxation keeps what limits such plans, and drops the geography:

- per year ``p`` and capacity pool ``u`` (kWh, kg H2): the energy served,
  ``Σ_r e_r y_r``, is at most the capacity open, ``Σ_o q̂_{o,u,p} x_{o,p}``, where
  ``q̂`` is the option's capacity capped at what its catchment (the rows it covers that year)
  can draw. The cap is valid for a binary ``x``: an open option never serves more than its
  catchment; an option of unlimited capacity counts its catchment;
- the budgets: what the stations open in year ``p`` cost is at most the yearly caps of
  years ``0 … p`` summed (the model's caps on each year's openings, added up) and the
  total cap;
- built stays built: ``x_{o,p} <= x_{o,p+1}``; existing options are open;
- ``0 <= x, y <= 1``, rows without energy free up to their weight; corridor flows at their
  whole weight.

Everything else (who is within reach of whom, zone minimums, grid, vehicle and supply
limits) is dropped, so the LP's optimum bounds every plan from above. It has one column per
demand row and per (option, year), and a handful of rows besides ``x``'s order: milliseconds
where the full LP takes minutes. Measured on the synthetic 10k city: 9,276 against the
uncapacitated bound of 14,554 (the plan: 6,708). Where capacity does not bind it is weak
(the bundled scenario: 1,948 against the LP's 1,848), and the tightest bound wins.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linprog

from siting.model.reduce import Reduced

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoolRelaxation:
    """The capacity-pool LP's optimum and its energy prices.

    Attributes
    ----------
    bound
        The LP's optimum plus the flows' weight (``inf`` when not solved).
    price
        (n_rows,) dual price of a unit of energy in each row's (year, pool) row of the LP
        (weight per kWh or per kg H2): the density below which the relaxation leaves demand
        unserved. Zeros when not solved.
    """

    bound: float
    price: npt.NDArray[np.float64]


def pool_bound(rd: Reduced, row_weight: npt.ArrayLike, flow_weight: float = 0.0, *,
               time_limit_s: float = 10.0) -> float:
    """Upper bound on ``Σ_r row_weight_r y_r + flow_weight`` over every plan (see module).

    The bound of :func:`pool_relaxation`.
    """
    return pool_relaxation(rd, row_weight, flow_weight, time_limit_s=time_limit_s).bound


def pool_relaxation(rd: Reduced, row_weight: npt.ArrayLike, flow_weight: float = 0.0, *,
                    time_limit_s: float = 10.0) -> PoolRelaxation:
    """The capacity-pool LP (see module): its optimum and its energy prices.

    Parameters
    ----------
    rd
        The reduced instance.
    row_weight
        (n_rows,) objective coefficient of each reduced row's served share (zero for rows
        that should not count, e.g. other years for a one-year bound).
    flow_weight
        Added as is: what the corridor flows could at most add.
    time_limit_s
        Limit on the LP; ``inf`` is returned when it is not solved in time.

    Returns
    -------
    PoolRelaxation
        The bound (``inf`` when the LP was not solved) and the energy prices.
    """
    t0 = time.perf_counter()
    w = np.asarray(row_weight, dtype=float)
    n, K, P = rd.n_rows, rd.n_options, rd.n_years
    if n == 0:
        return PoolRelaxation(float(flow_weight), np.zeros(0))
    cov = rd.cover
    entry_row = np.repeat(np.arange(n), np.diff(cov.indptr))
    # columns: y (n), then x as p * K + o
    rows: list[npt.NDArray[np.int64]] = []
    cols: list[npt.NDArray[np.int64]] = []
    vals: list[npt.NDArray[np.float64]] = []
    rhs: list[float] = []
    pools: list[tuple[int, npt.NDArray[np.int64]]] = []  # (LP row, the demand rows it holds)

    def add(cs: npt.NDArray[np.int64], vs: npt.NDArray[np.float64], b: float) -> None:
        rows.append(np.full(len(cs), len(rhs), dtype=np.int64))
        cols.append(cs)
        vals.append(vs)
        rhs.append(b)

    for p in range(P):
        for u, cap in ((0, rd.capacity), (1, rd.capacity_h2)):
            draws = (rd.year == p) & (rd.unit == u) & (rd.energy > 0) & (w > 0)
            if not draws.any():
                continue
            ent = draws[entry_row]
            catchment = np.bincount(cov.indices[ent], weights=rd.energy[entry_row[ent]],
                                    minlength=K)
            q = np.minimum(cap, catchment)
            ys, xs = np.flatnonzero(draws), np.flatnonzero(q > 0)
            pools.append((len(rhs), ys))
            add(np.r_[ys, n + p * K + xs], np.r_[rd.energy[ys], -q[xs]], 0.0)
    new = np.flatnonzero(~rd.existing)
    spent_by = np.inf if rd.budget_by_year is None else 0.0
    for p in range(P):
        if rd.budget_by_year is not None:
            spent_by += float(rd.budget_by_year[p])  # money spent by the end of year p
        limit = min(spent_by, rd.budget_total)
        if math.isfinite(limit) and len(new):
            add(n + p * K + new, rd.cost[new], limit)
    n_order = K * (P - 1)
    first = len(rhs)
    o = np.arange(n_order)
    order = sp.csr_matrix((np.r_[np.ones(n_order), -np.ones(n_order)],
                           (np.r_[o, o] + first, np.r_[n + o, n + K + o])),
                          shape=(first + n_order, n + K * P))
    main = sp.csr_matrix((np.concatenate(vals) if vals else np.zeros(0),
                          (np.concatenate(rows) if rows else np.zeros(0, np.int64),
                           np.concatenate(cols) if cols else np.zeros(0, np.int64))),
                         shape=(first + n_order, n + K * P))
    A = (main + order).tocsr()
    b = np.r_[np.asarray(rhs, dtype=float), np.zeros(n_order)]
    lb = np.zeros(n + K * P)
    lb[n + (np.arange(P)[:, None] * K + np.flatnonzero(rd.existing)[None, :]).ravel()] = 1.0
    res = linprog(np.r_[-w, np.zeros(K * P)], A_ub=A if A.shape[0] else None,
                  b_ub=b if A.shape[0] else None, bounds=np.c_[lb, np.ones(n + K * P)],
                  method="highs", options={"time_limit": max(float(time_limit_s), 0.01)})
    if res.status != 0:
        log.info("capacity-pool bound: not solved (%s)", res.message)
        return PoolRelaxation(math.inf, np.zeros(n))
    bound = float(-res.fun) + float(flow_weight)
    log.info("capacity-pool bound %.6g in %.2f s", bound, time.perf_counter() - t0)
    return PoolRelaxation(bound, _energy_prices(res.ineqlin.marginals, pools, n))


def _energy_prices(marginals: npt.NDArray[np.float64],
                   pools: list[tuple[int, npt.NDArray[np.int64]]], n: int
                   ) -> npt.NDArray[np.float64]:
    """(n,) each demand row's energy price: the dual of its (year, pool) row of the LP
    (``linprog`` minimised ``-w``: its marginals are <= 0), zero for rows in no pool."""
    price = np.zeros(n)
    for k, ys in pools:
        price[ys] = -float(marginals[k])
    return price
