"""The study commands: ``siting sweep``, ``siting robust``, ``siting compare``, ``siting brief``.

A sweep solves one scenario over budgets (or coverage targets), ``robust`` over sampled fleets;
``compare`` and ``brief`` read finished run folders back. Options and output folders are
checked before any work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from siting._errors import SitingError
from siting.cli.common import (
    BasemapOpt,
    CdnOpt,
    CrsOpt,
    DebugOpt,
    LangOpt,
    QuietOpt,
    RichHooks,
    ScenarioArg,
    ShpOpt,
    TiandituOpt,
    WorkersOpt,
    app,
    check_options,
    emit_progress,
    guard,
    locked,
    out,
    progress_bars,
    shown,
)
from siting.i18n import t

if TYPE_CHECKING:
    from siting.export import OutputOptions


@app.command()
def sweep(
    scenario: ScenarioArg,
    budgets: Annotated[str | None, typer.Option(
        "--budgets", help="Comma-separated budgets in million CNY, e.g. 10,20,40.")] = None,
    n: Annotated[int, typer.Option("--n", min=2, help="Number of budgets (without --budgets).")]
    = 8,
    lo: Annotated[float, typer.Option("--from", help="Smallest budget, × scenario budget.")]
    = 0.25,
    hi: Annotated[float, typer.Option("--to", help="Largest budget, × scenario budget.")] = 2.0,
    out_dir: Annotated[str | None, typer.Option(
        "--out", help="Output folder (default maps/<scenario folder>-sweep).")] = None,
    maps: Annotated[bool, typer.Option("--maps/--no-maps",
                                       help="Write a full run (map + exports) per budget.")]
    = True,
    targets: Annotated[str | None, typer.Option(
        "--targets", help="Coverage targets instead of budgets: the least cost of each, e.g. "
        "0.6,0.7,0.8,0.9,1.0 -> cost_curve.csv, cost_curve.png.")] = None,
    lang: LangOpt = None, basemap: BasemapOpt = "osm", tianditu_key: TiandituOpt = None,
    cdn: CdnOpt = False, crs: CrsOpt = None, shapefile: ShpOpt = False,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:
    """Solve SCENARIO over a range of budgets: curve.csv, curve.png (knee marked), a run each.

    With --targets: the least cost of each coverage target (cost_curve.csv, cost_curve.png).
    """
    args = _SweepArgs(scenario, out_dir, maps, quiet, lang, basemap, tianditu_key, cdn, crs,
                      shapefile)
    if targets is not None:
        guard(lambda: _target_sweep(args, targets), debug)
    else:
        guard(lambda: _budget_sweep(args, budgets, n, lo, hi), debug)


@dataclass(frozen=True)
class _SweepArgs:
    """The options ``siting sweep`` shares between its budget and its target form."""

    scenario: str
    out_dir: str | None
    maps: bool
    quiet: bool
    lang: str | None
    basemap: str
    tianditu_key: str | None
    cdn: bool
    crs: str | None
    shapefile: bool

    def output_options(self, lang: str | None) -> OutputOptions:
        """How each budget's (or target's) run folder is written, in ``lang``."""
        from siting.export import OutputOptions

        return OutputOptions(lang=lang, basemap=self.basemap, cdn=self.cdn,
                             tianditu_key=self.tianditu_key, crs=self.crs,
                             shapefile=self.shapefile)


def _budget_sweep(args: _SweepArgs, budgets: str | None, n: int, lo: float, hi: float) -> None:
    """``siting sweep`` over budgets: curve.csv, curve.png and a run folder per budget."""
    from siting._preflight import check_output_writable, check_path_text
    from siting.sweep import check_budgets, check_range, parse_budgets

    check_options(args.lang, args.basemap if args.maps else None, args.tianditu_key, args.crs)
    scenario_path = check_path_text(args.scenario, "scenario")
    values = parse_budgets(budgets) if budgets else None
    if values is None:
        check_range(lo, hi, n)
    target = check_output_writable(
        args.out_dir if args.out_dir is not None
        else Path("maps") / f"{scenario_path.resolve().parent.name}-sweep")

    from siting._atomic import check_output_dir
    from siting.pipeline import with_lang
    from siting.scenario import input_paths, load_scenario
    from siting.sweep import budget_range
    from siting.sweep import sweep as run_sweep

    sc = with_lang(load_scenario(scenario_path), args.lang)
    if values is None:
        values = budget_range(sc.budget.total, lo, hi, n)
        check_budgets(values, "--from/--to/--n")
    inputs = input_paths(sc)
    check_output_dir(target, "sweep", inputs=inputs)
    from siting.console import print_sweep

    _solve_points(args, sc, target, inputs, args.output_options(args.lang or sc.lang),
                  lambda prep, **kw: run_sweep(prep, values, target, **kw), print_sweep)


def _solve_points(args: _SweepArgs, sc: Any, target: Path, inputs: list[Path], options: Any,
                  solve: Callable[..., list], show: Callable[..., None]) -> None:
    """Prepare ``sc`` once and ``solve(prep, hooks=, write_run=, inputs=)`` its points (budgets
    or targets) into ``target`` under its lock, with progress bars; then ``show`` them."""
    from siting import export
    from siting.pipeline import prepare

    prog = progress_bars(args.quiet)
    hooks = RichHooks(prog, sc.lang)

    def write_run(result: Any, folder: Path) -> None:
        export.write_run(result, folder, options)

    def work() -> list:
        prep = prepare(sc, hooks=hooks)
        return solve(prep, hooks=hooks, write_run=write_run if args.maps else None,
                     inputs=inputs)

    points = locked(target, prog, work)
    show(out, points, name=sc.display_name, lang=sc.lang, target=target)


def _target_sweep(args: _SweepArgs, targets: str) -> None:
    """``siting sweep --targets``: the least cost of each coverage target (cost_curve.*)."""
    from siting._preflight import check_output_writable, check_path_text
    from siting.cost_curve import parse_targets

    options = args.output_options(args.lang)
    check_options(options.lang, options.basemap if args.maps else None, options.tianditu_key,
                  options.crs)
    shares = parse_targets(targets)
    scenario_path = check_path_text(args.scenario, "scenario")
    target = check_output_writable(
        args.out_dir if args.out_dir is not None
        else Path("maps") / f"{scenario_path.resolve().parent.name}-cost")

    from siting._atomic import check_output_dir
    from siting.cost_curve import cost_sweep
    from siting.pipeline import with_lang
    from siting.scenario import input_paths, load_scenario

    sc = with_lang(load_scenario(scenario_path), options.lang)
    inputs = input_paths(sc)
    check_output_dir(target, "sweep", inputs=inputs)
    from siting.console import print_cost_curve

    _solve_points(args, sc, target, inputs, options,
                  lambda prep, **kw: cost_sweep(prep, shares, target, **kw), print_cost_curve)


@app.command()
def robust(
    scenario: ScenarioArg,
    n: Annotated[int | None, typer.Option(
        "--n", min=1, max=100_000, help="Samples (default [uncertainty] samples).")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Random seed (default [uncertainty] seed).")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", help="Run the samples on a Dask cluster: the scheduler's address, e.g. "
        "tcp://10.0.0.5:8786.")] = None,
    workers: WorkersOpt = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.1, help="Solver time limit per sample, s.")] = None,
    out_dir: Annotated[str | None, typer.Option(
        "--out", help="Output folder (default maps/<scenario folder>-robust).")] = None,
    lang: LangOpt = None, basemap: BasemapOpt = "osm", tianditu_key: TiandituOpt = None,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:
    """Sample the [uncertainty] ranges, solve each sample: how often each station is chosen,
    the no-regret stations and the plan's regret (robustness.csv, samples.csv, plan/)."""

    def go() -> None:
        from siting._atomic import check_output_dir, output_lock
        from siting.pipeline import prepare, solve_prepared, with_lang
        from siting.robust import check_robust, robustness, with_robustness
        from siting.scenario import input_paths, load_scenario

        sc = with_lang(load_scenario(scenario), lang)
        target = (Path(out_dir) if out_dir
                  else Path("maps") / f"{Path(scenario).resolve().parent.name}-robust")
        inputs = input_paths(sc)
        check_output_dir(target, "robust", inputs=inputs)
        check_robust(sc)
        client = None
        if dask is not None:
            from siting._parallel import connect

            client = connect(dask)  # fail before the long work, not after it
        prog = progress_bars(quiet)
        hooks = RichHooks(prog, sc.lang)
        language = sc.lang

        def work():
            prep = prepare(sc, hooks=hooks)
            base, _ = solve_prepared(prep, hooks=hooks)
            task = prog.add_task("Sampled fleets (one solve each)", total=1.0) if prog else None

            def step(done: int, total: int) -> None:
                emit_progress("update", "robust", fraction=round(done / total, 4), done=done,
                              total=total)
                if prog is not None and task is not None:
                    prog.update(task, completed=done / total)

            outcome = robustness(prep, base, n=n, seed=seed, workers=workers, dask=client,
                                 time_limit_s=time_limit, progress=step)
            return with_robustness(base, prep, outcome), outcome

        try:
            with output_lock(target):
                result, outcome = shown(prog, work)
                from siting.export import OutputOptions

                _write_robust(result, outcome, target, inputs, OutputOptions(
                    lang=language, basemap=basemap, tianditu_key=tianditu_key))
        finally:
            if client is not None:
                client.close()
        from siting.console import print_robust

        print_robust(out, result.report, target)

    guard(go, debug)


def _write_robust(result: Any, outcome: Any, target: Path, inputs: Any,
                  options: OutputOptions) -> None:
    from siting import export
    from siting._atomic import atomic_dir
    from siting.robust import write_tables

    with atomic_dir(target, kind="robust", inputs=inputs) as tmp:
        write_tables(outcome, tmp)
        export.write_run(result, tmp / "plan", options)


@app.command()
def compare(
    run_a_arg: Annotated[str, typer.Argument(help="First run folder.", metavar="RUN_A")],
    run_b_arg: Annotated[str, typer.Argument(help="Second run folder.", metavar="RUN_B")],
    out_dir: Annotated[str | None, typer.Option(
        "--out", help="Output folder (default maps/compare-<A>-<B>).")] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="zh or en (default: run A's language).")] = None,
    debug: DebugOpt = False,
) -> None:
    """Show two runs side by side: compare.html (both maps + differences) and CSV tables."""

    def go() -> None:
        from siting._atomic import check_output_dir, output_lock
        from siting._preflight import check_output_writable, check_run_dir

        check_options(lang)
        run_a, run_b = check_run_dir(run_a_arg, "RUN_A"), check_run_dir(run_b_arg, "RUN_B")
        target = check_output_writable(
            out_dir if out_dir is not None
            else Path("maps") / f"compare-{run_a.name}-{run_b.name}")
        check_output_dir(target, "compare", inputs=(run_a, run_b))

        from siting.compare import compare_runs, write_comparison
        from siting.console import print_comparison

        with output_lock(target):
            cmp = compare_runs(run_a, run_b, lang=lang)
            write_comparison(cmp, run_a, run_b, target)
        print_comparison(out, cmp, target)

    guard(go, debug)


@app.command()
def brief(
    run_dir: Annotated[str, typer.Argument(help="A run folder (from `siting run`/`demo`).",
                                           metavar="RUN_DIR")],
    lang: LangOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Write briefing.pdf and PNG pages for reviewers, from a finished run folder."""

    def go() -> None:
        from siting._preflight import check_run_dir

        check_options(lang)
        folder = check_run_dir(run_dir, "RUN_DIR", writable=True)

        from siting.briefing import write_briefing
        from siting.console import print_written

        shown_lang = _run_lang(folder, lang)
        prog = progress_bars(False)
        hooks = RichHooks(prog, shown_lang)
        started: list[float] = []

        def progress(share: float) -> None:
            if not started:  # the run folder has been read: a broken one is one error line
                started.append(time.perf_counter())
                hooks.start("brief", t("console.stage_brief", shown_lang))
            hooks.update("brief", share)

        files = shown(prog, lambda: write_briefing(folder, lang=lang, progress=progress))
        hooks.finish("brief", time.perf_counter() - started[0] if started else 0.0)
        print_written(out, files, shown_lang)

    guard(go, debug)


def _run_lang(run_dir: Path, lang: str | None) -> str:
    """``lang``, else the language of the run in ``run_dir``."""
    if lang:
        return lang
    from siting.report import read_report

    try:
        return read_report(run_dir / "report.json").scenario.lang
    except SitingError:
        return "en"

