"""The MIP's columns and rows as arrays: one builder per constraint family.

:func:`layout` turns a :class:`~siting.model.reduce.Reduced` instance into a :class:`Layout`:
column bounds, objective and integrality, and one sparse CSR matrix of rows, each row divided
by its largest coefficient. The layout is the single source for HiGHS (passed as arrays) and
for the PuLP problem (:func:`to_pulp`). Each constraint family of :mod:`siting.model` has its
builder (``add_*``), called in this order, which fixes the row order and names:

=================================  ==========================================================
builder                            rows
=================================  ==========================================================
:func:`add_built_stays_built`      ``mono_<option>_<year>``
:func:`add_one_option_per_site`    ``site_<site>``
:func:`add_budgets`                ``budget_total_all``, ``budget_year_<year>``
:func:`add_zone_minimums`          ``zone_<k>``
:func:`add_grid_limits`            ``grid_<group>``
:func:`add_coverage`               ``cover_<row>``
:func:`add_allocation`             ``alloc_<row>`` (capacitated)
:func:`add_flow_draws`             ``fdraw_<flow>``, ``flink_<k>`` (capacitated, flows with
                                   energy)
:func:`add_capacity`               ``cap_<option>_<year>[_h2]``, ``link_<k>`` (capacitated)
:func:`add_vehicle_limits`         ``veh_<option>_<year>`` (capacitated, limited types)
:func:`add_supply_limits`          ``h2draw_<option>_<year>``, ``supply_<site>_<year>``
                                   (capacitated, delivered hydrogen)
:func:`add_corridor_flows`         ``flow_<flow>_<arc set>``
=================================  ==========================================================

Columns, in this order: ``x_<option>_<year>`` (binary, option open in the year),
``y_<row>`` (share of the row covered), ``z_<k>`` (capacitated: share of a row's energy drawn
along cover entry *k*), ``h_<flow>`` (corridor flow covered), ``g_<k>`` (capacitated: share
of a covered flow's daily energy its trucks take at one on-route option), ``s_<k>``
(capacitated: kg/day of hydrogen one supply site delivers to one option in one year). Every
builder works on whole index arrays (COO triplets), never a Python loop over matrix entries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pulp
import scipy.sparse as sp

from siting.model.inputs import BoolArray, FloatArray, IntArray
from siting.model.reduce import Reduced

#: Default relative size of the cost tie-breaker (share of total weight it may ever trade).
COST_TIEBREAK: float = 1e-6
#: Whether capacitated models get the per-pair rows z_io <= e_i x_{o,p_i} by default.
#: Measured with HiGHS 1.16 on random spatial instances (800x120, 2000x200 and 5000x400,
#: 3-6 % density, capacity binding, 2 cores): solve times with the rows ranged from 3.4x
#: slower to 5x faster, totals within 20 % of each other either way; they multiply the row
#: count by 4-5. Not a reliable win, so off by default; ``strengthen=True`` turns them on.
STRENGTHEN_DEFAULT: bool = False

_INF = np.inf


# =========================================================================== columns and rows
@dataclass(frozen=True)
class Columns:
    """Column blocks of the MIP: x (kept option × year), y (rows), z (cover entries), h (flows).

    Attributes
    ----------
    P
        Number of planning years.
    n_x, n_y, n_z, n_h
        Columns in each block.
    z_rows, z_opts, z_pos, z_year
        Per z column: its reduced row, kept option, position among the cover entries and
        the row's year.
    """

    P: int
    n_x: int
    n_y: int
    n_z: int
    n_h: int
    z_rows: IntArray
    z_opts: IntArray
    z_pos: IntArray
    g_flow: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # kept flow
    g_opts: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # kept option
    s_opts: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # kept option
    s_site: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # supply site
    s_year: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # year index
    z_year: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # row's year

    @property
    def n_g(self) -> int:
        """Number of g columns (flow draws)."""
        return len(self.g_flow)

    @property
    def n_s(self) -> int:
        """Number of s columns (hydrogen deliveries)."""
        return len(self.s_opts)

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

    @property
    def og(self) -> int:
        """First g column."""
        return self.oh + self.n_h

    @property
    def os(self) -> int:
        """First s column."""
        return self.og + self.n_g

    @property
    def n(self) -> int:
        """Number of columns."""
        return self.os + self.n_s

    def x(self, o: npt.ArrayLike, p: npt.ArrayLike) -> IntArray:
        """Column of x for kept option(s) ``o`` in year(s) ``p``."""
        return np.asarray(o, dtype=np.int64) * self.P + np.asarray(p, dtype=np.int64)


@dataclass
class Rows:
    """Constraint rows collected block by block as COO triplets (builder-local)."""

    r: list[IntArray] = field(default_factory=list)
    c: list[IntArray] = field(default_factory=list)
    v: list[FloatArray] = field(default_factory=list)
    lb: list[FloatArray] = field(default_factory=list)
    ub: list[FloatArray] = field(default_factory=list)
    names: list[tuple[str, IntArray | list[str]]] = field(default_factory=list)
    n: int = 0

    def add(self, name: str, keys: IntArray | list[str], rows: npt.ArrayLike,
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
class Layout:
    """Column and row arrays of the MIP (the single source for PuLP and for HiGHS)."""

    n_x: int                            # x columns: kept option × year
    n_y: int                            # y columns: reduced demand rows
    n_z: int                            # z columns: capacitated cover entries
    n_h: int                            # h columns: kept corridor flows
    P: int
    col_lb: FloatArray
    col_ub: FloatArray
    col_obj: FloatArray
    col_int: BoolArray
    col_names: list[str]
    A: sp.csr_matrix
    row_lb: FloatArray
    row_ub: FloatArray
    row_names: list[str]
    eps: float
    z_rows: IntArray                    # reduced row of each z column
    z_opts: IntArray                    # kept option of each z column
    z_pos: IntArray                     # cover entry of each z column
    cols: Columns | None = None         # the column blocks (g and s blocks included)

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

    @property
    def eh(self) -> int:
        """One past the last h column."""
        return self.oh + self.n_h


# =========================================================================== the layout
def layout(rd: Reduced, *, capacitated: bool, strengthen: bool, tau: float) -> Layout:
    """Build every column and row of the MIP as arrays.

    Parameters
    ----------
    rd
        The reduced instance.
    capacitated
        Add the allocation columns z and the allocation and capacity rows.
    strengthen
        Capacitated: add ``z_io <= x_{o,p_i}`` for every cover entry (else only for options
        of infinite capacity, which have no capacity row).
    tau
        Relative size of the cost tie-breaker (0 = none); see :func:`tiebreak_eps`.

    Returns
    -------
    Layout
    """
    cols = columns(rd, capacitated=capacitated)
    eps = tiebreak_eps(rd, tau)
    R = Rows()
    add_built_stays_built(R, rd, cols)
    add_one_option_per_site(R, rd, cols)
    add_budgets(R, rd, cols)
    add_zone_minimums(R, rd, cols)
    add_grid_limits(R, rd, cols)
    add_coverage(R, rd, cols)
    if capacitated and cols.n_z:
        add_allocation(R, cols)
    if capacitated:
        add_flow_draws(R, rd, cols)
        add_capacity(R, rd, cols, strengthen=strengthen)
        add_vehicle_limits(R, rd, cols)
        add_supply_limits(R, rd, cols)
    add_corridor_flows(R, rd, cols)
    A, row_lb, row_ub = _assemble(R, cols.n)
    row_names = [f"{name}_{k}" for name, keys in R.names for k in
                 (keys.tolist() if isinstance(keys, np.ndarray) else keys)]
    col_lb, col_ub, col_obj, col_int, col_names = _column_arrays(rd, cols, eps)
    return Layout(cols.n_x, cols.n_y, cols.n_z, cols.n_h, cols.P, col_lb, col_ub, col_obj,
                  col_int, col_names, A, row_lb, row_ub, row_names, eps, cols.z_rows,
                  cols.z_opts, cols.z_pos, cols)


def columns(rd: Reduced, *, capacitated: bool) -> Columns:
    """The column blocks: a z column per cover entry of a row with energy (capacitated), a g
    column per (flow with energy, option it may refuel at) and an s column per (option,
    supply site, year) the site may deliver to (capacitated)."""
    P = rd.n_years
    cov = rd.cover
    cov_rows = np.repeat(np.arange(rd.n_rows), np.diff(cov.indptr))
    zmask = np.zeros(cov.nnz, dtype=bool)
    if capacitated:
        zmask = rd.energy[cov_rows] > 0
    z_pos = np.flatnonzero(zmask)
    g_flow = np.zeros(0, np.int64)
    g_opts = np.zeros(0, np.int64)
    if capacitated:
        pairs = [(np.full(len(f.draw), j), f.draw) for j, f in enumerate(rd.flows)
                 if f.energy > 0 and len(f.draw)]
        if pairs:
            g_flow = np.concatenate([a for a, _ in pairs]).astype(np.int64)
            g_opts = np.concatenate([b for _, b in pairs]).astype(np.int64)
    s_opts = s_site = s_year = np.zeros(0, np.int64)
    if capacitated and rd.supply is not None and rd.supply.nnz:
        sup = rd.supply.tocoo()
        s_opts = np.repeat(sup.row.astype(np.int64), P)
        s_site = np.repeat(sup.col.astype(np.int64), P)
        s_year = np.tile(np.arange(P, dtype=np.int64), sup.nnz)
    return Columns(P, rd.n_options * P, rd.n_rows, len(z_pos), len(rd.flows),
                   cov_rows[z_pos], cov.indices[z_pos], z_pos, g_flow, g_opts, s_opts,
                   s_site, s_year, z_year=rd.year[cov_rows[z_pos]].astype(np.int64))


def _column_arrays(rd: Reduced, cols: Columns, eps: float
                   ) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray, list[str]]:
    """Bounds, objective, integrality and names of every column."""
    P, no = cols.P, rd.n_options
    col_lb = np.zeros(cols.n)
    col_ub = np.ones(cols.n)
    col_int = np.zeros(cols.n, dtype=bool)
    col_int[:cols.n_x] = True
    xo = np.repeat(np.arange(no), P)
    col_lb[:cols.n_x][rd.existing[xo]] = 1.0
    col_obj = np.zeros(cols.n)
    col_obj[cols.x(np.arange(no), P - 1)] = -eps * rd.tiebreak
    col_obj[cols.oy:cols.oz] = rd.weight
    col_obj[cols.oh:cols.og] = [f.weight for f in rd.flows]
    if cols.n_s and rd.supply_capacity is not None:
        col_ub[cols.os:] = rd.supply_capacity[cols.s_site]
    xname = [f"x_{o}_{p}" for o in rd.opt.tolist() for p in range(P)]
    col_names = (xname + [f"y_{r}" for r in range(cols.n_y)]
                 + [f"z_{k}" for k in range(cols.n_z)] + [f"h_{f.index}" for f in rd.flows]
                 + [f"g_{k}" for k in range(cols.n_g)] + [f"s_{k}" for k in range(cols.n_s)])
    return col_lb, col_ub, col_obj, col_int, col_names


def tiebreak_eps(rd: Reduced, tau: float) -> float:
    """ε such that the whole cost term never exceeds ``tau`` × the coverable weight."""
    total_w = rd.coverable_weight()
    new = ~rd.existing
    if tau <= 0 or not new.any() or total_w <= 0:
        return 0.0
    n_sites = int(rd.site.max()) + 1
    dearest = np.zeros(n_sites)
    np.maximum.at(dearest, rd.site[new], rd.tiebreak[new])
    extra = np.zeros(n_sites)
    np.maximum.at(extra, rd.site[new], (rd.tiebreak - rd.cost)[new])
    # Most a plan can put in the tie-breaker: one option per site, capex within the budget.
    c_max = min(float(dearest.sum()), float(extra.sum()) + rd.budget_total)
    return tau * total_w / c_max if c_max > 0 else 0.0


# =========================================================================== builders
def add_built_stays_built(R: Rows, rd: Reduced, cols: Columns) -> None:
    """``x_{o,p} - x_{o,p+1} <= 0`` for every new option and year but the last."""
    P = cols.P
    new = np.flatnonzero(~rd.existing)
    if P <= 1 or not len(new):
        return
    oo = np.repeat(new, P - 1)
    pp = np.tile(np.arange(P - 1), len(new))
    k = np.arange(len(oo))
    R.add("mono", [f"{rd.opt[o]}_{p}" for o, p in zip(oo.tolist(), pp.tolist(), strict=True)],
          np.r_[k, k], np.r_[cols.x(oo, pp), cols.x(oo, pp + 1)],
          np.r_[np.ones(len(k)), -np.ones(len(k))], -_INF, 0.0)


def add_one_option_per_site(R: Rows, rd: Reduced, cols: Columns) -> None:
    """``Σ_{o at s} x_{o,P-1} <= 1`` for sites with several new options.

    Sites holding an existing station have no new option left after the reductions.
    """
    new = np.flatnonzero(~rd.existing)
    s_new = rd.site[new]
    _, inv, cnt = np.unique(s_new, return_inverse=True, return_counts=True)
    multi = cnt[inv] > 1
    if multi.any():
        sites, sinv = np.unique(s_new[multi], return_inverse=True)
        R.add("site", sites, sinv, cols.x(new[multi], cols.P - 1), np.ones(multi.sum()),
              -_INF, 1.0)


def add_budgets(R: Rows, rd: Reduced, cols: Columns) -> None:
    """Total budget on the plan's capex; each year's cap on the capex of that year's openings."""
    new = np.flatnonzero(~rd.existing)
    if not len(new):
        return
    P = cols.P
    if math.isfinite(rd.budget_total):
        R.add("budget_total", ["all"], np.zeros(len(new)), cols.x(new, P - 1), rd.cost[new],
              -_INF, rd.budget_total)
    if rd.budget_by_year is None:
        return
    for p in range(P):
        b = float(rd.budget_by_year[p])
        if not math.isfinite(b):
            continue
        c, v = cols.x(new, p), rd.cost[new]
        if p > 0:
            c, v = np.r_[c, cols.x(new, p - 1)], np.r_[v, -rd.cost[new]]
        R.add("budget_year", [str(p)], np.zeros(len(c)), c, v, -_INF, b)


def add_zone_minimums(R: Rows, rd: Reduced, cols: Columns) -> None:
    """``Σ_{o in Z_k} x_{o,p_k} >= m_k`` per zone requirement."""
    for k, z in enumerate(rd.zone_min):
        n = len(z.options)
        R.add("zone", [str(k)], np.zeros(n), cols.x(z.options, z.by_year), np.ones(n),
              float(z.minimum), _INF)


def add_grid_limits(R: Rows, rd: Reduced, cols: Columns) -> None:
    """``Σ_{o in G_g} kW_o x_{o,P-1} <= spare_g`` per substation (new options only)."""
    if rd.grid is None or rd.grid_spare is None:
        return
    g = rd.grid.tocoo()
    R.add("grid", np.arange(rd.grid.shape[0]), g.row, cols.x(g.col, cols.P - 1), g.data,
          -_INF, rd.grid_spare)


def add_coverage(R: Rows, rd: Reduced, cols: Columns) -> None:
    """``y_r - Σ_{o covers r} x_{o,p_r} <= 0`` per reduced demand row."""
    nr, cov = rd.n_rows, rd.cover
    if not nr:
        return
    cov_rows = np.repeat(np.arange(nr), np.diff(cov.indptr))
    R.add("cover", np.arange(nr), np.r_[np.arange(nr), cov_rows],
          np.r_[cols.oy + np.arange(nr), cols.x(cov.indices, rd.year[cov_rows])],
          np.r_[np.ones(nr), -np.ones(cov.nnz)], -_INF, 0.0)


def add_allocation(R: Rows, cols: Columns) -> None:
    """``Σ_o z_{r,o} - y_r = 0`` per row with energy: the served share is drawn somewhere."""
    n_z = cols.n_z
    zr = np.unique(cols.z_rows)
    loc = np.searchsorted(zr, cols.z_rows)
    R.add("alloc", zr, np.r_[loc, np.arange(len(zr))],
          np.r_[cols.oz + np.arange(n_z), cols.oy + zr],
          np.r_[np.ones(n_z), -np.ones(len(zr))], 0.0, 0.0)


def _draws(rd: Reduced, cols: Columns) -> tuple[IntArray, IntArray, IntArray, IntArray,
                                                FloatArray, FloatArray]:
    """Every column that takes energy from an option: (column, kept option, year index, pool,
    energy per unit of the column, vehicles per unit of the column).

    z columns draw their row's energy and vehicles; g columns their flow's.
    """
    z_rows, z_opts = cols.z_rows, cols.z_opts
    veh_z = (rd.vehicles[z_rows] if rd.vehicles is not None else np.zeros(cols.n_z))
    fl = rd.flows
    g_e = np.array([fl[j].energy for j in cols.g_flow.tolist()], dtype=float)
    g_v = np.array([fl[j].vehicles for j in cols.g_flow.tolist()], dtype=float)
    g_p = np.array([fl[j].year for j in cols.g_flow.tolist()], dtype=np.int64)
    g_u = np.array([fl[j].unit for j in cols.g_flow.tolist()], dtype=np.int64)
    return (np.r_[cols.oz + np.arange(cols.n_z), cols.og + np.arange(cols.n_g)].astype(np.int64),
            np.r_[z_opts, cols.g_opts].astype(np.int64),
            np.r_[rd.year[z_rows], g_p].astype(np.int64),
            np.r_[rd.unit[z_rows], g_u].astype(np.int64),
            np.r_[rd.energy[z_rows], g_e], np.r_[veh_z, g_v])


def add_capacity(R: Rows, rd: Reduced, cols: Columns, *, strengthen: bool) -> None:
    """Capacity per (option, year, pool) and the links ``z_{r,o} <= x_{o,p_r}``.

    One capacity pool per (option, year, unit): kWh rows and kg-H2 rows never share one.
    Each row is ``(Σ_r e_r z_{r,o} + Σ_f E_f g_{f,o}) / q_o - x_{o,p} <= 0``: demand rows
    and the corridor trucks refuelling there draw on the same daily capacity. Options of
    infinite capacity have no capacity row and always get the link rows; ``strengthen`` adds
    them for every z entry.
    """
    P = cols.P
    col, opt, year, unit, energy, _ = _draws(rd, cols)
    if not len(col):
        return
    cap = np.where(unit == 1, rd.capacity_h2[opt], rd.capacity[opt])
    finite = np.isfinite(cap)
    key = (opt * P + year) * 2 + unit
    ck, cinv = np.unique(key[finite], return_inverse=True)
    if len(ck):
        cu = ck % 2
        co, cp = (ck // 2) // P, (ck // 2) % P
        R.add("cap", [f"{rd.opt[o]}_{p}" + ("_h2" if u else "")
                      for o, p, u in zip(co.tolist(), cp.tolist(), cu.tolist(), strict=True)],
              np.r_[cinv, np.arange(len(ck))], np.r_[col[finite], cols.x(co, cp)],
              np.r_[energy[finite] / cap[finite], -np.ones(len(ck))], -_INF, 0.0)
    is_z = col < cols.oz + cols.n_z
    link = (np.ones(len(col), dtype=bool) if strengthen else ~finite) & is_z
    lk = np.flatnonzero(link)
    if len(lk):
        R.add("link", col[lk] - cols.oz, np.r_[np.arange(len(lk)), np.arange(len(lk))],
              np.r_[col[lk], cols.x(opt[lk], year[lk])],
              np.r_[np.ones(len(lk)), -np.ones(len(lk))], -_INF, 0.0)


def add_flow_draws(R: Rows, rd: Reduced, cols: Columns) -> None:
    """``Σ_o g_{f,o} - h_f = 0``: a covered flow's energy is taken at its on-route options;
    ``g_{f,o} - x_{o,p_f} <= 0``: only at open ones."""
    n_g = cols.n_g
    if not n_g:
        return
    flows = np.unique(cols.g_flow)
    loc = np.searchsorted(flows, cols.g_flow)
    R.add("fdraw", [str(rd.flows[j].index) for j in flows.tolist()],
          np.r_[loc, np.arange(len(flows))],
          np.r_[cols.og + np.arange(n_g), cols.oh + flows],
          np.r_[np.ones(n_g), -np.ones(len(flows))], 0.0, 0.0)
    years = np.array([rd.flows[j].year for j in cols.g_flow.tolist()], dtype=np.int64)
    k = np.arange(n_g)
    R.add("flink", k, np.r_[k, k], np.r_[cols.og + k, cols.x(cols.g_opts, years)],
          np.r_[np.ones(n_g), -np.ones(n_g)], -_INF, 0.0)


def add_vehicle_limits(R: Rows, rd: Reduced, cols: Columns) -> None:
    """``(Σ_r v_r z_{r,o} + Σ_f T_f g_{f,o}) / V_o - x_{o,p} <= 0`` for options that serve at
    most ``V_o`` vehicles a day (connectors × turns)."""
    if rd.vehicles_cap is None:
        return
    P = cols.P
    col, opt, year, _, _, veh = _draws(rd, cols)
    vcap = rd.vehicles_cap[opt]
    ok = np.isfinite(vcap) & (veh > 0)
    if not ok.any():
        return
    key = opt[ok] * P + year[ok]
    ck, cinv = np.unique(key, return_inverse=True)
    co, cp = ck // P, ck % P
    R.add("veh", [f"{rd.opt[o]}_{p}" for o, p in zip(co.tolist(), cp.tolist(), strict=True)],
          np.r_[cinv, np.arange(len(ck))], np.r_[col[ok], cols.x(co, cp)],
          np.r_[veh[ok] / vcap[ok], -np.ones(len(ck))], -_INF, 0.0)


def add_supply_limits(R: Rows, rd: Reduced, cols: Columns) -> None:
    """Delivered hydrogen: what an option serves comes from supply sites within reach, and no
    site delivers more than its kg/day in a year.

    ``Σ_r e_r z_{r,o} + Σ_f E_f g_{f,o} - Σ_k s_{o,k,p} = 0`` per (option drawing from
    supplies, year), over its hydrogen rows and flows (so ``s`` is what is delivered);
    ``Σ_o s_{o,k,p} <= K_k`` per (site, year).
    """
    if not cols.n_s or rd.supply_capacity is None:
        return
    P = cols.P
    col, opt, year, unit, energy, _ = _draws(rd, cols)
    limited = np.zeros(rd.n_options, dtype=bool)
    limited[cols.s_opts] = True
    h2 = (unit == 1) & limited[opt]
    dk = opt * P + year
    skey = cols.s_opts * P + cols.s_year
    keys = np.unique(np.r_[dk[h2], skey])
    R.add("h2draw", [f"{rd.opt[k // P]}_{k % P}" for k in keys.tolist()],
          np.r_[np.searchsorted(keys, dk[h2]), np.searchsorted(keys, skey)],
          np.r_[col[h2], cols.os + np.arange(cols.n_s)],
          np.r_[energy[h2], -np.ones(cols.n_s)], 0.0, 0.0)
    skeys, sinv = np.unique(cols.s_site * P + cols.s_year, return_inverse=True)
    R.add("supply", [f"{k // P}_{k % P}" for k in skeys.tolist()], sinv,
          cols.os + np.arange(cols.n_s), np.ones(cols.n_s), -_INF,
          rd.supply_capacity[skeys // P])


def add_corridor_flows(R: Rows, rd: Reduced, cols: Columns) -> None:
    """``h_f - Σ_{o in K} x_{o,p_f} <= 0`` for every arc set K of every kept flow f."""
    fr, fc, fv, fkeys = [], [], [], []
    n_arc = 0
    for j, flow in enumerate(rd.flows):
        for a, s in enumerate(flow.arc_sets):
            fr.append(np.full(len(s) + 1, n_arc))
            fc.append(np.r_[cols.oh + j, cols.x(s, flow.year)])
            fv.append(np.r_[1.0, -np.ones(len(s))])
            fkeys.append(f"{flow.index}_{a}")
            n_arc += 1
    if n_arc:
        R.add("flow", fkeys, np.concatenate(fr), np.concatenate(fc), np.concatenate(fv),
              -_INF, 0.0)


# =========================================================================== assembly
def _assemble(R: Rows, n_col: int) -> tuple[sp.csr_matrix, FloatArray, FloatArray]:
    """The CSR matrix and row bounds of the collected rows, equilibrated."""
    A = sp.csr_matrix((np.concatenate(R.v) if R.v else np.zeros(0),
                       (np.concatenate(R.r) if R.r else np.zeros(0, np.int64),
                        np.concatenate(R.c) if R.c else np.zeros(0, np.int64))),
                      shape=(R.n, n_col))
    A.sum_duplicates()
    A.sort_indices()
    row_lb = np.concatenate(R.lb) if R.lb else np.zeros(0)
    row_ub = np.concatenate(R.ub) if R.ub else np.zeros(0)
    return equilibrate_rows(A, row_lb, row_ub)


def equilibrate_rows(A: sp.csr_matrix, lb: FloatArray, ub: FloatArray
                     ) -> tuple[sp.csr_matrix, FloatArray, FloatArray]:
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


def to_pulp(lay: Layout, name: str = "siting") -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
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
