r"""Opening-year form of a phased layout: one binary per (option, year it opens).

The layout (:mod:`siting.model.build`) states a phased plan with *state* columns
:math:`x_{o,p}` = "option *o* is open in year *p*" and the rows
:math:`x_{o,p} \le x_{o,p+1}`. Here the same model is written with *opening* columns
:math:`u_{o,q}` = "option *o* opens in year *q*":

.. math::

    x_{o,p} = \textstyle\sum_{q \le p} u_{o,q}, \qquad \sum_q u_{o,q} \le 1, \quad u \ge 0.

It is the same set of integer plans (a one-to-one change of variables, :math:`u_{o,q} =
x_{o,q} - x_{o,q-1}`), and the same LP relaxation: every row of the layout is carried over as
:math:`A T u`, whatever family it belongs to (budgets, zones, capacity, the rows other
modules add). What changes is how the rows *look* to the MIP solver: a yearly budget
:math:`\sum_o c_o (x_{o,p} - x_{o,p-1}) \le B_p` becomes the knapsack row
:math:`\sum_o c_o u_{o,p} \le B_p` (positive coefficients: cover cuts apply), the
built-stays-built rows disappear (they become :math:`-u \le 0`), and "one option per site"
becomes one clique over every type *and* year at the site.

Measured with HiGHS 1.16 on the bundled scenario (3 years, uncapacitated, coverage objective,
2 cores, restarts off): 9.6 s to a proven optimum in this form against 20.6 s in the state
form (benchmarks/README.md, "Formulation of the phased model"). With one planning year the
two forms are identical and :func:`opening_form` returns the layout unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from siting.model.build import Layout, equilibrate_rows
from siting.model.inputs import FloatArray


@dataclass(frozen=True)
class OpeningForm:
    """A layout in opening-year form and the map back to the state form.

    Attributes
    ----------
    layout
        The transformed layout: the first ``n_x`` columns are :math:`u_{o,q}` (option-major,
        like the x block), every other column unchanged; rows: the original rows that still
        bind, then one ``open_once_<k>`` row per option.
    T
        (n, n) sparse map from the transformed columns to the original ones (``v = T @ w``).
    """

    layout: Layout
    T: sp.csr_matrix

    def to_state(self, w: FloatArray) -> FloatArray:
        """Original column values of transformed values ``w`` (x = cumulative sums of u)."""
        return np.asarray(self.T @ w, dtype=float)

    def objective_in_form(self, c: FloatArray) -> FloatArray:
        """An objective on the original columns as one on the transformed columns
        (``c @ v == objective_in_form(c) @ w`` for ``v = T @ w``)."""
        return np.asarray(self.T.T @ c, dtype=float)

    def from_state(self, v: FloatArray) -> FloatArray:
        """Transformed values of original values ``v`` (u = yearly increments of x)."""
        lay = self.layout
        w = np.asarray(v, dtype=float).copy()
        if lay.n_x and lay.P > 1:
            X = w[:lay.n_x].reshape(-1, lay.P)
            w[:lay.n_x] = np.diff(np.c_[np.zeros(len(X)), X], axis=1).ravel()
        return w


def opening_form(lay: Layout) -> OpeningForm:
    """The layout with the x block in opening-year form (see the module docstring).

    Parameters
    ----------
    lay
        A layout whose first ``n_x`` columns are x in option-major order (``P`` per option).

    Returns
    -------
    OpeningForm
        With ``P == 1`` (or no x columns) the same layout and an identity map.
    """
    n = lay.A.shape[1]
    P, nx = lay.P, lay.n_x
    if P <= 1 or nx == 0:
        return OpeningForm(lay, sp.identity(n, format="csr"))
    no = nx // P
    pp, qq = np.tril_indices(P)                      # x_{o,p} gets u_{o,q} for q <= p
    o = np.repeat(np.arange(no), len(pp))
    rows = np.r_[o * P + np.tile(pp, no), np.arange(nx, n)]
    cols = np.r_[o * P + np.tile(qq, no), np.arange(nx, n)]
    T = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    # only the x block changes: A_x T_x next to the other columns, unchanged
    csc = lay.A.tocsc()
    Tx = T[:nx, :nx].tocsc()
    A = sp.hstack([csc[:, :nx] @ Tx, csc[:, nx:]], format="csr")
    A.eliminate_zeros()
    obj = np.asarray(T.T @ lay.col_obj, dtype=float)
    lb, ub = lay.col_lb.copy(), lay.col_ub.copy()
    ulb, uub, extra = _opening_bounds(lay.col_lb[:nx].reshape(no, P),
                                      lay.col_ub[:nx].reshape(no, P))
    lb[:nx], ub[:nx] = ulb.ravel(), uub.ravel()
    keep = ~_implied_by_bounds(A, lay.row_lb, lay.row_ub, lb)
    A, row_lb, row_ub = A[keep], lay.row_lb[keep], lay.row_ub[keep]
    names = [nm for nm, k in zip(lay.row_names, keep.tolist(), strict=True) if k]
    # Σ_q u_{o,q} <= 1 (x_{o,P-1} <= 1), and x_{o,p} >= 1 where the state form asked for it
    once = sp.csr_matrix((np.ones(nx), (np.repeat(np.arange(no), P), np.arange(nx))),
                         shape=(no, n))
    blocks, lbs, ubs = [A, once], [row_lb, np.full(no, -np.inf)], [row_ub, np.ones(no)]
    names += [f"open_once_{k}" for k in range(no)]
    if len(extra):
        eo, ep = extra // P, extra % P
        m = len(extra)
        r = np.repeat(np.arange(m), ep + 1)
        c = np.concatenate([eo[k] * P + np.arange(ep[k] + 1) for k in range(m)])
        blocks.append(sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(m, n)))
        lbs.append(np.ones(m))
        ubs.append(np.full(m, np.inf))
        names += [f"open_by_{k}" for k in extra.tolist()]
    A2, lb2, ub2 = equilibrate_rows(sp.vstack(blocks).tocsr(), np.concatenate(lbs),
                                    np.concatenate(ubs))
    out = replace(lay, A=A2, row_lb=lb2, row_ub=ub2, row_names=names, col_obj=obj,
                  col_lb=lb, col_ub=ub)
    return OpeningForm(out, T)


@dataclass(frozen=True)
class FreeAllocation:
    """A capacitated layout without the allocation that no limit can ever bind.

    Attributes
    ----------
    layout
        The layout without the free columns and their allocation rows.
    keep_cols
        Columns of the original layout kept (in order).
    free_rows
        Original rows dropped (one allocation row per demand row served freely).
    free_cols, free_master, free_x
        Per dropped column: its index, the master column its allocation row equates it
        with (y of the row), and the integer column (x of its option) it is linked to.
    """

    layout: Layout
    keep_cols: np.ndarray
    free_rows: np.ndarray
    free_cols: np.ndarray
    free_master: np.ndarray
    free_x: np.ndarray
    n: int

    def to_full(self, w: FloatArray) -> FloatArray:
        """Values of the original layout: each freely served row's share drawn from its first
        open option (every limit it touches holds whatever it draws; see
        :func:`free_allocation`)."""
        v = np.zeros(self.n)
        v[self.keep_cols] = w
        if len(self.free_cols):
            is_open = v[self.free_x] > 0.5
            need = v[self.free_master].copy()
            order = np.lexsort((~is_open, self.free_master))
            taken = np.zeros(self.n, dtype=bool)
            for k in order.tolist():
                m = int(self.free_master[k])
                if is_open[k] and not taken[m]:
                    v[self.free_cols[k]] = need[k]
                    taken[m] = True
        return v

    def from_full(self, v: FloatArray) -> FloatArray:
        """Values of the reduced layout."""
        return np.asarray(v, dtype=float)[self.keep_cols]


def free_allocation(lay: Layout, is_sub: np.ndarray) -> FreeAllocation | None:
    r"""Drop the allocation columns of demand rows that no limit can ever bind (exact).

    A ≤ row with one integer column :math:`x` (coefficient :math:`-c < 0`) and otherwise
    subproblem columns with coefficients :math:`a_k \ge 0` is *slack when open* if
    :math:`\sum_k a_k u_k \le c + \text{ub}` (every column at its upper bound fits): a daily
    capacity or a vehicles-per-day limit of a station that could serve every row it covers,
    or a link :math:`z \le x`. A subproblem column is *free* if every row it is in is either
    slack when open or one equality row with a single master column (its demand row's
    allocation :math:`\sum_o z_{io} = y_i`). A demand row whose allocation row holds only
    free columns (and its y) needs no allocation: the coverage row :math:`y_i \le \sum x`
    already holds it, since any covered share can be drawn from any one open option without
    breaking a limit. Its columns and allocation row are dropped; :meth:`FreeAllocation.
    to_full` puts the allocation back after the solve.

    Nothing here knows the constraint families; rows of other kinds (hydrogen delivered from
    supply sites, ...) simply keep their columns. Returns None when nothing can be dropped.
    """
    A = lay.A.tocsr()
    nr, n = A.shape
    e = _Entries.of(A, is_sub)
    slack, row_x = _slack_when_open(lay, e)
    alloc = _allocation_rows(lay, e)
    free_col, xcol = _free_columns(e, is_sub, slack, alloc, row_x)
    # allocation rows whose sub columns are all free
    all_free = e.per_row(e.sub & ~free_col[e.cols]) == 0
    drop_rows = np.flatnonzero(alloc & all_free)
    if not len(drop_rows):
        return None
    in_drop = np.zeros(nr, dtype=bool)
    in_drop[drop_rows] = True
    ent = in_drop[e.rows] & e.sub
    fcols = e.cols[ent]
    ment = in_drop[e.rows] & ~e.sub
    y_of_row = np.full(nr, -1, dtype=np.int64)
    y_of_row[e.rows[ment]] = e.cols[ment]
    fmaster = y_of_row[e.rows[ent]]
    drop_col = np.zeros(n, dtype=bool)
    drop_col[fcols] = True
    keep_cols = np.flatnonzero(~drop_col)
    sub = _without(lay, A, np.flatnonzero(~in_drop), keep_cols, is_sub)
    return FreeAllocation(sub, keep_cols, drop_rows, fcols, fmaster, xcol[fcols], n)


@dataclass(frozen=True)
class _Entries:
    """The nonzero entries of a CSR matrix: row, column, value, and if the column is a
    subproblem column; with per-row sums (for :func:`free_allocation`)."""

    rows: np.ndarray     # row of each entry
    cols: np.ndarray     # column of each entry
    vals: np.ndarray     # coefficient of each entry
    sub: np.ndarray      # the entry's column is a subproblem column
    n_rows: int

    @classmethod
    def of(cls, A: sp.csr_matrix, is_sub: np.ndarray) -> _Entries:
        """The entries of ``A`` (CSR, in storage order); ``is_sub`` per column."""
        nr = A.shape[0]
        rows = np.repeat(np.arange(nr), np.diff(A.indptr))
        return cls(rows, A.indices, A.data, is_sub[A.indices], nr)

    def per_row(self, weights: np.ndarray) -> np.ndarray:
        """(n_rows,) sum of ``weights`` (one per entry) over each row's entries."""
        return np.bincount(self.rows, weights=weights, minlength=self.n_rows)


def _upper_only(lay: Layout) -> np.ndarray:
    """(n_rows,) rows with an upper bound only (``<=`` rows)."""
    return ~np.isfinite(lay.row_lb) & np.isfinite(lay.row_ub)


def _slack_when_open(lay: Layout, e: _Entries) -> tuple[np.ndarray, np.ndarray]:
    r"""Rows slack when open (see :func:`free_allocation`), and each row's integer column.

    Returns
    -------
    slack
        (n_rows,) ≤ rows with one integer master column with a negative coefficient
        (:math:`-c`) and subproblem columns with coefficients ≥ 0 whose total at their
        upper bounds fits :math:`c + \text{ub}`.
    row_x
        (n_rows,) the integer master column with a negative coefficient in each row (a
        slack row has exactly one), -1 = none.
    """
    sub_e, cols, vals = e.sub, e.cols, e.vals
    n_sub = e.per_row(sub_e)
    n_master = e.per_row(~sub_e)
    master_int_neg = (~sub_e) & lay.col_int[cols] & (vals < 0)
    n_int_neg = e.per_row(master_int_neg)
    neg_sub = e.per_row(sub_e & (vals < 0)) > 0
    c = -e.per_row(np.where(master_int_neg, vals, 0.0))
    load = e.per_row(np.where(sub_e, vals * lay.col_ub[cols], 0.0))
    slack = (_upper_only(lay) & (n_master == 1) & (n_int_neg == 1) & ~neg_sub & (n_sub > 0)
             & (load <= c + lay.row_ub + 1e-9))
    row_x = np.full(e.n_rows, -1, dtype=np.int64)
    row_x[e.rows[master_int_neg]] = cols[master_int_neg]
    return slack, row_x


def _allocation_rows(lay: Layout, e: _Entries) -> np.ndarray:
    """(n_rows,) allocation rows: equalities with exactly one master column, a continuous
    one (the row's y), and subproblem columns."""
    master_cont = (~e.sub) & ~lay.col_int[e.cols]
    return ((lay.row_lb == lay.row_ub) & (e.per_row(~e.sub) == 1)
            & (e.per_row(master_cont) == 1) & (e.per_row(e.sub) > 0))


def _free_columns(e: _Entries, is_sub: np.ndarray, slack: np.ndarray, alloc: np.ndarray,
                  row_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n_columns,) free subproblem columns, and each column's x (-1: none).

    A subproblem column is free if each of its rows is slack when open or its one
    allocation row, and it is in a slack row (a link or a capacity row), whose integer
    column is its x.
    """
    n = len(is_sub)
    sub_e, cols, rows_of = e.sub, e.cols, e.rows
    bad_entry = sub_e & ~slack[rows_of] & ~alloc[rows_of]
    col_bad = np.bincount(cols[bad_entry], minlength=n) > 0
    col_alloc = np.bincount(cols[sub_e & alloc[rows_of]], minlength=n)
    free_col = is_sub & ~col_bad & (col_alloc == 1)
    xcol = np.full(n, -1, dtype=np.int64)
    ent = np.flatnonzero(sub_e & slack[rows_of])
    xcol[cols[ent]] = row_x[rows_of[ent]]
    free_col &= xcol >= 0
    return free_col, xcol


def _without(lay: Layout, A: sp.csr_matrix, keep_rows: np.ndarray, keep_cols: np.ndarray,
             is_sub: np.ndarray) -> Layout:
    """``lay`` restricted to ``keep_rows`` and ``keep_cols`` (``A`` its matrix in CSR).

    Rows left empty of subproblem columns and with no positive coefficient (links of
    dropped columns, capacity rows of options serving only free rows) hold by bounds when
    they are ≤ rows with an upper bound >= 0: they are dropped as well.
    """
    A2 = A[keep_rows][:, keep_cols]
    A2.eliminate_zeros()
    rnnz = np.diff(A2.indptr)
    sub_left = np.bincount(np.repeat(np.arange(A2.shape[0]), rnnz),
                           weights=is_sub[keep_cols][A2.indices], minlength=A2.shape[0])
    onlyx = (sub_left == 0) & _upper_only(lay)[keep_rows] & (lay.row_ub[keep_rows] >= 0) & (
        np.bincount(np.repeat(np.arange(A2.shape[0]), rnnz), weights=A2.data > 0,
                    minlength=A2.shape[0]) == 0)
    rk = np.flatnonzero(~onlyx)
    A2 = A2[rk]
    keep_rows = keep_rows[rk]
    return replace(lay, A=sp.csr_matrix(A2), row_lb=lay.row_lb[keep_rows],
                   row_ub=lay.row_ub[keep_rows],
                   row_names=[lay.row_names[i] for i in keep_rows.tolist()],
                   col_lb=lay.col_lb[keep_cols], col_ub=lay.col_ub[keep_cols],
                   col_obj=lay.col_obj[keep_cols], col_int=lay.col_int[keep_cols],
                   col_names=[lay.col_names[i] for i in keep_cols.tolist()])


def _opening_bounds(xlb: FloatArray, xub: FloatArray
                    ) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """Bounds of u from bounds of x (per option × year); the x >= 1 bounds left for rows.

    ``x_{o,0} >= 1`` (an existing station) fixes ``u_{o,0} = 1`` and the later u to 0;
    ``x_{o,p} <= 0`` fixes ``u_{o,q} = 0`` for ``q <= p``; any other ``x_{o,p} >= 1`` is
    returned (flat index ``o * P + p``) and becomes a row.
    """
    no, P = xlb.shape
    ulb, uub = np.zeros((no, P)), np.ones((no, P))
    closed = xub < 0.5                                        # x_{o,p} = 0
    uub[np.flip(np.cumsum(np.flip(closed, 1), 1), 1) > 0] = 0.0   # and so every q <= p
    first = xlb[:, 0] > 0.5
    ulb[first, 0] = 1.0
    uub[first, 1:] = 0.0
    forced = (xlb > 0.5) & ~first[:, None]
    # only the earliest forced year of an option needs a row
    earliest = np.where(forced.any(1), np.argmax(forced, 1), -1)
    extra = np.flatnonzero(earliest >= 0) * P + earliest[earliest >= 0]
    return ulb, uub, extra.astype(np.int64)


def _implied_by_bounds(A: sp.csr_matrix, row_lb: FloatArray, row_ub: FloatArray,
                       col_lb: FloatArray) -> np.ndarray:
    """Rows no column values within bounds can violate: empty rows whose bounds hold at 0,
    and rows ``Σ a u <= b`` with every ``a <= 0`` on columns bounded below by 0 and b >= 0
    (what the built-stays-built rows become)."""
    nnz = np.diff(A.indptr)
    rows = np.repeat(np.arange(A.shape[0]), nnz)
    pos = np.zeros(A.shape[0], dtype=bool)
    np.logical_or.at(pos, rows, A.data > 0)
    neg_lb = np.zeros(A.shape[0], dtype=bool)
    np.logical_or.at(neg_lb, rows, col_lb[A.indices] < 0)
    upper_only = ~np.isfinite(row_lb) & (row_ub >= 0)
    return upper_only & ~pos & ~neg_lb
