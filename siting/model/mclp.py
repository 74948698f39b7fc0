r"""The classic maximal covering location problem (MCLP), plain or budgeted, as a public API.

For users who have a distance matrix or two point layers and want the textbook model —
without a scenario file, a road network or station types. The interface follows spopt's
``MCLP`` (``from_cost_matrix`` / ``from_geodataframe`` constructors, ``solve`` returning the
instance, the PuLP problem inspectable) and solves with siting's exact sparse model
(:class:`~siting.model.SitingModel`: reductions, warm start, coverage first and then the
fewest / cheapest facilities at that coverage).

.. math::

    \max \sum_i w_i y_i \quad \text{s.t.} \quad y_i \le \sum_{j: a_{ij}} x_j, \quad
    \sum_j x_j \le p, \quad \sum_j c_j x_j \le B, \quad x_j \in \{0, 1\}, \; y_i \in [0, 1]

with :math:`a_{ij}` = "facility *j* covers client *i*" (boolean), the cardinality row when
``p_facilities`` is given and the budget row when ``facility_costs`` and ``budget`` are.
Among plans of equal coverage the one with the fewest facilities (unit costs) or the least
total cost is returned. Unlike spopt, at most ``p`` facilities open: when fewer already
cover the best possible weight, the extra ones are not placed.

**Coverage is boolean.** :meth:`MCLP.from_coverage` takes an (n_clients, n_facilities)
boolean array or sparse matrix: *True* entries cover, and a stored ``0``/``False`` in a
sparse matrix does **not** (siting's internal :class:`~siting.model.ModelInput` reads any
stored entry as "covers", so a matrix built as ``csr_matrix(np.where(D <= r, D, 0))`` would
lose every client's own site at distance 0; here that cannot happen).
:meth:`MCLP.from_cost_matrix` takes distances or travel times and a radius: covered where
``cost <= service_radius``; in a *sparse* cost matrix a stored entry is a cost (0.0 is a
cost of zero and covers) and a missing entry is "out of reach".

Example
-------
>>> import numpy as np
>>> from siting.model import MCLP
>>> d = np.array([[0.0, 900.0], [1200.0, 300.0], [2500.0, 800.0]])   # 3 clients, 2 sites
>>> m = MCLP.from_cost_matrix(d, weights=[5, 3, 4], service_radius=1000, p_facilities=1)
>>> m = m.solve()
>>> m.selected.tolist(), m.covered_weight, round(m.perc_cov, 1)
([1], 12.0, 100.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pulp
import scipy.sparse as sp

from siting._errors import InputDataError, SolverError
from siting.model.inputs import GridGroup, ModelInput, Solution
from siting.model.solve import SitingModel


def _bool_coverage(coverage: Any) -> sp.csr_matrix:
    """(n_clients, n_facilities) boolean CSR with only True entries stored."""
    if sp.issparse(coverage):
        a = sp.csr_matrix(coverage)
        if a.dtype != bool:
            if np.isnan(a.data).any():
                raise InputDataError("coverage holds NaN; pass True/False (or 1/0) entries")
            a = sp.csr_matrix((a.data != 0, a.indices, a.indptr), shape=a.shape)
    else:
        arr = np.asarray(coverage)
        if arr.ndim != 2:
            raise InputDataError(f"coverage must be 2-D (clients × facilities), got shape "
                                 f"{arr.shape}")
        if arr.dtype != bool:
            if not np.isfinite(arr.astype(float)).all():
                raise InputDataError("coverage holds NaN or inf; pass True/False (or 1/0)")
            arr = arr != 0
        a = sp.csr_matrix(arr)
    a.eliminate_zeros()
    a.sort_indices()
    return a


def _vector(values: Any, n: int, name: str, *, positive: bool = False) -> npt.NDArray[Any]:
    a = np.asarray(values, dtype=float).ravel()
    if a.shape != (n,):
        raise InputDataError(f"{name} has {a.size} values; pass one per "
                             f"{'client' if name == 'weights' else 'facility'} ({n})")
    if not np.isfinite(a).all() or (a < 0).any() or (positive and (a <= 0).any()):
        i = int(np.flatnonzero(~np.isfinite(a) | (a < 0))[0]) if (
            ~np.isfinite(a) | (a < 0)).any() else int(np.flatnonzero(a <= 0)[0])
        rule = "> 0" if positive else ">= 0"
        raise InputDataError(f"{name}[{i}] = {float(a[i])!r} must be finite and {rule}")
    return a


class MCLP:
    """Maximal covering location problem (plain or budgeted), solved exactly with siting.

    Build with :meth:`from_coverage`, :meth:`from_cost_matrix` or :meth:`from_geodataframe`,
    then call :meth:`solve`. After solving: :attr:`selected`, :attr:`covered`,
    :attr:`covered_weight`, :attr:`perc_weight`, :attr:`perc_cov`, :attr:`n_cli_uncov`,
    :attr:`status`, :attr:`bound`, :attr:`gap`, :meth:`fac2cli`, :meth:`cli2fac`, and
    :attr:`solution` (the full :class:`~siting.model.Solution`).

    Parameters
    ----------
    coverage
        (n_clients, n_facilities) boolean sparse matrix (True = covers).
    weights
        (n_clients,) client weights (>= 0).
    p_facilities
        Most facilities to open (predefined ones included), or None.
    facility_costs, budget
        Cost per facility and the total budget (same unit), or None.
    predefined_facilities
        (n_facilities,) bool: facilities already open (free, always selected), or None.
    name
        Name of the PuLP problem.
    """

    def __init__(self, coverage: sp.csr_matrix, weights: npt.ArrayLike, *,
                 p_facilities: int | None = None, facility_costs: npt.ArrayLike | None = None,
                 budget: float | None = None,
                 predefined_facilities: npt.ArrayLike | None = None,
                 name: str = "mclp") -> None:
        cov = _bool_coverage(coverage)
        n_cli, n_fac = cov.shape
        self.name = name
        self.coverage = cov
        self.weights = _vector(weights, n_cli, "weights")
        if p_facilities is None and (facility_costs is None or budget is None):
            raise InputDataError("give p_facilities, or facility_costs and budget (or all "
                                 "three): the model needs a limit on what it opens")
        if (facility_costs is None) != (budget is None):
            raise InputDataError("facility_costs and budget go together; give both or neither")
        pre = (np.zeros(n_fac, dtype=bool) if predefined_facilities is None
               else np.asarray(predefined_facilities, dtype=bool).ravel())
        if pre.shape != (n_fac,):
            raise InputDataError(f"predefined_facilities has {pre.size} values; pass one per "
                                 f"facility ({n_fac})")
        self.predefined = pre
        if p_facilities is not None and (int(p_facilities) != p_facilities
                                         or p_facilities < 0):
            raise InputDataError(f"p_facilities = {p_facilities!r} must be a whole number >= 0")
        self.p_facilities = None if p_facilities is None else int(p_facilities)
        if self.p_facilities is not None and self.p_facilities < int(pre.sum()):
            raise InputDataError(f"p_facilities = {self.p_facilities} is smaller than the "
                                 f"{int(pre.sum())} predefined facilities")
        self.facility_costs = (None if facility_costs is None
                               else _vector(facility_costs, n_fac, "facility_costs"))
        if budget is not None and not (math.isfinite(budget) and budget >= 0):
            raise InputDataError(f"budget = {float(budget)!r} must be finite and >= 0")
        self.budget = None if budget is None else float(budget)
        self._model: SitingModel | None = None
        self.solution: Solution | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_coverage(cls, coverage: Any, weights: npt.ArrayLike, *,
                      p_facilities: int | None = None,
                      facility_costs: npt.ArrayLike | None = None, budget: float | None = None,
                      predefined_facilities: npt.ArrayLike | None = None,
                      name: str = "mclp") -> MCLP:
        """An MCLP from a boolean coverage matrix (dense or sparse; True = covers).

        A stored ``False``/``0`` in a sparse matrix does not cover.
        """
        return cls(coverage, weights, p_facilities=p_facilities,
                   facility_costs=facility_costs, budget=budget,
                   predefined_facilities=predefined_facilities, name=name)

    @classmethod
    def from_cost_matrix(cls, cost_matrix: Any, weights: npt.ArrayLike,
                         service_radius: float, p_facilities: int | None = None, *,
                         facility_costs: npt.ArrayLike | None = None,
                         budget: float | None = None,
                         predefined_facilities: npt.ArrayLike | None = None,
                         name: str = "mclp") -> MCLP:
        """An MCLP from client × facility costs (distances, travel times) and a radius.

        Parameters
        ----------
        cost_matrix
            (n_clients, n_facilities) costs, in the unit of ``service_radius``. Dense: every
            entry is a cost (``inf``/NaN = out of reach). Sparse: a stored entry is a cost
            (a stored 0.0 is a cost of zero and covers), a missing entry is out of reach.
        weights
            (n_clients,) client weights.
        service_radius
            A client is covered by a facility whose cost is ``<= service_radius``.
        p_facilities, facility_costs, budget, predefined_facilities, name
            As in :class:`MCLP`.
        """
        if not (math.isfinite(service_radius) and service_radius >= 0):
            raise InputDataError(f"service_radius = {float(service_radius)!r} must be finite "
                                 "and >= 0")
        if sp.issparse(cost_matrix):
            c = sp.csr_matrix(cost_matrix)
            ok = c.data <= service_radius           # NaN compares False: out of reach
            cov = sp.csr_matrix((ok, c.indices, c.indptr), shape=c.shape)
        else:
            d = np.asarray(cost_matrix, dtype=float)
            if d.ndim != 2:
                raise InputDataError(f"cost_matrix must be 2-D (clients × facilities), got "
                                     f"shape {d.shape}")
            with np.errstate(invalid="ignore"):
                cov = sp.csr_matrix(d <= service_radius)
        return cls(cov, weights, p_facilities=p_facilities, facility_costs=facility_costs,
                   budget=budget, predefined_facilities=predefined_facilities, name=name)

    @classmethod
    def from_geodataframe(cls, gdf_demand: Any, gdf_fac: Any, demand_col: str,
                          facility_col: str, weights_cols: str, service_radius: float,
                          p_facilities: int | None = None, *,
                          facility_costs_col: str | None = None, budget: float | None = None,
                          predefined_facility_col: str | None = None,
                          name: str = "mclp") -> MCLP:
        """An MCLP from two point GeoDataFrames, straight-line distances in their CRS.

        Parameters
        ----------
        gdf_demand, gdf_fac
            Clients and candidate facilities; points, in the same *projected* CRS (metres
            or feet: the radius is in that unit). Use ``.to_crs(gdf.estimate_utm_crs())``
            first for longitude/latitude layers.
        demand_col, facility_col
            Their geometry column names.
        weights_cols
            Column of ``gdf_demand`` holding the client weights.
        service_radius
            Covering distance, in the CRS unit.
        p_facilities, budget, name
            As in :class:`MCLP`.
        facility_costs_col, predefined_facility_col
            Columns of ``gdf_fac`` with each facility's cost / a bool "already open".

        Only pairs within the radius are computed (a KD-tree), never the full matrix.
        """
        from scipy.spatial import cKDTree

        xy = []
        for label, gdf, col in (("gdf_demand", gdf_demand, demand_col),
                                ("gdf_fac", gdf_fac, facility_col)):
            geom = gdf[col]
            crs = getattr(geom, "crs", None) or getattr(gdf, "crs", None)
            if crs is None:
                raise InputDataError(f"{label} has no CRS; set it with .set_crs(...) first")
            if not crs.is_projected:
                raise InputDataError(f"{label} is in {crs.to_string()} (degrees); reproject "
                                     "both layers to a metric CRS first, e.g. "
                                     ".to_crs(gdf.estimate_utm_crs())")
            kinds = set(geom.geom_type.dropna().unique())
            if kinds - {"Point"} or geom.isna().any():
                raise InputDataError(f"{label}.{col} must hold points (found "
                                     f"{sorted(kinds) or 'missing geometries'}); use "
                                     ".representative_point() for polygons")
            xy.append(np.c_[geom.x.to_numpy(), geom.y.to_numpy()])
        c1, c2 = gdf_demand[demand_col].crs, gdf_fac[facility_col].crs
        if not c1.equals(c2):
            raise InputDataError(f"gdf_demand is in {c1.to_string()} but gdf_fac in "
                                 f"{c2.to_string()}; reproject one with .to_crs(...)")
        a, b = cKDTree(xy[0]), cKDTree(xy[1])
        pairs = a.sparse_distance_matrix(b, max_distance=float(service_radius),
                                         output_type="ndarray")
        cov = sp.csr_matrix((np.ones(len(pairs), dtype=bool), (pairs["i"], pairs["j"])),
                            shape=(len(xy[0]), len(xy[1])))
        # sparse_distance_matrix keeps coincident pairs (distance 0): they cover
        costs = None if facility_costs_col is None else gdf_fac[facility_costs_col].to_numpy()
        pre = (None if predefined_facility_col is None
               else gdf_fac[predefined_facility_col].to_numpy(dtype=bool))
        return cls(cov, gdf_demand[weights_cols].to_numpy(dtype=float),
                   p_facilities=p_facilities, facility_costs=costs, budget=budget,
                   predefined_facilities=pre, name=name)

    # ------------------------------------------------------------------ the model
    def model_input(self) -> ModelInput:
        """This MCLP as siting's :class:`~siting.model.ModelInput` (one option per site)."""
        n_cli, n_fac = self.coverage.shape
        pre = self.predefined
        costs = np.ones(n_fac) if self.facility_costs is None else self.facility_costs
        n_new_max = None if self.p_facilities is None else self.p_facilities - int(pre.sum())
        groups: list[GridGroup] = []
        if self.budget is None:
            assert n_new_max is not None  # __init__: no budget means a count p_facilities
            budget = float(n_new_max)            # unit costs: the budget is the count
        else:
            budget = self.budget
            if n_new_max is not None:            # both: the count as a second knapsack row
                groups = [GridGroup(np.arange(n_fac), np.ones(n_fac), float(n_new_max))]
        return ModelInput(
            weight=self.weights, energy=np.ones(n_cli), year=np.zeros(n_cli, dtype=np.int64),
            cover=self.coverage.astype(float), option_site=np.arange(n_fac),
            option_cost=costs, option_capacity=np.full(n_fac, np.inf),
            option_existing=pre, budget_total=budget, grid_groups=groups,
            grid_labels=["p_facilities"] if groups else [], source=f"MCLP '{self.name}'")

    @property
    def model(self) -> SitingModel:
        """The siting model (built on first access)."""
        if self._model is None:
            self._model = SitingModel.from_input(self.model_input(), capacitated=False)
        return self._model

    @property
    def problem(self) -> pulp.LpProblem:
        """The MIP as a PuLP problem (``x_<facility>_0`` open, ``y_<row>`` covered share of
        each group of clients with the same covering facilities); see
        :attr:`SitingModel.problem`. Its objective includes the cost tie-breaker."""
        prob = self.model.problem
        prob.name = self.name
        return prob

    def solve(self, solver: str = "highs", *, time_limit_s: float = 60.0, mip_gap: float = 0.0,
              threads: int = 2, msg: bool = False, raise_on_limit: bool = False) -> MCLP:
        """Solve and return ``self``.

        Parameters
        ----------
        solver
            ``"highs"`` (default) or ``"cbc"``.
        time_limit_s, mip_gap, threads, msg
            As in :meth:`SitingModel.solve`.
        raise_on_limit
            Raise :class:`~siting.errors.SolverError` when the time limit stops the solve
            before optimality is proven (spopt raises on any non-optimal status); by default
            the best plan found is kept and :attr:`status` / :attr:`gap` say so.
        """
        sol = self.model.solve(solver, time_limit_s=time_limit_s, mip_gap=mip_gap,
                               threads=threads, msg=msg)
        if raise_on_limit and sol.status != "optimal":
            raise SolverError(f"MCLP '{self.name}': {sol.status} after {sol.seconds:.1f} s, "
                              f"gap {sol.gap:.2%}; raise time_limit_s")
        self.solution = sol
        return self

    # ------------------------------------------------------------------ results
    def _sol(self) -> Solution:
        if self.solution is None:
            raise SolverError(f"MCLP '{self.name}' is not solved yet; call .solve() first")
        return self.solution

    @property
    def selected(self) -> npt.NDArray[np.int64]:
        """Indices of the open facilities (predefined ones included), ascending."""
        return np.flatnonzero(self._sol().open_year >= 0)

    @property
    def covered(self) -> npt.NDArray[np.bool_]:
        """(n_clients,) True where an open facility covers the client."""
        return self._sol().served > 0.5

    @property
    def covered_weight(self) -> float:
        """Total weight of the covered clients."""
        return float(self.weights[self.covered].sum())

    @property
    def perc_cov(self) -> float:
        """Covered clients as a percentage of all clients (0-100; spopt's ``perc_cov``)."""
        n = self.coverage.shape[0]
        return 100.0 * (n - self.n_cli_uncov) / n if n else 0.0

    @property
    def perc_weight(self) -> float:
        """Covered weight as a percentage of the total weight (0-100)."""
        total = float(self.weights.sum())
        return 100.0 * self.covered_weight / total if total > 0 else 0.0

    @property
    def n_cli_uncov(self) -> int:
        """Number of clients no open facility covers."""
        return int((~self.covered).sum())

    @property
    def status(self) -> str:
        """``"optimal"`` or ``"time_limit"`` (see :class:`~siting.model.Solution`)."""
        return self._sol().status

    @property
    def bound(self) -> float:
        """Proven upper bound on the covered weight (= covered weight when optimal)."""
        return self._sol().bound

    @property
    def gap(self) -> float:
        """Relative gap between :attr:`bound` and :attr:`covered_weight`."""
        return self._sol().gap

    def fac2cli(self) -> list[list[int]]:
        """Per facility, the clients it covers if open (empty for closed facilities)."""
        csc = self.coverage.tocsc()
        open_ = set(self.selected.tolist())
        return [csc.indices[csc.indptr[j]:csc.indptr[j + 1]].tolist() if j in open_ else []
                for j in range(csc.shape[1])]

    def cli2fac(self) -> list[list[int]]:
        """Per client, the open facilities covering it."""
        is_open = np.zeros(self.coverage.shape[1], dtype=bool)
        is_open[self.selected] = True
        cov = self.coverage
        return [[int(j) for j in cov.indices[cov.indptr[i]:cov.indptr[i + 1]] if is_open[j]]
                for i in range(cov.shape[0])]

    def __repr__(self) -> str:
        n_cli, n_fac = self.coverage.shape
        state = ("unsolved" if self.solution is None
                 else f"{self.status}, {len(self.selected)} open, {self.perc_weight:.1f} % of "
                 "the weight covered")
        return f"MCLP({self.name!r}, {n_cli} clients × {n_fac} facilities, {state})"


__all__: Sequence[str] = ["MCLP"]
