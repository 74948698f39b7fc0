"""HiGHS back-end: the layout's arrays passed to highspy in one call, solved interruptibly.

:func:`solve_highs` solves the MIP (from a warm start), :func:`lp_bound` the LP relaxation of
a layout (the bound used when a capacitated solve stops before HiGHS has its own). Ctrl-C
during a solve stops HiGHS and is re-raised once it has stopped (:func:`solve_interruptibly`).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pulp

from siting._errors import SolverError
from siting.model.build import Layout
from siting.model.inputs import FloatArray, RawResult

#: Above this many matrix entries HiGHS runs without presolve (see :func:`solve_highs`).
PRESOLVE_MAX_NNZ: int = 2_000_000


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


def new_highs(*, msg: bool, time_limit_s: float, threads: int) -> Any:
    """A ``highspy.Highs`` with its banner muted (unless ``msg``), time limit and threads."""
    import highspy

    with c_stdout_silenced(not msg):  # HiGHS prints its banner from C when created
        h = highspy.Highs()
    h.setOptionValue("output_flag", bool(msg))
    h.setOptionValue("time_limit", float(time_limit_s))
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


def lp_bound(lay: Layout, *, time_limit_s: float, threads: int) -> float:
    """Optimal value of the layout's LP relaxation (HiGHS), or ``inf`` if not solved in time.

    Used on the *uncapacitated* layout of a capacitated model: dropping the allocation and
    capacity rows and the integrality of x only enlarges the feasible set, so this value
    bounds the capacitated MIP from above. It is a small LP (no allocation columns; 2k
    columns for the bundled scenario, solved in ~0.1 s) and it gives a bound when HiGHS is
    stopped before finishing the capacitated root LP (5-10 s there on 2 cores). On the
    bundled scenario the two root bounds coincide (1,247.9): capacities barely bind there.
    """
    import highspy

    h = new_highs(msg=False, time_limit_s=time_limit_s, threads=threads)
    h.passModel(highs_lp(lay, integral=False))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return math.inf
    return float(h.getInfo().objective_function_value)


def solve_interruptibly(h: Any) -> bool:
    """Run HiGHS in its worker thread; on Ctrl-C ask it to stop. True if Ctrl-C was pressed.

    ``h.run()`` would hold the main thread until the time limit, and highspy's own
    ``solve()`` swallows the ``KeyboardInterrupt`` (HiGHS then may still report its time
    limit when it was in a phase that does not poll the interrupt flag, so the run went on
    as if nothing had happened). Here every Ctrl-C is remembered and re-raised by the caller
    once HiGHS has stopped.
    """
    h.HandleKeyboardInterrupt = True  # enables the interrupt callbacks cancelSolve() uses
    h.startSolve()
    interrupted = False
    while True:
        try:
            done, _ = h.wait(0.1)
        except KeyboardInterrupt:
            interrupted = True
            h.cancelSolve()
            continue
        if done:
            return interrupted


def solve_highs(lay: Layout, *, time_limit_s: float, mip_gap: float, threads: int,
                msg: bool, start: FloatArray | None, presolve: bool = True) -> RawResult:
    """Solve with HiGHS through highspy, passing the layout's arrays in one call.

    This is the model PuLP's ``pulp.HiGHS`` would build from
    :attr:`~siting.model.SitingModel.problem` (same arrays), without creating half a million
    PuLP objects first.

    Presolve is off above :data:`PRESOLVE_MAX_NNZ` matrix entries: HiGHS cannot interrupt its
    presolve, which ran 10x past a 120 s time limit on a 6.2M-entry model (with it off the
    same model stopped on time with the same plan; benchmarks/README.md).

    ``mip_abs_gap`` stays at HiGHS's default on purpose. Setting it to the tie-breaker's
    whole weight (τ × coverable weight) would stop HiGHS as soon as coverage is proven, which
    is much faster on saturated instances (5k × 500 MCLP: 4 s instead of > 120 s) — but then
    *any* plan of optimal coverage qualifies, however much dearer than the cheapest one, and
    for a planning bureau the money matters more than the seconds. Use ``cost_tiebreak=0``
    (or a time limit) where only coverage counts.

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C was pressed during the solve (after HiGHS has stopped).
    SolverError
        HiGHS stopped with a status that gives no usable plan.
    """
    import highspy

    h = new_highs(msg=msg, time_limit_s=time_limit_s, threads=threads)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if lay.A.nnz > PRESOLVE_MAX_NNZ or not presolve:
        h.setOptionValue("presolve", "off")
    h.passModel(highs_lp(lay, integral=True))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.clip(start, lay.col_lb, lay.col_ub).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    interrupted = solve_interruptibly(h)
    seconds = time.perf_counter() - t0
    if interrupted or h.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
        raise KeyboardInterrupt  # Ctrl-C during the solve: the caller stops, writes nothing
    res = _result(h, lay, seconds)
    if start is not None and presolve and res.values is not None and _stale_start(
            h, lay, res.values):
        # HiGHS 1.16 can hand back the user's start (or a plan built from it) while
        # reporting the better objective of its presolved model ("MIP start solution is
        # feasible in the reduced space"), and even call that optimal. Solve again from the
        # same start without presolve, where no such mapping happens.
        left = max(0.1 * time_limit_s, time_limit_s - seconds)
        again = solve_highs(lay, time_limit_s=left, mip_gap=mip_gap, threads=threads,
                            msg=msg, start=start, presolve=False)
        if again.values is None:
            again = replace(again, values=res.values, status="time_limit")
        return replace(again, seconds=seconds + again.seconds)
    return res


def _stale_start(h: Any, lay: Layout, values: FloatArray) -> bool:
    """Whether the returned column values are worth less than the objective HiGHS reports."""
    reported = float(h.getInfo().objective_function_value)
    if not math.isfinite(reported):
        return False
    got = float(lay.col_obj @ values)
    return got < reported - 1e-7 * max(1.0, abs(reported))


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
    return RawResult(status, values, bound, gap, seconds)
