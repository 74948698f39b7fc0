"""A plan from the stations of several plans: the model restricted to their union.

The Lagrangian step (:mod:`siting.model.lagrange`) draws many plans, one per price
vector; on the 100k city they scatter by ~1 % of coverage (69,500-70,250 vehicles) while
sharing most of their stations (~610 stations each, 698 in the union of the best five).
Each plan is the best allocation of *its* stations; what none of them tried is a mix.

This step solves the full capacitated model (every demand-option pair of the layout, so
its plan's value is exact, no re-allocation needed) with every (option, year) outside the
union of the best plans' stations fixed closed and their allocation columns left out
(:func:`siting.model.decode.open_columns`). HiGHS solves its root LP and stops at its first
plan, the randomised rounding of that LP ("R" in its log), which it finds before any cut
round: measured on the 100k city (2 cores, 2026-12-07) the union of the five best plans
(698 of 4,299 options, 1.38M matrix entries) gave 70,420 in 11-12 s, where the best of the
five was 70,048 (the bound: 70,896). The union of the best three gave 70,357, of eight
70,339. Rounding the same LP's stations by hand (the station problem with the LP's x as
values, then the allocation LP) gave 70,329 in 17 s, and pricing rows with the LP's duals
44,893: HiGHS's rounding is kept.

HiGHS's root cut rounds do not always heed an interrupt (on this model one round ran 70 s
past a 25 s limit, after the plan was found); stopping at the first plan ends the run before
them. Were the rounding to find no plan, the step could overrun its time that way: not seen
in the six runs measured.

It is a start only (what it finds is no bound): the solve keeps whichever plan covers more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from siting._errors import SolverError
from siting.model import decode, highs
from siting.model.build import Layout
from siting.model.inputs import BoolArray, FloatArray

log = logging.getLogger(__name__)

#: How many of the best plans' stations make the union (measured above: 3, 5 and 8 gave
#: 70,357, 70,420 and 70,339 on the 100k city).
UNION_PLANS: int = 5
#: Seconds per matrix entry the union's root LP is expected to take (HiGHS, presolve off,
#: 2 cores: 7-9 s for the 100k city's 1.38M entries, ~6e-6; kept above that for a
#: loaded machine): the step is skipped when the LP would not fit in the time it has.
S_PER_NNZ: float = 1e-5


def union_plan(lay: Layout, coverage_obj: FloatArray, stations: Sequence[FloatArray], *,
               deadline: float, threads: int) -> tuple[FloatArray, float] | None:
    """The first plan HiGHS finds on ``lay`` restricted to the union of ``stations``.

    Parameters
    ----------
    lay
        The capacitated layout (state form, :func:`siting.model.build.layout`).
    coverage_obj
        Its objective without the cost tie-breaker: the plan's value is read on it.
    stations
        The x blocks (state form, 0/1) of the plans whose stations make the union.
    deadline
        ``time.perf_counter()`` instant by which the step stops.
    threads
        Solver threads.

    Returns
    -------
    (values, coverage) or None
        The plan as a column vector of ``lay`` and its coverage; None when there are fewer
        than two plans, the root LP is not expected to fit before ``deadline`` or HiGHS
        found no plan in time.
    """
    if len(stations) < 2:
        return None
    t0 = time.perf_counter()
    lb, ub, keep = _restriction(lay, stations)
    expected = _entries(lay, keep) * S_PER_NNZ
    left = deadline - time.perf_counter()
    if expected > left:
        log.info("union of %d plans skipped: its LP ~%.1f s, %.1f s left", len(stations),
                 expected, left)
        return None
    small = decode.column_subset(replace(lay, col_obj=coverage_obj), keep, lb, ub)
    left = deadline - time.perf_counter()
    try:
        raw = highs.solve_highs(small, time_limit_s=left, mip_gap=0.0, threads=threads,
                                msg=False, start=None, deadline=deadline, first_plan=True,
                                feasibility_jump=False)
    except SolverError:
        return None
    if raw.values is None:
        return None
    full = np.zeros(lay.A.shape[1])
    full[keep] = raw.values
    full[:lay.n_x] = np.round(full[:lay.n_x])
    value = float(coverage_obj @ full)
    log.info("union of %d plans: %d (option, year)s free, plan %.6g in %.2f s",
             len(stations), int(np.count_nonzero(ub[:lay.n_x])), value,
             time.perf_counter() - t0)
    return full, value


def expected_seconds(lay: Layout, stations: Sequence[FloatArray]) -> float:
    """The expected time of the root LP of ``lay`` restricted to the union of ``stations``
    (:data:`S_PER_NNZ` per matrix entry of the columns it keeps), without building it."""
    return _entries(lay, _restriction(lay, stations)[2]) * S_PER_NNZ


def _restriction(lay: Layout, stations: Sequence[FloatArray]
                 ) -> tuple[FloatArray, FloatArray, BoolArray]:
    """(lb, ub, keep): ``lay``'s column bounds with every (option, year) open in none of
    ``stations`` closed, and the columns that can then be non-zero
    (:func:`siting.model.decode.open_columns`)."""
    free = np.zeros(lay.n_x, dtype=bool)
    for x in stations:
        free |= np.asarray(x[:lay.n_x]) > 0.5
    lb, ub = decode.close_others(lay, free)
    return lb, ub, decode.open_columns(lay, lb, ub)


def _entries(lay: Layout, keep: BoolArray) -> int:
    """Matrix entries of ``lay``'s ``keep`` columns."""
    A = lay.A
    per_column = (np.bincount(A.indices, minlength=A.shape[1]) if A.format == "csr"
                  else np.diff(sp.csc_matrix(A).indptr))
    return int(per_column[keep].sum())
