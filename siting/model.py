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

**Reductions** (each switchable through :class:`Reductions`, all exact):

* options that can never open are removed: new options at a site holding an existing station,
  options costing more than the budget (or than every yearly budget), options whose grid load
  alone exceeds a group's spare capacity;
* demand rows no kept option covers, or with zero weight, are dropped (they cannot add to the
  objective; uncapacitated, a zero-weight row still shows as served when the plan covers it);
* demand rows with the same coverage set and year are merged (weights and energies summed).
  Uncapacitated this is exact. Capacitated it is exact only when the rows also have the same
  weight per unit of energy :math:`w_i/e_i` — then the objective depends only on the total
  energy served from the group, and the merged row (energy :math:`e_1+e_2`, served share
  :math:`y_g`) spans exactly the same totals. Rows with different ratios are *not* merged
  (capacity would otherwise go to the group as a whole instead of its most valuable member);
* dominated options are removed, only when the model is uncapacitated, single-period and has
  no zone, grid or corridor constraints: option *a* is dominated by *b* at the **same site**
  when *b* covers every row *a* covers and costs no more (existing options are never removed).
  Across sites the one-option-per-site rule makes dominance unsound, so it is not attempted.

**Formulation choices** (measured with ``benchmarks/formulations.py``: random MCLP instances 2k
× 200, 5k × 500, 10k × 1k at 1.5 km, HiGHS 1.16, 2 cores, 60 s limit; time relative to this
formulation, geometric mean): coverage variables *y* continuous — integer *y* gave the same
times (1.01×), so *y* stays continuous (fewer integer columns to branch on); the budget as
``≤`` — ``=`` was much faster on saturated instances (0.04× at 10k × 1k) only because it forces
the whole budget to be spent, which removes the cheapest-plan question the tie-breaker asks and
is wrong with unequal costs (a dearer plan could be forced), so it is not exact for this model;
the cost tie-breaker kept (0.68× without it, see :func:`_solve_highs`); the reductions kept
(1.34× slower without them, 2.4× on the smallest instance); HiGHS presolve and symmetry
detection left on below :data:`PRESOLVE_MAX_NNZ` (0.90× and 0.94× off, within the noise of
these runs). The same optimum was found by every
variant that proved optimality.

The **warm start** is :func:`siting._greedy.greedy_plan` (marginal covered weight per yuan,
feasible for every constraint); HiGHS gets it with ``setSolution``, CBC through PuLP's
``warmStart``. **Bound and gap** come from the solver: HiGHS's ``mip_dual_bound`` and
``mip_gap`` (relative to the objective); CBC's from its log (:func:`parse_cbc_log`). The
incumbent's tie-breaker term is added back to the bound. A solver stopped before it has a
bound (e.g. still in the root LP) reports the trivial one, all coverable weight; a proven
optimum reports bound = objective and gap 0.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pulp
import scipy.sparse as sp

from siting import diagnose
from siting._errors import InfeasibleError, InputDataError, SolverError
from siting._greedy import GreedyPlan, greedy_plan
from siting._local_search import improve_plan

log = logging.getLogger(__name__)

#: Default relative size of the cost tie-breaker (share of total weight it may ever trade).
COST_TIEBREAK: float = 1e-6
#: Whether capacitated models get the per-pair rows z_io <= e_i x_{o,p_i} by default.
#: Measured with HiGHS 1.16 on random spatial instances (800x120, 2000x200 and 5000x400,
#: 3-6 % density, capacity binding, 2 cores): solve times with the rows ranged from 3.4x
#: slower to 5x faster, totals within 20 % of each other either way; they multiply the row
#: count by 4-5. Not a reliable win, so off by default; ``strengthen=True`` turns them on.
STRENGTHEN_DEFAULT: bool = False

#: Share of ``time_limit_s`` the warm start's local search may use (the solver gets the rest).
#: On the bundled scenario a better incumbent from 1 s of local search beats 1 s more of
#: HiGHS by far (see :mod:`siting._local_search`).
LOCAL_SEARCH_SHARE: float = 0.15
#: Models with fewer columns start from the plain greedy: HiGHS solves or improves those
#: faster than the search would (a 2,000 × 200 MCLP is solved in 0.1 s; the search alone
#: took 0.5 s there).
LOCAL_SEARCH_MIN_COLUMNS: int = 20_000

#: Above this many matrix entries HiGHS runs without presolve (see :func:`_solve_highs`).
PRESOLVE_MAX_NNZ: int = 2_000_000

_INT_TOL = 0.5


# =========================================================================== inputs
@dataclass(frozen=True)
class ModelInput:
    """Everything the MIP needs, as arrays indexed by demand row and by option.

    Attributes
    ----------
    weight
        (n_demand,) objective weight of serving the row fully (vehicles or kWh/day).
    energy
        (n_demand,) daily energy in capacity units (kWh/day or kg/day).
    year
        (n_demand,) int year index 0..P-1 (single period: zeros).
    cover
        (n_demand, n_options) sparse; an *entry* (even an explicit 0.0) means the option may
        serve the row. Values, when travel times in s, pick the nearest station in the
        uncapacitated allocation.
    option_site
        (n_options,) int site index; at most one option per site is open.
    option_cost
        (n_options,) capital cost, CNY (ignored for existing options).
    option_capacity
        (n_options,) daily capacity in the rows' energy unit; ``inf`` = uncapacitated.
    option_existing
        (n_options,) bool; fixed open from year 0 at zero cost.
    budget_total
        Total capital budget for new stations, CNY (``inf`` = none).
    budget_by_year
        (P,) cap on new spending per year, CNY (``inf`` entries = no cap), or None.
    zone_min
        Per requirement: (option indices, minimum count, by-year index).
    zone_labels
        Per requirement, a sentence for messages: ``"zone 'hedian' needs 1 hydrogen
        station(s) by 2025"``.
    grid_groups
        Per substation: (option indices, grid kW per option, spare kW). Existing options are
        assumed to be in the substation's present load and are not counted.
    grid_labels
        Per grid group, a name (substation id) for messages.
    flows
        Per corridor flow: (weight, arc sets); the flow counts as covered only if every arc
        set holds an open option (an empty set makes the flow uncoverable).
    flow_year
        (n_flows,) year index at which each flow is counted (default: the last year).
    option_tiebreak
        (n_options,) extra CNY-equivalent per option (e.g. hydrogen delivery cost) added to
        the cost in the tie-breaker only; never limits the budget.
    year_labels
        Display label per year index (e.g. ``["2024", "2025"]``).
    unit
        (n_demand,) capacity pool of each row: 0 = the option's ``option_capacity`` (kWh/day
        for electric pathways), 1 = ``option_capacity_h2`` (kg/day of hydrogen). None: all 0.
    option_capacity_h2
        (n_options,) daily capacity for unit-1 rows, or None (then ``option_capacity`` is used
        for every row). An integrated station has both pools, each with its own limit.
    source
        File the inputs come from; prefixes error messages.
    """

    weight: npt.NDArray[np.float64]
    energy: npt.NDArray[np.float64]
    year: npt.NDArray[np.int64]
    cover: sp.csr_matrix
    option_site: npt.NDArray[np.int64]
    option_cost: npt.NDArray[np.float64]
    option_capacity: npt.NDArray[np.float64]
    option_existing: npt.NDArray[np.bool_]
    budget_total: float
    budget_by_year: npt.NDArray[np.float64] | None = None
    zone_min: list[tuple[npt.NDArray[np.int64], int, int]] = field(default_factory=list)
    zone_labels: list[str] = field(default_factory=list)
    grid_groups: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], float]] = field(
        default_factory=list)
    grid_labels: list[str] = field(default_factory=list)
    flows: list[tuple[float, list[npt.NDArray[np.int64]]]] = field(default_factory=list)
    flow_year: npt.NDArray[np.int64] | None = None
    option_tiebreak: npt.NDArray[np.float64] | None = None
    year_labels: list[str] | None = None
    unit: npt.NDArray[np.int64] | None = None
    option_capacity_h2: npt.NDArray[np.float64] | None = None
    source: str = ""

    def row_units(self) -> npt.NDArray[np.int64]:
        """(n_demand,) capacity pool of each row (zeros when ``unit`` is None)."""
        if self.unit is None:
            return np.zeros(self.n_demand, dtype=np.int64)
        return np.asarray(self.unit, dtype=np.int64)

    def capacity_h2(self) -> npt.NDArray[np.float64]:
        """(n_options,) capacity of the unit-1 pool (``option_capacity`` when not given)."""
        if self.option_capacity_h2 is None:
            return np.asarray(self.option_capacity, dtype=float)
        return np.asarray(self.option_capacity_h2, dtype=float)

    @property
    def n_demand(self) -> int:
        """Number of demand rows."""
        return int(self.cover.shape[0])

    @property
    def n_options(self) -> int:
        """Number of options (site × station type)."""
        return int(self.cover.shape[1])

    @property
    def n_years(self) -> int:
        """Number of planning years P."""
        p = 1 if len(self.year) == 0 else int(np.max(self.year)) + 1
        if self.budget_by_year is not None:
            p = max(p, len(self.budget_by_year))
        if self.year_labels:
            p = max(p, len(self.year_labels))
        p = max([p] + [int(by) + 1 for _, _, by in self.zone_min])
        if self.flow_year is not None and len(self.flow_year):
            p = max(p, int(np.max(self.flow_year)) + 1)
        return p

    def year_label(self, p: int) -> str:
        """Display label of year index ``p``."""
        if self.year_labels and p < len(self.year_labels):
            return str(self.year_labels[p])
        return f"year index {p}"

    def yearly_budgets(self) -> npt.NDArray[np.float64] | None:
        """``budget_by_year`` padded with ``inf`` (no cap) to :attr:`n_years` entries, CNY."""
        if self.budget_by_year is None:
            return None
        b = np.asarray(self.budget_by_year, dtype=float)
        return np.r_[b, np.full(max(self.n_years - len(b), 0), np.inf)]

    def validate(self) -> None:
        """Raise :class:`InputDataError` (one line) on inconsistent shapes or values."""
        src = self.source or "model input"
        nd, no = self.cover.shape

        def bad(msg: str) -> None:
            raise InputDataError(f"{src}: {msg}")

        for name, n in (("weight", nd), ("energy", nd), ("year", nd), ("option_site", no),
                        ("option_cost", no), ("option_capacity", no),
                        ("option_existing", no)):
            a = np.asarray(getattr(self, name))
            if a.shape != (n,):
                per = "demand row" if name in ("weight", "energy", "year") else "option"
                bad(f"{name} has shape {a.shape} but cover is {nd} x {no}; pass one value per "
                    f"{per}")
        for name in ("weight", "energy", "option_cost"):
            a = np.asarray(getattr(self, name), dtype=float)
            if not np.all(np.isfinite(a)) or (a < 0).any():
                i = int(np.flatnonzero(~np.isfinite(a) | (a < 0))[0])
                bad(f"{name}[{i}] = {a[i]!r} must be finite and >= 0; fix that row")
        if self.unit is not None and np.asarray(self.unit).shape != (nd,):
            bad(f"unit has shape {np.asarray(self.unit).shape}; pass one value per demand row")
        if self.option_capacity_h2 is not None and np.asarray(
                self.option_capacity_h2).shape != (no,):
            bad("option_capacity_h2 needs one value per option")
        cap = np.r_[np.asarray(self.option_capacity, dtype=float), self.capacity_h2()]
        if np.isnan(cap).any() or (cap <= 0).any():
            i = int(np.flatnonzero(np.isnan(cap) | (cap <= 0))[0])
            name = f"option_capacity[{i}]" if i < no else f"option_capacity_h2[{i - no}]"
            bad(f"{name} = {cap[i]!r} must be > 0 (inf = uncapacitated); fix it")
        yr = np.asarray(self.year)
        if len(yr) and (yr.min() < 0):
            bad("year holds a negative index; years are indices 0..P-1")
        if self.budget_total < 0 or math.isnan(self.budget_total):
            bad(f"budget_total = {self.budget_total!r} must be >= 0")
        if self.budget_by_year is not None:
            b = np.asarray(self.budget_by_year, dtype=float)
            if b.ndim != 1 or np.isnan(b).any() or (b < 0).any():
                bad("budget_by_year must be a 1-D array of amounts >= 0 (inf = no cap)")
            if len(yr) and yr.max() >= len(b):
                bad(f"year index {int(yr.max())} has no entry in budget_by_year "
                    f"(length {len(b)}); give one budget per year")
        for k, (opts, m, by) in enumerate(self.zone_min):
            o = np.asarray(opts)
            if len(o) and (o.min() < 0 or o.max() >= no):
                bad(f"zone requirement #{k + 1} names option {int(o.max())} outside 0..{no - 1}")
            if m < 0 or by < 0:
                bad(f"zone requirement #{k + 1} has a negative minimum or year index")
        for g, (opts, kw, spare) in enumerate(self.grid_groups):
            name = (f"grid group '{self.grid_labels[g]}'" if g < len(self.grid_labels)
                    else f"grid group #{g + 1}")
            if len(np.asarray(opts)) != len(np.asarray(kw)):
                bad(f"{name}: {len(opts)} options but {len(kw)} kW values")
            if len(opts) and (np.max(opts) >= no or np.min(opts) < 0):
                bad(f"{name} names an option outside 0..{no - 1}")
            if spare < 0 or math.isnan(spare):
                bad(f"{name} has spare {spare!r} kW; must be >= 0 (check the substation layer)")
        for f, (w, arcs) in enumerate(self.flows):
            if not (w >= 0 and math.isfinite(w)):
                bad(f"flow #{f + 1} has weight {w!r}; must be finite and >= 0")
            for a in arcs:
                a = np.asarray(a)
                if len(a) and (a.min() < 0 or a.max() >= no):
                    bad(f"flow #{f + 1} names an option outside 0..{no - 1}")
        if self.flow_year is not None and len(self.flow_year) != len(self.flows):
            bad(f"flow_year has {len(self.flow_year)} entries for {len(self.flows)} flows")
        if self.option_tiebreak is not None:
            t = np.asarray(self.option_tiebreak, dtype=float)
            if t.shape != (no,) or not np.all(np.isfinite(t)) or (t < 0).any():
                bad("option_tiebreak must hold one finite amount >= 0 per option")


@dataclass(frozen=True)
class Reductions:
    """Which exact reductions the model builder applies (see the module docstring)."""

    remove_unopenable: bool = True
    drop_uncovered: bool = True
    merge_demand: bool = True
    remove_dominated: bool = True

    @classmethod
    def none(cls) -> Reductions:
        """All reductions off (the full model)."""
        return cls(False, False, False, False)


@dataclass(frozen=True)
class Solution:
    """A solved plan, indexed like the :class:`ModelInput` it came from.

    Attributes
    ----------
    open_year
        (n_options,) year index in which the option opens, -1 = not built (existing: 0).
    served
        (n_demand,) share of each demand row served, 0-1.
    alloc
        (n_demand, n_options) CSR: energy allocated (capacitated) or share served
        (uncapacitated: all of a row's share goes to its nearest open covering option).
    objective
        Covered weight Σ w·served + Σ flow weight·flow covered (no tie-breaker), recomputed
        from the rounded plan.
    bound
        Solver's best bound on the objective (see module docstring; NaN when unknown).
    gap
        Solver's relative MIP gap (0 when proven optimal, NaN when unknown).
    status
        ``"optimal"`` or ``"time_limit"`` (a feasible plan, not proven optimal).
    solver
        ``"highs"`` or ``"cbc"``.
    seconds
        Wall time of the solver call, s.
    n_vars, n_cons
        Size of the model handed to the solver.
    spent
        Capital cost of the new stations, CNY.
    spent_by_year
        (P,) capital cost of the stations opened in each year, CNY.
    flow_covered
        (n_flows,) 1.0 if the corridor flow is covered, else 0.0.
    warm_start_objective
        Covered weight of the greedy warm start (NaN when none was used).
    build_seconds
        Time taken to build the model, s.
    reductions
        Counts of what the reductions removed or merged.
    """

    open_year: npt.NDArray[np.int64]
    served: npt.NDArray[np.float64]
    alloc: sp.csr_matrix
    objective: float
    bound: float
    gap: float
    status: str
    solver: str
    seconds: float
    n_vars: int
    n_cons: int
    spent: float = 0.0
    spent_by_year: npt.NDArray[np.float64] | None = None
    flow_covered: npt.NDArray[np.float64] | None = None
    warm_start_objective: float = float("nan")
    build_seconds: float = 0.0
    reductions: dict[str, int] = field(default_factory=dict)


# =========================================================================== reduction
@dataclass(frozen=True)
class _Reduced:
    """The instance after reductions, with maps back to the input's indices."""

    opt: npt.NDArray[np.int64]          # kept option -> input option
    row_of: npt.NDArray[np.int64]       # input demand row -> reduced row (-1 = dropped)
    weight: npt.NDArray[np.float64]
    energy: npt.NDArray[np.float64]
    year: npt.NDArray[np.int64]
    cover: sp.csr_matrix                # (n_rows, n_kept) pattern, data 1, sorted indices
    site: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]       # 0 for existing
    tiebreak: npt.NDArray[np.float64]   # cost + option_tiebreak (0 for existing)
    capacity: npt.NDArray[np.float64]
    capacity_h2: npt.NDArray[np.float64]
    unit: npt.NDArray[np.int64]         # capacity pool per reduced row (0 kWh, 1 kg H2)
    existing: npt.NDArray[np.bool_]
    zone_min: list[tuple[npt.NDArray[np.int64], int, int]]
    grid: sp.csr_matrix | None          # (n_groups, n_kept) kW of new options
    grid_spare: npt.NDArray[np.float64] | None
    flows: list[tuple[int, float, list[npt.NDArray[np.int64]]]]  # (input flow, w, arc sets)
    flow_year: npt.NDArray[np.int64]
    n_years: int
    report: dict[str, int]


def nearest_options(cover: sp.spmatrix, k: int) -> sp.csr_matrix:
    """Keep, in each row, the ``k`` entries with the smallest values (travel times).

    Explicit zeros count as entries (a station on the fleet's own node); ties go to the lower
    column index. Rows with at most ``k`` entries are unchanged.

    Parameters
    ----------
    cover
        (n_demand, n_options) sparse matrix of travel times, s.
    k
        Entries to keep per row (>= 1).

    Returns
    -------
    scipy.sparse.csr_matrix
        Same shape, at most ``k`` entries per row, sorted indices.
    """
    c = sp.csr_matrix(cover, copy=True)
    c.sum_duplicates()
    c.sort_indices()
    counts = np.diff(c.indptr)
    if k <= 0 or counts.max(initial=0) <= k:
        return c
    rows = np.repeat(np.arange(c.shape[0]), counts)
    order = np.lexsort((c.indices, c.data, rows))       # by row, then time, then column
    rank = np.empty(c.nnz, dtype=np.int64)
    rank[order] = np.arange(c.nnz) - c.indptr[rows[order]]
    keep = rank < k
    out = sp.csr_matrix((c.data[keep], (rows[keep], c.indices[keep])), shape=c.shape)
    # csr_matrix((data, (i, j))) drops nothing but sums duplicates; explicit zeros survive
    out.sort_indices()
    return out


def _pattern(cover: sp.spmatrix) -> sp.csr_matrix:
    """Binary CSR pattern of ``cover`` keeping explicit zeros as entries."""
    c = sp.csr_matrix(cover)
    p = sp.csr_matrix((np.ones(c.nnz), c.indices.copy(), c.indptr.copy()), shape=c.shape)
    p.sum_duplicates()
    p.data[:] = 1.0
    p.sort_indices()
    return p


def _openable(mi: ModelInput, red: Reductions, *, by_cost: bool = True
              ) -> npt.NDArray[np.bool_]:
    """Options that may be open in some plan (existing always; new ones if not blocked).

    ``by_cost=False`` keeps options dearer than the budget (for messages that quote costs).
    """
    no = mi.n_options
    existing = np.asarray(mi.option_existing, dtype=bool)
    site = np.asarray(mi.option_site, dtype=np.int64)
    ok = np.ones(no, dtype=bool)
    # Semantic, always applied: a site with an existing station takes no new one.
    ok[~existing & np.isin(site, site[existing])] = False
    if red.remove_unopenable:
        cost = np.asarray(mi.option_cost, dtype=float)
        cap = float(mi.budget_total)
        yearly = mi.yearly_budgets()
        if yearly is not None:
            cap = min(cap, float(np.max(yearly)))
        if by_cost:
            ok[~existing & (cost > cap * (1 + 1e-12))] = False
        for opts, kw, spare in mi.grid_groups:
            opts = np.asarray(opts, dtype=np.int64)
            kw = np.asarray(kw, dtype=float)
            ok[opts[(kw > spare * (1 + 1e-12)) & ~existing[opts]]] = False
    return ok | existing


def _dominated(cover: sp.csr_matrix, site: npt.NDArray[np.int64],
               costs: Sequence[npt.NDArray[np.float64]], existing: npt.NDArray[np.bool_]
               ) -> npt.NDArray[np.bool_]:
    """Options dominated by another option at the same site (see module docstring).

    *a* is dominated by *b* when both sit at the same site, *b* covers every row *a* covers
    and *b* is no dearer in every array of ``costs`` (capex, tie-breaker cost). Of two
    identical options the higher index is dropped. Existing options are never dropped.
    """
    out = np.zeros(cover.shape[1], dtype=bool)
    csc = cover.tocsc()
    csc.sort_indices()
    order = np.argsort(site, kind="stable")
    bounds = np.flatnonzero(np.r_[True, site[order][1:] != site[order][:-1], True])
    for a0, b0 in itertools.pairwise(bounds):
        group = order[a0:b0].tolist()
        if len(group) < 2:
            continue
        rows = {o: set(csc.indices[csc.indptr[o]:csc.indptr[o + 1]].tolist()) for o in group}
        for a in group:
            if existing[a]:
                continue
            for b in group:
                if a == b or out[b] or any(c[b] > c[a] for c in costs):
                    continue
                if rows[a] <= rows[b]:
                    same = rows[a] == rows[b] and all(c[a] == c[b] for c in costs)
                    if same and b > a:
                        continue  # identical pair: keep the lower index, drop the other
                    out[a] = True
                    break
    return out


def _reduce(mi: ModelInput, *, capacitated: bool, red: Reductions) -> _Reduced:
    """Apply the reductions; return the reduced instance and its maps."""
    n_years = mi.n_years
    pat = _pattern(mi.cover)
    existing = np.asarray(mi.option_existing, dtype=bool)
    cost0 = np.where(existing, 0.0, np.asarray(mi.option_cost, dtype=float))
    tie0 = cost0 + (np.zeros(mi.n_options) if mi.option_tiebreak is None
                    else np.where(existing, 0.0, np.asarray(mi.option_tiebreak, float)))
    keep = _openable(mi, red)
    report = {"options_in": mi.n_options, "demand_in": mi.n_demand,
              "options_unopenable": int((~keep).sum())}
    single = (n_years == 1 and not mi.zone_min and not mi.grid_groups and not mi.flows
              and not capacitated)
    if red.remove_dominated and single:
        idx = np.flatnonzero(keep)
        dom = _dominated(pat[:, idx], np.asarray(mi.option_site)[idx],
                         (cost0[idx], tie0[idx]), existing[idx])
        keep[idx[dom]] = False
        report["options_dominated"] = int(dom.sum())
    else:
        report["options_dominated"] = 0
    opt = np.flatnonzero(keep)
    new_of = np.full(mi.n_options, -1, dtype=np.int64)
    new_of[opt] = np.arange(len(opt))

    weight = np.asarray(mi.weight, dtype=float)
    energy = np.asarray(mi.energy, dtype=float)
    year = np.asarray(mi.year, dtype=np.int64)
    unit = mi.row_units()
    sub = pat[:, opt]
    sub.sort_indices()
    rows = np.arange(mi.n_demand)
    if red.drop_uncovered:
        covered = np.diff(sub.indptr) > 0
        rows = rows[covered & (weight > 0)]
    report["demand_dropped"] = mi.n_demand - len(rows)
    row_of = np.full(mi.n_demand, -1, dtype=np.int64)
    if red.merge_demand and len(rows):
        keys: dict[tuple[Any, ...], int] = {}
        group = np.empty(len(rows), dtype=np.int64)
        ind, ptr = sub.indices, sub.indptr
        for n, i in enumerate(rows.tolist()):
            ratio: float | None = None
            if capacitated:
                ratio = math.inf if energy[i] <= 0 else float(f"{weight[i] / energy[i]:.12g}")
            key = (int(year[i]), int(unit[i]), ratio, ind[ptr[i]:ptr[i + 1]].tobytes())
            group[n] = keys.setdefault(key, len(keys))
        n_groups = len(keys)
        first = np.full(n_groups, -1, dtype=np.int64)
        first[group[::-1]] = rows[::-1]
        row_of[rows] = group
        w = np.bincount(group, weights=weight[rows], minlength=n_groups)
        e = np.bincount(group, weights=energy[rows], minlength=n_groups)
        rcover = sub[first]
        ryear = year[first]
        runit = unit[first]
    else:
        row_of[rows] = np.arange(len(rows))
        w, e, ryear, runit = weight[rows], energy[rows], year[rows], unit[rows]
        rcover = sub[rows]
    rcover = sp.csr_matrix(rcover)
    rcover.sort_indices()
    report["demand_rows"] = int(rcover.shape[0])
    report["demand_merged"] = len(rows) - int(rcover.shape[0])

    zone_min = []
    for o, m, by in mi.zone_min:
        kept = new_of[np.asarray(o, dtype=np.int64)]
        zone_min.append((np.unique(kept[kept >= 0]), int(m), int(by)))
    grid, spare = None, None
    if mi.grid_groups:
        r_, c_, v_ = [], [], []
        for g, (opts, kw, _s) in enumerate(mi.grid_groups):
            o = new_of[np.asarray(opts, dtype=np.int64)]
            kw = np.asarray(kw, dtype=float)
            ok = (o >= 0) & (kw > 0)
            ok[ok] &= ~existing[opt[o[ok]]]
            r_.append(np.full(ok.sum(), g))
            c_.append(o[ok])
            v_.append(kw[ok])
        grid = sp.csr_matrix((np.concatenate(v_), (np.concatenate(r_), np.concatenate(c_))),
                             shape=(len(mi.grid_groups), len(opt)))
        spare = np.array([s for _, _, s in mi.grid_groups], dtype=float)
    flows = []
    fy_in = (np.full(len(mi.flows), n_years - 1, dtype=np.int64) if mi.flow_year is None
             else np.asarray(mi.flow_year, dtype=np.int64))
    fy = []
    for f, (wf, arcs) in enumerate(mi.flows):
        sets = [new_of[np.asarray(a, dtype=np.int64)] for a in arcs]
        sets = [s[s >= 0] for s in sets]
        if wf > 0 and sets and all(len(s) for s in sets):
            flows.append((f, float(wf), sets))
            fy.append(fy_in[f])
    report["flows_dropped"] = len(mi.flows) - len(flows)
    return _Reduced(
        opt=opt, row_of=row_of, weight=w, energy=e, year=ryear, cover=rcover,
        site=np.asarray(mi.option_site, dtype=np.int64)[opt], cost=cost0[opt],
        tiebreak=tie0[opt], capacity=np.asarray(mi.option_capacity, dtype=float)[opt],
        capacity_h2=mi.capacity_h2()[opt], unit=runit,
        existing=existing[opt], zone_min=zone_min, grid=grid, grid_spare=spare, flows=flows,
        flow_year=np.asarray(fy, dtype=np.int64), n_years=n_years, report=report)


# =========================================================================== layout
@dataclass
class _Rows:
    """Constraint rows collected block by block as COO triplets (builder-local)."""

    r: list[npt.NDArray[np.int64]] = field(default_factory=list)
    c: list[npt.NDArray[np.int64]] = field(default_factory=list)
    v: list[npt.NDArray[np.float64]] = field(default_factory=list)
    lb: list[npt.NDArray[np.float64]] = field(default_factory=list)
    ub: list[npt.NDArray[np.float64]] = field(default_factory=list)
    names: list[tuple[str, npt.NDArray[np.int64] | list[str]]] = field(default_factory=list)
    n: int = 0

    def add(self, name: str, keys: npt.NDArray[np.int64] | list[str], rows: npt.ArrayLike,
            cols: npt.ArrayLike, vals: npt.ArrayLike, lb: npt.ArrayLike, ub: npt.ArrayLike
            ) -> None:
        """Add len(keys) rows; ``rows`` are 0-based within the block."""
        k = len(keys)
        if k == 0:
            return
        self.r.append(np.asarray(rows, dtype=np.int64) + self.n)
        self.c.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.asarray(vals, dtype=float))
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (k,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (k,)).copy())
        self.names.append((name, keys))
        self.n += k


@dataclass(frozen=True)
class _Layout:
    """Column and row arrays of the MIP (the single source for PuLP and for HiGHS)."""

    n_x: int                            # x columns: kept option × year
    n_y: int                            # y columns: reduced demand rows
    n_z: int                            # z columns: capacitated cover entries
    n_h: int                            # h columns: kept corridor flows
    P: int
    col_lb: npt.NDArray[np.float64]
    col_ub: npt.NDArray[np.float64]
    col_obj: npt.NDArray[np.float64]
    col_int: npt.NDArray[np.bool_]
    col_names: list[str]
    A: sp.csr_matrix
    row_lb: npt.NDArray[np.float64]
    row_ub: npt.NDArray[np.float64]
    row_names: list[str]
    eps: float
    z_rows: npt.NDArray[np.int64]       # reduced row of each z column
    z_opts: npt.NDArray[np.int64]       # kept option of each z column
    z_pos: npt.NDArray[np.int64]        # cover entry of each z column

    @property
    def oy(self) -> int:
        """First y column."""
        return self.n_x

    @property
    def oz(self) -> int:
        """First z column."""
        return self.n_x + self.n_y

    @property
    def oh(self) -> int:
        """First h column."""
        return self.n_x + self.n_y + self.n_z


def _tiebreak_eps(rd: _Reduced, tau: float, budget: float) -> float:
    """ε such that the whole cost term never exceeds ``tau`` × the coverable weight."""
    total_w = float(rd.weight.sum()) + sum(w for _, w, _ in rd.flows)
    new = ~rd.existing
    if tau <= 0 or not new.any() or total_w <= 0:
        return 0.0
    n_sites = int(rd.site.max()) + 1
    dearest = np.zeros(n_sites)
    np.maximum.at(dearest, rd.site[new], rd.tiebreak[new])
    extra = np.zeros(n_sites)
    np.maximum.at(extra, rd.site[new], (rd.tiebreak - rd.cost)[new])
    # Most a plan can put in the tie-breaker: one option per site, capex within the budget.
    c_max = min(float(dearest.sum()), float(extra.sum()) + budget)
    return tau * total_w / c_max if c_max > 0 else 0.0


def _layout(rd: _Reduced, mi: ModelInput, *, capacitated: bool, strengthen: bool,
            tau: float) -> _Layout:
    """Build every column and row of the MIP as arrays."""
    P = rd.n_years
    no, nr = len(rd.opt), rd.cover.shape[0]
    cov = rd.cover
    cov_rows = np.repeat(np.arange(nr), np.diff(cov.indptr))
    zmask = np.zeros(cov.nnz, dtype=bool)
    if capacitated:
        zmask = rd.energy[cov_rows] > 0
    z_pos = np.flatnonzero(zmask)
    z_rows, z_opts = cov_rows[z_pos], cov.indices[z_pos]
    n_x, n_y, n_z, n_h = no * P, nr, len(z_pos), len(rd.flows)
    ox, oy, oz, oh = 0, n_x, n_x + n_y, n_x + n_y + n_z
    n_col = oh + n_h

    col_lb = np.zeros(n_col)
    col_ub = np.ones(n_col)
    col_int = np.zeros(n_col, dtype=bool)
    col_int[:n_x] = True
    xo = np.repeat(np.arange(no), P)
    col_lb[:n_x][rd.existing[xo]] = 1.0
    eps = _tiebreak_eps(rd, tau, float(mi.budget_total))
    col_obj = np.zeros(n_col)
    col_obj[ox + np.arange(no) * P + P - 1] = -eps * rd.tiebreak
    col_obj[oy:oz] = rd.weight
    col_obj[oh:] = [w for _, w, _ in rd.flows]
    xname = [f"x_{o}_{p}" for o in rd.opt.tolist() for p in range(P)]
    col_names = (xname + [f"y_{r}" for r in range(nr)] + [f"z_{k}" for k in range(n_z)]
                 + [f"h_{f}" for f, _, _ in rd.flows])

    def X(o: npt.ArrayLike, p: npt.ArrayLike) -> npt.NDArray[np.int64]:
        return ox + np.asarray(o, dtype=np.int64) * P + np.asarray(p, dtype=np.int64)

    R = _Rows()
    new = np.flatnonzero(~rd.existing)
    inf = np.inf
    # built stays built
    if P > 1 and len(new):
        oo = np.repeat(new, P - 1)
        pp = np.tile(np.arange(P - 1), len(new))
        k = np.arange(len(oo))
        R.add("mono", [f"{rd.opt[o]}_{p}" for o, p in zip(oo.tolist(), pp.tolist(),
                                                             strict=True)],
              np.r_[k, k], np.r_[X(oo, pp), X(oo, pp + 1)],
              np.r_[np.ones(len(k)), -np.ones(len(k))], -inf, 0.0)
    # one option per site (sites holding an existing station have no new option left)
    s_new = rd.site[new]
    _, inv, cnt = np.unique(s_new, return_inverse=True, return_counts=True)
    multi = cnt[inv] > 1
    if multi.any():
        sites, sinv = np.unique(s_new[multi], return_inverse=True)
        R.add("site", sites, sinv, X(new[multi], P - 1), np.ones(multi.sum()), -inf, 1.0)
    # budgets
    if math.isfinite(mi.budget_total) and len(new):
        R.add("budget_total", ["all"], np.zeros(len(new)), X(new, P - 1), rd.cost[new],
              -inf, float(mi.budget_total))
    yearly = mi.yearly_budgets()
    if yearly is not None and len(new):
        for p in range(P):
            b = float(yearly[p])
            if not math.isfinite(b):
                continue
            cols, vals = X(new, p), rd.cost[new]
            if p > 0:
                cols, vals = np.r_[cols, X(new, p - 1)], np.r_[vals, -rd.cost[new]]
            R.add("budget_year", [str(p)], np.zeros(len(cols)), cols, vals, -inf, b)
    # zone minimums
    for k, (opts, m, by) in enumerate(rd.zone_min):
        R.add("zone", [str(k)], np.zeros(len(opts)), X(opts, by), np.ones(len(opts)),
              float(m), inf)
    # grid groups
    if rd.grid is not None and rd.grid_spare is not None:
        g = rd.grid.tocoo()
        R.add("grid", np.arange(rd.grid.shape[0]), g.row, X(g.col, P - 1), g.data, -inf,
              rd.grid_spare)
    # coverage: y_r - Σ x_{o,p_r} <= 0
    if nr:
        R.add("cover", np.arange(nr), np.r_[np.arange(nr), cov_rows],
              np.r_[oy + np.arange(nr), X(cov.indices, rd.year[cov_rows])],
              np.r_[np.ones(nr), -np.ones(cov.nnz)], -inf, 0.0)
    if capacitated and n_z:
        zr = np.unique(z_rows)
        loc = np.searchsorted(zr, z_rows)
        R.add("alloc", zr, np.r_[loc, np.arange(len(zr))],
              np.r_[oz + np.arange(n_z), oy + zr], np.r_[np.ones(n_z), -np.ones(len(zr))],
              0.0, 0.0)
        # One capacity pool per (option, year, unit): kWh rows and kg-H2 rows never share one.
        zunit = rd.unit[z_rows]
        zcap = np.where(zunit == 1, rd.capacity_h2[z_opts], rd.capacity[z_opts])
        finite = np.isfinite(zcap)
        key = (z_opts * P + rd.year[z_rows]) * 2 + zunit
        ck, cinv = np.unique(key[finite], return_inverse=True)
        if len(ck):
            cu = ck % 2
            co, cp = (ck // 2) // P, (ck // 2) % P
            R.add("cap", [f"{rd.opt[o]}_{p}" + ("_h2" if u else "")
                          for o, p, u in zip(co.tolist(), cp.tolist(), cu.tolist(),
                                             strict=True)],
                  np.r_[cinv, np.arange(len(ck))],
                  np.r_[oz + np.flatnonzero(finite), X(co, cp)],
                  np.r_[rd.energy[z_rows[finite]] / zcap[finite],
                        -np.ones(len(ck))], -inf, 0.0)
        link = np.ones(n_z, dtype=bool) if strengthen else ~finite
        lk = np.flatnonzero(link)
        if len(lk):
            R.add("link", lk, np.r_[np.arange(len(lk)), np.arange(len(lk))],
                  np.r_[oz + lk, X(z_opts[lk], rd.year[z_rows[lk]])],
                  np.r_[np.ones(len(lk)), -np.ones(len(lk))], -inf, 0.0)
    # corridor flows: h_f <= Σ_{o in K} x_{o,p_f} for every arc set K
    fr, fc, fv, fkeys = [], [], [], []
    n_arc = 0
    for j, (f, _w, sets) in enumerate(rd.flows):
        for a, s in enumerate(sets):
            fr.append(np.full(len(s) + 1, n_arc))
            fc.append(np.r_[oh + j, X(s, rd.flow_year[j])])
            fv.append(np.r_[1.0, -np.ones(len(s))])
            fkeys.append(f"{f}_{a}")
            n_arc += 1
    if n_arc:
        R.add("flow", fkeys, np.concatenate(fr), np.concatenate(fc), np.concatenate(fv),
              -inf, 0.0)

    A = sp.csr_matrix((np.concatenate(R.v) if R.v else np.zeros(0),
                       (np.concatenate(R.r) if R.r else np.zeros(0, np.int64),
                        np.concatenate(R.c) if R.c else np.zeros(0, np.int64))),
                      shape=(R.n, n_col))
    A.sum_duplicates()
    A.sort_indices()
    row_lb = np.concatenate(R.lb) if R.lb else np.zeros(0)
    row_ub = np.concatenate(R.ub) if R.ub else np.zeros(0)
    A, row_lb, row_ub = _equilibrate_rows(A, row_lb, row_ub)
    row_names = [f"{name}_{k}" for name, keys in R.names for k in
                 (keys.tolist() if isinstance(keys, np.ndarray) else keys)]
    return _Layout(n_x, n_y, n_z, n_h, P, col_lb, col_ub, col_obj, col_int, col_names, A,
                   row_lb, row_ub, row_names, eps, z_rows, z_opts, z_pos)


def _equilibrate_rows(A: sp.csr_matrix, lb: npt.NDArray[np.float64],
                      ub: npt.NDArray[np.float64]
                      ) -> tuple[sp.csr_matrix, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Divide each row by its largest |coefficient| (budgets in CNY, grid rows in kW ...).

    Leaves every row's feasible set unchanged and keeps HiGHS away from coefficient ranges
    like 1e-2..1e7 that it warns about and solves slower.
    """
    big = np.zeros(A.shape[0])
    if A.nnz:
        rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        np.maximum.at(big, rows, np.abs(A.data))
    scale = np.where(big > 0, 1.0 / np.where(big > 0, big, 1.0), 1.0)
    A = sp.csr_matrix(sp.diags(scale) @ A)
    return A, lb * scale, ub * scale


def _to_pulp(lay: _Layout, name: str = "siting") -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """The PuLP problem for a layout (variables in column order)."""
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    cat = [pulp.LpInteger if i else pulp.LpContinuous for i in lay.col_int.tolist()]
    ub = [None if not math.isfinite(u) else u for u in lay.col_ub.tolist()]
    variables = [prob.add_variable(n, lo, u, c) for n, lo, u, c in
                 zip(lay.col_names, lay.col_lb.tolist(), ub, cat, strict=True)]
    V = np.empty(len(variables), dtype=object)
    V[:] = variables
    nz = np.flatnonzero(lay.col_obj)
    prob.setObjective(pulp.LpAffineExpression(zip(V[nz].tolist(),
                                                  lay.col_obj[nz].tolist(), strict=True)))
    A = lay.A
    ind, ptr, val = A.indices, A.indptr, A.data
    for r, nm in enumerate(lay.row_names):
        a, b = ptr[r], ptr[r + 1]
        expr = pulp.LpAffineExpression(zip(V[ind[a:b]].tolist(), val[a:b].tolist(),
                                           strict=True))
        lo, hi = lay.row_lb[r], lay.row_ub[r]
        if lo == hi:
            con = pulp.LpConstraint(expr, pulp.LpConstraintEQ, nm, float(hi))
        elif math.isfinite(hi):
            con = pulp.LpConstraint(expr, pulp.LpConstraintLE, nm, float(hi))
        else:
            con = pulp.LpConstraint(expr, pulp.LpConstraintGE, nm, float(lo))
        prob.addConstraint(con)
    return prob, variables


# =========================================================================== solvers
@dataclass(frozen=True)
class _RawResult:
    status: str                         # optimal | time_limit | infeasible | no_solution
    values: npt.NDArray[np.float64] | None
    bound: float                        # on the solver objective (incl. tie-breaker)
    gap: float
    seconds: float


def _highs_available() -> bool:
    try:
        return bool(pulp.HiGHS().available())
    except Exception:  # pragma: no cover - broken installs
        return False


@contextlib.contextmanager
def _c_stdout_silenced(active: bool) -> Iterator[None]:
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


def _new_highs(*, msg: bool, time_limit_s: float, threads: int) -> Any:
    """A ``highspy.Highs`` with its banner muted (unless ``msg``), time limit and threads."""
    import highspy

    with _c_stdout_silenced(not msg):  # HiGHS prints its banner from C when created
        h = highspy.Highs()
    h.setOptionValue("output_flag", bool(msg))
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("threads", int(threads))
    return h


def _highs_lp(lay: _Layout, *, integral: bool) -> Any:
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


def _lp_bound(lay: _Layout, *, time_limit_s: float, threads: int) -> float:
    """Optimal value of the layout's LP relaxation (HiGHS), or ``inf`` if not solved in time.

    Used on the *uncapacitated* layout of a capacitated model: dropping the allocation and
    capacity rows and the integrality of x only enlarges the feasible set, so this value
    bounds the capacitated MIP from above. It is a small LP (no allocation columns; 2k
    columns for the bundled scenario, solved in ~0.1 s) and it gives a bound when HiGHS is
    stopped before finishing the capacitated root LP (5-10 s there on 2 cores). On the
    bundled scenario the two root bounds coincide (1,247.9): capacities barely bind there.
    """
    import highspy

    h = _new_highs(msg=False, time_limit_s=time_limit_s, threads=threads)
    h.passModel(_highs_lp(lay, integral=False))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return math.inf
    return float(h.getInfo().objective_function_value)


def _solve_interruptibly(h: Any) -> bool:
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


def _solve_highs(lay: _Layout, *, time_limit_s: float, mip_gap: float, threads: int,
                 msg: bool, start: npt.NDArray[np.float64] | None) -> _RawResult:
    """Solve with HiGHS through highspy, passing the layout's arrays in one call.

    This is the model PuLP's ``pulp.HiGHS`` would build from :attr:`SitingModel.problem`
    (same arrays), without creating half a million PuLP objects first.

    Presolve is off above :data:`PRESOLVE_MAX_NNZ` matrix entries: HiGHS cannot interrupt its
    presolve, which ran 10x past a 120 s time limit on a 6.2M-entry model (with it off the
    same model stopped on time with the same plan; benchmarks/README.md).

    ``mip_abs_gap`` stays at HiGHS's default on purpose. Setting it to the tie-breaker's
    whole weight (τ × coverable weight) would stop HiGHS as soon as coverage is proven, which
    is much faster on saturated instances (5k × 500 MCLP: 4 s instead of > 120 s) — but then
    *any* plan of optimal coverage qualifies, however much dearer than the cheapest one, and
    for a planning bureau the money matters more than the seconds. Use ``cost_tiebreak=0``
    (or a time limit) where only coverage counts.
    """
    import highspy

    h = _new_highs(msg=msg, time_limit_s=time_limit_s, threads=threads)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if lay.A.nnz > PRESOLVE_MAX_NNZ:
        h.setOptionValue("presolve", "off")
    h.passModel(_highs_lp(lay, integral=True))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.clip(start, lay.col_lb, lay.col_ub).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    interrupted = _solve_interruptibly(h)
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    if interrupted or ms == highspy.HighsModelStatus.kInterrupt:
        raise KeyboardInterrupt  # Ctrl-C during the solve: the caller stops, writes nothing
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
                S.kObjectiveBound, S.kObjectiveTarget, S.kHighsInterrupt, S.kMemoryLimit):
        status = "time_limit" if has_sol else "no_solution"
    else:
        msg_ = f"HiGHS stopped with status '{h.modelStatusToString(ms)}' and no usable plan"
        raise SolverError(msg_ + "; rerun with solver 'cbc' or check the inputs")
    bound = float(info.mip_dual_bound) if has_sol else math.nan
    gap = float(info.mip_gap) if has_sol else math.nan
    if status == "optimal":
        gap = max(gap, 0.0) if math.isfinite(gap) else 0.0
    return _RawResult(status, values, bound, gap, seconds)


_CBC_RESULT = re.compile(r"Result - (.+)")
_CBC_NUM = {k: re.compile(rf"^{k}:\s+(-?[0-9.eE+-]+|-?inf)", re.MULTILINE)
            for k in ("Upper bound", "Gap")}
_CBC_BEST_POSSIBLE = re.compile(r"best possible (-?[0-9.eE+-]+)")


def _solve_cbc(lay: _Layout, prob: pulp.LpProblem, variables: list[pulp.LpVariable], *,
               time_limit_s: float, mip_gap: float, threads: int, msg: bool,
               start: npt.NDArray[np.float64] | None) -> _RawResult:
    """Solve with PuLP's bundled CBC; bound and gap parsed from its log.

    CBC prints, when stopped early on a maximisation, ``Upper bound:`` and ``Gap:`` (as a
    negative fraction) after ``Result - Stopped on time limit``; when it proves optimality it
    prints neither, and the bound is the objective. CBC's time limit does not interrupt its
    root LP, so big capacitated models may overrun it.
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
        return _RawResult("infeasible", None, math.nan, math.nan, seconds)
    has_sol = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    values = (np.array([0.0 if v.varValue is None else v.varValue for v in variables])
              if has_sol else None)
    if values is None:
        return _RawResult("no_solution", None, math.nan, math.nan, seconds)
    if prob.sol_status == pulp.LpSolutionOptimal and "stopped" not in head:
        return _RawResult("optimal", values, float(lay.col_obj @ values), 0.0, seconds)
    return _RawResult("time_limit", values, bound, gap, seconds)


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


# =========================================================================== the model
class SitingModel:
    """The siting MIP built from a :class:`ModelInput`.

    Build with :meth:`from_input`, then :meth:`solve`. The MIP is held as arrays (columns,
    rows, a CSR matrix); :attr:`problem` is the same MIP as a PuLP problem, built on first
    access (``problem.constraints()``, ``problem.writeLP(...)``) and carrying the solution
    values after :meth:`solve`. Column names: ``x_<option>_<year>``, ``y_<row>``, ``z_<k>``,
    ``h_<flow>``; row names: ``<block>_<key>`` with blocks ``mono``, ``site``,
    ``budget_total``, ``budget_year``, ``zone``, ``grid``, ``cover``, ``alloc``, ``cap``,
    ``link``, ``flow``.
    """

    def __init__(self, mi: ModelInput, rd: _Reduced, lay: _Layout, *, capacitated: bool,
                 build_seconds: float, tau: float = COST_TIEBREAK) -> None:
        self.input = mi
        self._tau = tau
        self.capacitated = capacitated
        self.build_seconds = build_seconds
        self.reductions: dict[str, int] = dict(rd.report)
        self.eps = lay.eps
        self._rd = rd
        self._lay = lay
        self._pulp: tuple[pulp.LpProblem, list[pulp.LpVariable]] | None = None
        self._values: npt.NDArray[np.float64] | None = None

    @property
    def problem(self) -> pulp.LpProblem:
        """The MIP as a PuLP problem (built on first access; ~20 µs per variable)."""
        if self._pulp is None:
            t0 = time.perf_counter()
            self._pulp = _to_pulp(self._lay)
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
            τ of the cost tie-breaker (0 disables it); see the module docstring.
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
        rd = _reduce(mi, capacitated=capacitated, red=red)
        if strengthen is None:
            strengthen = STRENGTHEN_DEFAULT
        lay = _layout(rd, mi, capacitated=capacitated, strengthen=bool(strengthen),
                      tau=cost_tiebreak)
        build = time.perf_counter() - t0
        log.info("model built in %.2f s: %d columns, %d rows (%s)", build, lay.A.shape[1],
                 lay.A.shape[0], rd.report)
        return cls(mi, rd, lay, capacitated=capacitated, build_seconds=build,
                   tau=cost_tiebreak)

    # ------------------------------------------------------------------ solving
    def solve(self, solver: str = "highs", *, time_limit_s: float = 60.0,
              mip_gap: float = 0.0, threads: int = 2, warm_start: bool = True,
              msg: bool = False) -> Solution:
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
            Start from the greedy plan.
        msg
            Let the solver print its log.

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
        mi = self.input
        self._precheck()
        name = solver.lower()
        if name not in ("highs", "cbc"):
            raise SolverError(f"unknown solver '{solver}'; use 'highs' or 'cbc'")
        if name == "highs" and not _highs_available():
            log.warning("HiGHS (highspy) is not available; solving with CBC instead")
            name = "cbc"
        t0 = time.perf_counter()
        search_s = LOCAL_SEARCH_SHARE * time_limit_s if self.n_vars >= LOCAL_SEARCH_MIN_COLUMNS \
            else 0.0
        plan = self._warm_plan(search_s) if warm_start else None
        start = self._start_vector(plan) if plan is not None else None
        left = max(time_limit_s - (time.perf_counter() - t0), 0.1 * time_limit_s)
        raw = self._run(name, time_limit_s=left, mip_gap=mip_gap, threads=threads,
                        msg=msg, start=start)
        if raw.status == "time_limit" and name == "highs" and self._lay.n_z:
            # up to a tenth more than time_limit_s, for a bound worth reporting
            raw = self._with_relaxed_bound(raw, time_limit_s=max(1.0, 0.1 * time_limit_s),
                                           threads=threads)
        if raw.status == "infeasible":
            raise InfeasibleError(self._diagnose(name, time_limit_s, threads))
        if raw.status == "no_solution" or raw.values is None:
            src = f"{mi.source}: " if mi.source else ""
            raise SolverError(f"{src}{name} found no plan within the time limit of "
                              f"{time_limit_s:g} s; raise solver.time_limit_s")
        return self._decode(raw, name, plan)

    def _run(self, name: str, *, time_limit_s: float, mip_gap: float, threads: int,
             msg: bool, start: npt.NDArray[np.float64] | None) -> _RawResult:
        """Call the solver; keep the values (and copy them into PuLP if it is built)."""
        if name == "highs":
            raw = _solve_highs(self._lay, time_limit_s=time_limit_s, mip_gap=mip_gap,
                               threads=threads, msg=msg, start=start)
            if raw.values is not None and self._pulp is not None:
                for v, x in zip(self._pulp[1], raw.values.tolist(), strict=True):
                    v.varValue = x
        else:
            raw = _solve_cbc(self._lay, self.problem, self.variables,
                             time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads,
                             msg=msg, start=start)
        self._values = raw.values
        return raw

    def _with_relaxed_bound(self, raw: _RawResult, *, time_limit_s: float,
                            threads: int) -> _RawResult:
        """``raw`` with the uncapacitated LP bound when that is tighter (see :func:`_lp_bound`)."""
        lay = _layout(self._rd, self.input, capacitated=False, strengthen=False, tau=self._tau)
        relaxed = _lp_bound(lay, time_limit_s=time_limit_s, threads=threads)
        if not math.isfinite(relaxed) or (math.isfinite(raw.bound) and relaxed >= raw.bound):
            return raw  # no LP value in time, or the solver's own bound is as good
        log.info("bound from the uncapacitated LP relaxation: %.6g (solver's: %.6g)", relaxed,
                 raw.bound)
        return replace(raw, bound=relaxed, gap=math.nan)

    def _precheck(self) -> None:
        mi = self.input
        if not mi.zone_min:
            return
        keep = _openable(mi, Reductions(), by_cost=False)
        diagnose.check_zone_requirements(
            option_site=np.asarray(mi.option_site, dtype=np.int64),
            option_cost=np.asarray(mi.option_cost, dtype=float),
            option_existing=np.asarray(mi.option_existing, dtype=bool),
            option_can_open=keep, budget_total=float(mi.budget_total),
            budget_by_year=mi.yearly_budgets(),
            zone_min=mi.zone_min, labels=mi.zone_labels,
            year_labels=[mi.year_label(p) for p in range(mi.n_years)], source=mi.source)

    def _diagnose(self, solver: str, time_limit_s: float, threads: int) -> str:
        """Find the first zone requirement that breaks feasibility (re-solving prefixes)."""
        mi = self.input
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
        _, m, by = mi.zone_min[k]
        label = diagnose.requirement_label(mi.zone_labels, k, m, mi.year_label(by))
        return diagnose.conflict_message(label, k, mi.source)

    def _greedy(self, forbidden: npt.NDArray[np.bool_] | None = None,
                cost_power: float = 1.0) -> GreedyPlan | None:
        rd = self._rd
        if len(rd.opt) == 0:
            return None
        mi = self.input
        # The greedy knows one pool per option: give it the smaller of the two, so that its
        # plan (the warm start) respects both pools.
        has_h2, has_kwh = bool((rd.unit == 1).any()), bool((rd.unit == 0).any())
        pooled = (np.minimum(rd.capacity, rd.capacity_h2) if has_h2 and has_kwh
                  else rd.capacity_h2 if has_h2 else rd.capacity)
        return greedy_plan(
            rd.cover, rd.weight, rd.energy, rd.year, rd.n_years, rd.site, rd.cost,
            pooled, rd.existing, float(mi.budget_total),
            mi.yearly_budgets(),
            rd.zone_min, rd.grid, rd.grid_spare, capacitated=self.capacitated,
            flows=[(w, sets, int(rd.flow_year[j])) for j, (_f, w, sets) in enumerate(rd.flows)],
            forbidden=forbidden, cost_power=cost_power)

    def _warm_plan(self, time_budget_s: float) -> GreedyPlan | None:
        """The greedy plan, improved by local search within ``time_budget_s``."""
        if len(self._rd.opt) == 0:
            return None
        return improve_plan(self._greedy, self._rd.existing, time_budget_s=time_budget_s)

    def _start_vector(self, plan: GreedyPlan) -> npt.NDArray[np.float64]:
        """A full column vector for the greedy plan (feasible for every row)."""
        lay = self._lay
        v = np.zeros(lay.A.shape[1])
        P = lay.P
        oy = plan.open_year
        X = (oy[:, None] >= 0) & (np.arange(P)[None, :] >= oy[:, None])
        v[:lay.n_x] = X.ravel().astype(float)
        v[lay.oy:lay.oz] = plan.served
        if lay.n_z and plan.z is not None:
            v[lay.oz:lay.oh] = plan.z[lay.z_pos] / self._rd.energy[lay.z_rows]
        v[lay.oh:] = self._flows_covered(oy)
        return v

    def _flows_covered(self, open_year_kept: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        rd = self._rd
        out = np.zeros(len(rd.flows))
        for j, (_f, _w, sets) in enumerate(rd.flows):
            p = rd.flow_year[j]
            ok = [(open_year_kept[s] >= 0) & (open_year_kept[s] <= p) for s in sets]
            out[j] = float(all(a.any() for a in ok))
        return out

    # ------------------------------------------------------------------ decoding
    def _decode(self, raw: _RawResult, name: str, plan: GreedyPlan | None) -> Solution:
        mi, rd, lay = self.input, self._rd, self._lay
        assert raw.values is not None
        vals = raw.values
        P = lay.P
        X = vals[:lay.n_x].reshape(-1, P) > _INT_TOL if lay.n_x else np.zeros((0, P), bool)
        any_open = X.any(axis=1)
        oy_kept = np.where(any_open, np.argmax(X, axis=1), -1).astype(np.int64)
        open_year = np.full(mi.n_options, -1, dtype=np.int64)
        open_year[rd.opt] = oy_kept
        existing = np.asarray(mi.option_existing, dtype=bool)
        open_year[existing] = 0
        year = np.asarray(mi.year, dtype=np.int64)
        pat = _pattern(mi.cover)
        if self.capacitated:
            y = np.clip(vals[lay.oy:lay.oz], 0.0, 1.0)
            served = (np.where(rd.row_of >= 0, y[np.maximum(rd.row_of, 0)], 0.0) if len(y)
                      else np.zeros(len(rd.row_of)))
            served[~_covered_by_plan(pat, open_year, year)] = 0.0
            alloc = self._alloc_capacitated(vals[lay.oz:lay.oh])
        else:
            served = _covered_by_plan(pat, open_year, year).astype(float)
            alloc = _nearest_alloc(sp.csr_matrix(mi.cover), open_year, year, served)
        fy = (np.full(len(mi.flows), P - 1) if mi.flow_year is None
              else np.asarray(mi.flow_year, dtype=np.int64))
        flow_cov = np.array([float(bool(arcs) and all(
            ((open_year[np.asarray(a, dtype=np.int64)] >= 0)
             & (open_year[np.asarray(a, dtype=np.int64)] <= fy[f])).any() for a in arcs))
            for f, (_w, arcs) in enumerate(mi.flows)])
        weight = np.asarray(mi.weight, dtype=float)
        fw = np.array([w for w, _ in mi.flows], dtype=float)
        objective = float(weight @ served + (fw @ flow_cov if len(fw) else 0.0))
        cost = np.where(existing, 0.0, np.asarray(mi.option_cost, dtype=float))
        built = open_year >= 0
        spent_by_year = np.bincount(open_year[built], weights=cost[built], minlength=P)[:P]
        bound, gap = self._bound_and_gap(raw, vals, objective)
        return Solution(
            open_year=open_year, served=served, alloc=alloc, objective=objective,
            bound=bound, gap=gap, status=raw.status, solver=name, seconds=raw.seconds,
            n_vars=self.n_vars, n_cons=self.n_cons, spent=float(cost[built].sum()),
            spent_by_year=spent_by_year, flow_covered=flow_cov,
            warm_start_objective=(math.nan if plan is None else plan.objective),
            build_seconds=self.build_seconds, reductions=dict(self.reductions))

    def _bound_and_gap(self, raw: _RawResult, vals: npt.NDArray[np.float64],
                       objective: float) -> tuple[float, float]:
        """Bound on the covered weight and relative gap (to the objective, as HiGHS does).

        The solver's bound is on coverage − tie-breaker; the incumbent's tie-breaker term is
        added back. A solver stopped before it has a bound (HiGHS interrupted in presolve,
        a CBC log without one) gets the trivial bound: all coverable weight.
        """
        lay, rd = self._lay, self._rd
        tie_term = float(lay.col_obj[:lay.n_x] @ vals[:lay.n_x]) if lay.n_x else 0.0
        trivial = float(rd.weight.sum()) + sum(w for _, w, _ in rd.flows)
        if raw.status == "optimal":
            bound = raw.bound - tie_term if math.isfinite(raw.bound) else objective
            return max(bound, objective), 0.0
        bound = raw.bound - tie_term if math.isfinite(raw.bound) else trivial
        bound = max(min(bound, trivial), objective)
        gap = raw.gap if math.isfinite(raw.gap) and math.isfinite(raw.bound) else (
            (bound - objective) / abs(objective) if objective else math.inf)
        return bound, gap

    def _alloc_capacitated(self, z: npt.NDArray[np.float64]) -> sp.csr_matrix:
        """Energy each input row draws from each option: its energy × the z share."""
        mi, rd, lay = self.input, self._rd, self._lay
        nr = rd.cover.shape[0]
        Z = sp.csr_matrix((np.clip(z, 0.0, 1.0), (lay.z_rows, rd.opt[lay.z_opts])),
                          shape=(nr, mi.n_options))
        energy = np.asarray(mi.energy, dtype=float)
        kept = np.flatnonzero(rd.row_of >= 0)
        M = sp.csr_matrix((energy[kept], (kept, rd.row_of[kept])), shape=(mi.n_demand, nr))
        out = sp.csr_matrix(M @ Z)
        out.eliminate_zeros()
        return out


def _covered_by_plan(pat: sp.csr_matrix, open_year: npt.NDArray[np.int64],
                     year: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Rows with an option open by their year among their cover entries."""
    rows = np.repeat(np.arange(pat.shape[0]), np.diff(pat.indptr))
    oy = open_year[pat.indices]
    ok = (oy >= 0) & (oy <= year[rows])
    return np.bincount(rows[ok], minlength=pat.shape[0]) > 0


def _nearest_alloc(cover: sp.csr_matrix, open_year: npt.NDArray[np.int64],
                   year: npt.NDArray[np.int64], served: npt.NDArray[np.float64]
                   ) -> sp.csr_matrix:
    """Each served row's share on its covering open option with the smallest cover value."""
    c = cover.tocoo()
    oy = open_year[c.col]
    ok = (oy >= 0) & (oy <= year[c.row])
    rows, cols, t = c.row[ok], c.col[ok], c.data[ok]
    order = np.lexsort((cols, t, rows))
    rows, cols = rows[order], cols[order]
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, dtype=bool)
    rows, cols = rows[first], cols[first]
    return sp.csr_matrix((served[rows], (rows, cols)), shape=cover.shape)


def model_input_summary(mi: ModelInput) -> dict[str, int]:
    """Counts describing a :class:`ModelInput` (for logs and reports)."""
    return {"demand": mi.n_demand, "options": mi.n_options, "pairs": int(mi.cover.nnz),
            "years": mi.n_years, "zone_requirements": len(mi.zone_min),
            "grid_groups": len(mi.grid_groups), "flows": len(mi.flows)}


__all__: Sequence[str] = ["COST_TIEBREAK", "ModelInput", "Reductions", "SitingModel",
                          "Solution", "model_input_summary"]
