r"""Swap search for the plain maximal-covering model: a better plan before HiGHS branches.

On a plain MCLP (one year, no capacities, every option the same cost, one option per site,
nothing else) the coverage step's time goes into *finding* the optimum: HiGHS proves it
as soon as its sub-MIP heuristic has found it (a clustered 2,000-point instance, p = 20:
the optimum after 17.6 s, the proof in the same node). Its reduced-cost fixing
(:func:`siting.model.phases.lp_guided`) fixed nothing there, because the greedy start was
2.4 % below the LP bound. This module hands it a plan close to the LP bound:

1. **Plans to start from**: the greedy start, and the LP relaxation's p largest x.
2. **Fill**: while fewer than p stations are open, open the one that adds most.
3. **Swap descent** (vertex substitution, Teitz & Bart 1968): close one open station and
   open one closed one, the pair that adds most, until no pair adds anything. Every pair's
   value comes from three sparse products per step: what each closed option would newly
   cover, what each open one alone covers, and what of the latter each closed option also
   covers.
4. **Kicks** (iterated local search): close two random open stations, fill and descend
   again, keep the plan when it covers no less; stop after p rounds without a better plan
   (at most 10 p rounds; seeded, so a run is reproducible).

Measured (2 cores, 2026-12-07, benchmarks/README.md "fifth session"): on the clustered
2,000-point instances with p = 20 the coverage step's plan went from 123,088 to 130,081 (r =
800 m, optimum 130,181) and from 176,282 to 180,447 (r = 1,600 m, optimum 180,579) in
0.1-0.5 s, and the solves from 6.5 s to 3.5 s and from 17.5 s to 9.2 s; on the hard random
5,000 × 500 MCLP from 207,331 to 214,098 in 0.14 s, after which HiGHS proved the optimum
(215,181) within the 120 s it had not closed before (gap 0.32 %).

Every plan keeps p stations at one cost each, so it fits the budget; the caller still
checks it against every row. A heuristic: the optimum is still the solver's to prove.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from siting.model.build import Layout
from siting.model.inputs import BoolArray, FloatArray
from siting.model.reduce import Reduced

__all__ = ["MAX_PAIRS", "plain_mclp_size", "plan_vector", "swap_plan"]

#: Rounds of the perturbation after the descent, per station (see :meth:`_Search.kick`).
KICK_ROUNDS: int = 10
#: The perturbation stops after this many rounds per station without a better plan.
STALL: int = 1
#: Stations closed by one perturbation.
KICK_SIZE: int = 2
#: The search holds a p × options table of swap values: not above this many cells
#: (8 bytes each, twice).
MAX_PAIRS: int = 20_000_000


def plain_mclp_size(rd: Reduced, lay: Layout) -> int:
    """The number of stations p when ``rd`` is a plain MCLP (see the module docstring),
    else 0.

    Plain: one year, no allocation or flow columns, no zone minimums, grid limits, supply,
    existing stations or vehicle limits, one option per site, and every option of the same
    positive cost, so that the budget allows exactly p of them.
    """
    n = rd.n_options
    if (n == 0 or rd.n_years != 1 or lay.n_z or lay.n_h or rd.flows or rd.zone_min
            or rd.grid is not None or rd.supply is not None or rd.existing.any()
            or rd.has_vehicle_limits() or lay.n_x != n or lay.n_y != rd.n_rows):
        return 0
    cost = np.asarray(rd.cost, dtype=float)
    if not (cost[0] > 0 and np.all(cost == cost[0])) or len(np.unique(rd.site)) != n:
        return 0
    budget = float(rd.budget_total)
    if rd.budget_by_year is not None and len(rd.budget_by_year):
        budget = min(budget, float(rd.budget_by_year[0]))
    if not math.isfinite(budget):
        return n
    return int(min(n, math.floor(budget / cost[0] + 1e-9)))


def swap_plan(rd: Reduced, p: int, guides: list[FloatArray], *,
              deadline: float) -> BoolArray | None:
    """The best plan of p options reached from each guide by fill and swap descent.

    Parameters
    ----------
    rd
        A plain MCLP (:func:`plain_mclp_size` gave ``p``).
    p
        Stations to open.
    guides
        (n_options,) scores, one array per starting plan: its p largest are opened first
        (a plan's 0/1 x, or the LP relaxation's x).
    deadline
        ``time.perf_counter()`` instant: the search stops there with what it has.

    Returns
    -------
    numpy.ndarray or None
        (n_options,) open options; None when ``p`` or ``guides`` is empty, or the swap table
        would exceed :data:`MAX_PAIRS` cells.
    """
    if p <= 0 or not guides or p * rd.n_options > MAX_PAIRS:
        return None
    C = sp.csr_matrix(rd.cover, dtype=float)
    C.data[:] = 1.0
    search = _Search(C, np.asarray(rd.weight, dtype=float))
    best: BoolArray | None = None
    best_val = -math.inf
    for g in guides:
        open_ = np.zeros(rd.n_options, dtype=bool)
        order = np.argsort(-np.asarray(g, dtype=float), kind="stable")
        open_[order[:p][np.asarray(g, dtype=float)[order[:p]] > 1e-9]] = True
        open_ = search.descend(open_, p, deadline)
        val = search.value(open_)
        if val > best_val:
            best, best_val = open_, val
        if time.perf_counter() >= deadline:
            break
    if best is not None:
        best = search.kick(best, p, KICK_ROUNDS * p, deadline)
    return best


def plan_vector(rd: Reduced, lay: Layout, open_: BoolArray) -> FloatArray:
    """The layout's column vector of a plain MCLP plan: x = the open options, y = 1 for
    every row one of them covers (within the column's bounds)."""
    v = np.zeros(lay.A.shape[1])
    v[:lay.n_x] = open_.astype(float)
    covered = (sp.csr_matrix(rd.cover) @ open_.astype(float)) > 0
    v[lay.oy:lay.oy + lay.n_y] = covered.astype(float)
    return np.clip(v, lay.col_lb, lay.col_ub)


class _Search:
    """Fill and swap descent on one cover matrix (rows × options, 0/1) and row weights."""

    def __init__(self, C: sp.csr_matrix, w: FloatArray) -> None:
        self.C = C
        self.CT = sp.csr_matrix(C.T)
        self.Ccsc = sp.csc_matrix(C)
        self.w = w

    def value(self, open_: BoolArray) -> float:
        """Weight of the rows the plan covers."""
        return float(self.w @ ((self.C @ open_.astype(float)) > 0))

    def descend(self, open_: BoolArray, p: int, deadline: float) -> BoolArray:
        """Fill up to p stations, then swap while a swap adds weight (or time is out)."""
        open_ = open_.copy()
        cnt = self.C @ open_.astype(float)
        while open_.sum() < p and time.perf_counter() < deadline:
            gain = self.CT @ (self.w * (cnt == 0))
            gain[open_] = -1.0
            j = int(np.argmax(gain))
            if gain[j] <= 0:
                break
            open_[j] = True
            cnt += self._col(j)
        while time.perf_counter() < deadline:
            opened = np.flatnonzero(open_)
            if not len(opened) or open_.all():
                break
            gain = self.CT @ (self.w * (cnt == 0))      # newly covered by opening j
            alone = self.Ccsc[:, opened].multiply((self.w * (cnt == 1))[:, None])
            U = sp.csc_matrix(alone)                   # rows only open k covers, weighted
            loss = np.asarray(U.sum(axis=0)).ravel()    # lost by closing k
            kept = (U.T @ self.C).toarray()             # of those, what j covers again
            delta = gain[None, :] - loss[:, None] + kept
            delta[:, open_] = -np.inf
            k, j = (int(a) for a in np.unravel_index(int(np.argmax(delta)), delta.shape))
            if delta[k, j] <= 1e-9 * max(1.0, float(self.w.sum())):
                break
            i = int(opened[k])
            open_[i], open_[j] = False, True
            cnt += self._col(j) - self._col(i)
        return open_

    def kick(self, open_: BoolArray, p: int, rounds: int, deadline: float) -> BoolArray:
        """Iterated local search: close :data:`KICK_SIZE` random open stations, fill and
        descend again; keep the result when it covers no less (seeded: reproducible)."""
        rng = np.random.default_rng(0)
        best, best_val = open_, self.value(open_)
        stall = 0
        for _ in range(rounds):
            if time.perf_counter() >= deadline or stall >= STALL * p:
                break
            stall += 1
            opened = np.flatnonzero(best)
            if len(opened) <= KICK_SIZE:
                break
            trial = best.copy()
            trial[rng.choice(opened, KICK_SIZE, replace=False)] = False
            trial = self.descend(trial, p, deadline)
            val = self.value(trial)
            if val > best_val:
                stall = 0
            if val >= best_val:
                best, best_val = trial, val
        return best

    def _col(self, j: int) -> FloatArray:
        """Column j of the cover matrix as a dense 0/1 vector."""
        out = np.zeros(self.C.shape[0])
        a, b = self.Ccsc.indptr[j], self.Ccsc.indptr[j + 1]
        out[self.Ccsc.indices[a:b]] = 1.0
        return out
