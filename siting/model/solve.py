""":class:`SitingModel`: validate, reduce and build the MIP; warm-start, solve and decode it."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pulp

from siting._errors import InfeasibleError, SolverError
from siting.model import (
    capacitated_steps,
    cbc,
    decode,
    diagnose,
    heuristics,
    highs,
    neighbourhood,
    phases,
    swap,
    target,
    yearbound,
)
from siting.model.build import (
    COST_TIEBREAK,
    STRENGTHEN_DEFAULT,
    Layout,
    layout,
    to_pulp,
)
from siting.model.heuristics import GreedyPlan, greedy_plan, improve_plan
from siting.model.inputs import (
    BoolArray,
    FloatArray,
    ModelInput,
    RawResult,
    Reductions,
    Solution,
)
from siting.model.reduce import Reduced, nearest_options, openable, reduce

log = logging.getLogger(__name__)

#: Share of the time limit a capacitated solve gives its uncapacitated relaxation first.
RELAX_SHARE: float = 0.15
#: Share of the time limit the warm start's allocation LP may take (when it needs one).
START_LP_SHARE: float = 0.1
#: Share of the time left at the end that a stopped capacitated solve gives the best
#: allocation of its plan's stations (the final year's bound gets the rest).
ALLOC_SHARE: float = 0.8


def _stop_times(t0: float, time_limit_s: float) -> tuple[float, float]:
    """(end, deadline) of a solve started at ``t0`` (``time.perf_counter()`` instants).

    The solver stops at ``deadline``, a little before the limit: decoding, HiGHS's own
    polling interval (up to ~0.15 s seen in the root LP) and, when the plan is not proven,
    the final year's bound (:meth:`SitingModel.year_bound`, until ``end``) fit in the rest.
    """
    end = t0 + time_limit_s - min(0.05 * time_limit_s, 1.0)
    deadline = t0 + time_limit_s - min(0.15 * time_limit_s, 3.0)
    return end, deadline


class SitingModel:
    """The siting MIP built from a :class:`ModelInput`.

    Build with :meth:`from_input`, then :meth:`solve`. The MIP is held as arrays (columns,
    rows, a CSR matrix; :mod:`siting.model.build`); :attr:`problem` is the same MIP as a PuLP
    problem, built on first access (``problem.constraints()``, ``problem.writeLP(...)``) and
    carrying the solution values after :meth:`solve`. Column names: ``x_<option>_<year>``,
    ``y_<row>``, ``z_<k>``, ``h_<flow>``; row names: ``<block>_<key>`` with blocks ``mono``,
    ``site``, ``budget_total``, ``budget_year``, ``zone``, ``grid``, ``cover``, ``alloc``,
    ``cap``, ``link``, ``flow``.
    """

    def __init__(self, mi: ModelInput, rd: Reduced, lay: Layout, *, capacitated: bool,
                 build_seconds: float, tau: float = COST_TIEBREAK) -> None:
        self.input = mi
        self._tau = tau
        self.capacitated = capacitated
        #: Capacitated models: solve by Benders decomposition (:mod:`siting.model.decompose`)
        #: instead of the compact MIP. Off by default: on the bundled scenario the master
        #: MIP was re-solved once per cut (capacities bind only at integer plans there) and
        #: the compact model proved its optimum sooner (benchmarks/README.md).
        self.decompose = False
        self.build_seconds = build_seconds
        self.reductions: dict[str, int] = dict(rd.report)
        self.eps = lay.eps
        self._rd = rd
        self._lay = lay
        self._pulp: tuple[pulp.LpProblem, list[pulp.LpVariable]] | None = None
        self._values: FloatArray | None = None

    @property
    def layout(self) -> Layout:
        """The MIP's arrays (columns, rows, matrix; :class:`~siting.model.build.Layout`).
        Read it, do not change it: the solve uses the same object."""
        return self._lay

    @property
    def reduced(self) -> Reduced:
        """The reduced instance the MIP is built on (:class:`~siting.model.reduce.Reduced`):
        kept options, merged demand rows, their cover pattern. Read-only, as :attr:`layout`."""
        return self._rd

    @property
    def problem(self) -> pulp.LpProblem:
        """The MIP as a PuLP problem (built on first access; ~20 µs per variable)."""
        if self._pulp is None:
            t0 = time.perf_counter()
            self._pulp = to_pulp(self._lay)
            log.debug("PuLP problem built in %.2f s", time.perf_counter() - t0)
            if self._values is not None:
                for v, x in zip(self._pulp[1], self._values.tolist(), strict=True):
                    v.varValue = x
        return self._pulp[0]

    @property
    def variables(self) -> list[pulp.LpVariable]:
        """The PuLP variables in column order (x, y, z, h blocks)."""
        _ = self.problem
        assert self._pulp is not None
        return self._pulp[1]

    @property
    def n_vars(self) -> int:
        """Columns of the MIP."""
        return int(self._lay.A.shape[1])

    @property
    def n_cons(self) -> int:
        """Rows of the MIP."""
        return int(self._lay.A.shape[0])

    @classmethod
    def from_input(cls, mi: ModelInput, *, capacitated: bool = True,
                   reductions: Reductions | bool = True, strengthen: bool | None = None,
                   cost_tiebreak: float = COST_TIEBREAK,
                   max_alloc_options: int = 0) -> SitingModel:
        """Validate, reduce and build the MIP.

        Parameters
        ----------
        mi
            The arrays (see :class:`ModelInput`).
        capacitated
            Allocate daily energy within station capacities; False = classic maximal
            coverage. Capacitated with every capacity ``inf`` is the same as uncapacitated.
        reductions
            :class:`Reductions`, True (all) or False (none).
        strengthen
            Add z_io <= e_i x_{o,p_i} rows (capacitated); None = :data:`STRENGTHEN_DEFAULT`.
            Options with infinite capacity always get them (they stand in for the capacity
            row).
        cost_tiebreak
            τ of the cost tie-breaker (0 disables it); see :mod:`siting.model`.
        max_alloc_options
            Capacitated only: each demand row may be served by at most this many options,
            its nearest by travel time (:func:`nearest_options`); 0 = every option within
            its threshold (exact). Bounds the allocation columns by rows × this number.

        Returns
        -------
        SitingModel
        """
        t0 = time.perf_counter()
        mi.validate()
        red = (Reductions() if reductions is True else Reductions.none()
               if reductions is False else reductions)
        capacitated = bool(capacitated) and bool(
            np.isfinite(np.asarray(mi.option_capacity, dtype=float)).any())
        if capacitated and max_alloc_options > 0:
            mi = replace(mi, cover=nearest_options(mi.cover, max_alloc_options))
        rd = reduce(mi, capacitated=capacitated, red=red)
        if capacitated and target.split_merged_rows(mi, rd):  # floors: merge only when exact
            rd = reduce(mi, capacitated=capacitated, red=replace(red, merge_demand=False))
        if strengthen is None:
            strengthen = STRENGTHEN_DEFAULT
        lay = layout(rd, capacitated=capacitated, strengthen=bool(strengthen),
                     tau=cost_tiebreak)
        lay = target.transform(lay, rd, mi)  # coverage floors; least-cost objective
        build = time.perf_counter() - t0
        log.info("model built in %.2f s: %d columns, %d rows (%s)", build, lay.A.shape[1],
                 lay.A.shape[0], rd.report)
        return cls(mi, rd, lay, capacitated=capacitated, build_seconds=build,
                   tau=cost_tiebreak)

    # ------------------------------------------------------------------ solving
    def solve(self, solver: str = "highs", *, time_limit_s: float = 60.0,
              mip_gap: float = 0.0, threads: int = 2, warm_start: bool = True,
              msg: bool = False, start_plan: npt.ArrayLike | None = None) -> Solution:
        """Solve the MIP and return the plan in the input's indexing.

        Parameters
        ----------
        solver
            ``"highs"`` (falls back to CBC with a warning when highspy is unavailable) or
            ``"cbc"``.
        time_limit_s
            Wall-clock limit, s. When hit with a plan in hand, status is ``"time_limit"``.
        mip_gap
            Relative gap at which the solver may stop (0 = prove optimality).
        threads
            Solver threads.
        warm_start
            Start from the greedy plan (improved by local search on models of
            :data:`~siting.model.heuristics.LOCAL_SEARCH_MIN_COLUMNS` columns or more).
        msg
            Let the solver print its log.
        start_plan
            (n_options,) opening year index per input option (-1 = closed) of a plan to
            start from as well (e.g. the previous budget's plan in a sweep: feasible under a
            larger budget). Used when it is feasible here and better than the greedy plan.
            A least-cost model (``ModelInput.minimise_cost``) starts from it alone; without
            it, such a model is solved in two phases by
            :func:`siting.model.target.solve_least_cost`.

        Returns
        -------
        Solution

        Raises
        ------
        InfeasibleError
            A zone requirement cannot be met; the message names it.
        SolverError
            The solver failed or found no plan within the time limit.
        """
        if self.input.minimise_cost and warm_start and start_plan is None:
            return target.solve_least_cost(self, solver, time_limit_s=time_limit_s,
                                           mip_gap=mip_gap, threads=threads, msg=msg)
        self._precheck()
        name = self._solver_name(solver)
        t0 = time.perf_counter()
        end, deadline = _stop_times(t0, time_limit_s)
        plan, start = self._starts(start_plan, warm_start=warm_start,
                                   time_limit_s=time_limit_s, solver=name)
        raw, cost_status = self._solve_raw(name, start, t0=t0, deadline=deadline,
                                           time_limit_s=time_limit_s, mip_gap=mip_gap,
                                           threads=threads, msg=msg)
        if self.capacitated and raw.status != "optimal" and not self.input.minimise_cost:
            raw = self._best_allocation(raw, deadline=end)
            if raw.status == "optimal":  # proven by its allocation: no time for the cost step
                cost_status = "time_limit" if self._step2_cost().any() else "none"
        sol = self._decode(raw, name, plan, cost_status=cost_status,
                           seconds=time.perf_counter() - t0)
        if sol.status != "optimal" and name == "highs" and not self.input.minimise_cost:
            yb = self.year_bound(self.input.n_years - 1, deadline=end, threads=threads)
            if self.input.n_years == 1 and math.isfinite(sol.bound) and not yb <= sol.bound:
                yb = sol.bound  # one year: the objective's bound (a Lagrangian one) bounds it
            sol = replace(sol, year_bound=yb, seconds=time.perf_counter() - t0)
        return sol

    def _starts(self, start_plan: npt.ArrayLike | None, *, warm_start: bool,
                time_limit_s: float, solver: str = "highs"
                ) -> tuple[GreedyPlan | None, FloatArray | None]:
        """The warm start of :meth:`solve`: (the greedy plan or None, the start vector or None).

        A least-cost model given ``start_plan`` starts from it alone; otherwise from the
        greedy plan (with ``warm_start``, improved by local search), or ``start_plan`` when it
        is feasible and covers more (:meth:`_better_start`).
        """
        if self.input.minimise_cost and start_plan is not None:
            return None, target.start_from_open_year(self._lay, self._rd,
                                                     np.asarray(start_plan, dtype=np.int64))
        lagrangian = solver == "highs" and not self.input.minimise_cost  # _solve_highs runs
        plan = (self._warm_plan(self._search_seconds(time_limit_s, lagrangian=lagrangian))
                if warm_start else None)
        start = (decode.start_vector(self._lay, self._rd, plan,
                                     time_limit_s=START_LP_SHARE * time_limit_s)
                 if plan is not None else None)
        if start_plan is not None:
            start = self._better_start(start, start_plan)
        return plan, start

    def _solve_raw(self, name: str, start: FloatArray | None, *, t0: float, deadline: float,
                   time_limit_s: float, mip_gap: float, threads: int, msg: bool
                   ) -> tuple[RawResult, str]:
        """Run the solver for :meth:`solve` (started at ``t0``): (a result with a plan, its
        ``cost_status``).

        HiGHS on a coverage model: coverage, then least cost (:meth:`_solve_highs`); CBC, or
        a least-cost model (its objective is the cost): one solve in the time left.

        Raises
        ------
        InfeasibleError
            The model has no feasible plan; the message names the conflict.
        SolverError
            No plan within the time limit.
        """
        if name == "highs" and not self.input.minimise_cost:
            raw, cost_status = self._solve_highs(deadline=deadline, time_limit_s=time_limit_s,
                                                 mip_gap=mip_gap, threads=threads, msg=msg,
                                                 start=start)
        else:
            # CBC, or a least-cost model (its objective is the cost: one solve)
            left = max(time_limit_s - (time.perf_counter() - t0), 0.1 * time_limit_s)
            raw = self._run(name, time_limit_s=left, mip_gap=mip_gap, threads=threads,
                            msg=msg, start=start)
            cost_status = "least_cost" if self.input.minimise_cost else "weighted"
        if raw.status == "infeasible":
            raise InfeasibleError(self._diagnose(name, time_limit_s, threads))
        if raw.status == "no_solution" or raw.values is None:
            src = f"{self.input.source}: " if self.input.source else ""
            raise SolverError(f"{src}{name} found no plan within the time limit of "
                              f"{time_limit_s:g} s; raise solver.time_limit_s")
        return raw, cost_status

    def year_bound(self, p: int, *, deadline: float, threads: int = 2) -> float:
        """A proven upper bound on the point-demand weight any plan covers in year ``p``,
        found by ``deadline`` (:func:`siting.model.yearbound.year_bound`)."""
        return yearbound.year_bound(self._rd, p, capacitated=self.capacitated,
                                    deadline=deadline, threads=threads)

    def _solve_highs(self, *, deadline: float, time_limit_s: float, mip_gap: float,
                     threads: int, msg: bool, start: FloatArray | None
                     ) -> tuple[RawResult, str]:
        """Coverage, then least cost (:mod:`siting.model.phases`), with HiGHS.

        The returned bound is on covered weight alone (no tie-breaker term). A capacitated
        model first looks for a better start in its LP's neighbourhood
        (:mod:`siting.model.neighbourhood`: at 15 s on the bundled scenario this order found
        1,796 where the other found 1,441), then solves its uncapacitated relaxation (within
        :data:`RELAX_SHARE` of the time left): its bound is the one reported when HiGHS stops
        before its own root LP.
        """
        lay, rd = self._lay, self._rd
        cov = replace(lay, col_obj=self._coverage_obj())   # the tie-breaker removed
        relaxed, large = math.inf, False
        if self.capacitated and lay.n_z:
            large = self._too_large_for_lp(time_limit_s)  # as the start's search decided
            if not large:
                # the plans the LP relaxation points at, on a smaller model (a start only)
                start = neighbourhood.better_start(self.input, rd, lay, start,
                                                   deadline=deadline, threads=threads)
            # capacity bought with the budget: a bound in milliseconds, the one that counts
            # when a large model stops before its root LP (siting.model.poolbound)
            pool = capacitated_steps.pool_relaxation(rd, lay, cov.col_obj, deadline)
            relaxed = pool.bound
            if large:
                # too large for LP-guided steps: each row priced (siting.model.lagrange),
                # for a bound with the stations' catchments, and plans
                relaxed, start = capacitated_steps.lagrangian_step(
                    rd, lay, cov.col_obj, pool, start, relaxed, deadline=deadline,
                    threads=threads)
        if self.capacitated and lay.n_z and time_limit_s >= 5.0 and not large:
            # the uncapacitated model first: a relaxation, often solved in a fraction of the
            # capacitated model's time; its optimum bounds the capacitated one, and its plan,
            # allocated within the capacities, is a start (when both meet: proven). Not on
            # large models: the Lagrangian bound converges below the uncapacitated LP's
            # (the 100k city: 16 s of it gave 145,614, the Lagrangian 70,840)
            unc, start = capacitated_steps.relax_first(
                rd, lay, start, deadline=min(deadline, time.perf_counter() + RELAX_SHARE * (
                    deadline - time.perf_counter())), threads=threads)
            relaxed = min(relaxed, unc)

        from siting.model.decompose import Benders, sub_columns
        from siting.model.reform import free_allocation

        cost = self._step2_cost()
        # (past the deadline nothing will be solved: the 10k city at 1 s spent 0.44 s here)
        free = (free_allocation(cov, sub_columns(cov))
                if self.capacitated and lay.n_z and time.perf_counter() < deadline else None)
        if free is not None:
            log.info("allocation no limit can bind: %d demand rows, %d columns left out",
                     len(free.free_rows), len(free.free_cols))
            cov, cost = free.layout, cost[free.keep_cols]
            start = None if start is None else free.from_full(start)
        benders = None
        if self.capacitated and self.decompose and lay.n_z:
            benders = Benders(sub_columns(cov), threads=threads)

        def run(layout: Layout, **kw: object) -> RawResult:
            back = highs.solve_highs if benders is None else benders
            raw = back(layout, **kw)  # type: ignore[arg-type]
            self._values = None
            return raw

        lex = phases.solve_lexicographic(
            cov, cost, run, deadline=deadline, mip_gap=mip_gap, threads=threads, msg=msg,
            start=start, coverable=rd.coverable_weight(), lp_first=benders is None,
            bound=relaxed, improve=self._swap_improver())
        raw = lex.raw
        if free is not None and raw.values is not None:
            raw = replace(raw, values=free.to_full(raw.values))
        if raw.values is not None:
            self._set_values(raw.values)
        if raw.status == "time_limit" and math.isfinite(relaxed) and (
                not math.isfinite(raw.bound) or relaxed < raw.bound):
            log.info("bound from a relaxation (uncapacitated, or capacity pools): %.6g "
                     "(solver's: %.6g)", relaxed, raw.bound)
            raw = replace(raw, bound=relaxed, gap=math.nan)
        return raw, lex.cost_status

    def _swap_improver(self) -> phases.Improver | None:
        """On a plain MCLP (:func:`siting.model.swap.plain_mclp_size`), the swap search from
        the start and from the LP relaxation's x; None on every other model."""
        mi, rd, lay = self.input, self._rd, self._lay
        if mi.minimise_cost or mi.coverage_floors:
            return None
        p = swap.plain_mclp_size(rd, lay)
        if not p:
            return None

        def improve(lp: FloatArray, start: FloatArray | None,
                    deadline: float) -> FloatArray | None:
            guides = [lp[:lay.n_x]] + ([] if start is None else [start[:lay.n_x]])
            plan = swap.swap_plan(rd, p, guides, deadline=deadline)
            return None if plan is None else swap.plan_vector(rd, lay, plan)

        return improve

    def _best_allocation(self, raw: RawResult, *, deadline: float) -> RawResult:
        """``raw`` with its stations' best allocation (:func:`decode.allocation_for_plan`,
        in :data:`ALLOC_SHARE` of the time to ``deadline``) when that covers more.

        A plan from a stopped solve is allocated as the solver left it: the start's greedy
        allocation when the solver had no time (the 10k city at a 10 s limit: 6,708, where
        the same stations serve 8,373). A plan that then reaches the proven bound is optimal
        in coverage; the search for a cheaper plan of that coverage has not run.
        """
        lay = self._lay
        if raw.values is None or not lay.n_z:
            return raw
        left = ALLOC_SHARE * (deadline - time.perf_counter())
        v = decode.allocation_for_plan(lay, raw.values[:lay.n_x], time_limit_s=left)
        if v is None or lay.col_obj @ v <= lay.col_obj @ raw.values + 1e-9:
            return raw
        log.info("the plan's stations allocated by LP: %.6g (was %.6g)",
                 float(lay.col_obj @ v), float(lay.col_obj @ raw.values))
        self._set_values(v)
        raw = replace(raw, values=v, reported=float(lay.col_obj @ v))
        covered = float(self._coverage_obj() @ v)
        if math.isfinite(raw.bound) and covered >= raw.bound - phases.coverage_slack(raw.bound):
            raw = replace(raw, status="optimal", gap=0.0)  # it reaches a proven bound
        return raw

    def _better_start(self, start: FloatArray | None, plan: npt.ArrayLike) -> FloatArray | None:
        """``start`` or the given plan's column vector, whichever covers more (if feasible)."""
        lay, rd = self._lay, self._rd
        oy = np.asarray(plan, dtype=np.int64)
        if oy.shape != (self.input.n_options,):
            return start
        kept = oy[rd.opt]
        if (oy[np.setdiff1d(np.arange(len(oy)), rd.opt)] >= 0).any():
            return start  # opens an option this model cannot open
        X = (kept[:, None] >= 0) & (np.arange(lay.P)[None, :] >= kept[:, None])
        v = decode.allocation_for_plan(lay, X.ravel().astype(float))
        if v is None:
            return start
        if start is None or float(lay.col_obj @ v) > float(lay.col_obj @ start):
            log.info("starting from the given plan (%.6g)", float(lay.col_obj @ v))
            return v
        return start

    def tiebreak_cost(self) -> FloatArray:
        """(n_columns,) the tie-breaker's cost per column: capex + option_tiebreak of x in the
        final year, CNY (what :mod:`siting.model.phases` minimises at the best coverage)."""
        lay, rd = self._lay, self._rd
        cost = np.zeros(lay.A.shape[1])
        if lay.n_x:
            cost[np.arange(rd.n_options) * lay.P + lay.P - 1] = rd.tiebreak
        return cost

    def _coverage_obj(self) -> FloatArray:
        """(n_columns,) the layout's objective without the tie-breaker: covered weight."""
        return self._lay.col_obj + self._lay.eps * self.tiebreak_cost()

    def _step2_cost(self) -> FloatArray:
        """What the least-cost step minimises (:mod:`siting.model.phases`): the tie-breaker
        cost, or zeros when the tie-breaker is off (then there is no such step)."""
        cost = self.tiebreak_cost()
        return cost if self._tau > 0 else np.zeros_like(cost)

    def _set_values(self, values: FloatArray) -> None:
        """Keep the solver's values (and copy them into PuLP if it is built)."""
        self._values = values
        if self._pulp is not None:
            for v, x in zip(self._pulp[1], values.tolist(), strict=True):
                v.varValue = x

    @staticmethod
    def _solver_name(solver: str) -> str:
        """``"highs"`` or ``"cbc"``; HiGHS falls back to CBC (with a warning) when missing."""
        name = solver.lower()
        if name not in ("highs", "cbc"):
            raise SolverError(f"unknown solver '{solver}'; use 'highs' or 'cbc'")
        if name == "highs" and not highs.highs_available():
            log.warning("HiGHS (highspy) is not available; solving with CBC instead")
            name = "cbc"
        return name

    def _search_seconds(self, time_limit_s: float, *, lagrangian: bool = False) -> float:
        """Time the local search may take: a share of the limit, on large models only, and
        none when ``lagrangian`` (the solve will run its Lagrangian step) on capacitated
        models too large for LP-guided steps: that step finds better plans (the 100k city:
        70,110 where 36 s of local search moved the greedy's 45,376 to 45,385)."""
        if lagrangian and self._too_large_for_lp(time_limit_s):
            return 0.0
        if self.n_vars >= heuristics.LOCAL_SEARCH_MIN_COLUMNS:
            return heuristics.LOCAL_SEARCH_SHARE * time_limit_s
        return 0.0

    def _too_large_for_lp(self, seconds: float) -> bool:
        """Whether this capacitated model gets the Lagrangian step instead of LP-guided ones
        (:func:`siting.model.capacitated_steps.too_large_for_lp`)."""
        return self.capacitated and capacitated_steps.too_large_for_lp(self._rd, self._lay,
                                                                       seconds)

    def _run(self, name: str, *, time_limit_s: float, mip_gap: float, threads: int,
             msg: bool, start: FloatArray | None) -> RawResult:
        """Call the solver; keep the values (and copy them into PuLP if it is built)."""
        if name == "highs":
            raw = highs.solve_highs(self._lay, time_limit_s=time_limit_s, mip_gap=mip_gap,
                                    threads=threads, msg=msg, start=start)
            if raw.values is not None and self._pulp is not None:
                for v, x in zip(self._pulp[1], raw.values.tolist(), strict=True):
                    v.varValue = x
        else:
            raw = cbc.solve_cbc(self._lay, self.problem, self.variables,
                                time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads,
                                msg=msg, start=start)
        self._values = raw.values
        return raw

    def _with_relaxed_bound(self, raw: RawResult, *, time_limit_s: float,
                            threads: int) -> RawResult:
        """``raw`` with the uncapacitated LP bound when tighter (see :func:`highs.lp_bound`)."""
        lay = layout(self._rd, capacitated=False, strengthen=False, tau=self._tau)
        relaxed = highs.lp_bound(lay, time_limit_s=time_limit_s, threads=threads)
        if not math.isfinite(relaxed) or (math.isfinite(raw.bound) and relaxed >= raw.bound):
            return raw  # no LP value in time, or the solver's own bound is as good
        log.info("bound from the uncapacitated LP relaxation: %.6g (solver's: %.6g)", relaxed,
                 raw.bound)
        return replace(raw, bound=relaxed, gap=math.nan)

    # ------------------------------------------------------------------ infeasibility
    def _precheck(self) -> None:
        """Necessary conditions of the zone requirements (:mod:`siting.model.diagnose`)."""
        mi = self.input
        if mi.zone_min:
            diagnose.check_zone_requirements(mi, openable(mi, Reductions(), by_cost=False))
        target.precheck(mi)

    def _diagnose(self, solver: str, time_limit_s: float, threads: int) -> str:
        """Find the first zone requirement that breaks feasibility (re-solving prefixes)."""
        mi = self.input
        if mi.coverage_floors:
            why = target.explain_infeasible(mi, capacitated=self.capacitated, solver=solver,
                                            time_limit_s=time_limit_s, threads=threads)
            if why is not None:
                return why
            mi = replace(mi, coverage_floors=[], minimise_cost=False)

        def feasible(k: int) -> bool:
            sub = replace(mi, zone_min=mi.zone_min[:k], zone_labels=mi.zone_labels[:k],
                          weight=np.zeros(mi.n_demand), flows=[], flow_year=None)
            m = SitingModel.from_input(sub, capacitated=False, cost_tiebreak=0.0)
            raw = m._run(solver, time_limit_s=time_limit_s, mip_gap=1.0, threads=threads,
                         msg=False, start=None)
            return raw.status != "infeasible"

        k = diagnose.first_conflict(len(mi.zone_min), feasible)
        if k is None:
            src = f"{mi.source}: " if mi.source else ""
            return (f"{src}the model has no feasible plan although each zone requirement can "
                    "be met; check budget_by_year and the existing stations")
        z = mi.zone_min[k]
        label = diagnose.requirement_label(mi.zone_labels, k, z.minimum,
                                           mi.year_label(z.by_year))
        return diagnose.conflict_message(label, k, mi.source)

    # ------------------------------------------------------------------ warm start
    def _greedy(self, forbidden: BoolArray | None = None,
                cost_power: float = 1.0) -> GreedyPlan | None:
        """The greedy plan on the reduced instance (kept-option indices)."""
        return greedy_plan(self._rd, capacitated=self.capacitated, forbidden=forbidden,
                           cost_power=cost_power)

    def _warm_plan(self, time_budget_s: float) -> GreedyPlan | None:
        """The greedy plan, improved by local search within ``time_budget_s``."""
        if self._rd.n_options == 0:
            return None
        return improve_plan(self._greedy, self._rd.existing, time_budget_s=time_budget_s)

    # ------------------------------------------------------------------ decoding
    def _decode(self, raw: RawResult, name: str, plan: GreedyPlan | None, *,
                cost_status: str = "weighted", seconds: float | None = None) -> Solution:
        """The solver's values as a :class:`Solution` in the input's indexing."""
        mi, rd, lay = self.input, self._rd, self._lay
        assert raw.values is not None
        vals = raw.values
        open_year = decode.open_years(mi, rd, lay, vals)
        served, alloc = decode.served_and_alloc(mi, rd, lay, vals, open_year,
                                                capacitated=self.capacitated)
        flow_cov = decode.input_flows_covered(mi, open_year, lay.P, rd, lay, vals)
        weight = np.asarray(mi.weight, dtype=float)
        fw = np.array([f.weight for f in mi.flows], dtype=float)
        objective = float(weight @ served + (fw @ flow_cov if len(fw) else 0.0))
        existing = np.asarray(mi.option_existing, dtype=bool)
        cost = np.where(existing, 0.0, np.asarray(mi.option_cost, dtype=float))
        built = open_year >= 0
        spent_by_year = np.asarray(np.bincount(open_year[built], weights=cost[built],
                                               minlength=lay.P)[:lay.P], dtype=float)
        bound, gap = decode.bound_and_gap(raw, lay, rd, vals, objective,
                                          with_tiebreak=cost_status == "weighted")
        if mi.minimise_cost:  # bound and gap on the capital cost (CNY), see model.target
            bound, gap = target.cost_bound_and_gap(raw, float(cost[built].sum()), lay.eps)
        return Solution(
            open_year=open_year, served=served, alloc=alloc, objective=objective,
            bound=bound, gap=gap, status=raw.status, solver=name,
            seconds=raw.seconds if seconds is None else seconds,
            n_vars=self.n_vars, n_cons=self.n_cons, spent=float(cost[built].sum()),
            spent_by_year=spent_by_year, flow_covered=flow_cov,
            warm_start_objective=(math.nan if plan is None else plan.objective),
            build_seconds=self.build_seconds, reductions=dict(self.reductions),
            supply_use=decode.supply_use(mi, lay, vals),
            flow_alloc=decode.flow_alloc(mi, rd, lay, vals),
            cost_status=cost_status)
