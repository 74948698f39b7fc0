r"""A better start for capacitated models: the plans the LP relaxation points at.

The capacitated model's root LP is slow (the bundled scenario: 8-17 s on 2 cores for 61k
allocation columns) and its bound hardly moves under HiGHS's cuts, so within a planner's
time limit HiGHS mostly works on the root and its incumbent stays where the warm start left
it. Its best plans came from its sub-MIP heuristic, late. This step asks that question
early and on a smaller model (a relaxation-induced neighbourhood, "RENS"):

1. **Guide LP.** The LP relaxation of the model with each demand row allowed to draw on
   its ``k_guide`` nearest options only (:func:`nearest_cover`; ~1 s on the bundled
   scenario), in the opening-year form.
2. **Neighbourhood.** Every (option, year) the guide LP opens at all, plus the start's
   stations: everything else is fixed closed.
3. **Sub-MIP.** That neighbourhood on the model with each row drawing on its ``k_sub``
   nearest options, solved by HiGHS for a share of the time left, from the start. The
   allocation columns of the (option, year)s fixed closed are left out of it
   (:func:`siting.model.decode.open_columns`: 36k columns to 9k on the bundled scenario;
   HiGHS's presolve, off here, would otherwise carry them through every LP).
4. **Exact value.** Every plan the sub-MIP found on the way (HiGHS's improving-solution
   callback), allocated on the full model
   (:func:`siting.model.decode.allocation_for_plan`): every demand-option pair again, so a
   plan covers at least what the sub-MIP found; the best of them is kept (the sub-MIP's
   last plan is not always the full model's best: on the bundled scenario a sub-MIP plan
   worth 1,783.5 was worth 1,787.6 on the full model, an earlier one of 1,780.2 worth
   1,796.3).

It only proposes a start: the full MIP still runs from it, and its bound is the full
model's. Measured on the bundled scenario (2 cores shared, 30 s limit): see
``benchmarks/README.md``, "Proving the plan".
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from siting.model import decode, highs
from siting.model.build import Layout, layout
from siting.model.inputs import FloatArray, ModelInput
from siting.model.reduce import Reduced, nearest_options
from siting.model.reform import opening_form

log = logging.getLogger(__name__)

#: Nearest options per demand row in the guide LP and in the sub-MIP (measured on the
#: bundled scenario: k = 10 in both lost 2.5 % of the plan's coverage to the restriction;
#: a k = 20 sub-MIP found the best plans; the full allocation was slower to the same plans).
K_GUIDE: int = 10
K_SUB: int = 20
#: Share of the time left that the neighbourhood step may take (guide LP and sub-MIP).
SHARE: float = 0.7
#: HiGHS's ``mip_heuristic_effort`` in the sub-MIP (its default 0.05 found the bundled
#: scenario's 1,772 plan after 10.5 s, 0.3 after 6.9 s; 1 thread, loaded machine). With the
#: closed columns left out, 0.6 reached a plan worth 1,796.3 or more on the full model with
#: each of HiGHS's random seeds 0-6 within 8.4 s of sub-MIP (seed 3 through an earlier plan
#: than its last: step 4); 0.3 with one of seeds 0-2 (worst 1,762.4); 1.0 did no better
#: than 0.6 (2 cores, 2026-12-07).
HEURISTIC_EFFORT: float = 0.6
#: The step is skipped below this many seconds left (the guide LP alone takes ~1 s) ...
MIN_SECONDS: float = 4.0
#: ... and when the guide LP is estimated (s per matrix entry, as
#: :data:`siting.model.phases.LP_S_PER_NNZ`) to take more than this share of the step.
GUIDE_SHARE: float = 0.3


@dataclass(frozen=True)
class Neighbourhood:
    """What :func:`lp_neighbourhood` found.

    Attributes
    ----------
    start
        The full model's column vector of the best plan (the given start when nothing
        better was found), or None.
    guide_bound
        The guide LP's optimum (of the restricted model: no bound on the full one).
    free
        (option, year) columns left free in the sub-MIP.
    seconds
        Wall time, s.
    """

    start: FloatArray | None
    guide_bound: float
    free: int
    seconds: float


def better_start(mi: ModelInput, rd: Reduced, lay: Layout, start: FloatArray | None, *,
                 deadline: float, threads: int) -> FloatArray | None:
    """``start``, or a better plan from :func:`lp_neighbourhood` run for :data:`SHARE` of the
    time left before ``deadline`` (skipped when that is under :data:`MIN_SECONDS` or the
    guide LP would not fit in :data:`GUIDE_SHARE` of it)."""
    now = time.perf_counter()
    step = SHARE * (deadline - now)
    if step < MIN_SECONDS or not guide_lp_fits(rd, step):
        log.info("LP neighbourhood skipped: %.1f s for the step, guide LP of ~%d entries",
                 step, guide_lp_entries(rd))
        return start
    return lp_neighbourhood(mi, rd, lay, start, deadline=now + step, threads=threads).start


def guide_lp_entries(rd: Reduced) -> int:
    """Estimated matrix entries of the guide LP: ~5 per allocation column (measured: 4.6 on
    the bundled scenario), whose columns are at most :data:`K_GUIDE` per row and year."""
    return 5 * int(np.minimum(np.diff(rd.cover.indptr), K_GUIDE).sum())


def guide_lp_fits(rd: Reduced, step: float) -> bool:
    """Whether the guide LP is expected (:data:`siting.model.phases.LP_S_PER_NNZ`) to take
    at most :data:`GUIDE_SHARE` of a step of ``step`` seconds: where it does not, the model
    is too large for LP-guided steps."""
    from siting.model.phases import LP_S_PER_NNZ

    return guide_lp_entries(rd) * LP_S_PER_NNZ <= GUIDE_SHARE * step


def nearest_cover(mi: ModelInput, rd: Reduced, k: int) -> sp.csr_matrix:
    """The reduced cover pattern with each row's ``k`` nearest options only.

    Travel times come from the input's cover matrix (a reduced row's times are those of
    any input row merged into it: merged rows share their node). Entries the input does
    not time rank last.
    """
    cov = rd.cover
    if k <= 0 or np.diff(cov.indptr).max(initial=0) <= k:
        return cov
    rep = np.zeros(rd.n_rows, dtype=np.int64)
    ins = np.flatnonzero(rd.row_of >= 0)
    rep[rd.row_of[ins]] = ins
    times = sp.csr_matrix(mi.cover)[rep][:, rd.opt].tocsr()
    times.sort_indices()
    rows = np.repeat(np.arange(rd.n_rows), np.diff(cov.indptr))
    key = rows * rd.n_options + cov.indices
    t_rows = np.repeat(np.arange(rd.n_rows), np.diff(times.indptr))
    t_key = t_rows * rd.n_options + times.indices
    at = np.clip(np.searchsorted(t_key, key), 0, max(len(t_key) - 1, 0))
    found = (len(t_key) > 0) & (t_key[at] == key) if len(t_key) else np.zeros(len(key), bool)
    t = np.where(found, times.data[at] if len(t_key) else 0.0, np.inf)
    timed = sp.csr_matrix((t + 1.0, cov.indices, cov.indptr), shape=cov.shape)
    near = nearest_options(timed, k)
    return sp.csr_matrix((np.ones(near.nnz), near.indices, near.indptr), shape=cov.shape)


def lp_neighbourhood(mi: ModelInput, rd: Reduced, lay: Layout, start: FloatArray | None, *,
                     deadline: float, threads: int, k_guide: int = K_GUIDE,
                     k_sub: int = K_SUB) -> Neighbourhood:
    """The best plan in the guide LP's neighbourhood (see the module docstring).

    Parameters
    ----------
    mi, rd, lay
        The model's input, reduced instance and (capacitated, state-form) layout.
    start
        A feasible column vector of ``lay`` (kept in the neighbourhood) or None.
    deadline
        ``time.perf_counter()`` instant by which the step stops.
    threads
        Solver threads.
    k_guide, k_sub
        Nearest options per demand row in the guide LP and in the sub-MIP.

    Returns
    -------
    Neighbourhood
        ``start`` is the better of the given start and the sub-MIP's plan.
    """
    t0 = time.perf_counter()
    best = start
    best_val = -math.inf if start is None else float(lay.col_obj @ start)
    guide_x, guide_bound = _guide_lp(mi, rd, k_guide, deadline=deadline, threads=threads)
    if guide_x is None:
        return Neighbourhood(best, math.inf, 0, time.perf_counter() - t0)
    free = guide_x > 1e-6
    if start is not None:
        free |= start[:lay.n_x] > 0.5
    sub = layout(replace(rd, cover=nearest_cover(mi, rd, k_sub)), capacitated=True,
                 strengthen=False, tau=0.0)
    lb, ub = decode.close_others(sub, free)
    sub = replace(sub, col_ub=ub, col_lb=lb)
    sub_start = None if start is None else decode.allocation_for_plan(
        sub, start[:lay.n_x], time_limit_s=deadline - time.perf_counter())
    # the closed (option, year)s' allocation columns out: 36k columns to 9k on the bundled
    # scenario, whose sub-MIP (presolve off) otherwise carries them through every LP
    keep = decode.open_columns(sub, lb, ub)
    small = decode.column_subset(sub, keep, lb, ub)
    left = deadline - time.perf_counter()
    if left > 0.2:
        found: list[FloatArray] = []
        raw = highs.solve_highs(small, time_limit_s=left, mip_gap=0.0, threads=threads,
                                msg=False, start=None if sub_start is None else sub_start[keep],
                                deadline=deadline, heuristic_effort=HEURISTIC_EFFORT,
                                on_plan=lambda v: found.append(v[:lay.n_x]))
        if raw.values is not None:
            found.append(raw.values[:lay.n_x])
        # each plan's exact value needs an LP (the sub-MIP's k nearest options are not the
        # model's); the best sub-MIP plan is not always the best one. These LPs may overrun
        # the step, not the solve (the step ends at SHARE of the time left)
        until = (max(deadline, time.perf_counter())
                 + 0.5 * (1 - SHARE) * max(deadline - t0, 0.0))
        for x in _distinct_latest_first(found):
            full = decode.allocation_for_plan(lay, x, time_limit_s=until - time.perf_counter())
            if full is not None and float(lay.col_obj @ full) > best_val:
                best, best_val = full, float(lay.col_obj @ full)
            if time.perf_counter() >= until:
                break
    log.info("LP neighbourhood: %d of %d (option, year) columns free, plan %.6g in %.2f s",
             int(free.sum()), lay.n_x, best_val, time.perf_counter() - t0)
    return Neighbourhood(best, guide_bound, int(free.sum()), time.perf_counter() - t0)


def _distinct_latest_first(plans: list[FloatArray]) -> list[FloatArray]:
    """The distinct plans (x rounded) of ``plans``, the last found first."""
    seen: set[bytes] = set()
    out = []
    for x in reversed(plans):
        r = np.round(x)
        key = decode.plan_key(r)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _guide_lp(mi: ModelInput, rd: Reduced, k: int, *, deadline: float, threads: int
              ) -> tuple[FloatArray | None, float]:
    """The guide LP's x (state form) and optimum; (None, inf) when not solved in time."""
    guide = layout(replace(rd, cover=nearest_cover(mi, rd, k)), capacitated=True,
                   strengthen=False, tau=0.0)
    form = opening_form(guide)
    left = deadline - time.perf_counter()
    if left <= 0.1:
        return None, math.inf
    h = highs.solve_relaxation(form.layout, time_limit_s=left, threads=threads,
                               deadline=deadline)
    if h is None:
        return None, math.inf
    u = np.asarray(h.getSolution().col_value, dtype=float)
    return form.to_state(u)[:guide.n_x], float(h.getInfo().objective_function_value)
