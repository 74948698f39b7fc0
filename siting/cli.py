"""The ``siting`` command line: thin typer commands over :mod:`siting.pipeline`.

Every expected failure (bad input, infeasible requirement, solver trouble) prints one line
``error: ...`` and exits with code 2 (input) or 3 (infeasible / solver); Ctrl-C exits 130.
Nothing is written unless the whole run succeeds.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from siting._errors import SitingError

if TYPE_CHECKING:
    from siting.export import OutputOptions
    from siting.report import Report
    from siting.results import SitingResult
    from siting.scenario import Scenario

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Site battery-swap, charging and hydrogen stations for working fleets.")
err = Console(stderr=True, highlight=False)
#: Results go to stdout as plain text: names and paths from the user are never read as rich
#: markup (a zone called "[/]" would otherwise stop the summary with a MarkupError).
out = Console(highlight=False, markup=False)

T = TypeVar("T")

LangOpt = Annotated[str | None, typer.Option("--lang", help="Labels: zh or en "
                                             "(default: the scenario's).")]
BasemapOpt = Annotated[str, typer.Option(
    "--basemap", help="osm | tianditu | amap | none (none = fully offline, roads drawn).")]
CdnOpt = Annotated[bool, typer.Option(
    "--cdn", help="Link Leaflet from a CDN instead of inlining it (smaller, needs internet).")]
CrsOpt = Annotated[str | None, typer.Option(
    "--crs", help="CRS of exported layers: EPSG:4326, EPSG:4490, EPSG:4547, GCJ-02 ...")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
ShpOpt = Annotated[bool, typer.Option(
    "--shapefile", help="Also write Shapefiles (GBK, field names ≤ 10 chars) in shapefile/.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")]
TiandituOpt = Annotated[str | None, typer.Option(
    "--tianditu-key", envvar="TIANDITU_KEY", help="Key for Tianditu basemap tiles.")]
# Paths are taken as text and checked by siting._preflight in the command (one line, exit 2):
# click's own checks print a usage box, and turn an empty path into "." before we see it.
ScenarioArg = Annotated[str, typer.Argument(help="Scenario .toml file.", metavar="SCENARIO")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, max=256, help="Worker processes for parallel re-solves (default: the "
    "CPU cores, at most 8).")]


#: Set by ``siting --progress-json``: stage progress goes to stdout as JSON lines.
_JSON_PROGRESS = {"on": False}


def emit_progress(event: str, stage: str, **fields: object) -> None:
    """One machine-readable progress line on stdout (``--progress-json`` only).

    ``{"siting": "progress", "event": "start"|"update"|"finish", "stage": "network",
    "step": 2, "steps": 8, "label": ..., "fraction": 0.4, "seconds": 1.2}``: ``step`` is the
    stage's 1-based position in :data:`siting.pipeline.STAGES` (a sweep repeats the solve
    stages once per budget). Used by the QGIS plugin to drive Processing's progress bar.
    """
    if not _JSON_PROGRESS["on"]:
        return
    import json

    from siting.pipeline import STAGES

    names = list(STAGES)
    line = {"siting": "progress", "event": event, "stage": stage,
            "step": names.index(stage) + 1 if stage in names else None, "steps": len(names),
            **fields}
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class RichHooks:
    """Stage progress as rich bars, with the time each stage took (and JSON lines with
    ``--progress-json``)."""

    def __init__(self, progress: Progress | None, lang: str = "en") -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.lang = lang

    def start(self, stage: str, label: str) -> None:
        emit_progress("start", stage, label=label, fraction=0.0)
        if self.progress is not None:
            from siting.console import stage_label

            self.tasks[stage] = self.progress.add_task(stage_label(stage, label, self.lang),
                                                       total=1.0)

    def update(self, stage: str, fraction: float) -> None:
        emit_progress("update", stage, fraction=round(min(max(fraction, 0.0), 1.0), 4))
        if self.progress is not None and stage in self.tasks:
            self.progress.update(self.tasks[stage], completed=min(max(fraction, 0.0), 1.0))

    def finish(self, stage: str, seconds: float) -> None:
        emit_progress("finish", stage, fraction=1.0, seconds=round(seconds, 3))
        if self.progress is not None and stage in self.tasks:
            self.progress.update(self.tasks[stage], completed=1.0)


def _progress(quiet: bool) -> Progress | None:
    if quiet or _JSON_PROGRESS["on"]:
        return None
    return Progress(TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


def _guard(fn: Callable[[], T], debug: bool) -> T:
    """Run ``fn``; turn expected errors into one line and an exit code."""
    try:
        return fn()
    except SitingError as e:
        err.print(f"[bold red]error:[/] {escape(str(e))}", markup=True, soft_wrap=True)
        raise typer.Exit(e.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted; previous outputs left as they were")
        raise typer.Exit(130) from None
    except Exception as e:
        if debug:
            raise
        err.print(f"[bold red]internal error:[/] {type(e).__name__}: {escape(str(e))} — rerun "
                  "with --debug and report it", markup=True, soft_wrap=True)
        raise typer.Exit(1) from None


@app.callback()
def _options(
    progress_json: Annotated[bool, typer.Option(
        "--progress-json", help="Report stage progress as JSON lines on stdout instead of "
        "progress bars (for the QGIS plugin and other programs).")] = False,
) -> None:
    """Site battery-swap, charging and hydrogen stations for working fleets."""
    _JSON_PROGRESS["on"] = progress_json
def _check_options(lang: str | None, basemap: str | None = None,
                   tianditu_key: str | None = None, crs: str | None = None) -> None:
    """Refuse bad option values before any work (imports nothing heavy)."""
    from siting._preflight import check_basemap, check_lang

    check_lang(lang)
    if basemap is not None:
        check_basemap(basemap, tianditu_key)
    if crs is not None:
        from siting.crs import parse_crs

        parse_crs(crs, where="--crs")


def bundled_scenario() -> Path:
    """The bundled Suizhou scenario (``data/suizhou/scenario.toml``).

    Looked up in the current folder first (a clone), then next to the installed package.
    """
    here = Path.cwd() / "data" / "suizhou" / "scenario.toml"
    if here.is_file():
        return here
    beside = Path(__file__).resolve().parents[1] / "data" / "suizhou" / "scenario.toml"
    if beside.is_file():
        return beside
    from siting._errors import ScenarioError

    msg = ("bundled scenario data/suizhou/scenario.toml not found; run `siting demo` from the "
           "repository folder")
    raise ScenarioError(msg)


def _run(scenario: Path | str, out_dir: Path | str | None, lang: str | None, basemap: str,
         cdn: bool, crs: str | None, quiet: bool, tianditu_key: str | None,
         shapefile: bool = False, target_share: float | None = None,
         mandates: bool | None = None, workers: int | None = None) -> None:
    from siting._preflight import check_output_writable, check_path_text

    # Options and the output folder first: a typo must not cost a solve.
    _check_options(lang, basemap, tianditu_key, crs)
    if target_share is not None:
        check_target(target_share)
    scenario = check_path_text(scenario, "scenario")
    target = check_output_writable(out_dir if out_dir is not None
                                   else Path("maps") / scenario.resolve().parent.name)

    from siting.pipeline import run
    from siting.scenario import load_scenario

    sc = load_scenario(scenario)
    if target_share is not None:
        sc = with_target(sc, target_share)
    prog = _progress(quiet)
    hooks = RichHooks(prog, lang or sc.lang)

    def solve() -> SitingResult:
        return run(sc, target, hooks=hooks, lang=lang, basemap=basemap, cdn=cdn, output_crs=crs,
                   tianditu_key=tianditu_key, shapefile=shapefile, mandates=mandates,
                   workers=workers)

    result = _shown(prog, solve)
    _print_summary(result.report, target)


def check_target(share: float) -> None:
    """``--target`` must be a share in (0, 1] (one-line error, exit 2)."""
    from siting._errors import ScenarioError

    if not (0 < share <= 1):
        msg = (f"--target {share:g}: give the share of the final year's demand to cover, "
               "between 0 and 1, e.g. --target 0.95")
        raise ScenarioError(msg)


def with_target(sc: Scenario, share: float) -> Scenario:
    """``sc`` as a least-cost run to ``share`` of the final year's demand (``--target``)."""
    from siting.scenario import ObjectiveSpec

    check_target(share)
    goal = ObjectiveSpec(target_share=share, budget_cap=sc.objective.budget_cap)
    return sc.model_copy(update={"objective": goal})


def _print_summary(report: Report, target: Path) -> None:
    """The console summary in the run's language (see :mod:`siting.console`)."""
    from siting.console import print_run

    print_run(out, report, target)


@app.command()
def demo(
    out_dir: Annotated[str | None, typer.Option("--out", help="Output folder.")] = None,
    lang: LangOpt = None, basemap: BasemapOpt = "osm", cdn: CdnOpt = False, crs: CrsOpt = None,
    tianditu_key: TiandituOpt = None,
    shapefile: ShpOpt = False, quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:
    """Run the bundled Suizhou scenario and write maps/suizhou/ (map.html and exports)."""

    def go() -> None:
        _check_options(lang, basemap, tianditu_key, crs)
        _run(bundled_scenario(), out_dir if out_dir is not None else Path("maps/suizhou"), lang,
             basemap, cdn, crs, quiet, tianditu_key, shapefile)

    _guard(go, debug)


@app.command("run")
def run_cmd(
    scenario: ScenarioArg,
    out_dir: Annotated[str | None, typer.Option(
        "--out", help="Output folder (default maps/<scenario folder name>).")] = None,
    lang: LangOpt = None, basemap: BasemapOpt = "osm", cdn: CdnOpt = False, crs: CrsOpt = None,
    tianditu_key: TiandituOpt = None,
    shapefile: ShpOpt = False,
    target: Annotated[float | None, typer.Option(
        "--target", help="Least cost to cover this share of the final year's demand, e.g. "
        "0.95 (overrides [objective] target_share).")] = None,
    mandates: Annotated[bool | None, typer.Option(
        "--mandates/--no-mandates", help="Price every mandate: re-solve without each zone "
        "requirement and marked rule family (default: [mandates] price).")] = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:
    """Solve SCENARIO and write the map and exports."""
    _guard(lambda: _run(scenario, out_dir, lang, basemap, cdn, crs, quiet, tianditu_key,
                        shapefile, target, mandates, workers), debug)


@app.command()
def validate(
    scenario: ScenarioArg,
    debug: DebugOpt = False,
) -> None:
    """Check SCENARIO and every layer it names, without solving or writing anything."""

    def check() -> None:
        from siting._preflight import check_path_text
        from siting.validate import validate_scenario

        summary = validate_scenario(check_path_text(scenario, "scenario"))
        t = Table(title=f"{scenario}: valid", show_header=False)
        for k, v in summary.items():
            t.add_row(k, str(v))
        out.print(t)

    _guard(check, debug)


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
    if targets is not None:
        from siting.export import OutputOptions

        _guard(lambda: _target_sweep(scenario, targets, out_dir, maps, quiet, OutputOptions(
            lang=lang, basemap=basemap, cdn=cdn, tianditu_key=tianditu_key, crs=crs,
            shapefile=shapefile)), debug)
        return

    def go() -> None:
        from siting._preflight import check_output_writable, check_path_text
        from siting.sweep import check_budgets, check_range, parse_budgets

        _check_options(lang, basemap if maps else None, tianditu_key, crs)
        scenario_path = check_path_text(scenario, "scenario")
        values = parse_budgets(budgets) if budgets else None
        if values is None:
            check_range(lo, hi, n)
        target = check_output_writable(
            out_dir if out_dir is not None
            else Path("maps") / f"{scenario_path.resolve().parent.name}-sweep")

        from siting import export
        from siting._atomic import check_output_dir
        from siting.export import OutputOptions
        from siting.pipeline import prepare, with_lang
        from siting.scenario import input_paths, load_scenario
        from siting.sweep import budget_range
        from siting.sweep import sweep as run_sweep

        sc = with_lang(load_scenario(scenario_path), lang)
        if values is None:
            values = budget_range(sc.budget.total, lo, hi, n)
            check_budgets(values, "--from/--to/--n")
        inputs = input_paths(sc)
        check_output_dir(target, "sweep", inputs=inputs)
        prog = _progress(quiet)
        hooks = RichHooks(prog, sc.lang)
        language = lang or sc.lang

        options = OutputOptions(lang=language, basemap=basemap, cdn=cdn,
                                tianditu_key=tianditu_key, crs=crs, shapefile=shapefile)

        def write_run(result: Any, folder: Path) -> None:
            export.write_run(result, folder, options)

        def work() -> list:
            prep = prepare(sc, hooks=hooks)
            return run_sweep(prep, values, target, hooks=hooks,
                             write_run=write_run if maps else None, inputs=inputs)

        points = _locked(target, prog, work)
        from siting.console import print_sweep

        print_sweep(out, points, name=sc.display_name, lang=sc.lang, target=target)

    _guard(go, debug)


def _shown(prog: Progress | None, work: Callable[[], T]) -> T:
    """``work()`` with the progress bars shown while it runs (if there are any)."""
    if prog is None:
        return work()
    with prog:
        return work()


def _locked(target: Path, prog: Progress | None, work: Callable[[], T]) -> T:
    """``work()`` holding ``target``'s output lock, with the progress bars shown if any."""
    from siting._atomic import output_lock

    with output_lock(target):
        return _shown(prog, work)


def _target_sweep(scenario: str, targets: str, out_dir: str | None, maps: bool, quiet: bool,
                  options: OutputOptions) -> None:
    from siting._preflight import check_output_writable, check_path_text
    from siting.cost_curve import parse_targets

    _check_options(options.lang, options.basemap if maps else None, options.tianditu_key,
                   options.crs)
    shares = parse_targets(targets)
    scenario_path = check_path_text(scenario, "scenario")
    target = check_output_writable(
        out_dir if out_dir is not None
        else Path("maps") / f"{scenario_path.resolve().parent.name}-cost")

    from siting import export
    from siting._atomic import check_output_dir
    from siting.cost_curve import cost_sweep
    from siting.pipeline import prepare, with_lang
    from siting.scenario import input_paths, load_scenario

    sc = with_lang(load_scenario(scenario_path), options.lang)
    inputs = input_paths(sc)
    check_output_dir(target, "sweep", inputs=inputs)
    prog = _progress(quiet)
    hooks = RichHooks(prog, sc.lang)

    def write_run(result: Any, folder: Path) -> None:
        export.write_run(result, folder, options)

    def work() -> list:
        prep = prepare(sc, hooks=hooks)
        return cost_sweep(prep, shares, target, hooks=hooks,
                          write_run=write_run if maps else None, inputs=inputs)

    points = _locked(target, prog, work)
    from siting.console import print_cost_curve

    print_cost_curve(out, points, name=sc.display_name, lang=sc.lang, target=target)


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
        prog = _progress(quiet)
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
                result, outcome = _shown(prog, work)
                from siting.export import OutputOptions

                _write_robust(result, outcome, target, inputs, OutputOptions(
                    lang=language, basemap=basemap, tianditu_key=tianditu_key))
        finally:
            if client is not None:
                client.close()
        from siting.console import print_robust

        print_robust(out, result.report, target)

    _guard(go, debug)


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

        _check_options(lang)
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

    _guard(go, debug)


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

        _check_options(lang)
        folder = check_run_dir(run_dir, "RUN_DIR", writable=True)

        from siting.briefing import write_briefing
        from siting.console import print_written

        files = write_briefing(folder, lang=lang)
        print_written(out, files, _run_lang(folder, lang))

    _guard(go, debug)


def _run_lang(run_dir: Path, lang: str | None) -> str:
    """``lang``, else the language of the run in ``run_dir``."""
    if lang:
        return lang
    from siting.report import read_report

    try:
        return read_report(run_dir / "report.json").scenario.lang
    except SitingError:
        return "en"


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder for the new scenario (created).")],
    network: Annotated[Path, typer.Option("--network", help="Road layer or OSM file.")],
    fleet: Annotated[Path, typer.Option(
        "--fleet", help="Fleet layer: Excel register (.xlsx/.xls), CSV or GIS points.")],
    candidates: Annotated[Path, typer.Option("--candidates", help="Candidate sites (points).")],
    existing: Annotated[Path | None, typer.Option(
        "--existing", help="Existing stations (points).")] = None,
    zones: Annotated[Path | None, typer.Option("--zones", help="Zones (polygons).")] = None,
    link: Annotated[bool, typer.Option(
        "--link", help="Reference the layers where they are instead of copying them.")]
    = False,
    name: Annotated[str | None, typer.Option("--name", help="Scenario title.")] = None,
    years: Annotated[str | None, typer.Option(
        "--years", help="Planning years, e.g. 2025,2026,2027 (default 2023-2025).")] = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", help="Total budget in million CNY (default 32).")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="Solver time limit, seconds (default 60).")] = None,
    lang: LangOpt = None,
    output_crs: Annotated[str | None, typer.Option(
        "--output-crs", help="CRS of exported layers, e.g. EPSG:4547.")] = None,
    crs: Annotated[str | None, typer.Option(
        "--crs", help="CRS of x/y columns in Excel/CSV layers, e.g. EPSG:4547.")] = None,
    coords: Annotated[str | None, typer.Option(
        "--coords", help="gcj02 or bd09: lon/lat in Excel/CSV layers come from Amap/Baidu.")]
    = None,
    no_validate: Annotated[bool, typer.Option(
        "--no-validate", help="Write the scenario without checking it.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Write FOLDER/scenario.toml for your layers (every key explained), then check it."""

    def go() -> None:
        from siting._errors import ScenarioError
        from siting.starter import write_starter

        yrs = None
        if years:
            try:
                yrs = [int(y) for y in years.replace(" ", "").split(",") if y]
            except ValueError:
                msg = f"--years '{years}': give years separated by commas, e.g. 2025,2026"
                raise ScenarioError(msg) from None
        res = write_starter(folder, network=network, fleet=fleet, candidates=candidates,
                            existing=existing, zones=zones, link=link, name=name, years=yrs,
                            budget_cny=None if budget is None else budget * 1e6,
                            time_limit_s=time_limit, lang=lang, output_crs=output_crs,
                            crs=crs, coords=coords)
        out.print(f"wrote {res.scenario}", markup=False, soft_wrap=True)
        for lay in res.layers:
            out.print(f"  [{lay.section}] path = {lay.path!r} ({lay.how}"
                      f"{'' if lay.how == 'in the folder' else ' from ' + str(lay.source)})",
                      markup=False, soft_wrap=True)
        if not no_validate:
            from siting.validate import validate_scenario

            try:
                summary = validate_scenario(res.scenario)
            except SitingError as e:
                out.print(f"{res.scenario} does not validate yet; fix this, then run "
                          f"`siting validate {res.scenario}`:", markup=False, soft_wrap=True)
                raise e from None
            out.print("valid: " + ", ".join(f"{k} {v}" for k, v in summary.items()
                                            if k in ("fleet points", "demand points",
                                                     "candidate sites", "existing stations")),
                      markup=False, soft_wrap=True)
        for note in res.notes:
            out.print(f"note: {note}", markup=False, soft_wrap=True)
        out.print("next:", markup=False, soft_wrap=True)
        for i, step in enumerate(res.next_steps, 1):
            out.print(f"  {i}. {step}", markup=False, soft_wrap=True)
        out.print(f"  then: siting run {res.scenario}", markup=False, soft_wrap=True)

    _guard(go, debug)


@app.command("qgis-plugin")
def qgis_plugin(
    zip_path: Annotated[str, typer.Option(
        "--zip", help="Where to write the plugin zip (a folder: siting_qgis-VERSION.zip in it).")],
    debug: DebugOpt = False,
) -> None:
    """Build the QGIS plugin zip (Plugins ▸ Manage and Install Plugins ▸ Install from ZIP)."""

    def go() -> None:
        import shutil

        from siting.plugin_zip import build_plugin_zip

        written = build_plugin_zip(zip_path)
        out.print(f"wrote {written}", markup=False, soft_wrap=True)
        me = Path(sys.argv[0]).resolve()
        on_path = shutil.which("siting")
        where = ("it is on this PATH" if on_path and Path(on_path).resolve() == me
                 else "it is NOT on this PATH")
        out.print(f"this siting is {me} ({where}); QGIS finds siting through SITING_EXECUTABLE, "
                  "then Settings ▸ Options ▸ Processing ▸ Providers ▸ siting ▸ siting "
                  "executable, then the PATH QGIS was started with: set one of the first two to "
                  "this path if QGIS does not see it", markup=False, soft_wrap=True)

    _guard(go, debug)


network_app = typer.Typer(help="Road-network tools.", no_args_is_help=True)
app.add_typer(network_app, name="network")


@network_app.command("fetch")
def network_fetch(
    out_file: Annotated[Path, typer.Argument(help="Where to save the network (.npz).")],
    place: Annotated[str | None, typer.Option(
        "--place", help="OSM place name, geocoded by Nominatim (e.g. 'Suizhou, Hubei').")]
    = None,
    bbox: Annotated[str | None, typer.Option(
        "--bbox", help="west,south,east,north in WGS84 degrees (no geocoding needed).")] = None,
    cache_dir: Annotated[Path, typer.Option("--cache-dir", help="HTTP/graph cache folder.")]
    = Path(".cache/osm"),
    overpass_url: Annotated[str | None, typer.Option(
        "--overpass-url", help="Overpass API endpoint (a mirror or a local server); default "
        "osmnx's, https://overpass-api.de/api.")] = None,
    nominatim_url: Annotated[str | None, typer.Option(
        "--nominatim-url", help="Nominatim geocoder endpoint for --place (a mirror or a local "
        "server); default osmnx's, https://nominatim.openstreetmap.org/.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Download a truck road network from OpenStreetMap once (cached) and save it for offline use.

    Set the scenario's network.path to the saved .npz afterwards. A download that fails
    leaves no cache folder it created behind.
    """

    def go() -> None:
        from siting._errors import ScenarioError
        from siting.network import load_network, save_network
        from siting.scenario import NetworkSpec

        box: tuple[float, float, float, float] | None = None
        if bbox:
            try:
                west, south, east, north = (float(v) for v in bbox.split(","))
            except ValueError:  # not numbers, or not four of them
                msg = f"--bbox '{bbox}': give four numbers west,south,east,north"
                raise ScenarioError(msg) from None
            box = (west, south, east, north)
        if (place is None) == (box is None):
            msg = "give exactly one of --place or --bbox"
            raise ScenarioError(msg)
        try:
            spec = NetworkSpec(place=place, bbox=box, cache_dir=cache_dir)
        except ValueError:
            msg = (f"--bbox '{bbox}': give west,south,east,north in WGS84 degrees, with west < "
                   "east and south < north (longitudes -180..180, latitudes -90..90)")
            raise ScenarioError(msg) from None
        settings = {k: v for k, v in (("overpass_url", overpass_url),
                                      ("nominatim_url", nominatim_url)) if v}
        net = load_network(spec, osmnx_settings=settings or None)
        save_network(net, out_file)
        out.print(f"{net.n_nodes} nodes, {net.n_edges} edges -> {out_file}")

    _guard(go, debug)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the Ctrl-C path: outputs are left as they were, exit 130


def main() -> None:
    """Entry point of the ``siting`` script.

    SIGTERM (what the QGIS plugin sends on Cancel, and what job managers send) is handled
    like Ctrl-C: the run stops, no output folder is changed, the exit code is 130.
    """
    import signal

    signal.signal(signal.SIGTERM, _terminated)
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    app(prog_name="siting")


if __name__ == "__main__":  # pragma: no cover
    main()  # typer exits with the command's code
