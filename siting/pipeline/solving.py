"""Solving a prepared scenario, and a whole run: :func:`solve_prepared`, :func:`run`.

:func:`solve_scenario` returns a :class:`~siting.results.SitingResult`; :func:`run` also
prices the mandates when asked and writes the output contract into a folder (atomically).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from siting._format import number, percent
from siting.i18n import t
from siting.model import ModelInput, SitingModel
from siting.pipeline.assembly import assemble
from siting.pipeline.preparation import Prepared, prepare
from siting.pipeline.stages import NoHooks, StageHooks, StageTimer
from siting.results import SitingResult
from siting.scenario import Scenario

log = logging.getLogger(__name__)

#: A time-limited solve whose process got less than this share of one core's time over the
#: model stage ran on a busy machine (measured on the bundled scenario, 2 cores: 1.31 idle,
#: 0.48 with four busy loops beside it; see :func:`busy_note`).
BUSY_CPU_SHARE: float = 0.6
#: Model stages shorter than this (s) get no note: too short to measure the share.
BUSY_MIN_WALL_S: float = 2.0


def solve_prepared(prep: Prepared, *, hooks: StageHooks | None = None,
                   model_input: ModelInput | None = None,
                   start_plan: np.ndarray | None = None) -> tuple[SitingResult, dict[str, float]]:
    """Build and solve the MIP of a prepared scenario and assemble the result.

    ``model_input`` replaces the prepared one (a sweep changes only the budget);
    ``start_plan`` (opening year index per option, -1 = closed) is a plan to start from as
    well (a sweep passes the smaller budget's).
    """
    sc = prep.scenario
    timer = StageTimer(hooks or NoHooks(), dict(prep.timings))
    mi = model_input or prep.model_input
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with timer.stage("model"):
        model = SitingModel.from_input(mi, capacitated=sc.solver.capacitated,
                                       max_alloc_options=sc.solver.max_alloc_options)
        sol = model.solve(sc.solver.name, time_limit_s=sc.solver.time_limit_s,
                          mip_gap=sc.solver.mip_gap, threads=sc.solver.threads,
                          start_plan=start_plan)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    with timer.stage("results"):
        result = assemble(sc, prep.net, prep.demand, prep.sites, prep.options, prep.cover,
                          prep.reach, prep.flows, sol, mi, prep.rules, in_zone=prep.in_zone)
    note = busy_note(cpu, wall, sol.status, sc.lang)
    if note is not None:  # the console prints the report's notes: no warning line as well
        log.info("%s", note)
        result = replace(result, report=result.report.model_copy(
            update={"notes": [*result.report.notes, note]}))
    return result, timer.timings


def busy_note(cpu_s: float, wall_s: float, status: str, lang: str) -> str | None:
    """A note for a solve stopped by its time limit on a busy machine, else None.

    The time limit counts wall-clock seconds, so the plan a limited solve reaches depends on
    the processor time it got: measured on the bundled scenario, an objective of 1,796.3
    on an idle machine and 1,613.1 with four busy loops on its two cores. A solve whose process (all
    its threads) got less than :data:`BUSY_CPU_SHARE` of one core's time over the model
    stage (``cpu_s`` over ``wall_s``) was held back by other work; its report says so and
    suggests a rerun. A proven optimum (``status == "optimal"``) needs no note.
    """
    if status == "optimal" or wall_s < BUSY_MIN_WALL_S or cpu_s >= BUSY_CPU_SHARE * wall_s:
        return None
    return t("plan.busy_note", lang, share=percent(cpu_s / wall_s, 0),
             cpu=number(cpu_s, 1), wall=number(wall_s, 1))


def open_years_of(prep: Prepared, result: SitingResult) -> np.ndarray | None:
    """Opening year index per option of ``prep`` for ``result``'s plan (-1 = closed), or None.

    Stations are matched by (site id, station type), so ``result`` may come from another
    solve of the same layers (a smaller budget: its plan is a start for a larger one).
    """
    opts = prep.options
    if not {"site_id", "station_type"} <= set(opts.columns):
        return None
    years = {int(y): p for p, y in enumerate(prep.scenario.years)}
    key = {(str(s), str(t)): int(years.get(int(y), -1)) for s, t, y in zip(
        result.stations["site_id"], result.stations["station_type"], result.stations["year"],
        strict=True)}
    return np.array([key.get((str(s), str(t)), -1) for s, t in zip(
        opts["site_id"], opts["station_type"], strict=True)], dtype=np.int64)


def solve_scenario(sc: Scenario, *, hooks: StageHooks | None = None,
                   client: object | None = None) -> tuple[SitingResult, dict[str, float]]:
    """Solve a scenario and return its result (and the stage timings, s).

    Raises
    ------
    SitingError
        Any input, network, infeasibility or solver problem, as a one-line message.
    """
    prep = prepare(sc, hooks=hooks, client=client)
    return solve_prepared(prep, hooks=hooks)


def with_lang(sc: Scenario, lang: str | None) -> Scenario:
    """``sc`` with its output language set to ``lang`` (``--lang``); ``sc`` itself when None.

    The language is the run's: rule outcomes, station reasons, the report's ``lang`` (which
    ``siting brief`` and ``siting compare`` default to) and every output file use it.
    """
    if not lang or lang == sc.lang:
        return sc
    from siting._errors import ScenarioError
    from siting.i18n import LANGS

    if lang not in LANGS:
        msg = f"--lang '{lang}' is not supported; use --lang zh or --lang en"
        raise ScenarioError(msg)
    return sc.model_copy(update={"lang": lang})


def run(sc: Scenario, out_dir: Path, *, hooks: StageHooks | None = None,
        client: object | None = None, lang: str | None = None, basemap: str = "osm",
        cdn: bool = False, output_crs: str | None = None,
        tianditu_key: str | None = None, shapefile: bool = False,
        mandates: bool | None = None, workers: int | None = None,
        start_from: SitingResult | None = None) -> SitingResult:
    """Solve ``sc`` and write the output contract into ``out_dir`` (atomically).

    The folder appears only when everything has been written; an error or Ctrl-C leaves a
    previous ``out_dir`` as it was. ``mandates`` (default ``[mandates] price``) also prices
    every mandate (:mod:`siting.mandates`) on ``workers`` processes. ``start_from``: a plan
    of the same layers to start from as well (used when feasible and better; e.g. a smaller
    budget's plan, so that a larger budget's time-limited run never shows less).
    """
    from siting._atomic import check_output_dir, output_lock
    from siting._preflight import check_output_writable
    from siting.crs import parse_crs
    from siting.scenario import input_paths

    # Fail before the solve, not after it, on a bad output CRS or output folder; hold the
    # folder's lock from here, so a second run into it stops at once.
    if output_crs is not None:
        parse_crs(output_crs, where="--crs")
    check_output_dir(out_dir, "run", inputs=input_paths(sc))
    sc = with_lang(sc, lang)
    check_output_writable(out_dir, "output folder")
    with output_lock(out_dir):
        return _run_locked(sc, out_dir, hooks=hooks, client=client, lang=lang,
                           basemap=basemap, cdn=cdn, output_crs=output_crs,
                           tianditu_key=tianditu_key, shapefile=shapefile,
                           mandates=sc.mandates.price if mandates is None else mandates,
                           workers=workers, start_from=start_from)


def _run_locked(sc: Scenario, out_dir: Path, *, hooks: StageHooks | None, client: object | None,
                lang: str | None, basemap: str, cdn: bool, output_crs: str | None,
                tianditu_key: str | None, shapefile: bool, mandates: bool = False,
                workers: int | None = None, start_from: SitingResult | None = None
                ) -> SitingResult:
    from siting.export import OutputOptions, write_run

    hooks = hooks or NoHooks()
    prep = prepare(sc, hooks=hooks, client=client)
    start = None if start_from is None else open_years_of(prep, start_from)
    result, timings = solve_prepared(prep, hooks=hooks, start_plan=start)
    timer = StageTimer(hooks, dict(timings))
    if mandates:
        from siting.mandates import price

        with timer.stage("mandates") as prog:
            prices = price(sc, prep.model_input, result.report, workers=workers,
                           progress=lambda done, total: prog(done / total))
        result = replace(result, report=result.report.model_copy(update={"mandates": prices}))
    options = OutputOptions(lang=lang, basemap=basemap, cdn=cdn, tianditu_key=tianditu_key,
                            crs=output_crs, shapefile=shapefile)
    with timer.stage("outputs"):
        report = result.report.model_copy(update={"timings": dict(timer.timings)})
        result = replace(result, report=report)
        write_run(result, out_dir, options)
    return result

