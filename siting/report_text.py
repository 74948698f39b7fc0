"""The report's key figures as sentences, the same in every output and language.

The map's title box, the briefing, the comparison, the budget explorer and the console all say
the headline, the money, the corridor trucks and the solver outcome with these functions
(labels from the ``plan.*`` group of :mod:`siting.i18n`, figures through :mod:`siting._format`):

- the **headline** is the final planning year: new-energy vehicles covered of that year's
  new-energy fleet, and the share (with the weight when the scenario weighs by energy);
- **corridor trucks** are counted apart from the point coverage;
- each sentence starts with its label (``货运通道：…``, ``求解：…``) where it stands alone
  (the map, the briefing, the explorer); ``label=False`` leaves the label out for the console,
  whose summary table prints it in a column of its own (it was printed twice:
  ``货运通道：货运通道：26 / 26 …``);
- a plan the solver stopped at its time limit is never called optimal: the sentence gives the
  objective as a range, from the plan's value to the solver's bound (the bound is on the
  objective, a score summed over the planning years plus corridor trucks, not on the
  headline's vehicles).
"""

from __future__ import annotations

from collections.abc import Callable

from siting._format import MISSING, money, number, percent
from siting.i18n import LABELS, t
from siting.report import MandatePrice, Report

__all__ = [
    "corridor_text", "headline_label", "headline_text", "labelled", "money_text", "notes",
    "objective_text", "scenario_title", "solver_name", "solver_text", "status_name",
]


def scenario_title(report: Report, lang: str) -> str:
    """The scenario's name in ``lang``: its English name in English when it has one."""
    sc = report.scenario
    return sc.name_en if lang == "en" and sc.name_en else sc.name


def labelled(label: str, value: str, lang: str) -> str:
    """``label：value`` (``label: value`` in English)."""
    return t("plan.labelled", lang, label=label, value=value)


def headline_label(report: Report, lang: str) -> str:
    """The headline's label: its year (``2025 年``)."""
    return t("plan.headline_label", lang, year=report.headline.year)


def headline_text(report: Report, lang: str, *, label: bool = True) -> str:
    """``2025 年：新能源车辆覆盖 450 / 528 辆（85.2%）`` — the final planning year; without
    its year (:func:`headline_label`) when ``label`` is false."""
    h = report.headline
    text = t("plan.headline", lang, covered=number(h.vehicles_covered),
             total=number(h.vehicles_total), share=percent(
                 h.vehicles_covered / h.vehicles_total if h.vehicles_total else None))
    if report.scenario.weight == "energy":
        text += t("plan.headline_energy", lang, covered=number(h.covered),
                  total=number(h.total), share=percent(h.share))
    if h.share_bound is not None:  # not proven optimal: the most any plan could reach
        text += t("plan.headline_bound", lang, share=percent(h.share_bound))
    return labelled(headline_label(report, lang), text, lang) if label else text


def money_text(report: Report, lang: str) -> str:
    """``投资 3,146 万元 / 预算 3,200 万元``."""
    return t("plan.money", lang, spent=money(report.spent, lang),
             budget=money(report.budget, lang))


def corridor_text(report: Report, lang: str, *, label: bool = True) -> str:
    """``货运通道：26 / 26 辆/日货车可在途中补能（…）``: corridor trucks refuelling on their
    route, per day (apart from point coverage), without ``货运通道：`` when ``label`` is false;
    ``""`` when the scenario has no corridors."""
    if not report.corridors:
        return ""
    covered = sum(c.trucks_covered or 0.0 for c in report.corridors)
    total = sum(c.trucks_per_day for c in report.corridors)
    n = len(report.corridors)
    text = t("plan.corridors_one" if n == 1 else "plan.corridors", lang,
             covered=number(covered), total=number(total), n=n)
    return labelled(t("plan.corridors_label", lang), text, lang) if label else text


def status_name(status: str, lang: str) -> str:
    """A solver status in words (``time_limit`` → ``达到时限``); unknown ones as given."""
    key = f"status.{status}"
    return t(key, lang) if key in LABELS[lang] else status.replace("_", " ")


def solver_name(name: str | None) -> str:
    """``HiGHS`` / ``CBC`` for the report's solver name (other names as given)."""
    names = {"highs": "HiGHS", "cbc": "CBC"}
    return names.get(str(name).lower(), str(name)) if name else MISSING


def objective_what(report: Report, lang: str) -> str:
    """What the objective counts, with its years and unit: a score summing the planning
    years (and corridor trucks), not a count of vehicles in any one year."""
    years = sorted(int(y) for y in report.by_year)
    span = (f"{years[0]}–{years[-1]}" if len(years) > 1 else
            str(years[0]) if years else MISSING)
    vehicles = report.scenario.weight == "vehicles"
    key = (("plan.objective_what_vehicles" if vehicles else "plan.objective_what_energy")
           if len(years) > 1 else
           ("plan.objective_what_vehicles_one" if vehicles else "plan.objective_what_energy_one"))
    what = t(key, lang, years=span)
    return what + (t("plan.objective_what_corridors", lang) if report.corridors else "")


def objective_text(report: Report, lang: str) -> str:
    """The objective with what it counts, and for a plan not proven optimal its range up to
    the bound."""
    s = report.solver
    obj, what = number(report.objective, 1), objective_what(report, lang)
    if s.status == "optimal":
        return t("plan.objective_optimal", lang, objective=obj, what=what)
    if s.bound is not None and s.gap is not None:
        return t("plan.objective_range", lang, objective=obj, what=what,
                 bound=number(s.bound, 1), gap=percent(s.gap, 1))
    return t("plan.objective_unproven", lang, objective=obj, what=what)


def solver_text(report: Report, lang: str, *, seconds: bool = False,
                label: bool = True) -> str:
    """One sentence on how the plan was found: proven optimal, or stopped with its range
    (``求解：已证明最优（HiGHS）``; without ``求解：`` when ``label`` is false).

    ``seconds`` adds the solve time (the console; files leave it out, so reruns of the same
    scenario write the same bytes).
    """
    s = report.solver
    how = (t("plan.solver", lang, name=solver_name(s.name), seconds=number(s.seconds, 1))
           if seconds else solver_name(s.name))
    if s.status == "optimal":
        text = t("plan.solver_optimal", lang, how=how)
    elif s.status == "time_limit":
        text = t("plan.solver_time_limit", lang, how=how, range=objective_text(report, lang))
    else:
        text = t("plan.solver_other", lang, how=how, status=status_name(s.status, lang),
                 range=objective_text(report, lang))
    return labelled(t("plan.solver_label", lang), text, lang) if label else text


def notes(report: Report) -> list[str]:
    """Remarks a reader must see with the figures (e.g. a sweep point showing a smaller
    budget's plan), in the run's language."""
    return [n for n in report.notes if n.strip()]


#: Rule families by mandate kind.
_FAMILY_KEYS = {"zone_requirements": "brief.mandate_kind_zone_requirements",
                "zone_coverage": "brief.mandate_kind_zone_coverage",
                "budget_by_year": "brief.mandate_kind_budget_by_year",
                "grid": "brief.mandate_kind_grid",
                "hydrogen_supply": "brief.mandate_kind_hydrogen_supply",
                "setbacks": "brief.mandate_kind_setbacks",
                "vehicles_per_day": "brief.mandate_kind_vehicles_per_day"}


def mandate_text(m: MandatePrice, report: Report, lang: str, *,
                 zone_name: Callable[[str], str], type_name: Callable[[str], str],
                 pathway_name: Callable[[str], str] | None = None) -> str:
    """A priced mandate in ``lang``: zone requirements and floors by zone, rule families by
    name (the report's own sentence when nothing better is known). The callables give the
    display names of zones, station types and pathways in the output's language."""
    if m.kind in _FAMILY_KEYS:
        return t(_FAMILY_KEYS[m.kind], lang)
    if pathway_name is None:
        def pathway_name(p: str) -> str:
            key = f"pathway.{p}"
            return t(key, lang) if key in LABELS.get(lang, {}) else p
    if m.kind == "zone_requirement":
        reqs = report.zone_requirements
        k = int(m.key.split(":")[1]) - 1 if ":" in m.key else -1
        if 0 <= k < len(reqs):
            r = reqs[k]
            year = r.get("by_year") or report.headline.year
            zone = zone_name(str(r.get("zone", "")))
            if r.get("station_type"):
                return t("brief.zone_req_type", lang, min=r.get("min", 1),
                         type=type_name(str(r["station_type"])), zone=zone, year=year)
            return t("brief.zone_req_pathway", lang, min=r.get("min", 1),
                     pathway=pathway_name(str(r.get("pathway", ""))), zone=zone, year=year)
    if m.kind == "zone_floor" and m.zone:
        zc = report.zone_coverage.get(m.zone)
        return t("brief.mandate_zone_floor", lang, zone=zone_name(m.zone),
                 share=percent(zc.min_share if zc else None),
                 year=(zc.min_share_year if zc and zc.min_share_year else ""))
    return m.label
