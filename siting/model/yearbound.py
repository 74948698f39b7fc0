"""The final year's bound: what no plan can cover beyond, reported when a solve stops.

A stopped solve reports its final planning year's coverage as a range, up to this bound
(:attr:`siting.model.Solution.year_bound`). It is the best of three relaxations, each
dropping what makes the model hard: the uncapacitated model with that year's weight as its
only objective (its MIP bound, or its LP), the capacity-pool bound
(:func:`siting.model.poolbound.pool_bound`, capacitated models) and the year's whole weight.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from siting._errors import SolverError
from siting.model import highs, phases, poolbound
from siting.model.build import layout
from siting.model.reduce import Reduced

#: Seconds per matrix entry HiGHS takes on the uncapacitated layout before it looks at its
#: limit (measured with a 0.01 s limit: 0.50 s for the 10k city's 1.44M entries, 0.05 s for
#: a 10k x 1k MCLP's 0.13M): :func:`year_bound` skips its MIP below that.
BOUND_RUN_MIN_S_PER_NNZ: float = 4e-7


def year_bound(rd: Reduced, p: int, *, capacitated: bool, deadline: float,
               threads: int = 2) -> float:
    """A proven upper bound on the point-demand weight any plan covers in year ``p``.

    The uncapacitated model (every other constraint kept) with year ``p``'s covered weight
    as its only objective is solved until ``deadline``; its MIP bound (or, with no time, its
    LP bound; at worst the year's whole weight) bounds what any plan — the capacitated ones
    included — covers that year. A capacitated model also takes the year's capacity-pool
    bound when lower. The MIP is skipped when the time left is below HiGHS's set-up
    (:data:`BOUND_RUN_MIN_S_PER_NNZ`), the LP when it would not fit either. NaN when no time
    is left at all. Weight as in :class:`~siting.model.ModelInput`.
    """
    total = float(rd.weight[rd.year == p].sum())
    left = deadline - time.perf_counter()
    if left <= 0.05 or total <= 0:
        return total if left > 0.05 else math.nan
    pool = (poolbound.pool_bound(rd, np.where(rd.year == p, rd.weight, 0.0),
                                 time_limit_s=0.1 * left)
            if capacitated else math.inf)
    lay = layout(rd, capacitated=False, strengthen=False, tau=0.0)
    obj = np.zeros(lay.A.shape[1])
    obj[lay.oy:lay.oz] = np.where(rd.year == p, rd.weight, 0.0)
    lay = replace(lay, col_obj=obj)
    left = deadline - time.perf_counter()
    if left < BOUND_RUN_MIN_S_PER_NNZ * lay.A.nnz:
        return min(total, pool)  # HiGHS would overrun the limit setting up
    try:
        # only the bound is wanted: no feasibility jump (it cannot be interrupted; on a
        # 10k x 1k MCLP it held a 1 s solve to 1.6 s one time in three)
        r = highs.solve_highs(lay, time_limit_s=left, mip_gap=0.0, threads=threads,
                              msg=False, start=None, deadline=deadline,
                              feasibility_jump=False)
    except SolverError:
        return min(total, pool)
    if r.values is not None and math.isfinite(r.bound):
        return float(min(r.bound, total, pool))
    left = deadline - time.perf_counter()
    # the LP is not interrupted: run it only when it is expected to fit
    lp = (highs.lp_bound(lay, time_limit_s=left, threads=threads)
          if left > max(0.05, phases.LP_S_PER_NNZ * lay.A.nnz) else math.inf)
    return float(min(lp, total, pool))
