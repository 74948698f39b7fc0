"""What the siting MIP takes and gives: :class:`ModelInput`, its named groups, :class:`Solution`.

Everything here is plain data: arrays indexed by demand row and by option (see
:mod:`siting.model` for the formulation). The named groups -- :class:`ZoneMinimum`,
:class:`GridGroup` and :class:`ArcCoverFlow` -- replace the bare tuples the model used to
take; plain tuples in the old order are still accepted by :class:`ModelInput` and converted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from siting._errors import InputDataError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


# =========================================================================== named groups
@dataclass(frozen=True, eq=False)
class ZoneMinimum:
    """At least ``minimum`` of ``options`` open by year index ``by_year`` (a zone rule).

    Attributes
    ----------
    options
        Option indices eligible for the requirement (stations of the right type in the zone).
    minimum
        Number of them that must be open (existing stations count).
    by_year
        Year index 0..P-1 by which they must be open.
    """

    options: IntArray
    minimum: int
    by_year: int

    @classmethod
    def of(cls, z: ZoneMinimum | Sequence[Any]) -> ZoneMinimum:
        """``z`` itself, or a ZoneMinimum from an ``(options, minimum, by_year)`` tuple."""
        return z if isinstance(z, ZoneMinimum) else cls(*z)


@dataclass(frozen=True, eq=False)
class GridGroup:
    """Options fed by one substation: their new grid load may not exceed its spare capacity.

    Attributes
    ----------
    options
        Option indices drawing from the substation.
    kw
        Grid load of each of those options, kW (same length as ``options``). Existing options
        are assumed to be in the substation's present load and are not counted.
    spare_kw
        Spare capacity of the substation, kW.
    """

    options: IntArray
    kw: FloatArray
    spare_kw: float

    @classmethod
    def of(cls, g: GridGroup | Sequence[Any]) -> GridGroup:
        """``g`` itself, or a GridGroup from an ``(options, kw, spare_kw)`` tuple."""
        return g if isinstance(g, GridGroup) else cls(*g)


@dataclass(frozen=True, eq=False)
class ArcCoverFlow:
    """A corridor flow in arc-cover form: its weight counts only if every arc set is covered.

    Attributes
    ----------
    weight
        Objective weight of covering the flow (trucks per day × corridor weight).
    arc_sets
        Option index arrays; the flow counts as covered only if each set holds an option
        open by the flow's year (an empty set makes the flow uncoverable).
    """

    weight: float
    arc_sets: Sequence[IntArray]
    #: Daily energy the covered flow's trucks take on the route (capacity units: kWh/day,
    #: or kg/day of hydrogen when ``unit`` is 1); 0 = the flow draws no station capacity.
    energy: float = 0.0
    #: Capacity pool the energy is drawn from: 0 = kWh, 1 = kg of hydrogen.
    unit: int = 0
    #: Trucks per day (they count against stations' vehicles-per-day limits).
    vehicles: float = 0.0
    #: Options where the trucks can refuel (default: every option in the arc sets).
    draw_options: IntArray | None = None

    @classmethod
    def of(cls, f: ArcCoverFlow | Sequence[Any]) -> ArcCoverFlow:
        """``f`` itself, or an ArcCoverFlow from a ``(weight, arc_sets)`` tuple."""
        return f if isinstance(f, ArcCoverFlow) else cls(*f)

    def draws(self) -> IntArray:
        """Options where the flow's trucks may refuel."""
        if self.draw_options is not None:
            return np.unique(np.asarray(self.draw_options, dtype=np.int64))
        if not len(self.arc_sets):
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate([np.asarray(a, dtype=np.int64)
                                         for a in self.arc_sets]))


@dataclass(frozen=True, eq=False)
class CoverageFloor:
    """At least ``share`` of the weight of demand ``rows`` covered (a target or a zone floor).

    The share is of the rows' whole weight, rows that no option reaches included: a floor of
    0.9 on a zone whose demand is 20 % out of every station's reach cannot be met.

    Attributes
    ----------
    rows
        Input demand row indices counted (e.g. the final year's rows, or those of a zone in
        one year).
    share
        Required covered share of their weight, 0-1.
    label
        A phrase for messages: ``"target: 95 % of the 2025 demand"``,
        ``"zone 'hedian' covered at least 80 % by 2025"``.
    """

    rows: IntArray
    share: float
    label: str = ""


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
        Zone requirements (:class:`ZoneMinimum`).
    zone_labels
        Per requirement, a sentence for messages: ``"zone 'hedian' needs 1 hydrogen
        station(s) by 2025"``.
    grid_groups
        Substation limits (:class:`GridGroup`).
    grid_labels
        Per grid group, a name (substation id) for messages.
    flows
        Corridor flows (:class:`ArcCoverFlow`).
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
    vehicles
        (n_demand,) vehicles of each row, for :attr:`option_vehicles_cap`; None: not needed.
    option_vehicles_cap
        (n_options,) most vehicles a station serves per day (connectors × turns; ``inf`` =
        no limit), or None. Capacitated models only.
    supply_capacity
        (n_supply,) hydrogen each supply site can deliver, kg/day, or None.
    supply_pairs
        (n_options, n_supply) sparse; an entry means the supply site may deliver to the
        option. Options with entries draw their hydrogen (rows of unit 1 and hydrogen flows)
        from these sites, within each site's :attr:`supply_capacity` per year; options
        without entries (on-site production, electric types) are not limited. Capacitated
        models only.
    supply_labels
        Per supply site, its id for messages and reports.
    coverage_floors
        Minimum covered shares of groups of demand rows (:class:`CoverageFloor`): the target
        of a least-cost run, zones' minimum coverage shares.
    minimise_cost
        True: minimise the capital cost of the new stations (the budget, if finite, stays a
        cap) subject to every row, the floors included, instead of maximising coverage. See
        :mod:`siting.model.target`.
    source
        File the inputs come from; prefixes error messages.
    """

    weight: FloatArray
    energy: FloatArray
    year: IntArray
    cover: sp.csr_matrix
    option_site: IntArray
    option_cost: FloatArray
    option_capacity: FloatArray
    option_existing: BoolArray
    budget_total: float
    budget_by_year: FloatArray | None = None
    zone_min: list[ZoneMinimum] = field(default_factory=list)
    zone_labels: list[str] = field(default_factory=list)
    grid_groups: list[GridGroup] = field(default_factory=list)
    grid_labels: list[str] = field(default_factory=list)
    flows: list[ArcCoverFlow] = field(default_factory=list)
    flow_year: IntArray | None = None
    option_tiebreak: FloatArray | None = None
    year_labels: list[str] | None = None
    unit: IntArray | None = None
    option_capacity_h2: FloatArray | None = None
    vehicles: FloatArray | None = None
    option_vehicles_cap: FloatArray | None = None
    supply_capacity: FloatArray | None = None
    supply_pairs: sp.csr_matrix | None = None
    supply_labels: list[str] = field(default_factory=list)
    source: str = ""
    coverage_floors: list[CoverageFloor] = field(default_factory=list)
    minimise_cost: bool = False

    def __post_init__(self) -> None:
        # Callers written before the named groups pass plain tuples in the same order.
        object.__setattr__(self, "zone_min", [ZoneMinimum.of(z) for z in self.zone_min])
        object.__setattr__(self, "grid_groups", [GridGroup.of(g) for g in self.grid_groups])
        object.__setattr__(self, "flows", [ArcCoverFlow.of(f) for f in self.flows])

    def row_units(self) -> IntArray:
        """(n_demand,) capacity pool of each row (zeros when ``unit`` is None)."""
        if self.unit is None:
            return np.zeros(self.n_demand, dtype=np.int64)
        return np.asarray(self.unit, dtype=np.int64)

    def capacity_h2(self) -> FloatArray:
        """(n_options,) capacity of the unit-1 pool (``option_capacity`` when not given)."""
        if self.option_capacity_h2 is None:
            return np.asarray(self.option_capacity, dtype=float)
        return np.asarray(self.option_capacity_h2, dtype=float)

    def vehicles_cap(self) -> FloatArray:
        """(n_options,) vehicles-per-day limit of each option (``inf`` = none)."""
        if self.option_vehicles_cap is None:
            return np.full(self.n_options, np.inf)
        return np.asarray(self.option_vehicles_cap, dtype=float)

    def row_vehicles(self) -> FloatArray:
        """(n_demand,) vehicles per row (zeros when not given)."""
        if self.vehicles is None:
            return np.zeros(self.n_demand)
        return np.asarray(self.vehicles, dtype=float)

    def has_supply_limits(self) -> bool:
        """Whether any option draws hydrogen from a limited supply site."""
        return (self.supply_pairs is not None and self.supply_capacity is not None
                and self.supply_pairs.nnz > 0)

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
        p = max([p] + [int(z.by_year) + 1 for z in self.zone_min])
        if self.flow_year is not None and len(self.flow_year):
            p = max(p, int(np.max(self.flow_year)) + 1)
        return p

    def year_label(self, p: int) -> str:
        """Display label of year index ``p``."""
        if self.year_labels and p < len(self.year_labels):
            return str(self.year_labels[p])
        return f"year index {p}"

    def final_year_share(self, served: npt.ArrayLike) -> float:
        """Share of the final planning year's demand weight that ``served`` (per demand row,
        0..1) covers; 0 when that year has no weight."""
        w = np.asarray(self.weight, dtype=float)
        last = np.asarray(self.year) == self.n_years - 1
        total = float(w[last].sum())
        covered = float((w[last] * np.asarray(served, dtype=float)[last]).sum())
        return covered / total if total > 0 else 0.0

    def yearly_budgets(self) -> FloatArray | None:
        """``budget_by_year`` padded with ``inf`` (no cap) to :attr:`n_years` entries, CNY."""
        if self.budget_by_year is None:
            return None
        b = np.asarray(self.budget_by_year, dtype=float)
        return np.r_[b, np.full(max(self.n_years - len(b), 0), np.inf)]

    def validate(self) -> None:
        """Raise :class:`InputDataError` (one line) on inconsistent shapes or values."""
        self._validate_arrays()
        self._validate_groups()
        t = self.option_tiebreak
        if t is not None:
            t = np.asarray(t, dtype=float)
            if t.shape != (self.n_options,) or not np.all(np.isfinite(t)) or (t < 0).any():
                self._bad("option_tiebreak must hold one finite amount >= 0 per option")

    def _bad(self, msg: str) -> NoReturn:
        raise InputDataError(f"{self.source or 'model input'}: {msg}")

    def _validate_arrays(self) -> None:
        """Shapes and values of the per-row and per-option arrays and of the budgets."""
        nd, no = self.cover.shape
        bad = self._bad
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
                bad(f"{name}[{i}] = {float(a[i])!r} must be finite and >= 0; fix that row")
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

    def _validate_groups(self) -> None:
        """Option indices and values of the zone requirements, grid groups and flows."""
        no = self.n_options
        bad = self._bad
        for k, z in enumerate(self.zone_min):
            o = np.asarray(z.options)
            if len(o) and (o.min() < 0 or o.max() >= no):
                bad(f"zone requirement #{k + 1} names option {int(o.max())} outside 0..{no - 1}")
            if z.minimum < 0 or z.by_year < 0:
                bad(f"zone requirement #{k + 1} has a negative minimum or year index")
        for g, grp in enumerate(self.grid_groups):
            opts, kw, spare = grp.options, grp.kw, grp.spare_kw
            name = (f"grid group '{self.grid_labels[g]}'" if g < len(self.grid_labels)
                    else f"grid group #{g + 1}")
            if len(np.asarray(opts)) != len(np.asarray(kw)):
                bad(f"{name}: {len(opts)} options but {len(kw)} kW values")
            if len(opts) and (np.max(opts) >= no or np.min(opts) < 0):
                bad(f"{name} names an option outside 0..{no - 1}")
            if spare < 0 or math.isnan(spare):
                bad(f"{name} has spare {spare!r} kW; must be >= 0 (check the substation layer)")
        for f, flow in enumerate(self.flows):
            w = flow.weight
            if not (w >= 0 and math.isfinite(w)):
                bad(f"flow #{f + 1} has weight {w!r}; must be finite and >= 0")
            for a in flow.arc_sets:
                a = np.asarray(a)
                if len(a) and (a.min() < 0 or a.max() >= no):
                    bad(f"flow #{f + 1} names an option outside 0..{no - 1}")
        if self.flow_year is not None and len(self.flow_year) != len(self.flows):
            bad(f"flow_year has {len(self.flow_year)} entries for {len(self.flows)} flows")
        for f, flow in enumerate(self.flows):
            if not (flow.energy >= 0 and math.isfinite(flow.energy)) or flow.vehicles < 0:
                bad(f"flow #{f + 1} has energy {flow.energy!r} / vehicles {flow.vehicles!r}; "
                    "both must be finite and >= 0")
        self._validate_limits()
        for k, fl in enumerate(self.coverage_floors):
            r = np.asarray(fl.rows)
            if len(r) and (r.min() < 0 or r.max() >= self.n_demand):
                bad(f"coverage floor #{k + 1} names a demand row outside 0..{self.n_demand - 1}")
            if not (0.0 <= fl.share <= 1.0):
                bad(f"coverage floor #{k + 1} has share {fl.share!r}; give a share 0-1")

    def _validate_limits(self) -> None:
        """Vehicles-per-day limits and hydrogen supply sites."""
        nd, no = self.cover.shape
        bad = self._bad
        if self.vehicles is not None:
            v = np.asarray(self.vehicles, dtype=float)
            if v.shape != (nd,) or not np.all(np.isfinite(v)) or (v < 0).any():
                bad("vehicles must hold one finite value >= 0 per demand row")
        if self.option_vehicles_cap is not None:
            c = np.asarray(self.option_vehicles_cap, dtype=float)
            if c.shape != (no,) or np.isnan(c).any() or (c <= 0).any():
                bad("option_vehicles_cap must hold one value > 0 per option (inf = no limit)")
        if (self.supply_pairs is None) != (self.supply_capacity is None):
            bad("give supply_pairs and supply_capacity together")
        if self.supply_pairs is not None and self.supply_capacity is not None:
            k = np.asarray(self.supply_capacity, dtype=float)
            if self.supply_pairs.shape != (no, len(k)):
                bad(f"supply_pairs is {self.supply_pairs.shape}; expected ({no}, {len(k)})")
            if np.isnan(k).any() or (k < 0).any():
                i = int(np.flatnonzero(np.isnan(k) | (k < 0))[0])
                who = self.supply_labels[i] if i < len(self.supply_labels) else f"#{i + 1}"
                bad(f"supply site {who} delivers {k[i]!r} kg/day; must be >= 0")


def model_input_summary(mi: ModelInput) -> dict[str, int]:
    """Counts describing a :class:`ModelInput` (for logs and reports)."""
    return {"demand": mi.n_demand, "options": mi.n_options, "pairs": int(mi.cover.nnz),
            "years": mi.n_years, "zone_requirements": len(mi.zone_min),
            "grid_groups": len(mi.grid_groups), "flows": len(mi.flows)}


@dataclass(frozen=True)
class Reductions:
    """Which exact reductions the model builder applies (see :mod:`siting.model.reduce`)."""

    remove_unopenable: bool = True
    drop_uncovered: bool = True
    merge_demand: bool = True
    remove_dominated: bool = True

    @classmethod
    def none(cls) -> Reductions:
        """All reductions off (the full model)."""
        return cls(False, False, False, False)


# =========================================================================== outputs
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
        Solver's best bound on the objective (see :mod:`siting.model`; NaN when unknown).
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
    supply_use
        (n_supply, P) hydrogen each supply site delivers per year, kg/day (None when supply
        limits were not modelled).
    flow_alloc
        (n_flows, n_options) daily energy corridor trucks take at each option (capacity units),
        in the flow's year; None or empty when flows draw no capacity.
    cost_status
        Whether the plan is proven the cheapest among those of its coverage:
        ``"optimal"`` (proven), ``"time_limit"`` (the search for a cheaper plan of the same
        coverage stopped early, or had no time left), ``"not_run"`` (the coverage was not
        proven, so the cheaper search did not start), ``"none"`` (no costs to compare) or
        ``"weighted"`` (one objective, coverage − ε·cost, as CBC solves it; see
        :mod:`siting.model.phases`) or ``"least_cost"`` (a least-cost model: its objective
        is the cost, see :mod:`siting.model.target`).
    year_bound
        When the solve stopped before proving its plan optimal: a proven upper bound on the
        point-demand weight any plan covers in the final planning year (a solve of that
        year's coverage alone, capacities relaxed: :meth:`SitingModel.year_bound`); NaN
        when not computed (proven optimal, or no time left).
    """

    open_year: IntArray
    served: FloatArray
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
    spent_by_year: FloatArray | None = None
    flow_covered: FloatArray | None = None
    warm_start_objective: float = float("nan")
    build_seconds: float = 0.0
    reductions: dict[str, int] = field(default_factory=dict)
    supply_use: FloatArray | None = None
    flow_alloc: sp.csr_matrix | None = None
    cost_status: str = "weighted"
    year_bound: float = float("nan")


@dataclass(frozen=True)
class RawResult:
    """What a solver back-end hands back, in the solver's objective (tie-breaker included).

    Attributes
    ----------
    status
        ``optimal``, ``time_limit``, ``infeasible`` or ``no_solution``.
    values
        Column values (layout order), None without a plan.
    bound, gap
        Solver's bound on its objective and relative gap (NaN when unknown).
    seconds
        Wall time of the solver call, s.
    reported
        The objective the solver reported for its plan (NaN when unknown); checked against
        the plan's own value (:func:`siting.model.highs.solve_highs`).
    """

    status: str
    values: FloatArray | None
    bound: float
    gap: float
    seconds: float
    reported: float = float("nan")
