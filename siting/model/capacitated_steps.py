"""The steps a capacitated solve takes before HiGHS: bounds without the allocation LP, starts.

:meth:`siting.model.SitingModel.solve` calls these on capacitated models, in this order:

1. :func:`too_large_for_lp` decides which kind of model it is (once, from the time limit);
2. models that fit get the LP neighbourhood (:mod:`siting.model.neighbourhood`);
3. every one gets the capacity-pool relaxation (:func:`pool_relaxation`);
4. large ones get the Lagrangian step (:func:`lagrangian_step`), the others the
   uncapacitated relaxation first (:func:`relax_first`).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from siting.model import decode, highs, lagrange, neighbourhood, phases, poolbound, union
from siting.model.build import Layout, layout
from siting.model.inputs import FloatArray
from siting.model.reduce import Reduced

log = logging.getLogger(__name__)

#: Share of the time left that a capacitated model too large for its LP gives the
#: Lagrangian bound and its plans (:mod:`siting.model.lagrange`). What is left goes to HiGHS
#: on the full model, which on such models does not finish its root LP: at 0.9 the 100k
#: city's last 17 s were spent that way (2026-12-07, seventh session).
LAGRANGE_SHARE: float = 0.97
#: ... run only when that share is at least this many seconds.
LAGRANGE_MIN_S: float = 2.0
#: Share of that step's time left at its end when the union of its best plans' stations
#: is solved (:mod:`siting.model.union`; not when its root LP is not expected to fit).
UNION_SHARE: float = 0.2
#: ... and expected to grow the start's restricted model by this factor (its root LP's time).
UNION_GROWTH: float = 1.5
#: Capacitated models of more matrix entries than this get the Lagrangian step whatever
#: the time limit: no root LP of such a model was solved within 120 s here (the 10k city:
#: 4.3M entries; the 100k city with 10 allocation options per row: 3.2M), where the
#: bundled scenario's 0.26M take ~2 s.
LAGRANGE_MIN_ENTRIES: int = 1_000_000


def too_large_for_lp(rd: Reduced, lay: Layout, seconds: float) -> bool:
    """Whether a capacitated model (its reduced instance and layout) gets the Lagrangian step
    instead of LP-guided ones: it has allocation columns, and more than
    :data:`LAGRANGE_MIN_ENTRIES` matrix entries or a guide LP that does not fit in the LP
    neighbourhood's share of ``seconds`` (:func:`siting.model.neighbourhood.guide_lp_fits`)."""
    return lay.n_z > 0 and (lay.A.nnz > LAGRANGE_MIN_ENTRIES or not neighbourhood.guide_lp_fits(
        rd, neighbourhood.SHARE * seconds))


def pool_relaxation(rd: Reduced, lay: Layout, coverage_obj: FloatArray, deadline: float
                    ) -> poolbound.PoolRelaxation:
    """:func:`siting.model.poolbound.pool_relaxation` of the model (rows and flows at their
    weight in ``coverage_obj``), given at most a tenth of the time left."""
    flows = float(np.clip(coverage_obj[lay.oh:lay.oh + lay.n_h], 0, None).sum())
    left = deadline - time.perf_counter()
    if left <= 0.05:
        return poolbound.PoolRelaxation(math.inf, np.zeros(rd.n_rows))
    return poolbound.pool_relaxation(rd, coverage_obj[lay.oy:lay.oy + lay.n_y], flows,
                                     time_limit_s=0.1 * left)


def lagrangian_step(rd: Reduced, lay: Layout, coverage_obj: FloatArray,
                    pool: poolbound.PoolRelaxation, start: FloatArray | None, bound: float, *,
                    deadline: float, threads: int) -> tuple[float, FloatArray | None]:
    """(bound, start) tightened by :func:`siting.model.lagrange.lagrangian`, run for
    :data:`LAGRANGE_SHARE` of the time left when that is at least :data:`LAGRANGE_MIN_S`;
    unchanged otherwise. With :data:`UNION_SHARE` of that time left, the model restricted to
    the union of the best plans' stations is solved for a plan
    (:func:`siting.model.union.union_plan`), when its root LP is expected to fit in it.

    For models too large for LP-guided steps (:func:`too_large_for_lp`): where the LP fits,
    its bound is at least as tight (the bundled scenario: 1,848 against 1,869) and the LP
    neighbourhood finds better plans.
    """
    t0 = time.perf_counter()
    step = LAGRANGE_SHARE * (deadline - t0)
    if step < LAGRANGE_MIN_S or not highs.highs_available():
        return bound, start
    # time for the union of the best plans only when its root LP is expected to fit,
    # estimated from the start's stations grown by UNION_GROWTH (on the 100k city the
    # union of the best five plans had 698 (option, year)s, each plan ~610)
    share = UNION_SHARE if start is not None and UNION_GROWTH * union.expected_seconds(
        lay, [start]) <= UNION_SHARE * step else 0.0
    lag = lagrange.lagrangian(rd, lay, coverage_obj, pool.price, start=start, threads=threads,
                              deadline=t0 + step, keep=union.UNION_PLANS,
                              union_at=t0 + (1 - share) * step if share else math.inf)
    if lag.plan is not None:  # it covers more than the start
        start = lag.plan
    return min(bound, lag.bound), start


def relax_first(rd: Reduced, lay: Layout, start: FloatArray | None, *, deadline: float,
                threads: int) -> tuple[float, FloatArray | None]:
    """Solve the uncapacitated relaxation until ``deadline``: (its bound, best start).

    The bound (the relaxation's proven optimum, or its solver bound) bounds every
    capacitated plan; the relaxation's plan, allocated within the capacities
    (:func:`siting.model.decode.allocation_for_plan`), replaces ``start`` (a column vector
    of the capacitated layout ``lay``) when it covers more.
    """
    ulay = layout(rd, capacitated=False, strengthen=False, tau=0.0)
    ustart = None
    if start is not None:
        ustart = np.zeros(ulay.A.shape[1])
        ustart[:ulay.n_x] = start[:lay.n_x]
        ustart[ulay.oy:ulay.oz] = np.clip(start[lay.oy:lay.oz], 0, 1)
        ustart[ulay.oh:ulay.oh + ulay.n_h] = start[lay.oh:lay.oh + lay.n_h]
    lex = phases.solve_lexicographic(
        ulay, np.zeros(ulay.A.shape[1]), highs.solve_highs, deadline=deadline,
        mip_gap=0.0, threads=threads, msg=False, start=ustart,
        coverable=rd.coverable_weight())
    raw = lex.raw
    bound = raw.bound if math.isfinite(raw.bound) else math.inf
    if raw.values is None:
        return bound, start
    v = decode.allocation_for_plan(lay, np.round(raw.values[:ulay.n_x]),
                                   time_limit_s=deadline - time.perf_counter())
    log.info("uncapacitated relaxation: %s, %.6g (bound %.6g); its plan within the "
             "capacities: %s", raw.status, float(ulay.col_obj @ raw.values), bound,
             "-" if v is None else f"{float(lay.col_obj @ v):.6g}")
    if v is not None and (start is None or lay.col_obj @ v > lay.col_obj @ start):
        start = v
    return bound, start
