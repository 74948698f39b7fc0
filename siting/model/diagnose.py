"""Why a siting model has no feasible plan: name the first zone requirement that cannot be met.

Without zone minimums the model is always feasible (build nothing new), so infeasibility always
comes from a zone requirement meeting the budget, the yearly budgets or the
one-station-per-site rule. Two stages:

* :func:`check_zone_requirements` runs before solving. Every check it makes is a *necessary*
  condition, so it never rejects a feasible model: enough eligible sites in the zone; the
  cheapest way to meet the requirement fits in the budget available by its year; and, for
  requirements whose eligible sites do not overlap those of the earlier ones, their cheapest
  costs fit together.
* :func:`first_conflict` runs after the solver reports infeasibility that the checks missed
  (requirements sharing sites, interactions with grid groups ...): it re-solves with the first
  1, 2, ... requirements to find the first one that breaks feasibility.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import NoReturn

import numpy as np

from siting._errors import InfeasibleError
from siting.model.inputs import BoolArray, FloatArray, IntArray, ModelInput

log = logging.getLogger(__name__)

_TOL = 1e-6


def money(cny: float) -> str:
    """``12.0 M CNY`` for amounts from 100,000 CNY up, else ``8,500 CNY``."""
    if abs(cny) >= 1e5:
        return f"{cny / 1e6:,.1f} M CNY"
    return f"{cny:,.0f} CNY"


def requirement_label(labels: Sequence[str], k: int, m: int, by: str) -> str:
    """The caller's label of requirement ``k``, or a generic one."""
    if k < len(labels) and labels[k]:
        return labels[k]
    return f"zone requirement #{k + 1} needs {m} station(s) by {by}"


def check_zone_requirements(mi: ModelInput, can_open: BoolArray) -> None:
    """Raise :class:`InfeasibleError` if a zone requirement of ``mi`` certainly cannot be met.

    Parameters
    ----------
    mi
        The model input: its options (site, capital cost in CNY, existing flag), budgets
        (CNY), zone requirements with their labels (each a sentence such as ``"zone 'hedian'
        needs 1 hydrogen station(s) by 2025"`` that the message continues with ``" but ..."``),
        year labels and source file (which prefixes the message).
    can_open
        (n_options,) True where a *new* option could be opened at all (its site holds no
        existing station, its cost fits the budgets, its grid load fits its substation).

    Raises
    ------
    InfeasibleError
        One line naming the first requirement that fails and why.
    """
    site = np.asarray(mi.option_site, dtype=np.int64)
    cost = np.asarray(mi.option_cost, dtype=float)
    existing = np.asarray(mi.option_existing, dtype=bool)
    source = mi.source
    avail = _available_by_year(float(mi.budget_total), mi.yearly_budgets(), mi.n_years)
    committed_sites: set[int] = set()
    committed: list[tuple[float, int]] = []  # (cheapest cost, by-year) of disjoint requirements
    for k, z in enumerate(mi.zone_min):
        opts, m, by = np.asarray(z.options, dtype=np.int64), z.minimum, z.by_year
        label = requirement_label(mi.zone_labels, k, m, mi.year_label(by))
        n_exist = int(np.count_nonzero(existing[opts]))
        need = m - n_exist
        if need <= 0:
            continue
        new = opts[can_open[opts] & ~existing[opts]]
        site_cost = _cheapest_per_site(site[new], cost[new])
        if len(site_cost) < need:
            have = n_exist + len(site_cost)
            _raise(source, f"{label} but only {have} eligible site(s) can hold one; add "
                           "candidate sites in the zone, relax the rules or lower the minimum")
        cheapest = np.sort(np.fromiter(site_cost.values(), dtype=float))[:need]
        low = float(cheapest.sum())
        what = (f"its cheapest eligible option costs {money(low)}" if need == 1 else
                f"its {need} cheapest eligible options cost {money(low)} together")
        disjoint = committed_sites.isdisjoint(site_cost)
        before = sum(c for c, p in committed if p <= by) if disjoint else 0.0
        left = avail[by] - before
        if low > left + _TOL * (1 + low):
            _raise(source, f"{label} but {what} and the budget left is {money(max(left, 0))}; "
                           "raise the budget or relax this requirement")
        if disjoint:
            left_total = avail[-1] - sum(c for c, _ in committed)
            if low > left_total + _TOL * (1 + low):
                _raise(source, f"{label} but {what} and the budget left after the earlier "
                               f"zone requirements is {money(max(left_total, 0))}; raise the "
                               "budget or relax a requirement")
            committed.append((low, by))
            committed_sites.update(site_cost)


def first_conflict(n_requirements: int, feasible: Callable[[int], bool]) -> int | None:
    """Index of the first requirement that makes the model infeasible.

    Parameters
    ----------
    n_requirements
        Number of zone requirements.
    feasible
        ``feasible(k)`` is True if the model with only the first ``k`` requirements has a
        plan.

    Returns
    -------
    int or None
        The smallest ``k`` such that requirements ``0..k`` together are infeasible; None if
        all of them together are feasible (the infeasibility lies elsewhere).
    """
    for k in range(n_requirements):
        if not feasible(k + 1):
            return k
    return None


def conflict_message(label: str, k: int, source: str = "") -> str:
    """One line for a requirement found infeasible by :func:`first_conflict`."""
    if k == 0:
        body = (f"{label} but no plan meets it within the budget, the yearly budgets, the grid "
                "limits and the one-station-per-site rule; raise the budget or relax it")
    else:
        body = (f"{label} but no plan meets it together with the {k} earlier zone "
                "requirement(s) within the budget, the yearly budgets, the grid limits and the "
                "one-station-per-site rule; raise the budget or relax a requirement")
    return f"{source}: {body}" if source else body


def _available_by_year(total: float, by_year: FloatArray | None, n_years: int) -> FloatArray:
    """Most that can have been spent by the end of each year (CNY)."""
    if by_year is None:
        return np.full(n_years, float(total))
    return np.minimum(np.cumsum(np.asarray(by_year, dtype=float)), float(total))


def _cheapest_per_site(sites: IntArray, cost: FloatArray) -> dict[int, float]:
    out: dict[int, float] = {}
    for s, c in zip(sites.tolist(), cost.tolist(), strict=True):
        if c < out.get(s, np.inf):
            out[s] = c
    return out


def _raise(source: str, body: str) -> NoReturn:
    msg = f"{source}: {body}" if source else body
    log.info("infeasible: %s", msg)
    raise InfeasibleError(msg)
