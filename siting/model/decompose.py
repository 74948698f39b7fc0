r"""Benders decomposition of the capacitated model: stations in the master, allocation apart.

The capacitated layout has a few hundred station columns and, per demand row, one
allocation column for every option that may serve it (84k on the bundled scenario, 15M in a
100k-demand city). Most of the work of a compact MIP solve goes into LPs over those
allocation columns. Following Fischetti, Ljubić & Sinnl ("Redesigning Benders decomposition
for large-scale facility location", Management Science 63(7), 2017), the allocation is
projected out:

* **master**: the integer columns and every continuous column that carries objective (x in
  opening form, y, corridor flows h), with the rows that involve only those (coverage,
  budgets, sites, zones, grid, corridors, ...) and the Benders cuts found so far;
* **subproblem**: every other continuous column (the allocation z and whatever later
  families add: corridor draws, hydrogen deliveries, ...) with the rows that touch them
  (allocation, capacity, links, vehicle and supply limits, ...). Given master values
  :math:`\bar m` it only asks *is there an allocation?* — a feasibility LP. It splits into
  independent blocks (connected components of its rows and columns: one per year and
  capacity pool here, finer where a city falls apart in regions), each checked alone.

Nothing here knows the constraint families: the split is read off the layout (integrality,
objective, sparsity), so rows added to :mod:`siting.model.build` later land on the right
side by themselves.

**Cuts.** For a block, the elastic LP :math:`\phi(\bar m) = \min \{\mathbf 1^\top(p + n) :
L - A_M \bar m \le A_S w + p - n \le U - A_M \bar m,\; l \le w \le u\}` is 0 exactly when an
allocation exists. Its optimal duals (row :math:`\pi`, column :math:`d`) stay dual feasible
for every :math:`m`, so weak duality gives, for all :math:`m`,

.. math::

    \phi(m) \ge \sum_r \pi_r^+ (L_r - A_{M,r} m) - \pi_r^- (U_r - A_{M,r} m)
                + \sum_j d_j^+ l_j - d_j^- u_j

and every plan with an allocation satisfies the right-hand side :math:`\le 0`: a linear cut
in the master columns that the infeasible :math:`\bar m` violates (a Benders feasibility
cut). With the allocation rows :math:`\sum_o z_{io} = y_i` and capacities
:math:`\sum_i e_i z_{io} \le q_o x_o` these are the capacity cuts "demand served in a set of
rows ≤ capacity of the stations that can reach it".

**Algorithm.** (1) Root: the master LP is solved and cut at its optimum until no block is
infeasible (this reaches the compact model's LP bound). (2) Then, repeatedly, the master
MIP is solved (HiGHS, from the best plan known); its plan is checked; if some block has no
allocation, the cuts are added and every candidate plan is completed with its best
allocation (an LP with the stations fixed) to become an incumbent; it stops when the
master's plan has an allocation or the master's bound (valid at every step: the master is
a relaxation) is within the gap of the incumbent.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from siting.model import highs
from siting.model.build import Layout, equilibrate_rows
from siting.model.inputs import BoolArray, FloatArray, IntArray, RawResult

log = logging.getLogger(__name__)

#: A block whose elastic LP exceeds this (scaled row units) has no allocation.
INFEASIBLE_TOL: float = 1e-7
#: Most rounds of the root cut loop.
ROOT_ROUNDS: int = 50
#: Most master MIP solves.
MIP_ROUNDS: int = 30


def sub_columns(lay: Layout) -> BoolArray:
    """Columns projected out: continuous, no objective (the allocation and its kin)."""
    return ~lay.col_int & (lay.col_obj == 0)


@dataclass
class _Block:
    """One independent piece of the subproblem and its elastic LP (kept warm)."""

    rows: IntArray                  # layout rows
    cols: IntArray                  # layout (sub) columns
    AM: sp.csr_matrix               # block rows × master columns
    L: FloatArray
    U: FloatArray
    lo: FloatArray                  # bounds of the block's columns
    hi: FloatArray
    n_p: int                        # elastic columns raising a row (L finite)
    h: Any = None


@dataclass
class Cut:
    """``a · m <= rhs`` over the master columns."""

    index: IntArray
    value: FloatArray
    rhs: float


@dataclass
class Split:
    """The layout split into master and subproblem (see the module docstring)."""

    lay: Layout
    is_sub: BoolArray
    master_cols: IntArray
    sub_cols: IntArray
    master_rows: IntArray
    sub_rows: IntArray
    blocks: list[_Block] = field(default_factory=list)

    @classmethod
    def of(cls, lay: Layout, is_sub: BoolArray, *, threads: int = 1) -> Split:
        """Split ``lay`` with the given subproblem columns; build the blocks' LPs."""
        A = lay.A.tocsr()
        rows_of = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        touches = np.zeros(A.shape[0], dtype=bool)
        np.logical_or.at(touches, rows_of, is_sub[A.indices])
        master_cols = np.flatnonzero(~is_sub)
        sub_cols = np.flatnonzero(is_sub)
        split = cls(lay, is_sub, master_cols, sub_cols, np.flatnonzero(~touches),
                    np.flatnonzero(touches))
        split.blocks = split._blocks(threads)
        return split

    def _blocks(self, threads: int) -> list[_Block]:
        lay = self.lay
        A = lay.A.tocsr()
        sr = self.sub_rows
        if not len(sr):
            return []
        AS = A[sr][:, self.sub_cols]
        AM = A[sr][:, self.master_cols].tocsr()
        nr = AS.shape[0]
        graph = sp.bmat([[None, AS], [AS.T, None]], format="csr")
        n_comp, label = connected_components(graph, directed=False)
        row_lab, col_lab = label[:nr], label[nr:]
        blocks = []
        order_r = np.argsort(row_lab, kind="stable")
        order_c = np.argsort(col_lab, kind="stable")
        rb = np.searchsorted(row_lab[order_r], np.arange(n_comp + 1))
        cb = np.searchsorted(col_lab[order_c], np.arange(n_comp + 1))
        ASc = AS.tocsr()
        for k in range(n_comp):
            r = order_r[rb[k]:rb[k + 1]]
            c = order_c[cb[k]:cb[k + 1]]
            if not len(r):
                continue
            b = _Block(sr[r], self.sub_cols[c], AM[r], lay.row_lb[sr[r]], lay.row_ub[sr[r]],
                       lay.col_lb[self.sub_cols[c]], lay.col_ub[self.sub_cols[c]], 0)
            b.h, b.n_p = _elastic_lp(ASc[r][:, c], b, threads)
            blocks.append(b)
        log.info("Benders: %d master columns, %d subproblem columns in %d blocks",
                 len(self.master_cols), len(self.sub_cols), len(blocks))
        return blocks

    # ------------------------------------------------------------------ master layout
    def master_layout(self, lay: Layout, cuts: list[Cut]) -> Layout:
        """``lay`` (same columns and first rows as the split's) restricted to the master
        columns and rows, plus the cuts."""
        A = lay.A.tocsr()
        n = lay.A.shape[1]
        rows_of = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        touches = np.zeros(A.shape[0], dtype=bool)
        np.logical_or.at(touches, rows_of, self.is_sub[A.indices])
        keep = np.flatnonzero(~touches)
        AM = A[keep][:, self.master_cols]
        lb, ub = lay.row_lb[keep], lay.row_ub[keep]
        names = [lay.row_names[i] for i in keep.tolist()]
        if cuts:
            C, clb, cub = _cut_matrix(cuts, len(self.master_cols))
            AM = sp.vstack([AM, C]).tocsr()
            lb, ub = np.r_[lb, clb], np.r_[ub, cub]
            names += [f"benders_{k}" for k in range(len(cuts))]
        mc = self.master_cols
        assert n == len(self.is_sub)
        return replace(lay, A=AM, row_lb=lb, row_ub=ub, row_names=names,
                       col_lb=lay.col_lb[mc], col_ub=lay.col_ub[mc], col_obj=lay.col_obj[mc],
                       col_int=lay.col_int[mc], col_names=[lay.col_names[i] for i in mc],
                       n_z=0, z_rows=lay.z_rows[:0], z_opts=lay.z_opts[:0],
                       z_pos=lay.z_pos[:0])

    # ------------------------------------------------------------------ separation
    def separate(self, m: FloatArray) -> tuple[list[Cut], float]:
        """Cuts from every block without an allocation at master values ``m``, and the
        largest elastic value (0 when every block has an allocation; ``inf`` when a
        block's LP could not be solved, so that feasibility is not claimed)."""
        cuts, worst = [], 0.0
        for b in self.blocks:
            cut, phi = _check(b, m)
            worst = max(worst, phi)
            if cut is not None:
                cuts.append(cut)
        return cuts, worst


def _elastic_lp(AS: sp.csr_matrix, b: _Block, threads: int) -> tuple[Any, int]:
    """HiGHS LP ``min 1'(p + n)`` over the block's columns and elastic columns."""
    import highspy

    nr, nc = AS.shape
    up = np.flatnonzero(np.isfinite(b.L))      # p raises the row activity up to L
    dn = np.flatnonzero(np.isfinite(b.U))      # n lowers it down to U
    P = sp.csr_matrix((np.ones(len(up)), (up, np.arange(len(up)))), shape=(nr, len(up)))
    N = sp.csr_matrix((-np.ones(len(dn)), (dn, np.arange(len(dn)))), shape=(nr, len(dn)))
    M = sp.hstack([AS, P, N], format="csc")
    ncol = M.shape[1]
    h = highs.new_highs(msg=False, time_limit_s=1e7, threads=threads)
    cost = np.r_[np.zeros(nc), np.ones(len(up) + len(dn))]
    lo = np.r_[b.lo, np.zeros(len(up) + len(dn))]
    hi = np.r_[b.hi, np.full(len(up) + len(dn), np.inf)]
    h.passModel(int(ncol), int(nr), int(M.nnz), int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMinimize), 0.0, cost, lo, hi,
                np.where(np.isfinite(b.L), b.L, -np.inf), np.where(np.isfinite(b.U), b.U, np.inf),
                M.indptr.astype(np.int32), M.indices.astype(np.int32), M.data.astype(float),
                np.zeros(ncol, dtype=np.int32))
    return h, len(up)


def _check(b: _Block, m: FloatArray) -> tuple[Cut | None, float]:
    """Solve the block's elastic LP at ``m``; a cut when it has no allocation."""
    import highspy

    act = b.AM @ m
    L, U = b.L - act, b.U - act
    h = b.h
    nr = len(b.rows)
    h.changeRowsBounds(nr, np.arange(nr, dtype=np.int32), L, U)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        log.warning("Benders: a block's elastic LP ended with %s",
                    h.modelStatusToString(h.getModelStatus()))
        return None, math.inf
    phi = float(h.getInfo().objective_function_value)
    if phi <= INFEASIBLE_TOL:
        return None, phi
    sol = h.getSolution()
    pi = np.asarray(sol.row_dual, dtype=float)
    d = np.asarray(sol.col_dual, dtype=float)[:len(b.cols)]
    pp, pn = np.maximum(pi, 0.0), np.maximum(-pi, 0.0)
    with np.errstate(invalid="ignore"):
        const = float(np.sum(np.where(pp > 0, pp * b.L, 0.0))
                      - np.sum(np.where(pn > 0, pn * b.U, 0.0))
                      + np.sum(np.where(d > 0, d * b.lo, 0.0))
                      - np.sum(np.where(d < 0, -d * b.hi, 0.0)))
    # phi(m) >= const - (pi^T A_M) m ; feasible plans need that <= 0
    a = -np.asarray(b.AM.T @ pi).ravel()
    rhs = -const
    if not math.isfinite(rhs):
        return None, math.inf
    scale = float(np.abs(a).max()) if len(a) else 0.0
    if scale <= 0:
        return None, math.inf
    keep = np.abs(a) > 1e-11 * scale
    # dropped tiny coefficients and dual tolerances: relax the cut so it stays valid
    slack = float(np.abs(a[~keep]).sum()) + 1e-9 * scale
    cut = Cut(np.flatnonzero(keep), a[keep] / scale, (rhs + slack) / scale)
    violation = float(cut.value @ m[cut.index]) - cut.rhs
    if violation <= 1e-9:
        return None, math.inf  # infeasible, yet no cut separates it: claim nothing
    return cut, phi


def _gap_tol(value: float, mip_gap: float) -> float:
    """Bound − plan allowed for "optimal": HiGHS's own absolute gap (1e-6), or ``mip_gap``."""
    return max(1e-6, 1e-9 * abs(value), mip_gap * abs(value))


def _cut_matrix(cuts: list[Cut], n: int) -> tuple[sp.csr_matrix, FloatArray, FloatArray]:
    r = np.concatenate([np.full(len(c.index), k) for k, c in enumerate(cuts)])
    c_ = np.concatenate([c.index for c in cuts])
    v = np.concatenate([c.value for c in cuts])
    C = sp.csr_matrix((v, (r, c_)), shape=(len(cuts), n))
    ub = np.array([c.rhs for c in cuts])
    return equilibrate_rows(C, np.full(len(cuts), -np.inf), ub)


# =========================================================================== the runner
class Benders:
    """A back-end for :func:`siting.model.phases.solve_lexicographic` that decomposes.

    Called like :func:`siting.model.highs.solve_highs` with a full layout (opening form);
    returns a :class:`RawResult` whose values are a full, feasible column vector. The split
    and the cuts are kept between calls (the cost step reuses the coverage step's cuts).

    Parameters
    ----------
    is_sub
        (n_columns,) the columns to project out (:func:`sub_columns` of the layout with the
        coverage objective).
    threads
        HiGHS threads.
    """

    def __init__(self, is_sub: BoolArray, *, threads: int) -> None:
        self.is_sub = np.asarray(is_sub, dtype=bool)
        self.threads = threads
        self.cuts: list[Cut] = []
        self.split: Split | None = None
        self.stats: dict[str, float] = {"root_rounds": 0, "mip_rounds": 0, "cuts": 0}

    def __call__(self, lay: Layout, *, time_limit_s: float, mip_gap: float, threads: int,
                 msg: bool, start: FloatArray | None, deadline: float,
                 presolve: bool | None = None, first_plan: bool = False,
                 abs_gap: float = 0.0, feasibility_jump: bool | None = None) -> RawResult:
        # abs_gap (the cost step's early stop) is not passed to the master: its bound is
        # only an approximation of the model's until the cuts are complete; the master
        # keeps solve_highs's own feasibility-jump rule
        t0 = time.perf_counter()
        if self.split is None:
            self.split = Split.of(lay, self.is_sub, threads=self.threads)
        split = self.split
        mc = split.master_cols
        best, best_val = None, -math.inf
        if start is not None:
            best, best_val = start, float(lay.col_obj @ start)
        self._root(lay, deadline)
        log.info("Benders root: %d rounds, %d cuts, %.2f s", self.stats["root_rounds"],
                 len(self.cuts), time.perf_counter() - t0)
        bound = math.inf
        status = "time_limit"
        for _ in range(MIP_ROUNDS):
            left = deadline - time.perf_counter()
            if left <= 0.05:
                break
            mlay = split.master_layout(lay, self.cuts)
            mstart = None if best is None else best[mc]
            r = highs.solve_highs(mlay, time_limit_s=left, mip_gap=mip_gap, threads=threads,
                                  msg=msg, start=mstart, deadline=deadline,
                                  presolve=presolve)
            self.stats["mip_rounds"] += 1
            if r.status == "infeasible":
                return RawResult("infeasible", None, math.nan, math.nan,
                                 time.perf_counter() - t0)
            if math.isfinite(r.bound):
                bound = min(bound, r.bound)
            if r.values is None:
                break
            cuts, worst = split.separate(r.values)
            full = self.complete(lay, r.values)
            if full is not None:
                val = float(lay.col_obj @ full)
                if val > best_val + highs.objective_tolerance(val):
                    best, best_val = full, val
            if not cuts:
                # the master's plan has an allocation (worst == 0) or the check failed
                if (r.status == "optimal" and worst <= INFEASIBLE_TOL and best is not None
                        and best_val >= bound - _gap_tol(bound, mip_gap)):
                    status = "optimal"
                break
            self.cuts += cuts
            self.stats["cuts"] += len(cuts)
            log.info("Benders round %d: master %.6g (bound %.6g), plan %.6g, %d cuts "
                     "(worst block %.3g)", self.stats["mip_rounds"], float(lay.col_obj[mc]
                                                                          @ r.values),
                     r.bound, best_val, len(cuts), worst)
            if best is not None and bound <= best_val + _gap_tol(best_val, mip_gap):
                status = "optimal"
                break
        seconds = time.perf_counter() - t0
        if best is None:
            return RawResult("no_solution", None, math.nan, math.nan, seconds)
        if status == "optimal":
            return RawResult("optimal", best, best_val, 0.0, seconds, best_val)
        gap = (bound - best_val) / abs(best_val) if best_val and math.isfinite(bound) else (
            math.nan)
        return RawResult("time_limit", best, bound, gap, seconds, best_val)

    def _root(self, lay: Layout, deadline: float) -> None:
        """Cut the master LP at its optimum until every block has an allocation."""
        import highspy

        split = self.split
        assert split is not None
        mlay = split.master_layout(lay, self.cuts)
        h = highs.new_highs(msg=False, time_limit_s=max(deadline - time.perf_counter(), 0.01),
                            threads=self.threads)
        highs.pass_layout(h, mlay, integral=False)
        for _ in range(ROOT_ROUNDS):
            if time.perf_counter() >= deadline:
                return
            h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return
            m = np.asarray(h.getSolution().col_value, dtype=float)
            cuts, worst = split.separate(m)
            self.stats["root_rounds"] += 1
            log.debug("Benders root round: LP %.6g, %d cuts, worst %.3g",
                      h.getInfo().objective_function_value, len(cuts), worst)
            if not cuts:
                return
            C, clb, cub = _cut_matrix(cuts, len(split.master_cols))
            h.addRows(C.shape[0], clb, cub, C.nnz, C.indptr.astype(np.int32),
                      C.indices.astype(np.int32), C.data)
            self.cuts += cuts
            self.stats["cuts"] += len(cuts)

    def complete(self, lay: Layout, m: FloatArray) -> FloatArray | None:
        """A full feasible column vector with the master's integer columns of ``m``: the
        best allocation (and y, h) for those stations (an LP)."""
        import highspy

        split = self.split
        assert split is not None
        mc = split.master_cols
        lb, ub = lay.col_lb.copy(), lay.col_ub.copy()
        fix = mc[lay.col_int[mc]]
        val = np.round(m[lay.col_int[mc]])
        lb[fix] = ub[fix] = val
        h = highs.new_highs(msg=False, time_limit_s=60.0, threads=self.threads)
        highs.pass_layout(h, replace(lay, col_lb=lb, col_ub=ub), integral=False)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        v = np.clip(np.asarray(h.getSolution().col_value, dtype=float), lb, ub)
        r = lay.A @ v
        if not (np.all(r >= lay.row_lb - 1e-6) and np.all(r <= lay.row_ub + 1e-6)):
            return None
        return v
