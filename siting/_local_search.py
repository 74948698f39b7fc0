"""Improve the greedy warm start by forbid-and-refill local search.

The greedy (:func:`siting._greedy.greedy_plan`) commits to its first choices: a station that
looked best per yuan early on can crowd out a pair of cheaper ones that together cover more.
This search re-runs the greedy with one of the plan's stations *forbidden* (and the stations
forbidden on the way to the current best still forbidden), under a few ranking rules
(gain per yuan, gain per √yuan, gain alone), and keeps a plan only when it covers more. Every
plan it returns is a greedy plan, so it respects every constraint the greedy respects.

What it buys, measured: on small random instances it escapes the classic per-yuan trap (one
dear station crowding out two cheaper ones that cover more; see tests/test_model.py) and
often reaches the enumerated optimum. On the bundled Suizhou scenario (3 years, 188 options,
capacitated; ~15 ms per greedy run) it moves the start from 1,171.9 to 1,172.4 in 0.4 s — the
better plans HiGHS finds there (1,185.5 after 20–30 s) swap several stations *and* their
opening years at once, which no forbid-one refill reaches (forbidding up to three of the
greedy's stations, or shifting one station's year, was tried: no gain). The search is cheap
and bounded by ``time_budget_s``, so it stays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from siting._greedy import GreedyPlan

log = logging.getLogger(__name__)

#: Default cap on greedy runs per search.
MAX_RUNS = 40
#: Ranking rules tried: gain / cost**power.
COST_POWERS: tuple[float, ...] = (1.0, 0.5, 0.0)

#: ``run(forbidden, cost_power)`` -> a greedy plan, or None when the greedy finds none.
GreedyRun = Callable[[npt.NDArray[np.bool_], float], "GreedyPlan | None"]


def improve_plan(run: GreedyRun, existing: npt.NDArray[np.bool_], *, time_budget_s: float,
                 powers: Sequence[float] = COST_POWERS, max_forbidden: int = 8,
                 max_runs: int = MAX_RUNS) -> GreedyPlan | None:
    """Best plan found by re-running the greedy with stations forbidden, within a time budget.

    Parameters
    ----------
    run
        ``run(forbidden, cost_power)``: the greedy on the model's data with the options
        where ``forbidden`` is True blocked, ranking by gain / cost**cost_power.
    existing
        (n_options,) existing stations (never forbidden; they are open anyway).
    time_budget_s
        Stop starting new greedy runs after this many seconds (the first run always
        completes; 0 = the plain greedy).
    powers
        Ranking rules to try; the first is the plain greedy's.
    max_forbidden
        Most stations forbidden at once (the depth of the walk).
    max_runs
        Most greedy runs in all (the bundled scenario converges in 24).

    Returns
    -------
    GreedyPlan or None
        The plan with the largest objective seen (ties: the earliest found), None when the
        greedy finds no plan at all.
    """
    t_end = time.perf_counter() + max(0.0, time_budget_s)
    n = len(existing)
    none = np.zeros(n, dtype=bool)
    best = run(none, powers[0])
    best_forbidden = none
    plain = -np.inf if best is None else best.objective
    runs = 1
    first_s = max(time.perf_counter() - (t_end - max(0.0, time_budget_s)), 1e-6)

    def time_left() -> bool:
        return runs < max_runs and time.perf_counter() + first_s < t_end

    def consider(plan: GreedyPlan | None, forbidden: npt.NDArray[np.bool_]) -> bool:
        nonlocal best, best_forbidden
        if plan is None or (best is not None
                            and plan.objective <= best.objective * (1 + 1e-9) + 1e-9):
            return False
        best, best_forbidden = plan, forbidden
        return True

    for pw in powers[1:]:
        if not time_left():
            break
        consider(run(none, pw), none)
        runs += 1
    seen: set[bytes] = set()
    improved = best is not None
    while improved and time_left():
        improved = False
        assert best is not None
        opened = np.flatnonzero((best.open_year >= 0) & ~existing)
        if best_forbidden.sum() >= max_forbidden:
            break
        for o in opened.tolist():
            forbidden = best_forbidden.copy()
            forbidden[o] = True
            key = np.packbits(forbidden).tobytes()
            if key in seen:
                continue
            seen.add(key)
            for pw in powers:
                if not time_left():
                    break
                runs += 1
                if consider(run(forbidden, pw), forbidden):
                    improved = True
                    break
            if improved or not time_left():
                break
    if best is not None:
        log.info("local search: %d greedy runs, objective %.6g -> %.6g", runs, plain,
                 best.objective)
    return best
