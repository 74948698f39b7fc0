r"""The siting MIP: maximise covered demand within a budget (PuLP; HiGHS, fallback CBC).

Sets: demand rows *i* (weight :math:`w_i`, daily energy :math:`e_i`, year :math:`p_i`),
options *o* = (site, station type) with cost :math:`c_o`, daily capacity :math:`q_o`, site
:math:`s(o)`, and planning years :math:`p = 0..P-1`.

.. math::

    \max \; & \sum_i w_i y_i + \sum_f w_f h_f - \varepsilon \sum_o c_o x_{o,P-1} \\
    \text{s.t. } & x_{o,p} \le x_{o,p+1}                          && \text{built stays built} \\
    & \textstyle\sum_{o \in s} x_{o,P-1} \le 1                     && \text{one option per site} \\
    & \textstyle\sum_o c_o x_{o,P-1} \le B, \quad
      \sum_o c_o (x_{o,p} - x_{o,p-1}) \le B_p                     && \text{budgets} \\
    & y_i \le \textstyle\sum_{o \ni i} x_{o,p_i}                   && \text{coverage} \\
    & \textstyle\sum_{o \ni i} z_{i,o} = y_i, \quad
      \sum_{i: p_i = p} e_i z_{i,o} \le q_o x_{o,p}                && \text{capacity} \\
    & \textstyle\sum_{o \in Z_k} x_{o,p_k} \ge m_k                 && \text{zone minimums} \\
    & \textstyle\sum_{o \in G_g} k_o x_{o,P-1} \le S_g             && \text{grid spare kW} \\
    & h_f \le \textstyle\sum_{o \in K_{f,a}} x_{o,p_f} \;\forall a && \text{corridor flows} \\
    & x \in \{0,1\}, \; y, h, z \in [0,1]

Here :math:`z_{i,o}` is the *share* of row *i*'s daily energy drawn from *o* (the energy is
:math:`e_i z_{i,o}`), created only for covering pairs; the share form and dividing each row
by its largest coefficient keep the matrix well scaled (capex in CNY, kW, kWh side by side).
Existing options are fixed open (:math:`x = 1` in every year) at zero cost; a site holding an
existing station takes no new one. With one year (:math:`P = 1`) there is no phasing.

**Coverage first, then cost** (:mod:`siting.model.phases`). With HiGHS the model is solved
lexicographically: (1) maximise covered weight :math:`W`; (2) if (1) is proven, minimise the
tie-breaker cost (capex + ``option_tiebreak``) subject to :math:`W \ge W^*` (less a
billionth, for rounding), for at most as long as step 1 took
(:data:`~siting.model.phases.COST_EFFORT`; :attr:`Solution.cost_status` says whether the
cheapest plan was proven). The
PuLP problem (:attr:`SitingModel.problem`) and CBC keep the single weighted objective of
earlier versions: :math:`\varepsilon = \tau W / C`, with :math:`W` the total weight that can
be covered, :math:`C` the most a plan can spend and :math:`\tau` = ``cost_tiebreak`` (default
:data:`COST_TIEBREAK` = 1e-6), so that the cost term is at most :math:`\tau W`.
``cost_tiebreak=0`` skips step 2.

**How a proof is found** (HiGHS; measured in benchmarks/README.md, "Proving the plan"): the
phased model is written in opening-year form (:mod:`siting.model.reform`: one binary per
option and year it opens; yearly budgets become knapsack rows, "one option per site" one
clique over types and years); the LP relaxation is solved first (an integral LP proves the
optimum at once; integer columns whose reduced cost puts them below the warm start are fixed;
when the LP covers everything, step 1 looks for a plan that covers everything — a set cover,
far easier than maximising coverage on saturated instances); HiGHS runs with restarts off,
presolve only when it fits the time limit, the feasibility-jump heuristic off under short
limits, and every plan it returns is checked against the objective it reports (HiGHS 1.16
can report an objective no plan reaches when given a start). Capacitated models can be
solved by Benders decomposition instead (:mod:`siting.model.decompose`,
``SitingModel.decompose``; off by default: slower on the bundled scenario).

**A limit is a limit.** Every step shares one deadline, 5-15 % before ``time_limit_s``
(decoding and the final-year bound fit in the rest); HiGHS is cancelled at the deadline
from its own thread.

**Reductions** (:mod:`siting.model.reduce`, each switchable through :class:`Reductions`, all
exact): options that can never open are removed, demand rows no option covers (or of zero
weight) are dropped, rows alike are merged, and options dominated at their own site are
removed when the model is uncapacitated, single-period and has no zone, grid or corridor
rows.

**Formulation choices** (measured with ``benchmarks/formulations.py``: random MCLP instances 2k
× 200, 5k × 500, 10k × 1k at 1.5 km, HiGHS 1.16, 2 cores, 60 s limit; time relative to this
formulation, geometric mean): coverage variables *y* continuous — integer *y* gave the same
times (1.01×), so *y* stays continuous (fewer integer columns to branch on); the budget as
``≤`` — ``=`` was much faster on saturated instances (0.04× at 10k × 1k) only because it forces
the whole budget to be spent, which removes the cheapest-plan question the tie-breaker asks and
is wrong with unequal costs (a dearer plan could be forced), so it is not exact for this model;
the cost tie-breaker kept (0.68× without it; now asked as a second step, see above); the
reductions kept (1.34× slower without them, 2.4× on the smallest instance); HiGHS presolve and
symmetry detection left on below :data:`PRESOLVE_MAX_NNZ` (0.90× and 0.94× off, within the
noise of these runs). The same optimum was found by every variant that proved optimality.

The **warm start** is :func:`~siting.model.heuristics.greedy_plan` (marginal covered weight
per yuan, feasible for every constraint; capacitated, it fills each option's kWh and kg-H2
pools within its vehicles a day and its hydrogen supply), improved on large models by local
search (:func:`~siting.model.heuristics.improve_plan`). A capacitated model then looks for a
better start where its LP relaxation points (:mod:`siting.model.neighbourhood`: a sub-MIP
over the stations a restricted LP opens; on the bundled scenario it takes the start from
1,435 to 1,796, where HiGHS alone reached 1,702 in 30 s). A capacitated model too large
for LP-guided steps (over a million matrix entries, or a guide LP that does not fit) gets a
Lagrangian step instead (:mod:`siting.model.lagrange`: each demand row priced, each station
valued as a fractional knapsack of its catchment): a bound with the stations' geography in
it, where otherwise only the capacity-pool bound would be reported, and plans from the
priced station problem, and one from the model restricted to the union of the best ones'
stations (:mod:`siting.model.union`; the 100k city: 70,396 … 70,881 at 180 s, gap 0.69 %,
where the pool bound left 67,998 … 75,993). HiGHS gets the start with ``setSolution``, CBC
through PuLP's ``warmStart``.

**Bound and gap** are on the objective (covered weight summed over the planning years plus
corridor flows): HiGHS's ``mip_dual_bound`` of step 1 (or the uncapacitated relaxation's
when tighter, or the capacity-pool or Lagrangian bound of a large capacitated model; with
CBC the weighted objective's, tie-breaker term added back); the gap is
(bound − objective) / objective, from the bound reported. A solver stopped before it has a
bound reports the trivial one, all coverable weight; a proven optimum reports bound =
objective and gap 0. When the plan is not proven, :attr:`Solution.year_bound`
adds a proven bound on the *final year's* covered weight (:meth:`SitingModel.year_bound`: a
solve of that year's coverage alone) — the objective's bound says nothing about one year.

**Package layout** (one job per module, in the order a solve runs):

=================================  =========================================================
:mod:`~siting.model.inputs`        :class:`ModelInput` and its named groups (:class:`ZoneMinimum`,
                                   :class:`GridGroup`, :class:`ArcCoverFlow`), :class:`Reductions`,
                                   :class:`Solution`
:mod:`~siting.model.reduce`        the exact reductions -> ``Reduced`` (the typed view later stages
                                   use); :func:`nearest_options`
:mod:`~siting.model.build`         columns and rows as arrays, one ``add_*`` builder per constraint
                                   family; the PuLP problem
:mod:`~siting.model.heuristics`    greedy warm start and forbid-and-refill local search
:mod:`~siting.model.neighbourhood` capacitated: a better start from the LP's neighbourhood
:mod:`~siting.model.poolbound`     capacitated: the capacity the budget buys, as a bound
:mod:`~siting.model.lagrange`      capacitated, too large for the LP: a Lagrangian bound, plans
:mod:`~siting.model.union`         a plan from the union of several plans' stations
:mod:`~siting.model.reform`        the opening-year form of a phased layout
:mod:`~siting.model.phases`        coverage first, then least cost; LP first; cover-everything
:mod:`~siting.model.decompose`     Benders decomposition (allocation projected out)
:mod:`~siting.model.highs`         HiGHS back-end (deadline, checked plans, LP bound)
:mod:`~siting.model.cbc`           CBC back-end (:func:`parse_cbc_log`)
:mod:`~siting.model.decode`        warm start -> columns; solver values -> :class:`Solution`
:mod:`~siting.model.diagnose`      which zone requirement makes the model infeasible
:mod:`~siting.model.target`        coverage floors and the least-cost objective (a transform of
                                   the layout); what blocks a floor
:mod:`~siting.model.solve`         :class:`SitingModel`: ties the above together (which
                                   capacitated steps run, in what order:
                                   :mod:`~siting.model.capacitated_steps`)
:mod:`~siting.model.mclp`          :class:`MCLP`: the textbook (budgeted) MCLP as a public API
=================================  =========================================================
"""

from __future__ import annotations

from collections.abc import Sequence

from siting.model.build import COST_TIEBREAK, STRENGTHEN_DEFAULT
from siting.model.cbc import parse_cbc_log
from siting.model.heuristics import LOCAL_SEARCH_MIN_COLUMNS, LOCAL_SEARCH_SHARE
from siting.model.highs import PRESOLVE_MAX_NNZ
from siting.model.inputs import (
    ArcCoverFlow,
    CoverageFloor,
    GridGroup,
    ModelInput,
    Reductions,
    Solution,
    ZoneMinimum,
    model_input_summary,
)
from siting.model.mclp import MCLP
from siting.model.reduce import nearest_options
from siting.model.solve import SitingModel

__all__: Sequence[str] = [
    "COST_TIEBREAK",
    "LOCAL_SEARCH_MIN_COLUMNS",
    "LOCAL_SEARCH_SHARE",
    "MCLP",
    "PRESOLVE_MAX_NNZ",
    "STRENGTHEN_DEFAULT",
    "ArcCoverFlow",
    "CoverageFloor",
    "GridGroup",
    "ModelInput",
    "Reductions",
    "SitingModel",
    "Solution",
    "ZoneMinimum",
    "model_input_summary",
    "nearest_options",
    "parse_cbc_log",
]
