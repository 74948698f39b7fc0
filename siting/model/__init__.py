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

**Tie-breaker.** :math:`\varepsilon = \tau W / C`, with :math:`W` the total weight that can be
covered, :math:`C` the most a plan can spend (budget, and one option per site), and
:math:`\tau` = ``cost_tiebreak`` (default :data:`COST_TIEBREAK` = 1e-6). The whole cost term
is at most :math:`\tau W`, so among plans of equal coverage the cheaper wins and no plan is ever
preferred for being cheaper unless it covers at most :math:`\tau W` less (a millionth of the
total weight — below the solver's own tolerances).

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
the cost tie-breaker kept (0.68× without it, see :func:`~siting.model.highs.solve_highs`); the
reductions kept (1.34× slower without them, 2.4× on the smallest instance); HiGHS presolve and
symmetry detection left on below :data:`PRESOLVE_MAX_NNZ` (0.90× and 0.94× off, within the
noise of these runs). The same optimum was found by every variant that proved optimality.

The **warm start** is :func:`~siting.model.heuristics.greedy_plan` (marginal covered weight
per yuan, feasible for every constraint), improved on large models by local search
(:func:`~siting.model.heuristics.improve_plan`); HiGHS gets it with ``setSolution``, CBC
through PuLP's ``warmStart``. **Bound and gap** come from the solver: HiGHS's
``mip_dual_bound`` and ``mip_gap`` (relative to the objective); CBC's from its log
(:func:`parse_cbc_log`). The incumbent's tie-breaker term is added back to the bound. A solver
stopped before it has a bound (e.g. still in the root LP) reports the trivial one, all
coverable weight; a proven optimum reports bound = objective and gap 0.

**Package layout** (one job per module, in the order a solve runs):

===============================  ============================================================
:mod:`~siting.model.inputs`      :class:`ModelInput` and its named groups (:class:`ZoneMinimum`,
                                 :class:`GridGroup`, :class:`ArcCoverFlow`), :class:`Reductions`,
                                 :class:`Solution`
:mod:`~siting.model.reduce`      the exact reductions -> ``Reduced`` (the typed view later stages
                                 use); :func:`nearest_options`
:mod:`~siting.model.build`       columns and rows as arrays, one ``add_*`` builder per constraint
                                 family; the PuLP problem
:mod:`~siting.model.heuristics`  greedy warm start and forbid-and-refill local search
:mod:`~siting.model.highs`       HiGHS back-end (interruptible solve, LP bound)
:mod:`~siting.model.cbc`         CBC back-end (:func:`parse_cbc_log`)
:mod:`~siting.model.decode`      warm start -> columns; solver values -> :class:`Solution`
:mod:`~siting.model.diagnose`    which zone requirement makes the model infeasible
:mod:`~siting.model.target`      coverage floors and the least-cost objective (a transform of
                                 the layout); what blocks a floor
:mod:`~siting.model.solve`       :class:`SitingModel`: ties the above together
===============================  ============================================================
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
from siting.model.reduce import nearest_options
from siting.model.solve import SitingModel

__all__: Sequence[str] = [
    "COST_TIEBREAK",
    "LOCAL_SEARCH_MIN_COLUMNS",
    "LOCAL_SEARCH_SHARE",
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
