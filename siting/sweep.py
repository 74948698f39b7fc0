"""Trade-offs: solve one scenario over a range of budgets and draw the coverage curve.

The network, demand and coverage sets are prepared once; only the MIP is re-solved per budget
(the yearly caps scale with the total, and each point's report gives the caps it used).
Budgets are solved in increasing order. A plan feasible under a budget stays feasible under a
larger one, so when a solve stopped at its time limit returns a plan covering less than a
smaller budget's, that smaller budget's plan is shown instead — openly: ``curve.csv`` names
the budget it comes from, ``curve.png`` draws it hollow, and its run's report carries a note.
Budgets with no plan (infeasible requirements, or none found in time) are listed and drawn
as crosses on the axis, never dropped. The knee is marked only where the curve has one.

Everything is written in the run's language (``scenario.lang``, set by ``--lang``):
``curve.png`` (the coverage of the final planning year against the budget, and below it the
stations each budget builds, by type in the one symbology of :mod:`siting.symbology`),
``curve.csv``'s headers, the notes, and ``explorer.html`` (:mod:`siting.explorer`): the curve
with a slider that shows each budget's plan on a map with its figures. ``sweep.json`` names
that language and the sweep's title (:func:`sweep_info`:
``{"lang": "zh", "name": "随州", "title": "随州：覆盖率与预算"}``) for readers of the folder,
such as the QGIS plugin, which names the curve's layer by it.
"""

from __future__ import annotations

import json
import logging
import math
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siting._atomic import atomic_dir
from siting._csv import write_csv
from siting._errors import InfeasibleError, ScenarioError, SolverError, clip, echo
from siting._format import MISSING, header_years, money, percent
from siting.i18n import t

if TYPE_CHECKING:  # the pipeline is imported when solving: parsing --budgets stays quick
    from siting.model import ModelInput
    from siting.pipeline import Prepared, StageHooks
    from siting.report import Report
    from siting.results import SitingResult
    from siting.scenario import Scenario, StationType
    from siting.symbology import TypeSymbol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepPoint:
    """One budget's outcome."""

    budget: float
    spent: float
    coverage_share: float
    objective: float
    stations: int
    status: str
    gap: float | None
    carried: bool
    folder: str
    #: Budget (CNY) whose plan this point shows when ``carried``.
    carried_from: float | None = None
    #: Stations of the plan by type id.
    by_type: dict[str, int] = field(default_factory=dict)


#: Longest station-type label in curve.png's legend (a longer name is cut with "…", so the
#: legend stays inside the figure).
LEGEND_LABEL_CHARS = 40
#: Largest budget a sweep accepts, CNY (10 trillion; anything above is a unit slip).
MAX_BUDGET_CNY = 1e13
#: Most budgets one sweep solves.
MAX_BUDGETS = 1000
#: The file of a sweep folder naming its language and title (:func:`sweep_info`).
INFO_FILE = "sweep.json"


def budget_folder(budget: float) -> str:
    """Name of the run folder of one budget (CNY): ``budget_0032.00M`` for 32 M CNY."""
    return f"budget_{budget / 1e6:07.2f}M"


def parse_budgets(text: str, option: str = "--budgets") -> np.ndarray:
    """Budgets in CNY from ``"10,20,40"`` (million CNY, comma-separated).

    Raises
    ------
    ScenarioError
        Text that is not a number, a value that is negative, infinite or NaN, or above
        :data:`MAX_BUDGET_CNY`, no value at all, or two values sharing a run folder
        (:func:`check_budgets`).
    """
    parts = [p.strip() for p in text.split(",")]
    values = []
    for part in parts:
        if not part:
            continue
        try:
            v = float(part)
        except ValueError:
            msg = (f"{option} {echo(text)}: {echo(part)} is not a number; give budgets in "
                   "million CNY separated by commas, e.g. 10,20,40")
            raise ScenarioError(msg) from None
        values.append((part, v))
    if not values:
        msg = f"{option} {echo(text)}: give at least one budget in million CNY, e.g. 10,20,40"
        raise ScenarioError(msg)
    for part, v in values:
        if not math.isfinite(v) or v < 0 or v * 1e6 > MAX_BUDGET_CNY:
            why = ("is not a finite number" if not math.isfinite(v) else "is negative"
                   if v < 0 else "is too large")
            msg = (f"{option}: budget {clip(part)} {why}; give budgets in million CNY from 0 "
                   f"to {MAX_BUDGET_CNY / 1e6:,.0f}, e.g. 10,20,40")
            raise ScenarioError(msg)
    budgets = np.array([v * 1e6 for _, v in values])
    check_budgets(budgets, option)
    return budgets


def check_budgets(budgets: np.ndarray, option: str = "--budgets") -> None:
    """Refuse budgets (CNY) whose run folders would coincide, or too many of them.

    Two budgets that round to the same ``budget_<M>M`` folder name (10.001 and 10.004
    million, or the same budget twice) would write one run over the other.
    """
    if len(budgets) > MAX_BUDGETS:
        msg = f"{option}: {len(budgets)} budgets; a sweep solves at most {MAX_BUDGETS}"
        raise ScenarioError(msg)
    seen: dict[str, float] = {}
    for b in np.sort(np.asarray(budgets, dtype=float)):
        name = budget_folder(b)
        if name in seen:
            msg = (f"{option}: budgets {seen[name] / 1e6:g} and {b / 1e6:g} million CNY both "
                   f"give run folder {name} (budgets are rounded to 0.01 million); give "
                   "budgets at least 0.01 million CNY apart")
            raise ScenarioError(msg)
        seen[name] = float(b)


def check_range(lo: float, hi: float, n: int) -> None:
    """Refuse ``--from``/``--to``/``--n`` that cannot give ``n`` distinct budgets."""
    for option, v in (("--from", lo), ("--to", hi)):
        if not math.isfinite(v) or v < 0 or v > 1000:
            msg = (f"{option} {clip(str(v))}: give a multiple of the scenario's budget between "
                   "0 and 1000, e.g. --from 0.25 --to 2")
            raise ScenarioError(msg)
    if not lo < hi:
        msg = f"--from {lo:g} --to {hi:g}: --from must be smaller than --to"
        raise ScenarioError(msg)
    if not 2 <= n <= MAX_BUDGETS:
        msg = f"--n {n}: give between 2 and {MAX_BUDGETS} budgets"
        raise ScenarioError(msg)


def budget_range(base: float, lo: float = 0.25, hi: float = 2.0, n: int = 8) -> np.ndarray:
    """``n`` budgets from ``lo × base`` to ``hi × base`` (CNY), evenly spaced."""
    return np.linspace(lo * base, hi * base, n)


#: A knee must lie at least this far above the end-to-end chord (both axes scaled to 0-1).
KNEE_MIN_LIFT = 0.05


def knee_index(x: np.ndarray, y: np.ndarray) -> int | None:
    """Index of the knee of an increasing curve, or None when it has none.

    The knee is the interior point farthest above the end-to-end chord, if it lies at least
    :data:`KNEE_MIN_LIFT` above it: a straight or convex curve, or one of fewer than three
    points, has no knee.
    """
    if len(x) < 3 or not y[-1] > y[0] or not x[-1] > x[0]:
        return None
    xn = (x - x[0]) / (x[-1] - x[0])
    yn = (y - y[0]) / (y[-1] - y[0])
    lift = yn - xn
    k = int(np.argmax(lift[1:-1])) + 1
    return k if lift[k] >= KNEE_MIN_LIFT else None


def sweep(prep: Prepared, budgets: np.ndarray, out_dir: Path, *, hooks: StageHooks | None = None,
          write_run=None, inputs: Iterable[Path] = ()) -> list[SweepPoint]:
    """Solve ``prep`` at each budget; write ``curve.csv``, ``curve.png`` and a run per budget.

    Parameters
    ----------
    prep
        From :func:`siting.pipeline.prepare`.
    budgets
        Total budgets, CNY (sorted ascending before solving). Yearly caps, if the scenario has
        them, are scaled by the same factor.
    out_dir
        Folder to write (atomically): ``curve.csv``, ``curve.png`` and ``budget_<M>M/`` runs.
    write_run
        ``write_run(result, folder)`` writes one budget's outputs (the CLI passes the map and
        export writers); None writes no per-budget folders.
    inputs
        Paths ``out_dir`` may not be or contain (the scenario's folder and layers).
    """
    from siting.pipeline import open_years_of, solve_prepared

    budgets = np.sort(np.asarray(budgets, dtype=float))
    check_budgets(budgets)
    base = prep.model_input
    points: list[SweepPoint] = []
    results: list[tuple[str, SitingResult]] = []
    prev_result: SitingResult | None = None
    for b in budgets:
        factor = b / base.budget_total if base.budget_total > 0 else 1.0
        by_year = None if base.budget_by_year is None else base.budget_by_year * factor
        mi = replace(base, budget_total=float(b), budget_by_year=by_year)
        try:
            # the smaller budget's plan is feasible here too: a warm start across the sweep
            start = None if prev_result is None else open_years_of(prep, prev_result)
            result, _ = solve_prepared(prep, hooks=hooks, model_input=mi, start_plan=start)
        except (InfeasibleError, SolverError) as e:
            # Too small for the zone requirements (or no plan found in time): no plan at this
            # budget; keep sweeping.
            log.warning("budget %.0f: %s", b, e)
            status = "infeasible" if isinstance(e, InfeasibleError) else "no_plan"
            points.append(SweepPoint(float(b), float("nan"), float("nan"), float("nan"), 0,
                                     status, None, False, ""))
            continue
        carried_from = None
        if prev_result is not None and (result.report.objective
                                        < prev_result.report.objective - 1e-6):
            carried_from = prev_result.report.budget
            log.warning("budget %.0f: the solver stopped with a plan covering less than the "
                        "%.0f budget's; showing that plan (marked in curve.csv and curve.png)",
                        b, carried_from)
            result = replace(prev_result, report=_carried_report(prev_result.report, mi))
        folder = budget_folder(b)
        r = result.report
        points.append(SweepPoint(float(b), float(r.spent), float(r.coverage_share),
                                 float(r.objective), len(result.stations),
                                 r.solver.status, r.solver.gap, carried_from is not None,
                                 folder, carried_from,
                                 {k: v.count for k, v in r.by_type.items() if v.count}))
        results.append((folder, result))
        if carried_from is None:
            prev_result = result
    for p in final_year_dips(points):
        log.warning("budget %.0f: the final year's share (%.1f %%) is below a smaller "
                    "budget's; the plan covers more over all planning years (noted on "
                    "curve.png)", p.budget, 100 * p.coverage_share)
    lang = prep.scenario.lang
    with atomic_dir(out_dir, kind="sweep", inputs=inputs) as tmp:
        _write_curve(points, tmp, lang=lang, types=prep.scenario.station_types,
                     year=max(prep.scenario.years), years=prep.scenario.years)
        (tmp / INFO_FILE).write_text(json.dumps(sweep_info(prep.scenario), ensure_ascii=False,
                                                indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")
        if results:
            from siting.explorer import explorer_page

            (tmp / "explorer.html").write_text(
                explorer_page(points, dict(results), lang=lang), encoding="utf-8")
        if write_run is not None:
            for folder, result in results:
                write_run(result, tmp / folder)
    return points


def sweep_info(scenario: Scenario) -> dict[str, str]:
    """What ``sweep.json`` says of a sweep: its language (``--lang``, else the scenario's), the
    scenario's name in that language and the sweep's title, as the command line prints it
    above the sweep's table (``随州：覆盖率与预算``)."""
    lang, name = scenario.lang, scenario.display_name
    return {"lang": lang, "name": name, "title": t("console.sweep_title", lang, name=name)}


def _carried_report(report: Report, mi: ModelInput) -> Report:
    """A smaller budget's report shown at a larger budget: the larger budget and its caps, a
    note saying whose plan it is."""
    caps = ({} if mi.budget_by_year is None else
            {y: float(b) for y, b in zip(report.by_year, mi.budget_by_year, strict=False)})
    by_year = {y: f.model_copy(update={"budget": caps.get(y, f.budget)})
               for y, f in report.by_year.items()}
    lang = report.scenario.lang
    note = t("sweep.note_carried", lang, plan=money(report.budget, lang),
             budget=money(mi.budget_total, lang))
    return report.model_copy(update={"budget": float(mi.budget_total), "budget_by_year": caps,
                                     "by_year": by_year, "notes": [*report.notes, note]})


def final_year_dips(points: Sequence[SweepPoint]) -> list[SweepPoint]:
    """Points with a plan whose final-year share is below a smaller budget's.

    Not a solver failure: the model maximises the coverage summed over the planning years
    (and corridor trucks), so a larger budget's better plan may serve the earlier years more
    and the final year a little less. :func:`sweep` only replaces a plan whose *objective*
    is below a smaller budget's.
    """
    dips, best = [], -math.inf
    for p in points:
        if not p.folder:
            continue
        if p.coverage_share < best - 1e-9:
            dips.append(p)
        best = max(best, p.coverage_share)
    return dips


def _write_curve(points: list[SweepPoint], folder: Path, *, lang: str = "en",
                 year: int | None = None, years: Sequence[int] = (),
                 types: Sequence[StationType] = ()) -> None:
    feasible = [p for p in points if p.folder]
    x = np.array([p.budget for p in feasible])
    y = np.array([p.coverage_share for p in feasible])
    k = knee_index(x, y) if feasible else None
    knee = feasible[k] if k is not None else None

    from siting.report_text import status_name

    def num(v: float, fmt: str) -> str:
        return "" if np.isnan(v) else format(v, fmt)

    rows = [[f"{p.budget:.0f}", num(p.spent, ".0f"), num(p.coverage_share, ".6f"),
             num(p.objective, ".6f"), p.stations, status_name(p.status, lang),
             "" if p.gap is None else f"{p.gap:.6f}",
             "" if p.carried_from is None else f"{p.carried_from:.0f}",
             t("word.yes" if p is knee else "word.no", lang), p.folder]
            for p in points]
    named = header_years([*years, year])
    header = [t(f"sweep.csv_{c}", lang, **named) for c in (
        "budget", "spent", "coverage", "objective", "stations", "status", "gap", "plan_of",
        "knee", "folder")]
    write_csv(folder / "curve.csv", rows, header=header)
    if points:
        _plot_curve(points, knee, folder / "curve.png", lang=lang, types=types, year=year)


def _plot_curve(points: list[SweepPoint], knee: SweepPoint | None, path: Path, *,
                lang: str = "en", types: Sequence[StationType] = (),
                year: int | None = None) -> None:
    """Coverage of the final year against the budget (every budget drawn, none dropped), and
    below it the stations each budget builds, by type in the types' colours and glyphs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from siting.briefing.build import briefing_rc
    from siting.briefing.context import SYMBOL_HANDLER_MAP, symbol_handles
    from siting.briefing.fonts import Fonts, english_without_cjk

    fonts = Fonts.resolve()
    lang = english_without_cjk(lang, fonts, "curve.png")
    present = {k for p in points for k in p.by_type}
    from siting.symbology import symbols_from_types

    symbols = symbols_from_types(types, lang, extra_ids=present)
    with plt.rc_context(briefing_rc(fonts)):
        fig, (ax, bx) = plt.subplots(2, 1, figsize=(7.5, 6.2), dpi=120, sharex=True,
                                     gridspec_kw={"height_ratios": [3, 2]})
        _coverage_axes(ax, points, knee, lang, year)
        _stations_axes(bx, points, symbols, lang)
        handles, labels = symbol_handles([symbols[k] for k in symbols if k in present])
        labels = [clip(label, LEGEND_LABEL_CHARS) for label in labels]
        if handles:
            bx.legend(handles, labels, loc="upper left", fontsize=8.5, ncols=2,
                      handler_map=SYMBOL_HANDLER_MAP, framealpha=0.9)
        note = dip_note(points, lang)
        if note:  # a footnote under the axes, clear of the curve
            fig.text(0.01, 0.005, note, fontsize=7.5, va="bottom", ha="left",
                     color="#57606a")
        fig.tight_layout(rect=(0, 0.045 * (note.count("\n") + 1) if note else 0, 1, 1))
        fig.savefig(path, metadata={"Software": None})
        plt.close(fig)


def dip_note(points: Sequence[SweepPoint], lang: str) -> str:
    """The curve's footnote when a final-year share dips (:func:`final_year_dips`), wrapped
    to the figure's width; empty when none does."""
    if not final_year_dips(points):
        return ""
    note = t("sweep.dip_note", lang)
    lines = (textwrap.wrap(note, 110) if lang != "zh" else
             [note[i:i + 56] for i in range(0, len(note), 56)])
    return "\n".join(lines)


def _coverage_axes(ax: Any, points: list[SweepPoint], knee: SweepPoint | None,
                   lang: str, year: int | None = None) -> None:
    ok = [p for p in points if p.folder]
    solved = [p for p in ok if not p.carried]
    carried = [p for p in ok if p.carried]
    none = [p for p in points if not p.folder]
    if ok:
        ax.plot([p.budget / 1e6 for p in ok], [p.coverage_share * 100 for p in ok],
                color="#1f6feb", zorder=2)
    stopped = [p for p in solved if p.status != "optimal"]
    proven = [p for p in solved if p.status == "optimal"]
    if proven:
        ax.scatter([p.budget / 1e6 for p in proven], [p.coverage_share * 100 for p in proven],
                   color="#1f6feb", zorder=3, label=t("sweep.proven", lang))
    if stopped:
        ax.scatter([p.budget / 1e6 for p in stopped], [p.coverage_share * 100 for p in stopped],
                   color="#bf8700", marker="s", zorder=3, label=t("sweep.stopped", lang))
    if carried:
        ax.scatter([p.budget / 1e6 for p in carried], [p.coverage_share * 100 for p in carried],
                   facecolors="white", edgecolors="#1f6feb", zorder=3,
                   label=t("sweep.carried", lang))
    if none:
        ax.scatter([p.budget / 1e6 for p in none], [0.0] * len(none), marker="x",
                   color="#d1242f", zorder=3, clip_on=False, label=t("sweep.none", lang))
    if knee is not None:
        ax.scatter([knee.budget / 1e6], [knee.coverage_share * 100], s=160, facecolors="none",
                   edgecolors="#d1242f", linewidths=2, zorder=4,
                   label=t("sweep.knee", lang, budget=money(knee.budget, lang),
                           share=percent(knee.coverage_share, 0)))
    ax.set_ylabel(t("sweep.y_axis", lang, year=MISSING if year is None else year))
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7.5)
    ax.set_title(t("sweep.title", lang))


def _stations_axes(ax: Any, points: list[SweepPoint], symbols: dict[str, TypeSymbol],
                   lang: str) -> None:
    ok = [p for p in points if p.folder]
    xs = np.array([p.budget / 1e6 for p in ok])
    width = 0.6 * (float(np.min(np.diff(xs))) if len(xs) > 1 else max(1.0, float(xs[0]) * 0.2)
                   if len(xs) else 1.0)
    bottom = np.zeros(len(ok))
    for tid, sym in symbols.items():
        counts = np.array([p.by_type.get(tid, 0) for p in ok], dtype=float)
        if not counts.any():
            continue
        ax.bar(xs, counts, width=width, bottom=bottom, color=sym.color, edgecolor="white",
               linewidth=0.6)
        bottom += counts
    ax.set_ylabel(t("sweep.stations_axis", lang))
    ax.set_xlabel(t("sweep.x_axis", lang))
    ax.grid(alpha=0.3, axis="y")
    ax.set_ylim(0, max(1.0, float(bottom.max(initial=0.0))) * 1.5)
