"""Small capacitated instances and their best plans by enumeration (shared by the bound tests)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from siting.model import ModelInput


def small_input(weight, energy, year, cover, cost, cap, budget, by_year=None, existing=None,
                **extra):
    """A capacitated ModelInput: rows reach the options listed in ``cover`` (one per site)."""
    n = len(cost)
    rows = [i for i, c in enumerate(cover) for _ in c]
    cols = [o for c in cover for o in c]
    return ModelInput(
        weight=np.array(weight, float), energy=np.array(energy, float), year=np.array(year),
        cover=sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(cover), n)),
        option_site=np.arange(n), option_cost=np.array(cost, float),
        option_capacity=np.array(cap, float),
        option_existing=np.zeros(n, bool) if existing is None else np.array(existing),
        budget_total=budget,
        budget_by_year=None if by_year is None else np.array(by_year, float), **extra)


def served(mi: ModelInput, rows: list[int], opened: list[int]) -> float:
    """Best capacitated weight of ``rows`` with ``opened`` open: a transportation LP."""
    cover = mi.cover.tolil().rows
    w, e, q = (np.asarray(a, float) for a in (mi.weight, mi.energy, mi.option_capacity))
    pairs = [(i, o) for i in rows for o in cover[i] if o in opened]
    if not pairs or not rows:
        return 0.0
    n, k = len(rows), len(pairs)
    loc = {r: j for j, r in enumerate(rows)}
    a_eq = np.zeros((n, n + k))
    a_eq[np.arange(n), np.arange(n)] = -e[rows]
    a_ub = np.zeros((len(opened), n + k))
    for j, (i, o) in enumerate(pairs):
        a_eq[loc[i], n + j] = 1.0
        a_ub[opened.index(o), n + j] = 1.0
    # a station of unlimited capacity: room for everything; a row without energy is
    # served by reach alone (y <= 1 when an open station covers it)
    room = np.where(np.isinf(q[opened]), e[rows].sum() + 1.0, q[opened])
    reach = [(0, 1) if any(o in opened for o in cover[i]) else (0, 0) for i in rows]
    res = linprog(np.r_[-w[rows], np.zeros(k)], A_ub=a_ub, b_ub=room, A_eq=a_eq,
                  b_eq=np.zeros(n), bounds=reach + [(0, None)] * k, method="highs")
    return -float(res.fun)


def brute_force(mi: ModelInput) -> float:
    """Best covered weight over every plan: each option's opening year (or never), every
    yearly cap (on that year's openings) and the total cap checked, each year allocated."""
    P = int(np.max(mi.year)) + 1
    cost = np.asarray(mi.option_cost, float)
    existing = np.asarray(mi.option_existing)
    caps = np.full(P, np.inf) if mi.budget_by_year is None else np.asarray(mi.budget_by_year)
    best = -1.0
    for years in itertools.product(range(-1, P), repeat=len(cost)):
        y = np.array(years)
        if (existing & (y != 0)).any():
            continue
        new = ~existing & (y >= 0)
        if cost[new].sum() > mi.budget_total + 1e-9:
            continue
        if any(cost[new & (y == p)].sum() > caps[p] + 1e-9 for p in range(P)):
            continue
        value = sum(served(mi, [int(i) for i in np.flatnonzero(mi.year == p)],
                            [int(o) for o in np.flatnonzero((y >= 0) & (y <= p))])
                    for p in range(P))
        best = max(best, value)
    return best


def random_cover(rng: np.random.Generator, n_rows: int, n_opt: int, most: int
                  ) -> list[list[int]]:
    """Each row reached by 1 to ``most`` options drawn at random."""
    return [sorted(rng.choice(n_opt, size=rng.integers(1, most + 1), replace=False).tolist())
            for _ in range(n_rows)]


def random_phased_instance(seed: int) -> ModelInput:
    """Seven rows, four options, two years with a first-year cap; an infinite capacity on
    every third seed, rows without energy on odd seeds, an existing station on every fourth."""
    rng = np.random.default_rng(seed)
    n_rows, n_opt, P = 7, 4, 2
    cost = rng.integers(1, 4, n_opt).astype(float)
    cap = rng.integers(2, 9, n_opt).astype(float)
    if seed % 3 == 0:
        cap[rng.integers(0, n_opt)] = math.inf
    energy = rng.integers(0 if seed % 2 else 1, 6, n_rows).astype(float)
    return small_input(rng.integers(1, 5, n_rows), energy, rng.integers(0, P, n_rows),
                       random_cover(rng, n_rows, n_opt, 3), cost, cap,
                       budget=float(cost.sum() * 0.6),
                       by_year=[float(cost.sum()) * 0.4, math.inf],
                       existing=[seed % 4 == 0] + [False] * (n_opt - 1))
