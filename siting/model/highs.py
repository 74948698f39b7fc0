"""HiGHS back-end: the layout's arrays passed to highspy in one call, solved interruptibly.

:func:`solve_highs` solves the MIP (from a warm start), :func:`lp_bound` the LP relaxation of
a layout (the bound used when a capacitated solve stops before HiGHS has its own). Ctrl-C
during a solve stops HiGHS and is re-raised once it has stopped (:func:`solve_interruptibly`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pulp

from siting._errors import SolverError
from siting.model.build import Layout
from siting.model.inputs import FloatArray, RawResult

#: Whether HiGHS's MIP presolve runs by default (callers may still ask for it). Off: measured
#: 2026-12-07 (HiGHS 1.16, 2 cores), it slowed every instance tried and decided none —
#: clustered MCLPs of 324-2,000 points 0.07-0.24 s without against 0.13-0.4 s with, 2,000
#: points at 1.6 km, p = 20, 16.9 s against 29.8 s (11.7 s of it presolve); the hard 5k × 500
#: MCLP at 120 s a 0.48 % gap against 1.01 %; the bundled scenario at 60 s 1,796 against
#: 1,788 (the LP neighbourhood's sub-MIP took 39 s with it). Presolve was also where HiGHS
#: returned a stale plan (:func:`_verified`).
MIP_PRESOLVE: bool = False
#: Above this many matrix entries HiGHS's MIP presolve stays off even when switched on (see
#: :func:`presolve_fits`); also the switch for the LP presolve and feasibility jump.
PRESOLVE_MAX_NNZ: int = 2_000_000
#: Above this many matrix entries HiGHS's sub-MIP heuristics (RENS, RINS, root reduced cost)
#: stay off: each runs its own presolve, which cannot be interrupted — 276 s of it on a
#: clustered 5,000-point MCLP at 800 m (2.9M entries) given 120 s, returned after 352 s;
#: ~1 s per sub-MIP on 0.3M entries, where they find the optimum (clustered 2,000 points).
SUBMIP_MAX_NNZ: int = 1_000_000
#: Expected seconds of HiGHS's MIP presolve per matrix entry (measured 5-50 µs, 2 cores).
PRESOLVE_S_PER_NNZ: float = 2e-5
#: Below this time limit (s) HiGHS skips its feasibility-jump heuristic when given a start.
FJ_MIN_TIME_S: float = 10.0
#: Expected seconds of that heuristic per matrix entry (it cannot be interrupted): measured
#: ~1 s for the 131k entries of a 10k × 1k MCLP's cost step, 34 s for a 4.3M-entry
#: capacitated city.
FJ_S_PER_NNZ: float = 8e-6

log = logging.getLogger(__name__)


def highs_available() -> bool:
    """Whether PuLP finds a working HiGHS (highspy)."""
    try:
        return bool(pulp.HiGHS().available())
    except Exception:  # pragma: no cover - broken installs
        return False


@contextlib.contextmanager
def c_stdout_silenced(active: bool) -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the block (C libraries ignore sys.stdout)."""
    if not active:
        yield
        return
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # captured/replaced stdout: nothing to mute
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


#: Threads of the last solve: HiGHS keeps one global scheduler per process, and a run asking
#: for another thread count than the scheduler's fails ("Not Set") unless the scheduler is
#: reset first (:func:`new_highs` does).
_threads: list[int] = [2]
_threads_lock = threading.Lock()


def new_highs(*, msg: bool, time_limit_s: float, threads: int | None) -> Any:
    """A ``highspy.Highs`` with its banner muted (unless ``msg``), time limit and threads.

    ``threads=None`` uses the thread count of the last solve (HiGHS's global scheduler is
    created once per process; a helper LP asking for another count would not run).
    """
    import highspy

    with c_stdout_silenced(not msg):  # HiGHS prints its banner from C when created
        h = highspy.Highs()
    h.setOptionValue("output_flag", bool(msg))
    h.setOptionValue("time_limit", float(time_limit_s))
    with _threads_lock:
        if threads is None:
            threads = _threads[0]
        elif int(threads) != _threads[0]:
            # the scheduler of an earlier solve has another thread count: start a new one.
            # Safe while solves of one process run one after another, or all with the same
            # count (a Dask worker's threads all run samples with threads=1)
            highspy.Highs.resetGlobalScheduler(True)
        _threads[0] = int(threads)
    h.setOptionValue("threads", int(threads))
    return h


def highs_lp(lay: Layout, *, integral: bool) -> Any:
    """The layout as a ``highspy.HighsLp`` (maximise); ``integral=False`` relaxes x."""
    import highspy

    hl = highspy.HighsLp()
    csc = lay.A.tocsc()
    hl.num_col_, hl.num_row_ = lay.A.shape[1], lay.A.shape[0]
    hl.col_cost_ = lay.col_obj
    hl.col_lower_, hl.col_upper_ = lay.col_lb, lay.col_ub
    hl.row_lower_, hl.row_upper_ = lay.row_lb, lay.row_ub
    hl.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    hl.a_matrix_.start_ = csc.indptr.astype(np.int32)
    hl.a_matrix_.index_ = csc.indices.astype(np.int32)
    hl.a_matrix_.value_ = csc.data
    if integral:
        hl.integrality_ = [highspy.HighsVarType.kInteger if i
                           else highspy.HighsVarType.kContinuous for i in lay.col_int.tolist()]
    hl.sense_ = highspy.ObjSense.kMaximize
    return hl


def pass_layout(h: Any, lay: Layout, *, integral: bool) -> None:
    """Hand the layout to ``h`` as numpy arrays (maximise; ``integral=False`` relaxes x).

    The array overload of ``passModel`` copies each array once in C++; filling a
    ``HighsLp`` attribute by attribute (:func:`highs_lp`) goes through Python sequences
    (0.15 s for the bundled capacitated model — a sixth of a 1 s time limit).
    """
    import highspy

    csc = lay.A.tocsc()
    n_col, n_row = lay.A.shape[1], lay.A.shape[0]
    integrality = (lay.col_int.astype(np.int32) if integral
                   else np.zeros(n_col, dtype=np.int32))
    h.passModel(int(n_col), int(n_row), int(csc.nnz), int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMaximize), 0.0,
                np.ascontiguousarray(lay.col_obj, dtype=np.float64),
                np.ascontiguousarray(lay.col_lb, dtype=np.float64),
                np.ascontiguousarray(lay.col_ub, dtype=np.float64),
                np.ascontiguousarray(lay.row_lb, dtype=np.float64),
                np.ascontiguousarray(lay.row_ub, dtype=np.float64),
                csc.indptr.astype(np.int32), csc.indices.astype(np.int32),
                np.ascontiguousarray(csc.data, dtype=np.float64), integrality)


def lp_bound(lay: Layout, *, time_limit_s: float, threads: int) -> float:
    """Optimal value of the layout's LP relaxation (HiGHS), or ``inf`` if not solved in time.

    Used on the *uncapacitated* layout of a capacitated model: dropping the allocation and
    capacity rows and the integrality of x only enlarges the feasible set, so this value
    bounds the capacitated MIP from above. It is a small LP (no allocation columns; 2k
    columns for the bundled scenario, solved in ~0.1 s) and it gives a bound when HiGHS is
    stopped before finishing the capacitated root LP (5-10 s there on 2 cores). On the
    bundled scenario the two root bounds coincide (1,247.9): capacities barely bind there.
    """
    h = solve_relaxation(lay, time_limit_s=time_limit_s, threads=threads)
    return math.inf if h is None else float(h.getInfo().objective_function_value)


def solve_relaxation(lay: Layout, *, time_limit_s: float, threads: int,
                     deadline: float | None = None, presolve: bool = True) -> Any | None:
    """The layout's LP relaxation (x continuous, maximise) solved by HiGHS.

    Returns the ``highspy.Highs`` holding the optimal solution (read ``getSolution()`` and
    ``getInfo()``), or None when it is not solved within ``time_limit_s`` (or by
    ``deadline``, a :func:`time.perf_counter` instant).

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C was pressed during the solve (after HiGHS has stopped).
    """
    import highspy

    h = new_highs(msg=False, time_limit_s=time_limit_s, threads=threads)
    if not presolve:
        h.setOptionValue("presolve", "off")
    pass_layout(h, lay, integral=False)
    if solve_interruptibly(h, deadline):
        raise KeyboardInterrupt
    return h if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else None


def solve_interruptibly(h: Any, deadline: float | None = None) -> bool:
    """Run HiGHS in its worker thread; on Ctrl-C ask it to stop. True if Ctrl-C was pressed.

    ``h.run()`` would hold the main thread until the time limit, and highspy's own
    ``solve()`` swallows the ``KeyboardInterrupt`` (HiGHS then may still report its time
    limit when it was in a phase that does not poll the interrupt flag, so the run went on
    as if nothing had happened). Here every Ctrl-C is remembered and re-raised by the caller
    once HiGHS has stopped.

    ``deadline`` (a :func:`time.perf_counter` instant) is a second line behind HiGHS's own
    ``time_limit``: once it has passed HiGHS is asked to stop the same way (its status is
    then ``kInterrupt``; the caller treats that as the time limit when Ctrl-C was not
    pressed). HiGHS polls the request in the simplex, IPM and branch-and-bound loops but not
    in its MIP presolve: see :func:`presolve_fits`.
    """
    h.HandleKeyboardInterrupt = True  # enables the interrupt callbacks cancelSolve() uses
    h.startSolve()
    interrupted = cancelled = False
    while True:
        try:
            done, _ = h.wait(0.02)
        except KeyboardInterrupt:
            interrupted = True
            h.cancelSolve()
            continue
        if done:
            return interrupted
        if deadline is not None and not cancelled and time.perf_counter() >= deadline:
            cancelled = True
            h.cancelSolve()


def presolve_fits(nnz: int, time_limit_s: float) -> bool:
    """Whether HiGHS's MIP presolve may run on a model of ``nnz`` matrix entries.

    HiGHS cannot be interrupted in its MIP presolve, and on these models it is slow:
    measured (HiGHS 1.16, 2 cores) 5-50 µs per matrix entry — 6 s on a 10k × 1k MCLP,
    30 s at a 3 km radius, 7.6 s on the bundled capacitated scenario — while it never
    decided a solve there (benchmarks/README.md, "HiGHS options"). It is off by default
    (:data:`MIP_PRESOLVE`); when switched on it runs only when its expected time
    (:data:`PRESOLVE_S_PER_NNZ` per entry) stays within a quarter of the time limit and the
    model has at most :data:`PRESOLVE_MAX_NNZ` entries.
    """
    return (MIP_PRESOLVE and nnz <= PRESOLVE_MAX_NNZ
            and nnz * PRESOLVE_S_PER_NNZ <= 0.25 * time_limit_s)


def solve_highs(lay: Layout, *, time_limit_s: float, mip_gap: float, threads: int,
                msg: bool, start: FloatArray | None, presolve: bool | None = None,
                deadline: float | None = None, first_plan: bool = False,
                heuristic_effort: float | None = None, abs_gap: float = 0.0,
                feasibility_jump: bool | None = None,
                on_plan: Callable[[FloatArray], None] | None = None) -> RawResult:
    """Solve with HiGHS through highspy, passing the layout's arrays in one call.

    This is the model PuLP's ``pulp.HiGHS`` would build from
    :attr:`~siting.model.SitingModel.problem` (same arrays), without creating half a million
    PuLP objects first.

    Options (measured, benchmarks/README.md "HiGHS options"): restarts off
    (``mip_allow_restart``: HiGHS restarted its root 3-4 times on the bundled scenario,
    re-running presolve each time — 9.6 s to the optimum without, 22.7 s with); presolve as
    :func:`presolve_fits` says (None) or as given; with a start, no feasibility-jump
    heuristic (it found nothing better than the start and cannot be interrupted); no sub-MIP
    heuristics above :data:`SUBMIP_MAX_NNZ` entries (their presolve cannot be interrupted).

    The values HiGHS returns are checked against the objective it reports: HiGHS 1.16, given
    a start and presolve, can report an objective (and bound) that belongs to no plan and
    hand back the start's values (seen on a saturated 324-point MCLP: "optimal, gap 0", 7
    stations where the optimum has fewer). When the two disagree the solve is repeated
    once without presolve, from the better of the two plans (:func:`_verified`).

    ``deadline`` (``time.perf_counter()``) stops HiGHS even where it ignores ``time_limit``
    (see :func:`solve_interruptibly`); ``first_plan`` stops it at its first feasible plan;
    ``heuristic_effort`` sets HiGHS's ``mip_heuristic_effort`` (None: its default, 0.05);
    ``abs_gap`` HiGHS's ``mip_abs_gap`` when positive (objective units: a gap below the step
    between two plans' objectives proves the plan, see :func:`siting.model.phases.cost_grid`);
    ``feasibility_jump`` runs (True) or skips (False) HiGHS's feasibility-jump heuristic
    (None: skipped when there is a start and under :data:`FJ_MIN_TIME_S`, or on models over
    :data:`PRESOLVE_MAX_NNZ` entries); ``on_plan`` is handed a copy of every improving plan
    HiGHS finds (its column values), from HiGHS's thread: keep it quick (e.g. append to a
    list).

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C was pressed during the solve (after HiGHS has stopped).
    SolverError
        HiGHS stopped with a status that gives no usable plan.
    """
    t0 = time.perf_counter()
    if deadline is None:
        deadline = t0 + time_limit_s
    if presolve is None:
        presolve = presolve_fits(lay.A.nnz, time_limit_s)
    raw = _run(lay, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads, msg=msg,
               start=start, presolve=presolve, deadline=deadline, first_plan=first_plan,
               heuristic_effort=heuristic_effort, abs_gap=abs_gap,
               feasibility_jump=feasibility_jump, on_plan=on_plan)
    return _verified(raw, lay, mip_gap=mip_gap, threads=threads, msg=msg, start=start,
                     presolve=presolve, deadline=deadline, t0=t0, abs_gap=abs_gap)


def objective_tolerance(value: float) -> float:
    """Absolute slack allowed between an objective HiGHS reports and its plan's value."""
    return 1e-9 * max(1.0, abs(value)) + 1e-9


def _verified(raw: RawResult, lay: Layout, *, mip_gap: float, threads: int, msg: bool,
              start: FloatArray | None, presolve: bool, deadline: float, t0: float,
              abs_gap: float = 0.0) -> RawResult:
    """``raw`` if its values reach the objective HiGHS reported, else a repeated solve."""
    if raw.values is None or not math.isfinite(raw.reported):
        return raw
    got = float(lay.col_obj @ raw.values)
    if raw.reported <= got + objective_tolerance(raw.reported):
        return raw
    log.warning("HiGHS reported objective %.12g but its plan has %.12g; solving again "
                "without presolve", raw.reported, got)
    best = raw.values
    if start is not None and float(lay.col_obj @ start) > got:
        best = start
    left = max(deadline - time.perf_counter(), 0.05)
    again = _run(lay, time_limit_s=left, mip_gap=mip_gap, threads=threads, msg=msg,
                 start=best, presolve=False, deadline=max(deadline, time.perf_counter() + left),
                 abs_gap=abs_gap)
    plan = best if again.values is None else again.values
    if again.values is None:
        again = replace(again, values=best, status="time_limit")
    got2 = float(lay.col_obj @ plan)
    if again.reported > got2 + objective_tolerance(again.reported):
        # still not the plan's value: keep the plan, claim nothing the plan does not reach
        again = replace(again, status="time_limit", gap=math.nan)
    return replace(again, seconds=time.perf_counter() - t0)


def _run(lay: Layout, *, time_limit_s: float, mip_gap: float, threads: int, msg: bool,
         start: FloatArray | None, presolve: bool, deadline: float,
         first_plan: bool = False, heuristic_effort: float | None = None,
         abs_gap: float = 0.0, feasibility_jump: bool | None = None,
         on_plan: Callable[[FloatArray], None] | None = None) -> RawResult:
    """One HiGHS run of the layout (see :func:`solve_highs`)."""
    import highspy

    h = new_highs(msg=msg, time_limit_s=time_limit_s, threads=threads)
    if heuristic_effort is not None:
        h.setOptionValue("mip_heuristic_effort", float(heuristic_effort))
    if first_plan:
        h.setOptionValue("mip_max_improving_sols", 1)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if abs_gap > 0:
        h.setOptionValue("mip_abs_gap", float(abs_gap))
    h.setOptionValue("mip_allow_restart", False)
    if not presolve:
        h.setOptionValue("presolve", "off")
    pass_layout(h, lay, integral=True)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.clip(start, lay.col_lb, lay.col_ub).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    if feasibility_jump is None:
        # With a start in hand and little time, HiGHS's first heuristic (feasibility jump)
        # only costs time, and it cannot be interrupted: ~1 s on a 10k x 1k MCLP, 34 s on a
        # capacitated 10k x 648 city (4.3M entries) given 13 s.
        feasibility_jump = not (start is not None and (
            time_limit_s < FJ_MIN_TIME_S or lay.A.nnz > PRESOLVE_MAX_NNZ))
    if not feasibility_jump:
        h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
    if lay.A.nnz > SUBMIP_MAX_NNZ:
        for name in ("rens", "rins", "root_reduced_cost"):
            h.setOptionValue(f"mip_heuristic_run_{name}", False)
    if on_plan is not None:
        def improving(event: Any) -> None:
            on_plan(np.array(event.data_out.mip_solution, dtype=float))

        h.cbMipImprovingSolution += improving
    t0 = time.perf_counter()
    interrupted = solve_interruptibly(h, deadline)
    seconds = time.perf_counter() - t0
    if interrupted:
        raise KeyboardInterrupt  # Ctrl-C during the solve: the caller stops, writes nothing
    return _result(h, lay, seconds)


def _result(h: Any, lay: Layout, seconds: float) -> RawResult:
    """Status, values, bound and gap of a finished HiGHS run."""
    import highspy

    ms = h.getModelStatus()
    info = h.getInfo()
    S = highspy.HighsModelStatus
    has_sol = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    values = np.asarray(h.getSolution().col_value, dtype=float) if has_sol else None
    if ms == S.kModelEmpty:  # everything reduced away: the empty plan is optimal
        status, values = "optimal", np.zeros(lay.A.shape[1])
    elif ms == S.kOptimal:
        status = "optimal"
    elif ms in (S.kInfeasible, S.kUnboundedOrInfeasible):
        status = "infeasible"
    elif ms in (S.kTimeLimit, S.kInterrupt, S.kIterationLimit, S.kSolutionLimit,
                S.kObjectiveBound, S.kObjectiveTarget,
                S.kHighsInterrupt,  # type: ignore[attr-defined]  # in highspy, not its stubs
                S.kMemoryLimit):
        status = "time_limit" if has_sol else "no_solution"
    else:
        msg_ = f"HiGHS stopped with status '{h.modelStatusToString(ms)}' and no usable plan"
        raise SolverError(msg_ + "; rerun with solver 'cbc' or check the inputs")
    bound = float(info.mip_dual_bound) if has_sol else math.nan
    gap = float(info.mip_gap) if has_sol else math.nan
    if status == "optimal":
        gap = max(gap, 0.0) if math.isfinite(gap) else 0.0
    reported = float(info.objective_function_value) if has_sol else math.nan
    return RawResult(status, values, bound, gap, seconds, reported)
