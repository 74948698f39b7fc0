r"""Lexicographic solve: the most coverage first, then the least cost at that coverage.

The model's objective is covered weight; among plans covering the same weight a planning
bureau wants the cheapest. :mod:`siting.model` used to fold both into one objective
(coverage :math:`- \varepsilon \cdot` cost). That is exact only as far as :math:`\varepsilon`
allows and it makes the solver prove two things at once: on saturated instances (every
point can be covered) HiGHS proved full coverage in seconds and then spent the whole time
limit on the cheapest way to get it, with a tiny, badly scaled objective term
(benchmarks/README.md, finding 1). Here the two questions are asked one after the other:

1. **Coverage.** Maximise covered weight :math:`W(v)` (the layout's objective with the
   tie-breaker removed). When the warm start already covers everything coverable, this is
   proven without a solve.
2. **Cost.** If step 1 proved its optimum :math:`W^*`: minimise the tie-breaker cost
   (capex plus ``option_tiebreak``, CNY) subject to :math:`W(v) \ge W^* - \delta`, starting
   from step 1's plan; :math:`\delta` = :func:`coverage_slack` (a billionth, for rounding).
   When every cost is a whole multiple of one step (:func:`cost_grid`), a gap below that
   step proves the cheapest plan.

Both steps run on the opening-year form (:mod:`siting.model.reform`) and share one deadline.
If step 2 runs out of time its best plan (never dearer than step 1's) is kept and
:attr:`LexResult.cost_status` says ``"time_limit"``; the coverage is still proven.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from siting.model.build import Layout, equilibrate_rows
from siting.model.inputs import FloatArray, RawResult
from siting.model.reform import OpeningForm, opening_form

log = logging.getLogger(__name__)

#: ``run(layout, time_limit_s=, mip_gap=, threads=, msg=, start=, deadline=)`` -> RawResult
Runner = Callable[..., RawResult]
#: ``improve(lp_values, start, deadline)`` -> a better plan or None, all in the state form's
#: columns (e.g. :func:`siting.model.swap.swap_plan` on a plain MCLP).
Improver = Callable[[FloatArray, FloatArray | None, float], FloatArray | None]
#: Share of the time left the improver may take after the LP relaxation.
IMPROVE_SHARE: float = 0.1
#: The cost step may take this many times the coverage step's time (see
#: :func:`solve_lexicographic`): the secondary question gets no more effort than the first.
COST_EFFORT: float = 1.0
#: ... but at least this long, s (within the time limit).
COST_MIN_S: float = 2.0
#: Share of the time left the set cover (:func:`siting.model.setcover.full_cover`) may take
#: before HiGHS is asked for a full cover instead.
SET_COVER_SHARE: float = 0.25
#: Step 2 runs HiGHS's feasibility jump when its expected time is within this share of the
#: step (see :data:`siting.model.highs.FJ_S_PER_NNZ`).
COST_JUMP_SHARE: float = 0.75
#: Step 2 stops when its gap is below this share of the costs' step (:func:`cost_grid`):
#: no cheaper plan fits in the gap. Below 1 so that rounding cannot hide one.
CLOSE_ENOUGH: float = 0.99
#: Expected seconds of the LP relaxation per matrix entry (simplex, 2 cores; the bundled
#: capacitated LP took ~2 s for 0.26M entries). The LP first step runs only when that
#: fits in a quarter of the time left: HiGHS does not always stop its LP on request.
LP_S_PER_NNZ: float = 1e-5
#: Seconds per matrix entry a MIP run needs before it can find anything: HiGHS's set-up,
#: which it does not interrupt. Measured on the 10k city's 4.3M entries with a start: limits
#: of 1-2 s returned after 2.5 s, limits of 3-5 s after 8.2-8.7 s with no LP iteration done
#: (7.4 s of set-up). With less time left than this and a plan in hand, step 1 returns the
#: plan (the same one HiGHS would have) instead of overrunning the limit.
RUN_MIN_S_PER_NNZ: float = 2e-6


@dataclass(frozen=True)
class LexResult:
    """Outcome of :func:`solve_lexicographic`, in the state form's columns.

    Attributes
    ----------
    raw
        Status, values, bound and gap *of the coverage* (step 1); values are the final plan
        (step 2's when it ran). ``raw.bound`` bounds covered weight.
    cost_status
        ``"optimal"`` (least cost at that coverage proven), ``"time_limit"`` (step 2
        stopped early: the plan may not be the cheapest), ``"not_run"`` (step 1 was not
        proven, or no time was left) or ``"none"`` (nothing to minimise: no costs).
    cost_seconds
        Wall time of step 2, s.
    """

    raw: RawResult
    cost_status: str
    cost_seconds: float = 0.0


def coverage_slack(w_star: float) -> float:
    """Coverage step 2 may give up for rounding: a billionth of ``w_star`` (at least 1e-9)."""
    return 1e-9 * max(1.0, abs(w_star))


def cost_grid(cost: FloatArray) -> float:
    """The largest step ``g`` with every nonzero cost a whole multiple of it (0: none found).

    Then any two plans' costs differ by a multiple of ``g``, so a plan whose cost is within
    less than ``g`` of a proven lower bound is the cheapest (step 2 stops there instead of
    closing the last fraction of a unit by branching: a count budget's 20 stations against
    an LP bound of 19.92, 2-7 s on clustered 2,000-point MCLPs). Costs are tried as whole
    numbers after scaling by 1, 10, ..., 10⁶ (CNY, or millions of CNY to the yuan).
    """
    c = np.abs(np.asarray(cost, dtype=float))
    if not np.isfinite(c).all():
        return 0.0
    c = c[c > 0]
    if not len(c):
        return 0.0
    for k in range(7):
        ck = c * 10.0 ** k
        r = np.round(ck)
        if ck.max() < 2.0 ** 52 and np.all(np.abs(ck - r) <= 1e-9 * np.maximum(1.0, ck)):
            return float(np.gcd.reduce(r.astype(np.int64))) / 10.0 ** k
    return 0.0


def solve_lexicographic(lay: Layout, cost: FloatArray, run: Runner, *, deadline: float,
                        mip_gap: float, threads: int, msg: bool, start: FloatArray | None,
                        coverable: float, lp_first: bool = True,
                        cost_effort: float = COST_EFFORT, bound: float = math.inf,
                        improve: Improver | None = None) -> LexResult:
    """Coverage first, then least cost at that coverage (see the module docstring).

    Parameters
    ----------
    lay
        The layout with the *coverage* objective (no tie-breaker).
    cost
        (n_columns,) cost of each column for step 2 (CNY; zeros where none).
    run
        The MIP back-end (:func:`siting.model.highs.solve_highs`).
    deadline
        ``time.perf_counter()`` instant by which both steps must have stopped.
    mip_gap
        Relative gap at which step 1 may stop (step 2 always asks for 0).
    threads, msg
        Solver threads; print the solver's log.
    start
        A feasible column vector (state form) or None.
    coverable
        Weight no plan can exceed (every row and flow covered).
    lp_first
        Start step 1 from its LP relaxation (:func:`lp_guided`): an integral LP proves the
        optimum, an LP covering everything sends step 1 to :func:`_cover_all`, and columns
        are fixed by reduced cost.
    cost_effort
        Step 2 may take at most ``cost_effort`` × step 1's time (at least
        :data:`COST_MIN_S`), within the deadline; ``inf`` = until the deadline.
    bound
        A proven upper bound on coverage known beforehand (e.g. a relaxation's optimum): a
        start reaching it proves step 1 without a solve, and step 1's bound never exceeds it.
    improve
        A heuristic run on the LP relaxation's values before the columns are fixed by
        reduced cost (:func:`lp_guided`): a better plan there fixes more.

    Returns
    -------
    LexResult
    """
    t0 = time.perf_counter()
    form = opening_form(lay)
    raw, lp = _coverage_step(lay, form, cost, run, deadline=deadline, mip_gap=mip_gap,
                             threads=threads, msg=msg, start=start, coverable=coverable,
                             lp_first=lp_first, bound=bound, t0=t0, improve=improve)
    if raw.values is None or raw.status != "optimal":
        return LexResult(raw, "not_run")
    if not (np.abs(cost) > 0).any():
        return LexResult(raw, "none")
    if lp is not None and no_cheaper_plan(form, cost, raw.values, lp,
                                          tol=coverage_slack(coverable)):
        log.info("least cost at coverage %.6g: proven by the LP's budget dual, no solve",
                 float(lay.col_obj @ raw.values))
        return LexResult(raw, "optimal")
    return _cost_step(lay, form, cost, run, raw, deadline=deadline, threads=threads, msg=msg,
                      tol=coverage_slack(coverable), cost_effort=cost_effort, t0=t0)


def _coverage_step(lay: Layout, form: OpeningForm, cost: FloatArray, run: Runner, *,
                   deadline: float, mip_gap: float, threads: int, msg: bool,
                   start: FloatArray | None, coverable: float, lp_first: bool, bound: float,
                   t0: float, improve: Improver | None = None
                   ) -> tuple[RawResult, LpStart | None]:
    """Step 1: the most coverage (values in the state form; arguments as in
    :func:`solve_lexicographic`, ``t0`` its start), and the LP relaxation's outcome when it
    was solved.

    Proven without a solve when the start reaches ``min(coverable, bound)`` or the LP
    relaxation is integral; else by :func:`_cover_all` when the LP covers everything (and
    there is a cost to minimise), or by :func:`_coverage_mip`.
    """
    ulay = form.layout
    ustart = None if start is None else form.from_state(start)
    start_cov = -math.inf if start is None else float(lay.col_obj @ start)
    tol = coverage_slack(coverable)
    top = min(coverable, bound)
    if start is not None and start_cov >= top - coverage_slack(top):
        # the start reaches what no plan can exceed: step 1 needs no solve
        log.info("coverage: the start reaches the bound %.6g; proven without a solve", top)
        return RawResult("optimal", start, start_cov, 0.0, 0.0, start_cov), None
    lp = LpStart(math.inf, ustart)
    if lp_first and ulay.A.nnz * LP_S_PER_NNZ <= 0.25 * (deadline - time.perf_counter()):
        in_form = None if improve is None else _in_form(form, improve)
        lp = lp_guided(ulay, ustart, deadline=deadline, threads=threads, improve=in_form)
    if lp.proven and lp.start is not None:
        return (RawResult("optimal", form.to_state(lp.start), lp.bound, 0.0, 0.0, lp.bound),
                lp)
    full = None
    if math.isfinite(lp.bound) and lp.bound >= coverable - tol and (np.abs(cost) > 0).any():
        full = _cover_all(form, cost, run, deadline=deadline, threads=threads, msg=msg, t0=t0)
    raw = full if full is not None else _coverage_mip(
        form, lp, run, deadline=deadline, mip_gap=mip_gap, threads=threads, msg=msg)
    return _within_bound(lay, raw, bound, mip_gap), (lp if math.isfinite(lp.bound) else None)


def _in_form(form: OpeningForm, improve: Improver) -> Improver:
    """``improve`` (state form) on the opening form's columns."""
    def run(u: FloatArray, start: FloatArray | None, deadline: float) -> FloatArray | None:
        got = improve(form.to_state(u), None if start is None else form.to_state(start),
                      deadline)
        return None if got is None else form.from_state(got)
    return run


def _within_bound(lay: Layout, raw: RawResult, bound: float, mip_gap: float) -> RawResult:
    """``raw`` with its coverage bound capped at the known ``bound`` (when it has a plan); a
    plan within the gap (or the rounding slack) of that bound is then proven optimal."""
    if raw.values is not None and math.isfinite(bound) and not (raw.bound <= bound):
        got = float(lay.col_obj @ raw.values)
        raw = replace(raw, bound=bound)
        if raw.status != "optimal" and got >= bound - max(
                coverage_slack(bound), mip_gap * abs(bound)):
            raw = replace(raw, status="optimal", gap=0.0)
    return raw


def _cost_step(lay: Layout, form: OpeningForm, cost: FloatArray, run: Runner, raw: RawResult,
               *, deadline: float, threads: int, msg: bool, tol: float, cost_effort: float,
               t0: float) -> LexResult:
    """Step 2: the least cost at step 1's proven coverage ``raw`` (see the module docstring).

    Runs until ``cost_effort`` × step 1's time (at least :data:`COST_MIN_S`) or the
    deadline; keeps step 1's plan when step 2 finds none, or one with less coverage (beyond
    ``1e3 × tol``) or more cost.
    """
    assert raw.values is not None
    w_star = float(lay.col_obj @ raw.values)
    t1 = time.perf_counter()
    end = min(deadline, t1 + max(COST_MIN_S, cost_effort * (t1 - t0)))
    if end - t1 <= 0.05:
        return LexResult(raw, "not_run")
    from siting.model.highs import FJ_S_PER_NNZ

    clay, scale = _cost_layout(form, cost, w_star)
    ucost = -clay.col_obj * scale
    grid = 0.0 if (ucost[~clay.col_int] != 0).any() else cost_grid(ucost) / scale
    # feasibility jump finds the cheaper plans here (10k x 1k MCLP: 99 -> 92 stations in
    # 2 s, none without it); it cannot be interrupted, so only when it fits the step
    jump = clay.A.nnz * FJ_S_PER_NNZ <= COST_JUMP_SHARE * (end - t1)
    r2 = run(clay, time_limit_s=end - t1, mip_gap=0.0, threads=threads, msg=msg,
             start=form.from_state(raw.values), deadline=end, abs_gap=CLOSE_ENOUGH * grid,
             feasibility_jump=jump)
    cost_s = time.perf_counter() - t1
    if r2.values is None:
        return LexResult(raw, "time_limit", cost_s)
    v2 = form.to_state(r2.values)
    if float(lay.col_obj @ v2) < w_star - 1e3 * tol or float(cost @ v2) > float(
            cost @ raw.values) * (1 + 1e-12) + 1e-9:
        log.warning("cost step returned a plan with less coverage or more cost; kept the "
                    "coverage step's plan")
        return LexResult(raw, "time_limit", cost_s)
    status = "optimal" if r2.status == "optimal" else "time_limit"
    log.info("least cost at coverage %.6g: %s in %.2f s (%.6g -> %.6g)", w_star, status,
             cost_s, float(cost @ raw.values), float(cost @ v2))
    return LexResult(replace(raw, values=v2, seconds=time.perf_counter() - t0), status, cost_s)


def _coverage_mip(form: OpeningForm, lp: LpStart, run: Runner, *, deadline: float,
                  mip_gap: float, threads: int, msg: bool) -> RawResult:
    """Step 1 as a MIP (opening form, columns fixed by the LP); values in the state form."""
    ulay = form.layout
    mip = (ulay if lp.col_lb is None or lp.col_ub is None
           else replace(ulay, col_lb=lp.col_lb, col_ub=lp.col_ub))
    left = deadline - time.perf_counter()
    if lp.start is not None and left < RUN_MIN_S_PER_NNZ * mip.A.nnz:
        log.info("coverage: %.2f s left, a solver run would take ~%.1f s: the start is the "
                 "plan", left, RUN_MIN_S_PER_NNZ * mip.A.nnz)
        return RawResult("time_limit", form.to_state(lp.start), lp.bound, math.nan, 0.0,
                         float(ulay.col_obj @ lp.start))
    raw = run(mip, time_limit_s=max(deadline - time.perf_counter(), 0.01), mip_gap=mip_gap,
              threads=threads, msg=msg, start=lp.start, deadline=deadline)
    if raw.values is None and lp.start is not None:
        raw = replace(raw, values=lp.start, status="time_limit",
                      reported=float(ulay.col_obj @ lp.start))
    if math.isfinite(lp.bound) and not (raw.bound <= lp.bound):
        raw = replace(raw, bound=lp.bound)
    if raw.values is not None:
        raw = replace(raw, values=form.to_state(raw.values))
    return raw


def _cover_all(form: OpeningForm, cost: FloatArray, run: Runner, *, deadline: float,
               threads: int, msg: bool, t0: float) -> RawResult | None:
    """Step 1 when the LP covers everything: find a plan that covers all there is.

    Every column with coverage objective is fixed at its upper bound (every row and flow
    covered) and cost is minimised until the first plan is found: that plan proves step 1
    (it covers everything coverable) and starts step 2. On saturated instances this is far
    quicker than maximising coverage (a 10k × 1k MCLP: a full cover in ~5 s, where the
    coverage MIP still had 0.02 % to go after 120 s). A greedy set cover improved by swaps
    (:func:`siting.model.setcover.full_cover`, 0.05 s there) is tried first: when it meets
    every row of the model, no HiGHS run is needed. None when no such plan is found in half
    the time left or none exists (the LP's full coverage was fractional only).
    """
    from siting.model.setcover import full_cover

    ulay = form.layout
    lay2, _ = _cost_layout(form, cost, float(ulay.col_obj @ ulay.col_ub))  # all covered
    t1 = time.perf_counter()
    quick = full_cover(lay2, deadline=t1 + SET_COVER_SHARE * (deadline - t1))
    if quick is not None:
        v = form.to_state(quick)
        w = float(ulay.col_obj @ quick)
        log.info("covering everything: proven (%.6g) by a set cover in %.2f s", w,
                 time.perf_counter() - t1)
        return RawResult("optimal", v, w, 0.0, time.perf_counter() - t0, w)
    first = min(deadline, t1 + 0.5 * (deadline - t1))
    # presolve off: HiGHS's presolve took 6 s of the 10k x 1k MCLP's first plan
    r = run(lay2, time_limit_s=first - t1, mip_gap=0.0, threads=threads,
            msg=msg, start=None, deadline=first, first_plan=True, presolve=False)
    if r.values is None:
        log.info("covering everything: %s after %.2f s; solving for coverage", r.status,
                 time.perf_counter() - t1)
        return None
    v = form.to_state(r.values)
    w = float(ulay.col_obj @ r.values)
    log.info("covering everything: proven (%.6g) in %.2f s", w, time.perf_counter() - t1)
    return RawResult("optimal", v, w, 0.0, time.perf_counter() - t0, w)


@dataclass(frozen=True)
class LpStart:
    """What the LP relaxation tells before the MIP (see :func:`lp_guided`).

    Attributes
    ----------
    bound
        The LP optimum (a bound on the MIP), ``inf`` when not solved in time.
    start
        The best plan known after LP-guided rounding (or the given start), or None.
    col_lb, col_ub
        Column bounds with the columns fixed by reduced cost (None: nothing fixed).
    proven
        The LP optimum is integral: ``start`` is optimal.
    fixed
        Number of integer columns fixed by reduced cost.
    row_dual
        The LP's row duals (HiGHS's signs), for :func:`no_cheaper_plan`; None when unknown.
    """

    bound: float
    start: FloatArray | None
    col_lb: FloatArray | None = None
    col_ub: FloatArray | None = None
    proven: bool = False
    fixed: int = 0
    row_dual: FloatArray | None = None


def lp_guided(lay: Layout, start: FloatArray | None, *, deadline: float,
              threads: int, improve: Improver | None = None) -> LpStart:
    r"""Solve the LP relaxation; fix columns by reduced cost.

    1. The LP relaxation (HiGHS simplex, at most half the time left). If its integer
       columns are integral, its optimum is the MIP's: proven without branching.
    2. **Reduced-cost fixing**: an integer column at 0 in the LP with reduced cost
       :math:`d_j < 0` can only enter a plan worth at most :math:`z_{LP} + d_j`; when that
       is below the best plan's value the column is fixed to 0 (likewise at 1 with
       :math:`z_{LP} - d_j`). Exact: no plan at least as good as the incumbent is cut off.

    ``improve`` (values in ``lay``'s columns) may then replace the start with a better plan
    from the LP's values, within :data:`IMPROVE_SHARE` of the time left; a plan that breaks
    a row is ignored.

    (An LP-guided rounding — a sub-MIP with the LP's ones fixed open — was tried here: on
    the bundled scenario and a 10k × 1k MCLP it found nothing better than the warm start in
    15 % of the time limit, so it was dropped.)

    The layout must have the columns and objective the MIP uses (maximise).
    """
    from siting.model import highs

    left = deadline - time.perf_counter()
    if left <= 0.05:
        return LpStart(math.inf, start)
    h = highs.solve_relaxation(lay, time_limit_s=max(0.5 * left, 0.01), threads=threads,
                               deadline=time.perf_counter() + 0.5 * left,
                               presolve=lay.A.nnz <= highs.PRESOLVE_MAX_NNZ)
    if h is None:
        return LpStart(math.inf, start)
    z_lp = float(h.getInfo().objective_function_value)
    sol = h.getSolution()
    v = np.asarray(sol.col_value, dtype=float)
    d = np.asarray(sol.col_dual, dtype=float)
    y = np.asarray(sol.row_dual, dtype=float)
    ints = np.flatnonzero(lay.col_int)
    xi = v[ints]
    if np.all(np.abs(xi - np.round(xi)) <= 1e-7):
        vi = v.copy()
        vi[ints] = np.round(xi)
        r = lay.A @ vi
        if (np.all(r >= lay.row_lb - 1e-7) and np.all(r <= lay.row_ub + 1e-7)):
            log.info("LP relaxation is integral: %.6g proven without branching", z_lp)
            return LpStart(z_lp, vi, proven=True, row_dual=y)
    best = start
    best_val = -math.inf if start is None else float(lay.col_obj @ start)
    if improve is not None:
        best, best_val = _improved(lay, improve, v, best, best_val, deadline)
    if best is None:
        return LpStart(z_lp, None, row_dual=y)
    # reduced-cost fixing against the best plan (maximisation: d <= 0 at a lower bound)
    lb, ub = lay.col_lb.copy(), lay.col_ub.copy()
    tol = highs.objective_tolerance(best_val)
    at0 = ints[(v[ints] <= lb[ints] + 1e-9) & (z_lp + d[ints] < best_val - tol)]
    at1 = ints[(v[ints] >= ub[ints] - 1e-9) & (z_lp - d[ints] < best_val - tol)]
    at0 = at0[best[at0] <= lb[at0] + 0.5]      # never cut off the incumbent itself
    at1 = at1[best[at1] >= ub[at1] - 0.5]
    ub[at0] = lb[at0]
    lb[at1] = ub[at1]
    fixed = len(at0) + len(at1)
    log.info("LP bound %.6g, best plan %.6g, %d of %d integer columns fixed by reduced cost",
             z_lp, best_val, fixed, len(ints))
    return LpStart(z_lp, best, lb, ub, fixed=fixed, row_dual=y)


def no_cheaper_plan(form: OpeningForm, cost: FloatArray, values: FloatArray, lp: LpStart, *,
                    tol: float) -> bool:
    r"""Whether step 1's LP already proves that no cheaper plan reaches the plan's coverage.

    Applies when the cost to minimise is one budget row's coefficients times a constant
    :math:`\kappa > 0` (a plain MCLP: every station one unit, no tie-breaker) and every cost
    is a whole multiple of a step :math:`g` (:func:`cost_grid`). A cheaper plan then costs at
    most :math:`C^* - g`, so it also fits that row with the right-hand side lowered to
    :math:`b' = (C^* - g)/\kappa`. The LP's value is concave in the right-hand side, with
    the row's dual :math:`y \ge 0` as a supergradient: every plan within :math:`b'` covers
    at most :math:`z_{LP} - y\,(b - b')`. Below the plan's coverage :math:`W^*` (less a
    slack), the plan is the cheapest: step 2 has nothing to search. On clustered 2,000-point
    MCLPs with p = 20 this replaces a 1.8 s MIP whose own root LP said the same.

    ``values`` is the plan in the state form; ``lp`` the outcome of :func:`lp_guided` on
    ``form.layout`` (its LP unchanged since).
    """
    ulay = form.layout
    if lp.row_dual is None or not math.isfinite(lp.bound) or len(lp.row_dual) != ulay.A.shape[0]:
        return False
    ucost = form.objective_in_form(cost)
    g = cost_grid(ucost)
    support = np.flatnonzero(ucost != 0)
    if (g <= 0 or not len(support) or (ucost < 0).any()
            or (ucost[~ulay.col_int] != 0).any()):  # a continuous cost: no grid
        return False
    u = form.from_state(values)
    c_star = float(ucost @ u)
    w_star = float(ulay.col_obj @ u)
    A = sp.csr_matrix(ulay.A)
    # only an upper-bounded row with as many entries as the cost has can be its budget row
    # (one or two of them; no Python loop over a large model's rows)
    candidates = (np.isfinite(ulay.row_ub) & ~np.isfinite(ulay.row_lb)
                  & (np.diff(A.indptr) == len(support)))
    for r in np.flatnonzero(candidates):
        a, b = A.indptr[r], A.indptr[r + 1]
        cols, coef = A.indices[a:b], A.data[a:b]
        if not np.array_equal(np.sort(cols), support):
            continue
        kappa = ucost[cols] / coef
        if not (kappa > 0).all() or np.ptp(kappa) > 1e-12 * kappa.max():
            continue
        lowered = (c_star - g) / float(kappa[0])
        drop = float(ulay.row_ub[r]) - lowered
        if drop <= 0:
            continue
        top = lp.bound - abs(float(lp.row_dual[r])) * drop
        # (less HiGHS's default dual feasibility tolerance, relative, as a safety margin)
        if top < w_star - tol - 1e-7 * max(1.0, abs(w_star), abs(lp.bound)):
            return True
    return False


def _improved(lay: Layout, improve: Improver, lp_values: FloatArray, best: FloatArray | None,
              best_val: float, deadline: float) -> tuple[FloatArray | None, float]:
    """(``best``, its value), or ``improve``'s plan when it holds every row and is better."""
    from siting.model.decode import rows_hold

    t = time.perf_counter()
    got = improve(lp_values, best, t + IMPROVE_SHARE * max(0.0, deadline - t))
    if got is None or not rows_hold(lay, got, tol=1e-7):
        return best, best_val
    val = float(lay.col_obj @ got)
    log.info("LP-guided swap search: %.6g (start %.6g) in %.2f s", val, best_val,
             time.perf_counter() - t)
    return (got, val) if val > best_val else (best, best_val)


def _cost_layout(form: OpeningForm, cost: FloatArray, w_star: float
                 ) -> tuple[Layout, float]:
    """Step 2's layout (opening form): maximise −cost / scale with coverage >= W* − slack;
    (the layout, the scale).

    When W* is everything coverable, the coverage columns are fixed at their upper bounds
    instead (every row and flow covered): HiGHS 1.16 mishandles a row that only its
    maximum activity satisfies (on a saturated 10k × 1k MCLP it called that model
    infeasible, and "proved" a 94-station plan optimal where 91 stations cover all).
    """
    ulay = form.layout
    ucost = form.objective_in_form(cost)
    scale = float(np.abs(ucost).max()) or 1.0
    cov = ulay.col_obj
    nz = np.flatnonzero(cov > 0)
    full = float(cov[nz] @ ulay.col_ub[nz])
    if w_star >= full - coverage_slack(full):
        lb = ulay.col_lb.copy()
        lb[nz] = ulay.col_ub[nz]
        return replace(ulay, col_lb=lb, col_obj=-ucost / scale), scale
    row = sp.csr_matrix((cov[nz], (np.zeros(len(nz), dtype=np.int64), nz)),
                        shape=(1, ulay.A.shape[1]))
    A, lb, ub = equilibrate_rows(row, np.array([w_star - coverage_slack(w_star)]),
                                 np.array([np.inf]))
    return replace(ulay, A=sp.vstack([ulay.A, A]).tocsr(), row_lb=np.r_[ulay.row_lb, lb],
                   row_ub=np.r_[ulay.row_ub, ub], row_names=[*ulay.row_names, "coverage_min"],
                   col_obj=-ucost / scale), scale
