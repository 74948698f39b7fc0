"""CBC back-end: PuLP's bundled CBC on the PuLP problem; bound and gap read from its log."""

from __future__ import annotations

import math
import re
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pulp

from siting.model.build import Layout
from siting.model.inputs import FloatArray, RawResult

_CBC_RESULT = re.compile(r"Result - (.+)")
_CBC_NUM = {k: re.compile(rf"^{k}:\s+(-?[0-9.eE+-]+|-?inf)", re.MULTILINE)
            for k in ("Upper bound", "Gap")}
_CBC_BEST_POSSIBLE = re.compile(r"best possible (-?[0-9.eE+-]+)")


def solve_cbc(lay: Layout, prob: pulp.LpProblem, variables: list[pulp.LpVariable], *,
              time_limit_s: float, mip_gap: float, threads: int, msg: bool,
              start: FloatArray | None) -> RawResult:
    """Solve with PuLP's bundled CBC; bound and gap parsed from its log.

    CBC prints, when stopped early on a maximisation, ``Upper bound:`` and ``Gap:`` (as a
    negative fraction) after ``Result - Stopped on time limit``; when it proves optimality it
    prints neither, and the bound is the objective. CBC's time limit does not interrupt its
    root LP, so big capacitated models may overrun it.

    Parameters
    ----------
    lay
        The layout ``prob`` was built from (:func:`siting.model.build.to_pulp`).
    prob, variables
        The PuLP problem and its variables in column order.
    time_limit_s, mip_gap, threads, msg
        CBC's time limit (s), relative gap, threads and whether it prints its log.
    start
        A full column vector to start from, or None.

    Returns
    -------
    RawResult
    """
    if start is not None:
        first = np.clip(start, lay.col_lb, lay.col_ub)
        for v, x in zip(variables, first.tolist(), strict=True):
            v.setInitialValue(x)
    with tempfile.TemporaryDirectory(prefix="siting_cbc_") as tmp:
        logp = Path(tmp) / "cbc.log"
        with warnings.catch_warnings():
            # PuLP 3.3 flags its bundled CBC as deprecated for PuLP 4.0; nothing a user can do.
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(msg=msg, timeLimit=time_limit_s, gapRel=mip_gap,
                                       threads=threads, warmStart=start is not None,
                                       logPath=str(logp))
        t0 = time.perf_counter()
        prob.solve(solver)
        seconds = time.perf_counter() - t0
        text = logp.read_text(errors="replace") if logp.exists() else ""
    head, bound, gap = parse_cbc_log(text)
    if prob.status == pulp.LpStatusInfeasible or "infeasible" in head:
        return RawResult("infeasible", None, math.nan, math.nan, seconds)
    has_sol = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    values = (np.array([0.0 if v.varValue is None else v.varValue for v in variables])
              if has_sol else None)
    if values is None:
        return RawResult("no_solution", None, math.nan, math.nan, seconds)
    if prob.sol_status == pulp.LpSolutionOptimal and "stopped" not in head:
        return RawResult("optimal", values, float(lay.col_obj @ values), 0.0, seconds)
    return RawResult("time_limit", values, bound, gap, seconds)


def parse_cbc_log(text: str) -> tuple[str, float, float]:
    """Result line (lower case), best bound and relative gap from a CBC log (maximisation).

    Missing figures are NaN. The bound is the ``Upper bound:`` line, else the negated
    ``best possible`` figure (CBC minimises the negated objective internally); the gap is the
    absolute value of the ``Gap:`` line (CBC prints it negative for maximisation).
    """
    found = _CBC_RESULT.search(text)
    head = found.group(1).strip().lower() if found else ""
    nums = {k: (float(m.group(1)) if (m := rx.search(text)) else math.nan)
            for k, rx in _CBC_NUM.items()}
    bound = nums["Upper bound"]
    if not math.isfinite(bound) and (m := _CBC_BEST_POSSIBLE.search(text)):
        bound = -float(m.group(1))
    return head, bound, abs(nums["Gap"])
