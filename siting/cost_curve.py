"""The cost curve: the least capital cost of reaching each of a range of coverage targets.

``siting sweep SCENARIO --targets 0.6,0.7,0.8,0.9,1.0``: the network, demand and coverage sets
are prepared once; for every target the least-cost MIP (:mod:`siting.model.target`) is solved.
Targets are solved from the highest down. The least cost never falls as the target rises, and
a plan reaching a higher target reaches every lower one; so when a solve stopped at its time
limit returns a plan dearer than a higher target's, that plan is shown instead — openly:
``cost_curve.csv`` names the target it comes from (``plan_of_target``), ``cost_curve.png``
draws it hollow. A target no plan can reach is kept, with what blocks it (``note``), and drawn
as a cross on the axis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from siting._atomic import atomic_dir
from siting._csv import write_csv
from siting._errors import InfeasibleError, ScenarioError, SolverError
from siting._format import MISSING, header_years
from siting.i18n import t
from siting.pipeline import Prepared, StageHooks, solve_prepared
from siting.results import SitingResult
from siting.scenario import ObjectiveSpec
from siting.zone_coverage import target_floor, zone_floors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CostPoint:
    """One target's outcome."""

    target: float
    spent: float
    achieved_share: float
    status: str
    gap: float | None
    cost_bound: float | None
    stations: int
    folder: str
    #: Target whose plan this point shows (a higher one's, cheaper), else None.
    plan_of_target: float | None = None
    note: str = ""


def parse_targets(text: str) -> list[float]:
    """``"0.6,0.7,0.95"`` (or percentages ``"60,70,95"``) -> sorted distinct shares 0-1.

    Raises
    ------
    ScenarioError
        Not numbers, or outside (0, 1] (percentages: (0, 100]).
    """
    try:
        vals = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        vals = []
    if vals and all(1 < v <= 100 for v in vals):
        vals = [v / 100 for v in vals]
    if not vals or any(not (0 < v <= 1) for v in vals):
        msg = (f"--targets '{text}': give coverage shares between 0 and 1 separated by "
               "commas, e.g. 0.6,0.7,0.8,0.9,1.0")
        raise ScenarioError(msg)
    return sorted(set(vals))


def target_prepared(prep: Prepared, share: float) -> Prepared:
    """``prep`` turned into a least-cost run reaching ``share`` of the final year's demand."""
    sc = prep.scenario
    goal = ObjectiveSpec(target_share=share, budget_cap=sc.objective.budget_cap)
    sc_t = sc.model_copy(update={"objective": goal})
    floor = target_floor(sc_t, prep.demand)
    assert floor is not None
    mi = prep.model_input
    budget = float(sc.budget.total) if goal.budget_cap else float("inf")
    mi_t = replace(mi, coverage_floors=[floor, *zone_floors(sc, prep.demand, prep.in_zone)],
                   minimise_cost=True, budget_total=budget)
    return replace(prep, scenario=sc_t, model_input=mi_t)


def cost_sweep(prep: Prepared, targets: Iterable[float], out_dir: Path, *,
               hooks: StageHooks | None = None,
               write_run: Callable[[SitingResult, Path], None] | None = None,
               inputs: Iterable[Path] = ()) -> list[CostPoint]:
    """Solve the least-cost plan for each target; write ``cost_curve.csv``, ``.png`` and runs.

    Parameters
    ----------
    prep
        From :func:`siting.pipeline.prepare` (coverage or least-cost scenario alike).
    targets
        Shares 0-1 of the final year's demand weight.
    out_dir
        Folder to write (atomically): ``cost_curve.csv``, ``cost_curve.png``,
        ``target_<share>/`` runs.
    write_run
        ``write_run(result, folder)`` writes one target's outputs; None writes none.
    inputs
        Paths ``out_dir`` may not be or contain.
    """
    points: list[CostPoint] = []
    results: list[tuple[str, SitingResult]] = []
    prev: tuple[float, SitingResult] | None = None
    for share in sorted(set(targets), reverse=True):
        p_t = target_prepared(prep, share)
        try:
            result, _ = solve_prepared(p_t, hooks=hooks)
        except (InfeasibleError, SolverError) as e:
            log.warning("target %.3f: %s", share, e)
            status = "infeasible" if isinstance(e, InfeasibleError) else "no plan found"
            points.append(CostPoint(share, float("nan"), float("nan"), status, None, None, 0,
                                    "", note=str(e)))
            continue
        carried = None
        if prev is not None and result.report.spent > prev[1].report.spent * (1 + 1e-9):
            carried = prev[0]
            log.warning("target %.3f: the solver stopped with a plan dearer than the %.3f "
                        "target's; showing that plan (marked in cost_curve.csv)", share, carried)
            note = (f"This is the plan of the {carried:.0%} target: at {share:.0%} the solver "
                    "stopped at its time limit with a dearer plan, and a plan reaching a higher "
                    "target reaches a lower one.")
            result = replace(prev[1], report=prev[1].report.model_copy(
                update={"notes": [*prev[1].report.notes, note]}))
        r = result.report
        folder = f"target_{share:.3f}"
        t = r.target
        points.append(CostPoint(share, float(r.spent), float(r.coverage_share),
                                r.solver.status, None if t is None else t.gap,
                                None if t is None else t.cost_bound, len(result.stations),
                                folder, carried))
        results.append((folder, result))
        if carried is None:
            prev = (share, result)
    points.sort(key=lambda p: p.target)
    with atomic_dir(out_dir, kind="sweep", inputs=inputs) as tmp:
        _write(points, tmp, lang=prep.scenario.lang, year=max(prep.scenario.years))
        if write_run is not None:
            for folder, result in results:
                write_run(result, tmp / folder)
    return points


def _write(points: list[CostPoint], folder: Path, *, lang: str = "en",
           year: int | None = None) -> None:
    def num(v: float | None, fmt: str) -> str:
        return "" if v is None or np.isnan(v) else format(v, fmt)

    from siting.report_text import status_name

    rows = [[f"{p.target:.4f}", num(p.spent, ".0f"), num(p.cost_bound, ".0f"),
             num(p.gap, ".6f"), num(p.achieved_share, ".6f"), p.stations,
             status_name(p.status, lang),
             "" if p.plan_of_target is None else f"{p.plan_of_target:.4f}", p.folder, p.note]
            for p in points]
    # headers in the run's language, naming the year the shares are of (as curve.csv)
    named = header_years([year])
    write_csv(folder / "cost_curve.csv", rows, header=[t(k, lang, **named) for k in (
        "sweep.cost_csv_target", "sweep.csv_spent", "sweep.cost_csv_bound", "sweep.csv_gap",
        "sweep.csv_coverage", "sweep.csv_stations", "sweep.csv_status",
        "sweep.cost_csv_plan_of", "sweep.csv_folder", "sweep.cost_csv_note")])
    if points:
        _plot(points, folder / "cost_curve.png", lang=lang, year=year)


def _plot(points: list[CostPoint], path: Path, *, lang: str = "en",
          year: int | None = None) -> None:
    """The least cost against the target share of ``year``'s demand, in ``lang`` (English
    when no CJK font is installed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from siting.briefing.build import briefing_rc
    from siting.briefing.fonts import Fonts, english_without_cjk

    fonts = Fonts.resolve()
    lang = english_without_cjk(lang, fonts, "cost_curve.png")
    ok = [p for p in points if p.folder]
    proven = [p for p in ok if p.plan_of_target is None and p.status == "optimal"]
    stopped = [p for p in ok if p.plan_of_target is None and p.status != "optimal"]
    carried = [p for p in ok if p.plan_of_target is not None]
    none = [p for p in points if not p.folder]
    with plt.rc_context(briefing_rc(fonts)):
        fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
        if ok:
            ax.plot([p.target * 100 for p in ok], [p.spent / 1e6 for p in ok],
                    color="#1f6feb", zorder=2)
        if proven:
            ax.scatter([p.target * 100 for p in proven], [p.spent / 1e6 for p in proven],
                       color="#1f6feb", zorder=3, label=t("sweep.cost_proven", lang))
        if stopped:
            ax.scatter([p.target * 100 for p in stopped], [p.spent / 1e6 for p in stopped],
                       color="#bf8700", marker="s", zorder=3, label=t("sweep.cost_stopped", lang))
            bounds = [p for p in stopped if p.cost_bound is not None]
            if bounds:
                ax.vlines([p.target * 100 for p in bounds],
                          [(p.cost_bound or 0.0) / 1e6 for p in bounds],
                          [p.spent / 1e6 for p in bounds], color="#bf8700", alpha=0.6,
                          label=t("sweep.cost_between", lang))
        if carried:
            ax.scatter([p.target * 100 for p in carried], [p.spent / 1e6 for p in carried],
                       facecolors="white", edgecolors="#1f6feb", zorder=3,
                       label=t("sweep.cost_carried", lang))
        if none:
            ax.scatter([p.target * 100 for p in none], [0.0] * len(none), marker="x",
                       color="#d1242f", zorder=3, clip_on=False, label=t("sweep.cost_none", lang))
        ax.set_xlabel(t("sweep.cost_x_axis", lang, year=MISSING if year is None else year))
        ax.set_ylabel(t("sweep.cost_y_axis", lang))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
        ax.set_title(t("sweep.cost_title", lang))
        fig.tight_layout()
        fig.savefig(path, metadata={"Software": None})
        plt.close(fig)
